"""Partner API of repair orders (维修单) and their quotes (维修报价).

Partners follow their units through the repair — state, warranty, the working-day limit (paused
while a quote waits for them), the current quote, shipping back — and answer quotes. Everything
here is read-only except the quote answer, which goes to repairs.services.orders.quote_answer
with channel="api". Scope in get_queryset (RepairOrder.objects.visible_to): an order or quote
outside the caller's scope is 404; a caller who is not the shipper side is 403 (the service
decides); a quote not waiting for an answer is 409 with the allowed actions (DESIGN §3).

A list page costs a constant number of queries: orders with lot, application and technician
joined; quotes and their lines prefetched; the repair limits of the page and the answer times of
its quotes read in one query each."""

from __future__ import annotations

import json
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from service_ops.api.filters import FilterBackend
from service_ops.api.pagination import KeysetPagination
from service_ops.deadlines.models import OPEN_STATUSES, Deadline
from service_ops.rawsql import aware, columns, fetch_rows, placeholders
from service_ops.selectors import annotate_time_left, time_left
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import log_of
from service_ops.workcalendar import clock

from ...choices import QuoteState
from ...filtersets.orders import RepairOrderFilterSet
from ...models import Quote, QuoteLine, RepairOrder
from ...services import orders as ro
from .. import examples as ex
from ..serializers.orders import (
    LIMIT_COLUMNS,
    LINE_COLUMNS,
    ORDER_COLUMNS,
    QUOTE_COLUMNS,
    QuoteAnswerSerializer,
    QuoteSerializer,
    RepairOrderDetailSerializer,
    RepairOrderSerializer,
    current_quote,
    order_list_builder,
)

API = ActionChannel.API


# --- query helpers ------------------------------------------------------------------------------
def with_related(queryset):
    """What an order's representation reads: lot, application and technician joined; quotes
    (newest first) and their lines prefetched."""
    quotes = Quote.objects.prefetch_related("lines").order_by("-id")
    return queryset.select_related("lot__application", "technician").prefetch_related(
        Prefetch("quotes", queryset=quotes, to_attr="quotes_newest_first")
    )


def limit_timers(orders, now: datetime) -> dict[int, Deadline]:
    """The repair limit of each order (its newest, open or closed), with the time left of the open
    ones attached (frozen at the pause for a paused limit). One query."""
    ids = [order.pk for order in orders]
    if not ids:
        return {}
    limits = {deadline.owner_id: deadline for deadline in _limits_of(ids)}  # the newest wins
    with clock.pinned():
        for deadline in limits.values():
            if deadline.is_open:
                annotate_time_left(deadline, now)
    return limits


def answer_due_times(quotes) -> dict[int, datetime]:
    """When each sent quote must be answered (its open consent timer). One query, or none."""
    return _answer_due([quote.pk for quote in quotes if quote.state == QuoteState.SENT])


def _answer_due(ids: list[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    rows = Deadline.objects.filter(
        owner_type=ContentType.objects.get_for_model(Quote),
        owner_id__in=ids,
        kind=ro.QUOTE_CONSENT_KIND,
        status__in=OPEN_STATUSES,
    ).values_list("owner_id", "due_at")
    return dict(rows)


def limit_rows(ids: list[int], now: datetime) -> dict[int, dict]:
    """limit_timers as rows of LIMIT_COLUMNS: `left` and `provisional` set on the open ones. One
    hand-written statement (the ORM's build of it cost more CPU than its 50 rows)."""
    if not ids:
        return {}
    sql = f"""
        SELECT {columns("d", Deadline, LIMIT_COLUMNS)} FROM {Deadline._meta.db_table} d
        WHERE d.owner_type_id = %s AND d.kind = %s AND d.owner_id IN ({placeholders(ids)})
        ORDER BY d.owner_id, d.id
    """  # noqa: S608 - names from the models, values as parameters
    params = [ContentType.objects.get_for_model(RepairOrder).pk, ro.LIMIT_KIND, *ids]
    limits = {}
    for values in fetch_rows(sql, params):
        row = dict(zip(LIMIT_COLUMNS, values, strict=True))
        for name in _LIMIT_DATETIMES:
            row[name] = aware(row[name])
        for name in ("policy_snapshot", "texts"):
            if isinstance(row[name], str):
                row[name] = json.loads(row[name])
        limits[row["owner_id"]] = row  # the newest per order wins
    with clock.pinned():
        for row in limits.values():
            if row["status"] in OPEN_STATUSES:
                row["left"], row["provisional"] = time_left(
                    row["status"], row["paused_at"], row["due_at"], now
                )
    return limits


_LIMIT_DATETIMES = ("started_at", "due_at", "paused_at", "breached_at", "closed_at")


def _limits_of(ids: list[int]):
    """The repair limits of these orders, oldest first per order."""
    return Deadline.objects.filter(
        owner_type=ContentType.objects.get_for_model(RepairOrder),
        owner_id__in=ids,
        kind=ro.LIMIT_KIND,
    ).order_by("owner_id", "id")


def current_quotes(ids: list[int]) -> tuple[dict, dict, dict]:
    """(current quote row by order, line rows by quote, answer time by sent quote) of these
    orders: their quotes with lines joined (a quote without lines: one row of nulls) and a sent
    quote's open consent timer, newest quote first — an order's first is its current one. One
    hand-written statement."""
    if not ids:
        return {}, {}, {}
    timers = Deadline._meta.db_table
    sql = f"""
        SELECT {columns("q", Quote, QUOTE_COLUMNS)}, {columns("l", QuoteLine, LINE_COLUMNS)},
               CASE WHEN q.state = %s THEN (
                   SELECT MAX(t.due_at) FROM {timers} t
                   WHERE t.owner_type_id = %s AND t.owner_id = q.id AND t.kind = %s
                     AND t.status IN ({placeholders(OPEN_STATUSES)})) END
        FROM {Quote._meta.db_table} q LEFT JOIN {QuoteLine._meta.db_table} l ON l.quote_id = q.id
        WHERE q.order_id IN ({placeholders(ids)})
        ORDER BY q.id DESC, l.id
    """  # noqa: S608 - names from the models, values as parameters
    quote_type = ContentType.objects.get_for_model(Quote).pk
    params = [
        str(QuoteState.SENT),
        quote_type,
        ro.QUOTE_CONSENT_KIND,
        *map(str, OPEN_STATUSES),
        *ids,
    ]
    quotes: dict[int, dict] = {}
    lines: dict[int, list[dict]] = {}
    answer_due: dict[int, datetime] = {}
    width = len(QUOTE_COLUMNS)
    for values in fetch_rows(sql, params):
        row = dict(zip(QUOTE_COLUMNS, values, strict=False))
        quote = quotes.setdefault(row["order_id"], row)
        if quote["id"] != row["id"]:
            continue  # an older quote of the order
        if quote is row:  # the current quote's first row
            quote["sent_at"] = aware(quote["sent_at"])
            if values[-1] is not None:
                answer_due[quote["id"]] = aware(values[-1])
        line = dict(zip(LINE_COLUMNS, values[width:-1], strict=True))
        if line["quote_id"] is not None:
            lines.setdefault(line["quote_id"], []).append(line)
    return quotes, lines, answer_due


def order_rows(page: list[dict], now: datetime) -> list[dict]:
    """A list page of values() rows as RepairOrderSerializer represents them: the page's repair
    limits and its current quotes (with their lines and answer times) in one statement each."""
    if not page:
        return []
    ids = [row["id"] for row in page]
    quotes, lines, answer_due = current_quotes(ids)
    build = order_list_builder(
        limits=limit_rows(ids, now), quotes=quotes, lines=lines, answer_due=answer_due, now=now
    )
    return [build(row) for row in page]


# --- views --------------------------------------------------------------------------------------
def _error(description: str, example: dict) -> OpenApiResponse:
    return OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=description,
        examples=[OpenApiExample(description, value=example)],
    )


BAD_INPUT = _error("参数错误：按字段列出原因", ex.QUOTE_BAD_INPUT)
FORBIDDEN = _error("调用者不是发货方", {"detail": "您没有执行该操作的权限。"})
NOT_FOUND = _error("不存在或不在调用者的可见范围内", {"detail": "未找到，或不在您的可见范围内。"})
CONFLICT = _error("报价不在待确认状态；allowed_actions 为现在可执行的动作", ex.QUOTE_CONFLICT)


@extend_schema_view(
    list=extend_schema(
        summary="维修单列表",
        description=(
            "调用者可见的维修单（每台返厂机器一张）：代理商只见本代理商的，分公司见本分公司的，"
            "总部见全部。含维修时限（工作日，报价待确认时暂停）、当前报价与发回信息。"
            "游标分页（新的在前），每页最多 200 条。"
        ),
        examples=[ex.order_example("待客户确认报价（时限暂停）", ex.ORDER_WAITING_CONSENT)],
    ),
    retrieve=extend_schema(
        summary="维修单详情",
        description="维修单及其状态变更记录。不在调用者可见范围内的维修单返回 404。",
        responses={200: RepairOrderDetailSerializer, 404: NOT_FOUND},
        examples=[ex.order_example("维修中（报价已同意）", ex.ORDER_DETAIL_REPAIRING)],
    ),
)
@extend_schema(tags=["repair-orders"])
class RepairOrderViewSet(viewsets.GenericViewSet):
    serializer_class = RepairOrderSerializer
    filter_backends = [FilterBackend]  # the cursor fixes the order: no OrderingFilter
    filterset_class = RepairOrderFilterSet
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RepairOrder.objects.none()
        return with_related(RepairOrder.objects.visible_to(self.request.user))

    def get_serializer_class(self):
        return RepairOrderDetailSerializer if self.action == "retrieve" else RepairOrderSerializer

    def context_for(self, orders, **extra) -> dict:
        now = timezone.now()
        quotes = [q for q in map(current_quote, orders) if q is not None]
        return {
            **self.get_serializer_context(),
            "now": now,
            "limits": limit_timers(orders, now),
            "answer_due": answer_due_times(quotes),
            **extra,
        }

    def list(self, request):
        # values() rows, not instances: RepairOrderSerializer's JSON (order_rows), cheaper
        orders = self.filter_queryset(RepairOrder.objects.visible_to(request.user))
        page = self.paginate_queryset(orders.values(*ORDER_COLUMNS))
        return self.get_paginated_response(order_rows(page, timezone.now()))

    def retrieve(self, request, pk=None):
        order = self.get_object()
        context = self.context_for([order], history=list(log_of(order)))
        return Response(RepairOrderDetailSerializer(order, context=context).data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="报价详情",
        description=(
            "维修报价（保修外维修费、材料费、增补配件费、升级费、其他费用）。"
            "只能查看调用者可见维修单的报价，其他返回 404。"
        ),
        responses={200: QuoteSerializer, 404: NOT_FOUND},
        examples=[ex.quote_example("已发送待确认", ex.QUOTE_SENT)],
    ),
)
@extend_schema(tags=["quotes"])
class QuoteViewSet(viewsets.GenericViewSet):
    serializer_class = QuoteSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Quote.objects.none()
        return (
            Quote.objects.visible_to(self.request.user)
            .select_related("order")
            .prefetch_related("lines")
        )

    def get_serializer_class(self):
        return QuoteAnswerSerializer if self.action in ("consent", "decline") else QuoteSerializer

    def represent(self, quote: Quote) -> QuoteSerializer:
        context = {**self.get_serializer_context(), "answer_due": answer_due_times([quote])}
        return QuoteSerializer(quote, context=context)

    def retrieve(self, request, pk=None):
        return Response(self.represent(self.get_object()).data)

    def answer(self, request, *, consent: bool) -> Response:
        quote = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ro.quote_answer(
            quote_id=quote.pk,
            actor=request.user,
            consent=consent,
            note=serializer.validated_data.get("note", ""),
            channel=API,
        )
        return Response(self.represent(self.get_queryset().get(pk=quote.pk)).data)

    @extend_schema(
        summary="同意报价",
        description=(
            "发货方同意报价：维修单转入维修中，暂停的维修时限恢复计时"
            "（到期时间顺延暂停期间的工作日）。只有发货方（申请单位或维修单所属代理商）可以确认；"
            "报价不在待确认状态（如已答复、已超时）返回 409。"
        ),
        request=QuoteAnswerSerializer,
        responses={
            200: QuoteSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[ex.CONSENT_REQUEST, ex.quote_example("已同意", ex.QUOTE_CONSENTED)],
    )
    @action(detail=True, methods=["post"])
    def consent(self, request, pk=None):
        return self.answer(request, consent=True)

    @extend_schema(
        summary="不同意报价",
        description=(
            "发货方不同意报价：机器不作维修退回（维修单转入不修退回），维修时限恢复计时。"
            "报价不在待确认状态返回 409。"
        ),
        request=QuoteAnswerSerializer,
        responses={
            200: QuoteSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[ex.DECLINE_REQUEST],
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self.answer(request, consent=False)
