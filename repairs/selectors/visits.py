"""Reads of the visits on site (上门服务): the worker's list (today and overdue, upcoming,
finished; keyset pages), one visit's page, and the requests waiting for a fault confirmation.
Every read is scoped by Visit/ServiceRequest `visible_to`; the worker's list narrows that to the
visits the person works (their own as engineer, their point's as service point staff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import Role
from network.selectors import held_roles
from network.visibility import user_org_unit
from service_ops.i18n import choice_label
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of
from service_ops.work import WorkItem
from spareparts.models import StockBalance

from ..choices import ServiceRequestState, VisitState
from ..models import FieldServicePolicy, ServiceRequest, Visit, VisitPart
from ..permissions import FAULT_CONFIRMER_ROLES, may_confirm_fault, works_visit
from ..services.visits import finish_problems, visit_warehouse

V = VisitState
OPEN = (V.PLANNED, V.CHECKED_IN)
FINISHED = (V.SOLVED, V.INCOMPLETE, V.CANCELLED)
ENGINEER_ROLES = frozenset({Role.BRANCH_ENGINEER, Role.LOCAL_ENGINEER})
TABS = ("today", "upcoming", "finished")


def end_of_today(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time.min))


def worker_q(user) -> Q | None:
    """The visits the person works: as the engineer, or as anyone of the visit's service point.
    None: the person works no visits (a dispatcher, a supervisor: they see what is visible)."""
    unit = user_org_unit(user)
    if unit is not None and unit.is_partner:
        return Q(service_unit_id=unit.pk)
    if ENGINEER_ROLES & held_roles(user):
        return Q(engineer_id=user.pk)
    return None


def my_visits(user, tab: str, *, now: datetime | None = None) -> QuerySet:
    """The list's rows for a tab: today (open, due by the end of today — overdue included),
    upcoming (open, later or not yet scheduled) and finished."""
    qs = Visit.objects.visible_to(user)
    mine = worker_q(user)
    if mine is not None:
        qs = qs.filter(mine)
    cutoff = end_of_today(now)
    if tab == "finished":
        qs = qs.filter(state__in=FINISHED)
    elif tab == "upcoming":
        qs = qs.filter(state__in=OPEN).filter(
            Q(window_start__gte=cutoff) | Q(window_start__isnull=True)
        )
    else:
        qs = qs.filter(state__in=OPEN, window_start__lt=cutoff)
    return qs.select_related("request", "engineer", "service_unit")


def visit_list_page(user, tab: str, params, *, now: datetime | None = None):
    """One keyset page: open visits oldest first (the order they were planned in), finished ones
    newest first. A constant number of queries."""
    tab = tab if tab in TABS else "today"
    return keyset_page(my_visits(user, tab, now=now), params, oldest_first=tab != "finished")


def visit_for(user, pk: int) -> Visit:
    """The visit if the user may see it (Visit.DoesNotExist otherwise: the views answer 404)."""
    return (
        Visit.objects.visible_to(user)
        .select_related("request__org_unit", "request__unit", "engineer", "service_unit", "follows")
        .get(pk=pk)
    )


def part_lines(visit: Visit) -> list[VisitPart]:
    return list(
        VisitPart.objects.filter(visit=visit, removed_at__isnull=True)
        .select_related("part", "warehouse")
        .order_by("id")
    )


def stock_choices(visit: Visit) -> tuple[object, list[StockBalance]]:
    """The warehouse the visit's parts come from and what it has available (at most 200
    lines): the parts form's choices."""
    warehouse = visit_warehouse(visit)
    if warehouse is None:
        return None, []
    balances = (
        StockBalance.objects.filter(warehouse=warehouse, on_hand__gt=0, part__is_active=True)
        .select_related("part")
        .order_by("part__number")[:200]
    )
    return warehouse, [b for b in balances if b.available > 0]


@dataclass
class VisitPage:
    visit: Visit
    photos: list
    parts: list
    problems_solved: dict
    may_work: bool
    may_confirm_fault: bool
    history: list
    required_kinds: list


def visit_page(visit: Visit, user) -> VisitPage:
    policy = FieldServicePolicy.current()
    from ..visit_record import ordered_photos

    photos = ordered_photos(visit)
    return VisitPage(
        visit=visit,
        photos=photos,
        parts=part_lines(visit),
        problems_solved=finish_problems(visit, solved=True, policy=policy)
        if visit.state == V.CHECKED_IN
        else {},
        may_work=works_visit(user, visit),
        may_confirm_fault=visit.request.state == ServiceRequestState.ESCALATED
        and may_confirm_fault(user, visit.request),
        history=list(log_of(visit)),
        required_kinds=policy.photo_kinds_required(visit.request.category),
    )


def request_for(user, pk: int) -> ServiceRequest:
    return (
        ServiceRequest.objects.visible_to(user)
        .select_related("org_unit", "unit", "assigned_unit", "engineer")
        .get(pk=pk)
    )


def awaiting_fault_confirmation(user, *, limit: int = 50) -> list[ServiceRequest]:
    """Escalated requests with no confirmed fault yet, in the user's scope (for the dispatcher's
    我的工作)."""
    return list(
        ServiceRequest.objects.visible_to(user)
        .filter(state=ServiceRequestState.ESCALATED, fault_confirmed="")
        .select_related("org_unit")
        .order_by("id")[:limit]
    )


# --- 我的工作 providers (repairs/plugin.py) ----------------------------------------------
class VisitWorkProvider:
    """An engineer's or a service point's visits planned for today or overdue (open, due by the
    end of today): what to go to, due at the end of its appointment window."""

    name = "repairs.visits"
    label = gettext_lazy("今日上门")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        mine = worker_q(user)
        if mine is None:
            return []
        visits = list(
            Visit.objects.visible_to(user)
            .filter(mine, state__in=OPEN, window_start__lt=end_of_today(now))
            .select_related("request")
            .order_by("window_start", "pk")[:limit]
        )
        return [
            WorkItem(
                key=f"repairs.visit:{v.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("上门服务 %(no)s-%(n)s：%(who)s %(where)s")
                % {
                    "no": v.request.number,
                    "n": v.sequence,
                    "who": v.request.contact_name,
                    "where": f"{v.request.district}{v.request.address}",
                },
                url=v.get_absolute_url(),
                since=v.window_start or v.created_at,
                due_at=v.window_end or v.window_start,
                where=choice_label(v, "state"),
            )
            for v in visits
        ]


class FaultConfirmationProvider:
    """Escalated service requests whose fault is not confirmed yet, for their dispatchers and
    field CS supervisors (故障确认, before the request is dispatched again)."""

    name = "repairs.fault_confirmation"
    label = gettext_lazy("待确认故障")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        from network.selectors import acting_units

        if not set(FAULT_CONFIRMER_ROLES) & held_roles(user):
            return []  # no query for everyone else
        units = acting_units(user)
        unit_ids = {u for role in FAULT_CONFIRMER_ROLES for u in units.get(role, ())}
        if not unit_ids:
            return []
        requests = list(
            ServiceRequest.objects.filter(
                state=ServiceRequestState.ESCALATED, fault_confirmed="", org_unit_id__in=unit_ids
            )
            .select_related("org_unit")
            .order_by("pk")[:limit]
        )
        return [
            WorkItem(
                key=f"repairs.service_request:{r.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("报修单 %(no)s 未解决已升级，请确认故障") % {"no": r.number},
                url=reverse("repairs:request_fault", args=[r.pk]),
                since=r.created_at,
                where=str(r.org_unit),
                note=r.escalation_reason,
            )
            for r in requests
        ]
