"""Serializers of the partner API's part requests (配件申请) and dealer quotes (配件报价)."""

from rest_framework import serializers

from ...models import DealerQuote, DealerQuoteLine, Part, PartRequest, PartRequestLine, Warehouse


class LineInSerializer(serializers.Serializer):
    part = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Part.objects.filter(is_active=True),
        help_text="配件编号",
    )
    quantity = serializers.IntegerField(min_value=1, max_value=9999, help_text="数量")


class _LinesIn(serializers.Serializer):
    lines = LineInSerializer(many=True, help_text="明细：配件编号和数量，至少一行，最多 50 行")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_lines(self, value):
        if not value:
            raise serializers.ValidationError("请至少填写一种配件")
        if len(value) > 50:
            raise serializers.ValidationError("一张单据最多 50 种配件")
        return value

    def line_pairs(self):
        return [(line["part"], line["quantity"]) for line in self.validated_data["lines"]]


class PartRequestInSerializer(_LinesIn):
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.filter(is_active=True), help_text="申请仓库（调用者本单位的）"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["warehouse"].queryset = Warehouse.objects.visible_to(request.user).filter(
                is_active=True
            )


class QuoteAskSerializer(_LinesIn):
    pass


class PartRequestLineSerializer(serializers.ModelSerializer):
    part_number = serializers.CharField(source="part.number", read_only=True)

    class Meta:
        model = PartRequestLine
        fields = ["part", "part_number", "quantity", "approved_quantity"]


class PartRequestSerializer(serializers.ModelSerializer):
    lines = PartRequestLineSerializer(many=True, read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)

    class Meta:
        model = PartRequest
        fields = [
            "id",
            "number",
            "warehouse",
            "warehouse_code",
            "state",
            "note",
            "reject_reason",
            "created_at",
            "decided_at",
            "shipped_at",
            "received_at",
            "lines",
        ]


class DealerQuoteLineSerializer(serializers.ModelSerializer):
    part_number = serializers.CharField(source="part.number", read_only=True)

    class Meta:
        model = DealerQuoteLine
        fields = ["part", "part_number", "quantity", "list_price", "unit_price", "amount"]


class DealerQuoteSerializer(serializers.ModelSerializer):
    lines = DealerQuoteLineSerializer(many=True, read_only=True)
    dealer = serializers.CharField(source="dealer.code", read_only=True)

    class Meta:
        model = DealerQuote
        fields = [
            "id",
            "number",
            "dealer",
            "state",
            "note",
            "discount_percent",
            "total",
            "created_at",
            "quoted_at",
            "valid_until",
            "accepted_at",
            "shipped_at",
            "lines",
        ]


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
