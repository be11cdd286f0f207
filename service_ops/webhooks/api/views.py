"""Partner API of webhooks: a dealer or service point registers its endpoints, reads their
delivery log, sends a test event and re-sends a delivery.

Scope in get_queryset: the caller's own org unit's endpoints and deliveries only; anything else
answers 404, never 403, so a partner cannot probe which ids exist. Writes go through
service_ops.webhooks.services; nothing here sends HTTP (deliveries are outbox rows, sent after
commit)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from network.visibility import user_org_unit
from service_ops.api.pagination import KeysetPagination

from .. import services
from ..models import DeliveryState, WebhookDelivery, WebhookEndpoint
from .serializers import (
    EndpointWithSecretSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)

TAGS = ["webhooks"]


def _error(description: str, example: dict) -> OpenApiResponse:
    return OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=description,
        examples=[OpenApiExample(description, value=example)],
    )


BAD_INPUT = _error(
    "参数错误：按字段列出原因",
    {"url": ["地址须以 https:// 开头"], "event_types": {"0": ["“x” 不是合法选项。"]}},
)
NOT_FOUND = _error("不存在或不属于调用者", {"detail": "未找到。"})
FORBIDDEN = _error(
    "只有代理商和特约维修网点可以登记 Webhook",
    {"detail": "只有代理商和特约维修网点可以登记 Webhook。"},
)

ENDPOINT_EXAMPLE = {
    "id": 3,
    "url": "https://erp.example.com/hooks/service-ops",
    "description": "ERP 对接",
    "event_types": ["return_application.state_changed", "quote.state_changed"],
    "is_active": True,
    "secret_hint": "…x9Qa",
    "consecutive_dead": 0,
    "failing_since": None,
    "last_success_at": "2026-11-24T10:00:03+08:00",
    "disabled_at": None,
    "disabled_reason": "",
    "created_at": "2026-11-01T09:00:00+08:00",
}
SECRET_EXAMPLE = {**ENDPOINT_EXAMPLE, "secret": "whsec_3q2-7wKf0d9VXy4bQ1t0mN8rA6sLxE5uJcHgZ2pI9Qa"}
PAYLOAD_EXAMPLE = {
    "id": "0b7f7f0e-4b8a-4f53-9a43-5d1f7c2e9a10",
    "type": "return_application.state_changed",
    "occurred_at": "2026-11-24T10:00:00+08:00",
    "object": {"type": "return_application", "id": 41, "number": "RMA2611240001"},
    "transition": "submit",
    "from_state": "draft",
    "to_state": "in_approval",
    "data": {
        "number": "RMA2611240001",
        "state": "in_approval",
        "state_display": "审批中",
        "api_path": "/api/v1/return-applications/41/",
    },
}
DELIVERY_EXAMPLE = {
    "id": 918,
    "uuid": "5c1e0a52-9f0e-4a53-8d0c-0f3b1f7e2b61",
    "endpoint": 3,
    "event_id": PAYLOAD_EXAMPLE["id"],
    "event_type": "return_application.state_changed",
    "state": "failed",
    "attempts": 2,
    "next_attempt_at": "2026-11-24T10:36:00+08:00",
    "last_attempt_at": "2026-11-24T10:06:00+08:00",
    "last_status_code": 503,
    "last_error": "HTTP 503",
    "delivered_at": None,
    "resend_of": None,
    "created_at": "2026-11-24T10:00:00+08:00",
    "payload": PAYLOAD_EXAMPLE,
}


class IsPartner(permissions.BasePermission):
    message = _("只有代理商和特约维修网点可以登记 Webhook。")

    def has_permission(self, request, view):
        unit = user_org_unit(request.user)
        return unit is not None and unit.is_partner


def _own_unit(request):
    unit = user_org_unit(request.user)
    return unit if unit is not None and unit.is_partner else None


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="Webhook 接收地址列表",
        description="调用者（代理商或特约维修网点）本单位登记的接收地址。",
        examples=[OpenApiExample("接收地址", value=ENDPOINT_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary="Webhook 接收地址详情",
        responses={200: WebhookEndpointSerializer, 404: NOT_FOUND},
        examples=[OpenApiExample("接收地址", value=ENDPOINT_EXAMPLE, response_only=True)],
    ),
    destroy=extend_schema(
        tags=TAGS,
        summary="删除 Webhook 接收地址",
        description="连同其投递记录一并删除；未发送的事件不再发送。",
        responses={204: None, 404: NOT_FOUND},
    ),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [permissions.IsAuthenticated, IsPartner]
    filter_backends = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        unit = _own_unit(self.request)
        if unit is None:
            return WebhookEndpoint.objects.none()
        return WebhookEndpoint.objects.filter(org_unit=unit).order_by("id")

    @extend_schema(
        tags=TAGS,
        summary="登记 Webhook 接收地址",
        description=(
            "登记后返回签名密钥 `secret`，只返回这一次。每次状态变化以 POST 发送 JSON，"
            "请求头 `X-ServiceOps-Signature: t=<unix 秒>,v1=<十六进制 "
            "HMAC-SHA256(secret, t + '.' + 请求体)>`。2xx 视为送达；"
            "否则按 1 分、5 分、30 分、2 小时、6 小时、12 小时、24 小时重试，"
            "共 8 次后放弃；连续 3 个事件放弃后自动停用该地址。"
        ),
        request=WebhookEndpointCreateSerializer,
        responses={201: EndpointWithSecretSerializer, 400: BAD_INPUT, 403: FORBIDDEN},
        examples=[
            OpenApiExample(
                "登记",
                value={
                    "url": "https://erp.example.com/hooks/service-ops",
                    "description": "ERP 对接",
                    "event_types": ["return_application.state_changed", "quote.state_changed"],
                },
                request_only=True,
            ),
            OpenApiExample("已登记（含密钥）", value=SECRET_EXAMPLE, response_only=True),
        ],
    )
    def create(self, request):
        data = WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.endpoint_create(
            org_unit=_own_unit(request), actor=request.user, **data.validated_data
        )
        endpoint.secret = secret
        return Response(EndpointWithSecretSerializer(endpoint).data, status=201)

    @extend_schema(
        tags=TAGS,
        summary="修改 Webhook 接收地址",
        description=(
            "修改地址、说明、订阅的事件，或启用/停用。`is_active: true` 重新启用被自动停用的"
            "地址并清零失败计数，此前未送达的事件随后发送。"
        ),
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer, 400: BAD_INPUT, 404: NOT_FOUND},
        examples=[
            OpenApiExample("重新启用", value={"is_active": True}, request_only=True),
            OpenApiExample("接收地址", value=ENDPOINT_EXAMPLE, response_only=True),
        ],
    )
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(endpoint_id=endpoint.pk, **data.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    def perform_destroy(self, instance):
        services.endpoint_delete(endpoint_id=instance.pk)

    @extend_schema(
        tags=TAGS,
        summary="更换签名密钥",
        description=(
            "生成新密钥并返回这一次。此后 24 小时内，签名头同时带新旧两个 `v1=`，"
            "任一与您的密钥相符即可，便于切换。"
        ),
        request=None,
        responses={200: EndpointWithSecretSerializer, 404: NOT_FOUND},
        examples=[OpenApiExample("新密钥", value=SECRET_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        endpoint, secret = services.endpoint_rotate_secret(endpoint_id=endpoint.pk)
        endpoint.secret = secret
        return Response(EndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        tags=TAGS,
        summary="发送测试事件",
        description=(
            "向该地址发送一个 `ping` 事件（与真实事件同样签名、同样重试），"
            "返回这条投递；结果见投递记录。"
        ),
        request=None,
        responses={202: WebhookDeliverySerializer, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "已排队",
                value={
                    **DELIVERY_EXAMPLE,
                    "event_type": "ping",
                    "state": "pending",
                    "attempts": 0,
                    "last_status_code": None,
                    "last_error": "",
                    "last_attempt_at": None,
                    "payload": {
                        "id": PAYLOAD_EXAMPLE["id"],
                        "type": "ping",
                        "occurred_at": "2026-11-24T10:00:00+08:00",
                        "data": {"endpoint": 3, "message": "ping"},
                    },
                },
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        endpoint = self.get_object()
        delivery = services.send_ping(endpoint=endpoint, actor=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        tags=TAGS,
        summary="投递记录",
        description="该地址的投递记录，新的在前，游标分页；`state` 按状态筛选。",
        parameters=[
            OpenApiParameter("state", str, enum=list(DeliveryState.values), required=False),
            OpenApiParameter(
                "cursor", OpenApiTypes.STR, description="分页游标（取自 next / previous 链接）"
            ),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="每页条数，最多 200"),
        ],
        responses={200: WebhookDeliverySerializer(many=True), 400: BAD_INPUT, 404: NOT_FOUND},
        examples=[OpenApiExample("一条投递", value=DELIVERY_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["get"], pagination_class=KeysetPagination)
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        rows = WebhookDelivery.objects.filter(endpoint=endpoint)
        state = request.query_params.get("state")
        if state:
            if state not in DeliveryState.values:
                raise ValidationError({"state": [f"可选值：{', '.join(DeliveryState.values)}"]})
            rows = rows.filter(state=state)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(
        tags=TAGS,
        summary="一条投递",
        responses={200: WebhookDeliverySerializer, 404: NOT_FOUND},
        examples=[OpenApiExample("一条投递", value=DELIVERY_EXAMPLE, response_only=True)],
    ),
)
class WebhookDeliveryViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookDeliverySerializer
    permission_classes = [permissions.IsAuthenticated, IsPartner]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        unit = _own_unit(self.request)
        if unit is None:
            return WebhookDelivery.objects.none()
        return WebhookDelivery.objects.filter(endpoint__org_unit=unit)

    @extend_schema(
        tags=TAGS,
        summary="重发",
        description=(
            "把这条投递的事件再发一次：新建一条投递（事件编号和请求体不变，请按事件编号去重），"
            "无论原投递是否已送达。"
        ),
        request=None,
        responses={202: WebhookDeliverySerializer, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "已排队",
                value={**DELIVERY_EXAMPLE, "id": 919, "state": "pending", "resend_of": 918},
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        delivery = self.get_object()
        new = services.delivery_resend(delivery_id=delivery.pk, actor=request.user)
        return Response(WebhookDeliverySerializer(new).data, status=status.HTTP_202_ACCEPTED)
