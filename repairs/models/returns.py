"""Return-to-factory applications (返修机返厂申请表), their approval steps, pickup and receipt.
The returned-stock processing application (呆滞/退货产品处理申请) is in models/stock.py."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.choices import Role
from network.models import Delegation, OrgUnit, RoleAssignment
from network.visibility import BRANCH_THEN_PARTNER, scope_by_org, sees_everything
from service_ops.i18n import data_text
from service_ops.reversing import reverse_id

from ..choices import (
    ApplicationState,
    DiscrepancyKind,
    FreightTerms,
    HolderScope,
    IntakeChannel,
    Platform,
    ShippingMethod,
    StepState,
    Urgency,
)
from ..permissions import system_only
from ..validators import validate_purchase_date


class ApprovalChainTemplate(models.Model):
    """The approval chain of one platform, as data: editable in the admin, copied onto each
    application at submission so a later edit never rewrites history."""

    platform = models.CharField(_("平台"), max_length=12, choices=Platform.choices, unique=True)
    name = models.CharField(_("名称"), max_length=80)

    class Meta:
        verbose_name = _("审批链模板")
        verbose_name_plural = _("审批链模板")

    def __str__(self):
        return self.name


class ApprovalStepTemplate(models.Model):
    chain = models.ForeignKey(ApprovalChainTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("步骤名称"), max_length=60)
    role = models.CharField(_("签字角色"), max_length=32, choices=Role.choices)
    holder_scope = models.CharField(_("签字人查找范围"), max_length=16, choices=HolderScope.choices)
    deadline_policy = models.ForeignKey(
        "service_ops.DeadlinePolicy",
        verbose_name=_("时限策略"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("审批步骤模板")
        verbose_name_plural = _("审批步骤模板")
        ordering = ["chain", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "position"], name="approvalsteptemplate_position_unique"
            )
        ]

    def __str__(self):
        return f"{self.position}. {self.name}"


def _digits(expression):
    """A phone as typed, as digits: the call centre's caller history matches numbers in its
    normal form (the same chain is the index below, so the lookup uses it)."""
    for char in (" ", "-", "(", ")", ".", "+86"):
        expression = Replace(expression, Value(char), Value(""))
    return expression


CONTACT_DIGITS = _digits(F("contact_phone"))


class ReturnApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A dealer sees its own applications, a branch its own (and its dealers'), a province
        its branches', headquarters all."""
        return scope_by_org(self, user, *BRANCH_THEN_PARTNER)


def _is_applicant_side(instance, user) -> bool:
    from ..permissions import is_applicant_side

    return is_applicant_side(user, instance)


def _is_logistics_clerk(instance, user) -> bool:
    from ..permissions import has_role

    return has_role(user, Role.LOGISTICS_CLERK)


def _is_receiver(instance, user) -> bool:
    from ..permissions import has_role

    return has_role(user, Role.LOGISTICS_CLERK) or has_role(user, Role.WAREHOUSE_KEEPER)


def _freight_prepaid(instance) -> bool:
    return instance.freight_terms == FreightTerms.PREPAID


def _has_lines(instance) -> bool:
    return instance.lines.exists()


class ReturnApplication(FSMModelMixin, models.Model):
    number = models.CharField(_("单号"), max_length=24, unique=True, editable=False)
    platform = models.CharField(_("平台"), max_length=12, choices=Platform.choices, editable=False)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="return_applications",
    )
    applicant_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("申请单位"), on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        OrgUnit,
        verbose_name=_("分公司"),
        on_delete=models.PROTECT,
        related_name="return_applications",
    )
    dealer = models.ForeignKey(
        OrgUnit,
        verbose_name=_("代理商"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dealer_return_applications",
    )
    contact_name = models.CharField(_("联系人"), max_length=60)
    contact_phone = models.CharField(_("联系电话"), max_length=40)
    pickup_address = models.CharField(_("提货地址"), max_length=255, blank=True)
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    shipping_method = models.CharField(
        _("发货方式"),
        max_length=16,
        choices=ShippingMethod.choices,
        default=ShippingMethod.LOGISTICS,
    )
    freight_terms = models.CharField(
        _("运费"), max_length=10, choices=FreightTerms.choices, default=FreightTerms.PREPAID
    )
    remarks = models.TextField(_("备注"), blank=True, max_length=2000)

    state = FSMField(
        _("状态"),
        max_length=16,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
        protected=True,
    )
    round = models.PositiveSmallIntegerField(_("提交次数"), default=0, editable=False)
    reject_reason = models.TextField(_("驳回原因"), blank=True, editable=False, max_length=1000)

    pickup_date = models.DateField(_("提货日期"), null=True, blank=True, editable=False)
    driver_name = models.CharField(_("司机"), max_length=40, blank=True, editable=False)
    driver_phone = models.CharField(_("司机电话"), max_length=40, blank=True, editable=False)
    vehicle_plate = models.CharField(_("车牌"), max_length=20, blank=True, editable=False)
    shipper_count = models.PositiveIntegerField(
        _("发货方数量"), null=True, blank=True, editable=False
    )
    counted_units = models.PositiveIntegerField(
        _("提货点数"), null=True, blank=True, editable=False
    )
    has_discrepancies = models.BooleanField(_("有差异"), default=False, editable=False)

    # Intake on behalf: an application that came by fax or e-mail, entered by the clerk for its
    # sender (the applicant), with the scanned form kept as the original.
    intake_channel = models.CharField(
        _("收到方式"),
        max_length=8,
        choices=IntakeChannel.choices,
        default=IntakeChannel.WEB,
        editable=False,
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代为录入"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    intake_scan = models.FileField(
        _("原始申请表扫描件"), upload_to="returns/intake/%Y/%m/", blank=True, editable=False
    )

    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True, editable=False)
    picked_up_at = models.DateTimeField(_("提货时间"), null=True, blank=True, editable=False)
    received_at = models.DateTimeField(_("收货时间"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True, editable=False)

    objects = ReturnApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("返修机返厂申请")
        verbose_name_plural = _("返修机返厂申请")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "-id"], name="returnapp_state"),
            # the logistics board: each column's oldest approvals first, read in order (the
            # state index alone had every row of a column joined and sorted: 1,940 for 15)
            models.Index(
                fields=["state", "approved_at", "id"],
                name="returnapp_board",
                condition=Q(state__in=["approved", "pickup_booked", "picked_up", "received"]),
            ),
            models.Index(fields=["branch", "-id"], name="returnapp_branch"),
            models.Index(fields=["dealer", "-id"], name="returnapp_dealer"),
            # `number=` is matched case-insensitively (iexact: UPPER(number) = UPPER(%s))
            models.Index(Upper("number"), name="returnapp_number_upper"),
            # the caller history of the call centre's desk, by the contact's number
            models.Index(CONTACT_DIGITS, name="returnapp_contact_digits"),
        ]
        constraints = [
            models.CheckConstraint(
                name="returnapp_managed_has_dealer_or_operating_none",
                condition=Q(platform=Platform.MANAGED) | Q(dealer__isnull=True),
            )
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:return_detail", self.pk)

    @property
    def state_colour(self) -> str:
        """The Bootstrap colour of the state badge."""
        return ApplicationState.colour_of(self.state)

    @property
    def expected_units(self) -> int:
        return sum(line.quantity for line in self.lines.all())

    # --- transitions: the service layer calls these through run_transition -----------------
    @transition(
        field=state,
        source=[ApplicationState.DRAFT, ApplicationState.REJECTED],
        target=ApplicationState.IN_APPROVAL,
        conditions=[_has_lines],
        permission=_is_applicant_side,
    )
    def submit(self):
        self.round += 1
        self.submitted_at = timezone.now()
        self.reject_reason = ""

    @transition(
        field=state,
        source=ApplicationState.IN_APPROVAL,
        target=ApplicationState.APPROVED,
        permission=system_only,
    )
    def approve(self):
        self.approved_at = timezone.now()

    @transition(
        field=state,
        source=ApplicationState.IN_APPROVAL,
        target=ApplicationState.REJECTED,
        permission=system_only,
    )
    def reject(self, reason: str = ""):
        self.reject_reason = reason

    @transition(
        field=state,
        source=[ApplicationState.DRAFT, ApplicationState.IN_APPROVAL, ApplicationState.REJECTED],
        target=ApplicationState.WITHDRAWN,
        permission=_is_applicant_side,
    )
    def withdraw(self):
        pass

    @transition(
        field=state,
        source=ApplicationState.APPROVED,
        target=ApplicationState.PICKUP_BOOKED,
        conditions=[_freight_prepaid],
        permission=_is_logistics_clerk,
    )
    def book_pickup(self, *, pickup_date, driver_name, driver_phone="", vehicle_plate=""):
        self.pickup_date = pickup_date
        self.driver_name = driver_name
        self.driver_phone = driver_phone
        self.vehicle_plate = vehicle_plate

    @transition(
        field=state,
        source=ApplicationState.PICKUP_BOOKED,
        target=ApplicationState.PICKED_UP,
        permission=_is_logistics_clerk,
    )
    def record_pickup(self, *, counted_units: int, shipper_count: int):
        self.counted_units = counted_units
        self.shipper_count = shipper_count
        self.picked_up_at = timezone.now()

    @transition(
        field=state,
        source=ApplicationState.PICKED_UP,
        target=ApplicationState.RECEIVED,
        conditions=[_freight_prepaid],
        permission=_is_receiver,
    )
    def receive(self, at=None):
        self.received_at = at or timezone.now()

    @transition(
        field=state,
        source=ApplicationState.RECEIVED,
        target=ApplicationState.CLOSED,
        permission=_is_logistics_clerk,
    )
    def close(self):
        self.closed_at = timezone.now()


class ReturnLine(models.Model):
    application = models.ForeignKey(
        ReturnApplication, on_delete=models.CASCADE, related_name="lines"
    )
    product_model = models.CharField(_("产品型号"), max_length=60)
    serial_number = models.CharField(_("出厂编号"), max_length=60, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    purchase_date = models.DateField(
        _("购买日期"), null=True, blank=True, validators=[validate_purchase_date]
    )
    has_warranty_card = models.BooleanField(_("有保修卡"), default=True)
    has_proof_of_purchase = models.BooleanField(_("有购买凭证"), default=True)
    has_seller_stamp = models.BooleanField(_("保修卡有销售店印章"), default=True)
    fault_description = models.TextField(_("故障描述"), max_length=1000)

    class Meta:
        verbose_name = _("返修明细")
        verbose_name_plural = _("返修明细")
        ordering = ["id"]
        indexes = [models.Index(Upper("serial_number"), name="returnline_serial_upper")]
        constraints = [
            models.CheckConstraint(
                name="returnline_quantity_positive", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="returnline_serial_means_one_unit",
                condition=Q(serial_number="") | Q(quantity=1),
            ),
        ]

    def __str__(self):
        return f"{self.product_model} {self.serial_number or f'×{self.quantity}'}"


class ReturnAttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An attachment is visible iff its application is."""
        if sees_everything(user):
            return self.all()
        return self.filter(application__in=ReturnApplication.objects.visible_to(user).values("pk"))


class ReturnAttachment(models.Model):
    application = models.ForeignKey(
        ReturnApplication, on_delete=models.CASCADE, related_name="attachments"
    )
    line = models.ForeignKey(
        ReturnLine, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("附件"), upload_to="returns/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ReturnAttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    @property
    def display_name(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


def _may_sign(instance, user) -> bool:
    from network.selectors import acts_as

    return acts_as(user, instance.role, instance.org_unit)


def signable_q(user) -> Q:
    """Pending steps `user` may sign now, as one filter: exactly network.selectors.acts_as(user,
    step.role, step.org_unit) — the user, or a principal they stand in for today, is the nearest
    holder of the step's role from the step's unit up. The units are worked out in Python
    (network.selectors.acting_units), so the filter is `role = r AND org_unit_id IN (…)` per
    role on the step row, which the (state, role) index answers."""
    from network.selectors import acting_units

    q = Q()
    for role, unit_ids in acting_units(user).items():
        q |= Q(role=role, org_unit_id__in=unit_ids)
    if not q:
        return Q(pk__in=[])
    return q & Q(state=StepState.PENDING)


def signs_only_within_scope(user) -> bool:
    """Whether every step `user` may sign lies in their own org scope: they stand in for nobody
    today and hold their roles at their own unit or below it. A step's unit is at or below the
    signer's assignment and at or above the application's branch, so the application is then in
    the signer's subtree. A deputy, or a role held outside one's own subtree, needs signable_q."""
    from network.visibility import user_org_unit

    unit = user_org_unit(user)
    if unit is None:
        return False
    today = timezone.localdate()
    if Delegation.objects.filter(deputy=user, starts_on__lte=today, ends_on__gte=today).exists():
        return False
    return not (
        RoleAssignment.objects.filter(user=user)
        .exclude(org_unit__path__startswith=unit.path)
        .exists()
    )


class ApprovalStepQuerySet(models.QuerySet):
    def signable_by(self, user):
        return self.filter(signable_q(user))

    def visible_to(self, user):
        """Whoever sees the application (org scope), or may sign the step now (signable_q): the
        signature queue, the decide page and the API answer alike."""
        if sees_everything(user):
            return self.all()
        applications = ReturnApplication.objects.visible_to(user).values("pk")
        if signs_only_within_scope(user):
            # every step the user may sign belongs to an application they see anyway: one
            # semi-join the planner can drive from the (few) visible applications
            return self.filter(application__in=applications)
        return self.filter(Q(application__in=applications) | signable_q(user))


class ApprovalStep(FSMModelMixin, models.Model):
    """One signature of one submission round. Its own row and its own state: the service re-checks
    under the application's lock that the step is still pending and the actor holds its role."""

    application = models.ForeignKey(
        ReturnApplication, on_delete=models.CASCADE, related_name="steps"
    )
    round = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("步骤"), max_length=60)
    role = models.CharField(_("签字角色"), max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("签字单位"), on_delete=models.PROTECT, related_name="+"
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

    objects = ApprovalStepQuerySet.as_manager()

    class Meta:
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        ordering = ["application", "round", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "round", "position"], name="approvalstep_unique"
            )
        ]
        indexes = [models.Index(fields=["state", "role"], name="approvalstep_queue")]

    def __str__(self):
        return f"{self.application} #{self.round}.{self.position} {self.name}"

    def get_absolute_url(self):
        return self.application.get_absolute_url()

    @property
    def name_text(self) -> str:
        """The step's name in the reader's language (seeded from a marked template name)."""
        return str(data_text(self.name))

    @transition(
        field=state, source=StepState.WAITING, target=StepState.PENDING, permission=system_only
    )
    def open(self):
        pass

    @transition(
        field=state, source=StepState.PENDING, target=StepState.APPROVED, permission=_may_sign
    )
    def approve(self, *, actor, comment=""):
        self.decided_by = actor
        self.decided_at = timezone.now()
        self.comment = comment

    @transition(
        field=state, source=StepState.PENDING, target=StepState.REJECTED, permission=_may_sign
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


class ReceivedUnit(models.Model):
    application = models.ForeignKey(
        ReturnApplication, on_delete=models.CASCADE, related_name="received_units"
    )
    line = models.ForeignKey(
        ReturnLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="received"
    )
    product_model = models.CharField(_("型号"), max_length=60)
    serial_number = models.CharField(_("出厂编号"), max_length=60, blank=True)
    received_at = models.DateTimeField(_("收货时间"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("收货机器")
        verbose_name_plural = _("收货机器")
        ordering = ["id"]

    def __str__(self):
        return f"{self.product_model} {self.serial_number}"


class Discrepancy(models.Model):
    application = models.ForeignKey(
        ReturnApplication, on_delete=models.CASCADE, related_name="discrepancies"
    )
    kind = models.CharField(_("差异类型"), max_length=16, choices=DiscrepancyKind.choices)
    expected = models.CharField(_("应为"), max_length=120, blank=True)
    actual = models.CharField(_("实际"), max_length=120, blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    shipper_notified_at = models.DateTimeField(_("已通知发货方"), null=True, blank=True)

    class Meta:
        verbose_name = _("收货差异")
        verbose_name_plural = _("收货差异")
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.expected} → {self.actual}"
