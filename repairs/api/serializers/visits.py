"""Serializers of the visit API (上门服务) for service points' own systems: the visit as read, and
the inputs of each step on site, which only shape what was sent (repairs.services.visits
decides and answers 400 by field, 409 when the visit's state does not allow the step)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from service_ops.api.compiled import CompiledListSerializer, DisplayField
from service_ops.api.robust import StrictFieldsMixin

from ...choices import (
    CallbackVerdict,
    PhotoKind,
    ServiceCategory,
    ServiceRequestState,
    VisitState,
)
from ...models import ServiceRequest, Visit, VisitPart, VisitPhoto
from ...services import visits as vs


class VisitRequestSerializer(serializers.ModelSerializer):
    """The service request the visit is for (报修单), as the visit needs it."""

    state = serializers.ChoiceField(choices=ServiceRequestState.choices, read_only=True)
    state_display = DisplayField(source="state")
    category = serializers.ChoiceField(choices=ServiceCategory.choices, read_only=True)
    category_display = DisplayField(source="category")
    in_warranty = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "number",
            "state",
            "state_display",
            "category",
            "category_display",
            "contact_name",
            "contact_phone",
            "province",
            "city",
            "district",
            "address",
            "product_model",
            "serial_number",
            "description",
            "in_warranty",
            "fault_confirmed",
        ]
        read_only_fields = fields


class VisitPhotoSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=PhotoKind.choices, read_only=True)
    kind_display = DisplayField(source="kind")

    class Meta:
        model = VisitPhoto
        fields = ["id", "kind", "kind_display", "uploaded_at"]
        read_only_fields = fields


class VisitPartSerializer(serializers.ModelSerializer):
    part_number = serializers.CharField(source="part.number", read_only=True)
    part_name = serializers.CharField(source="part.name_zh", read_only=True)
    issued = serializers.SerializerMethodField(help_text=_("完成上门时已出库"))

    class Meta:
        model = VisitPart
        fields = [
            "id",
            "part_number",
            "part_name",
            "quantity",
            "unit_price",
            "in_warranty",
            "issued",
        ]
        read_only_fields = fields

    def get_issued(self, line) -> bool:
        return line.issued_at is not None


class VisitSerializer(serializers.ModelSerializer):
    """One visit on site (list rows and the detail alike)."""

    request = VisitRequestSerializer(read_only=True)
    state = serializers.ChoiceField(choices=VisitState.choices, read_only=True)
    state_display = DisplayField(source="state")
    engineer_name = serializers.SerializerMethodField(help_text=_("上门工程师；网点上门时可为空"))
    service_unit_name = serializers.CharField(
        source="service_unit.name", read_only=True, allow_null=True, default=None
    )
    follows = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text=_("前次未解决的上门")
    )
    has_signature = serializers.SerializerMethodField()
    callback_verdict = serializers.ChoiceField(choices=CallbackVerdict.choices, read_only=True)
    callback_verdict_display = DisplayField(source="callback_verdict")

    class Meta:
        model = Visit
        list_serializer_class = CompiledListSerializer
        fields = [
            "id",
            "request",
            "sequence",
            "follows",
            "state",
            "state_display",
            "engineer_name",
            "service_unit",
            "service_unit_name",
            "window_start",
            "window_end",
            "checked_in_at",
            "check_in_latitude",
            "check_in_longitude",
            "check_in_accuracy_m",
            "check_in_location_note",
            "diagnosis",
            "work_report",
            "incomplete_reason",
            "distance_km",
            "has_signature",
            "signed_by",
            "signer_is_stand_in",
            "signed_at",
            "finished_at",
            "callback_verdict",
            "callback_verdict_display",
        ]
        read_only_fields = fields

    def get_engineer_name(self, visit) -> str:
        user = visit.engineer
        return (user.get_full_name() or user.get_username()) if user else ""

    def get_has_signature(self, visit) -> bool:
        return bool(visit.signature)


class VisitDetailSerializer(VisitSerializer):
    photos = VisitPhotoSerializer(many=True, read_only=True)
    parts = serializers.SerializerMethodField()
    missing_photo_kinds = serializers.SerializerMethodField(
        help_text=_("本类别必传而尚未上传的照片类型（完成“已解决”前须补齐）")
    )

    class Meta(VisitSerializer.Meta):
        list_serializer_class = serializers.ListSerializer
        fields = [*VisitSerializer.Meta.fields, "photos", "parts", "missing_photo_kinds"]
        read_only_fields = fields

    def get_parts(self, visit) -> list[dict]:
        lines = (
            VisitPart.objects.filter(visit=visit, removed_at__isnull=True)
            .select_related("part")
            .order_by("id")
        )
        return VisitPartSerializer(lines, many=True).data

    def get_missing_photo_kinds(self, visit) -> list[str]:
        return visit.missing_photo_kinds()


# --- inputs -------------------------------------------------------------------------------------
class CheckInSerializer(StrictFieldsMixin, serializers.Serializer):
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        help_text=_("纬度（WGS-84）"),
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        help_text=_("经度（WGS-84）"),
    )
    accuracy_m = serializers.FloatField(
        required=False, allow_null=True, min_value=0, help_text=_("定位精度（米）")
    )
    location_unavailable_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_("未能定位时必填：原因（如用户拒绝授权定位）"),
    )


class PhotoUploadSerializer(StrictFieldsMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=PhotoKind.choices)
    file = serializers.FileField(help_text=_("JPEG、PNG 或 WebP，最大 10 MB"))
    upload_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("本次上传的客户端编号：重试时使用同一编号，照片只保存一次"),
    )


class PartInputSerializer(StrictFieldsMixin, serializers.Serializer):
    part_number = serializers.CharField(max_length=40, help_text=_("配件编号"))
    quantity = serializers.IntegerField(min_value=1, max_value=vs.MAX_PART_QUANTITY, default=1)


class ReportSerializer(StrictFieldsMixin, serializers.Serializer):
    diagnosis = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    work_report = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    distance_km = serializers.DecimalField(
        max_digits=7,
        decimal_places=1,
        required=False,
        allow_null=True,
        min_value=0,
        max_value=vs.MAX_DISTANCE_KM,
        help_text=_("到客户处的单程距离（公里）"),
    )


class SignatureSerializer(StrictFieldsMixin, serializers.Serializer):
    signature = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_(
            "签字 PNG 的 base64（或 data:image/png;base64,… 形式）；"
            "也可用 multipart 的 signature_file"
        ),
    )
    signature_file = serializers.FileField(
        required=False, help_text=_("签字 PNG 文件（multipart）")
    )
    stand_in = serializers.BooleanField(default=False, help_text=_("他人代签"))
    signer_name = serializers.CharField(
        required=False, allow_blank=True, max_length=60, help_text=_("代签时必填：签字人姓名")
    )


class FinishSerializer(StrictFieldsMixin, serializers.Serializer):
    solved = serializers.BooleanField(help_text=_("是否已解决"))
    incomplete_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text=_("未解决时必填")
    )
