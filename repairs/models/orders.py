"""Repair work orders (维修组维修流程): lots with working-day limits, quotes, loaners, the
Wednesday/Saturday review and the month-end statement."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.choices import Role
from network.models import OrgUnit
from network.visibility import BRANCH_THEN_PARTNER, scope_by_org, sees_everything
from service_ops.i18n import render_list
from service_ops.reversing import reverse_id

from ..choices import (
    DelayReason,
    LoanState,
    OrderState,
    QuoteLineKind,
    QuoteState,
    ReviewDecision,
    ServiceType,
    StatementState,
    Urgency,
    WaitReason,
)
from ..permissions import may_build_statements, system_only
from ..validators import validate_purchase_date


class LotLimitRule(models.Model):
    """Repair time limit by lot size (1 unit: 3 working days, 2–3: 7, 4 and more: 15), as data.
    The limit itself lives in the referenced deadline policy (with its 15-day ceiling)."""

    min_units = models.PositiveSmallIntegerField(_("最少台数"))
    max_units = models.PositiveSmallIntegerField(
        _("最多台数"), null=True, blank=True, help_text=_("留空表示不设上限")
    )
    policy = models.ForeignKey(
        "service_ops.DeadlinePolicy", verbose_name=_("时限策略"), on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("维修时限规则")
        verbose_name_plural = _("维修时限规则")
        ordering = ["min_units"]

    def __str__(self):
        upper = self.max_units or "∞"
        return f"{self.min_units}–{upper}: {self.policy}"


class RepairLotQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A lot is visible iff its application is."""
        from .returns import ReturnApplication

        if sees_everything(user):
            return self.all()
        return self.filter(application__in=ReturnApplication.objects.visible_to(user).values("pk"))


class RepairLot(models.Model):
    """The units of one receipt: its size decides the limit of each of its orders."""

    number = models.CharField(_("批次号"), max_length=24, unique=True)
    application = models.OneToOneField(
        "repairs.ReturnApplication", on_delete=models.PROTECT, related_name="lot"
    )
    branch = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    dealer = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    size = models.PositiveSmallIntegerField(_("台数"))
    policy_code = models.CharField(_("时限策略"), max_length=64)
    received_at = models.DateTimeField(_("收货时间"))

    objects = RepairLotQuerySet.as_manager()

    class Meta:
        verbose_name = _("维修批次")
        verbose_name_plural = _("维修批次")
        ordering = ["-id"]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:lot_detail", self.pk)


def turnaround_hours(picked_up_at, shipped_at) -> float | None:
    """Working hours from pickup to shipment (None before pickup)."""
    if picked_up_at is None or shipped_at is None:
        return None
    from service_ops.workcalendar import clock

    return round(clock.working_seconds_between(picked_up_at, shipped_at) / 3600.0, 2)


class RepairOrderQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Like its application: a dealer its own, a branch its own (and its dealers'), a
        province its branches', headquarters all."""
        return scope_by_org(self, user, *BRANCH_THEN_PARTNER)


class ThroughOrderQuerySet(models.QuerySet):
    """Quotes, loans and review items: visible iff their repair order is."""

    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        return self.filter(order__in=RepairOrder.objects.visible_to(user).values("pk"))


def _is_technician(instance, user) -> bool:
    from ..permissions import is_technician

    return is_technician(user)


def _is_own_technician(instance, user) -> bool:
    from ..permissions import has_role

    return instance.technician_id == user.pk or has_role(user, Role.REPAIR_SUPERVISOR)


def _is_clerk(instance, user) -> bool:
    from ..permissions import is_clerk

    return is_clerk(user)


class RepairOrder(FSMModelMixin, models.Model):
    number = models.CharField(_("维修单号"), max_length=24, unique=True)
    lot = models.ForeignKey(RepairLot, on_delete=models.PROTECT, related_name="orders")
    received_unit = models.OneToOneField(
        "repairs.ReceivedUnit", on_delete=models.PROTECT, related_name="repair_order"
    )
    branch = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    dealer = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    product_model = models.CharField(_("型号"), max_length=60)
    serial_number = models.CharField(_("出厂编号"), max_length=60, blank=True)
    purchase_date = models.DateField(
        _("购买日期"), null=True, blank=True, validators=[validate_purchase_date]
    )
    fault_description = models.TextField(_("故障描述"), blank=True, max_length=1000)

    state = FSMField(
        _("状态"),
        max_length=20,
        choices=OrderState.choices,
        default=OrderState.WAITING_PICKUP,
        protected=True,
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("技术员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_orders",
    )
    picked_up_at = models.DateTimeField(_("领机时间"), null=True, blank=True)
    diagnosis = models.TextField(_("检测结果"), blank=True, max_length=2000)
    repair_notes = models.TextField(_("维修记录"), blank=True, max_length=2000)

    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    in_warranty = models.BooleanField(_("保修期内免费"), null=True, blank=True)
    warranty_reasons = models.JSONField(_("保修判定理由"), default=list, blank=True)
    service_type = models.CharField(
        _("服务类型"), max_length=10, choices=ServiceType.choices, blank=True
    )

    repair_count = models.PositiveSmallIntegerField(_("维修次数"), default=0)
    qc_failures = models.PositiveSmallIntegerField(_("质检不合格次数"), default=0)
    waiting_parts_reason = models.CharField(_("等配件原因"), max_length=200, blank=True)
    waiting_parts_until = models.DateField(_("预计到件"), null=True, blank=True)
    customer_contacted_at = models.DateTimeField(_("最近联系客户"), null=True, blank=True)

    burn_in_started_at = models.DateTimeField(_("老化开始"), null=True, blank=True)
    burn_in_ended_at = models.DateTimeField(_("老化结束"), null=True, blank=True)
    packing_list = models.TextField(_("装箱清单"), blank=True, max_length=1000)
    parcels = models.PositiveSmallIntegerField(_("件数"), null=True, blank=True)
    packed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("包装人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    packed_at = models.DateTimeField(_("包装时间"), null=True, blank=True)

    carrier = models.CharField(_("承运商"), max_length=60, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=60, blank=True)
    shipped_on = models.DateField(_("发货日期"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # Working hours (platform calendar, working hours only) from pickup to shipment, set when
    # the unit ships: the turnaround report reads it instead of working it out per row.
    turnaround_hours = models.FloatField(_("周转工时"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RepairOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("维修单")
        verbose_name_plural = _("维修单")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "-id"], name="repairorder_state"),
            models.Index(fields=["branch", "-id"], name="repairorder_branch"),
            models.Index(fields=["dealer", "-id"], name="repairorder_dealer"),
            models.Index(fields=["technician", "state"], name="repairorder_technician"),
            # The queue's and the boards' ranking (selectors/orders.py _ranked_ids) reads every
            # unit of the states it ranks with its urgency: a supervisor's every-technician view
            # ranks the 15,000 units in repair. From the index alone, not a table row each (the
            # view at 1M orders: 158-178 -> 118-133 ms p50).
            models.Index(
                fields=["state"],
                include=["id", "urgency", "branch", "dealer", "technician"],
                name="repairorder_open_rank",
                condition=Q(
                    state__in=[
                        "waiting_pickup",
                        "diagnosing",
                        "quoting",
                        "waiting_consent",
                        "repairing",
                        "waiting_parts",
                        "burn_in",
                        "qc",
                        "packing",
                        "packed",
                        "return_unrepaired",
                    ]
                ),
            ),
            # exact lookups are case-insensitive (iexact: UPPER(col) = UPPER(%s))
            models.Index(Upper("number"), name="repairorder_number_upper"),
            models.Index(Upper("serial_number"), name="repairorder_serial_upper"),
            # the board's last column: shipped units, oldest shipment first
            models.Index(
                fields=["shipped_at", "id"],
                name="repairorder_shipped",
                condition=Q(state="shipped"),
            ),
            # the repairs reports: shipped units by month of shipment (any later state); the
            # columns the QC and warranty reports count and the scope filters on ride along, so
            # PostgreSQL reads a quarter's 180,000 units from the index alone (not one heap page
            # per unit: 260 ms at a million orders)
            models.Index(
                fields=["shipped_at"],
                name="repairorder_report_shipped",
                condition=Q(shipped_at__isnull=False),
                include=[
                    "id",  # COUNT(id)
                    "branch",
                    "dealer",
                    "product_model",
                    "service_type",
                    "repair_count",
                    "qc_failures",
                ],
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:order_detail", self.pk)

    @property
    def warranty_reason_texts(self) -> list[str]:
        """The warranty reasons in the reader's (the active) language."""
        return render_list(self.warranty_reasons)

    @property
    def state_colour(self) -> str:
        """The Bootstrap colour of the state badge."""
        return OrderState.colour_of(self.state)

    # pick up → diagnose → [quote → consent] → repair → burn-in → QC → pack → ship → close
    @transition(
        field=state,
        source=OrderState.WAITING_PICKUP,
        target=OrderState.DIAGNOSING,
        permission=_is_technician,
    )
    def pick_up(self, *, technician):
        self.technician = technician
        self.picked_up_at = timezone.now()

    # from repairing: a supplementary quote (补充报价) for paid parts found during the repair
    # (issue 19); the consent sends the unit back to repairing, a refusal back unrepaired
    @transition(
        field=state,
        source=[OrderState.DIAGNOSING, OrderState.REPAIRING],
        target=OrderState.QUOTING,
        permission=_is_own_technician,
    )
    def raise_quote(self, *, diagnosis=""):
        if diagnosis:
            self.diagnosis = diagnosis

    @transition(
        field=state,
        source=OrderState.QUOTING,
        target=OrderState.WAITING_CONSENT,
        permission=_is_clerk,
    )
    def send_quote(self):
        pass

    @transition(
        field=state,
        source=OrderState.WAITING_CONSENT,
        target=OrderState.REPAIRING,
        permission=system_only,
    )
    def consent(self):
        self.repair_count += 1

    @transition(
        field=state,
        source=OrderState.WAITING_CONSENT,
        target=OrderState.RETURN_UNREPAIRED,
        permission=system_only,
    )
    def decline(self):
        pass

    @transition(
        field=state,
        source=OrderState.WAITING_CONSENT,
        target=OrderState.RETURN_UNREPAIRED,
        permission=system_only,
    )
    def no_answer(self):
        pass

    @transition(
        field=state,
        source=[OrderState.DIAGNOSING, OrderState.REPAIRING, OrderState.WAITING_PARTS],
        target=OrderState.RETURN_UNREPAIRED,
        permission=system_only,
    )
    def give_up(self):
        """The review decided to send it back unrepaired (公司对此问题暂无解决方案)."""

    def is_free_repair(self) -> bool:
        """In warranty (free) or under a service contract. Anything else is paid and reaches
        the bench only through a quote the shipper consented to (报价 → 同意 → 维修)."""
        if self.service_type:
            return self.service_type in (ServiceType.FREE, ServiceType.CONTRACT)
        return self.in_warranty is True

    @transition(
        field=state,
        source=OrderState.DIAGNOSING,
        target=OrderState.REPAIRING,
        permission=_is_own_technician,
        conditions=[is_free_repair],
    )
    def start_repair(self, *, diagnosis=""):
        if diagnosis:
            self.diagnosis = diagnosis
        self.repair_count += 1

    @transition(
        field=state,
        source=OrderState.REPAIRING,
        target=OrderState.WAITING_PARTS,
        permission=_is_own_technician,
    )
    def wait_for_parts(self, *, reason, until=None):
        self.waiting_parts_reason = reason
        self.waiting_parts_until = until

    @transition(
        field=state,
        source=OrderState.WAITING_PARTS,
        target=OrderState.REPAIRING,
        permission=_is_own_technician,
    )
    def parts_arrived(self):
        self.waiting_parts_reason = ""
        self.waiting_parts_until = None

    @transition(
        field=state,
        source=OrderState.REPAIRING,
        target=OrderState.BURN_IN,
        permission=_is_own_technician,
    )
    def finish_repair(self, *, notes=""):
        if notes:
            self.repair_notes = (self.repair_notes + "\n" + notes).strip()
        self.burn_in_started_at = timezone.now()
        self.burn_in_ended_at = None

    @transition(
        field=state, source=OrderState.BURN_IN, target=OrderState.QC, permission=_is_own_technician
    )
    def finish_burn_in(self):
        self.burn_in_ended_at = timezone.now()

    def burn_in_ends_earliest(self, minimum_hours: int):
        """The first moment the burn-in may end (wall-clock hours: units burn in overnight)."""
        if self.burn_in_started_at is None:
            return None
        return self.burn_in_started_at + timedelta(hours=minimum_hours)

    @transition(
        field=state, source=OrderState.QC, target=OrderState.PACKING, permission=_is_technician
    )
    def pass_qc(self):
        pass

    @transition(
        field=state, source=OrderState.PACKING, target=OrderState.PACKED, permission=_is_technician
    )
    def pack(self, *, packer, packing_list, parcels):
        self.packing_list = packing_list
        self.parcels = parcels
        self.packed_by = packer
        self.packed_at = timezone.now()

    @transition(
        field=state, source=OrderState.QC, target=OrderState.REPAIRING, permission=_is_technician
    )
    def fail_qc(self):
        """A QC failure sends the unit back for a second repair (二次维修)."""
        self.qc_failures += 1
        self.repair_count += 1

    @transition(
        field=state,
        source=[OrderState.PACKED, OrderState.RETURN_UNREPAIRED],
        target=OrderState.SHIPPED,
        permission=_is_clerk,
    )
    def ship(self, *, carrier, tracking_number, shipped_on):
        self.carrier = carrier
        self.tracking_number = tracking_number
        self.shipped_on = shipped_on
        self.shipped_at = timezone.now()
        self.turnaround_hours = turnaround_hours(self.picked_up_at, self.shipped_at)

    @transition(
        field=state, source=OrderState.SHIPPED, target=OrderState.CLOSED, permission=_is_clerk
    )
    def close(self):
        self.closed_at = timezone.now()


class Quote(FSMModelMixin, models.Model):
    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="quotes")
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=QuoteState.choices,
        default=QuoteState.RAISED,
        protected=True,
    )
    total = models.DecimalField(_("合计"), max_digits=10, decimal_places=2, default=Decimal(0))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.CharField(max_length=200, blank=True)
    # What proves the answer (签名、盖章回传): the signer's name typed as an e-signature by the
    # person answering, and/or the scanned quote signed and stamped, returned by mail or fax.
    signed_by_name = models.CharField(_("签名"), max_length=60, blank=True)
    signed_copy = models.FileField(_("签字盖章回传件"), upload_to="quotes/%Y/%m/", blank=True)

    objects = ThroughOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("维修报价")
        verbose_name_plural = _("维修报价")
        ordering = ["-id"]
        indexes = [
            # the open quotes (raised or sent) are few among every quote: 我的工作 reads the sent
            # ones, the board and the queue those of their candidate orders
            models.Index(
                fields=["order"], name="quote_open", condition=Q(state__in=["raised", "sent"])
            ),
        ]

    def __str__(self):
        return f"{self.order} ¥{self.total}"

    def get_absolute_url(self):
        return self.order.get_absolute_url()

    @property
    def state_colour(self) -> str:
        """The Bootstrap colour of the state badge."""
        return QuoteState.colour_of(self.state)

    @transition(field=state, source=QuoteState.RAISED, target=QuoteState.SENT, permission=_is_clerk)
    def send(self, *, actor):
        self.sent_by = actor
        self.sent_at = timezone.now()

    @transition(
        field=state, source=QuoteState.SENT, target=QuoteState.CONSENTED, permission=system_only
    )
    def consent(self, *, actor, note="", signature="", signed_copy=None):
        self._answer(actor, note, signature, signed_copy)

    @transition(
        field=state, source=QuoteState.SENT, target=QuoteState.DECLINED, permission=system_only
    )
    def decline(self, *, actor, note="", signature="", signed_copy=None):
        self._answer(actor, note, signature, signed_copy)

    def _answer(self, actor, note, signature, signed_copy):
        self.answered_by = actor
        self.answered_at = timezone.now()
        self.answer_note = note[:200]
        self.signed_by_name = signature[:60]
        if signed_copy is not None:
            self.signed_copy = signed_copy  # written to storage when the transition saves

    @transition(
        field=state, source=QuoteState.SENT, target=QuoteState.NO_ANSWER, permission=system_only
    )
    def expire(self):
        self.answered_at = timezone.now()


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("费用类型"), max_length=10, choices=QuoteLineKind.choices)
    description = models.CharField(_("说明"), max_length=120, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("报价明细")
        verbose_name_plural = _("报价明细")
        constraints = [
            models.CheckConstraint(name="quoteline_amount_positive", condition=Q(amount__gt=0))
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ¥{self.amount}"


class CustomerContact(models.Model):
    """A recorded contact with the shipper/customer (required before an unanswered quote may send
    the unit back unrepaired; also used by the overdue review)."""

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="contacts")
    contacted_at = models.DateTimeField(_("联系时间"), default=timezone.now)
    channel = models.CharField(_("方式"), max_length=20, default="phone")
    summary = models.CharField(_("内容"), max_length=255)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("客户沟通记录")
        verbose_name_plural = _("客户沟通记录")
        ordering = ["-contacted_at"]


class DelayNotice(models.Model):
    """A notice to every affected shipper that their units will be late for a reason nobody in
    the workshop controls (原材料问题或其它不可抗因素); recorded on each order as a contact."""

    number = models.CharField(_("编号"), max_length=24, unique=True)
    reason = models.CharField(_("原因"), max_length=16, choices=DelayReason.choices)
    message = models.TextField(_("通知内容"), max_length=1000)
    expected_until = models.DateField(_("预计恢复"), null=True, blank=True)
    orders = models.ManyToManyField(RepairOrder, related_name="delay_notices")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("延误通知")
        verbose_name_plural = _("延误通知")
        ordering = ["-posted_at"]

    def __str__(self):
        return self.number


class LoanerUnit(models.Model):
    serial_number = models.CharField(_("出厂编号"), max_length=60, unique=True)
    product_model = models.CharField(_("型号"), max_length=60)
    is_available = models.BooleanField(_("在库"), default=True, editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("备用机")
        verbose_name_plural = _("备用机")
        ordering = ["product_model", "serial_number"]

    def __str__(self):
        return f"{self.product_model} {self.serial_number}"


class Loan(FSMModelMixin, models.Model):
    loaner = models.ForeignKey(LoanerUnit, on_delete=models.PROTECT, related_name="loans")
    order = models.ForeignKey(RepairOrder, on_delete=models.PROTECT, related_name="loans")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("负责人签字"), default=timezone.now)
    carrier = models.CharField(_("承运商"), max_length=60, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=60, blank=True)
    due_back = models.DateField(_("应还日期"))
    state = FSMField(
        _("状态"), max_length=10, choices=LoanState.choices, default=LoanState.LENT, protected=True
    )
    returned_at = models.DateTimeField(_("归还时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ThroughOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("备用机借用")
        verbose_name_plural = _("备用机借用")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loaner"], condition=Q(state="lent"), name="loan_one_open_per_loaner"
            ),
        ]

    def __str__(self):
        return f"{self.loaner} → {self.order}"

    def get_absolute_url(self):
        return self.order.get_absolute_url()

    @transition(
        field=state, source=LoanState.LENT, target=LoanState.RETURNED, permission=system_only
    )
    def give_back(self):
        self.returned_at = timezone.now()


class ReviewMeetingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Review meetings are for headquarters staff who may review (their items still follow
        their orders)."""
        from ..permissions import may_review

        return self.all() if sees_everything(user) and may_review(user) else self.none()


class ReviewMeeting(models.Model):
    """The Wednesday/Saturday review of units not shipped within their limit."""

    held_on = models.DateField(_("日期"), unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReviewMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("超期评审会")
        verbose_name_plural = _("超期评审会")
        ordering = ["-held_on"]

    def __str__(self):
        return f"{self.held_on}"

    def get_absolute_url(self):
        return reverse_id("repairs:review_detail", self.pk)


class ReviewItem(models.Model):
    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="items")
    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="reviews")
    overdue_days = models.PositiveSmallIntegerField(_("超期工作日"), default=0)
    decision = models.CharField(
        _("决定"), max_length=10, choices=ReviewDecision.choices, blank=True
    )
    new_wait_until = models.DateField(_("新的等待时限"), null=True, blank=True)
    wait_reason = models.CharField(
        _("等待原因"), max_length=10, choices=WaitReason.choices, blank=True
    )
    loan = models.ForeignKey(
        "repairs.Loan",
        verbose_name=_("借出的备用机"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    customer_contacted = models.BooleanField(_("已告知客户"), default=False)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ThroughOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("评审项")
        verbose_name_plural = _("评审项")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "order"], name="reviewitem_unique"),
        ]


class MonthlyStatementQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scope_by_org(self, user, "branch")


def _is_branch_manager(instance, user) -> bool:
    from network.selectors import acts_as

    return acts_as(user, Role.BRANCH_MANAGER, instance.branch)


def _is_customer_service(instance, user) -> bool:
    """将确认结果提交销售调度部 is customer service's step: the clerk or the head of CS."""
    return may_build_statements(user)


def _is_dispatcher(instance, user) -> bool:
    """The dispatcher responsible for the branch (the role held for it or an ancestor)."""
    from network.selectors import acts_as

    return acts_as(user, Role.SALES_DISPATCHER, instance.branch)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[first moment of the month, first moment of the next) in Asia/Shanghai."""
    from service_ops.workcalendar import clock

    month = month.replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    return (
        clock.at_local(month, datetime.min.time()),
        clock.at_local(following, datetime.min.time()),
    )


class MonthlyStatement(FSMModelMixin, models.Model):
    """Repair and parts fees of one branch for one month. Confirmed by the branch manager, then
    locked: the service refuses to rebuild it. Customer service hands the confirmed statement
    over to sales dispatch (销售调度部), whose dispatcher records the transfer agreed with finance
    (划账): date, amount, voucher number."""

    branch = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="statements")
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    state = FSMField(
        _("状态"),
        max_length=16,
        choices=StatementState.choices,
        default=StatementState.DRAFT,
        protected=True,
    )
    repair_fees = models.DecimalField(_("维修费"), max_digits=12, decimal_places=2, default=0)
    parts_fees = models.DecimalField(_("配件费"), max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(_("合计"), max_digits=12, decimal_places=2, default=0)
    # issue 19: the parts cost of the month's warranty replacements (not billed: the claim's cost)
    warranty_parts_cost = models.DecimalField(
        _("保修配件成本"), max_digits=12, decimal_places=2, default=0
    )
    generated_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handed_over_at = models.DateTimeField(_("提交调度时间"), null=True, blank=True)
    settled_on = models.DateField(_("划账日期"), null=True, blank=True)
    settled_amount = models.DecimalField(
        _("划账金额"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    settlement_reference = models.CharField(_("划账凭证号"), max_length=64, blank=True)
    settlement_note = models.CharField(
        _("划账说明"),
        max_length=255,
        blank=True,
        help_text=_("划账金额与对账单合计不符时必填，写明差额原因"),
    )
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settled_at = models.DateTimeField(_("登记时间"), null=True, blank=True)

    objects = MonthlyStatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("月结对账单")
        verbose_name_plural = _("月结对账单")
        ordering = ["-month", "branch"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "month"], name="statement_unique"),
            models.CheckConstraint(
                condition=~Q(state=StatementState.SETTLED)
                | (
                    Q(settled_on__isnull=False, settled_amount__isnull=False)
                    & ~Q(settlement_reference="")
                ),
                name="statement_settled_has_transfer",
            ),
            models.CheckConstraint(
                condition=Q(settled_amount__isnull=True) | Q(settled_amount__gte=0),
                name="statement_settled_amount_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.branch} {self.month:%Y-%m}"

    def get_absolute_url(self):
        return reverse_id("repairs:statement_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return StatementState.colour_of(self.state)

    @property
    def settlement_difference(self) -> Decimal | None:
        """划账金额 − 合计 once settled (0 when they agree)."""
        if self.settled_amount is None:
            return None
        return self.settled_amount - self.total

    @property
    def month_end(self) -> datetime:
        """The first moment of the next month, Asia/Shanghai: units shipped before it are this
        month's."""
        return month_bounds(self.month)[1]

    def waits_for_month_end(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) < self.month_end

    def is_final(self) -> bool:
        """Built after the month ended: nothing can be shipped into the month any more, so the
        statement holds every unit of it (shipped_at is the moment of the shipping step)."""
        return self.generated_at >= self.month_end

    @transition(
        field=state,
        source=StatementState.DRAFT,
        target=StatementState.CONFIRMED,
        permission=_is_branch_manager,
        conditions=[is_final],
    )
    def confirm(self, *, actor):
        self.confirmed_by = actor
        self.confirmed_at = timezone.now()

    @transition(
        field=state,
        source=StatementState.CONFIRMED,
        target=StatementState.HANDED_OVER,
        permission=_is_customer_service,
    )
    def hand_over(self, *, actor):
        self.handed_over_by = actor
        self.handed_over_at = timezone.now()

    @transition(
        field=state,
        source=StatementState.HANDED_OVER,
        target=StatementState.SETTLED,
        permission=_is_dispatcher,
    )
    def settle(self, *, actor, settled_on: date, amount: Decimal, reference: str, note: str = ""):
        self.settled_on = settled_on
        self.settled_amount = amount
        self.settlement_reference = reference
        self.settlement_note = note
        self.settled_by = actor
        self.settled_at = timezone.now()


class StatementLine(models.Model):
    statement = models.ForeignKey(MonthlyStatement, on_delete=models.CASCADE, related_name="lines")
    order = models.ForeignKey(RepairOrder, on_delete=models.PROTECT, related_name="+")
    repair_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    parts_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("对账明细")
        verbose_name_plural = _("对账明细")
