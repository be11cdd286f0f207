"""Material planning (物料计划, the parts supervisor's work in seed 000): a reorder point per part
and warehouse — below `minimum` available, order `reorder_quantity` — read by the daily job and
the "below reorder point" page (spareparts.selectors.planning)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .catalogue import Part
from .stock import Warehouse


class ReorderPoint(models.Model):
    part = models.ForeignKey(
        Part, verbose_name=_("配件"), on_delete=models.CASCADE, related_name="reorder_points"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.CASCADE, related_name="reorder_points"
    )
    minimum = models.PositiveIntegerField(_("最低库存"), validators=[MinValueValidator(1)])
    reorder_quantity = models.PositiveIntegerField(_("补货数量"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("补货点")
        verbose_name_plural = _("补货点")
        ordering = ["warehouse_id", "part_id"]
        constraints = [
            models.UniqueConstraint(fields=["part", "warehouse"], name="reorderpoint_unique"),
        ]

    def __str__(self):
        return f"{self.part_id}@{self.warehouse_id} < {self.minimum}"
