"""Refreshing the SLA summaries from the deadline engine's timers (the periodic job
`refresh-sla-dashboard`, declared in service_ops/plugin.py; the night's run rebuilds in full).

Each refresh is two INSERT … SELECT … GROUP BY statements built by the ORM (so the same code runs
on PostgreSQL and the embedded SQLite) plus two DELETEs:

- open timers (running, paused, breached) in full: their buckets depend on the moment, and
  there are few of them next to the closed ones (a partial index of open rows finds them);
- closed timers (met, late) only for the days since the previous refresh, through a partial
  index on `closed_at` of closed-with-a-verdict rows; the night's full run rebuilds the whole
  window (a close recorded with an earlier moment is then counted too).

`now` is a Python argument (time-machine does not move the database's now()). The refresh row is
locked for the run, so two refreshes never interleave."""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from service_ops.deadlines.models import OPEN_STATUSES, Deadline, DeadlineStatus
from service_ops.workcalendar import clock

from .models import SlaDailyCount, SlaDailyPersonCount, SlaOpenCount, SlaRefresh

RATE_DAYS = 30  # the on-time rate's window
TREND_WEEKS = 12  # the weekly trend's length
TICKING = (DeadlineStatus.RUNNING, DeadlineStatus.BREACHED)
CLOSED = (DeadlineStatus.MET, DeadlineStatus.LATE)


@dataclass(frozen=True)
class Bounds:
    """The moments the buckets are cut at, for one refresh."""

    now: datetime
    today: date
    today_end: datetime  # local midnight after today
    next_day_end: datetime  # local midnight after the next working day
    window_start: date  # first day kept in the daily table (Monday, TREND_WEEKS weeks back)

    @classmethod
    def at(cls, now: datetime) -> Bounds:
        today = clock.local_date(now)
        next_day = clock.nth_working_day_after(today, 1)
        monday = today - timedelta(days=today.weekday())
        window_start = min(monday - timedelta(weeks=TREND_WEEKS - 1), today - timedelta(RATE_DAYS))
        return cls(
            now=now,
            today=today,
            today_end=clock.at_local(today + timedelta(days=1), time(0)),
            next_day_end=clock.at_local(next_day + timedelta(days=1), time(0)),
            window_start=window_start,
        )

    @property
    def rate_start(self) -> date:
        return self.today - timedelta(days=RATE_DAYS - 1)


# --- the bucket definitions (also used by the list behind every number) ----------------------


def bucket_q(bucket: str, b: Bounds) -> Q:
    """The timers of one dashboard bucket at the refresh's moment."""
    if bucket == "open":
        return Q(status__in=OPEN_STATUSES)
    if bucket == "paused":
        return Q(status=DeadlineStatus.PAUSED)
    if bucket == "overdue":
        return Q(status__in=TICKING, due_at__lte=b.now)
    if bucket == "due_today":
        return Q(status__in=TICKING, due_at__gt=b.now, due_at__lt=b.today_end)
    if bucket == "due_next_day":
        return Q(status__in=TICKING, due_at__gte=b.today_end, due_at__lt=b.next_day_end)
    if bucket == "missed_open":  # still open, its due time passed: counts against the rate
        return Q(status__in=TICKING, due_at__lte=b.now) | Q(
            status=DeadlineStatus.PAUSED, breached_at__isnull=False
        )
    if bucket in ("met", "late"):
        return Q(status=bucket)
    raise ValueError(f"unknown bucket {bucket!r}")


OPEN_BUCKETS = ("open", "overdue", "due_today", "due_next_day", "paused")
RATE_BUCKETS = ("met", "late", "missed_open")


# --- INSERT … SELECT ------------------------------------------------------------------------


def _insert_select(model, qs: QuerySet, columns: dict[str, str]) -> int:
    """INSERT INTO model's table (columns) the rows of the grouped queryset `qs`; `columns` maps
    each selected name of `qs` (values fields, then annotations) to a column of `model`."""
    query = qs.query
    names = list(query.selected or ())  # the SELECT's order: values() keeps the order it is given
    if set(names) != set(columns):
        raise ValueError(f"selected {names}, mapped {sorted(columns)}")
    sql, params = query.get_compiler(connection=connection).as_sql()
    target = ", ".join(connection.ops.quote_name(columns[name]) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {model._meta.db_table} ({target}) {sql}", params)
        return cursor.rowcount


def _open_rows(b: Bounds) -> int:
    counts = {
        name: Count("pk", filter=bucket_q(name, b)) for name in OPEN_BUCKETS if name != "open"
    }
    qs = (
        Deadline.objects.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("kind", "org_unit_id", "assignee_id", "ball_holder")
        .annotate(n_open=Count("pk"), **{f"n_{k}": v for k, v in counts.items()})
    )
    columns = {
        "kind": "kind",
        "org_unit_id": "org_unit_id",
        "assignee_id": "assignee_id",
        "ball_holder": "ball_holder",
        "n_open": "open",
        **{f"n_{k}": k for k in counts},
    }
    SlaOpenCount.objects.all().delete()
    return _insert_select(SlaOpenCount, qs, columns)


def _day(field: str):
    return TruncDate(field, tzinfo=clock.ZONE)


def _closed_rows(model, first_day: date, *, person: bool) -> int:
    keys = ["d", "kind", "org_unit_id"] + (["assignee_id"] if person else [])
    qs = Deadline.objects.filter(
        status__in=CLOSED, closed_at__gte=clock.at_local(first_day, time(0))
    )
    if person:
        qs = qs.filter(assignee__isnull=False)
    qs = (
        qs.order_by()
        .annotate(d=_day("closed_at"))
        .values(*keys)
        .annotate(
            n_met=Count("pk", filter=Q(status=DeadlineStatus.MET)),
            n_late=Count("pk", filter=Q(status=DeadlineStatus.LATE)),
        )
    )
    model.objects.filter(is_open=False, day__gte=first_day).delete()
    columns = {key: key for key in keys} | {"d": "day", "n_met": "met", "n_late": "late"}
    return _insert_select(model, qs, columns)


def _missed_open_rows(model, b: Bounds, *, person: bool) -> int:
    keys = ["d", "flag", "kind", "org_unit_id"] + (["assignee_id"] if person else [])
    qs = (
        Deadline.objects.filter(status__in=OPEN_STATUSES)
        .filter(bucket_q("missed_open", b))
        .filter(due_at__gte=clock.at_local(b.window_start, time(0)))
    )
    if person:
        qs = qs.filter(assignee__isnull=False)
    qs = (
        qs.order_by()
        .annotate(d=_day("due_at"), flag=Value(True))
        .values(*keys)
        .annotate(n=Count("pk"))
    )
    model.objects.filter(is_open=True).delete()
    columns = {key: key for key in keys} | {"d": "day", "flag": "is_open", "n": "missed_open"}
    return _insert_select(model, qs, columns)


def refresh_sla_summary(*, now: datetime | None = None, full: bool = False) -> SlaRefresh:
    """Rebuild the open summary and the daily rows since the previous refresh (all the window's
    days when `full`, or on the first run)."""
    now = now or timezone.now()
    started = _time.perf_counter()
    with clock.pinned():
        b = Bounds.at(now)
    with transaction.atomic():
        SlaRefresh.objects.get_or_create(pk=1)
        state = SlaRefresh.objects.select_for_update().get(pk=1)
        first_day = b.window_start
        if not full and state.as_of is not None and state.closed_from is not None:
            first_day = max(first_day, min(clock.local_date(state.as_of), b.today) - timedelta(1))
        open_rows = _open_rows(b)
        daily = 0
        for model, person in ((SlaDailyCount, False), (SlaDailyPersonCount, True)):
            daily += _closed_rows(model, first_day, person=person)
            daily += _missed_open_rows(model, b, person=person)
            model.objects.filter(day__lt=b.window_start).delete()
        state.as_of = now
        state.closed_from = first_day
        if full or first_day == b.window_start:
            state.full_at = now
        state.open_rows = open_rows
        state.daily_rows = daily
        state.duration_ms = int((_time.perf_counter() - started) * 1000)
        state.save()
    return state


def refresh_sla_summary_full(*, now: datetime | None = None) -> SlaRefresh:
    return refresh_sla_summary(now=now, full=True)
