"""Activation-code queries (激活码查询) by SMS, DESIGN §2.3: the code store, the numbers field
offices and service points send from, and one row per gateway message (its id is unique: a
gateway's repeated push finds the stored query and is never charged twice)."""

import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.choices import OrgKind

from ..choices import ActivationOutcome, QueryChannel
from ..phones import normalise_phone

SENDER_KINDS = (OrgKind.FIELD_OFFICE, OrgKind.SERVICE_POINT)


def normalise_serial(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().upper()


class ActivationCode(models.Model):
    """The activation code of one device, by its serial number (imported from the factory list)."""

    serial_number = models.CharField(_("设备序列号"), max_length=40, unique=True)
    code = models.CharField(_("激活码"), max_length=64)
    product_model = models.CharField(_("产品型号"), max_length=60, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("激活码")
        verbose_name_plural = _("激活码")
        ordering = ["serial_number"]
        indexes = [
            # the staff search by the start of a serial (LIKE 'SN2026%' on PostgreSQL)
            models.Index(
                fields=["serial_number"],
                name="activationcode_serial_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self):
        return self.serial_number

    def save(self, *args, **kwargs):
        self.serial_number = normalise_serial(self.serial_number)
        super().save(*args, **kwargs)


class RegisteredNumber(models.Model):
    """A mobile number registered as a field office's or a service point's: the sender of an
    activation-code query is identified by it. Registered, edited and deactivated by the network
    specialist (callcenter.services.numbers); every change audited."""

    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("组织"),
        on_delete=models.CASCADE,
        related_name="registered_numbers",
        limit_choices_to={"kind__in": [k.value for k in SENDER_KINDS]},
    )
    phone = models.CharField(_("手机号码"), max_length=20, unique=True)
    note = models.CharField(_("备注"), max_length=60, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("登记号码")
        verbose_name_plural = _("登记号码")
        ordering = ["phone"]
        indexes = [
            # the staff list of one unit's numbers, newest first (keyset on the id)
            models.Index(fields=["org_unit", "id"], name="registerednumber_unit_id"),
        ]

    def __str__(self):
        return f"{self.phone} {self.org_unit}"

    def save(self, *args, **kwargs):
        self.phone = normalise_phone(self.phone)
        super().save(*args, **kwargs)

    def clean(self):
        self.phone = normalise_phone(self.phone)  # before the unique check of full_clean
        if self.org_unit_id and self.org_unit.kind not in SENDER_KINDS:
            raise ValidationError({"org_unit": _("只能为驻外办事处或特约维修网点登记号码")})


class ActivationQuery(models.Model):
    """One activation-code query, by SMS or through the partner API, whatever became of it (every
    query is kept). An API query gets a message id of its own ("api-<uuid>"); a retried API
    request is answered once by the platform's Idempotency-Key middleware."""

    message_id = models.CharField(_("网关消息编号"), max_length=100, unique=True)
    channel = models.CharField(
        _("渠道"), max_length=8, choices=QueryChannel.choices, default=QueryChannel.SMS
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调用账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_number = models.CharField(_("发送号码"), max_length=40)
    text = models.TextField(_("短信内容"), blank=True)
    sender = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("发送单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activation_queries",
    )
    serial_number = models.CharField(_("设备序列号"), max_length=40, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=24, choices=ActivationOutcome.choices, blank=True
    )
    fee = models.DecimalField(
        _("扣费金额"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    prepaid_entry = models.OneToOneField(
        "network.PrepaidEntry",
        verbose_name=_("预存款流水"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activation_query",
    )
    reply = models.TextField(_("回复内容"), blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("激活码查询")
        verbose_name_plural = _("激活码查询")
        ordering = ["-received_at", "-id"]
        indexes = [
            # the staff list filtered by outcome, newest first (keyset on the id)
            models.Index(fields=["outcome", "id"], name="activationquery_outcome_id"),
            # a service point's own queries (partner API), newest first
            models.Index(fields=["sender", "id"], name="activationquery_sender_id"),
        ]
        constraints = [
            models.CheckConstraint(
                name="activationquery_fee_only_with_entry",
                condition=Q(fee=0) | Q(prepaid_entry__isnull=False),
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"JHCX{self.pk:08d}" if self.pk else "JHCX"
