from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivationOutcome(models.TextChoices):
    """What became of one activation-code query (激活码查询) received by SMS."""

    ANSWERED = "answered", _("已回复激活码")
    INSUFFICIENT_BALANCE = "insufficient_balance", _("余额不足")
    UNKNOWN_SENDER = "unknown_sender", _("未登记号码")
    INCOMPLETE = "incomplete", _("格式不完整")
    NO_SUCH_CODE = "no_such_code", _("无此激活码")


class QueryChannel(models.TextChoices):
    """How an activation-code query arrived: an SMS pushed by the gateway, or a service point's
    own system through the partner API."""

    SMS = "sms", _("短信")
    API = "api", _("接口")
