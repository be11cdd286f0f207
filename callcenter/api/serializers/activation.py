from rest_framework import serializers

from network.api.serializers import OrgUnitBriefSerializer, PrepaidEntrySerializer
from service_ops.api.compiled import CompiledListSerializer, DisplayField
from service_ops.api.robust import StrictFieldsMixin

from ...choices import ActivationOutcome
from ...models import ActivationQuery


class InboundSmsSerializer(serializers.Serializer):
    """One SMS pushed by the gateway. `from` is a Python keyword, hence declared below."""

    message_id = serializers.CharField(max_length=100, help_text="网关的消息编号（重复推送时相同）")
    text = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=False)
    received_at = serializers.DateTimeField(required=False, help_text="网关收到短信的时间")


InboundSmsSerializer._declared_fields["from"] = serializers.CharField(
    max_length=40, help_text="发送号码（可带 +86、空格或连字符）"
)


class InboundSmsReplySerializer(serializers.Serializer):
    query = serializers.CharField(help_text="查询编号")
    outcome = serializers.ChoiceField(choices=ActivationOutcome.choices)
    reply = serializers.CharField(help_text="回复短信的内容（已通过短信发送；网关也可同步回复）")
    repeated = serializers.BooleanField(help_text="是否为同一消息编号的重复推送")


# --- the service points' partner API -----------------------------------------------------------


class ActivationCodeQueryInputSerializer(StrictFieldsMixin, serializers.Serializer):
    serial_number = serializers.CharField(
        max_length=40,
        help_text="设备序列号（不区分大小写，容许全角字符和首尾空格）",
    )


class ActivationCodeAnswerSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="查询编号（也是预存款扣费流水的关联单据）")
    outcome = serializers.ChoiceField(choices=[ActivationOutcome.ANSWERED])
    serial_number = serializers.CharField()
    code = serializers.CharField(help_text="激活码")
    product_model = serializers.CharField(allow_blank=True)
    fee = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="本次扣费（元）")
    balance = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="扣费后的预存款余额（元）"
    )
    currency = serializers.CharField(default="CNY")
    received_at = serializers.DateTimeField()


class InsufficientBalanceSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["insufficient_balance"])
    query = serializers.CharField(help_text="查询编号（未扣费的查询也有记录）")
    fee = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="查询费（元）")
    balance = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="当前预存款余额（元）"
    )
    currency = serializers.CharField(default="CNY")


class NoSuchCodeSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["no_such_code"])
    query = serializers.CharField(help_text="查询编号（未扣费的查询也有记录）")
    serial_number = serializers.CharField()


class PrepaidBalanceSerializer(serializers.Serializer):
    org_unit = OrgUnitBriefSerializer()
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(default="CNY")
    updated_at = serializers.DateTimeField(allow_null=True)
    activation_fee = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        help_text="每次激活码查询的扣费（元）；代理商不查询激活码，为 null",
    )


class PrepaidEntryListSerializer(PrepaidEntrySerializer):
    class Meta(PrepaidEntrySerializer.Meta):
        list_serializer_class = CompiledListSerializer


class ActivationQuerySerializer(serializers.ModelSerializer):
    query = serializers.CharField(source="number", read_only=True, help_text="查询编号")
    channel_display = DisplayField(source="channel")
    outcome = serializers.ChoiceField(
        choices=ActivationOutcome.choices, allow_blank=True, read_only=True
    )
    outcome_display = DisplayField(source="outcome")

    class Meta:
        model = ActivationQuery
        list_serializer_class = CompiledListSerializer
        fields = [
            "id",
            "query",
            "channel",
            "channel_display",
            "serial_number",
            "outcome",
            "outcome_display",
            "fee",
            "reply",
            "received_at",
        ]
        read_only_fields = fields
