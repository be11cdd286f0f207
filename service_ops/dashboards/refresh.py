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

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from service_ops import plugins
from service_ops.deadlines.models import OPEN_STATUSES, Deadline, DeadlineStatus
from service_ops.workcalendar import clock

from .models import (
    SlaDailyCount,
    SlaDailyPersonCount,
    SlaOpenCount,
    SlaPartnerDailyCount,
    SlaPartnerOpenCount,
    SlaRefresh,
)

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


# --- the partner a timer's owner belongs to (DeadlineKind.partner) ---------------------------


def partner_kinds() -> dict[str, tuple[str, str]]:
    """{kind: (owner model label, path to its partner unit)} of the kinds that declare one."""
    return {k: d.partner for k, d in plugins.deadline_kinds().items() if d.partner}


def partner_expr():
    """The timer's partner unit id read from its owner (a correlated subquery per declaring
    kind, by the owner's primary key), NULL for other kinds; None when no kind declares one.
    The platform reaches the owner's model through the app registry, never by an import."""
    whens = []
    for kind, (label, path) in sorted(partner_kinds().items()):
        try:
            model = apps.get_model(label)
        except LookupError:  # the declaring app's model is not installed
            continue
        owner_type = ContentType.objects.get_for_model(model)
        owner = model._base_manager.filter(pk=OuterRef("owner_id")).values(path)[:1]
        whens.append(When(kind=kind, owner_type_id=owner_type.pk, then=Subquery(owner)))
    if not whens:
        return None
    return Case(*whens, default=Value(None), output_field=BigIntegerField())


def partner_in_q(ids: list[int]) -> Q | None:
    """The timers whose owner's partner is one of `ids`: per declaring kind, its owners with
    such a partner (one uncorrelated subquery each, read once by its index on the partner);
    None when no kind declares one."""
    q = Q()
    for kind, (label, path) in sorted(partner_kinds().items()):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        owner_type = ContentType.objects.get_for_model(model)
        owners = model._base_manager.filter(**{f"{path}__in": ids}).values("pk")
        q |= Q(kind=kind, owner_type_id=owner_type.pk, owner_id__in=owners)
    return q or None


def _with_partner(qs: QuerySet) -> QuerySet | None:
    """`qs` of the declaring kinds, with `partner_unit` and only the rows that have one."""
    expr = partner_expr()
    if expr is None:
        return None
    return (
        qs.filter(kind__in=sorted(partner_kinds()))
        .annotate(partner_unit=expr)
        .filter(partner_unit__isnull=False)
    )


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
    n = _insert_select(SlaOpenCount, qs, columns)
    SlaPartnerOpenCount.objects.all().delete()
    partnered = _with_partner(Deadline.objects.filter(status__in=OPEN_STATUSES))
    if partnered is not None:
        qs = (
            partnered.order_by()
            .values("org_unit_id", "partner_unit")
            .annotate(n_open=Count("pk"), **{f"n_{k}": v for k, v in counts.items()})
        )
        columns = {
            "org_unit_id": "org_unit_id",
            "partner_unit": "partner_id",
            "n_open": "open",
            **{f"n_{k}": k for k in counts},
        }
        n += _insert_select(SlaPartnerOpenCount, qs, columns)
    return n


def _day(field: str):
    return TruncDate(field, tzinfo=clock.ZONE)


def _keys(mode: str) -> list[str]:
    if mode == "partner":
        return ["org_unit_id", "partner_unit"]
    return ["kind", "org_unit_id"] + (["assignee_id"] if mode == "person" else [])


def _scoped(qs: QuerySet, mode: str) -> QuerySet | None:
    if mode == "person":
        return qs.filter(assignee__isnull=False)
    if mode == "partner":
        return _with_partner(qs)
    return qs


def _columns(keys: list[str]) -> dict[str, str]:
    return {key: ("partner_id" if key == "partner_unit" else key) for key in keys}


def _closed_rows(model, first_day: date, *, mode: str) -> int:
    """`mode`: "all" (every timer), "person" (those with an assignee, per person) or "partner"
    (those whose owner belongs to a partner, per partner, without the kind)."""
    keys = ["d", *_keys(mode)]
    model.objects.filter(is_open=False, day__gte=first_day).delete()
    qs = _scoped(
        Deadline.objects.filter(
            status__in=CLOSED, closed_at__gte=clock.at_local(first_day, time(0))
        ),
        mode,
    )
    if qs is None:
        return 0
    qs = (
        qs.order_by()
        .annotate(d=_day("closed_at"))
        .values(*keys)
        .annotate(
            n_met=Count("pk", filter=Q(status=DeadlineStatus.MET)),
            n_late=Count("pk", filter=Q(status=DeadlineStatus.LATE)),
        )
    )
    columns = _columns(keys) | {"d": "day", "n_met": "met", "n_late": "late"}
    return _insert_select(model, qs, columns)


def _missed_open_rows(model, b: Bounds, *, mode: str) -> int:
    keys = ["d", "flag", *_keys(mode)]
    model.objects.filter(is_open=True).delete()
    qs = _scoped(
        Deadline.objects.filter(status__in=OPEN_STATUSES)
        .filter(bucket_q("missed_open", b))
        .filter(due_at__gte=clock.at_local(b.window_start, time(0))),
        mode,
    )
    if qs is None:
        return 0
    qs = (
        qs.order_by()
        .annotate(d=_day("due_at"), flag=Value(True))
        .values(*keys)
        .annotate(n=Count("pk"))
    )
    columns = _columns(keys) | {"d": "day", "flag": "is_open", "n": "missed_open"}
    return _insert_select(model, qs, columns)


DAILY_MODELS = (
    (SlaDailyCount, "all"),
    (SlaDailyPersonCount, "person"),
    (SlaPartnerDailyCount, "partner"),
)


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
        for model, mode in DAILY_MODELS:
            daily += _closed_rows(model, first_day, mode=mode)
            daily += _missed_open_rows(model, b, mode=mode)
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
