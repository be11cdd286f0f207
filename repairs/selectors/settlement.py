"""Reads of the settlement with service points (网点结算): the proof gates of a finished visit,
its price by the fee rules, the statements and lines each viewer may see, and the 我的工作
providers (the point: statements to confirm; the network specialist: disputed lines; the head
of customer service: statements to approve; finance: approved statements to export).

The proof gates (DESIGN §2.6: check-in, photos, signature, a callback not dissatisfied):

- the visit was checked in (`checked_in_at`);
- it has every photo kind its category requires (FieldServicePolicy.required_photos);
- a solved visit carries the customer's signature (`signed_at`); an incomplete one needs none
  (the customer signs the visit that solves the fault);
- the callback of a solved visit is not dissatisfied. Pending: not payable yet (the call centre
  has its 3 working days; paying before would pay for work the customer may reject). Unreached:
  payable once the callback's deadline (the policy's working days after the visit finished)
  has passed — the call centre tried within its limit, and the point must not wait for a
  customer who never answers. Dissatisfied: not payable (the event is reopened and the
  follow-on visit is the one that may be paid). A solved visit that another visit of the same
  request followed was reopened after its callback: not payable. An incomplete visit has no
  callback of its own (the escalation sends someone again), so this gate does not apply to it.

A visit passing its gates is payable at the price of the best fee rule in force on its date
(repairs.models.settlement); with no rule it stays unpaid with the gate "no rule"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import OrgKind, Role
from network.models import ServicePointProfile
from network.selectors import acting_units
from service_ops.work import WorkItem
from service_ops.workcalendar import clock

from ..choices import (
    CallbackVerdict,
    PaymentGate,
    SettlementLineState,
    SettlementState,
    VisitState,
)
from ..models import FieldServicePolicy, Visit, VisitPhoto
from ..models.orders import month_bounds
from ..models.settlement import FeeRule, SettlementLine, SettlementStatement, best_rule
from ..permissions import (
    may_approve_settlement,
    may_export_settlement,
    may_manage_settlement,
)

FINISHED = (VisitState.SOLVED, VisitState.INCOMPLETE)
UNPAID_SHOWN = 100  # the unpaid visits a statement page lists with their gates


def visit_date(visit: Visit) -> date:
    """The visit's date for its price: the local date it was finished."""
    return clock.local_date(visit.finished_at)


def callback_deadline(visit: Visit, policy: FieldServicePolicy) -> datetime:
    return clock.add_working_days(visit.finished_at, policy.callback_working_days)


def gates_of(visit: Visit, *, now: datetime, policy: FieldServicePolicy) -> list[str]:
    """The proof gates `visit` has not passed (empty: payable, if a rule prices it). Reads
    `visit.request`, `visit.photos` (prefetched) and `visit.followed` (annotated)."""
    missing: list[str] = []
    if not visit.checked_in_at:
        missing.append(PaymentGate.CHECK_IN)
    if visit.missing_photo_kinds(policy):
        missing.append(PaymentGate.PHOTOS)
    if visit.state == VisitState.SOLVED:
        if not visit.signed_at:
            missing.append(PaymentGate.SIGNATURE)
        verdict = visit.request.callback_verdict
        if getattr(visit, "followed", False) or verdict == CallbackVerdict.DISSATISFIED:
            missing.append(PaymentGate.CALLBACK_DISSATISFIED)
        elif verdict == CallbackVerdict.PENDING:
            missing.append(PaymentGate.CALLBACK_PENDING)
        elif verdict == CallbackVerdict.UNREACHED and now < callback_deadline(visit, policy):
            missing.append(PaymentGate.CALLBACK_WAITING)
    return missing


def with_gate_facts(qs: QuerySet) -> QuerySet:
    """Visits with what the gates and the price read: the request, the photos (one query) and
    whether a later visit of the same request followed (not cancelled)."""
    later = Visit.objects.filter(request=OuterRef("request"), sequence__gt=OuterRef("sequence"))
    later = later.exclude(state=VisitState.CANCELLED)
    return (
        qs.select_related("request")
        .prefetch_related(
            Prefetch("photos", queryset=VisitPhoto.objects.only("id", "visit", "kind"))
        )
        .annotate(followed=Exists(later))
    )


def point_grades(point_ids) -> dict[int, str]:
    return dict(
        ServicePointProfile.objects.filter(org_unit_id__in=list(point_ids)).values_list(
            "org_unit_id", "grade"
        )
    )


@dataclass
class Assessment:
    """A finished visit as the settlement reads it."""

    visit: Visit
    day: date
    gates: list[str] = field(default_factory=list)
    rule: FeeRule | None = None

    @property
    def payable(self) -> bool:
        return not self.gates

    @property
    def amount(self) -> Decimal | None:
        return self.rule.amount if self.rule else None

    @property
    def gate_labels(self) -> list[str]:
        return [str(PaymentGate(g).label) for g in self.gates]


def assess(
    visits, *, now: datetime, grades: dict[int, str], rules=None, policy=None
) -> list[Assessment]:
    """Each visit's gates and price (the "no rule" gate when none applies)."""
    visits = list(visits)
    policy = policy or FieldServicePolicy.current()
    if rules is None:
        days = [visit_date(v) for v in visits]
        rules = list(FeeRule.objects.in_force_between(min(days), max(days))) if days else []
    out = []
    for visit in visits:
        day = visit_date(visit)
        a = Assessment(visit=visit, day=day, gates=gates_of(visit, now=now, policy=policy))
        request = visit.request
        a.rule = best_rule(
            rules,
            day=day,
            category=request.category,
            grade=grades.get(visit.service_unit_id, ""),
            km=visit.distance_km or Decimal("0"),
            model=request.product_model,
            in_warranty=request.in_warranty,
        )
        if a.rule is None:
            a.gates.append(PaymentGate.NO_RULE)
        out.append(a)
    return out


def unpaid_visits(point_id: int, *, before: datetime, since: datetime | None = None) -> QuerySet:
    """The point's finished visits (before `before`, and from `since`) on no statement yet."""
    qs = Visit.objects.filter(
        service_unit_id=point_id, state__in=FINISHED, finished_at__lt=before
    ).exclude(Exists(SettlementLine.objects.filter(visit=OuterRef("pk"))))
    if since is not None:
        qs = qs.filter(finished_at__gte=since)
    return with_gate_facts(qs).order_by("finished_at", "id")


def points_with_unpaid_visits(*, before: datetime) -> list[int]:
    """Ids of the service points with finished visits before `before` on no statement."""
    return list(
        Visit.objects.filter(
            state__in=FINISHED,
            finished_at__lt=before,
            service_unit__kind=OrgKind.SERVICE_POINT,
        )
        .exclude(Exists(SettlementLine.objects.filter(visit=OuterRef("pk"))))
        .order_by()
        .values_list("service_unit_id", flat=True)
        .distinct()
    )


def statement_unpaid(statement: SettlementStatement, *, now: datetime) -> list[Assessment]:
    """The point's visits finished in the statement's month and on no statement, with the gates
    they have not passed (at most UNPAID_SHOWN)."""
    start, end = month_bounds(statement.month)
    visits = unpaid_visits(statement.point_id, before=end, since=start)[:UNPAID_SHOWN]
    return assess(visits, now=now, grades=point_grades([statement.point_id]))


# --- lists ---


def statements(user, *, month: date | None = None, point_id=None, state: str = "") -> QuerySet:
    qs = SettlementStatement.objects.visible_to(user).select_related("point")
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    if point_id:
        qs = qs.filter(point_id=point_id)
    if state in SettlementState.values:
        qs = qs.filter(state=state)
    return qs


def statement_lines(statement: SettlementStatement) -> QuerySet:
    return statement.lines.select_related("visit__request", "rule").order_by("id")


def disputed_lines(user) -> QuerySet:
    return (
        SettlementLine.objects.visible_to(user)
        .filter(state=SettlementLineState.DISPUTED)
        .select_related("statement__point")
    )


def fee_rules(*, current_only: bool = False, today: date | None = None) -> QuerySet:
    qs = FeeRule.objects.select_related("created_by")
    if current_only:
        today = today or timezone.localdate()
        qs = qs.in_force_between(today, today)
    return qs


# --- 我的工作 ---


def _item(provider, s: SettlementStatement, what: str, since) -> WorkItem:
    return WorkItem(
        key=f"{provider.name}:{s.pk}",
        kind=provider.name,
        kind_label=provider.label,
        what=what % {"no": s.number, "m": f"{s.month:%Y-%m}", "t": s.total},
        url=s.get_absolute_url(),
        since=since or s.generated_at,
        where=s.point.name,
    )


class PointStatementProvider:
    """The point's staff: statements issued to it, waiting for its line-by-line answer."""

    name = "repairs.settlement_point"
    label = gettext_lazy("结算单待确认")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        points = acting_units(user).get(Role.SERVICE_POINT_STAFF, [])
        if not points:
            return []
        rows = (
            SettlementStatement.objects.filter(point_id__in=points, state=SettlementState.ISSUED)
            .select_related("point")
            .order_by("id")[:limit]
        )
        what = _("%(m)s 网点结算单 %(no)s 待确认：¥%(t)s")
        return [_item(self, s, what, s.issued_at) for s in rows]


class SettlementStaffProvider:
    """Headquarters: statements with disputed lines for the network specialist, drafts of
    ended months to issue; confirmed statements for the head of customer service to approve;
    approved ones for finance to export for payment."""

    name = "repairs.settlement_staff"
    label = gettext_lazy("网点结算")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        what = {}
        if may_manage_settlement(user):
            what[SettlementState.DISPUTED] = _("%(m)s 网点结算单 %(no)s 有异议明细待处理")
            what[SettlementState.DRAFT] = _("%(m)s 网点结算单 %(no)s 待下发：¥%(t)s")
        if may_approve_settlement(user):
            what[SettlementState.CONFIRMED] = _(
                "%(m)s 网点结算单 %(no)s 网点已确认，待审批：¥%(t)s"
            )
        if may_export_settlement(user):
            what[SettlementState.APPROVED] = _("%(m)s 网点结算单 %(no)s 已审批，待导出付款：¥%(t)s")
        if not what:
            return []
        this_month = clock.local_date(now).replace(day=1)
        wanted = Q(state__in=list(what))
        if may_manage_settlement(user):
            # a line disputed while others still wait for the point: resolvable already
            disputed = SettlementLine.objects.filter(
                statement=OuterRef("pk"), state=SettlementLineState.DISPUTED
            )
            wanted |= Q(state=SettlementState.ISSUED) & Q(Exists(disputed))
        rows = (
            SettlementStatement.objects.visible_to(user)
            .filter(wanted)
            .exclude(state=SettlementState.DRAFT, month__gte=this_month)
            .select_related("point")
            .order_by("id")[:limit]
        )
        issued = _("%(m)s 网点结算单 %(no)s 有异议明细待处理")
        return [_item(self, s, what.get(s.state, issued), s.generated_at) for s in rows]
