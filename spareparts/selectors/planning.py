"""Reads of material planning (物料计划): the parts below their reorder point, computed live, and
the consumption report (parts issued and sold, by part and month, for a product model the parts
fit) that feeds the parts supervisor's plan."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from service_ops.workcalendar.clock import add_months

from ..choices import MovementKind
from ..models import (
    ConsumptionMonth,
    ConsumptionRollup,
    Part,
    PartFit,
    ReorderPoint,
    StockBalance,
    StockMovement,
)

CONSUMED = (MovementKind.ISSUE, MovementKind.SALE)
REPORT_TOP = 50  # lines a page of the consumption report (the biggest first)
MAX_MONTHS = 24
GROUP_PART, GROUP_MODEL = "part", "model"
GROUPS = (GROUP_PART, GROUP_MODEL)


def below_reorder_points(*, warehouse_id: int | None = None, limit: int = 500):
    """Reorder points whose available quantity (on hand − reserved; no balance row = 0) is below
    their minimum, with the shortfall to order; one query, bounded."""
    balance = StockBalance.objects.filter(
        part_id=OuterRef("part_id"), warehouse_id=OuterRef("warehouse_id")
    )
    qs = (
        ReorderPoint.objects.select_related("part", "warehouse")
        .annotate(
            available=Coalesce(
                Subquery(
                    balance.annotate(a=F("on_hand") - F("reserved")).values("a")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
        .filter(available__lt=F("minimum"))
        .order_by("warehouse__code", "part__number")
    )
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    return list(qs[:limit])


def month_start(month: date) -> datetime:
    """The aware moment a (local) month begins."""
    return datetime.combine(month.replace(day=1), time.min, tzinfo=timezone.get_current_timezone())


def next_month(month: date) -> date:
    return add_months(month, 1)


def months_between(since: date, until: date) -> list[date]:
    months, m = [], since.replace(day=1)
    while m <= until:
        months.append(m)
        m = next_month(m)
    return months


@dataclass
class ConsumptionLine:
    """One part (or one product model) of the report: per month the quantity consumed (issued +
    sold), and over the period the issued, the sold and their total."""

    key: int | str
    label: str
    number: str
    months: list[int]
    issued: int
    sold: int

    @property
    def total(self) -> int:
        return self.issued + self.sold


@dataclass
class ConsumptionReport:
    since: date
    until: date
    group: str
    months: list[date]
    lines: list[ConsumptionLine]
    keys: int  # how many parts (models) consumed anything in the period
    issued: int  # the period's issues and sales, every part (not only the lines shown)
    sold: int
    after: str = ""  # the cursor of this page ("" on the first)
    more: str = ""  # the cursor of the next page, "" when this is the last
    live_from: date | None = None  # the first month read live from the ledger (not rolled up)
    rolled: set = field(default_factory=set)  # the months read from the roll-up

    @property
    def total(self) -> int:
        return self.issued + self.sold

    @property
    def month_totals(self) -> list[int]:
        """Per month, the lines shown."""
        return [sum(line.months[i] for line in self.lines) for i in range(len(self.months))]

    @property
    def shown_total(self) -> int:
        return sum(line.total for line in self.lines)


def _sums(qs, *fields):
    """issued / sold of ledger movements (their on-hand changes are negative)."""
    return qs.values(*fields).annotate(
        issued=Coalesce(-Sum("on_hand_change", filter=Q(kind=MovementKind.ISSUE)), Value(0)),
        sold=Coalesce(-Sum("on_hand_change", filter=Q(kind=MovementKind.SALE)), Value(0)),
    )


def _live_ranges(live: list[date]) -> Q:
    """The months not rolled up as ranges of created_at, each run of consecutive months one
    range (usually one: the current month; or the months before the ledger's first
    consumption, never rolled up, and the current one)."""
    runs: list[list[date]] = []
    for month in live:
        if runs and next_month(runs[-1][1]) == month:
            runs[-1][1] = month
        else:
            runs.append([month, month])
    condition = Q()
    for first, last in runs:
        condition |= Q(
            created_at__gte=month_start(first), created_at__lt=month_start(next_month(last))
        )
    return condition


def _cursor(raw: str, group: str) -> tuple[int, int | str] | None:
    total, _sep, key = (raw or "").partition("~")
    if not total.isdigit() or not key:
        return None
    if group == GROUP_PART:
        return (int(total), int(key)) if key.isdigit() else None
    return int(total), key[:60]


def consumption_report(
    *,
    since: date,
    until: date,
    group: str = GROUP_PART,
    product_model: str = "",
    after: str = "",
    limit: int = REPORT_TOP,
) -> ConsumptionReport:
    """The consumption (领用出库 + 销售出库) of the months `since`..`until` (their first days),
    grouped by part or by the product model the parts fit (a part fitting two models counts for
    each), the biggest first, `limit` lines a page with a keyset cursor (`after`: "total~key").

    Closed months come from the monthly roll-up (ConsumptionMonth); the months not rolled up yet
    (the current one, or any the daily job has not reached) are summed live from the ledger's
    consumption index. A constant number of queries, whatever the period or the ledger's size:
    the rolled months; the live rows by key and month; the rolled totals by key; the page's
    rolled cells; the page's labels; the period's totals (rolled, live)."""
    group = group if group in GROUPS else GROUP_PART
    since, until = since.replace(day=1), until.replace(day=1)
    months = months_between(since, until)
    index = {m: i for i, m in enumerate(months)}
    rolled = set(
        ConsumptionRollup.objects.filter(month__gte=since, month__lte=until).values_list(
            "month", flat=True
        )
    )
    live = [m for m in months if m not in rolled]
    product_model = (product_model or "").strip()
    key_field = "part_id" if group == GROUP_PART else "part__fits__product_model"

    rolled_parts = ConsumptionMonth.objects.filter(month__in=rolled)
    live_parts = StockMovement.objects.none()
    if live:
        live_parts = StockMovement.objects.filter(_live_ranges(live), kind__in=CONSUMED)
    if product_model:
        fitting = PartFit.objects.filter(product_model__iexact=product_model).values("part_id")
        rolled_parts = rolled_parts.filter(part_id__in=fitting)
        live_parts = live_parts.filter(part_id__in=fitting)
    rolled_keyed, live_keyed = rolled_parts, live_parts
    if group == GROUP_MODEL and product_model:
        rolled_keyed = rolled_keyed.filter(part__fits__product_model__iexact=product_model)
        live_keyed = live_keyed.filter(part__fits__product_model__iexact=product_model)

    def month_of(value) -> date:
        return value.date() if isinstance(value, datetime) else value

    # the live rows by key and month (the months not rolled up: few), kept for the page's cells
    live_rows = []
    if live:
        monthly = _sums(live_keyed.annotate(month=TruncMonth("created_at")), key_field, "month")
        for r in monthly:
            month = month_of(r["month"])
            if month in index and month not in rolled:
                live_rows.append((r[key_field], month, r["issued"], r["sold"]))

    totals: dict = defaultdict(lambda: [0, 0])
    for r in rolled_keyed.values(key_field).annotate(i=Sum("issued"), s=Sum("sold")):
        t = totals[r[key_field]]
        t[0] += r["i"] or 0
        t[1] += r["s"] or 0
    for key, _month, issued, sold in live_rows:
        t = totals[key]
        t[0] += issued
        t[1] += sold
    ranked = sorted(
        ((i + s, key) for key, (i, s) in totals.items() if key is not None and i + s),
        key=lambda x: (-x[0], x[1]),
    )
    everyone = len(ranked)
    cursor = _cursor(after, group)
    if cursor is not None:
        ranked = [x for x in ranked if (-x[0], x[1]) > (-cursor[0], cursor[1])]
    page, rest = ranked[:limit], ranked[limit:]
    keys = [key for _total, key in page]

    cells: dict = {key: [0] * len(months) for key in keys}
    if keys:
        page_rows = (
            rolled_keyed.filter(**{f"{key_field}__in": keys})
            .values(key_field, "month")
            .annotate(i=Sum("issued"), s=Sum("sold"))
        )
        for r in page_rows:
            cells[r[key_field]][index[r["month"]]] += (r["i"] or 0) + (r["s"] or 0)
    for key, month, issued, sold in live_rows:
        if key in cells:
            cells[key][index[month]] += issued + sold

    labels = {}
    if group == GROUP_PART and keys:
        for part in Part.objects.filter(pk__in=keys).only("number", "name_zh", "name_en"):
            labels[part.pk] = (part.number, part.name)
    lines = [
        ConsumptionLine(
            key=key,
            number=labels[key][0] if key in labels else str(key),
            label=labels[key][1] if key in labels else "",
            months=cells[key],
            issued=totals[key][0],
            sold=totals[key][1],
        )
        for key in keys
    ]

    # the period's totals over every part, each movement once (not once per model it fits)
    whole = rolled_parts.aggregate(i=Sum("issued"), s=Sum("sold"))
    issued, sold = whole["i"] or 0, whole["s"] or 0
    if live:
        for r in _sums(live_parts.annotate(month=TruncMonth("created_at")), "month"):
            month = month_of(r["month"])
            if month in index and month not in rolled:
                issued += r["issued"]
                sold += r["sold"]
    return ConsumptionReport(
        since=since,
        until=until,
        group=group,
        months=months,
        lines=lines,
        keys=everyone,
        issued=issued,
        sold=sold,
        after=after if cursor is not None else "",
        more=f"{page[-1][0]}~{page[-1][1]}" if rest else "",
        live_from=live[0] if live else None,
        rolled=rolled,
    )
