"""Reads of collections (收款, issue 22 item 3): receivables, payments and transfers each viewer
may see, the ageing by branch and by partner, the statement of account (对账单) of one partner
over a period, a partner's balance, and the 我的工作 providers (finance: receivables past due
and transfers to confirm; the dispatcher: receivables to propose a 划账 for).

Ageing buckets by days past the due date on the day asked: current (not yet due), 1–30,
31–60, 61–90, over 90; the amount is the open balance (amount − paid − written off). One
grouped query with conditional sums, whatever the number of receivables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import Role
from network.models import OrgUnit
from network.selectors import acting_units
from service_ops.work import WorkItem

from ..choices import (
    RECEIVABLE_OPEN_STATES,
    AgeingBucket,
    PaymentState,
    StatementState,
    TransferState,
)
from ..models.collections import Payment, Receivable, Transfer
from ..permissions import has_role, may_collect

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")
BUCKETS = list(AgeingBucket)
BALANCE = ExpressionWrapper(
    F("amount") - F("paid_amount") - F("written_off_amount"), output_field=MONEY
)


# --- lists ---------------------------------------------------------------------------------------


def receivables(
    user,
    *,
    partner_id: int | None = None,
    branch_id: int | None = None,
    state: str = "",
    overdue: bool = False,
    today: date | None = None,
) -> QuerySet:
    qs = Receivable.objects.visible_to(user)
    if partner_id:
        qs = qs.filter(partner_id=partner_id)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    if state:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(state__in=RECEIVABLE_OPEN_STATES, due_on__lt=today or date.today())
    return qs.select_related("partner", "branch")


def payments(user, *, partner_id: int | None = None) -> QuerySet:
    qs = Payment.objects.visible_to(user)
    if partner_id:
        qs = qs.filter(partner_id=partner_id)
    return qs.select_related("partner", "recorded_by")


def transfers(user, *, state: str = "") -> QuerySet:
    qs = Transfer.objects.visible_to(user)
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("receivable", "partner", "proposed_by")


def allocations_of_payment(payment: Payment):
    return payment.allocations.select_related("receivable").order_by("receivable__due_on", "pk")


def allocations_of_receivable(receivable: Receivable):
    return receivable.allocations.select_related("payment").order_by("payment__received_on", "pk")


# --- ageing --------------------------------------------------------------------------------------


def bucket_of(days_past_due: int) -> str:
    if days_past_due <= 0:
        return AgeingBucket.CURRENT
    if days_past_due <= 30:
        return AgeingBucket.D1_30
    if days_past_due <= 60:
        return AgeingBucket.D31_60
    if days_past_due <= 90:
        return AgeingBucket.D61_90
    return AgeingBucket.OVER_90


def _bucket_q(bucket: str, today: date) -> Q:
    """Open receivables in the bucket on `today` (due_on compared with today − N days)."""

    def before(days: int) -> date:
        return today - timedelta(days=days)

    return {
        AgeingBucket.CURRENT: Q(due_on__gte=today),
        AgeingBucket.D1_30: Q(due_on__lt=today, due_on__gte=before(30)),
        AgeingBucket.D31_60: Q(due_on__lt=before(30), due_on__gte=before(60)),
        AgeingBucket.D61_90: Q(due_on__lt=before(60), due_on__gte=before(90)),
        AgeingBucket.OVER_90: Q(due_on__lt=before(90)),
    }[bucket]


@dataclass
class AgeingRow:
    unit_id: int | None
    name: str
    code: str
    amounts: dict[str, Decimal]
    count: int

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.amounts[AgeingBucket.CURRENT]

    @property
    def cells(self) -> list[Decimal]:
        return [self.amounts[b] for b in BUCKETS]


@dataclass
class Ageing:
    by: str
    today: date
    rows: list[AgeingRow] = field(default_factory=list)

    @property
    def totals(self) -> AgeingRow:
        sums = {b: sum((r.amounts[b] for r in self.rows), ZERO) for b in BUCKETS}
        return AgeingRow(None, _("合计"), "", sums, sum(r.count for r in self.rows))

    @property
    def bucket_labels(self) -> list[str]:
        return [str(b.label) for b in BUCKETS]


def ageing(
    user, *, today: date, by: str = "branch", branch_id: int | None = None, partner_id=None
) -> Ageing:
    """Open balances by bucket per branch (`by="branch"`) or per partner: one query."""
    column = "branch" if by == "branch" else "partner"
    qs = receivables(user, branch_id=branch_id, partner_id=partner_id).filter(
        state__in=RECEIVABLE_OPEN_STATES
    )
    sums = {
        b.value: Coalesce(
            Sum(Case(When(_bucket_q(b, today), then=BALANCE), default=Value(ZERO))),
            Value(ZERO),
            output_field=MONEY,
        )
        for b in BUCKETS
    }
    rows = (
        qs.order_by()
        .values(f"{column}_id", f"{column}__name", f"{column}__code")
        .annotate(n=Count("pk"), **sums)
        .order_by(f"{column}__code")
    )
    result = Ageing(by=column, today=today)
    for row in rows:
        result.rows.append(
            AgeingRow(
                unit_id=row[f"{column}_id"],
                name=row[f"{column}__name"],
                code=row[f"{column}__code"],
                amounts={b: row[b.value] or ZERO for b in BUCKETS},
                count=row["n"],
            )
        )
    return result


# --- a partner's balance and statement of account ------------------------------------------------


def balance_of(partner_id: int) -> Decimal:
    row = Receivable.objects.filter(
        partner_id=partner_id, state__in=RECEIVABLE_OPEN_STATES
    ).aggregate(b=Coalesce(Sum(BALANCE), Value(ZERO), output_field=MONEY))
    return row["b"]


@dataclass
class AccountEntry:
    day: date
    kind: str  # invoice | payment | reversal | write_off
    label: str
    number: str
    debit: Decimal  # what the partner owes more
    credit: Decimal  # what it paid or was written off
    url: str = ""
    balance: Decimal = ZERO


@dataclass
class AccountStatement:
    partner: OrgUnit
    start: date
    end: date
    opening: Decimal
    entries: list[AccountEntry]

    @property
    def debits(self) -> Decimal:
        return sum((e.debit for e in self.entries), ZERO)

    @property
    def credits(self) -> Decimal:
        return sum((e.credit for e in self.entries), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debits - self.credits


def _movements(partner_id: int, *, start: date | None, end: date) -> list[AccountEntry]:
    """Every movement of the partner's account dated in [start, end] (start None: from the
    beginning): invoices, payments, reversals, write-offs. Four queries."""

    def within(name: str) -> Q:
        q = Q(**{f"{name}__lte": end})
        return q & Q(**{f"{name}__gte": start}) if start else q

    entries: list[AccountEntry] = []
    for r in Receivable.objects.filter(within("issued_on"), partner_id=partner_id):
        entries.append(
            AccountEntry(
                r.issued_on,
                "invoice",
                r.title,
                r.number,
                r.amount,
                ZERO,
                r.get_absolute_url(),
            )
        )
    for r in Receivable.objects.filter(
        within("written_off_on"), partner_id=partner_id, written_off_amount__gt=0
    ):
        entries.append(
            AccountEntry(
                r.written_off_on,
                "write_off",
                _("核销：%(r)s") % {"r": r.written_off_reason},
                r.number,
                ZERO,
                r.written_off_amount,
                r.get_absolute_url(),
            )
        )
    for p in Payment.objects.filter(within("received_on"), partner_id=partner_id):
        entries.append(
            AccountEntry(
                p.received_on,
                "payment",
                _("收款（%(m)s，凭证号 %(r)s）") % {"m": p.get_method_display(), "r": p.reference},
                p.number,
                ZERO,
                p.amount,
                p.get_absolute_url(),
            )
        )
    for p in Payment.objects.filter(
        within("reversed_on"), partner_id=partner_id, state=PaymentState.REVERSED
    ):
        entries.append(
            AccountEntry(
                p.reversed_on,
                "reversal",
                _("冲销收款：%(r)s") % {"r": p.reversal_reason},
                p.number,
                p.amount,
                ZERO,
                p.get_absolute_url(),
            )
        )
    order = {"invoice": 0, "payment": 1, "reversal": 2, "write_off": 3}
    entries.sort(key=lambda e: (e.day, order[e.kind], e.number))
    return entries


def account_statement(partner: OrgUnit, *, start: date, end: date) -> AccountStatement:
    """对账单: the balance on the eve of `start`, the period's movements with the running
    balance, and the closing balance (= the opening plus invoices and reversals, less payments
    and write-offs)."""
    before = _movements(partner.pk, start=None, end=start - timedelta(days=1))
    opening = sum((e.debit - e.credit for e in before), ZERO)
    entries = _movements(partner.pk, start=start, end=end)
    running = opening
    for e in entries:
        running += e.debit - e.credit
        e.balance = running
    return AccountStatement(partner, start, end, opening, entries)


def partner_choices(user) -> QuerySet:
    """The partners (branches, dealers) the viewer may pick in a filter: those with a
    receivable in the viewer's scope."""
    ids = Receivable.objects.visible_to(user).order_by().values("partner_id").distinct()
    return OrgUnit.objects.filter(pk__in=ids).order_by("code")


def branch_choices(user) -> QuerySet:
    ids = Receivable.objects.visible_to(user).order_by().values("branch_id").distinct()
    return OrgUnit.objects.filter(pk__in=ids).order_by("code")


# --- 我的工作 -------------------------------------------------------------------------------


class OverdueReceivableProvider:
    """Finance: receivables past their due date, oldest due first."""

    name = "repairs.collection_overdue"
    label = gettext_lazy("应收款逾期")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not may_collect(user):
            return []
        from service_ops.workcalendar import clock

        from ..services.collections import due_moment

        today = clock.local_date(now)
        rows = (
            Receivable.objects.visible_to(user)
            .filter(state__in=RECEIVABLE_OPEN_STATES, due_on__lt=today)
            .select_related("partner")
            .order_by("due_on", "pk")[:limit]
        )
        return [
            WorkItem(
                key=f"repairs.receivable:{r.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("应收款逾期 %(d)d 天：%(no)s %(p)s 余额 ¥%(b)s")
                % {
                    "d": r.days_past_due(today),
                    "no": r.number,
                    "p": r.partner.name,
                    "b": r.balance,
                },
                url=r.get_absolute_url(),
                since=r.created_at,
                due_at=due_moment(r.due_on),
                where=r.partner.name,
            )
            for r in rows
        ]


class TransferToConfirmProvider:
    """Finance: transfers (划账) the dispatchers proposed, to confirm or reject."""

    name = "repairs.transfer_confirm"
    label = gettext_lazy("划账待确认")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not may_collect(user):
            return []
        rows = transfers(user, state=TransferState.PROPOSED).order_by("proposed_at", "pk")[:limit]
        return [
            WorkItem(
                key=f"repairs.transfer:{t.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("划账待确认：%(p)s ¥%(a)s（%(no)s）")
                % {"p": t.partner.name, "a": t.amount, "no": t.receivable.number},
                url=t.get_absolute_url(),
                since=t.proposed_at,
                where=t.partner.name,
            )
            for t in rows
        ]


class TransferToProposeProvider:
    """The sales dispatcher: open receivables of the branches they answer for with no transfer
    proposed yet, to settle with finance (划账), by due date."""

    name = "repairs.transfer_propose"
    label = gettext_lazy("待提出划账")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not has_role(user, Role.SALES_DISPATCHER):
            return []
        units = acting_units(user).get(Role.SALES_DISPATCHER, [])
        if not units:
            return []
        from network.visibility import units_below

        from ..services.collections import due_moment

        paths = OrgUnit.objects.filter(pk__in=units).values_list("path", flat=True)
        branch_ids = [pk for pk, _p, _k in units_below(list(paths))]
        pending = Transfer.objects.filter(state=TransferState.PROPOSED, receivable=OuterRef("pk"))
        rows = (
            Receivable.objects.filter(branch_id__in=branch_ids, state__in=RECEIVABLE_OPEN_STATES)
            .exclude(Exists(pending))
            # a statement not settled yet is the statement's own 划账 step (its record proposes
            # the transfer): listed once, by StatementSettlementProvider
            .exclude(statement__state__in=(StatementState.CONFIRMED, StatementState.HANDED_OVER))
            .select_related("partner")
            .order_by("due_on", "pk")[:limit]
        )
        return [
            WorkItem(
                key=f"repairs.receivable_transfer:{r.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("待提出划账：%(no)s %(p)s 余额 ¥%(b)s")
                % {"no": r.number, "p": r.partner.name, "b": r.balance},
                url=r.get_absolute_url(),
                since=r.created_at,
                due_at=due_moment(r.due_on),
                where=r.partner.name,
            )
            for r in rows
        ]


def desk_counts(user, *, today: date) -> dict:
    qs = Receivable.objects.visible_to(user).filter(state__in=RECEIVABLE_OPEN_STATES)
    row = qs.aggregate(
        n=Count("pk"),
        open=Coalesce(Sum(BALANCE), Value(ZERO), output_field=MONEY),
        overdue=Coalesce(
            Sum(Case(When(due_on__lt=today, then=BALANCE), default=Value(ZERO))),
            Value(ZERO),
            output_field=MONEY,
        ),
    )
    row["transfers"] = (
        Transfer.objects.visible_to(user).filter(state=TransferState.PROPOSED).count()
    )
    return row


def receivable_list_url(**params) -> str:
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in params.items() if v})
    return reverse("repairs:receivable_list") + (f"?{query}" if query else "")
