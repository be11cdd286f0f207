from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentSequence(models.Model):
    """The last number issued per prefix and period (e.g. RMA, 202611). Locked while a number is
    taken, so numbers stay unique and gap-free under concurrent creation."""

    prefix = models.CharField(max_length=16)
    period = models.CharField(max_length=8)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("单据编号序列")
        verbose_name_plural = _("单据编号序列")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "period"], name="documentsequence_unique")
        ]

    def __str__(self):
        return f"{self.prefix}-{self.period}: {self.last_value}"
