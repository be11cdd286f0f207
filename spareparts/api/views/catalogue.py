"""Partner API of the parts (issue 19 item 7, first half): the catalogue and availability.

- GET parts, GET parts/{id}: the catalogue (partners: the active parts only), filtered by number
  (its beginning), fitted model or a word of the name; never the cost. Each part carries the
  headquarters warehouse's availability as a level (in_stock / low / out), never its figures.
- GET parts/availability: the caller's own warehouses' balances (a dealer's or service point's
  warehouse; staff: the warehouses they see) with exact figures.

Read-only; cursor pages of constant cost (a page: its rows, the fitted models, the headquarters
levels — three queries whatever its size)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, viewsets
from rest_framework.response import Response

from network.visibility import user_org_unit
from service_ops.api.filters import FilterBackend
from service_ops.api.pagination import KeysetPagination

from ...filtersets import AvailabilityFilterSet, PartFilterSet
from ...models import Part, PartFit, StockBalance
from ...selectors.catalogue import hq_levels
from ..serializers.catalogue import AvailabilitySerializer, PartSerializer

NOT_FOUND = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="不存在或不在调用者的可见范围内",
    examples=[OpenApiExample("未找到", value={"detail": "未找到，或不在您的可见范围内。"})],
)
PART_EXAMPLE = {
    "id": 12,
    "number": "GPS-MB-01",
    "name_zh": "GPS 主板",
    "name_en": "GPS main board",
    "unit": "块",
    "list_price": "380.00",
    "fits": ["GPS-X1", "GPS-X2"],
    "is_active": True,
    "hq_availability": "in_stock",
    "picture": None,
}


def _partner(user) -> bool:
    unit = user_org_unit(user)
    return unit is not None and unit.is_partner


@extend_schema_view(
    list=extend_schema(
        summary="配件目录",
        description=(
            "配件目录，新的在前，游标分页。按编号开头（number）、适用型号（model）或名称（q）筛选。"
            "代理商和网点只见启用的配件；不含成本价。hq_availability 为总部配件仓的供货情况"
            "（有货 / 库存紧张 / 缺货），不给出具体数量。"
        ),
        examples=[
            OpenApiExample(
                "目录（一页）",
                response_only=True,
                value={"next": None, "previous": None, "results": [PART_EXAMPLE]},
            )
        ],
    ),
    retrieve=extend_schema(
        summary="配件详情",
        description="一个配件；停用的配件对代理商和网点返回 404。",
        responses={200: PartSerializer, 404: NOT_FOUND},
        examples=[OpenApiExample("配件", response_only=True, value=PART_EXAMPLE)],
    ),
)
@extend_schema(tags=["parts"])
class PartViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PartSerializer
    filter_backends = [FilterBackend]
    filterset_class = PartFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Part.objects.none()
        qs = Part.objects.prefetch_related(
            Prefetch("fits", queryset=PartFit.objects.order_by("product_model"))
        )
        if _partner(self.request.user):
            qs = qs.filter(is_active=True)
        return qs

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        context = {**self.get_serializer_context(), "hq_levels": hq_levels(p.pk for p in page)}
        return self.get_paginated_response(PartSerializer(page, many=True, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        part = self.get_object()
        context = {**self.get_serializer_context(), "hq_levels": hq_levels([part.pk])}
        return Response(PartSerializer(part, context=context).data)


@extend_schema(tags=["parts"])
class AvailabilityView(generics.ListAPIView):
    serializer_class = AvailabilitySerializer
    filter_backends = [FilterBackend]
    filterset_class = AvailabilityFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StockBalance.objects.none()
        return (
            StockBalance.objects.visible_to(self.request.user)
            .filter(warehouse__is_active=True)
            .select_related("part", "warehouse")
        )

    @extend_schema(
        operation_id="parts_availability",
        summary="本单位配件库存",
        description=(
            "调用者自己仓库的配件库存（代理商、网点：本单位的仓库；员工：可见范围内的仓库）："
            "在库、已预留、可用（在库 − 已预留）与按安全库存判断的等级。按配件编号开头（number）"
            "或仓库 id（warehouse）筛选；游标分页。"
            "总部配件仓的供货情况见配件目录的 hq_availability。"
        ),
        examples=[
            OpenApiExample(
                "库存（一页）",
                response_only=True,
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 301,
                            "part": 12,
                            "part_number": "GPS-MB-01",
                            "part_name": "GPS 主板",
                            "warehouse": {
                                "id": 7,
                                "code": "W-S-GZ-01",
                                "name": "广州白云特约维修站配件仓",
                                "kind": "service_point",
                            },
                            "on_hand": 5,
                            "reserved": 1,
                            "available": 4,
                            "level": "in_stock",
                            "updated_at": "2026-12-07T10:15:00+08:00",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
