"""Collections (收款, issue 22 item 3): what branches and dealers owe, and what they paid.

- A **receivable** (应收/发票) bills one thing exactly once: a confirmed month-end statement of a
  branch (one-to-one with MonthlyStatement, created by statement_confirm in the same
  transaction) or a parts sale to a dealer put on account (one-to-one with an invoiced
  spareparts DealerQuote). Its number comes from the platform's numbering (AR-YYYYMM-NNNN), its
  due date from the collection terms (CollectionPolicy, data). States: open → partially_paid →
  paid, or written_off (finance, with the reason) — a payment reversed reopens it.
- A **payment** (收款) is recorded by finance for one partner and allocated to one or more of its
  open receivables (PaymentAllocation); the whole amount is allocated (an overpayment is
  refused, not kept as credit). A reversal (冲销, with the reason) gives the allocations back.
- A **transfer** (划账) is the settlement through sales dispatch: the dispatcher proposes it (the
  transfer agreed with finance: date, amount, voucher number) against one receivable; finance
  confirms it, which records a payment of method 划账 carrying the dispatcher's reference, or
  rejects it with the reason. The statement's own 划账 record (statement_settle) proposes one.

Balances are stored on the receivable (`paid_amount`, `written_off_amount`) and changed only
by repairs.services.collections under the receivable's row lock, so concurrent payments never
double-apply. Visibility: headquarters sees all; a branch or province its branches' rows and
their dealers'; a dealer only its own (the `branch` column first, then `partner`)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from network.choices import PARTNER_KINDS, OrgKind
from network.models import OrgUnit
from network.visibility import scope_by_org
from service_ops.i18n import choice_label
from service_ops.reversing import reverse_id

from ..choices import (
    PaymentMethod,
    PaymentState,
    ReceivableSource,
    ReceivableState,
    TransferState,
)

R = ReceivableState
BRANCH_THEN_PARTNER = (("branch", (OrgKind.BRANCH,)), ("partner", tuple(PARTNER_KINDS)))
ZERO = Decimal("0.00")


def _is_finance(instance, user) -> bool:
    from ..permissions import may_collect

    return may_collect(user)


class CollectionPolicy(models.Model):
    """收款政策: the terms (账期) in calendar days from the invoice date, per source."""

    statement_terms_days = models.PositiveSmallIntegerField(
        _("月结对账单账期（天）"), default=30, help_text=_("自开票日起的自然日")
    )
    parts_terms_days = models.PositiveSmallIntegerField(
        _("配件销售账期（天）"), default=30, help_text=_("自开票日起的自然日")
    )

    class Meta:
        verbose_name = _("收款政策")
        verbose_name_plural = _("收款政策")

    def __str__(self):
        return str(_("收款政策"))

    @classmethod
    def current(cls) -> CollectionPolicy:
        return cls.objects.order_by("pk").first() or cls.objects.create()

    def terms_for(self, source: str) -> int:
        if source == ReceivableSource.STATEMENT:
            return self.statement_terms_days
        return self.parts_terms_days


class ReceivableQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scope_by_org(self, user, *BRANCH_THEN_PARTNER)

    def open(self):
        return self.filter(state__in=(R.OPEN, R.PARTIALLY_PAID))


class Receivable(FSMModelMixin, models.Model):
    number = models.CharField(_("发票号"), max_length=24, unique=True, editable=False)
    partner = models.ForeignKey(
        OrgUnit, verbose_name=_("往来单位"), on_delete=models.PROTECT, related_name="receivables"
    )
    branch = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所属分公司"),
        on_delete=models.PROTECT,
        related_name="branch_receivables",
    )
    source = models.CharField(_("来源"), max_length=12, choices=ReceivableSource.choices)
    statement = models.OneToOneField(
        "repairs.MonthlyStatement",
        verbose_name=_("月结对账单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receivable",
    )
    parts_quote = models.OneToOneField(
        "spareparts.DealerQuote",
        verbose_name=_("配件报价单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receivable",
    )
    # the data of the title, language-neutral: the statement's month, or the quote's number
    # and invoice reference; shown through `title` in the reader's language
    description = models.CharField(_("摘要"), max_length=200)
    amount = models.DecimalField(_("应收金额"), max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(_("已收金额"), max_digits=12, decimal_places=2, default=ZERO)
    written_off_amount = models.DecimalField(
        _("核销金额"), max_digits=12, decimal_places=2, default=ZERO
    )
    issued_on = models.DateField(_("开票日期"))
    due_on = models.DateField(_("到期日"))
    state = FSMField(
        _("状态"), max_length=16, choices=ReceivableState.choices, default=R.OPEN, protected=True
    )
    written_off_reason = models.CharField(_("核销原因"), max_length=200, blank=True)
    written_off_on = models.DateField(_("核销日期"), null=True, blank=True)
    written_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    objects = ReceivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("应收款")
        verbose_name_plural = _("应收款")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="receivable_amounts_in_range",
                condition=Q(amount__gte=0)
                & Q(paid_amount__gte=0)
                & Q(written_off_amount__gte=0)
                & Q(amount__gte=F("paid_amount") + F("written_off_amount")),
            ),
            models.CheckConstraint(
                name="receivable_has_its_source",
                condition=(
                    Q(source=ReceivableSource.STATEMENT, statement__isnull=False)
                    & Q(parts_quote__isnull=True)
                )
                | (
                    Q(source=ReceivableSource.PARTS_SALE, parts_quote__isnull=False)
                    & Q(statement__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="receivable_due_after_issue", condition=Q(due_on__gte=F("issued_on"))
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "-id"], name="receivable_branch"),
            models.Index(fields=["partner", "-id"], name="receivable_partner"),
            models.Index(
                fields=["due_on", "id"],
                name="receivable_open_due",
                condition=Q(state__in=("open", "partially_paid")),
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:receivable_detail", self.pk)

    @property
    def balance(self) -> Decimal:
        return self.amount - self.paid_amount - self.written_off_amount

    @property
    def title(self) -> str:
        if self.source == ReceivableSource.STATEMENT:
            return str(_("%(m)s 月结对账单") % {"m": self.description})
        return str(_("配件销售 %(d)s") % {"d": self.description})

    @property
    def state_colour(self) -> str:
        return ReceivableState.colour_of(self.state)

    @property
    def state_label(self) -> str:
        return choice_label(self, "state")

    def days_past_due(self, today) -> int:
        return max((today - self.due_on).days, 0)

    def _state_after_paid(self) -> str:
        if self.paid_amount >= self.amount - self.written_off_amount:
            return R.PAID
        return R.PARTIALLY_PAID if self.paid_amount > 0 else R.OPEN

    # The amount checks run in the service under the row lock; these only move the numbers.
    @transition(
        field=state,
        source=[R.OPEN, R.PARTIALLY_PAID],
        target=RETURN_VALUE(R.PARTIALLY_PAID, R.PAID),
        permission=_is_finance,
    )
    def apply_payment(self, *, amount: Decimal):
        self.paid_amount += amount
        return self._state_after_paid()

    @transition(
        field=state,
        source=[R.PARTIALLY_PAID, R.PAID],
        target=RETURN_VALUE(R.OPEN, R.PARTIALLY_PAID),
        permission=_is_finance,
    )
    def reverse_payment(self, *, amount: Decimal):
        self.paid_amount -= amount
        return self._state_after_paid()

    @transition(
        field=state,
        source=[R.OPEN, R.PARTIALLY_PAID],
        target=R.WRITTEN_OFF,
        permission=_is_finance,
    )
    def write_off(self, *, actor, reason: str):
        self.written_off_amount = self.balance
        self.written_off_reason = reason[:200]
        self.written_off_on = timezone.localdate()
        self.written_off_by = actor


class PaymentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scope_by_org(self, user, *BRANCH_THEN_PARTNER)


class Payment(FSMModelMixin, models.Model):
    number = models.CharField(_("收款单号"), max_length=24, unique=True, editable=False)
    partner = models.ForeignKey(
        OrgUnit, verbose_name=_("往来单位"), on_delete=models.PROTECT, related_name="payments"
    )
    branch = models.ForeignKey(
        OrgUnit, verbose_name=_("所属分公司"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("收款方式"), max_length=10, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("收款金额"), max_digits=12, decimal_places=2)
    received_on = models.DateField(_("收款日期"))
    reference = models.CharField(_("凭证号"), max_length=64)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=PaymentState.choices,
        default=PaymentState.RECORDED,
        protected=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)
    reversal_reason = models.CharField(_("冲销原因"), max_length=200, blank=True)
    reversed_on = models.DateField(_("冲销日期"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("收款")
        verbose_name_plural = _("收款")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0)),
        ]
        indexes = [
            models.Index(fields=["branch", "-id"], name="payment_branch"),
            models.Index(fields=["partner", "-id"], name="payment_partner"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:payment_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return PaymentState.colour_of(self.state)

    @transition(
        field=state,
        source=PaymentState.RECORDED,
        target=PaymentState.REVERSED,
        permission=_is_finance,
    )
    def reverse(self, *, actor, reason: str):
        self.reversal_reason = reason[:200]
        self.reversed_on = timezone.localdate()
        self.reversed_by = actor


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    receivable = models.ForeignKey(Receivable, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("核销金额"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("收款分配")
        verbose_name_plural = _("收款分配")
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "receivable"], name="paymentallocation_unique"
            ),
            models.CheckConstraint(
                name="paymentallocation_amount_positive", condition=Q(amount__gt=0)
            ),
        ]


class TransferQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scope_by_org(self, user, *BRANCH_THEN_PARTNER)


class Transfer(FSMModelMixin, models.Model):
    """划账: a settlement through sales dispatch against one receivable."""

    number = models.CharField(_("划账单号"), max_length=24, unique=True, editable=False)
    receivable = models.ForeignKey(
        Receivable, verbose_name=_("应收款"), on_delete=models.PROTECT, related_name="transfers"
    )
    partner = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("划账金额"), max_digits=12, decimal_places=2)
    settled_on = models.DateField(_("划账日期"))
    reference = models.CharField(_("调度凭证号"), max_length=64)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=TransferState.choices,
        default=TransferState.PROPOSED,
        protected=True,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("提出时间"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("财务处理时间"), null=True, blank=True)
    rejection_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="transfer"
    )

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("划账")
        verbose_name_plural = _("划账")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="transfer_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="transfer_confirmed_has_payment",
                condition=~Q(state=TransferState.CONFIRMED) | Q(payment__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "-id"], name="transfer_branch"),
            models.Index(fields=["partner", "-id"], name="transfer_partner"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:receivable_detail", self.receivable_id)

    @property
    def state_colour(self) -> str:
        return TransferState.colour_of(self.state)

    @transition(
        field=state,
        source=TransferState.PROPOSED,
        target=TransferState.CONFIRMED,
        permission=_is_finance,
    )
    def confirm(self, *, actor, payment: Payment):
        self.decided_by = actor
        self.decided_at = timezone.now()
        self.payment = payment

    @transition(
        field=state,
        source=TransferState.PROPOSED,
        target=TransferState.REJECTED,
        permission=_is_finance,
    )
    def reject(self, *, actor, reason: str):
        self.decided_by = actor
        self.decided_at = timezone.now()
        self.rejection_reason = reason[:200]
