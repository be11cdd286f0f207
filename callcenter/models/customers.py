"""The call centre's customers (客户档案): the end users who call in, are called back and own
installed products. Partners and staff are found by their own records (network); a caller who
is none of them becomes a Customer, created in place during the call."""

import re

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..phones import normalise_phone, split_phone

OTHER_PHONES_SEPARATORS = re.compile(r"[,，;；/、]+")


def normalise_phone_list(value: str) -> str:
    """Several numbers as typed ("0757-2288 6000，139 0000 1111") in their normal forms,
    comma-separated, so a lookup finds any of them."""
    numbers = (normalise_phone(part) for part in OTHER_PHONES_SEPARATORS.split(value or ""))
    return ",".join(dict.fromkeys(n for n in numbers if n))


class Customer(models.Model):
    name = models.CharField(_("客户姓名"), max_length=60)
    phone = models.CharField(_("联系电话"), max_length=40, db_index=True)
    phone_extension = models.CharField(_("分机"), max_length=8, blank=True)
    other_phones = models.CharField(_("其他电话"), max_length=120, blank=True)
    company = models.CharField(_("单位"), max_length=100, blank=True)
    city = models.CharField(_("所在城市"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所属区域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        help_text=_("客户所在的分公司或办事处（可不填）"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("建档时间"), default=timezone.now)

    class Meta:
        # The caller lookup's indexes: `phone` (db_index, and on PostgreSQL its LIKE-prefix twin),
        # the reversed number for "the last digits", other_phones by trigram (callcenter 0005).
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.name} {self.phone}"

    def save(self, *args, **kwargs):
        self.phone, extension = split_phone(self.phone)
        self.phone_extension = self.phone_extension or extension
        self.other_phones = normalise_phone_list(self.other_phones)
        super().save(*args, **kwargs)
