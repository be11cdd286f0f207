"""Serializers of the partner API: the catalogue (never the cost) and availability. Read-only."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...choices import Availability, WarehouseKind
from ...models import Part, StockBalance


class PartSerializer(serializers.ModelSerializer):
    fits = serializers.SerializerMethodField(help_text="适用的产品型号")
    hq_availability = serializers.SerializerMethodField(
        help_text="总部配件仓的供货情况：in_stock 有货、low 库存紧张、out 缺货（不给出具体数量）"
    )
    picture = serializers.SerializerMethodField(help_text="图片地址；没有图片为 null")

    class Meta:
        model = Part
        fields = [
            "id",
            "number",
            "name_zh",
            "name_en",
            "unit",
            "list_price",
            "fits",
            "is_active",
            "hq_availability",
            "picture",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_fits(self, part) -> list[str]:
        return part.fits_list()

    @extend_schema_field(serializers.ChoiceField(choices=Availability.choices))
    def get_hq_availability(self, part) -> str:
        levels = self.context.get("hq_levels") or {}
        return levels.get(part.pk, Availability.OUT)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_picture(self, part) -> str | None:
        if not part.picture:
            return None
        from django.urls import reverse

        url = reverse("spareparts:part_picture", args=[part.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class WarehouseBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=WarehouseKind.choices)


class AvailabilitySerializer(serializers.ModelSerializer):
    """One part in one of the caller's own warehouses."""

    part_number = serializers.CharField(source="part.number")
    part_name = serializers.CharField(source="part.name_zh")
    warehouse = WarehouseBriefSerializer()
    available = serializers.IntegerField(help_text="可用 = 在库 − 已预留")
    level = serializers.ChoiceField(
        source="availability", choices=Availability.choices, help_text="按安全库存判断"
    )

    class Meta:
        model = StockBalance
        fields = [
            "id",
            "part",
            "part_number",
            "part_name",
            "warehouse",
            "on_hand",
            "reserved",
            "available",
            "level",
            "updated_at",
        ]
        read_only_fields = fields
