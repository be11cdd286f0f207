"""Partner API of field service (issue 20 item 9, the dealer and service point half):

- installed-units: the units the caller may see (a dealer: the ones it sold), read only;
- service-requests: a dealer POSTs a request (channel dealer, dispatched by the rules at once;
  Idempotency-Key like every partner POST) and GETs its own; a service point GETs the requests
  it took; another's is 404;
- service-offers: a service point lists the offers made to it, accepts (the visit is planned)
  or declines with a reason; 409 once answered, expired or withdrawn.

Writes go to repairs.services.field_requests with channel "api"; cursor pages."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from network.choices import OrgKind
from network.visibility import user_org_unit
from service_ops.api.pagination import KeysetPagination
from service_ops.transitions.models import ActionChannel

from ...choices import DispatchState, RequestChannel, ServiceCategory, ServiceRequestState
from ...models import Dispatch, InstalledUnit, ServiceRequest
from ...selectors import field_requests as sel
from ...services import field_requests as svc
from ..serializers.field_requests import (
    InstalledUnitSerializer,
    OfferAcceptSerializer,
    OfferDeclineSerializer,
    OfferSerializer,
    ServiceRequestInSerializer,
    ServiceRequestSerializer,
)

API = ActionChannel.API


def _error(description):
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


BAD_INPUT = _error("参数错误：按字段列出原因")
FORBIDDEN = _error("无权执行此操作")
NOT_FOUND = _error("不存在或不在调用者的可见范围内")
CONFLICT = _error("当前状态不允许此操作；allowed_actions 为现在可执行的动作")


class UnitFilterSet(django_filters.FilterSet):
    serial = django_filters.CharFilter(method="filter_serial", max_length=60, label="出厂编号")

    class Meta:
        model = InstalledUnit
        fields = ["serial"]

    def filter_serial(self, qs, name, value):
        value = value.strip().upper()
        return qs.filter(serial_number=value) if value else qs


class RequestFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ServiceRequestState.choices, label="状态")
    category = django_filters.ChoiceFilter(choices=ServiceCategory.choices, label="服务类别")

    class Meta:
        model = ServiceRequest
        fields = ["state", "category"]


class OfferFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=DispatchState.choices, label="状态")

    class Meta:
        model = Dispatch
        fields = ["state"]


@extend_schema_view(
    list=extend_schema(
        summary="装机档案列表", description="调用者可见的设备（代理商：其销售的）。"
    ),
    retrieve=extend_schema(
        summary="装机档案", responses={200: InstalledUnitSerializer, 404: NOT_FOUND}
    ),
)
@extend_schema(tags=["field"])
class InstalledUnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = InstalledUnitSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = UnitFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return InstalledUnit.objects.none()
        return InstalledUnit.objects.visible_to(self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="报修单列表",
        description="代理商：本单位提交的报修单；服务网点：本网点已接的报修单。按状态、类别筛选，游标分页。",
    ),
    retrieve=extend_schema(
        summary="报修单", responses={200: ServiceRequestSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="提交报修",
        description=(
            "代理商为客户报修（上门安装、维修、保养、巡检）：按派单规则立即派给覆盖该地址的网点。"
            "请带 Idempotency-Key，重试不会重复建单。"
        ),
        request=ServiceRequestInSerializer,
        responses={201: ServiceRequestSerializer, 400: BAD_INPUT, 403: FORBIDDEN},
    ),
)
@extend_schema(tags=["field"])
class ServiceRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ServiceRequestSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RequestFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceRequest.objects.none()
        return ServiceRequest.objects.visible_to(self.request.user).select_related("assigned_unit")

    def get_serializer_class(self):
        return ServiceRequestInSerializer if self.action == "create" else ServiceRequestSerializer

    def create(self, request, *args, **kwargs):
        data = ServiceRequestInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = user_org_unit(request.user)
        if unit is None or unit.kind != OrgKind.DEALER:
            raise PermissionDenied("只有代理商可以通过接口报修")
        v = dict(data.validated_data)
        found = None
        if v["serial_number"]:
            found = (
                InstalledUnit.objects.visible_to(request.user)
                .filter(serial_number=v["serial_number"].strip().upper())
                .first()
            )
        created = svc.request_file(
            channel=RequestChannel.DEALER,
            dealer=unit,
            unit=found,
            actor=request.user,
            **v,
        )
        body = ServiceRequestSerializer(self.get_queryset().get(pk=created.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="派单列表",
        description="派给调用者（服务网点）的派单，默认全部状态；state=offered 为待接单。",
    ),
    retrieve=extend_schema(summary="派单", responses={200: OfferSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["field"])
class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OfferSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OfferFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Dispatch.objects.none()
        return sel.offers(self.request.user).select_related("request__assigned_unit")

    def get_serializer_class(self):
        if self.action == "accept":
            return OfferAcceptSerializer
        if self.action == "decline":
            return OfferDeclineSerializer
        return OfferSerializer

    def _fresh(self, pk):
        return OfferSerializer(self.get_queryset().get(pk=pk)).data

    @extend_schema(
        summary="接单",
        description=(
            "在接单时限内接单：报修单分配给本网点，生成待上门的服务；已答复、超时或已改派返回 409。"
        ),
        request=OfferAcceptSerializer,
        responses={
            200: OfferSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        offer = self.get_object()
        data = OfferAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        engineer = None
        if data.validated_data.get("engineer"):
            engineer = (
                get_user_model()
                .objects.filter(
                    pk=data.validated_data["engineer"], profile__org_unit_id=offer.to_unit_id
                )
                .first()
            )
            if engineer is None:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"engineer": ["工程师须是本单位的人员"]})
        svc.offer_accept(offer_id=offer.pk, actor=request.user, engineer=engineer, channel=API)
        return Response(self._fresh(offer.pk))

    @extend_schema(
        summary="拒单",
        description="拒单并说明原因：报修单按规则改派下一个网点；已答复、超时或已改派返回 409。",
        request=OfferDeclineSerializer,
        responses={
            200: OfferSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        offer = self.get_object()
        data = OfferDeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        svc.offer_decline(
            offer_id=offer.pk, actor=request.user, reason=data.validated_data["reason"], channel=API
        )
        return Response(self._fresh(offer.pk))
