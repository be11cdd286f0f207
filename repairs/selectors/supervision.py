"""The supervisors' reports of issue 21 (items 3–5): field visits, penalties and the happy fund,
and the technicians' monthly evaluation. Same filters as the repairs reports (months, a branch of
the caller's scope: reports.filters_from); every query is scoped by the caller (`visible_to`).
What each figure counts is written here once and on the page (templates/repairs/supervision.html).

Field visits (ServiceRequest, Dispatch, Visit), by month and by service point:
- solved: requests whose solved_at falls in the month and that are solved or closed now (one
  reopened by a dissatisfied callback and not solved again is not counted);
- first-time fix: of them, never escalated (escalation_count = 0) and exactly one visit that was
  not cancelled;
- escalated: of them, escalated at least once; re-dispatched: of them, offered (派单) two or more
  times, whatever the earlier offers' end (declined, expired, withdrawn, escalated and sent again);
- time to accept: the mean of offer → acceptance (Dispatch.offered_at → answered_at) over the
  accepted offers of those requests; time to solve: the mean of reported → solved (created_at →
  solved_at). Both in elapsed (calendar) hours: neither is stored in working hours;
- visits on time / late / not checked in: the visits (not cancelled) whose appointment window
  ended in the month, and before now: checked in by the window's end, after it, or not at all.
  A service request goes under the point it was assigned to, a visit under the point that made
  it; "own engineers" are those with no point (the field office's engineers).

Penalties (repairs' Penalty of unauthorised arrivals) by the month the arrival was recorded (when
the penalties are proposed), by the unit held responsible and by person: fines proposed, of them
confirmed (count and amount), waived, still to decide (count and the range of their amounts);
points proposed, confirmed (points deducted), waived. The happy fund (HappyFundEntry) by the
month of its entries: inflow (positive amounts), outflow (negative), the balance at the month's
end; the fund is one ledger for the whole company, shown to those who may open the fund's page.
Complaints' penalties (complaints.ComplaintPenalty) are not paid into the fund (nothing in the
seed or the code says so): they are shown apart, through the hook `penalty_summary`.

Technicians' monthly evaluation (技术员月度考评), per person and month:
- workshop technicians: the repair orders they picked up that shipped in the month (units); second
  repairs: of them, repaired twice or more (a QC failure sends a unit back to repair) or returned
  again (another repair order of the same serial created within REPEAT_RETURN_DAYS of shipment);
- field engineers: their visits finished in the month (solved or not) (units); second repairs: of
  them, those followed by another visit (not solved the first time, or reopened);
- callbacks on that work (the call centre's, through the hook `callback_outcomes`): closed
  (reached or given up), reached, satisfied and dissatisfied (the call centre's threshold);
- complaints attributed: complaints (not invalid) accepted in the month naming them the
  responsible person (hook `person_complaints`, as the caller may see complaints);
- score = 100 − 5 × second repairs − 10 × dissatisfied callbacks − 10 × complaints, never below 0
  (EVALUATION_WEIGHTS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.visibility import sees_everything
from service_ops import plugins
from service_ops.workcalendar import clock
from service_ops.workcalendar.clock import add_months

from ..choices import (
    DispatchState,
    PenaltyKind,
    PenaltyState,
    ServiceRequestState,
    VisitState,
)
from ..models import (
    Dispatch,
    FieldRequestMonth,
    FieldVisitMonth,
    HappyFundEntry,
    Penalty,
    RepairOrder,
    ServiceRequest,
    TechnicianMonth,
    Visit,
)
from .reports import Filters, month_key
from .rollups import NotRolled, consistent, field_scope, live_since, order_scope

TOP_POINTS = 30
TOP_UNITS = 30
TOP_PEOPLE = 30
PAGE_ROWS = 200  # the technicians' table on the page; the Excel export holds every row
REPEAT_RETURN_DAYS = 90
# 技术员月度考评: the score's deductions, in one place (stated on the page)
EVALUATION_WEIGHTS = {"base": 100, "second_repair": 5, "dissatisfied": 10, "complaint": 10}

REPORTS = {
    "field": _("上门服务统计"),
    "penalties": _("负激励与快乐基金"),
    "technicians": _("技术员月度考评"),
}


def period(f: Filters):
    return clock.at_local(f.start, time(0)), clock.at_local(add_months(f.end, 1), time(0))


def _pct(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def _elapsed(later: str, earlier: str):
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


# --- field visits -----------------------------------------------------------------------------


@dataclass
class FieldRow:
    key: object  # a month (date) or a service point's id (None: own engineers)
    label: str = ""
    solved: int = 0
    first_time_fix: int = 0
    escalated: int = 0
    redispatched: int = 0
    accept_hours: float | None = None
    solve_hours: float | None = None
    visits_due: int = 0
    on_time: int = 0
    late: int = 0
    not_checked_in: int = 0

    @property
    def ftf_pct(self):
        return _pct(self.first_time_fix, self.solved)

    @property
    def on_time_pct(self):
        return _pct(self.on_time, self.visits_due)


def _in_branch(qs, f: Filters, org_field: str):
    if f.branch is not None:
        qs = qs.filter(**{f"{org_field}__path__startswith": f.branch.path})
    return qs


def solved_requests(user, f: Filters, since=None):
    """`since`: the live part only (what the roll-ups do not hold yet)."""
    lo, hi = period(f)
    qs = ServiceRequest.objects.visible_to(user).filter(
        solved_at__gte=since or lo,
        solved_at__lt=hi,
        state__in=[ServiceRequestState.SOLVED, ServiceRequestState.CLOSED],
    )
    return _in_branch(qs, f, "org_unit")


def due_visits(user, f: Filters, now=None, since=None):
    lo, hi = period(f)
    hi = min(hi, now or timezone.now())
    qs = (
        Visit.objects.visible_to(user)
        .filter(window_end__gte=since or lo, window_end__lt=hi)
        .exclude(state=VisitState.CANCELLED)
    )
    return _in_branch(qs, f, "request__org_unit")


def _seconds(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000  # SQLite: microseconds


def request_figures(qs, *by: str):
    """The solved requests' counts by `by`, with the sum of reported → solved (the mean is the
    sum over `solved`, so months and points add up from the roll-up rows)."""
    visits = (
        Visit.objects.filter(request=OuterRef("pk"))
        .exclude(state=VisitState.CANCELLED)
        .order_by()
        .values("request")
        .annotate(n=Count("pk"))
        .values("n")
    )
    offers = (
        Dispatch.objects.filter(request=OuterRef("pk"))
        .order_by()
        .values("request")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = qs.annotate(
        visit_n=Coalesce(Subquery(visits, output_field=IntegerField()), Value(0)),
        offer_n=Coalesce(Subquery(offers, output_field=IntegerField()), Value(0)),
    )
    return (
        qs.values(*by)
        .annotate(
            solved=Count("pk"),
            ftf=Count("pk", filter=Q(escalation_count=0, visit_n=1)),
            escalated=Count("pk", filter=Q(escalation_count__gte=1)),
            redispatched=Count("pk", filter=Q(offer_n__gte=2)),
            solve=Sum(_elapsed("solved_at", "created_at")),
        )
        .order_by()
    )


def accept_figures(requests, *by: str):
    """Offer → acceptance of the requests' accepted offers (a later withdrawal kept): the sum
    and the number of offers, by `by` (the request's columns as request__…, "m": the month the
    request was solved)."""
    offers = Dispatch.objects.filter(
        request__in=requests.values("pk"),
        state__in=[DispatchState.ACCEPTED, DispatchState.WITHDRAWN],
        answered_at__isnull=False,
    )
    if "m" in by:
        offers = offers.annotate(m=TruncMonth("request__solved_at"))
    return (
        offers.values(*by)
        .annotate(accept=Sum(_elapsed("answered_at", "offered_at")), accepted=Count("pk"))
        .order_by()
    )


def visit_figures(qs, *by: str):
    return (
        qs.values(*by)
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(checked_in_at__lte=F("window_end"))),
            late=Count("pk", filter=Q(checked_in_at__gt=F("window_end"))),
            missing=Count("pk", filter=Q(checked_in_at__isnull=True)),
        )
        .order_by()
    )


@dataclass
class _FieldSums:
    solved: int = 0
    ftf: int = 0
    escalated: int = 0
    redispatched: int = 0
    solve: float = 0.0  # seconds
    accepted: int = 0
    accept: float = 0.0  # seconds
    due: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0

    def add(self, **numbers) -> None:
        for name, value in numbers.items():
            setattr(self, name, getattr(self, name) + (value or 0))


def _mean_hours(seconds: float, n: int):
    return round(seconds / n / 3600, 1) if n else None


def _field_row(key, label, sums: _FieldSums | None) -> FieldRow:
    row = FieldRow(key=key, label=label)
    if sums is not None:
        row.solved, row.first_time_fix = sums.solved, sums.ftf
        row.escalated, row.redispatched = sums.escalated, sums.redispatched
        row.solve_hours = _mean_hours(sums.solve, sums.solved)
        row.accept_hours = _mean_hours(sums.accept, sums.accepted)
        row.visits_due, row.on_time = sums.due, sums.on_time
        row.late, row.not_checked_in = sums.late, sums.missing
    return row


@dataclass
class FieldReport:
    months: list[FieldRow]
    points: list[FieldRow]
    total: FieldRow


def _field_sums(user, f: Filters, now, since) -> dict:
    """{(month, service point): _FieldSums}: the roll-up rows before `since`, the source rows
    from it (all live when `since` is None)."""
    found: dict = {}

    def at(month, point) -> _FieldSums:
        return found.setdefault((month_key(month), point), _FieldSums())

    if since is not None:
        branch = Q(org_unit__path__startswith=f.branch.path) if f.branch is not None else Q()
        rolled = FieldRequestMonth.objects.filter(month__gte=f.start, month__lte=f.end)
        rolled = rolled.filter(field_scope(user, "assigned_unit", "dealer"), branch)
        for r in (
            rolled.values("month", "assigned_unit")
            .annotate(
                s_solved=Sum("solved"),
                s_ftf=Sum("first_time_fix"),
                s_escalated=Sum("escalated"),
                s_redispatched=Sum("redispatched"),
                s_solve=Sum("solve_seconds"),
                s_accepted=Sum("accepted"),
                s_accept=Sum("accept_seconds"),
            )
            .order_by()
        ):
            at(r["month"], r["assigned_unit"]).add(
                **{k[2:]: v for k, v in r.items() if k.startswith("s_")}
            )
        rolled = FieldVisitMonth.objects.filter(month__gte=f.start, month__lte=f.end)
        rolled = rolled.filter(field_scope(user, "service_unit"), branch)
        for r in (
            rolled.values("month", "service_unit")
            .annotate(s_due=Sum("due"), s_on_time=Sum("on_time"), s_late=Sum("late"),
                      s_missing=Sum("missing"))
            .order_by()
        ):  # fmt: skip
            at(r["month"], r["service_unit"]).add(
                **{k[2:]: v for k, v in r.items() if k.startswith("s_")}
            )
    requests = solved_requests(user, f, since).annotate(m=TruncMonth("solved_at"))
    for r in request_figures(requests, "m", "assigned_unit"):
        at(r["m"], r["assigned_unit"]).add(
            solved=r["solved"], ftf=r["ftf"], escalated=r["escalated"],
            redispatched=r["redispatched"], solve=_seconds(r["solve"]),
        )  # fmt: skip
    for r in accept_figures(requests, "m", "request__assigned_unit"):
        at(r["m"], r["request__assigned_unit"]).add(
            accepted=r["accepted"], accept=_seconds(r["accept"])
        )
    visits = due_visits(user, f, now, since).annotate(m=TruncMonth("window_end"))
    for r in visit_figures(visits, "m", "service_unit"):
        at(r["m"], r["service_unit"]).add(
            due=r["due"], on_time=r["on_time"], late=r["late"], missing=r["missing"]
        )
    return found


def field_visits(user, f: Filters, *, now=None, top: int | None = TOP_POINTS) -> FieldReport:
    from network.models import OrgUnit

    lo, hi = period(f)
    found = consistent(lambda until: _field_sums(user, f, now, live_since(lo, hi, until)))
    by_month: dict = {}
    by_point: dict = {}
    for (month, point), sums in found.items():
        by_month.setdefault(month, _FieldSums()).add(**vars(sums))
        by_point.setdefault(point, _FieldSums()).add(**vars(sums))
    months = [_field_row(m, f"{m:%Y-%m}", by_month.get(m)) for m in f.months]
    # by service point over the whole period
    keys = {k for k, sums in by_point.items() if sums.solved or sums.due}
    names = dict(OrgUnit.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
    own = str(_("本单位工程师（无网点）"))
    points = [_field_row(k, names.get(k, own) if k else own, by_point[k]) for k in keys]
    points.sort(key=lambda r: (-r.solved, -r.visits_due, r.label))
    if top:
        points = points[:top]
    total = FieldRow(key=None, label=str(_("合计")))
    for row in months:
        for name in ("solved", "first_time_fix", "escalated", "redispatched", "visits_due",
                     "on_time", "late", "not_checked_in"):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return FieldReport(months=months, points=points, total=total)


# --- penalties and the happy fund --------------------------------------------------------------


def _penalty_counts():
    fine, points = Q(kind=PenaltyKind.FINE), Q(kind=PenaltyKind.POINTS)
    confirmed, waived = Q(state=PenaltyState.CONFIRMED), Q(state=PenaltyState.WAIVED)
    pending = Q(state=PenaltyState.PROPOSED)
    return {
        "fines": Count("pk", filter=fine),
        "fines_confirmed": Count("pk", filter=fine & confirmed),
        "fines_amount": Sum("amount", filter=fine & confirmed),
        "fines_waived": Count("pk", filter=fine & waived),
        "fines_pending": Count("pk", filter=fine & pending),
        "pending_min": Sum("amount_min", filter=fine & pending),
        "pending_max": Sum("amount_max", filter=fine & pending),
        "points": Count("pk", filter=points),
        "points_confirmed": Count("pk", filter=points & confirmed),
        "points_deducted": Sum("amount", filter=points & confirmed),
        "points_waived": Count("pk", filter=points & waived),
    }


@dataclass
class PenaltyRow:
    key: object
    label: str = ""
    sub: str = ""
    fines: int = 0
    fines_confirmed: int = 0
    fines_amount: Decimal = Decimal("0")
    fines_waived: int = 0
    fines_pending: int = 0
    pending_min: Decimal = Decimal("0")
    pending_max: Decimal = Decimal("0")
    points: int = 0
    points_confirmed: int = 0
    points_deducted: Decimal = Decimal("0")
    points_waived: int = 0

    @classmethod
    def of(cls, key, label, values: dict | None, sub=""):
        row = cls(key=key, label=label, sub=sub)
        for name, value in (values or {}).items():
            if hasattr(row, name) and name not in ("key", "label", "sub"):
                setattr(row, name, value or type(getattr(row, name))())
        return row


@dataclass
class FundRow:
    month: date
    inflow: Decimal
    outflow: Decimal
    balance: Decimal


@dataclass
class PenaltyReport:
    months: list[PenaltyRow]
    units: list[PenaltyRow]
    people: list[PenaltyRow]
    fund: list[FundRow] | None  # None: the caller may not see the fund
    complaints: list[dict] = field(default_factory=list)  # by month, from the complaints app


def penalties_in(user, f: Filters):
    lo, hi = period(f)
    qs = Penalty.objects.visible_to(user).filter(
        arrival__created_at__gte=lo, arrival__created_at__lt=hi
    )
    if f.branch is not None:
        qs = qs.filter(arrival__branch=f.branch)
    return qs


def may_see_fund(user) -> bool:
    from ..permissions import may_decide_penalties

    return sees_everything(user) or may_decide_penalties(user)


def fund_by_month(f: Filters) -> list[FundRow]:
    lo, hi = period(f)
    opening = (
        HappyFundEntry.objects.filter(created_at__lt=lo)
        .order_by("-created_at", "-id")
        .values_list("balance_after", flat=True)
        .first()
    ) or Decimal("0")
    zero = Decimal("0")
    rows = {
        month_key(r["m"]): r
        for r in HappyFundEntry.objects.filter(created_at__gte=lo, created_at__lt=hi)
        .annotate(m=TruncMonth("created_at"))
        .values("m")
        .annotate(
            inflow=Sum("amount", filter=Q(amount__gt=0)),
            outflow=Sum("amount", filter=Q(amount__lt=0)),
        )
        .order_by()
    }
    out, balance = [], opening
    for m in f.months:
        r = rows.get(m) or {}
        inflow, outflow = r.get("inflow") or zero, -(r.get("outflow") or zero)
        balance = balance + inflow - outflow
        out.append(FundRow(m, inflow, outflow, balance))
    return out


def penalties(user, f: Filters, *, top: int | None = TOP_PEOPLE) -> PenaltyReport:
    from network.choices import Role
    from network.models import OrgUnit

    qs = penalties_in(user, f)
    counts = _penalty_counts()
    by_month = {
        month_key(r["m"]): r
        for r in qs.annotate(m=TruncMonth("arrival__created_at"))
        .values("m")
        .annotate(**counts)
        .order_by()
    }
    months = [PenaltyRow.of(m, f"{m:%Y-%m}", by_month.get(m)) for m in f.months]
    unit_rows = list(
        qs.values("org_unit").annotate(**counts).order_by("-fines_amount", "-fines", "org_unit")
    )
    unit_rows.sort(key=lambda r: (-(r["fines_amount"] or 0), -r["fines"] - r["points"]))
    if top:
        unit_rows = unit_rows[:TOP_UNITS]
    names = dict(
        OrgUnit.objects.filter(pk__in=[r["org_unit"] for r in unit_rows]).values_list("pk", "name")
    )
    units = [PenaltyRow.of(r["org_unit"], names.get(r["org_unit"], ""), r) for r in unit_rows]
    people_rows = list(qs.values("person", "role").annotate(**counts).order_by())
    people_rows.sort(
        key=lambda r: (-(r["fines_amount"] or 0), -(r["points_deducted"] or 0), -r["fines"])
    )
    if top:
        people_rows = people_rows[:top]
    users = {
        u.pk: u
        for u in get_user_model().objects.filter(
            pk__in=[r["person"] for r in people_rows if r["person"]]
        )
    }
    people = []
    for r in people_rows:
        who = users.get(r["person"])
        label = (who.get_full_name() or who.get_username()) if who else str(_("（未指定）"))
        people.append(PenaltyRow.of(r["person"], label, r, sub=str(Role(r["role"]).label)))
    fund = fund_by_month(f) if may_see_fund(user) else None
    lo, hi = period(f)
    complaints = []
    for answer in plugins.call_hook("penalty_summary", user=user, start=lo, end=hi):
        complaints += answer or []
    found = {row["month"]: row for row in complaints}
    complaints = [found[m] for m in f.months if m in found]
    return PenaltyReport(months, units, people, fund, complaints)


# --- technicians' monthly evaluation -------------------------------------------------------------


@dataclass
class TechRow:
    month: date
    person_id: int
    name: str = ""
    kinds: set = field(default_factory=set)  # "workshop", "field"
    units: int = 0
    second: int = 0
    callbacks_closed: int = 0
    reached: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    complaints: int = 0

    @property
    def second_pct(self):
        return _pct(self.second, self.units)

    @property
    def reach_pct(self):
        return _pct(self.reached, self.callbacks_closed)

    @property
    def satisfied_pct(self):
        return _pct(self.satisfied, self.satisfied + self.dissatisfied)

    @property
    def score(self) -> int:
        w = EVALUATION_WEIGHTS
        return max(
            0,
            w["base"]
            - w["second_repair"] * self.second
            - w["dissatisfied"] * self.dissatisfied
            - w["complaint"] * self.complaints,
        )

    @property
    def kind_label(self) -> str:
        labels = {"workshop": _("维修技术员"), "field": _("上门工程师")}
        return " / ".join(str(labels[k]) for k in ("workshop", "field") if k in self.kinds)


def _verdicts(model):
    """The verdict of each subject's callback (one per subject: the first), as a subquery; None
    when no app answers the hook (the call centre is not installed)."""
    for qs in plugins.call_hook("callback_outcomes", model=model):
        if qs is not None:
            return Subquery(
                qs.filter(subject_id=OuterRef("pk")).order_by("pk").values("verdict")[:1]
            )
    return None


REACHED = ("satisfied", "dissatisfied", "invalid")


def _callback_counts(has_verdicts: bool) -> dict:
    if not has_verdicts:
        return {}
    return {
        "closed": Count("pk", filter=Q(cb__in=[*REACHED, "unreached"])),
        "reached": Count("pk", filter=Q(cb__in=REACHED)),
        "satisfied": Count("pk", filter=Q(cb="satisfied")),
        "dissatisfied": Count("pk", filter=Q(cb="dissatisfied")),
    }


def shipped_by_technicians(user, f: Filters, since=None):
    lo, hi = period(f)
    qs = RepairOrder.objects.visible_to(user).filter(
        shipped_at__gte=since or lo, shipped_at__lt=hi, technician__isnull=False
    )
    if f.branch is not None:
        qs = qs.filter(branch=f.branch)
    return qs


def finished_visits(user, f: Filters, since=None):
    lo, hi = period(f)
    qs = Visit.objects.visible_to(user).filter(
        finished_at__gte=since or lo,
        finished_at__lt=hi,
        engineer__isnull=False,
        state__in=[VisitState.SOLVED, VisitState.INCOMPLETE],
    )
    return _in_branch(qs, f, "request__org_unit")


def workshop_figures(orders, *by: str):
    """The technicians' shipped orders by `by` ("m": the month shipped): units, second repairs
    and, when the call centre answers, the callbacks' verdicts. (rows, with callbacks)."""
    orders = orders.annotate(m=TruncMonth("shipped_at"))
    again = RepairOrder.objects.filter(
        serial_number__iexact=OuterRef("serial_number"),
        created_at__gt=OuterRef("shipped_at"),
        created_at__lte=OuterRef("shipped_at") + timedelta(days=REPEAT_RETURN_DAYS),
    ).exclude(pk=OuterRef("pk"))
    orders = orders.annotate(again=Exists(again.exclude(serial_number="")))
    verdicts = _verdicts(RepairOrder)
    if verdicts is not None:
        orders = orders.annotate(cb=verdicts)
    rows = (
        orders.values(*by)
        .annotate(
            units=Count("pk"),
            second=Count(
                "pk", filter=Q(repair_count__gte=2) | (Q(again=True) & ~Q(serial_number=""))
            ),
            **_callback_counts(verdicts is not None),
        )
        .order_by()
    )
    return rows, verdicts is not None


def field_work_figures(visits, *by: str):
    """The engineers' finished visits by `by` ("m": the month finished). (rows, callbacks)."""
    visits = visits.annotate(
        m=TruncMonth("finished_at"),
        followed=Exists(
            Visit.objects.filter(follows=OuterRef("pk")).exclude(state=VisitState.CANCELLED)
        ),
    )
    verdicts = _verdicts(Visit)
    if verdicts is not None:
        visits = visits.annotate(cb=verdicts)
    rows = (
        visits.values(*by)
        .annotate(
            units=Count("pk"),
            second=Count("pk", filter=Q(followed=True)),
            **_callback_counts(verdicts is not None),
        )
        .order_by()
    )
    return rows, verdicts is not None


def _merge(found: dict, rows, person_field: str, kind: str | None, callbacks: bool) -> None:
    for r in rows:
        key = (month_key(r["m"]), r[person_field])
        row = found.setdefault(key, TechRow(month=key[0], person_id=key[1]))
        row.kinds.add(kind or r["kind"])
        row.units += r["units"]
        row.second += r["second"]
        if callbacks:
            row.callbacks_closed += r["closed"]
            row.reached += r["reached"]
            row.satisfied += r["satisfied"]
            row.dissatisfied += r["dissatisfied"]


def _rolled_technicians(user, f: Filters):
    """The roll-up rows of the period in the caller's scope, by month, person and kind."""
    workshop = Q(kind="workshop") & order_scope(user)
    field = Q(kind="field") & field_scope(user, "service_unit")
    if f.branch is not None:
        workshop &= Q(branch=f.branch)
        field &= Q(org_unit__path__startswith=f.branch.path)
    return (
        TechnicianMonth.objects.filter(month__gte=f.start, month__lte=f.end)
        .filter(workshop | field)
        .values("person", "kind", m=F("month"))
        .annotate(
            units=Sum("units"),
            second=Sum("second"),
            closed=Sum("callbacks_closed"),
            reached=Sum("reached"),
            satisfied=Sum("satisfied"),
            dissatisfied=Sum("dissatisfied"),
        )
        .order_by()
    )


def _technician_work(user, f: Filters, until) -> dict:
    """{(month, person): TechRow} of the units, second repairs and callbacks: the roll-up rows
    before `until`, the source rows from it."""
    found: dict = {}
    lo, hi = period(f)
    since = live_since(lo, hi, until)
    if since is not None:
        try:
            rolled = _rolled_technicians(user, f)
        except NotRolled:
            since = None
    # the workshop: repair orders shipped in the month, by the technician who picked them up
    rows, callbacks = workshop_figures(shipped_by_technicians(user, f, since), "m", "technician")
    _merge(found, rows, "technician", "workshop", callbacks)
    # the field: visits finished in the month, by their engineer
    rows, callbacks = field_work_figures(finished_visits(user, f, since), "m", "engineer")
    _merge(found, rows, "engineer", "field", callbacks)
    if since is not None:  # what came before the live part: the roll-up's rows
        _merge(found, rolled, "person", None, callbacks)
    return found


def technicians(user, f: Filters, *, limit: int | None = PAGE_ROWS) -> list[TechRow]:
    lo, hi = period(f)
    found = consistent(lambda until: _technician_work(user, f, until))
    people = {p for _m, p in found}
    if people:
        for answer in plugins.call_hook(
            "person_complaints", person_ids=sorted(people), start=lo, end=hi, user=user
        ):
            for (person, month), n in (answer or {}).items():
                row = found.get((month, person))
                if row is not None:
                    row.complaints += n
        users = get_user_model().objects.filter(pk__in=people)
        names = {u.pk: u.get_full_name() or u.get_username() for u in users}
        for row in found.values():
            row.name = names.get(row.person_id, "")
    # newest month first; in a month, the best score first
    out = sorted(found.values(), key=lambda r: (-r.score, -r.units, r.name))
    out.sort(key=lambda r: r.month, reverse=True)
    return out[:limit] if limit else out
