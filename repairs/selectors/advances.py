"""Reads of advances (借支) and expense claims (报销): the lists (scoped by the caller), a
document's chain with its timers, the approval queue, finance's desk, the ageing of outstanding
advances, and the 我的工作 providers (steps to sign, documents to pay, returned documents)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import Role
from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.i18n import data_text
from service_ops.work import WorkItem

from ..choices import AdvanceState, ClaimState, StepState
from ..models.advances import Advance, ExpenseClaim, MoneyStep
from ..permissions import has_role

OPEN_ADVANCE = (AdvanceState.PAID, AdvanceState.PARTIALLY_SETTLED)
DESK_ROWS = 100  # finance's desk shows at most this many of each kind (oldest first)


def advance_list(user, *, state: str = "", mine: bool = False) -> QuerySet:
    qs = Advance.objects.visible_to(user).select_related("requester", "org_unit", "branch")
    if mine:
        qs = qs.filter(requester=user)
    if state:
        qs = qs.filter(state=state)
    return qs


def claim_list(user, *, state: str = "", mine: bool = False, month: date | None = None):
    qs = ExpenseClaim.objects.visible_to(user).select_related("requester", "org_unit", "branch")
    if mine:
        qs = qs.filter(requester=user)
    if state:
        qs = qs.filter(state=state)
    if month is not None:
        qs = qs.filter(paid_on__year=month.year, paid_on__month=month.month)
    return qs


def step_deadlines(steps) -> dict[int, Deadline]:
    """Open (or breached) timer per step id, one query."""
    ids = [s.pk for s in steps]
    if not ids:
        return {}
    qs = Deadline.objects.filter(
        owner_type=ContentType.objects.get_for_model(MoneyStep),
        owner_id__in=ids,
        status__in=[DeadlineStatus.RUNNING, DeadlineStatus.PAUSED, DeadlineStatus.BREACHED],
    )
    return {d.owner_id: d for d in qs}


@dataclass
class Progress:
    steps: list
    pending: MoneyStep | None
    holders: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def signed(self) -> int:
        return sum(1 for s in self.steps if s.state == StepState.APPROVED)

    @property
    def percent(self) -> int:
        return round(100 * self.signed / self.total) if self.total else 0


def progress_of(doc) -> Progress:
    """The current round's steps with their timers, the pending one and who holds it now."""
    from network.selectors import role_holders

    steps = list(
        doc.steps.filter(round=doc.round)
        .select_related("org_unit", "decided_by")
        .order_by("position")
    )
    timers = step_deadlines(steps)
    pending = None
    for step in steps:
        step.deadline = timers.get(step.pk)
        if step.state == StepState.PENDING:
            pending = step
    holders = role_holders(pending.role, pending.org_unit) if pending else []
    return Progress(steps=steps, pending=pending, holders=holders)


def approval_queue(user) -> QuerySet:
    """Pending money steps the user may sign now (holder or deputy), oldest first."""
    return (
        MoneyStep.objects.signable_by(user)
        .select_related(
            "org_unit",
            "advance__requester",
            "advance__org_unit",
            "claim__requester",
            "claim__org_unit",
        )
        .order_by("pk")
    )


def to_pay(user) -> tuple[list[Advance], list[ExpenseClaim]]:
    """Approved advances and claims waiting for finance, oldest approval first (bounded)."""
    if not (user.is_superuser or has_role(user, Role.FINANCE)):
        return [], []
    advances = list(
        Advance.objects.filter(state=AdvanceState.APPROVED)
        .select_related("requester", "org_unit")
        .order_by("approved_at", "pk")[:DESK_ROWS]
    )
    claims = list(
        ExpenseClaim.objects.filter(state=ClaimState.APPROVED)
        .select_related("requester", "org_unit")
        .order_by("approved_at", "pk")[:DESK_ROWS]
    )
    return advances, claims


# --- ageing of outstanding advances ------------------------------------------------------------
BUCKETS = (
    ("b0", 0, 30, gettext_lazy("0–30 天")),
    ("b31", 31, 60, gettext_lazy("31–60 天")),
    ("b61", 61, 90, gettext_lazy("61–90 天")),
    ("b90", 91, None, gettext_lazy("90 天以上")),
)
MONEY = DecimalField(max_digits=14, decimal_places=2)


def bucket_of(days: int) -> str:
    for key, low, high, _label in BUCKETS:
        if days >= low and (high is None or days <= high):
            return key
    return BUCKETS[0][0]


def _bucket_q(key: str, today: date) -> Q:
    """Outstanding advances whose days since payment fall in the bucket: a range on paid_on."""
    for k, low, high, _label in BUCKETS:
        if k == key:
            q = Q(paid_on__lte=today - timedelta(days=low))
            if high is not None:
                q &= Q(paid_on__gte=today - timedelta(days=high))
            return q
    return Q(pk__in=[])


def outstanding_advances(
    user, *, today: date | None = None, bucket: str = "", branch_id=None, requester_id=None
) -> QuerySet:
    """Paid advances not yet settled, visible to the caller, with their balance annotated."""
    today = today or timezone.localdate()
    qs = (
        Advance.objects.visible_to(user)
        .filter(state__in=OPEN_ADVANCE)
        .select_related("requester", "org_unit", "branch")
        .annotate(balance=F("amount") - F("settled_amount"))
    )
    if bucket:
        qs = qs.filter(_bucket_q(bucket, today))
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    if requester_id:
        qs = qs.filter(requester_id=requester_id)
    return qs


def _bucket_sums(today: date) -> dict:
    sums = {}
    for key, _low, _high, _label in BUCKETS:
        sums[key] = Coalesce(
            Sum(
                Case(
                    When(_bucket_q(key, today), then=F("amount") - F("settled_amount")),
                    default=Value(Decimal("0")),
                    output_field=MONEY,
                )
            ),
            Value(Decimal("0")),
            output_field=MONEY,
        )
        sums[f"{key}_n"] = Count("pk", filter=_bucket_q(key, today))
    sums["total"] = Coalesce(
        Sum(F("amount") - F("settled_amount"), output_field=MONEY),
        Value(Decimal("0")),
        output_field=MONEY,
    )
    sums["n"] = Count("pk")
    return sums


def bucket_cells(figures: dict) -> list[tuple]:
    """(bucket key, label, amount, count) of each bucket, in order, from one summary row."""
    return [(k, label, figures[k], figures[f"{k}_n"]) for k, _lo, _hi, label in BUCKETS]


@dataclass
class AgeingRow:
    label: str
    key: object
    figures: dict

    @property
    def cells(self) -> list[tuple]:
        return bucket_cells(self.figures)


def ageing_summary(user, *, today: date | None = None, by: str = "branch", limit: int = 200):
    """Outstanding balances per bucket, grouped by branch (HQ staff: no branch) or by person,
    and the totals: one grouped query each, bounded by `limit` groups (largest first)."""
    today = today or timezone.localdate()
    base = outstanding_advances(user, today=today).order_by()
    sums = _bucket_sums(today)
    if by == "person":
        group = (
            "requester_id",
            "requester__first_name",
            "requester__last_name",
            "requester__username",
        )
    else:
        group = ("branch_id", "branch__name")
    rows = []
    for r in base.values(*group).annotate(**sums).order_by("-total")[:limit]:
        if by == "person":
            name = f"{r['requester__last_name']}{r['requester__first_name']}".strip()
            label, key = name or r["requester__username"], r["requester_id"]
        else:
            label, key = r["branch__name"] or _("总部"), r["branch_id"]
        rows.append(AgeingRow(label=label, key=key, figures=r))
    totals = base.aggregate(**sums)
    return rows, totals


# --- 我的工作 ------------------------------------------------------------------------------------
class MoneyApprovalProvider:
    name = "repairs.money_steps"
    label = gettext_lazy("借支报销待审批")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        steps = list(approval_queue(user)[:limit])
        timers = step_deadlines(steps)
        items = []
        for step in steps:
            doc = step.advance if step.advance_id else step.claim
            timer = timers.get(step.pk)
            items.append(
                WorkItem(
                    key=f"repairs.money_step:{step.pk}",
                    kind=self.name,
                    kind_label=self.label,
                    what=_("%(no)s 第 %(k)d 步：%(name)s（%(who)s ¥%(a)s）")
                    % {
                        "no": doc.number,
                        "k": step.position,
                        "name": data_text(step.name),
                        "who": doc.requester_name,
                        "a": doc.amount if step.advance_id else doc.total,
                    },
                    url=doc.get_absolute_url(),
                    since=timer.started_at if timer else (doc.submitted_at or doc.created_at),
                    due_at=timer.due_at if timer else None,
                    deadline=timer,
                    where=str(doc.org_unit),
                )
            )
        return items


class MoneyPaymentProvider:
    name = "repairs.money_pay"
    label = gettext_lazy("待付款")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not has_role(user, Role.FINANCE):
            return []
        advances, claims = to_pay(user)
        items = [
            WorkItem(
                key=f"repairs.advance_pay:{a.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("借支待付款：%(no)s %(who)s ¥%(a)s")
                % {"no": a.number, "who": a.requester_name, "a": a.amount},
                url=a.get_absolute_url(),
                since=a.approved_at or a.created_at,
                where=str(a.org_unit),
            )
            for a in advances
        ]
        items += [
            WorkItem(
                key=f"repairs.claim_pay:{c.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("报销待付款：%(no)s %(who)s ¥%(a)s")
                % {"no": c.number, "who": c.requester_name, "a": c.total},
                url=c.get_absolute_url(),
                since=c.approved_at or c.created_at,
                where=str(c.org_unit),
            )
            for c in claims
        ]
        return sorted(items, key=lambda i: i.since)[:limit]


class MoneyReturnedProvider:
    name = "repairs.money_returned"
    label = gettext_lazy("借支报销被退回")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        advances = list(
            Advance.objects.filter(requester=user, state=AdvanceState.REJECTED).order_by("pk")[
                :limit
            ]
        )
        claims = list(
            ExpenseClaim.objects.filter(requester=user, state=ClaimState.REJECTED).order_by("pk")[
                :limit
            ]
        )
        items = [
            WorkItem(
                key=f"repairs.money_returned:{type(d).__name__}:{d.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("被退回，请补充后重新提交或取消：%(no)s") % {"no": d.number},
                url=d.get_absolute_url(),
                since=d.submitted_at or d.created_at,
                note=d.reject_reason,
            )
            for d in [*advances, *claims]
        ]
        return sorted(items, key=lambda i: i.since)[:limit]
