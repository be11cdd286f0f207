"""Partner API of the network's life (read-only): a service point reads its own profile (grade,
standing, skills, contract, service areas), its qualification documents and its evaluations.
Staff read the points of their subtree the same way.

Scope in get_queryset (OrgUnit.objects.visible_to): a point outside the caller's scope is 404."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from service_ops.api.compiled import DisplayField
from service_ops.api.pagination import KeysetPagination

from ..choices import OrgKind
from ..models import OrgUnit, ServiceArea, ServicePointProfile
from .models import PointEvaluation, QualificationDocument

MAX_DOCUMENTS = 100
MAX_EVALUATIONS = 20


class ServiceAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceArea
        fields = ["province", "city", "district"]
        read_only_fields = fields


class ProfileSerializer(serializers.ModelSerializer):
    grade_display = DisplayField(source="grade")
    status_display = DisplayField(source="status")
    skills = serializers.ListField(child=serializers.CharField(), read_only=True)
    product_models = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("空表示全部型号")
    )

    class Meta:
        model = ServicePointProfile
        fields = [
            "grade",
            "grade_display",
            "status",
            "status_display",
            "skills",
            "product_models",
            "capacity",
            "contract_start",
            "contract_end",
        ]
        read_only_fields = fields


class ServicePointSerializer(serializers.ModelSerializer):
    profile = ProfileSerializer(source="service_profile", read_only=True, allow_null=True)
    areas = ServiceAreaSerializer(source="service_areas", many=True, read_only=True)

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "code",
            "name",
            "parent",
            "gps_upgrade",
            "contact_name",
            "phone",
            "address",
            "is_active",
            "profile",
            "areas",
        ]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    kind_display = DisplayField(source="kind")

    class Meta:
        model = QualificationDocument
        fields = [
            "id",
            "kind",
            "kind_display",
            "number",
            "holder_name",
            "issued_on",
            "expires_on",
            "uploaded_at",
        ]
        read_only_fields = fields


class EvaluationSerializer(serializers.ModelSerializer):
    state_display = DisplayField(source="state")
    facts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text=_("考核数据（计数）")
    )

    class Meta:
        model = PointEvaluation
        fields = [
            "id",
            "period",
            "period_start",
            "period_end",
            "state",
            "state_display",
            "facts",
            "dispatch_rate",
            "visit_rate",
            "satisfaction_rate",
            "complaints",
            "score",
            "grade_before",
            "suggested_grade",
            "confirmed_grade",
            "confirmed_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        tags=["service-points"],
        summary="可见的特约维修网点",
        description="网点档案（等级、合作状态、技能、合同）与服务区域。网点只见自己。",
    ),
    retrieve=extend_schema(
        tags=["service-points"],
        summary="网点档案",
        description="不在调用者可见范围内的网点返回 404。",
    ),
)
class ServicePointViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ServicePointSerializer
    pagination_class = KeysetPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OrgUnit.objects.none()
        return (
            OrgUnit.objects.visible_to(self.request.user)
            .filter(kind=OrgKind.SERVICE_POINT)
            .select_related("service_profile")
            .prefetch_related("service_areas")
        )

    @extend_schema(
        tags=["service-points"],
        summary="网点的资质文件",
        description="营业执照、技术员证书等及其有效期（最多 100 份，新的在前）。",
        responses=DocumentSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def documents(self, request, pk=None):
        unit = self.get_object()
        rows = QualificationDocument.objects.filter(org_unit=unit).order_by("-id")[:MAX_DOCUMENTS]
        return Response(DocumentSerializer(rows, many=True).data)

    @extend_schema(
        tags=["service-points"],
        summary="网点的考核",
        description="最近 20 个考核期的考核：数据、比率、得分与等级。",
        responses=EvaluationSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def evaluations(self, request, pk=None):
        unit = self.get_object()
        rows = PointEvaluation.objects.filter(org_unit=unit).order_by("-period_start")[
            :MAX_EVALUATIONS
        ]
        return Response(EvaluationSerializer(rows, many=True).data)
