"""Material planning (物料计划, the parts supervisor's work in seed 000): a reorder point per part
and warehouse — below `minimum` available, order `reorder_quantity` — read by the daily job and
the "below reorder point" page (spareparts.selectors.planning)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .catalogue import Part
from .stock import Warehouse, scope_warehouse


class ReorderPointQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The points of the warehouses the user sees."""
        return scope_warehouse(self, user)


class ReorderPoint(models.Model):
    part = models.ForeignKey(
        Part, verbose_name=_("配件"), on_delete=models.CASCADE, related_name="reorder_points"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.CASCADE, related_name="reorder_points"
    )
    minimum = models.PositiveIntegerField(_("最低库存"), validators=[MinValueValidator(1)])
    reorder_quantity = models.PositiveIntegerField(_("补货数量"), validators=[MinValueValidator(1)])

    objects = ReorderPointQuerySet.as_manager()

    class Meta:
        verbose_name = _("补货点")
        verbose_name_plural = _("补货点")
        ordering = ["warehouse_id", "part_id"]
        constraints = [
            models.UniqueConstraint(fields=["part", "warehouse"], name="reorderpoint_unique"),
        ]
        # the supervisor's screen pages through one warehouse's points by key
        indexes = [models.Index(fields=["warehouse", "-id"], name="reorderpoint_warehouse")]

    def __str__(self):
        return f"{self.part_id}@{self.warehouse_id} < {self.minimum}"


class ConsumptionMonth(models.Model):
    """A closed month's consumption of one part (领用出库 and 销售出库 summed over every
    warehouse): the roll-up the consumption report reads for the months it covers, so a year's
    report sums a few thousand rows instead of the year's ledger. Written only by
    spareparts.services.planning.planning_rollup_consumption, for months that have ended (the
    ledger is append-only and dated when written, so an ended month never changes again); the
    report computes the months not rolled up yet (the current one) live from the ledger."""

    month = models.DateField(_("月份"))
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="+")
    issued = models.PositiveIntegerField(_("领用出库"), default=0)
    sold = models.PositiveIntegerField(_("销售出库"), default=0)

    class Meta:
        verbose_name = _("月度配件消耗")
        verbose_name_plural = _("月度配件消耗")
        constraints = [
            models.UniqueConstraint(fields=["month", "part"], name="consumptionmonth_unique"),
        ]


class ConsumptionRollup(models.Model):
    """A month whose consumption is rolled up (ConsumptionMonth holds it completely)."""

    month = models.DateField(_("月份"), unique=True)
    rolled_at = models.DateTimeField(_("汇总时间"))
    parts = models.PositiveIntegerField(_("配件种数"), default=0)

    class Meta:
        verbose_name = _("配件消耗月度汇总")
        verbose_name_plural = _("配件消耗月度汇总")
        ordering = ["month"]
