"""Template tags shared by every app: the history panel, the time-left badge and the main
navigation.

    {% load service_ops_tags %}
    {% history_panel obj %}       the transition log of any process object
    {% time_left deadline %}      a badge coloured by urgency ("剩余 2 个工作日", "超期 1 个工作日")
    {% work_item_badge item %}    the same for an entry of 我的工作 (service_ops.work.WorkItem)
    {% timer_badge left paused provisional %}  the same, uncoloured, in a list of timers
    {% main_nav as items %}       navigation entries for the current user and roles
    {{ amount|money }}            ¥1,250.00
    {{ step.name|data_text }}     seeded data (a step or policy name) in the reader's language
    {% state_badge obj %}         the badge of a process object's state (its label and colour)
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from network.choices import PARTNER_ROLES
from network.visibility import sees_everything
from service_ops import i18n, plugins
from service_ops.deadlines.models import DeadlineStatus
from service_ops.reversing import reverse_plain
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


# --- state badge -------------------------------------------------------------------------------


def state_label(obj) -> str:
    """`obj.get_state_display()`, without Django's per-call copy of the choices."""
    return i18n.choice_label(obj, "state")


@register.simple_tag
def state_badge(obj):
    """The badge of a process object's state, coloured by its state choices (the models'
    `state_colour`): what the partial repairs/partials/state_badge.html draws, without an
    include per row (and, as the partial's file did, a newline after it)."""
    colour = getattr(obj, "state_colour", "") or "secondary"
    return format_html(
        '<span class="badge text-bg-{}{}">{}</span>\n',
        colour,
        " border" if colour == "light" else "",
        state_label(obj),
    )


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


def time_left_badge(left, urgency: str, paused=False, provisional=False) -> SafeString:
    """The time-left badge: `left` (a TimeLeft, or a text such as "无时限") in the urgency's
    colour, a pause or overdue icon, and "暂定" when the year's holidays are not yet published.
    Written here, not by a template include: lists, queues and 我的工作 draw one per row."""
    title = f' title="{gettext("暂停中，剩余时间冻结")}"' if paused else ""
    html = f'<span class="badge text-bg-{urgency} time-left"{title}>'
    if paused:
        html += '<i class="bi bi-pause-fill" aria-hidden="true"></i> '
    elif getattr(left, "overdue", False):
        html += '<i class="bi bi-exclamation-circle" aria-hidden="true"></i> '
    html += f"{conditional_escape(left)}</span>"
    if provisional:
        html += ' <span class="badge text-bg-light border" title="{}">{}</span>'.format(
            gettext("该年放假调休安排尚未公布，到期时间可能调整"), gettext("暂定")
        )
    return mark_safe(html)  # noqa: S308 — `left` escaped, the rest our words


def deadline_badge(deadline, now=None) -> SafeString:
    """The badge of a timer, from `deadline.left` when the selector has already computed it."""
    from service_ops.selectors import annotate_time_left

    now = now or timezone.now()
    if getattr(deadline, "left", None) is None:
        annotate_time_left(deadline, now)
    left = deadline.left
    provisional = getattr(deadline, "provisional", None)
    if provisional is None:  # `left` set by a caller that knows nothing of the calendar year
        provisional = clock.is_provisional(deadline.due_at)
    paused = deadline.status == DeadlineStatus.PAUSED
    return time_left_badge(left, urgency_of(deadline, left, now), paused, provisional)


@register.simple_tag
def time_left(deadline):
    """A badge with the time left in working days."""
    return deadline_badge(deadline)


@register.simple_tag
def work_item_badge(item):
    """The time-left badge of a 我的工作 entry: its timer's when it has one, else by its due
    time; a task with no time limit shows how long it has waited."""
    if item.deadline is not None:
        item.deadline.left = item.left
        return deadline_badge(item.deadline)
    if item.left is None:
        return time_left_badge(_("无时限"), "light")
    urgency = {"overdue": "danger", "soon": "warning"}.get(item.group, "success")
    return time_left_badge(item.left, urgency, provisional=item.provisional)


@register.simple_tag
def timer_badge(left, paused, provisional):
    """The time left of a timer in a list of timers, in a plain colour (its status is beside)."""
    return time_left_badge(left, "light border", paused, provisional)


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


def _is_internal(user, roles) -> bool:
    if user.is_staff or user.is_superuser:
        return True
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    if profile is not None:
        return not profile.org_unit.is_partner
    return not (set(roles) & PARTNER_ROLES)


# The width (in em) the desktop menu bar has for the brand and the entries shown on the bar,
# once the language and user menus, the bell and "更多" have taken theirs (a 1,200 px bar, the
# narrowest at which the menu is expanded); an entry adds its icon and padding to its label.
MENU_ROW_EM = 50.0
MENU_ITEM_EM = 2.6


def _text_em(text: str) -> float:
    """A label's approximate width in em: a CJK character is about 1 em, a Latin one half."""
    return sum(1.0 if ord(char) >= 0x2E80 else 0.55 for char in text)


@register.simple_tag(takes_context=True)
def main_nav(context):
    """The navigation entries the current user may use, by audience and role, marking the
    current page. The entries are the apps' declarations (plugin.py); one whose URL is not
    installed is skipped."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    roles = set(context.get("my_roles") or ())
    internal = _is_internal(user, roles)
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    items = []
    for item in plugins.nav_items():
        if item.audience == "internal" and not internal:
            continue
        if item.audience == "staff" and not user.is_staff:
            continue
        if item.roles and not (roles & item.roles or (item.hq_too and sees_everything(user))):
            continue
        try:
            url = reverse_plain(item.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "url": url,
                "label": item.label,
                "icon": item.icon,
                "active": current == item.url_name or current in item.related,
                "more": item.more,
            }
        )
    # However many roles a person holds, the menu keeps one row on a desktop: the entries that
    # do not fit beside the brand (in the apps' declared order) go under "更多" too.
    room = MENU_ROW_EM - _text_em(gettext("售后服务运营平台")) * 1.25
    # (`overflow`: on a phone, where the menu opens as a list, such an entry stays in the list.)
    for entry in items:
        entry["overflow"] = False
        if not entry["more"]:
            room -= _text_em(str(entry["label"])) + MENU_ITEM_EM
            entry["more"] = entry["overflow"] = room < 0
    return items


# The menu bar's HTML by (language, roles, internal, staff, headquarters, page): it depends on
# nothing else, so each web process renders a combination once. The entries are code (the apps'
# plugin declarations), so nothing needs invalidating while a process lives.
_MENU_HTML: dict[tuple, str] = {}
MENU_CACHE_SIZE = 2048


@register.simple_tag(takes_context=True)
def main_menu(context):
    """The menu bar's entries (main_nav) as HTML, rendered once per combination — every page
    draws the menu, and drawing it was about a fifth of a small page's CPU."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    roles = frozenset(context.get("my_roles") or ())
    key = (
        get_language(),
        roles,
        _is_internal(user, roles),
        user.is_staff,
        sees_everything(user),
        getattr(getattr(request, "resolver_match", None), "view_name", ""),
    )
    html = _MENU_HTML.get(key)
    if html is None:
        if len(_MENU_HTML) >= MENU_CACHE_SIZE:
            _MENU_HTML.clear()
        items = main_nav(context)
        html = render_to_string(
            "service_ops/partials/main_menu.html",
            {
                "nav_items": items,
                "phone_more": any(i["more"] and not i["overflow"] for i in items),
            },
        )
        _MENU_HTML[key] = html
    return mark_safe(html)  # noqa: S308 -- rendered by our own autoescaping template


@register.filter
def more_items(items):
    """The menu entries that go under "更多"."""
    return [item for item in items if item.get("more")]


@register.filter
def active_item(items) -> bool:
    return any(item.get("active") for item in items)


@register.filter
def data_text(value) -> str:
    """A name an admin may edit but that was seeded from a marked string (a step, policy or rule
    name): through the catalogue in the active language, as typed when it is not there."""
    return str(i18n.data_text(value)) if value else (value or "")
