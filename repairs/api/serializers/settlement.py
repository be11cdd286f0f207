"""Serializers of the partner API's settlement (网点结算): a service point's statements and their
lines, and its answer to a line. Every field is read-only: states change through the services."""

from rest_framework import serializers

from ...models.settlement import SettlementLine, SettlementStatement


class SettlementStatementSerializer(serializers.ModelSerializer):
    point = serializers.CharField(source="point.code", read_only=True, help_text="网点编码")
    month = serializers.DateField(format="%Y-%m", read_only=True, help_text="月份（YYYY-MM）")

    class Meta:
        model = SettlementStatement
        fields = [
            "id",
            "number",
            "point",
            "month",
            "state",
            "visits_total",
            "rewards_total",
            "penalties_total",
            "total",
            "issued_at",
            "confirmed_at",
            "approved_at",
            "exported_at",
        ]
        read_only_fields = fields


class SettlementLineSerializer(serializers.ModelSerializer):
    statement = serializers.IntegerField(source="statement_id", read_only=True)
    request_number = serializers.SerializerMethodField(help_text="报修单号（上门服务费明细）")
    visit_sequence = serializers.SerializerMethodField(help_text="第几次上门（上门服务费明细）")

    class Meta:
        model = SettlementLine
        fields = [
            "id",
            "statement",
            "kind",
            "state",
            "description",
            "request_number",
            "visit_sequence",
            "fee_date",
            "category",
            "distance_km",
            "product_model",
            "in_warranty",
            "amount",
            "original_amount",
            "reason",
            "dispute_reason",
            "answered_at",
            "resolution",
            "resolved_at",
        ]
        read_only_fields = fields

    def get_request_number(self, line) -> str | None:
        return line.visit.request.number if line.visit_id else None

    def get_visit_sequence(self, line) -> int | None:
        return line.visit.sequence if line.visit_id else None


class DisputeInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="异议原因（必填）")

    def validate_reason(self, value):
        if not value.strip():
            raise serializers.ValidationError("请填写异议原因")
        return value.strip()
