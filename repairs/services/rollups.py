"""Refreshing the reports' monthly roll-ups (repairs.models.reports): the periodic job
`refresh-report-rollups` (repairs/plugin.py) every night and `manage.py refresh_report_rollups`.

A refresh rolls up everything before today's local midnight (`rolled_until`); the reports add
what came after it live. It rebuilds the months from REROLL_MONTHS before the current one (the
figures of a closed month still move for a while: a unit returned again within
REPEAT_RETURN_DAYS of shipment, a callback reached late, a request reopened, a visit checked in
late), and every month since the previous refresh when it ran longer ago; the first refresh and
`full=True` rebuild all of it. The turnaround's percentiles only for whole months (they do not
add up with a live slice): the current month's stay live.

The rows are computed by the selectors' own aggregates (one definition of every figure), grouped
further by the scope columns the reports filter on. The state row is locked for the run, so two
refreshes never interleave. `now` is a Python argument (time-machine does not move now())."""

from __future__ import annotations

import time as _time
from datetime import datetime, time

from django.db import transaction
from django.db.models.functions import TruncMonth
from django.utils import timezone

from service_ops.workcalendar import clock
from service_ops.workcalendar.clock import add_months

from ..choices import ServiceRequestState, VisitState
from ..models import (
    FieldRequestMonth,
    FieldVisitMonth,
    RepairOrder,
    ReportRollup,
    ServiceRequest,
    TechnicianMonth,
    TurnaroundMonth,
    Visit,
)
from ..selectors import supervision as s
from ..selectors.reports import month_key, turnaround_groups

REROLL_MONTHS = 3  # covers REPEAT_RETURN_DAYS (90) of the months before the current one
BATCH = 2_000
ROLLUPS = (TechnicianMonth, FieldRequestMonth, FieldVisitMonth, TurnaroundMonth)


def refresh_report_rollups(*, now: datetime | None = None, full: bool = False) -> ReportRollup:
    started = _time.perf_counter()
    now = now or timezone.now()
    today = clock.local_date(now)
    until = clock.at_local(today, time(0))
    this_month = today.replace(day=1)
    with transaction.atomic():
        ReportRollup.objects.get_or_create(pk=1)
        state = ReportRollup.objects.select_for_update().get(pk=1)
        first = None
        if not full and state.rolled_until is not None:
            first = min(add_months(this_month, -REROLL_MONTHS), month_key(state.rolled_until))
        for model in ROLLUPS:
            old = model.objects.all() if first is None else model.objects.filter(month__gte=first)
            old.delete()
        lo = clock.at_local(first, time(0)) if first is not None else None
        rows = _technicians(lo, until) + _field(lo, until)
        rows += _turnaround(lo, clock.at_local(this_month, time(0)))
        state.rolled_until = until
        state.refreshed_at = now
        state.rows = rows
        state.seconds = round(_time.perf_counter() - started, 3)
        state.save()
    return state


def refresh_report_rollups_full(*, now: datetime | None = None) -> ReportRollup:
    return refresh_report_rollups(now=now, full=True)


def _between(qs, column: str, lo, hi):
    qs = qs.filter(**{f"{column}__lt": hi})
    return qs if lo is None else qs.filter(**{f"{column}__gte": lo})


def _callbacks(r: dict, callbacks: bool) -> dict:
    if not callbacks:
        return {}
    return {
        "callbacks_closed": r["closed"],
        "reached": r["reached"],
        "satisfied": r["satisfied"],
        "dissatisfied": r["dissatisfied"],
    }


def _technicians(lo, hi) -> int:
    orders = _between(RepairOrder.objects.filter(technician__isnull=False), "shipped_at", lo, hi)
    rows, callbacks = s.workshop_figures(orders, "m", "technician", "branch")
    out = [
        TechnicianMonth(
            month=month_key(r["m"]),
            person_id=r["technician"],
            kind="workshop",
            branch_id=r["branch"],
            units=r["units"],
            second=r["second"],
            **_callbacks(r, callbacks),
        )
        for r in rows
    ]
    visits = Visit.objects.filter(
        engineer__isnull=False, state__in=[VisitState.SOLVED, VisitState.INCOMPLETE]
    )
    visits = _between(visits, "finished_at", lo, hi)
    rows, callbacks = s.field_work_figures(visits, "m", "engineer", "request__org_unit",
                                           "service_unit")  # fmt: skip
    out += [
        TechnicianMonth(
            month=month_key(r["m"]),
            person_id=r["engineer"],
            kind="field",
            org_unit_id=r["request__org_unit"],
            service_unit_id=r["service_unit"],
            units=r["units"],
            second=r["second"],
            **_callbacks(r, callbacks),
        )
        for r in rows
    ]
    TechnicianMonth.objects.bulk_create(out, batch_size=BATCH)
    return len(out)


def _field(lo, hi) -> int:
    requests = ServiceRequest.objects.filter(
        state__in=[ServiceRequestState.SOLVED, ServiceRequestState.CLOSED]
    )
    requests = _between(requests, "solved_at", lo, hi).annotate(m=TruncMonth("solved_at"))
    keys = ("org_unit", "assigned_unit", "dealer")
    found = {}
    for r in s.request_figures(requests, "m", *keys):
        key = (month_key(r["m"]), *(r[k] for k in keys))
        found[key] = FieldRequestMonth(
            month=key[0],
            org_unit_id=r["org_unit"],
            assigned_unit_id=r["assigned_unit"],
            dealer_id=r["dealer"],
            solved=r["solved"],
            first_time_fix=r["ftf"],
            escalated=r["escalated"],
            redispatched=r["redispatched"],
            solve_seconds=s._seconds(r["solve"]),
        )
    for r in s.accept_figures(requests, "m", *(f"request__{k}" for k in keys)):
        row = found[(month_key(r["m"]), *(r[f"request__{k}"] for k in keys))]
        row.accepted, row.accept_seconds = r["accepted"], s._seconds(r["accept"])
    FieldRequestMonth.objects.bulk_create(found.values(), batch_size=BATCH)
    visits = _between(Visit.objects.exclude(state=VisitState.CANCELLED), "window_end", lo, hi)
    visits = visits.annotate(m=TruncMonth("window_end"))
    out = [
        FieldVisitMonth(
            month=month_key(r["m"]),
            org_unit_id=r["request__org_unit"],
            service_unit_id=r["service_unit"],
            due=r["due"],
            on_time=r["on_time"],
            late=r["late"],
            missing=r["missing"],
        )
        for r in s.visit_figures(visits, "m", "request__org_unit", "service_unit")
    ]
    FieldVisitMonth.objects.bulk_create(out, batch_size=BATCH)
    return len(found) + len(out)


def _turnaround(lo, hi) -> int:
    """Whole months only: for every branch together and for each branch."""
    orders = _between(RepairOrder.objects.all(), "shipped_at", lo, hi)
    out = [
        TurnaroundMonth(month=m, tier=tier, branch_id=None, units=n, median=p50, p90=p90)
        for (m, tier), (n, p50, p90) in turnaround_groups(orders).items()
    ]
    out += [
        TurnaroundMonth(month=m, tier=tier, branch_id=branch, units=n, median=p50, p90=p90)
        for (m, tier, branch), (n, p50, p90) in turnaround_groups(orders, "branch").items()
    ]
    TurnaroundMonth.objects.bulk_create(out, batch_size=BATCH)
    return len(out)
