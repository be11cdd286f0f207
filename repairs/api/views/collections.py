"""Partner API of collections (收款, issue 22 item 3).

A dealer (or a branch) reads its own receivables, its payments with their allocations and its
balance with the ageing; headquarters reads every partner's. Read-only: payments are recorded
by finance in the web desk. Scope in get_queryset: another partner's receivable or payment is a
404. Lists are keyset-paged (cursor on the id, newest first)."""

from __future__ import annotations

import django_filters
from django.db.models import Case, Count, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from service_ops.api.pagination import KeysetPagination

from ...choices import RECEIVABLE_OPEN_STATES, PaymentState, ReceivableSource, ReceivableState
from ...models.collections import Payment, Receivable
from ...selectors import collections as sel
from ..serializers.collections import BalanceSerializer, PaymentSerializer, ReceivableSerializer

NOT_FOUND = OpenApiResponse(OpenApiTypes.OBJECT, description="不存在或不在调用者的可见范围内")
BAD_INPUT = OpenApiResponse(OpenApiTypes.OBJECT, description="参数错误：按字段列出原因")


class ReceivableFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ReceivableState.choices, label="状态")
    source = django_filters.ChoiceFilter(choices=ReceivableSource.choices, label="来源")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="只看逾期（true）")

    class Meta:
        model = Receivable
        fields = ["state", "source", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(state__in=RECEIVABLE_OPEN_STATES, due_on__lt=timezone.localdate())


class PaymentFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=PaymentState.choices, label="状态")

    class Meta:
        model = Payment
        fields = ["state"]


@extend_schema_view(
    list=extend_schema(
        summary="应收款列表",
        description=(
            "调用者自己的应收款（月结对账单、挂账的配件销售）：金额、已收、余额、到期日、状态；"
            "按状态、来源、是否逾期筛选，游标分页（新的在前）。"
        ),
        responses={200: ReceivableSerializer(many=True), 400: BAD_INPUT},
    ),
    retrieve=extend_schema(summary="应收款", responses={200: ReceivableSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["collections"])
class ReceivableViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReceivableSerializer
    filterset_class = ReceivableFilterSet
    pagination_class = KeysetPagination
    ordering_fields: list[str] = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Receivable.objects.none()
        return Receivable.objects.visible_to(self.request.user).select_related(
            "partner", "branch", "statement", "parts_quote"
        )

    @extend_schema(
        summary="往来余额与账龄",
        description="调用者可见的未收应收款合计：余额、其中逾期金额，按逾期天数分段的账龄。",
        responses={200: BalanceSerializer},
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def balance(self, request):
        today = timezone.localdate()
        qs = Receivable.objects.visible_to(request.user).filter(state__in=RECEIVABLE_OPEN_STATES)
        sums = {
            b.value: Coalesce(
                Sum(Case(When(sel._bucket_q(b, today), then=sel.BALANCE), default=Value(sel.ZERO))),
                Value(sel.ZERO),
                output_field=sel.MONEY,
            )
            for b in sel.BUCKETS
        }
        row = qs.aggregate(n=Count("pk"), **sums)
        ageing = {b.value: row[b.value] for b in sel.BUCKETS}
        total = sum(ageing.values(), sel.ZERO)
        data = {
            "as_of": today,
            "currency": "CNY",
            "open_receivables": row["n"],
            "balance": total,
            "overdue": total - ageing["current"],
            "ageing": ageing,
        }
        return Response(BalanceSerializer(data).data)


@extend_schema_view(
    list=extend_schema(
        summary="付款记录",
        description="调用者的付款（财务登记的收款，含划账）及其分配到的应收款；游标分页。",
        responses={200: PaymentSerializer(many=True), 400: BAD_INPUT},
    ),
    retrieve=extend_schema(summary="付款记录", responses={200: PaymentSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["collections"])
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    pagination_class = KeysetPagination
    ordering_fields: list[str] = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return (
            Payment.objects.visible_to(self.request.user)
            .select_related("partner")
            .prefetch_related("allocations__receivable")
        )
