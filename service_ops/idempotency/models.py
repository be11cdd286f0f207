from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotentRequest(models.Model):
    """A POST sent with an Idempotency-Key: the first answer, kept so a retry gets it again.

    `caller` names who sent it (a hash of the partner token, or the session's user), so one
    partner's keys never meet another's. The row is written in the request's own transaction: a
    retry racing the first waits on the unique index until the first commits, then replays it."""

    caller = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text=_("方法、路径和请求体的 SHA-256"))
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("幂等请求")
        verbose_name_plural = _("幂等请求")
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotent_request_unique"),
        ]

    def __str__(self):
        return f"{self.key} → {self.status_code}"
