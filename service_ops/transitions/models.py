from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.i18n import render


class ActionChannel(models.TextChoices):
    WEB = "web", _("网页")
    API = "api", _("接口")
    SYSTEM = "system", _("系统")


class TransitionLog(models.Model):
    """Every state change of every process object: who, when, from, to, why, through what."""

    object_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("object_type", "object_id")
    transition = models.CharField(_("动作"), max_length=64)
    from_state = models.CharField(_("原状态"), max_length=32)
    to_state = models.CharField(_("新状态"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("操作人"),
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=ActionChannel.choices)
    comment = models.TextField(_("备注"), blank=True)
    # A comment the system wrote, as msgid and parameters (service_ops.i18n), rendered in the
    # reader's language; `comment` keeps its zh-hans text. NULL for a comment a person typed.
    comment_i18n = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("状态变更记录")
        verbose_name_plural = _("状态变更记录")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["object_type", "object_id", "created_at"], name="transitionlog_subject"
            )
        ]

    def __str__(self):
        return f"{self.transition}: {self.from_state} → {self.to_state}"

    @property
    def comment_text(self) -> str:
        """The comment in the reader's (the active) language; a typed one as typed."""
        return render(self.comment, self.comment_i18n)
