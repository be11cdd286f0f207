"""Top-ups (充值) the network specialist records from the staff page: the bank transfer behind
each ledger entry. The form's one-time key is unique, so a double submit (or a retry after a lost
answer) posts one entry; a bank reference is entered once per unit."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PrepaidTopUp(models.Model):
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("组织"),
        on_delete=models.PROTECT,
        related_name="prepaid_top_ups",
    )
    form_key = models.UUIDField(_("表单编号"), unique=True, default=uuid.uuid4, editable=False)
    bank_reference = models.CharField(_("银行流水号"), max_length=64)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    entry = models.OneToOneField(
        "network.PrepaidEntry",
        verbose_name=_("预存款流水"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="top_up",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("入账时间"), default=timezone.now)

    class Meta:
        verbose_name = _("预存款充值")
        verbose_name_plural = _("预存款充值")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "bank_reference"], name="prepaidtopup_bank_reference_once"
            ),
        ]

    def __str__(self):
        return f"{self.org_unit} ¥{self.amount} {self.bank_reference}"
