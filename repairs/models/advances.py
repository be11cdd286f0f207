"""Advances (借支) and expense claims (报销) of field engineers and office staff (issue 22 items 1
and 2; DESIGN §2.7): their approval chains as data (MoneyChainTemplate / MoneyStepTemplate, the
pattern of the return applications' chains), the rows of a running chain (MoneyStep, one per
signature), the policy numbers (MoneyPolicy, ExpenseLimit), finance's payment and the settlement
of an advance by claims and repayments (AdvanceSettlement).

State changes only through repairs.services.advances."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.choices import Role
from network.models import OrgUnit
from service_ops.i18n import data_text
from service_ops.reversing import reverse_id

from ..choices import (
    AdvanceSettlementKind,
    AdvanceState,
    ClaimState,
    DisbursementMethod,
    ExpenseCategory,
    MoneyDocKind,
    MoneyHolderScope,
    MoneyStepCondition,
    StepState,
)
from ..permissions import system_only

CENT = Decimal("0.01")

# Who sees every advance and claim; who sees those of their own org subtree. Everyone else sees
# their own, and the ones waiting for their signature.
MONEY_ALL_ROLES = frozenset({Role.FINANCE, Role.HEAD_OF_CS, Role.SENIOR_MANAGEMENT})
MONEY_SCOPE_ROLES = frozenset(
    {Role.BRANCH_MANAGER, Role.PROVINCIAL_MANAGER, Role.FIELD_CS_SUPERVISOR}
)


class MoneyPolicy(models.Model):
    """The numbers of advances and claims, editable in the admin. One row (the seed gives none
    of them: the defaults are the department's choices, issue 22)."""

    finance_threshold = models.DecimalField(
        _("财务审批门槛（元）"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("5000.00"),
        help_text=_("借支或报销金额超过此数时，审批链加上财务审批"),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("借支催还天数"),
        default=30,
        help_text=_("付款后超过此天数仍未核销的借支，提醒借款人及其上级"),
    )
    reminder_every_days = models.PositiveSmallIntegerField(
        _("催还间隔（天）"), default=7, help_text=_("同一笔借支两次催还之间至少相隔的天数")
    )

    class Meta:
        verbose_name = _("借支报销规则参数")
        verbose_name_plural = _("借支报销规则参数")

    def __str__(self):
        return str(_("借支报销规则参数"))

    @classmethod
    def current(cls) -> MoneyPolicy:
        return cls.objects.order_by("pk").first() or cls.objects.create()


class ExpenseLimit(models.Model):
    """The limit of one expense category (报销标准): per line and/or per day of the line. A claim
    with a line over its limit gets the chain's over-limit step."""

    category = models.CharField(
        _("费用类别"), max_length=16, choices=ExpenseCategory.choices, unique=True
    )
    per_line = models.DecimalField(
        _("每笔上限（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    per_day = models.DecimalField(
        _("每天上限（元）"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("按明细的天数（住宿为晚数）计"),
    )

    class Meta:
        verbose_name = _("报销标准")
        verbose_name_plural = _("报销标准")
        ordering = ["category"]

    def __str__(self):
        return self.get_category_display()

    def excess(self, amount: Decimal, days: int) -> Decimal:
        """How far `amount` for `days` days is over this limit (0 within it)."""
        over = Decimal("0")
        if self.per_line is not None:
            over = max(over, amount - self.per_line)
        if self.per_day is not None:
            over = max(over, amount - self.per_day * max(days, 1))
        return over


class MoneyChainTemplate(models.Model):
    """The approval chain of advances or of claims, as data (copied onto each submission)."""

    kind = models.CharField(_("单据类型"), max_length=8, choices=MoneyDocKind.choices, unique=True)
    name = models.CharField(_("名称"), max_length=80)

    class Meta:
        verbose_name = _("借支报销审批链")
        verbose_name_plural = _("借支报销审批链")

    def __str__(self):
        return self.name


class MoneyStepTemplate(models.Model):
    chain = models.ForeignKey(MoneyChainTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("步骤名称"), max_length=60)
    role = models.CharField(_("签字角色"), max_length=32, choices=Role.choices)
    holder_scope = models.CharField(
        _("签字人查找范围"), max_length=16, choices=MoneyHolderScope.choices
    )
    condition = models.CharField(
        _("适用条件"),
        max_length=16,
        choices=MoneyStepCondition.choices,
        default=MoneyStepCondition.ALWAYS,
    )
    deadline_policy = models.ForeignKey(
        "service_ops.DeadlinePolicy",
        verbose_name=_("时限策略"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("借支报销审批步骤")
        verbose_name_plural = _("借支报销审批步骤")
        ordering = ["chain", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "position"], name="moneysteptemplate_position_unique"
            )
        ]

    def __str__(self):
        return f"{self.position}. {self.name}"


def money_scope_q(user, step_field: str) -> Q | None:
    """Which advances or claims `user` sees: None (all) for finance, the head of customer
    service and senior management; else their own, those of their org subtree for branch and
    province managers and field CS supervisors, and those with a step they may sign now."""
    from network.models import RoleAssignment
    from network.selectors import held_roles
    from network.visibility import units_below

    if not user or not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    roles = held_roles(user)
    if roles & MONEY_ALL_ROLES:
        return None
    q = Q(requester=user)
    if roles & MONEY_SCOPE_ROLES:
        # the subtrees where the user holds such a role themselves (a deputy signs through
        # signable_q below, and sees no more than that)
        paths = list(
            RoleAssignment.objects.filter(user=user, role__in=MONEY_SCOPE_ROLES).values_list(
                "org_unit__path", flat=True
            )
        )
        if paths:
            q |= Q(org_unit_id__in=sorted(pk for pk, _path, _kind in units_below(paths)))
    from .returns import signable_q

    signable = MoneyStep.objects.filter(signable_q(user)).exclude(**{f"{step_field}": None})
    q |= Q(pk__in=signable.values(step_field))
    return q


class MoneyDocQuerySet(models.QuerySet):
    step_field = ""

    def visible_to(self, user):
        q = money_scope_q(user, self.step_field)
        return self if q is None else self.filter(q)


class AdvanceQuerySet(MoneyDocQuerySet):
    step_field = "advance"


class ClaimQuerySet(MoneyDocQuerySet):
    step_field = "claim"


def _is_requester(instance, user) -> bool:
    return bool(user and user.is_authenticated and user.pk == instance.requester_id)


def _is_finance(instance, user) -> bool:
    from ..permissions import has_role

    return has_role(user, Role.FINANCE)


class MoneyDoc(FSMModelMixin, models.Model):
    """What an advance and a claim share: who asks, where they sit, what it was for, the chain's
    round, and finance's payment."""

    number = models.CharField(_("单号"), max_length=24, unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("申请人所在单位"), on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        OrgUnit,
        verbose_name=_("分公司"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("空：总部人员"),
    )
    visit = models.ForeignKey(
        "repairs.Visit",
        verbose_name=_("上门服务"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    service_request = models.ForeignKey(
        "repairs.ServiceRequest",
        verbose_name=_("报修单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    repair_order = models.ForeignKey(
        "repairs.RepairOrder",
        verbose_name=_("维修单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    round = models.PositiveSmallIntegerField(_("提交次数"), default=0, editable=False)
    reject_reason = models.TextField(_("驳回原因"), blank=True, editable=False, max_length=1000)
    paid_on = models.DateField(_("付款日期"), null=True, blank=True, editable=False)
    payment_method = models.CharField(
        _("付款方式"), max_length=8, choices=DisbursementMethod.choices, blank=True, editable=False
    )
    payment_reference = models.CharField(_("付款凭证号"), max_length=60, blank=True, editable=False)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("付款人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return self.number

    @property
    def state_colour(self) -> str:
        return self.STATES.colour_of(self.state)

    @property
    def requester_name(self) -> str:
        return self.requester.get_full_name() or self.requester.get_username()


class Advance(MoneyDoc):
    """借支: a cash advance. Outstanding from its payment until claims and repayments cover it."""

    STATES = AdvanceState
    amount = models.DecimalField(
        _("借支金额（元）"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(CENT)],
    )
    purpose = models.CharField(_("借支事由"), max_length=200)
    trip_destination = models.CharField(_("出差目的地"), max_length=100, blank=True)
    trip_start = models.DateField(_("出差开始"), null=True, blank=True)
    trip_end = models.DateField(_("出差结束"), null=True, blank=True)
    state = FSMField(
        _("状态"),
        max_length=20,
        choices=AdvanceState.choices,
        default=AdvanceState.DRAFT,
        protected=True,
    )
    settled_amount = models.DecimalField(
        _("已核销（元）"), max_digits=12, decimal_places=2, default=0, editable=False
    )
    settled_at = models.DateTimeField(_("核销完毕时间"), null=True, blank=True, editable=False)
    last_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AdvanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("借支")
        verbose_name_plural = _("借支")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["requester", "-id"], name="advance_requester"),
            models.Index(fields=["org_unit", "-id"], name="advance_unit"),
            models.Index(fields=["state", "-id"], name="advance_state"),
            models.Index(
                fields=["paid_on", "id"],
                name="advance_outstanding",
                condition=Q(state__in=["paid", "partially_settled"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(name="advance_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="advance_settled_within_amount",
                condition=Q(settled_amount__gte=0, settled_amount__lte=models.F("amount")),
            ),
        ]

    def get_absolute_url(self):
        return reverse_id("repairs:advance_detail", self.pk)

    @property
    def outstanding(self) -> Decimal:
        if self.state not in (AdvanceState.PAID, AdvanceState.PARTIALLY_SETTLED):
            return Decimal("0")
        return self.amount - self.settled_amount

    @property
    def for_what(self) -> str:
        if self.visit_id:
            return str(self.visit)
        if self.service_request_id:
            return str(self.service_request)
        if self.repair_order_id:
            return str(self.repair_order)
        return self.trip_destination

    # --- transitions: the service layer calls these through run_transition ------------------
    @transition(
        field=state,
        source=[AdvanceState.DRAFT, AdvanceState.REJECTED],
        target=AdvanceState.SUBMITTED,
        permission=_is_requester,
    )
    def submit(self):
        self.round += 1
        self.submitted_at = timezone.now()
        self.reject_reason = ""

    @transition(
        field=state,
        source=AdvanceState.SUBMITTED,
        target=AdvanceState.APPROVED,
        permission=system_only,
    )
    def approve(self):
        self.approved_at = timezone.now()

    @transition(
        field=state,
        source=AdvanceState.SUBMITTED,
        target=AdvanceState.REJECTED,
        permission=system_only,
    )
    def reject(self, reason: str = ""):
        self.reject_reason = reason

    @transition(
        field=state,
        source=[AdvanceState.DRAFT, AdvanceState.SUBMITTED, AdvanceState.REJECTED],
        target=AdvanceState.CANCELLED,
        permission=_is_requester,
    )
    def cancel(self):
        pass

    @transition(
        field=state, source=AdvanceState.APPROVED, target=AdvanceState.PAID, permission=_is_finance
    )
    def pay(self, *, paid_on, payment_method, reference, actor):
        self.paid_on = paid_on
        self.payment_method = payment_method
        self.payment_reference = reference
        self.paid_by = actor

    @transition(
        field=state,
        source=[AdvanceState.PAID, AdvanceState.PARTIALLY_SETTLED],
        target=AdvanceState.PARTIALLY_SETTLED,
        permission=system_only,
    )
    def settle_part(self, *, amount):
        self.settled_amount += amount

    @transition(
        field=state,
        source=[AdvanceState.PAID, AdvanceState.PARTIALLY_SETTLED],
        target=AdvanceState.SETTLED,
        permission=system_only,
    )
    def settle(self, *, amount):
        self.settled_amount += amount
        self.settled_at = timezone.now()


class ExpenseClaim(MoneyDoc):
    """报销: expense lines with receipt photos; paid by finance net of the open advances it
    deducts."""

    STATES = ClaimState
    advance = models.ForeignKey(
        Advance,
        verbose_name=_("冲抵借支"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="named_by_claims",
        help_text=_("空：按时间先后冲抵申请人未核销的借支"),
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=ClaimState.choices,
        default=ClaimState.DRAFT,
        protected=True,
    )
    total = models.DecimalField(
        _("报销金额（元）"), max_digits=12, decimal_places=2, default=0, editable=False
    )
    over_limit = models.BooleanField(_("有超标明细"), default=False, editable=False)
    deducted = models.DecimalField(
        _("冲抵借支（元）"), max_digits=12, decimal_places=2, default=0, editable=False
    )
    net_paid = models.DecimalField(
        _("实付（元）"), max_digits=12, decimal_places=2, default=0, editable=False
    )

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("报销单")
        verbose_name_plural = _("报销单")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["requester", "-id"], name="claim_requester"),
            models.Index(fields=["org_unit", "-id"], name="claim_unit"),
            models.Index(fields=["state", "-id"], name="claim_state"),
            models.Index(fields=["paid_on", "id"], name="claim_paid_on"),
        ]

    def get_absolute_url(self):
        return reverse_id("repairs:claim_detail", self.pk)

    @transition(
        field=state,
        source=[ClaimState.DRAFT, ClaimState.REJECTED],
        target=ClaimState.SUBMITTED,
        permission=_is_requester,
    )
    def submit(self):
        self.round += 1
        self.submitted_at = timezone.now()
        self.reject_reason = ""

    @transition(
        field=state, source=ClaimState.SUBMITTED, target=ClaimState.APPROVED, permission=system_only
    )
    def approve(self):
        self.approved_at = timezone.now()

    @transition(
        field=state, source=ClaimState.SUBMITTED, target=ClaimState.REJECTED, permission=system_only
    )
    def reject(self, reason: str = ""):
        self.reject_reason = reason

    @transition(
        field=state,
        source=[ClaimState.DRAFT, ClaimState.SUBMITTED, ClaimState.REJECTED],
        target=ClaimState.CANCELLED,
        permission=_is_requester,
    )
    def cancel(self):
        pass

    @transition(
        field=state, source=ClaimState.APPROVED, target=ClaimState.PAID, permission=_is_finance
    )
    def pay(self, *, paid_on, payment_method, reference, actor, deducted):
        self.paid_on = paid_on
        self.payment_method = payment_method
        self.payment_reference = reference
        self.paid_by = actor
        self.deducted = deducted
        self.net_paid = self.total - deducted


class ExpenseLine(models.Model):
    claim = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(_("费用类别"), max_length=16, choices=ExpenseCategory.choices)
    spent_on = models.DateField(_("日期"))
    days = models.PositiveSmallIntegerField(_("天数/晚数"), default=1)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=10, decimal_places=2, validators=[MinValueValidator(CENT)]
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    over_by = models.DecimalField(
        _("超标金额"), max_digits=10, decimal_places=2, default=0, editable=False
    )

    class Meta:
        verbose_name = _("报销明细")
        verbose_name_plural = _("报销明细")
        ordering = ["claim", "id"]
        constraints = [
            models.CheckConstraint(name="expenseline_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="expenseline_days_positive", condition=Q(days__gt=0)),
        ]

    def __str__(self):
        return f"{self.get_category_display()} {self.amount}"


class ReceiptPhotoQuerySet(models.QuerySet):
    def visible_to(self, user):
        q = money_scope_q(user, "claim")
        if q is None:
            return self
        return self.filter(line__claim__in=ExpenseClaim.objects.filter(q).values("pk"))


class ReceiptPhoto(models.Model):
    line = models.ForeignKey(ExpenseLine, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("票据照片"), upload_to="claims/receipts/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = ReceiptPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("票据照片")
        verbose_name_plural = _("票据照片")
        ordering = ["line", "id"]


def _may_sign_money(instance, user) -> bool:
    from network.selectors import acts_as

    return acts_as(user, instance.role, instance.org_unit)


class MoneyStepQuerySet(models.QuerySet):
    def signable_by(self, user):
        from .returns import signable_q

        return self.filter(signable_q(user))

    def visible_to(self, user):
        """A step is visible iff its advance or claim is."""
        advances, claims = money_scope_q(user, "advance"), money_scope_q(user, "claim")
        if advances is None or claims is None:
            return self
        return self.filter(
            Q(advance__in=Advance.objects.filter(advances).values("pk"))
            | Q(claim__in=ExpenseClaim.objects.filter(claims).values("pk"))
        )


class MoneyStep(FSMModelMixin, models.Model):
    """One signature of one submission round of an advance or a claim (exactly one of them)."""

    advance = models.ForeignKey(
        Advance, on_delete=models.CASCADE, null=True, blank=True, related_name="steps"
    )
    claim = models.ForeignKey(
        ExpenseClaim, on_delete=models.CASCADE, null=True, blank=True, related_name="steps"
    )
    round = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("步骤"), max_length=60)
    role = models.CharField(_("签字角色"), max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("签字单位"), on_delete=models.PROTECT, related_name="+"
    )
    condition = models.CharField(
        _("适用条件"), max_length=16, choices=MoneyStepCondition.choices, editable=False
    )
    deadline_policy_code = models.CharField(max_length=64, blank=True)
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=StepState.choices,
        default=StepState.WAITING,
        protected=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签字人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("签字时间"), null=True, blank=True)
    comment = models.TextField(_("意见"), blank=True, max_length=1000)

    objects = MoneyStepQuerySet.as_manager()

    class Meta:
        verbose_name = _("借支报销审批步骤记录")
        verbose_name_plural = _("借支报销审批步骤记录")
        ordering = ["round", "position"]
        constraints = [
            models.CheckConstraint(
                name="moneystep_one_document",
                condition=(
                    Q(advance__isnull=False, claim__isnull=True)
                    | Q(advance__isnull=True, claim__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["advance", "round", "position"],
                condition=Q(advance__isnull=False),
                name="moneystep_advance_unique",
            ),
            models.UniqueConstraint(
                fields=["claim", "round", "position"],
                condition=Q(claim__isnull=False),
                name="moneystep_claim_unique",
            ),
        ]
        indexes = [models.Index(fields=["state", "role"], name="moneystep_queue")]

    def __str__(self):
        return f"{self.document} #{self.round}.{self.position} {self.name}"

    def get_absolute_url(self):
        return self.document.get_absolute_url()

    @property
    def document(self):
        return self.advance if self.advance_id else self.claim

    @property
    def name_text(self) -> str:
        return str(data_text(self.name))

    @transition(
        field=state, source=StepState.WAITING, target=StepState.PENDING, permission=system_only
    )
    def open(self):
        pass

    @transition(
        field=state, source=StepState.PENDING, target=StepState.APPROVED, permission=_may_sign_money
    )
    def approve(self, *, actor, comment=""):
        self.decided_by = actor
        self.decided_at = timezone.now()
        self.comment = comment

    @transition(
        field=state, source=StepState.PENDING, target=StepState.REJECTED, permission=_may_sign_money
    )
    def reject(self, *, actor, comment=""):
        self.decided_by = actor
        self.decided_at = timezone.now()
        self.comment = comment

    @transition(
        field=state,
        source=[StepState.WAITING, StepState.PENDING],
        target=StepState.CANCELLED,
        permission=system_only,
    )
    def cancel(self):
        pass


class AdvanceSettlement(models.Model):
    """What settled part of an advance: a paid claim's deduction, or a repayment finance
    recorded. Written only by repairs.services.advances, under the advance's lock."""

    advance = models.ForeignKey(Advance, on_delete=models.PROTECT, related_name="settlements")
    kind = models.CharField(_("方式"), max_length=10, choices=AdvanceSettlementKind.choices)
    claim = models.ForeignKey(
        ExpenseClaim,
        verbose_name=_("报销单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deductions",
    )
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    on = models.DateField(_("日期"))
    method = models.CharField(
        _("付款方式"), max_length=8, choices=DisbursementMethod.choices, blank=True
    )
    reference = models.CharField(_("凭证号"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("借支核销")
        verbose_name_plural = _("借支核销")
        ordering = ["advance", "id"]
        constraints = [
            models.CheckConstraint(name="advancesettlement_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(
                fields=["advance", "claim"],
                condition=Q(claim__isnull=False),
                name="advancesettlement_claim_once",
            ),
        ]

    def __str__(self):
        return f"{self.advance} {self.get_kind_display()} {self.amount}"
