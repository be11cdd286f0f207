"""Partner API: the faulty parts the caller's unit owes back (旧件返还), read-only, cursor pages
(the caller's own unit's records only: a service point never sees another's)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics

from service_ops.api.filters import FilterBackend
from service_ops.api.pagination import KeysetPagination

from ...choices import FaultyState
from ...models import FaultyPartReturn
from ..serializers.faulty import FaultyReturnSerializer


class FaultyFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=FaultyState.choices, label="状态")

    class Meta:
        model = FaultyPartReturn
        fields = ["state"]


@extend_schema(tags=["parts"])
class FaultyReturnListView(generics.ListAPIView):
    serializer_class = FaultyReturnSerializer
    filter_backends = [FilterBackend]
    filterset_class = FaultyFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FaultyPartReturn.objects.none()
        return FaultyPartReturn.objects.visible_to(self.request.user).select_related(
            "part", "owed_by_unit"
        )

    @extend_schema(
        operation_id="parts_faulty_returns",
        summary="待返还旧件",
        description=(
            "调用者本单位保修更换下来、须返还总部旧件仓的旧件：旧件和新件序列号、应返还日期、"
            "状态（owed 待返还、received 已返还、written_off 已核销）。按状态（state）筛选；"
            "游标分页，新的在前。"
        ),
        examples=[
            OpenApiExample(
                "旧件（一页）",
                response_only=True,
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 41,
                            "part": 12,
                            "part_number": "GPS-MB-01",
                            "part_name": "GPS 主板",
                            "faulty_serial": "MB2305-0117",
                            "new_serial": "MB2410-0342",
                            "owed_by_unit": "S-GZ-01",
                            "due_on": "2026-12-28",
                            "state": "owed",
                            "source_label": "",
                            "created_at": "2026-12-07T10:15:00+08:00",
                            "closed_at": None,
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
