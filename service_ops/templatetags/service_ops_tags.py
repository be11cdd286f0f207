"""Template tags shared by every app: the history panel, the time-left badge and the main
navigation.

    {% load service_ops_tags %}
    {% history_panel obj %}       the transition log of any process object
    {% time_left deadline %}      a badge coloured by urgency ("剩余 2 个工作日", "超期 1 个工作日")
    {% main_nav as items %}       navigation entries for the current user and roles
    {{ amount|money }}            ¥1,250.00
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.visibility import sees_everything
from service_ops.deadlines.models import DeadlineStatus
from service_ops.workcalendar import clock

register = template.Library()


# --- history panel -----------------------------------------------------------------------------


def _state_labels(obj) -> dict[str, str]:
    from service_ops.transitions.services import state_field_of

    try:
        field = state_field_of(type(obj))
    except TypeError:
        return {}
    return {str(value): str(label) for value, label in (field.choices or [])}


@register.inclusion_tag("service_ops/partials/history_panel.html")
def history_panel(obj, title=None):
    """The object's transition log: time, actor, from → to, comment, channel."""
    from service_ops.transitions.services import log_of

    labels = _state_labels(obj)
    entries = []
    for entry in log_of(obj):
        entry.from_label = labels.get(entry.from_state, entry.from_state)
        entry.to_label = labels.get(entry.to_state, entry.to_state)
        entries.append(entry)
    return {"entries": entries, "title": title or _("处理记录")}


# --- time left ------------------------------------------------------------------------------------


def urgency_of(deadline, left: clock.TimeLeft, now) -> str:
    """Bootstrap colour of a timer: danger when overdue, warning from its warning moment or
    within a working day, secondary while paused, success otherwise."""
    if left.overdue or deadline.status == DeadlineStatus.BREACHED:
        return "danger"
    if deadline.status == DeadlineStatus.PAUSED:
        return "secondary"
    warn_at = getattr(deadline, "warn_at", None)
    if (warn_at and warn_at <= now) or left.working_days <= 1:
        return "warning"
    return "success"


@register.inclusion_tag("service_ops/partials/time_left_badge.html")
def time_left(deadline):
    """A badge with the time left in working days; uses `deadline.left` when the selector has
    already computed it."""
    now = timezone.now()
    left = getattr(deadline, "left", None)
    if left is None:
        moment = deadline.paused_at if deadline.status == DeadlineStatus.PAUSED else now
        left = clock.time_left(moment or now, deadline.due_at)
    return {
        "deadline": deadline,
        "left": left,
        "urgency": urgency_of(deadline, left, now),
        "paused": deadline.status == DeadlineStatus.PAUSED,
    }


# --- money ------------------------------------------------------------------------------------


@register.filter
def money(value) -> str:
    """CNY with thousands separators and two decimals: ¥1,250.00 (finance reads it this way)."""
    if value in (None, ""):
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"¥{amount:,.2f}"


# --- navigation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    icon: str
    audience: str = "all"  # all | internal | staff
    roles: frozenset[str] = frozenset()  # when set: only holders of one of these roles…
    hq_too: bool = False  # …or, with hq_too, anyone at headquarters
    related: tuple[str, ...] = ()  # other pages under this entry (highlighted as current)


PARTNER_ROLES = frozenset({"dealer_staff", "service_point_staff"})
APPROVER_ROLES = frozenset(
    {
        "field_cs_supervisor",
        "branch_manager",
        "provincial_manager",
        "head_of_cs",
        "local_engineer",
    }
)
# People who follow repairs without working them: partners, branches, provinces, the call centre.
REPAIR_FOLLOWER_ROLES = PARTNER_ROLES | frozenset(
    {
        "branch_engineer",
        "local_engineer",
        "field_cs_supervisor",
        "branch_manager",
        "provincial_manager",
        "call_agent",
        "expert_agent",
        "complaint_team",
        "supervisor",
    }
)

# One list for the whole site; an entry whose URL is not installed is skipped, so apps may be
# added in any order.
NAV_ITEMS = (
    NavItem("my_work", _("我的工作"), "bi-list-check", related=("deadline_detail",)),
    NavItem("inbox", _("通知"), "bi-envelope", related=("inbox_open",)),
    NavItem(
        "repairs:return_list",
        _("返厂申请"),
        "bi-box-seam",
        related=("repairs:return_detail", "repairs:return_create", "repairs:return_edit"),
    ),
    NavItem("repairs:signature_queue", _("待我签字"), "bi-pen", roles=APPROVER_ROLES),
    NavItem(
        "repairs:logistics_board",
        _("物流看板"),
        "bi-truck",
        roles=frozenset({"logistics_clerk", "warehouse_keeper"}),
    ),
    NavItem(
        "repairs:technician_queue",
        _("维修工作台"),
        "bi-wrench-adjustable",
        roles=frozenset({"technician", "repair_supervisor"}),
        related=("repairs:order_detail", "repairs:lot_detail"),
    ),
    NavItem(
        "repairs:order_board",
        _("维修看板"),
        "bi-kanban",
        roles=frozenset({"logistics_clerk", "head_of_cs"}),
        related=("repairs:loaner_list", "repairs:review_list", "repairs:review_detail"),
    ),
    NavItem(
        "repairs:order_list",
        _("维修单"),
        "bi-cpu",
        roles=REPAIR_FOLLOWER_ROLES,  # the workshop and the clerks reach it from their pages
        related=("repairs:order_detail", "repairs:lot_detail"),
    ),
    NavItem(
        "repairs:statement_list",
        _("月结对账"),
        "bi-receipt",
        roles=frozenset({"head_of_cs", "branch_manager"}),  # clerks: from the repair board
        related=("repairs:statement_detail",),
    ),
    NavItem(
        "repairs:ranking",
        _("年度排名"),
        "bi-bar-chart",
        roles=frozenset({"head_of_cs"}),
        hq_too=True,
    ),
    NavItem(
        "network:org_units",
        _("服务网络"),
        "bi-diagram-3",
        related=("network:org_unit_detail",),
    ),
    NavItem("network:staff_directory", _("通讯录"), "bi-person-lines-fill"),
    NavItem("calendar", _("工作日历"), "bi-calendar3", audience="internal"),
)


def _is_internal(user, roles) -> bool:
    if user.is_staff or user.is_superuser:
        return True
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    if profile is not None:
        return not profile.org_unit.is_partner
    return not (set(roles) & PARTNER_ROLES)


@register.simple_tag(takes_context=True)
def main_nav(context):
    """The navigation entries the current user may use, by audience and role, marking the
    current page. Entries whose URL is not installed are skipped."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    roles = set(context.get("my_roles") or ())
    internal = _is_internal(user, roles)
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    items = []
    for item in NAV_ITEMS:
        if item.audience == "internal" and not internal:
            continue
        if item.audience == "staff" and not user.is_staff:
            continue
        if item.roles and not (roles & item.roles or (item.hq_too and sees_everything(user))):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "url": url,
                "label": item.label,
                "icon": item.icon,
                "active": current == item.url_name or current in item.related,
            }
        )
    return items
