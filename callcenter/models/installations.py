"""Installed customers (安装客户): a product installed at a customer's, entered by staff from the
installation service card (安装服务卡, seed 001) and later by field service. Each one is called
back at 1 week, 1, 3, 6 and 12 months (the daily job in callcenter.services.callbacks)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InstallationQuerySet(models.QuerySet):
    def visible_to(self, user):
        from ..selectors.callbacks import installations_visible_to

        return installations_visible_to(user, self)


class Installation(models.Model):
    customer = models.ForeignKey(
        "callcenter.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="installations",
    )
    product_model = models.CharField(_("产品型号"), max_length=60)
    serial_number = models.CharField(_("出厂编号"), max_length=60, blank=True)
    installed_on = models.DateField(_("安装日期"))
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("安装所在的分公司或办事处"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    objects = InstallationQuerySet.as_manager()

    class Meta:
        verbose_name = _("安装记录")
        verbose_name_plural = _("安装记录")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["installed_on"], name="installation_installed_on"),
            models.Index(fields=["org_unit", "-id"], name="installation_org_unit"),
        ]

    def __str__(self):
        return f"{self.product_model} {self.serial_number} {self.customer.name}".strip()

    def get_absolute_url(self):
        return reverse("callcenter:installation_list") + f"?q={self.number}"

    @property
    def number(self) -> str:
        return f"AZ{self.pk:08d}" if self.pk else "AZ"
