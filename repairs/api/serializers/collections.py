"""Serializers of the partner API's collections (收款): a partner's receivables, its payments
with their allocations, and its balance with the ageing. Every field is read-only: balances
change only through repairs.services.collections."""

from rest_framework import serializers

from service_ops.api.compiled import DisplayField

from ...models.collections import Payment, PaymentAllocation, Receivable


class ReceivableSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code", read_only=True, help_text="往来单位编码")
    branch = serializers.CharField(source="branch.code", read_only=True, help_text="所属分公司编码")
    balance = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="余额（应收 − 已收 − 核销）"
    )
    parts_quote = serializers.CharField(
        source="parts_quote.number",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="配件报价单号（配件销售）",
    )
    statement_month = serializers.SerializerMethodField(help_text="月结对账单月份（YYYY-MM）")
    state_display = DisplayField(source="state")
    description = serializers.CharField(source="title", read_only=True, help_text="摘要")

    class Meta:
        model = Receivable
        fields = [
            "id",
            "number",
            "partner",
            "branch",
            "source",
            "statement_month",
            "parts_quote",
            "description",
            "amount",
            "paid_amount",
            "written_off_amount",
            "balance",
            "issued_on",
            "due_on",
            "state",
            "state_display",
        ]
        read_only_fields = fields

    def get_statement_month(self, obj) -> str | None:
        return f"{obj.statement.month:%Y-%m}" if obj.statement_id else None


class AllocationSerializer(serializers.ModelSerializer):
    receivable = serializers.CharField(
        source="receivable.number", read_only=True, help_text="发票号"
    )

    class Meta:
        model = PaymentAllocation
        fields = ["receivable", "amount"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code", read_only=True, help_text="往来单位编码")
    allocations = AllocationSerializer(many=True, read_only=True)
    method_display = DisplayField(source="method")
    state_display = DisplayField(source="state")

    class Meta:
        model = Payment
        fields = [
            "id",
            "number",
            "partner",
            "method",
            "method_display",
            "amount",
            "received_on",
            "reference",
            "state",
            "state_display",
            "reversed_on",
            "allocations",
        ]
        read_only_fields = fields


class AgeingSerializer(serializers.Serializer):
    current = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="未到期")
    d1_30 = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="逾期 1–30 天")
    d31_60 = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="逾期 31–60 天")
    d61_90 = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="逾期 61–90 天")
    over_90 = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="逾期 90 天以上")


class BalanceSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="统计日期")
    currency = serializers.CharField(default="CNY")
    open_receivables = serializers.IntegerField(help_text="未收清的应收款张数")
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="未付余额")
    overdue = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="其中已逾期")
    ageing = AgeingSerializer()
