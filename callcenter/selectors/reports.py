"""Figures of callbacks (回访统计) over a period, by the time each task closed: reached against
not reached, valid against invalid, satisfaction by department (the purpose's team and the
branch) and by month. One aggregate query per table, whatever the period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from service_ops.workcalendar import clock

from ..choices import CallbackPurpose, CallbackState, CloseReason
from ..models import CallbackRequest, CallbackRules


def _figures(threshold: int) -> dict:
    return {
        "closed": Count("id", filter=Q(state__in=[CallbackState.DONE, CallbackState.UNREACHED])),
        "reached": Count("id", filter=Q(state=CallbackState.DONE)),
        "unreached": Count("id", filter=Q(state=CallbackState.UNREACHED)),
        "valid": Count("id", filter=Q(state=CallbackState.DONE, is_valid=True)),
        "invalid": Count("id", filter=Q(state=CallbackState.DONE, is_valid=False)),
        "dissatisfied": Count(
            "id",
            filter=Q(state=CallbackState.DONE, is_valid=True, satisfaction__lte=threshold),
        ),
        "skipped": Count(
            "id",
            filter=Q(state=CallbackState.CANCELLED, close_reason=CloseReason.RECENTLY_SURVEYED),
        ),
        "average": Avg("satisfaction", filter=Q(state=CallbackState.DONE, is_valid=True)),
    }


@dataclass
class Row:
    key: object = None
    label: str = ""
    closed: int = 0
    reached: int = 0
    unreached: int = 0
    valid: int = 0
    invalid: int = 0
    dissatisfied: int = 0
    skipped: int = 0
    average: float | None = None

    @property
    def average_text(self) -> str:
        if self.average is None:
            return "—"
        return str(Decimal(str(self.average)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    @property
    def reach_rate(self) -> str:
        if not self.closed:
            return "—"
        return f"{100 * self.reached / self.closed:.1f}%"

    @property
    def satisfied_rate(self) -> str:
        if not self.valid:
            return "—"
        return f"{100 * (self.valid - self.dissatisfied) / self.valid:.1f}%"


@dataclass
class Report:
    start: date
    end: date
    total: Row
    by_purpose: list[Row] = field(default_factory=list)
    by_unit: list[Row] = field(default_factory=list)
    by_month: list[Row] = field(default_factory=list)


def _period(qs: QuerySet, start: date, end: date) -> QuerySet:
    return qs.filter(
        closed_at__gte=clock.at_local(start, time(0)),
        closed_at__lt=clock.at_local(end + timedelta(days=1), time(0)),
    )


def _row(values: dict, key=None, label="") -> Row:
    names = ("closed", "reached", "unreached", "valid", "invalid", "dissatisfied", "skipped")
    return Row(
        key=key,
        label=label,
        average=values.get("average"),
        **{n: values.get(n) or 0 for n in names},
    )


def callback_summary(start: date, end: date, qs: QuerySet | None = None) -> Row:
    qs = CallbackRequest.objects.all() if qs is None else qs
    threshold = CallbackRules.current().dissatisfied_at_most
    return _row(_period(qs, start, end).aggregate(**_figures(threshold)))


def callback_report(start: date, end: date, qs: QuerySet | None = None) -> Report:
    qs = CallbackRequest.objects.all() if qs is None else qs
    threshold = CallbackRules.current().dissatisfied_at_most
    period = _period(qs, start, end)
    figures = _figures(threshold)
    total = _row(period.aggregate(**figures))
    labels = dict(CallbackPurpose.choices)
    by_purpose = [
        _row(v, v["purpose"], str(labels.get(v["purpose"], v["purpose"])))
        for v in period.values("purpose").annotate(**figures).order_by("purpose")
    ]
    by_unit = [
        _row(v, v["org_unit_id"], v["org_unit__name"] or "—")
        for v in period.values("org_unit_id", "org_unit__name")
        .annotate(**figures)
        .order_by("org_unit__name", "org_unit_id")
    ]
    zone = timezone.get_default_timezone()
    by_month = [
        _row(v, v["month"], timezone.localtime(v["month"], zone).strftime("%Y-%m"))
        for v in period.annotate(month=TruncMonth("closed_at", tzinfo=zone))
        .values("month")
        .annotate(**figures)
        .order_by("month")
    ]
    return Report(
        start=start, end=end, total=total, by_purpose=by_purpose, by_unit=by_unit, by_month=by_month
    )


def default_period(today: date) -> tuple[date, date]:
    """This month so far."""
    return today.replace(day=1), today


def period_from(params, today: date) -> tuple[date, date]:
    def day(name):
        try:
            return date.fromisoformat(params.get(name, ""))
        except ValueError:
            return None

    start, end = day("start"), day("end")
    default_start, default_end = default_period(today)
    start, end = start or default_start, end or default_end
    if end < start:
        start, end = end, start
    if (end - start).days > 366 * 2:  # bounded: two years at most
        start = end - timedelta(days=366 * 2)
    return start, end


def as_datetime(day: date) -> datetime:
    return clock.at_local(day, time(0))
