"""Partner API of the settlement with service points (网点结算, issue 20 items 7 and 9).

A service point reads its statements (once issued to it) and their lines, and confirms or
disputes each line (with the reason) while the statement waits for its answer. Headquarters
reads every statement. Scope in get_queryset: another point's statement or line is a 404; a
line of a statement not waiting for the point's answer (or already answered) is a 409 with the
allowed actions. Writes go to repairs.services.settlement with channel "api"."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from service_ops.api.pagination import KeysetPagination
from service_ops.transitions.models import ActionChannel

from ...choices import SettlementLineState, SettlementState
from ...models.settlement import SettlementLine, SettlementStatement
from ...services import settlement as svc
from ..serializers.settlement import (
    DisputeInSerializer,
    SettlementLineSerializer,
    SettlementStatementSerializer,
)

API = ActionChannel.API


def _error(description):
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


BAD_INPUT = _error("参数错误：按字段列出原因")
FORBIDDEN = _error("无权执行此操作")
NOT_FOUND = _error("不存在或不在调用者的可见范围内")
CONFLICT = _error("当前状态不允许此操作；allowed_actions 为现在可执行的动作")


class StatementFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=SettlementState.choices, label="状态")
    month = django_filters.DateFilter(
        field_name="month", input_formats=["%Y-%m"], label="月份（YYYY-MM）"
    )

    class Meta:
        model = SettlementStatement
        fields = ["state", "month"]


class LineFilterSet(django_filters.FilterSet):
    statement = django_filters.NumberFilter(field_name="statement_id", label="结算单 id")
    state = django_filters.ChoiceFilter(choices=SettlementLineState.choices, label="确认状态")

    class Meta:
        model = SettlementLine
        fields = ["statement", "state"]


@extend_schema_view(
    list=extend_schema(
        summary="网点结算单列表",
        description="调用者（服务网点）已下发的月结算单；按状态、月份筛选，游标分页。",
    ),
    retrieve=extend_schema(
        summary="网点结算单", responses={200: SettlementStatementSerializer, 404: NOT_FOUND}
    ),
)
@extend_schema(tags=["settlement"])
class SettlementStatementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = SettlementStatementSerializer
    filterset_class = StatementFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SettlementStatement.objects.none()
        return SettlementStatement.objects.visible_to(self.request.user).select_related("point")


@extend_schema_view(
    list=extend_schema(
        summary="网点结算明细列表",
        description=(
            "调用者（服务网点）结算单的明细：上门服务费（已通过到场签到、必传照片、客户签字、"
            "回访检查，按服务当天有效的费用规则计价）、奖励和扣罚（扣罚为负数）。按结算单、"
            "确认状态筛选，游标分页。"
        ),
    ),
    retrieve=extend_schema(
        summary="网点结算明细", responses={200: SettlementLineSerializer, 404: NOT_FOUND}
    ),
)
@extend_schema(tags=["settlement"])
class SettlementLineViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = SettlementLineSerializer
    filterset_class = LineFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SettlementLine.objects.none()
        return SettlementLine.objects.visible_to(self.request.user).select_related("visit__request")

    def get_serializer_class(self):
        return DisputeInSerializer if self.action == "dispute" else SettlementLineSerializer

    def _fresh(self, pk):
        return SettlementLineSerializer(self.get_queryset().get(pk=pk)).data

    @extend_schema(
        summary="确认明细",
        description="网点确认一条明细；结算单不在待网点确认状态、或该明细已答复，返回 409。",
        request=None,
        responses={
            200: SettlementLineSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        line = self.get_object()
        svc.line_confirm(line_id=line.pk, actor=request.user, channel=API)
        return Response(self._fresh(line.pk))

    @extend_schema(
        summary="对明细提出异议",
        description="网点对一条明细提出异议（须写明原因），由网点专员调整或维持原额。",
        request=DisputeInSerializer,
        responses={
            200: SettlementLineSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        line = self.get_object()
        data = DisputeInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        svc.line_dispute(
            line_id=line.pk, actor=request.user, reason=data.validated_data["reason"], channel=API
        )
        return Response(self._fresh(line.pk))
