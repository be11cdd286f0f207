"""Serializers of the partner API's field service: installed units, service requests (a dealer
files them), offers (派单) a service point answers. States are read-only everywhere."""

from rest_framework import serializers

from service_ops.api.robust import StrictFieldsMixin

from ...choices import ServiceCategory
from ...models import Dispatch, InstalledUnit, ServiceRequest


class InstalledUnitSerializer(serializers.ModelSerializer):
    warranty_until = serializers.DateField(read_only=True, allow_null=True)
    in_warranty = serializers.SerializerMethodField()

    class Meta:
        model = InstalledUnit
        fields = [
            "id",
            "serial_number",
            "product_model",
            "purchase_date",
            "warranty_months",
            "warranty_until",
            "in_warranty",
            "dealer",
            "seller_name",
            "warranty_card_number",
            "province",
            "city",
            "district",
            "created_at",
        ]
        read_only_fields = fields

    def get_in_warranty(self, obj) -> bool | None:
        return obj.in_warranty()


class ServiceRequestSerializer(serializers.ModelSerializer):
    assigned_unit_name = serializers.CharField(
        source="assigned_unit.name", read_only=True, default=""
    )

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "number",
            "state",
            "category",
            "channel",
            "serial_number",
            "product_model",
            "contact_name",
            "contact_phone",
            "province",
            "city",
            "district",
            "address",
            "preferred_time",
            "description",
            "in_warranty",
            "dealer",
            "assigned_unit",
            "assigned_unit_name",
            "created_at",
            "solved_at",
            "closed_at",
        ]
        read_only_fields = fields


class ServiceRequestInSerializer(StrictFieldsMixin, serializers.Serializer):
    category = serializers.ChoiceField(choices=ServiceCategory.choices, help_text="服务类别")
    serial_number = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="出厂编号"
    )
    product_model = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="产品型号"
    )
    contact_name = serializers.CharField(max_length=60, help_text="联系人")
    contact_phone = serializers.RegexField(
        r"^[0-9+\-\s()]{7,20}$", max_length=40, help_text="联系电话"
    )
    province = serializers.CharField(max_length=20, help_text="省")
    city = serializers.CharField(max_length=30, help_text="市")
    district = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default="", help_text="区县"
    )
    address = serializers.CharField(max_length=200, help_text="详细地址")
    preferred_time = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="期望上门时间"
    )
    description = serializers.CharField(max_length=2000, help_text="故障描述")


class OfferSerializer(serializers.ModelSerializer):
    request = ServiceRequestSerializer(read_only=True)

    class Meta:
        model = Dispatch
        fields = [
            "id",
            "state",
            "to_unit",
            "to_engineer",
            "offered_at",
            "respond_by",
            "answered_at",
            "decline_reason",
            "request",
        ]
        read_only_fields = fields


class OfferAcceptSerializer(StrictFieldsMixin, serializers.Serializer):
    engineer = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="上门工程师（本单位人员 id，可空）",
    )


class OfferDeclineSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="拒单原因")
