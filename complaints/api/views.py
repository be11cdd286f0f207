"""Partner API of complaints (issue 18 item 7): dealers and service points file complaints and
follow their own — the state, the current stage and its due time, and the escalation.

Thin: scope in get_queryset (Complaint.objects.visible_to — another dealer's complaint answers
404), validation in the serializer, the write in complaints.services.complaints with the
channel "api" (the stage timers start as for the desk). Token auth, the per-client throttle and
the Idempotency-Key of every POST are the platform's (settings.REST_FRAMEWORK, service_ops/
idempotency): a retried POST with the same key files nothing twice."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import permissions, status, viewsets
from rest_framework.response import Response

from service_ops.api.filters import FilterBackend
from service_ops.api.pagination import KeysetPagination

from ..filtersets import ComplaintFilterSet
from ..models import Complaint
from ..permissions import may_file_as_partner
from ..selectors.complaints import open_stages_of
from ..services.complaints import complaint_file_by_partner
from .serializers import ComplaintCreateSerializer, ComplaintSerializer


def _error(description: str, example: dict) -> OpenApiResponse:
    return OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=description,
        examples=[OpenApiExample(description, value=example)],
    )


BAD_INPUT = _error(
    "参数错误：按字段列出原因",
    {"serial_number": ["该字段是必填项。"], "category": ["“x” 不是合法选项。"]},
)
FORBIDDEN = _error("无权执行此操作", {"detail": "只有代理商或特约维修网点可以通过接口投诉"})
NOT_FOUND = _error("不存在或不在调用者的可见范围内", {"detail": "未找到。"})

CREATE_EXAMPLE = OpenApiExample(
    "代理商投诉维修时效",
    value={
        "serial_number": "SN20260001",
        "product_model": "GPS-X1",
        "category": "repair_time",
        "content": "返厂维修已超过 15 个工作日仍未寄回",
        "expected_outcome": "三天内寄回并说明原因",
        "complainant_name": "王经理",
        "complainant_phone": "0731-8888 1234",
        "order_ref": "RMA-202611-0001",
    },
    request_only=True,
)


class MayFileAsPartner(permissions.BasePermission):
    """Dealers and service points file complaints through the API (the complaint team files
    theirs on the desk)."""

    message = _("只有代理商或特约维修网点可以通过接口投诉")

    def has_permission(self, request, view):
        return view.action != "create" or may_file_as_partner(request.user)


@extend_schema_view(
    list=extend_schema(
        summary="投诉列表",
        description=(
            "调用者可见的投诉：代理商、特约维修网点只见本单位提交的投诉。可按状态（可重复）、"
            "类别、是否升级、受理时间和序列号筛选。游标分页（新的在前），每页最多 200 条。"
        ),
    ),
    retrieve=extend_schema(
        summary="投诉详情（处理进度）",
        description=(
            "状态、当前阶段及其到期时间、所有正在计时的阶段，以及是否已超时升级、升级到哪一层级。"
            "不在调用者可见范围内的投诉返回 404。"
        ),
        responses={200: ComplaintSerializer, 404: NOT_FOUND},
    ),
)
@extend_schema(tags=["complaints"])
class ComplaintViewSet(viewsets.GenericViewSet):
    serializer_class = ComplaintSerializer
    filter_backends = [FilterBackend]  # the cursor fixes the order: no OrderingFilter
    filterset_class = ComplaintFilterSet
    pagination_class = KeysetPagination
    permission_classes = [permissions.IsAuthenticated, MayFileAsPartner]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Complaint.objects.none()
        return Complaint.objects.visible_to(self.request.user).select_related("complainant_unit")

    def get_serializer_class(self):
        return ComplaintCreateSerializer if self.action == "create" else ComplaintSerializer

    def represent(self, complaints, *, many=False) -> ComplaintSerializer:
        items = complaints if many else [complaints]
        context = {
            **self.get_serializer_context(),
            "stages": open_stages_of([c.pk for c in items]),
        }
        return ComplaintSerializer(complaints, many=many, context=context)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.represent(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.represent(self.get_object()).data)

    @extend_schema(
        summary="提交投诉",
        description=(
            "代理商或特约维修网点提交投诉，投诉单位始终为调用者所属单位。受理后即开始各阶段计时"
            "（当日确认受理、1 个工作日内判断、72 小时内提出方案），与客诉工作台登记的投诉相同。"
            "网络中断后重试请带同一个 Idempotency-Key：不会重复登记，返回第一次的结果。"
        ),
        request=ComplaintCreateSerializer,
        responses={201: ComplaintSerializer, 400: BAD_INPUT, 403: FORBIDDEN},
        examples=[CREATE_EXAMPLE],
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = complaint_file_by_partner(actor=request.user, **serializer.validated_data)
        fresh = self.get_queryset().get(pk=complaint.pk)
        return Response(
            self.represent(fresh).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": self.reverse_action("detail", args=[complaint.pk])},
        )
