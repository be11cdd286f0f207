"""Partner API of visits on site (上门服务) for service points' own systems: their visits (list,
detail) and each step on site — check-in, photos (multipart), parts from the point's stock, the
report, the customer's signature (base64 PNG or multipart) and finishing — plus the service
record PDF. Every write goes to repairs.services.visits with channel="api". Scope in
get_queryset (Visit.objects.visible_to): another point's visit is 404; a step the visit's state
does not allow now is 409 with the allowed actions; bad input 400 by field."""

from __future__ import annotations

from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from service_ops.api.pagination import KeysetPagination
from service_ops.api.robust import SafeJSONParser
from service_ops.transitions.models import ActionChannel
from spareparts.models import Part

from ...models import Visit
from ...services import visits as vs
from ...visit_record import visit_record_pdf
from ..serializers.visits import (
    CheckInSerializer,
    FinishSerializer,
    PartInputSerializer,
    PhotoUploadSerializer,
    ReportSerializer,
    SignatureSerializer,
    VisitDetailSerializer,
    VisitPartSerializer,
    VisitPhotoSerializer,
    VisitSerializer,
)

API = ActionChannel.API


def _error(description: str, example: dict) -> OpenApiResponse:
    return OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=description,
        examples=[OpenApiExample(description, value=example)],
    )


BAD_INPUT = _error(
    "参数错误：按字段列出原因", {"location_unavailable_reason": ["未能获取定位时，请说明原因"]}
)
FORBIDDEN = _error(
    "调用者不是本次上门的网点或工程师", {"detail": "只有本次上门的工程师或服务网点可以操作"}
)
NOT_FOUND = _error("不存在或不在调用者的可见范围内", {"detail": "未找到，或不在您的可见范围内。"})
CONFLICT = _error(
    "上门服务当前状态不允许此操作；allowed_actions 为现在可执行的动作",
    {
        "detail": "当前状态不允许此操作。",
        "code": "transition_not_allowed",
        "action": "check_in",
        "state": "checked_in",
        "allowed_actions": ["finish_solved", "finish_incomplete", "cancel"],
    },
)
STEP_RESPONSES = {400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}


@extend_schema_view(
    list=extend_schema(
        summary="上门服务列表",
        description=(
            "调用者可见的上门服务：服务网点只见派给本网点的。游标分页（新的在前），每页最多 "
            "200 条；?state=planned|checked_in|solved|incomplete|cancelled 过滤。"
        ),
    ),
    retrieve=extend_schema(
        summary="上门服务详情",
        description="上门服务及其照片、用料和尚缺的必传照片类型。其他网点的上门服务返回 404。",
        responses={200: VisitDetailSerializer, 404: NOT_FOUND},
    ),
)
@extend_schema(tags=["visits"])
class VisitViewSet(viewsets.GenericViewSet):
    serializer_class = VisitSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["state"]
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Visit.objects.none()
        return Visit.objects.visible_to(self.request.user).select_related(
            "request", "engineer", "service_unit"
        )

    def get_parsers(self):
        if getattr(self, "action", None) in ("photos", "signature"):
            return [MultiPartParser(), FormParser(), SafeJSONParser()]
        return super().get_parsers()

    def detail_response(self, visit_id: int, code=status.HTTP_200_OK) -> Response:
        visit = self.get_queryset().prefetch_related("photos").get(pk=visit_id)
        return Response(VisitDetailSerializer(visit).data, status=code)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(VisitSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self.detail_response(self.get_object().pk)

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="到达签到",
        description=(
            "到达客户处：latitude/longitude/accuracy_m 为设备定位（WGS-84），到达时间取服务器"
            "时间；未能定位时须填写 location_unavailable_reason。报修单转入服务中。"
            "已签到的上门再签到返回 409。"
        ),
        request=CheckInSerializer,
        responses={200: VisitDetailSerializer, **STEP_RESPONSES},
        examples=[
            OpenApiExample(
                "定位签到",
                value={"latitude": "23.129163", "longitude": "113.264435", "accuracy_m": 15},
                request_only=True,
            ),
            OpenApiExample(
                "未能定位",
                value={"location_unavailable_reason": "用户拒绝授权定位"},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        visit = self.get_object()
        data = self._input(CheckInSerializer)
        vs.visit_check_in(
            visit_id=visit.pk,
            actor=request.user,
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            accuracy_m=data.get("accuracy_m"),
            location_unavailable_reason=data.get("location_unavailable_reason", ""),
            channel=API,
        )
        return self.detail_response(visit.pk)

    @extend_schema(
        summary="上传现场照片",
        description=(
            "multipart/form-data：kind（before 服务前 / after 服务后 / other 其他）、"
            "file（JPEG、PNG 或 WebP，最大 10 MB，按文件内容校验）、"
            "upload_key（可选，重试时用同一编号，照片只保存一次，返回 200 与首次保存的照片）。"
            "只能在已签到的上门上传，否则 409。"
        ),
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={201: VisitPhotoSerializer, 200: VisitPhotoSerializer, **STEP_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def photos(self, request, pk=None):
        visit = self.get_object()
        data = self._input(PhotoUploadSerializer)
        photo, created = vs.visit_add_photo(
            visit_id=visit.pk,
            actor=request.user,
            kind=data["kind"],
            file=data["file"],
            upload_key=data.get("upload_key", ""),
            channel=API,
        )
        return Response(
            VisitPhotoSerializer(photo).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="登记用料",
        description=(
            "从本网点（或工程师）的库存领用配件：先预留，完成上门时出库。"
            "库存不足返回 400（quantity）。"
        ),
        request=PartInputSerializer,
        responses={201: VisitPartSerializer, **STEP_RESPONSES},
        examples=[
            OpenApiExample(
                "主板一块", value={"part_number": "GPS-MB-01", "quantity": 1}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def parts(self, request, pk=None):
        visit = self.get_object()
        data = self._input(PartInputSerializer)
        part = Part.objects.filter(
            number__iexact=data["part_number"].strip(), is_active=True
        ).first()
        if part is None:
            return Response(
                {"part_number": ["没有该编号的启用配件"]}, status=status.HTTP_400_BAD_REQUEST
            )
        line = vs.visit_add_part(
            visit_id=visit.pk, actor=request.user, part=part, quantity=data["quantity"], channel=API
        )
        return Response(VisitPartSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="填写诊断与处理情况",
        description="故障诊断、处理情况、路程（公里）；未给出的字段保持不变。",
        request=ReportSerializer,
        responses={200: VisitDetailSerializer, **STEP_RESPONSES},
        examples=[
            OpenApiExample(
                "处理情况",
                value={
                    "diagnosis": "主板电容鼓包",
                    "work_report": "更换主板，试机正常",
                    "distance_km": "12.5",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        visit = self.get_object()
        data = self._input(ReportSerializer)
        vs.visit_record(
            visit_id=visit.pk,
            actor=request.user,
            diagnosis=data.get("diagnosis"),
            work_report=data.get("work_report"),
            # absent: kept; null: cleared
            distance_km=(data["distance_km"] or "") if "distance_km" in data else None,
            channel=API,
        )
        return self.detail_response(visit.pk)

    @extend_schema(
        summary="客户签字",
        description=(
            "客户在设备上手写的签字（PNG）：JSON 的 signature（base64 或 data URL）或 multipart 的 "
            "signature_file。签字人默认为报修联系人；他人代签时 stand_in=true 并填写 signer_name。"
        ),
        request={
            "application/json": SignatureSerializer,
            "multipart/form-data": SignatureSerializer,
        },
        responses={200: VisitDetailSerializer, **STEP_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def signature(self, request, pk=None):
        visit = self.get_object()
        data = self._input(SignatureSerializer)
        vs.visit_sign(
            visit_id=visit.pk,
            actor=request.user,
            signature=data.get("signature_file") or data.get("signature") or None,
            stand_in=data.get("stand_in", False),
            signer_name=data.get("signer_name", ""),
            channel=API,
        )
        return self.detail_response(visit.pk)

    @extend_schema(
        summary="完成上门",
        description=(
            "solved=true：须已签到、已上传本类别必传照片、已填写处理情况并有客户签字"
            "（缺少时 400 分别列出 photos / work_report / signature）；报修单转为已解决，"
            "呼叫中心在规定工作日内回访。"
            "solved=false：须填写 incomplete_reason；报修单升级，由派单员确认故障后重新派单。"
            "未签到或已完成的上门返回 409。"
        ),
        request=FinishSerializer,
        responses={200: VisitDetailSerializer, **STEP_RESPONSES},
        examples=[
            OpenApiExample("已解决", value={"solved": True}, request_only=True),
            OpenApiExample(
                "未解决",
                value={"solved": False, "incomplete_reason": "缺少主板，需返厂"},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        visit = self.get_object()
        data = self._input(FinishSerializer)
        vs.visit_finish(
            visit_id=visit.pk,
            actor=request.user,
            solved=data["solved"],
            incomplete_reason=data.get("incomplete_reason", ""),
            channel=API,
        )
        return self.detail_response(visit.pk)

    @extend_schema(
        summary="服务记录单（PDF）",
        description="上门服务的服务记录单：报修、设备、时间、到达位置、诊断、用料、处理情况、照片与客户签字。",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF"),
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"])
    def record(self, request, pk=None):
        visit = self.get_object()
        response = HttpResponse(visit_record_pdf(visit), content_type="application/pdf")
        name = f"{visit.request.number}-{visit.sequence}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
