from rest_framework import serializers

from ...choices import ActivationOutcome


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
