"""Repairs reports (issue 21): turnaround, first-pass QC yield and second repairs, warranty
against paid, top faults. All of them count the units SHIPPED in the period (by month of
shipment, Asia/Shanghai), within the caller's visibility (RepairOrder.visible_to) and, when
asked, one branch of it; they read the partial index on shipped_at, never the whole table.

- Turnaround: the working hours (platform calendar, working hours only) from pickup to shipment,
  stored on the order when it ships (RepairOrder.turnaround_hours); median and 90th percentile
  per lot tier (lot of 1, 2–3, 4 and more units: the seed's limit tiers) and month.
- First-pass QC yield: shipped units that passed QC the first time (qc_failures = 0) among those
  that went through QC (repair_count ≥ 1); second-repair rate: units repaired more than once
  (repair_count ≥ 2: a QC failure sends a unit back to repair) among the repaired ones.
- Warranty against paid: shipped units by service type (free, paid, contract, undecided).
- Top faults: the fault the order records (fault_description, as entered, trimmed), by model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import connection
from django.db.models import Aggregate, Case, Count, FloatField, Q, Value, When
from django.db.models.functions import Left, Trim, TruncMonth
from django.utils.translation import gettext_lazy as _

from network.choices import OrgKind
from network.models import OrgUnit
from network.visibility import sees_everything, user_org_unit
from service_ops.workcalendar import clock
from service_ops.workcalendar.clock import add_months

from ..models import RepairOrder

MAX_MONTHS = 24
DEFAULT_MONTHS = 3
TOP_MODELS = 20
TOP_FAULTS = 30
TIERS = (("1", _("单台批次")), ("2-3", _("2–3 台批次")), ("4+", _("4 台及以上批次")))
SERVICE_TYPES = (
    ("free", _("保修免费")),
    ("paid", _("收费")),
    ("contract", _("合同服务")),
    ("", _("未判定")),
)


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(f) WITHIN GROUP (ORDER BY expr)."""

    function = "percentile_cont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


# --- the filters ------------------------------------------------------------------------------


def _month(value: str | None) -> date | None:
    try:
        year, month = (int(x) for x in (value or "").split("-")[:2])
        return date(year, month, 1)
    except (TypeError, ValueError):
        return None


@dataclass
class Filters:
    start: date  # first day of the first month
    end: date  # first day of the last month (included)
    branch: OrgUnit | None
    branches: list = field(default_factory=list)  # the branch choices in the caller's scope

    @property
    def months(self) -> list[date]:
        out, m = [], self.start
        while m <= self.end:
            out.append(m)
            m = add_months(m, 1)
        return out

    def as_params(self) -> dict:
        params = {"start": f"{self.start:%Y-%m}", "end": f"{self.end:%Y-%m}"}
        if self.branch is not None:
            params["branch"] = str(self.branch.pk)
        return params


def branch_choices(user) -> list[OrgUnit]:
    qs = OrgUnit.objects.filter(kind=OrgKind.BRANCH).only("pk", "name", "path").order_by("name")
    if not sees_everything(user):
        unit = user_org_unit(user)
        if unit is None or unit.is_partner:
            return []
        qs = qs.filter(path__startswith=unit.path)
    return list(qs)


def filters_from(params, user, today: date) -> Filters:
    this_month = today.replace(day=1)
    end = _month(params.get("end")) or this_month
    start = _month(params.get("start")) or add_months(end, -(DEFAULT_MONTHS - 1))
    if end < start:
        start, end = end, start
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        start = add_months(end, -(MAX_MONTHS - 1))
    branches = branch_choices(user)
    branch = None
    wanted = str(params.get("branch") or "")
    if wanted.isdigit():
        branch = next((b for b in branches if b.pk == int(wanted)), None)
    return Filters(start=start, end=end, branch=branch, branches=branches)


def shipped(user, f: Filters, since: datetime | None = None):
    """The shipped units of the period in the caller's scope (and branch); `since`: from then
    on only (the part the roll-ups do not hold)."""
    lo = since or clock.at_local(f.start, time(0))
    hi = clock.at_local(add_months(f.end, 1), time(0))
    qs = RepairOrder.objects.visible_to(user).filter(shipped_at__gte=lo, shipped_at__lt=hi)
    if f.branch is not None:
        qs = qs.filter(branch=f.branch)
    return qs


def month_key(value) -> date:
    if isinstance(value, datetime):
        return clock.local_date(value).replace(day=1) if value.tzinfo else value.date()
    return value.replace(day=1)


def _tier_expr():
    return Case(
        When(lot__size__lte=1, then=Value("1")),
        When(lot__size__lte=3, then=Value("2-3")),
        default=Value("4+"),
    )


# --- turnaround -------------------------------------------------------------------------------


@dataclass
class TurnaroundRow:
    month: date
    tier: str
    tier_label: str
    units: int
    median: float | None
    p90: float | None


def _percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (as percentile_cont)."""
    if not values:
        return None
    values = sorted(values)
    pos = (len(values) - 1) * fraction
    low = int(pos)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (pos - low)


def turnaround_groups(qs, *by: str) -> dict:
    """{(month shipped, tier, *by): (units, median, p90)} of the shipped orders `qs`."""
    qs = qs.filter(turnaround_hours__isnull=False)
    qs = qs.annotate(m=TruncMonth("shipped_at"), tier=_tier_expr())
    if connection.vendor == "postgresql":
        rows = qs.values("m", "tier", *by).annotate(
            units=Count("pk"),
            median=Percentile("turnaround_hours", 0.5),
            p90=Percentile("turnaround_hours", 0.9),
        )
        return {
            (month_key(r["m"]), r["tier"], *(r[k] for k in by)): (
                r["units"],
                r["median"],
                r["p90"],
            )
            for r in rows
        }
    # SQLite (the embedded shape): percentiles in Python
    groups: dict = {}
    for m, tier, hours, *keys in qs.values_list("m", "tier", "turnaround_hours", *by):
        groups.setdefault((month_key(m), tier, *keys), []).append(hours)
    return {k: (len(v), _percentile(v, 0.5), _percentile(v, 0.9)) for k, v in groups.items()}


def _turnaround_found(user, f: Filters, until) -> dict:
    from ..models import TurnaroundMonth
    from .rollups import NotRolled, order_branches

    found: dict = {}
    since = None
    if until is not None:
        closed = month_key(until)  # months before the one the roll-ups end in are whole
        try:
            branch = order_branches(user, f.branch)
        except NotRolled:
            closed = None
        if closed is not None and closed > f.start:
            rows = TurnaroundMonth.objects.filter(
                month__gte=f.start, month__lte=f.end, month__lt=closed, branch_id=branch
            ).values_list("month", "tier", "units", "median", "p90")
            found = {(m, tier): (units, median, p90) for m, tier, units, median, p90 in rows}
            since = clock.at_local(closed, time(0))
    if since is None or since < clock.at_local(add_months(f.end, 1), time(0)):
        found.update(turnaround_groups(shipped(user, f, since)))
    return found


def turnaround(user, f: Filters) -> list[TurnaroundRow]:
    """Closed months whose roll-up rows serve the caller's cut (every branch, or one) come from
    TurnaroundMonth; the rest (the current month, a province's branches) is computed live."""
    from .rollups import consistent

    found = consistent(lambda until: _turnaround_found(user, f, until))
    out = []
    for month in f.months:
        for tier, label in TIERS:
            units, median, p90 = found.get((month, tier), (0, None, None))
            out.append(TurnaroundRow(month, tier, label, units, _r(median), _r(p90)))
    return out


def _r(value):
    return round(float(value), 1) if value is not None else None


# --- QC yield and second repairs by model -------------------------------------------------------


@dataclass
class QcRow:
    model: str
    shipped: int
    repaired: int
    first_pass: int
    second_repair: int

    @property
    def yield_pct(self) -> float | None:
        return round(100.0 * self.first_pass / self.repaired, 1) if self.repaired else None

    @property
    def second_repair_pct(self) -> float | None:
        return round(100.0 * self.second_repair / self.repaired, 1) if self.repaired else None


def qc_by_model(user, f: Filters, limit: int | None = TOP_MODELS) -> list[QcRow]:
    rows = (
        shipped(user, f)
        .values("product_model")
        .annotate(
            shipped=Count("pk"),
            repaired=Count("pk", filter=Q(repair_count__gte=1)),
            first_pass=Count("pk", filter=Q(repair_count__gte=1, qc_failures=0)),
            second_repair=Count("pk", filter=Q(repair_count__gte=2)),
        )
        .order_by("-shipped", "product_model")
    )
    if limit:
        rows = rows[:limit]
    return [
        QcRow(r["product_model"], r["shipped"], r["repaired"], r["first_pass"], r["second_repair"])
        for r in rows
    ]


# --- warranty against paid by month -----------------------------------------------------------


@dataclass
class WarrantyRow:
    month: date
    counts: dict  # service type → units

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def pct(self, kind: str) -> float | None:
        return round(100.0 * self.counts.get(kind, 0) / self.total, 1) if self.total else None

    @property
    def cells(self) -> list[tuple[int, float | None]]:
        return [(self.counts.get(k, 0), self.pct(k)) for k, _label in SERVICE_TYPES]


def warranty_share(user, f: Filters) -> list[WarrantyRow]:
    rows = (
        shipped(user, f)
        .annotate(m=TruncMonth("shipped_at"))
        .values("m", "service_type")
        .annotate(units=Count("pk"))
        .order_by()
    )
    found: dict = {}
    for r in rows:
        found.setdefault(month_key(r["m"]), {})[r["service_type"] or ""] = r["units"]
    return [WarrantyRow(month, found.get(month, {})) for month in f.months]


# --- top faults by model ----------------------------------------------------------------------


@dataclass
class FaultRow:
    model: str
    fault: str
    units: int


def top_faults(user, f: Filters, limit: int | None = TOP_FAULTS) -> list[FaultRow]:
    rows = (
        shipped(user, f)
        .annotate(fault=Left(Trim("fault_description"), 60))
        .values("product_model", "fault")
        .annotate(units=Count("pk"))
        .order_by("-units", "product_model", "fault")
    )
    if limit:
        rows = rows[:limit]
    return [FaultRow(r["product_model"], r["fault"] or "", r["units"]) for r in rows]


REPORTS = {
    "turnaround": _("维修周转时间"),
    "qc": _("一次质检合格率与二次维修率"),
    "warranty": _("保修与收费占比"),
    "faults": _("型号常见故障"),
}
