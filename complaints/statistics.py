"""The complaint statistics (客诉统计, issue 18 item 6): complaints accepted in a period, counted by
category, responsible department, product model and month; the on-time rate of each stage (from
the deadline engine's records of the stage timers); the repeat complainants (the same customer or
serial number complaining twice or more in the period).

Reads only, scoped by the caller's visibility (Complaint.objects.visible_to). Every table is one
GROUP BY in the database: a constant number of queries whatever the period or the volume."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth, Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.workcalendar import clock

from .choices import Category, ComplaintState, Severity, Stage
from .models import Complaint
from .plugin import STAGE_KIND

S = ComplaintState
PRODUCT_LIMIT = 30  # product models shown (the most complained about first)
REPEAT_LIMIT = 50  # repeat customers and serials listed (the most complaints first)
MAX_DAYS = 366 * 2  # a period of two years at most


def _figures() -> dict:
    return {
        "total": Count("id"),
        "open": Count("id", filter=~Q(state__in=[S.CLOSED, S.INVALID])),
        "closed": Count("id", filter=Q(state=S.CLOSED)),
        "invalid": Count("id", filter=Q(state=S.INVALID)),
        "major": Count("id", filter=Q(severity=Severity.MAJOR)),
        "escalated": Count("id", filter=Q(escalation_level__gt=0)),
    }


FIGURES = ("total", "open", "closed", "invalid", "major", "escalated")


@dataclass
class Row:
    key: object = None
    label: str = ""
    total: int = 0
    open: int = 0
    closed: int = 0
    invalid: int = 0
    major: int = 0
    escalated: int = 0


def _row(values: dict, key=None, label: str = "") -> Row:
    return Row(key=key, label=label, **{name: values.get(name) or 0 for name in FIGURES})


@dataclass
class StageRow:
    """One stage's timers of the period's complaints: met before the due time, closed late,
    still open past it (breached); running and paused timers are not decided yet."""

    stage: str
    label: str
    met: int = 0
    late: int = 0
    breached: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.late + self.breached

    @property
    def on_time_rate(self) -> float | None:
        return self.met / self.decided if self.decided else None

    @property
    def on_time_text(self) -> str:
        rate = self.on_time_rate
        return "—" if rate is None else f"{100 * rate:.1f}%"


@dataclass
class Repeat:
    key: object
    label: str
    count: int
    detail: str = ""


@dataclass
class Statistics:
    start: date
    end: date
    total: Row
    by_category: list[Row] = field(default_factory=list)
    by_unit: list[Row] = field(default_factory=list)
    by_product: list[Row] = field(default_factory=list)
    by_month: list[Row] = field(default_factory=list)
    stages: list[StageRow] = field(default_factory=list)
    repeat_customers: list[Repeat] = field(default_factory=list)
    repeat_customer_count: int = 0
    repeat_serials: list[Repeat] = field(default_factory=list)
    repeat_serial_count: int = 0


# --- the period ------------------------------------------------------------------------------


def default_period(today: date) -> tuple[date, date]:
    """This year so far."""
    return today.replace(month=1, day=1), today


def period_from(params, today: date) -> tuple[date, date]:
    """from–to (`start`, `end`, ISO dates) of the query string; this year by default; swapped
    when reversed; two years at most."""

    def day(name):
        try:
            return date.fromisoformat(str(params.get(name, "") or ""))
        except ValueError:
            return None

    default_start, default_end = default_period(today)
    start, end = day("start") or default_start, day("end") or default_end
    if end < start:
        start, end = end, start
    if (end - start).days > MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS)
    return start, end


def in_period(qs: QuerySet, start: date, end: date) -> QuerySet:
    """Complaints accepted from `start` to `end`, both whole days in Asia/Shanghai."""
    return qs.filter(
        accepted_at__gte=clock.at_local(start, time(0)),
        accepted_at__lt=clock.at_local(end + timedelta(days=1), time(0)),
    )


# --- the figures -----------------------------------------------------------------------------


def stage_of_code(code: str) -> str:
    return (code or "").removeprefix("complaint-").removesuffix("-major")


def _stages(period: QuerySet) -> list[StageRow]:
    rows = (
        Deadline.objects.filter(
            kind=STAGE_KIND,
            owner_type=ContentType.objects.get_for_model(Complaint),
            owner_id__in=period.values("pk"),
        )
        .values("policy__code")
        .annotate(
            met=Count("id", filter=Q(status=DeadlineStatus.MET)),
            late=Count("id", filter=Q(status=DeadlineStatus.LATE)),
            breached=Count("id", filter=Q(status=DeadlineStatus.BREACHED)),
            pending=Count(
                "id", filter=Q(status__in=[DeadlineStatus.RUNNING, DeadlineStatus.PAUSED])
            ),
        )
        .order_by()
    )
    by_stage = {stage: StageRow(stage, str(label)) for stage, label in Stage.choices}
    for values in rows:
        row = by_stage.get(stage_of_code(values["policy__code"]))
        if row is None:
            continue
        row.met += values["met"]
        row.late += values["late"]
        row.breached += values["breached"]
        row.pending += values["pending"]
    return list(by_stage.values())


def _repeats(period: QuerySet) -> tuple[list[Repeat], int, list[Repeat], int]:
    customers = (
        period.filter(customer__isnull=False)
        .values("customer_id", "customer__name", "customer__phone")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
    )
    customer_rows = [
        Repeat(v["customer_id"], v["customer__name"], v["n"], v["customer__phone"])
        for v in customers.order_by("-n", "customer_id")[:REPEAT_LIMIT]
    ]
    serials = (
        period.exclude(serial_number="")
        .annotate(serial=Upper("serial_number"))
        .values("serial")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
    )
    serial_rows = [
        Repeat(v["serial"], v["serial"], v["n"])
        for v in serials.order_by("-n", "serial")[:REPEAT_LIMIT]
    ]
    customer_count = len(customer_rows) if len(customer_rows) < REPEAT_LIMIT else customers.count()
    serial_count = len(serial_rows) if len(serial_rows) < REPEAT_LIMIT else serials.count()
    return customer_rows, customer_count, serial_rows, serial_count


def complaint_statistics(user, start: date, end: date) -> Statistics:
    """The statistics page's figures for the complaints `user` may see, accepted in the period."""
    period = in_period(Complaint.objects.visible_to(user), start, end).order_by()
    figures = _figures()
    total = _row(period.aggregate(**figures), label=_("合计"))
    categories = dict(Category.choices)
    by_category = [
        _row(v, v["category"], str(categories.get(v["category"], v["category"])))
        for v in period.values("category").annotate(**figures).order_by("-total", "category")
    ]
    by_unit = [
        _row(
            v,
            v["responsible_unit_id"],
            v["responsible_unit__name"] or _("未确定"),
        )
        for v in period.values("responsible_unit_id", "responsible_unit__name")
        .annotate(**figures)
        .order_by("-total", "responsible_unit__name")
    ]
    by_product = [
        _row(v, v["product_model"], v["product_model"] or _("未填写"))
        for v in period.values("product_model")
        .annotate(**figures)
        .order_by("-total", "product_model")[:PRODUCT_LIMIT]
    ]
    zone = timezone.get_default_timezone()
    by_month = [
        _row(v, v["month"], timezone.localtime(v["month"], zone).strftime("%Y-%m"))
        for v in period.annotate(month=TruncMonth("accepted_at", tzinfo=zone))
        .values("month")
        .annotate(**figures)
        .order_by("month")
    ]
    customers, customer_count, serials, serial_count = _repeats(period)
    return Statistics(
        start=start,
        end=end,
        total=total,
        by_category=by_category,
        by_unit=by_unit,
        by_product=by_product,
        by_month=by_month,
        stages=_stages(period),
        repeat_customers=customers,
        repeat_customer_count=customer_count,
        repeat_serials=serials,
        repeat_serial_count=serial_count,
    )


def chart_data(stats: Statistics) -> dict:
    """What the page's charts draw (complaints/static/complaints/statistics.js)."""
    return {
        "months": [row.label for row in stats.by_month],
        "month_total": [row.total for row in stats.by_month],
        "month_escalated": [row.escalated for row in stats.by_month],
        "categories": [{"name": row.label, "value": row.total} for row in stats.by_category],
        "stages": [row.label for row in stats.stages],
        "stage_rate": [
            round(100 * row.on_time_rate, 1) if row.on_time_rate is not None else None
            for row in stats.stages
        ],
        "units": [row.label for row in stats.by_unit[:15]],
        "unit_total": [row.total for row in stats.by_unit[:15]],
    }
