"""Partner API of the part requests (配件申请) and dealer quotes (配件报价), issue 19 item 7.

- parts/requests: a service point, field office or dealer POSTs a request for its own warehouse
  and GETs its own requests with their state (never another's: 404).
- parts/quotes: a dealer POSTs a request for a quote (priced at once from the list less its
  discount), GETs its own quotes, POSTs accept or decline on one (409 when not quoted now).

Writes go to spareparts.services (channel "api"); cursor pages of constant cost (rows, then the
page's lines in one query)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from network.choices import OrgKind
from network.visibility import user_org_unit
from service_ops.api.filters import FilterBackend
from service_ops.api.pagination import KeysetPagination
from service_ops.transitions.models import ActionChannel

from ...choices import QuoteState, RequestState
from ...models import DealerQuote, DealerQuoteLine, PartRequest, PartRequestLine
from ...services import quotes as qsvc
from ...services import requests as rsvc
from ..serializers.requests import (
    DealerQuoteSerializer,
    DeclineSerializer,
    PartRequestInSerializer,
    PartRequestSerializer,
    QuoteAskSerializer,
)

API = ActionChannel.API


def _error(description):
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


BAD_INPUT = _error("参数错误：按字段列出原因")
FORBIDDEN = _error("无权执行此操作")
NOT_FOUND = _error("不存在或不在调用者的可见范围内")
CONFLICT = _error("当前状态不允许此操作；allowed_actions 为现在可执行的动作")


class RequestFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=RequestState.choices, label="状态")

    class Meta:
        model = PartRequest
        fields = ["state"]


class QuoteFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=QuoteState.choices, label="状态")

    class Meta:
        model = DealerQuote
        fields = ["state"]


@extend_schema_view(
    list=extend_schema(
        summary="配件申请列表",
        description="调用者本单位仓库向总部配件仓的配件申请及其状态；按状态筛选，游标分页。",
    ),
    retrieve=extend_schema(
        summary="配件申请", responses={200: PartRequestSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="申请配件",
        description=(
            "为调用者本单位的仓库向总部配件仓申请配件（配件编号和数量）。由配件仓主管审批，"
            "之后备货、发货，到货后在网页确认收货。"
        ),
        request=PartRequestInSerializer,
        responses={201: PartRequestSerializer, 400: BAD_INPUT, 403: FORBIDDEN},
    ),
)
@extend_schema(tags=["parts"])
class PartRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PartRequestSerializer
    filter_backends = [FilterBackend]
    filterset_class = RequestFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PartRequest.objects.none()
        lines = PartRequestLine.objects.select_related("part").order_by("id")
        return (
            PartRequest.objects.visible_to(self.request.user)
            .select_related("warehouse")
            .prefetch_related(Prefetch("lines", queryset=lines))
        )

    def get_serializer_class(self):
        return PartRequestInSerializer if self.action == "create" else PartRequestSerializer

    def create(self, request, *args, **kwargs):
        data = PartRequestInSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        created = rsvc.part_request_create(
            warehouse=data.validated_data["warehouse"],
            lines=data.line_pairs(),
            actor=request.user,
            note=data.validated_data.get("note", ""),
            channel=API,
        )
        body = PartRequestSerializer(self.get_queryset().get(pk=created.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="配件报价列表",
        description="调用者（代理商）本单位的询价和报价单；按状态筛选，游标分页。",
    ),
    retrieve=extend_schema(
        summary="配件报价单", responses={200: DealerQuoteSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="询价",
        description=(
            "代理商询价：按配件目录销售价减去本代理商折扣计价；配件仓确认报价后，请在有效期内"
            "接受（accept）。"
        ),
        request=QuoteAskSerializer,
        responses={201: DealerQuoteSerializer, 400: BAD_INPUT, 403: FORBIDDEN},
    ),
)
@extend_schema(tags=["parts"])
class DealerQuoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DealerQuoteSerializer
    filter_backends = [FilterBackend]
    filterset_class = QuoteFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DealerQuote.objects.none()
        lines = DealerQuoteLine.objects.select_related("part").order_by("id")
        return (
            DealerQuote.objects.visible_to(self.request.user)
            .select_related("dealer")
            .prefetch_related(Prefetch("lines", queryset=lines))
        )

    def get_serializer_class(self):
        if self.action == "create":
            return QuoteAskSerializer
        if self.action == "decline":
            return DeclineSerializer
        return DealerQuoteSerializer

    def _fresh(self, pk):
        return DealerQuoteSerializer(self.get_queryset().get(pk=pk)).data

    def create(self, request, *args, **kwargs):
        data = QuoteAskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = user_org_unit(request.user)
        if unit is None or unit.kind != OrgKind.DEALER:
            raise PermissionDenied("只有代理商可以询价")
        quote = qsvc.quote_ask(
            dealer=unit,
            lines=data.line_pairs(),
            actor=request.user,
            note=data.validated_data.get("note", ""),
            channel=API,
        )
        return Response(self._fresh(quote.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="接受报价",
        description="代理商在有效期内接受报价；不在已报价状态（如待报价、已过期）返回 409。",
        request=None,
        responses={
            200: DealerQuoteSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        quote = self.get_object()
        qsvc.quote_accept(quote_id=quote.pk, actor=request.user, channel=API)
        return Response(self._fresh(quote.pk))

    @extend_schema(
        summary="谢绝报价",
        description="代理商谢绝（待报价或已报价的）报价单；其他状态返回 409。",
        request=DeclineSerializer,
        responses={
            200: DealerQuoteSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        quote = self.get_object()
        data = DeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        qsvc.quote_decline(
            quote_id=quote.pk,
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
            channel=API,
        )
        return Response(self._fresh(quote.pk))
