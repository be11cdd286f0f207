"""Reads of the visits on site (上门服务): the worker's list (today and overdue, upcoming,
finished; keyset pages), one visit's page, and the requests waiting for a fault confirmation.
Every read is scoped by Visit/ServiceRequest `visible_to`; the worker's list narrows that to the
visits the person works (their own as engineer, their point's as service point staff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from network.choices import Role
from network.selectors import held_roles
from network.visibility import user_org_unit
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of
from spareparts.models import StockBalance

from ..choices import ServiceRequestState, VisitState
from ..models import FieldServicePolicy, ServiceRequest, Visit, VisitPart
from ..permissions import may_confirm_fault, works_visit
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
    if ENGINEER_ROLES & held_roles(user) or Visit.objects.filter(engineer_id=user.pk).exists():
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
    photos = list(visit.photos.order_by("kind", "id"))
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
