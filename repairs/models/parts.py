"""A repair order's parts (配件明细, issue 19): each line names a part of the catalogue, its
quantity, the price and cost at the time it was added, whether it is replaced under
warranty (per line: the order's decision by default, changed by the technician with a
reason), its reservation in the workshop's warehouse (spareparts.Reservation) and, for a
serialised part replaced under warranty, the faulty part's and the new part's serials.

waiting (no stock) → reserved → issued (the repair started); reserved | waiting → released
(the unit goes back unrepaired, or the line is removed); issued → returned (the unit goes back
unrepaired after the part was issued: it goes back into the warehouse through the ledger).

A paid line is charged through a quote the customer consents to: `quote` is the quote that
carried it (the first one raised while diagnosing, or a supplementary one raised while
repairing); a paid line is issued only once its quote is consented. Changed only by
repairs.services.parts through run_transition. The month-end statement copies each issued line
(StatementPartLine)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from ..choices import PartLineState
from ..permissions import system_only
from .orders import MonthlyStatement, Quote, RepairOrder, ThroughOrderQuerySet


def _is_repair_person(instance, user) -> bool:
    from ..permissions import is_technician

    return is_technician(user)


class RepairPartLine(FSMModelMixin, models.Model):
    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="part_lines")
    part = models.ForeignKey(
        "spareparts.Part", verbose_name=_("配件"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1)
    unit_price = models.DecimalField(_("单价"), max_digits=10, decimal_places=2)
    unit_cost = models.DecimalField(_("成本价"), max_digits=10, decimal_places=2)
    in_warranty = models.BooleanField(_("保修免费"))
    warranty_note = models.CharField(_("保修变更原因"), max_length=200, blank=True)
    warehouse = models.ForeignKey(
        "spareparts.Warehouse", verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="+"
    )
    reservation = models.OneToOneField(
        "spareparts.Reservation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_line",
    )
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=PartLineState.choices,
        default=PartLineState.WAITING,
        protected=True,
    )
    faulty_serial = models.CharField(_("旧件序列号"), max_length=60, blank=True)
    new_serial = models.CharField(_("新件序列号"), max_length=60, blank=True)
    quote = models.ForeignKey(
        Quote,
        verbose_name=_("报价"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="part_lines",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("添加时间"), default=timezone.now)
    issued_at = models.DateTimeField(_("领用时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退库时间"), null=True, blank=True)

    objects = ThroughOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("维修配件")
        verbose_name_plural = _("维修配件")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="repairpartline_quantity_positive", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="repairpartline_prices_not_negative",
                condition=Q(unit_price__gte=0) & Q(unit_cost__gte=0),
            ),
        ]
        indexes = [
            # the lines waiting for a part in a warehouse, oldest first (FIFO on arrival)
            models.Index(
                fields=["part", "warehouse", "id"],
                condition=Q(state="waiting"),
                name="repairpartline_waiting",
            ),
        ]

    def __str__(self):
        return f"{self.order_id}: {self.part_id}×{self.quantity}"

    @property
    def number(self) -> str:
        """The order's number: how the stock ledger labels what the line drew."""
        return self.order.number

    @property
    def amount(self) -> Decimal:
        """Price × quantity: what the line is worth at list price."""
        return self.unit_price * self.quantity

    @property
    def charged(self) -> Decimal:
        """What the customer pays for the line: nothing under warranty."""
        return Decimal(0) if self.in_warranty else self.amount

    @property
    def cost(self) -> Decimal:
        return self.unit_cost * self.quantity

    @property
    def state_colour(self) -> str:
        return PartLineState.colour_of(self.state)

    @property
    def needs_serials(self) -> bool:
        """A serialised part replaced under warranty records both serials once issued."""
        return (
            self.in_warranty
            and self.part.serialised
            and self.state == PartLineState.ISSUED
            and not (self.faulty_serial and self.new_serial)
        )

    @transition(
        field=state,
        source=PartLineState.WAITING,
        target=PartLineState.RESERVED,
        permission=system_only,
    )
    def reserve(self, *, reservation):
        self.reservation = reservation

    @transition(
        field=state,
        source=PartLineState.RESERVED,
        target=PartLineState.ISSUED,
        permission=_is_repair_person,
    )
    def issue(self):
        self.issued_at = timezone.now()

    @transition(
        field=state,
        source=[PartLineState.WAITING, PartLineState.RESERVED],
        target=PartLineState.RELEASED,
        permission=_is_repair_person,
    )
    def release(self):
        pass

    @transition(
        field=state,
        source=PartLineState.ISSUED,
        target=PartLineState.RETURNED,
        permission=system_only,
    )
    def return_to_stock(self):
        self.returned_at = timezone.now()


class StatementPartLine(models.Model):
    """An issued part line of a unit shipped in the statement's month, as it was billed: its price,
    what was charged (0 under warranty) and its cost (the warranty claim's parts cost)."""

    statement = models.ForeignKey(
        MonthlyStatement, on_delete=models.CASCADE, related_name="part_lines"
    )
    order = models.ForeignKey(RepairOrder, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(RepairPartLine, on_delete=models.PROTECT, related_name="+")
    part_number = models.CharField(_("配件编号"), max_length=40)
    part_name = models.CharField(_("名称"), max_length=120)
    quantity = models.PositiveSmallIntegerField(_("数量"))
    unit_price = models.DecimalField(_("单价"), max_digits=10, decimal_places=2)
    in_warranty = models.BooleanField(_("保修免费"))
    charged = models.DecimalField(_("收费"), max_digits=10, decimal_places=2)
    cost = models.DecimalField(_("成本"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("对账配件明细")
        verbose_name_plural = _("对账配件明细")
        ordering = ["id"]
