"""The parts a visit used (上门服务用料), from the stock of whoever works the visit: the
engineer's own stock (spareparts.Warehouse of kind engineer), else the service point's
warehouse, else the field office's of the engineer's org unit (repairs.services.visits says
which). Each line is a reservation in that warehouse while the visit is open (removing the line
releases it) and is issued when the visit is finished. Written only by repairs.services.visits."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .field import Visit


class VisitPart(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="part_lines")
    part = models.ForeignKey(
        "spareparts.Part", verbose_name=_("配件"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1)
    unit_price = models.DecimalField(_("单价"), max_digits=10, decimal_places=2)
    in_warranty = models.BooleanField(_("保修免费"), default=False)
    warehouse = models.ForeignKey(
        "spareparts.Warehouse", verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="+"
    )
    reservation = models.OneToOneField(
        "spareparts.Reservation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit_line",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("添加时间"), default=timezone.now)
    issued_at = models.DateTimeField(_("领用时间"), null=True, blank=True)
    removed_at = models.DateTimeField(_("删除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("上门用料")
        verbose_name_plural = _("上门用料")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="visitpart_quantity_positive", condition=Q(quantity__gt=0)),
        ]

    def __str__(self):
        return f"{self.visit} {self.part_id} × {self.quantity}"

    @property
    def amount(self):
        return 0 if self.in_warranty else self.unit_price * self.quantity
