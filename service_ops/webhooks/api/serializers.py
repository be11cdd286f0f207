"""Serializers of the partner webhook API. The secret is written only by the services and read
back only once, in the answer to a registration or a rotation (EndpointWithSecretSerializer)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from service_ops.api.robust import StrictFieldsMixin

from ..events import event_types
from ..models import DeliveryState, WebhookDelivery, WebhookEndpoint


class EventTypeField(serializers.ChoiceField):
    """One of the declared event types (read when the serializer is built: the apps' plugins)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", [(name, str(label)) for name, label in event_types()])
        super().__init__(**kwargs)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=EventTypeField(),
        read_only=True,
        help_text=_("订阅的事件类型；空列表表示全部"),
    )
    secret_hint = serializers.CharField(read_only=True, help_text=_("密钥末四位，用于核对"))
    failing_since = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=_("持续失败的开始时间；最近一次送达后清空")
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "secret_hint",
            "consecutive_dead",
            "failing_since",
            "last_success_at",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = fields


class EndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("签名密钥，只在登记和更换时返回这一次，请妥善保存")
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    url = serializers.URLField(
        max_length=500, help_text=_("接收地址，须为 https（开发环境可用本机 http）")
    )
    description = serializers.CharField(max_length=100, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=EventTypeField(),
        required=False,
        max_length=50,
        help_text=_("订阅的事件类型；不填或空列表表示全部"),
    )


class WebhookEndpointUpdateSerializer(WebhookEndpointCreateSerializer):
    url = serializers.URLField(max_length=500, required=False)
    is_active = serializers.BooleanField(
        required=False, help_text=_("true 重新启用（清零失败计数），false 停用")
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=DeliveryState.choices, read_only=True)
    endpoint = serializers.IntegerField(source="endpoint_id", read_only=True)
    resend_of = serializers.IntegerField(source="resend_of_id", read_only=True, allow_null=True)
    last_status_code = serializers.IntegerField(read_only=True, allow_null=True)
    payload = serializers.JSONField(read_only=True, help_text=_("发送的请求体（JSON）"))

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "uuid",
            "endpoint",
            "event_id",
            "event_type",
            "state",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "resend_of",
            "created_at",
            "payload",
        ]
        read_only_fields = fields
