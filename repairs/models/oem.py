"""Car-factory units (车厂回购机流程, DESIGN §2.7, issue 22 items 4 and 5).

- The OEM (车厂, e.g. 江淮 JAC) and its dealers / 4S stores are master data rows here, not org
  units of the service network: their people do not sign in, they hold no stock of ours and
  appear in no approval chain; an org unit kind would put them in the network's screens,
  dispatch and visibility walk for nothing.
- 回购机: a buy-back batch (BuybackBatch) of units (BuybackUnit) the OEM returns: intake by batch
  with serials → inspection per unit → a decision per unit (refurbish to stock / repair / scrap)
  → the work done with its costs → the batch closes when every unit is done; a report per batch.
- 江淮备用机: a pool of backup units (BackupUnit) held for an OEM, lent to its stores against a
  failed unit (BackupSwap, with its due-back timer), and a monthly reconciliation with the OEM
  (OemReconciliation).

Headquarters' customer service sees all of it; nobody else sees any of it (visible_to).
State changes only through repairs.services.oem."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from service_ops.reversing import reverse_id

from ..choices import (
    BackupCondition,
    BackupSwapState,
    BackupUnitState,
    BuybackBatchState,
    BuybackDecision,
    BuybackGrade,
    BuybackUnitState,
    OemReconciliationState,
    OemStoreKind,
)


class OemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Headquarters' customer-service people who work car-factory units see all; nobody
        else sees any (the OEM's own people do not sign in)."""
        from ..permissions import may_see_oem

        return self.all() if may_see_oem(user) else self.none()


def _may_inspect(instance, user) -> bool:
    from ..permissions import may_inspect_buyback

    return may_inspect_buyback(user)


def _may_decide(instance, user) -> bool:
    from ..permissions import may_decide_buyback

    return may_decide_buyback(user)


def _may_finish(instance, user) -> bool:
    from ..permissions import may_finish_buyback

    return may_finish_buyback(user)


def _may_close(instance, user) -> bool:
    from ..permissions import may_close_buyback

    return may_close_buyback(user)


def _may_handle_backups(instance, user) -> bool:
    from ..permissions import may_handle_oem_backups

    return may_handle_oem_backups(user)


def _may_reconcile(instance, user) -> bool:
    from ..permissions import may_reconcile_oem

    return may_reconcile_oem(user)


def _all_units_done(batch) -> bool:
    return not batch.units.exclude(state=BuybackUnitState.DONE).exists()


class OemCustomer(models.Model):
    """A car factory we supply (车厂客户), e.g. 江淮汽车."""

    code = models.SlugField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=80, unique=True)
    contact = models.CharField(_("联系人"), max_length=40, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = OemQuerySet.as_manager()

    class Meta:
        verbose_name = _("车厂客户")
        verbose_name_plural = _("车厂客户")
        ordering = ["code"]

    def __str__(self):
        return self.name


class OemStore(models.Model):
    """One of the OEM's dealers or 4S stores (车厂经销商 / 4S店) that borrows backup units."""

    oem = models.ForeignKey(OemCustomer, on_delete=models.PROTECT, related_name="stores")
    code = models.CharField(_("门店编码"), max_length=30)
    name = models.CharField(_("门店名称"), max_length=80)
    kind = models.CharField(
        _("类型"), max_length=8, choices=OemStoreKind.choices, default=OemStoreKind.STORE_4S
    )
    city = models.CharField(_("城市"), max_length=40, blank=True)
    contact = models.CharField(_("联系人"), max_length=40, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = OemQuerySet.as_manager()

    class Meta:
        verbose_name = _("车厂门店")
        verbose_name_plural = _("车厂门店")
        ordering = ["oem", "code"]
        constraints = [
            models.UniqueConstraint(fields=["oem", "code"], name="oemstore_code_unique"),
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"


# --- 回购机 --------------------------------------------------------------------------------------


class BuybackBatch(FSMModelMixin, models.Model):
    number = models.CharField(_("批次号"), max_length=24, unique=True, editable=False)
    oem = models.ForeignKey(
        OemCustomer, verbose_name=_("车厂"), on_delete=models.PROTECT, related_name="batches"
    )
    oem_reference = models.CharField(_("车厂单号"), max_length=40, blank=True)
    received_on = models.DateField(_("收货日期"))
    note = models.CharField(_("备注"), max_length=255, blank=True)
    unit_count = models.PositiveIntegerField(_("台数"), default=0, editable=False)
    state = FSMField(
        _("状态"),
        max_length=8,
        choices=BuybackBatchState.choices,
        default=BuybackBatchState.OPEN,
        protected=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True, editable=False)

    objects = OemQuerySet.as_manager()

    class Meta:
        verbose_name = _("回购机批次")
        verbose_name_plural = _("回购机批次")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["oem", "-id"], name="buybackbatch_oem"),
            models.Index(fields=["state", "-id"], name="buybackbatch_state"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:oem_batch_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return BuybackBatchState.colour_of(self.state)

    @transition(
        field=state,
        source=BuybackBatchState.OPEN,
        target=BuybackBatchState.CLOSED,
        conditions=[_all_units_done],
        permission=_may_close,
    )
    def close(self):
        self.closed_at = timezone.now()


class BuybackUnit(FSMModelMixin, models.Model):
    batch = models.ForeignKey(BuybackBatch, on_delete=models.CASCADE, related_name="units")
    serial_number = models.CharField(_("出厂编号"), max_length=60)
    product_model = models.CharField(_("型号"), max_length=60)
    oem_fault = models.CharField(_("车厂反馈故障"), max_length=255, blank=True)
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=BuybackUnitState.choices,
        default=BuybackUnitState.RECEIVED,
        protected=True,
    )
    # inspection (检测)
    findings = models.TextField(_("检测结果"), max_length=1000, blank=True, editable=False)
    fault_codes = models.CharField(_("故障代码"), max_length=120, blank=True, editable=False)
    grade = models.CharField(
        _("等级"), max_length=1, choices=BuybackGrade.choices, blank=True, editable=False
    )
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    inspected_at = models.DateTimeField(null=True, blank=True, editable=False)
    # decision (处理决定)
    decision = models.CharField(
        _("处理决定"), max_length=10, choices=BuybackDecision.choices, blank=True, editable=False
    )
    decision_note = models.CharField(_("决定说明"), max_length=255, blank=True, editable=False)
    repair_order = models.ForeignKey(
        "repairs.RepairOrder",
        verbose_name=_("关联维修单"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # done, with the costs (费用)
    outcome = models.CharField(_("处理结果"), max_length=255, blank=True, editable=False)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    cost_parts = models.DecimalField(
        _("材料费"), max_digits=10, decimal_places=2, default=Decimal(0), editable=False
    )
    cost_labour = models.DecimalField(
        _("人工费"), max_digits=10, decimal_places=2, default=Decimal(0), editable=False
    )
    cost_freight = models.DecimalField(
        _("运费"), max_digits=10, decimal_places=2, default=Decimal(0), editable=False
    )

    objects = OemQuerySet.as_manager()

    class Meta:
        verbose_name = _("回购机")
        verbose_name_plural = _("回购机")
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "serial_number"], name="buybackunit_serial_once_per_batch"
            ),
            models.CheckConstraint(
                name="buybackunit_costs_not_negative",
                condition=Q(cost_parts__gte=0) & Q(cost_labour__gte=0) & Q(cost_freight__gte=0),
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "id"],
                name="buybackunit_waiting",
                condition=Q(state__in=["received", "inspected", "decided"]),
            ),
            # 我的工作's waiting units by batch (repairs.selectors.oem.OemWorkProvider): the
            # batch index alone walked the year's 144,000 done units to find 331 (49 -> 3 ms)
            models.Index(
                fields=["state", "batch"],
                name="buybackunit_waiting_batch",
                condition=Q(state__in=["received", "inspected", "decided"]),
            ),
            models.Index(fields=["serial_number"], name="buybackunit_serial"),
        ]

    def __str__(self):
        return f"{self.product_model} {self.serial_number}"

    def get_absolute_url(self):
        return self.batch.get_absolute_url() + f"#unit-{self.pk}"

    @property
    def state_colour(self) -> str:
        return BuybackUnitState.colour_of(self.state)

    @property
    def cost_total(self) -> Decimal:
        return self.cost_parts + self.cost_labour + self.cost_freight

    @transition(
        field=state,
        source=BuybackUnitState.RECEIVED,
        target=BuybackUnitState.INSPECTED,
        permission=_may_inspect,
    )
    def inspect(self, *, actor, findings, fault_codes, grade):
        self.findings = findings
        self.fault_codes = fault_codes
        self.grade = grade
        self.inspected_by = actor
        self.inspected_at = timezone.now()

    @transition(
        field=state,
        source=BuybackUnitState.INSPECTED,
        target=BuybackUnitState.DECIDED,
        permission=_may_decide,
    )
    def decide(self, *, actor, decision, note="", repair_order=None):
        self.decision = decision
        self.decision_note = note
        self.repair_order = repair_order
        self.decided_by = actor
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=BuybackUnitState.DECIDED,
        target=BuybackUnitState.DONE,
        permission=_may_finish,
    )
    def finish(self, *, outcome, cost_parts, cost_labour, cost_freight):
        self.outcome = outcome
        self.cost_parts = cost_parts
        self.cost_labour = cost_labour
        self.cost_freight = cost_freight
        self.done_at = timezone.now()


# --- 江淮备用机 ------------------------------------------------------------------------------


class BackupUnit(FSMModelMixin, models.Model):
    """A backup unit of the pool held for an OEM (备用机池)."""

    oem = models.ForeignKey(
        OemCustomer, verbose_name=_("车厂"), on_delete=models.PROTECT, related_name="backups"
    )
    serial_number = models.CharField(_("出厂编号"), max_length=60, unique=True)
    product_model = models.CharField(_("型号"), max_length=60)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    state = FSMField(
        _("状态"),
        max_length=16,
        choices=BackupUnitState.choices,
        default=BackupUnitState.IN_POOL,
        protected=True,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OemQuerySet.as_manager()

    class Meta:
        verbose_name = _("车厂备用机")
        verbose_name_plural = _("车厂备用机")
        ordering = ["-id"]
        indexes = [models.Index(fields=["oem", "state", "-id"], name="backupunit_pool")]

    def __str__(self):
        return f"{self.product_model} {self.serial_number}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("repairs:oem_backup_list") + f"?q={self.serial_number}"

    @property
    def state_colour(self) -> str:
        return BackupUnitState.colour_of(self.state)

    @transition(
        field=state,
        source=BackupUnitState.IN_POOL,
        target=BackupUnitState.LENT,
        permission=_may_handle_backups,
    )
    def lend(self):
        pass

    @transition(
        field=state,
        source=BackupUnitState.LENT,
        target=BackupUnitState.IN_POOL,
        permission=_may_handle_backups,
    )
    def take_back(self):
        pass

    @transition(
        field=state,
        source=BackupUnitState.LENT,
        target=BackupUnitState.RETURNED_FAULTY,
        permission=_may_handle_backups,
    )
    def take_back_faulty(self):
        pass

    @transition(
        field=state,
        source=BackupUnitState.RETURNED_FAULTY,
        target=BackupUnitState.UNDER_REPAIR,
        permission=_may_handle_backups,
    )
    def send_to_repair(self):
        pass

    @transition(
        field=state,
        source=BackupUnitState.UNDER_REPAIR,
        target=BackupUnitState.IN_POOL,
        permission=_may_handle_backups,
    )
    def repaired(self):
        pass

    @transition(
        field=state,
        source=[
            BackupUnitState.IN_POOL,
            BackupUnitState.RETURNED_FAULTY,
            BackupUnitState.UNDER_REPAIR,
        ],
        target=BackupUnitState.SCRAPPED,
        permission=_may_handle_backups,
    )
    def scrap(self):
        pass


class BackupSwap(FSMModelMixin, models.Model):
    """换机记录: a backup lent to an OEM store against its failed unit, until the backup is back."""

    number = models.CharField(_("换机单号"), max_length=24, unique=True, editable=False)
    oem = models.ForeignKey(
        OemCustomer, verbose_name=_("车厂"), on_delete=models.PROTECT, related_name="swaps"
    )
    store = models.ForeignKey(
        OemStore, verbose_name=_("门店"), on_delete=models.PROTECT, related_name="swaps"
    )
    backup = models.ForeignKey(
        BackupUnit, verbose_name=_("备用机"), on_delete=models.PROTECT, related_name="swaps"
    )
    failed_serial = models.CharField(_("故障机出厂编号"), max_length=60)
    failed_model = models.CharField(_("故障机型号"), max_length=60, blank=True)
    failed_fault = models.CharField(_("故障现象"), max_length=255)
    lent_on = models.DateField(_("借出日期"))
    due_back = models.DateField(_("应还日期"), editable=False)
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=BackupSwapState.choices,
        default=BackupSwapState.LENT,
        protected=True,
    )
    # the failed unit received for repair, and the repaired original sent back
    failed_received_on = models.DateField(
        _("故障机收到日期"), null=True, blank=True, editable=False
    )
    original_sent_back_on = models.DateField(
        _("原机修复寄回日期"), null=True, blank=True, editable=False
    )
    # the backup back
    returned_on = models.DateField(_("备用机归还日期"), null=True, blank=True, editable=False)
    return_condition = models.CharField(
        _("归还状况"), max_length=8, choices=BackupCondition.choices, blank=True, editable=False
    )
    return_note = models.CharField(_("归还说明"), max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OemQuerySet.as_manager()

    class Meta:
        verbose_name = _("备用机换机记录")
        verbose_name_plural = _("备用机换机记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["backup"], condition=Q(state="lent"), name="backupswap_one_open_per_unit"
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_back", "id"],
                name="backupswap_open_due",
                condition=Q(state="lent"),
            ),
            models.Index(fields=["oem", "lent_on"], name="backupswap_oem_lent"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:oem_swap_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return BackupSwapState.colour_of(self.state)

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.state == BackupSwapState.LENT and self.due_back < today

    @transition(
        field=state,
        source=BackupSwapState.LENT,
        target=BackupSwapState.RETURNED,
        permission=_may_handle_backups,
    )
    def give_back(self, *, returned_on, condition, note=""):
        self.returned_on = returned_on
        self.return_condition = condition
        self.return_note = note


class OemReconciliation(FSMModelMixin, models.Model):
    """月度对账 with the OEM: the month's figures as built, sent, then confirmed or disputed."""

    oem = models.ForeignKey(
        OemCustomer, verbose_name=_("车厂"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))  # the first day of the month
    figures = models.JSONField(_("对账数据"), default=dict, editable=False)
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=OemReconciliationState.choices,
        default=OemReconciliationState.DRAFT,
        protected=True,
    )
    built_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    answer_note = models.CharField(_("车厂意见"), max_length=255, blank=True, editable=False)

    objects = OemQuerySet.as_manager()

    class Meta:
        verbose_name = _("车厂备用机月度对账")
        verbose_name_plural = _("车厂备用机月度对账")
        ordering = ["-month", "oem"]
        constraints = [
            models.UniqueConstraint(fields=["oem", "month"], name="oemreconciliation_once"),
        ]

    def __str__(self):
        return f"{self.oem} {self.month:%Y-%m}"

    def get_absolute_url(self):
        from django.urls import reverse

        return (
            reverse("repairs:oem_reconciliation") + f"?oem={self.oem_id}&month={self.month:%Y-%m}"
        )

    @property
    def state_colour(self) -> str:
        return OemReconciliationState.colour_of(self.state)

    @transition(
        field=state,
        source=OemReconciliationState.DRAFT,
        target=OemReconciliationState.SENT,
        permission=_may_reconcile,
    )
    def send(self):
        self.sent_at = timezone.now()

    @transition(
        field=state,
        source=OemReconciliationState.SENT,
        target=OemReconciliationState.CONFIRMED,
        permission=_may_reconcile,
    )
    def confirm(self, *, actor, note=""):
        self.answered_by = actor
        self.answered_at = timezone.now()
        self.answer_note = note

    @transition(
        field=state,
        source=OemReconciliationState.SENT,
        target=OemReconciliationState.DISPUTED,
        permission=_may_reconcile,
    )
    def dispute(self, *, actor, note):
        self.answered_by = actor
        self.answered_at = timezone.now()
        self.answer_note = note

    @transition(
        field=state,
        source=OemReconciliationState.DISPUTED,
        target=OemReconciliationState.DRAFT,
        permission=_may_reconcile,
    )
    def reopen(self):
        self.sent_at = None
