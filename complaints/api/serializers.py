"""Serializers of the partner complaint API (issue 18 item 7).

Nothing here saves: the create serializer only validates, and the view hands the validated data
to complaints.services.complaints.complaint_file_by_partner. The number, state, severity,
complainant unit and every stage field are read-only (DESIGN §3.1: a writable serializer field
would set any state). A partner follows the stage and its due time, not the investigation."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from network.api.serializers import OrgUnitBriefSerializer
from service_ops.api.compiled import CompiledListSerializer, DisplayField
from service_ops.api.robust import StrictFieldsMixin
from service_ops.deadlines.models import DeadlineStatus

from ..choices import Category, Stage
from ..models import Complaint
from ..services.stages import ESCALATION_LABELS, stage_of


# --- writes -------------------------------------------------------------------------------------
class ComplaintCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new complaint of the caller's own unit (the dealer or service point)."""

    serial_number = serializers.CharField(max_length=60, help_text=_("设备序列号（出厂编号）"))
    product_model = serializers.CharField(max_length=60, help_text=_("产品型号"))
    category = serializers.ChoiceField(choices=Category.choices, help_text=_("投诉类别"))
    content = serializers.CharField(max_length=4000, help_text=_("投诉内容"))
    expected_outcome = serializers.CharField(max_length=2000, help_text=_("期望的处理结果"))
    complainant_name = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text=_("投诉联系人；不填为本单位名称"),
    )
    complainant_phone = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=_("联系电话；不填为本单位电话"),
    )
    order_ref = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=_("关联单据：返修申请、维修单或上门服务单号"),
    )
    amount_claimed = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        help_text=_("索赔金额（元）"),
    )


# --- reads --------------------------------------------------------------------------------------
class StageSerializer(serializers.Serializer):
    """One running stage limit of the complaint (受理确认、判断、提出方案、审批、实施、回访)."""

    stage = serializers.SerializerMethodField(help_text=_("阶段代码"))
    stage_display = serializers.SerializerMethodField(help_text=_("阶段名称"))
    status = serializers.ChoiceField(
        choices=DeadlineStatus.choices,
        read_only=True,
        help_text=_("running 计时中，paused 暂停（等待审批或客户），breached 已超期"),
    )
    started_at = serializers.DateTimeField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True, help_text=_("该阶段的到期时间"))
    overdue = serializers.SerializerMethodField(help_text=_("已超过到期时间"))

    @extend_schema_field(serializers.ChoiceField(choices=Stage.choices))
    def get_stage(self, timer) -> str:
        return stage_of(timer)

    def get_stage_display(self, timer) -> str:
        return str(dict(Stage.choices).get(stage_of(timer), stage_of(timer)))

    def get_overdue(self, timer) -> bool:
        return timer.status == DeadlineStatus.BREACHED


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint as its complainant follows it: what was filed, where it stands (the state, the
    current stage and its due time, the other running stage limits) and whether a stage ran
    past its limit and escalated, to which level."""

    state_display = DisplayField(source="state")
    category_display = DisplayField(source="category")
    channel_display = DisplayField(source="channel")
    severity_display = DisplayField(source="severity")
    complainant_unit = OrgUnitBriefSerializer(read_only=True, allow_null=True)
    current_stage = serializers.SerializerMethodField(
        help_text=_("当前等待的阶段及其到期时间；已结案为 null")
    )
    open_stages = serializers.SerializerMethodField(help_text=_("所有正在计时的阶段"))
    escalated = serializers.SerializerMethodField(help_text=_("是否有阶段超时并已自动升级"))
    escalation_display = serializers.SerializerMethodField(
        help_text=_("升级到的层级：1 客诉主管，2 客服部部长，3 公司高层；未升级为空")
    )

    class Meta:
        list_serializer_class = CompiledListSerializer
        model = Complaint
        fields = [
            "id",
            "number",
            "state",
            "state_display",
            "category",
            "category_display",
            "channel",
            "channel_display",
            "severity",
            "severity_display",
            "complainant_unit",
            "complainant_name",
            "complainant_phone",
            "product_model",
            "serial_number",
            "order_ref",
            "content",
            "expected_outcome",
            "amount_claimed",
            "accepted_at",
            "closed_at",
            "invalid_reason",
            "current_stage",
            "open_stages",
            "escalated",
            "escalation_level",
            "escalation_display",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "escalation_level": {
                "help_text": _("升级层级：0 未升级，1 客诉主管，2 客服部部长，3 公司高层")
            },
            "invalid_reason": {"help_text": _("投诉不成立时的说明")},
        }

    def _timers(self, complaint) -> list:
        return self.context.get("stages", {}).get(complaint.pk, [])

    @extend_schema_field(StageSerializer(allow_null=True))
    def get_current_stage(self, complaint):
        from ..selectors.complaints import current_stage

        timer = current_stage(self._timers(complaint))
        return StageSerializer(timer).data if timer is not None else None

    @extend_schema_field(StageSerializer(many=True))
    def get_open_stages(self, complaint):
        return StageSerializer(self._timers(complaint), many=True).data

    def get_escalated(self, complaint) -> bool:
        return complaint.escalation_level > 0

    def get_escalation_display(self, complaint) -> str:
        label = ESCALATION_LABELS.get(complaint.escalation_level)
        return gettext(label) if label else ""
