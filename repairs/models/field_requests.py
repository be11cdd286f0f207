"""The appointment's history (改约记录): every change of a visit's agreed window, who made it, why.
The window itself lives on the Visit (repairs.models.field); it changes only through
repairs.services.field_requests.visit_schedule, which writes one of these rows each time an agreed
window moves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VisitReschedule(models.Model):
    visit = models.ForeignKey(
        "repairs.Visit",
        verbose_name=_("上门服务"),
        on_delete=models.CASCADE,
        related_name="reschedules",
    )
    old_start = models.DateTimeField(_("原预约开始"))
    old_end = models.DateTimeField(_("原预约结束"))
    new_start = models.DateTimeField(_("新预约开始"))
    new_end = models.DateTimeField(_("新预约结束"))
    reason = models.CharField(_("改约原因"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("改约时间"), default=timezone.now)

    class Meta:
        verbose_name = _("改约记录")
        verbose_name_plural = _("改约记录")
        ordering = ["visit", "id"]

    def __str__(self):
        return f"{self.visit} {self.old_start:%Y-%m-%d %H:%M} → {self.new_start:%Y-%m-%d %H:%M}"
