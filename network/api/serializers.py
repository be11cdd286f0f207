"""Read-only serializers of the network API. Nothing here writes: balances change only through
network.services.prepaid_post, tokens only through token_issue / token_revoke."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from network.choices import BranchKind, Role
from network.models import OrgUnit, PartnerToken, PrepaidEntry, RoleAssignment
from service_ops.api.compiled import CompiledListSerializer, DisplayField
from service_ops.api.robust import StrictFieldsMixin


def _branch_kind():
    # "" on every unit that is not a branch: the schema must say so (a read-only ModelSerializer
    # field drops allow_blank, and the enum then claims two values only)
    return serializers.ChoiceField(
        choices=BranchKind.choices, allow_blank=True, read_only=True, help_text=_("分公司类型")
    )


class OrgUnitBriefSerializer(serializers.ModelSerializer):
    kind_display = DisplayField(source="kind")
    branch_kind = _branch_kind()

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind", "kind_display", "branch_kind"]
        read_only_fields = fields


class OrgUnitSerializer(serializers.ModelSerializer):
    kind_display = DisplayField(source="kind")
    branch_kind = _branch_kind()
    branch_kind_display = DisplayField(source="branch_kind")
    is_partner = serializers.BooleanField(read_only=True)

    class Meta:
        list_serializer_class = CompiledListSerializer
        model = OrgUnit
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "branch_kind",
            "branch_kind_display",
            "parent",
            "is_partner",
            "gps_upgrade",
            "contact_name",
            "phone",
            "address",
            "is_active",
        ]
        read_only_fields = fields


class PrepaidEntrySerializer(serializers.ModelSerializer):
    kind_display = DisplayField(source="kind")

    class Meta:
        model = PrepaidEntry
        fields = [
            "id",
            "kind",
            "kind_display",
            "amount",
            "balance_after",
            "reference",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class PrepaidLedgerSerializer(serializers.Serializer):
    """Balance of one org unit and one cursor page of its ledger, newest first."""

    org_unit = OrgUnitBriefSerializer()
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(default="CNY")
    updated_at = serializers.DateTimeField(allow_null=True)
    next = serializers.URLField(allow_null=True, help_text=_("下一页（更早的流水）"))
    previous = serializers.URLField(allow_null=True, help_text=_("上一页"))
    results = PrepaidEntrySerializer(many=True)


class RoleAssignmentSerializer(serializers.ModelSerializer):
    role_display = DisplayField(source="role")
    org_unit = OrgUnitBriefSerializer(read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["role", "role_display", "org_unit"]
        read_only_fields = fields


class MeUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)


class MeTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = PartnerToken
        fields = ["name", "prefix", "expires_at"]
        read_only_fields = fields


class TokenRotateInputSerializer(StrictFieldsMixin, serializers.Serializer):
    overlap_hours = serializers.IntegerField(
        min_value=0,
        max_value=720,
        default=168,
        help_text="旧令牌继续可用的小时数（并行期），默认 168（7 天），最多 720",
    )


class TokenRotatedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="新令牌明文，只显示这一次")
    name = serializers.CharField()
    prefix = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    previous = MeTokenSerializer(help_text="旧令牌：到 expires_at 为止仍可使用")


class MeSerializer(serializers.Serializer):
    user = MeUserSerializer()
    org_unit = OrgUnitBriefSerializer(allow_null=True)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        help_text=_("本人担任及今日受托代理的角色"),
    )
    role_assignments = RoleAssignmentSerializer(many=True)
    is_partner = serializers.BooleanField(help_text=_("是否为代理商或特约维修网点的账号"))
    sees_everything = serializers.BooleanField(help_text=_("总部账号可见全部组织"))
    token = MeTokenSerializer(
        allow_null=True, help_text=_("以合作方令牌认证时为该令牌，会话登录时为 null")
    )
