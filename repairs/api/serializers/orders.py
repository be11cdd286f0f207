"""Serializers of the repair-order API (维修单, 维修报价): read-only representations and the quote
answer, which only validates (the view hands it to repairs.services.orders.quote_answer)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from service_ops.api.compiled import CompiledListSerializer, DisplayField, nested
from service_ops.api.robust import StrictFieldsMixin
from service_ops.api.rows import RowPlan, datetime_text
from service_ops.deadlines.models import OPEN_STATUSES, BallHolder, Deadline, DeadlineStatus
from service_ops.i18n import render, render_list
from service_ops.transitions.models import ActionChannel

from ...choices import OrderState, QuoteLineKind, QuoteState, ServiceType
from ...models import Quote, QuoteLine, RepairLot, RepairOrder, ReturnApplication


# --- reads: pieces ------------------------------------------------------------------------------
def _number(value: Decimal | str | None) -> int | float | None:
    """A policy amount as a JSON number: 3, not "3.00" (fractions stay fractions)."""
    if value is None:
        return None
    amount = Decimal(value)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


class RepairLimitSerializer(serializers.Serializer):
    """The repair time limit (维修时限) of one unit, in working days from receipt, shipping time
    excluded. While a quote waits for the shipper's answer the limit is paused: `time_left` and
    `working_days_left` stay frozen at the pause, and `due_at` moves on by the working days the
    pause covered when it resumes."""

    policy = serializers.CharField(
        source="policy_snapshot.code", read_only=True, help_text=_("时限策略代码（按批次台数）")
    )
    limit_working_days = serializers.SerializerMethodField(
        help_text=_("时限（工作日），按批次台数：1 台 3 天，2–3 台 7 天，4 台及以上 15 天")
    )
    extension_working_days = serializers.SerializerMethodField(
        help_text=_("特殊情况延长的工作日（总时限不超过 15 个工作日）")
    )
    started_at = serializers.DateTimeField(read_only=True, help_text=_("开始计时（收货时间）"))
    due_at = serializers.DateTimeField(
        read_only=True, help_text=_("到期时间：第 N 个工作日的下班时间（Asia/Shanghai）")
    )
    due_at_provisional = serializers.SerializerMethodField(
        help_text=_("到期时间所在年份的放假调休安排尚未公布（暂定），公布后可能调整")
    )
    status = serializers.ChoiceField(choices=DeadlineStatus.choices, read_only=True)
    status_display = DisplayField(source="status", choices=DeadlineStatus.choices)
    overdue = serializers.SerializerMethodField(help_text=_("进行中的时限已过到期时间"))
    paused = serializers.SerializerMethodField(help_text=_("暂停中（等待客户等外部一方）"))
    paused_at = serializers.DateTimeField(read_only=True, allow_null=True)
    pause_reason = serializers.CharField(source="pause_reason_text", read_only=True)
    ball_holder = serializers.ChoiceField(
        choices=BallHolder.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("暂停时等待的一方；未暂停时为空"),
    )
    ball_holder_display = DisplayField(source="ball_holder", choices=BallHolder.choices)
    paused_seconds = serializers.SerializerMethodField(
        help_text=_("累计暂停秒数（含正在进行的暂停）")
    )
    time_left = serializers.SerializerMethodField(
        help_text=_("剩余时间（文字），如“剩余 3 个工作日”“超期 1 个工作日”；时限结束后为 null")
    )
    working_days_left = serializers.SerializerMethodField(
        help_text=_("剩余工作日；超期时为负数（超期的工作日数）；时限结束后为 null")
    )
    breached_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_due_at_provisional(self, deadline) -> bool:
        # set with the time left (annotate_time_left) for open limits; a closed one is final
        return bool(getattr(deadline, "provisional", False))

    @extend_schema_field(OpenApiTypes.NUMBER)
    def get_limit_working_days(self, deadline):
        return _number(deadline.policy_snapshot.get("limit"))

    @extend_schema_field(OpenApiTypes.NUMBER)
    def get_extension_working_days(self, deadline):
        return _number(deadline.extension)

    @staticmethod
    def _left(deadline):
        return getattr(deadline, "left", None) if deadline.status in OPEN_STATUSES else None

    def get_overdue(self, deadline) -> bool:
        left = self._left(deadline)
        return bool(left and left.overdue)

    def get_paused(self, deadline) -> bool:
        return deadline.status == DeadlineStatus.PAUSED

    def get_paused_seconds(self, deadline) -> int:
        ongoing = 0
        if deadline.status == DeadlineStatus.PAUSED and deadline.paused_at:
            now = self.context.get("now") or timezone.now()
            ongoing = max(0, int((now - deadline.paused_at).total_seconds()))
        return deadline.paused_seconds + ongoing

    def get_time_left(self, deadline) -> str | None:
        left = self._left(deadline)
        return None if left is None else str(left)

    def get_working_days_left(self, deadline) -> int | None:
        left = self._left(deadline)
        if left is None:
            return None
        return -left.working_days if left.overdue else left.working_days


class QuoteLineSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=QuoteLineKind.choices, read_only=True)
    kind_display = DisplayField(source="kind")

    class Meta:
        model = QuoteLine
        fields = ["kind", "kind_display", "description", "amount"]
        read_only_fields = fields


class QuoteSummarySerializer(serializers.ModelSerializer):
    """The order's current (newest) quote."""

    state = serializers.ChoiceField(choices=QuoteState.choices, read_only=True)
    state_display = DisplayField(source="state")
    answer_due_at = serializers.SerializerMethodField(
        help_text=_("已发送待确认的报价须在此时间前答复（2 个工作日），否则不修退回")
    )
    lines = QuoteLineSerializer(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = ["id", "state", "state_display", "total", "sent_at", "answer_due_at", "lines"]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_answer_due_at(self, quote) -> str | None:
        due = self.context.get("answer_due", {}).get(quote.pk)
        return None if due is None else serializers.DateTimeField().to_representation(due)


class OrderApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReturnApplication
        fields = ["id", "number"]
        read_only_fields = fields


class RepairLotBriefSerializer(serializers.ModelSerializer):
    """The lot (the units of one receipt): its size sets each unit's limit."""

    class Meta:
        model = RepairLot
        fields = ["id", "number", "size", "received_at"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = RepairOrder
        fields = ["carrier", "tracking_number", "shipped_on", "shipped_at"]
        read_only_fields = fields


class OrderTransitionSerializer(serializers.Serializer):
    """One entry of the order's transition log."""

    transition = serializers.CharField(read_only=True)
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)
    actor = serializers.CharField(source="actor.get_username", read_only=True, allow_null=True)
    channel = serializers.ChoiceField(choices=ActionChannel.choices, read_only=True)
    comment = serializers.CharField(source="comment_text", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


# --- reads: the order ---------------------------------------------------------------------------
class RepairOrderSerializer(serializers.ModelSerializer):
    """One returned unit's repair, as the shipper follows it (list and detail alike)."""

    application = OrderApplicationSerializer(source="lot.application", read_only=True)
    lot = RepairLotBriefSerializer(read_only=True)
    state = serializers.ChoiceField(choices=OrderState.choices, read_only=True)
    state_display = DisplayField(source="state")
    service_type = serializers.ChoiceField(
        choices=ServiceType.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("服务类型；技术员判定前为空"),
    )
    service_type_display = DisplayField(source="service_type")
    in_warranty = serializers.BooleanField(
        read_only=True, allow_null=True, help_text=_("保修期内免费；未判定时为 null")
    )
    warranty_reasons = serializers.ListField(
        child=serializers.CharField(),
        source="warranty_reason_texts",
        read_only=True,
        help_text=_("保修判定理由"),
    )
    technician_name = serializers.SerializerMethodField(help_text=_("领机的技术员"))
    limit = serializers.SerializerMethodField(help_text=_("维修时限；收货前没有"))
    quote = serializers.SerializerMethodField(help_text=_("当前（最新）报价；没有报价时为 null"))
    shipment = serializers.SerializerMethodField(help_text=_("发回信息；发货前为 null"))

    class Meta:
        model = RepairOrder
        list_serializer_class = CompiledListSerializer
        fields = [
            "id",
            "number",
            "application",
            "lot",
            "product_model",
            "serial_number",
            "purchase_date",
            "fault_description",
            "state",
            "state_display",
            "urgency",
            "service_type",
            "service_type_display",
            "in_warranty",
            "warranty_reasons",
            "repair_count",
            "qc_failures",
            "technician_name",
            "picked_up_at",
            "waiting_parts_reason",
            "waiting_parts_until",
            "burn_in_started_at",
            "burn_in_ended_at",
            "packing_list",
            "parcels",
            "packed_at",
            "limit",
            "quote",
            "shipment",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_technician_name(self, order) -> str | None:
        person = order.technician
        return None if person is None else (person.get_full_name() or person.get_username())

    @extend_schema_field(RepairLimitSerializer(allow_null=True))
    def get_limit(self, order):
        deadline = self.context.get("limits", {}).get(order.pk)
        if deadline is None:
            return None
        return nested(self, RepairLimitSerializer)(deadline)

    @extend_schema_field(QuoteSummarySerializer(allow_null=True))
    def get_quote(self, order):
        quote = current_quote(order)
        return None if quote is None else nested(self, QuoteSummarySerializer)(quote)

    @extend_schema_field(ShipmentSerializer(allow_null=True))
    def get_shipment(self, order):
        return nested(self, ShipmentSerializer)(order) if order.shipped_on else None


class RepairOrderDetailSerializer(RepairOrderSerializer):
    """The order with its transition log (who did what, when, through which channel)."""

    history = serializers.SerializerMethodField(help_text=_("状态变更记录，按时间先后"))

    class Meta(RepairOrderSerializer.Meta):
        fields = [*RepairOrderSerializer.Meta.fields, "history"]
        read_only_fields = fields

    @extend_schema_field(OrderTransitionSerializer(many=True))
    def get_history(self, order):
        entries = self.context.get("history", [])
        return OrderTransitionSerializer(entries, many=True).data


# --- reads: the quote ---------------------------------------------------------------------------
class QuoteOrderSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=OrderState.choices, read_only=True)
    state_display = DisplayField(source="state")

    class Meta:
        model = RepairOrder
        fields = ["id", "number", "product_model", "serial_number", "state", "state_display"]
        read_only_fields = fields


class QuoteSerializer(QuoteSummarySerializer):
    """A quote (out-of-warranty labour, materials, added parts, upgrade, other) sent to the
    shipper, who consents or declines within 2 working days."""

    order = QuoteOrderSerializer(read_only=True)

    class Meta(QuoteSummarySerializer.Meta):
        fields = [
            "id",
            "order",
            "state",
            "state_display",
            "total",
            "lines",
            "raised_at",
            "sent_at",
            "answer_due_at",
            "answered_at",
            "answer_note",
        ]
        read_only_fields = fields


class QuoteAnswerSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text=_("说明（可选，最多 200 字）")
    )


# --- reads: the list from values() rows ----------------------------------------------------------
# The list answers what RepairOrderSerializer answers (tests/core/test_compiled_serializers.py
# compares them byte for byte) from values() rows: no model instance, no DRF field per value.
ORDER_ROWS = RowPlan(
    RepairOrderSerializer,
    computed=("warranty_reasons", "technician_name", "limit", "quote", "shipment"),
)
SHIPMENT_ROWS = RowPlan(ShipmentSerializer)
ORDER_COLUMNS = [
    *ORDER_ROWS.columns,
    *SHIPMENT_ROWS.columns,
    "warranty_reasons",
    "technician",
    "technician__first_name",
    "technician__last_name",
    "technician__username",
]
LIMIT_ROWS = RowPlan(
    RepairLimitSerializer,
    model=Deadline,
    computed=(
        "policy",  # a key of the JSON snapshot
        "limit_working_days",
        "extension_working_days",
        "due_at_provisional",
        "overdue",
        "paused",
        "pause_reason",  # rendered in the reader's language
        "paused_seconds",
        "time_left",
        "working_days_left",
    ),
)
LIMIT_COLUMNS = [
    "owner_id",
    *LIMIT_ROWS.columns,
    "policy_snapshot",
    "extension",
    "pause_reason",
    "texts",
    "paused_seconds",
]
QUOTE_ROWS = RowPlan(QuoteSummarySerializer, computed=("answer_due_at", "lines"))
QUOTE_COLUMNS = ["order_id", *QUOTE_ROWS.columns]
LINE_ROWS = RowPlan(QuoteLineSerializer)
LINE_COLUMNS = ["quote_id", *LINE_ROWS.columns]


def order_list_builder(*, limits: dict, quotes: dict, lines: dict, answer_due: dict, now):
    """The row → item function of one page. `limits`: the order's repair-limit row (with `left`
    and `provisional` for an open one, see limit_rows); `quotes`: its current quote row;
    `lines`: each quote's line rows; `answer_due`: a sent quote's answer time."""
    text = datetime_text()
    line = LINE_ROWS.builder()
    quote = QUOTE_ROWS.builder(
        answer_due_at=lambda q: text(answer_due.get(q["id"])),
        lines=lambda q: [line(row) for row in lines.get(q["id"], ())],
    )
    limit = LIMIT_ROWS.builder(**_limit_fields(now))
    shipment = SHIPMENT_ROWS.builder()

    def technician_name(row):
        if row["technician"] is None:
            return None
        full = f"{row['technician__first_name']} {row['technician__last_name']}".strip()
        return full or row["technician__username"]

    def current(row):
        found = quotes.get(row["id"])
        return None if found is None else quote(found)

    def limit_of(row):
        found = limits.get(row["id"])
        return None if found is None else limit(found)

    return ORDER_ROWS.builder(
        warranty_reasons=lambda row: render_list(row["warranty_reasons"]),
        technician_name=technician_name,
        limit=limit_of,
        quote=current,
        shipment=lambda row: shipment(row) if row["shipped_on"] else None,
    )


def _limit_fields(now) -> dict:
    """RepairLimitSerializer's computed fields over a Deadline values() row."""

    def left(d):
        return d.get("left") if d["status"] in OPEN_STATUSES else None

    def overdue(d):
        found = left(d)
        return bool(found and found.overdue)

    def paused_seconds(d):
        ongoing = 0
        if d["status"] == DeadlineStatus.PAUSED and d["paused_at"]:
            ongoing = max(0, int((now - d["paused_at"]).total_seconds()))
        return d["paused_seconds"] + ongoing

    def time_left(d):
        found = left(d)
        return None if found is None else str(found)

    def working_days_left(d):
        found = left(d)
        if found is None:
            return None
        return -found.working_days if found.overdue else found.working_days

    def policy(d):
        code = d["policy_snapshot"].get("code")
        return None if code is None else str(code)

    return {
        "policy": policy,
        "limit_working_days": lambda d: _number(d["policy_snapshot"].get("limit")),
        "extension_working_days": lambda d: _number(d["extension"]),
        "due_at_provisional": lambda d: bool(d.get("provisional", False)),
        "overdue": overdue,
        "paused": lambda d: d["status"] == DeadlineStatus.PAUSED,
        "pause_reason": lambda d: render(d["pause_reason"], (d["texts"] or {}).get("pause_reason")),
        "paused_seconds": paused_seconds,
        "time_left": time_left,
        "working_days_left": working_days_left,
    }


def current_quote(order: RepairOrder) -> Quote | None:
    quotes = getattr(order, "quotes_newest_first", None)
    if quotes is None:
        return order.quotes.prefetch_related("lines").order_by("-id").first()
    return quotes[0] if quotes else None
