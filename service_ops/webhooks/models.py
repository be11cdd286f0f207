import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    FAILED = "failed", _("失败待重试")
    DELIVERED = "delivered", _("已送达")
    DEAD = "dead", _("已放弃")

    @classmethod
    def colour_of(cls, state: str) -> str:
        return {
            cls.PENDING: "secondary",
            cls.FAILED: "warning",
            cls.DELIVERED: "success",
            cls.DEAD: "danger",
        }.get(state, "secondary")


# Deliveries the sender still has to try.
OPEN_STATES = (DeliveryState.PENDING, DeliveryState.FAILED)


class WebhookEndpoint(models.Model):
    """A partner's URL that receives signed events.

    The secret is generated here and shown once (on registration and on rotation). It is stored
    as it is: HMAC needs the secret itself, not a digest of it; whoever reads this table can sign
    as us, as whoever reads the partner's configuration can. After a rotation the previous secret
    still signs (a second `v1=`) until `previous_secret_expires_at`, so the partner can switch
    without losing events."""

    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("合作方"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("接收地址"), max_length=500)
    description = models.CharField(_("说明"), max_length=100, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # [] means every event type (ping is always sent on request)
    event_types = models.JSONField(_("订阅事件"), default=list, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    consecutive_dead = models.PositiveSmallIntegerField(
        _("连续放弃次数"), default=0, editable=False
    )
    failing_since = models.DateTimeField(_("持续失败自"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("最近送达"), null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(_("停用原因"), max_length=200, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Webhook 接收地址")
        verbose_name_plural = _("Webhook 接收地址")
        ordering = ["-id"]
        indexes = [
            # run_transition asks this for the partners of every changed object
            models.Index(
                fields=["org_unit"], name="webhook_endpoint_active", condition=Q(is_active=True)
            ),
        ]

    def __str__(self):
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    @property
    def secret_hint(self) -> str:
        """The secret's last four characters: enough to tell which one a partner holds."""
        return f"…{self.secret[-4:]}" if self.secret else ""

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        secrets = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:
            secrets.append(self.previous_secret)
        return secrets


class WebhookDelivery(models.Model):
    """One event for one endpoint, and what became of sending it (the delivery log).

    Written in the transaction of the change (the outbox). `next_attempt_at` is the one column the
    sender reads: when the row is due, and, while a sender holds it, the end of that sender's
    lease (a sender that died mid-send leaves the row to be tried again then)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("事件编号"), db_index=True)
    event_type = models.CharField(_("事件类型"), max_length=64)
    payload = models.JSONField()
    state = models.CharField(
        _("状态"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("最近状态码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    last_response = models.CharField(_("最近响应"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    resend_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("手动重发或测试的操作人"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 投递")
        verbose_name_plural = _("Webhook 投递")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(state__in=["pending", "failed"]),
            ),
            # the delivery log of one endpoint, newest first (keyset pages)
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint_id} ({self.state})"

    @property
    def state_colour(self) -> str:
        return DeliveryState.colour_of(self.state)
