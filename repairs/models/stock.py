"""The returned-stock processing application (呆滞/退货产品处理申请, DESIGN §2.2 last bullets).

The marketing centre files it with the list of units (返修产品清单) → the logistics clerk records
the driver's collection → the warehouse checks the goods against the list → the clerk sets the
pick-up-and-repair limit (领机维修期限) and issues the production task order (生产任务单) → PMC
(10 units or more) or the repair team (fewer) takes the goods over → the work is finished.
State changes only through repairs.services.stock."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.models import OrgUnit
from network.visibility import scope_by_org
from service_ops.reversing import reverse_id

from ..choices import (
    OPEN_TASK_ORDER_STATES,
    ReturnedStockRoute,
    ReturnedStockState,
    StockLimitDays,
    StockTreatment,
    Urgency,
)


def _may_collect(instance, user) -> bool:
    from ..permissions import may_handle_stock_logistics

    return may_handle_stock_logistics(user)


def _may_check(instance, user) -> bool:
    from ..permissions import may_check_stock

    return may_check_stock(user)


def _may_take(instance, user) -> bool:
    from ..permissions import may_take_stock

    return may_take_stock(user, instance)


def _may_finish(instance, user) -> bool:
    from ..permissions import may_finish_stock

    return may_finish_stock(user, instance)


def _to_pmc(instance) -> bool:
    return instance.route == ReturnedStockRoute.PMC


def _to_repair_team(instance) -> bool:
    return instance.route == ReturnedStockRoute.REPAIR_TEAM


def _has_lines(instance) -> bool:
    return instance.lines.exists()


class ReturnedStockApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The filer's org unit (and the units above it) sees its own; headquarters all."""
        return scope_by_org(self, user, "filed_by_unit")

    def open_task_orders(self):
        return self.filter(state__in=OPEN_TASK_ORDER_STATES)


class ReturnedStockApplication(FSMModelMixin, models.Model):
    """呆滞/退货产品处理申请 filed by the marketing centre; routed by quantity."""

    number = models.CharField(_("单号"), max_length=24, unique=True, editable=False)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_by_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    product_models = models.CharField(_("产品型号"), max_length=255)
    quantity = models.PositiveIntegerField(_("数量"))
    treatment = models.CharField(
        _("处理要求"),
        max_length=255,
        choices=StockTreatment.choices,
        default=StockTreatment.REWORK,
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    remarks = models.TextField(_("备注"), blank=True, max_length=1000)
    route = models.CharField(
        _("分派"), max_length=12, choices=ReturnedStockRoute.choices, editable=False
    )
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=ReturnedStockState.choices,
        default=ReturnedStockState.ROUTED,
        protected=True,
    )
    created_at = models.DateTimeField(default=timezone.now)

    # 通知司机货物的提取
    driver_name = models.CharField(_("司机"), max_length=40, blank=True, editable=False)
    driver_phone = models.CharField(_("司机电话"), max_length=40, blank=True, editable=False)
    collected_on = models.DateField(_("提货日期"), null=True, blank=True, editable=False)
    collected_at = models.DateTimeField(_("提货登记时间"), null=True, blank=True, editable=False)
    # 仓管验货核对 / 后勤专员核对返修产品清单数量、型号
    checked_at = models.DateTimeField(_("验货时间"), null=True, blank=True, editable=False)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("验货人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    counted_quantity = models.PositiveIntegerField(
        _("实收数量"), null=True, blank=True, editable=False
    )
    has_discrepancies = models.BooleanField(_("有差异"), default=False, editable=False)
    check_note = models.CharField(_("验货说明"), max_length=255, blank=True, editable=False)
    # 领机维修期限 and the production task order (生产任务单)
    limit_days = models.PositiveSmallIntegerField(
        _("领机维修期限（天）"),
        choices=StockLimitDays.choices,
        null=True,
        blank=True,
        editable=False,
    )
    task_order_number = models.CharField(
        _("生产任务单号"), max_length=24, unique=True, null=True, blank=True, editable=False
    )
    task_order_issued_at = models.DateTimeField(
        _("任务单下达时间"), null=True, blank=True, editable=False
    )
    task_order_issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("任务单下达人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # PMC confirms the hand-over, or the repair team's person signs for the goods at the warehouse
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("领机签收人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    taken_at = models.DateTimeField(_("领机时间"), null=True, blank=True, editable=False)
    taken_signature = models.CharField(_("签名"), max_length=60, blank=True, editable=False)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True, editable=False)
    work_done = models.TextField(_("处理结果"), blank=True, max_length=2000, editable=False)

    objects = ReturnedStockApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("呆滞/退货产品处理申请")
        verbose_name_plural = _("呆滞/退货产品处理申请")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["filed_by_unit", "-id"], name="returnedstock_unit"),
            # the open task orders, 按紧重或先后顺序 (urgent first, then by arrival)
            models.Index(
                fields=["urgency", "collected_at", "id"],
                name="returnedstock_task_queue",
                condition=Q(state__in=["issued", "in_process"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="returnedstock_quantity_positive", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="returnedstock_limit_days_allowed",
                condition=Q(limit_days__isnull=True) | Q(limit_days__in=StockLimitDays.values),
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:returned_stock_detail", self.pk)

    @property
    def state_colour(self) -> str:
        """The Bootstrap colour of the state badge."""
        return ReturnedStockState.colour_of(self.state)

    @property
    def is_urgent(self) -> bool:
        return self.urgency == Urgency.URGENT

    # --- transitions: repairs.services.stock calls these through run_transition ---------------
    @transition(
        field=state,
        source=ReturnedStockState.ROUTED,
        target=ReturnedStockState.COLLECTED,
        permission=_may_collect,
    )
    def collect(self, *, driver_name, collected_on, driver_phone=""):
        self.driver_name = driver_name
        self.driver_phone = driver_phone
        self.collected_on = collected_on
        self.collected_at = timezone.now()

    @transition(
        field=state,
        source=ReturnedStockState.COLLECTED,
        target=ReturnedStockState.CHECKED,
        conditions=[_has_lines],
        permission=_may_check,
    )
    def check_goods(self, *, actor, counted_quantity, has_discrepancies, route, note=""):
        self.checked_by = actor
        self.checked_at = timezone.now()
        self.counted_quantity = counted_quantity
        self.has_discrepancies = has_discrepancies
        self.check_note = note
        self.route = route

    @transition(
        field=state,
        source=ReturnedStockState.CHECKED,
        target=ReturnedStockState.ISSUED,
        permission=_may_collect,
    )
    def issue_task_order(self, *, actor, limit_days, task_order_number):
        self.limit_days = limit_days
        self.task_order_number = task_order_number
        self.task_order_issued_by = actor
        self.task_order_issued_at = timezone.now()

    @transition(
        field=state,
        source=ReturnedStockState.ISSUED,
        target=ReturnedStockState.IN_PROCESS,
        conditions=[_to_pmc],
        permission=_may_take,
    )
    def pmc_take(self, *, taken_by, signature=""):
        self.taken_by = taken_by
        self.taken_signature = signature
        self.taken_at = timezone.now()

    @transition(
        field=state,
        source=ReturnedStockState.ISSUED,
        target=ReturnedStockState.IN_PROCESS,
        conditions=[_to_repair_team],
        permission=_may_take,
    )
    def team_take(self, *, taken_by, signature):
        self.taken_by = taken_by
        self.taken_signature = signature
        self.taken_at = timezone.now()

    @transition(
        field=state,
        source=ReturnedStockState.IN_PROCESS,
        target=ReturnedStockState.DONE,
        permission=_may_finish,
    )
    def finish(self, *, work_done=""):
        self.work_done = work_done
        self.finished_at = timezone.now()


class ReturnedStockLine(models.Model):
    """One line of the 返修产品清单: what the marketing centre listed, and what the warehouse
    counted against it."""

    application = models.ForeignKey(
        ReturnedStockApplication, on_delete=models.CASCADE, related_name="lines"
    )
    product_model = models.CharField(_("产品型号"), max_length=60)
    serial_number = models.CharField(_("出厂编号"), max_length=60, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    counted_model = models.CharField(_("实收型号"), max_length=60, blank=True)
    counted_quantity = models.PositiveIntegerField(_("实收数量"), null=True, blank=True)

    class Meta:
        verbose_name = _("退货产品明细")
        verbose_name_plural = _("退货产品明细")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="returnedstockline_quantity_positive", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="returnedstockline_serial_means_one_unit",
                condition=Q(serial_number="") | Q(quantity=1),
            ),
        ]

    def __str__(self):
        return f"{self.product_model} {self.serial_number or f'×{self.quantity}'}"

    @property
    def checked(self) -> bool:
        return self.counted_quantity is not None

    @property
    def quantity_differs(self) -> bool:
        return self.checked and self.counted_quantity != self.quantity

    @property
    def model_differs(self) -> bool:
        return bool(self.counted_model) and self.counted_model.casefold() != (
            self.product_model.casefold()
        )
