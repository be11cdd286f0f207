"""Serializers of the return-application API.

Nothing here saves: write serializers only validate, and the views hand the validated data to
repairs.services.returns (rma_create / rma_update / rma_submit / rma_decide / rma_withdraw). Every
state, number, platform, branch and dealer field is read-only (DESIGN §3.1: a writable serializer
field would set any state)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from network.api.serializers import OrgUnitBriefSerializer
from network.choices import OrgKind
from network.models import OrgUnit
from network.visibility import user_org_unit
from service_ops.api.compiled import CompiledListSerializer, DisplayField
from service_ops.api.robust import StrictFieldsMixin
from service_ops.transitions.models import ActionChannel

from ...models import (
    ApprovalStep,
    Discrepancy,
    ReceivedUnit,
    ReturnApplication,
    ReturnLine,
)
from ...services.returns import HeaderInput, LineInput


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    full_name = serializers.CharField(source="get_full_name", read_only=True)


# --- lines ------------------------------------------------------------------------------------
class ReturnLineSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """One returned unit (or a quantity of units without serial numbers)."""

    class Meta:
        model = ReturnLine
        fields = [
            "id",
            "product_model",
            "serial_number",
            "quantity",
            "purchase_date",
            "has_warranty_card",
            "has_proof_of_purchase",
            "has_seller_stamp",
            "fault_description",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            "serial_number": {"help_text": _("出厂编号；填写时数量必须为 1")},
            "quantity": {"min_value": 1, "max_value": 10000},
        }

    def validate(self, attrs):
        # A PATCH is partial for the header, but its lines replace the old ones as a whole:
        # DRF would let a line without its required fields through (and the service fail).
        missing = [
            name for name, field in self.fields.items() if field.required and name not in attrs
        ]
        if missing:
            raise serializers.ValidationError(
                {name: [_("该字段是必填项。")] for name in missing}, code="required"
            )
        if attrs.get("serial_number", "").strip() and attrs.get("quantity", 1) != 1:
            raise serializers.ValidationError(
                {"quantity": [_("有出厂编号的明细数量必须为 1")]}, code="serial_means_one_unit"
            )
        return attrs


def line_inputs(lines: list[dict]) -> list[LineInput]:
    return [LineInput(**line) for line in lines]


def line_inputs_of(application: ReturnApplication) -> list[LineInput]:
    fields = [f for f in ReturnLineSerializer.Meta.fields if f != "id"]
    return [LineInput(**{f: getattr(line, f) for f in fields}) for line in application.lines.all()]


# --- writes -----------------------------------------------------------------------------------
HEADER_FIELDS = [
    "contact_name",
    "contact_phone",
    "pickup_address",
    "shipping_method",
    "freight_terms",
    "urgency",
    "remarks",
]


class ReturnApplicationUpdateSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """The header and lines of a draft or rejected application (lines are replaced as a whole)."""

    lines = ReturnLineSerializer(many=True, allow_empty=False)

    class Meta:
        model = ReturnApplication
        fields = [*HEADER_FIELDS, "lines"]

    def validate_lines(self, lines):
        """A serial number appears once per application. Errors are keyed by the line's index,
        like DRF's own list errors."""
        seen, errors = set(), {}
        for index, line in enumerate(lines):
            serial = line.get("serial_number", "").strip().upper()
            if serial and serial in seen:
                errors[index] = {"serial_number": [_("出厂编号重复")]}
            seen.add(serial)
        if errors:
            raise serializers.ValidationError(errors)
        return lines

    def header_input(self, instance: ReturnApplication | None = None) -> HeaderInput:
        data = self.validated_data
        current = instance if instance is not None else ReturnApplication()  # model defaults
        values = {f: data.get(f, getattr(current, f)) for f in HEADER_FIELDS}
        return HeaderInput(**values, dealer=data.get("dealer"))

    def line_inputs(self, instance: ReturnApplication | None = None) -> list[LineInput]:
        if "lines" in self.validated_data or instance is None:
            return line_inputs(self.validated_data.get("lines", []))
        return line_inputs_of(instance)


class ReturnApplicationCreateSerializer(ReturnApplicationUpdateSerializer):
    """A new application: header and lines in one request. The applicant is the caller; number,
    platform, branch and dealer are derived by the service, never taken from the client."""

    dealer = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_(
            "代理商 ID。仅分公司维修工程师代管理型分公司下的代理商申请时填写；"
            "代理商账号申请时忽略此字段，始终为本代理商。"
        ),
    )

    class Meta(ReturnApplicationUpdateSerializer.Meta):
        fields = [*HEADER_FIELDS, "dealer", "lines"]

    def validate_dealer(self, value):
        user = self.context["request"].user
        unit = user_org_unit(user)
        if value is None or (unit is not None and unit.kind == OrgKind.DEALER):
            return None  # a dealer always applies for itself
        dealer = OrgUnit.objects.visible_to(user).filter(kind=OrgKind.DEALER, pk=value).first()
        if dealer is None:
            raise serializers.ValidationError(_("代理商不存在或不在您的管辖范围内"))
        return dealer


class WithdrawSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text=_("撤回原因")
    )


class ApproveSerializer(StrictFieldsMixin, serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, help_text=_("审批意见（可选）")
    )


class RejectSerializer(StrictFieldsMixin, serializers.Serializer):
    comment = serializers.CharField(max_length=1000, help_text=_("驳回原因（必填）"))


# --- reads ------------------------------------------------------------------------------------
class ApplicationBriefSerializer(serializers.ModelSerializer):
    """The application a step belongs to, as an approver's queue shows it."""

    branch = serializers.CharField(source="branch.name", read_only=True)
    dealer = serializers.CharField(source="dealer.name", read_only=True, allow_null=True)
    applicant = serializers.CharField(source="applicant.get_username", read_only=True)
    # A plain string here (the enum is documented on ReturnApplication.state) so the schema
    # keeps one enum per choice set.
    state = serializers.CharField(read_only=True, help_text=_("申请状态，取值同申请的 state"))

    class Meta:
        model = ReturnApplication
        fields = ["id", "number", "platform", "state", "branch", "dealer", "applicant"]
        read_only_fields = fields


class ApprovalStepSerializer(serializers.ModelSerializer):
    """One signature of the current round. `due_at` is the pending step's time limit."""

    application = ApplicationBriefSerializer(read_only=True)
    role_display = DisplayField(source="role")
    state_display = DisplayField(source="state")
    org_unit = OrgUnitBriefSerializer(read_only=True)
    signer = UserBriefSerializer(source="decided_by", read_only=True, allow_null=True)
    name = serializers.CharField(source="name_text", read_only=True)
    due_at = serializers.SerializerMethodField(help_text=_("待签步骤的签字时限"))
    overdue = serializers.SerializerMethodField(help_text=_("待签步骤已超过签字时限"))

    class Meta:
        list_serializer_class = CompiledListSerializer
        model = ApprovalStep
        fields = [
            "id",
            "application",
            "round",
            "position",
            "name",
            "role",
            "role_display",
            "org_unit",
            "state",
            "state_display",
            "signer",
            "decided_at",
            "comment",
            "due_at",
            "overdue",
        ]
        read_only_fields = fields

    def _deadline(self, step):
        return self.context.get("deadlines", {}).get(step.pk)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_due_at(self, step) -> str | None:
        deadline = self._deadline(step)
        if deadline is None:
            return None
        return serializers.DateTimeField().to_representation(deadline.due_at)

    def get_overdue(self, step) -> bool:
        deadline = self._deadline(step)
        return bool(deadline and deadline.status == "breached")


class ReceivedUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReceivedUnit
        fields = ["id", "line", "product_model", "serial_number", "received_at"]
        read_only_fields = fields


class DiscrepancySerializer(serializers.ModelSerializer):
    kind_display = DisplayField(source="kind")

    class Meta:
        model = Discrepancy
        fields = [
            "id",
            "kind",
            "kind_display",
            "expected",
            "actual",
            "note",
            "recorded_at",
            "shipper_notified_at",
        ]
        read_only_fields = fields


class PickupSerializer(serializers.ModelSerializer):
    """The booked pickup and the count at pickup (empty until the clerk books it)."""

    class Meta:
        model = ReturnApplication
        fields = [
            "pickup_date",
            "driver_name",
            "driver_phone",
            "vehicle_plate",
            "shipper_count",
            "counted_units",
            "picked_up_at",
        ]
        read_only_fields = fields


class ReceiptSerializer(serializers.ModelSerializer):
    """What arrived: the units received and the discrepancies recorded (the shipper is told)."""

    units = ReceivedUnitSerializer(source="received_units", many=True, read_only=True)
    discrepancies = DiscrepancySerializer(many=True, read_only=True)

    class Meta:
        model = ReturnApplication
        fields = ["received_at", "has_discrepancies", "units", "discrepancies"]
        read_only_fields = fields


class ReturnApplicationSerializer(serializers.ModelSerializer):
    """A return application as partners and staff read it (list and detail alike)."""

    platform_display = DisplayField(source="platform")
    state_display = DisplayField(source="state")
    branch = OrgUnitBriefSerializer(read_only=True)
    dealer = OrgUnitBriefSerializer(read_only=True, allow_null=True)
    applicant_unit = OrgUnitBriefSerializer(read_only=True)
    applicant = UserBriefSerializer(read_only=True)
    unit_count = serializers.SerializerMethodField(help_text=_("申请返厂的机器总台数"))
    lines = ReturnLineSerializer(many=True, read_only=True)
    steps = ApprovalStepSerializer(
        source="current_steps",
        many=True,
        read_only=True,
        help_text=_("本轮提交的审批步骤（驳回后重新提交为新一轮）"),
    )
    pickup = PickupSerializer(source="*", read_only=True)
    receipt = ReceiptSerializer(source="*", read_only=True)

    class Meta:
        list_serializer_class = CompiledListSerializer
        model = ReturnApplication
        fields = [
            "id",
            "number",
            "platform",
            "platform_display",
            "state",
            "state_display",
            "round",
            "branch",
            "dealer",
            "applicant_unit",
            "applicant",
            *HEADER_FIELDS,
            "reject_reason",
            "created_at",
            "submitted_at",
            "approved_at",
            "closed_at",
            "unit_count",
            "lines",
            "steps",
            "pickup",
            "receipt",
        ]
        read_only_fields = fields

    def get_unit_count(self, application) -> int:
        return application.expected_units


class TransitionEntrySerializer(serializers.Serializer):
    """One entry of the transition log: of the application itself or of one of its steps."""

    subject = serializers.ChoiceField(
        source="subject_kind",
        choices=[("application", _("申请")), ("approval_step", _("审批步骤"))],
        read_only=True,
    )
    step = serializers.SerializerMethodField(help_text=_("审批步骤的记录：轮次、顺序与名称"))
    transition = serializers.CharField(read_only=True)
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)
    actor = serializers.CharField(source="actor.get_username", read_only=True, allow_null=True)
    channel = serializers.ChoiceField(choices=ActionChannel.choices, read_only=True)
    comment = serializers.CharField(source="comment_text", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "id": {"type": "integer"},
                "round": {"type": "integer"},
                "position": {"type": "integer"},
                "name": {"type": "string"},
            },
        }
    )
    def get_step(self, entry):
        step = getattr(entry, "step", None)
        if step is None:
            return None
        return {
            "id": step.pk,
            "round": step.round,
            "position": step.position,
            "name": step.name_text,
        }

    class Meta:
        list_serializer_class = CompiledListSerializer
