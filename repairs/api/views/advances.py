"""Read-only API of advances (借支) and expense claims (报销) for company staff (session auth):
the caller's own documents (and, for managers and finance, those they see on the pages), with
the current round's steps. Scope in get_queryset (Model.objects.visible_to): anything else 404."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from service_ops.api.pagination import KeysetPagination

from ...choices import AdvanceState, ClaimState
from ...models.advances import Advance, ExpenseClaim
from ..serializers.advances import AdvanceSerializer, ExpenseClaimSerializer

NOT_FOUND = OpenApiResponse(OpenApiTypes.OBJECT, description="不存在或不在调用者的可见范围内")


class AdvanceFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AdvanceState.choices, label="状态")
    mine = django_filters.BooleanFilter(method="_mine", label="只看我的")

    class Meta:
        model = Advance
        fields = ["state"]

    def _mine(self, qs, _name, value):
        return qs.filter(requester=self.request.user) if value else qs


class ClaimFilterSet(AdvanceFilterSet):
    state = django_filters.ChoiceFilter(choices=ClaimState.choices, label="状态")

    class Meta:
        model = ExpenseClaim
        fields = ["state"]


@extend_schema_view(
    list=extend_schema(summary="借支列表", description="调用者可见的借支；按状态筛选，游标分页。"),
    retrieve=extend_schema(summary="借支", responses={200: AdvanceSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["money"])
class AdvanceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AdvanceSerializer
    filterset_class = AdvanceFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Advance.objects.none()
        return (
            Advance.objects.visible_to(self.request.user)
            .select_related("requester")
            .prefetch_related("steps__org_unit")
        )


@extend_schema_view(
    list=extend_schema(
        summary="报销单列表", description="调用者可见的报销单；按状态筛选，游标分页。"
    ),
    retrieve=extend_schema(
        summary="报销单", responses={200: ExpenseClaimSerializer, 404: NOT_FOUND}
    ),
)
@extend_schema(tags=["money"])
class ExpenseClaimViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ExpenseClaimSerializer
    filterset_class = ClaimFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExpenseClaim.objects.none()
        return (
            ExpenseClaim.objects.visible_to(self.request.user)
            .select_related("requester", "advance")
            .prefetch_related("lines", "steps__org_unit")
        )
