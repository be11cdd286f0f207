"""Network API: who am I, the org units the caller may see, and their prepaid ledgers.

Scope lives in get_queryset (OrgUnit.objects.visible_to): an org unit outside the caller's scope
answers 404, never 403, so a partner cannot probe which ids exist."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from network.choices import PARTNER_KINDS
from network.models import OrgUnit, PartnerToken, PrepaidAccount, PrepaidEntry
from network.selectors import roles_of
from network.services import token_rotate
from network.visibility import sees_everything, user_org_unit
from service_ops.actions import service_errors
from service_ops.api.pagination import KeysetPagination

from .filtersets import OrgUnitFilterSet
from .serializers import (
    MeSerializer,
    OrgUnitSerializer,
    PrepaidLedgerSerializer,
    TokenRotatedSerializer,
    TokenRotateInputSerializer,
)

ORG_UNIT_EXAMPLE = {
    "id": 12,
    "code": "D-GD-001",
    "name": "广州某代理商",
    "kind": "dealer",
    "kind_display": "代理商",
    "branch_kind": "",
    "branch_kind_display": "",
    "parent": 5,
    "is_partner": True,
    "gps_upgrade": False,
    "contact_name": "张三",
    "phone": "020-12345678",
    "address": "广州市天河区",
    "is_active": True,
}


@extend_schema(
    tags=["me"],
    summary="当前调用者",
    responses=MeSerializer,
    examples=[
        OpenApiExample(
            "合作方令牌",
            value={
                "user": {"id": 7, "username": "dealer-api", "full_name": "", "email": ""},
                "org_unit": {
                    "id": 12,
                    "code": "D-GD-001",
                    "name": "广州某代理商",
                    "kind": "dealer",
                    "kind_display": "代理商",
                    "branch_kind": "",
                },
                "roles": ["dealer_staff"],
                "role_assignments": [],
                "is_partner": True,
                "sees_everything": False,
                "token": {"name": "ERP 对接", "prefix": "3f9a0c2b1d", "expires_at": None},
            },
        )
    ],
)
class MeView(APIView):
    def get(self, request):
        user = request.user
        unit = user_org_unit(user)
        token = request.auth if isinstance(request.auth, PartnerToken) else None
        data = {
            "user": {
                "id": user.pk,
                "username": user.get_username(),
                "full_name": user.get_full_name(),
                "email": user.email,
            },
            "org_unit": unit,
            "roles": sorted(roles_of(user)),
            "role_assignments": user.role_assignments.select_related("org_unit").order_by(
                "role", "org_unit__path"
            ),
            "is_partner": bool(unit and unit.is_partner),
            "sees_everything": sees_everything(user),
            "token": token,
        }
        return Response(MeSerializer(data).data)


class TokenRotateView(APIView):
    @extend_schema(
        tags=["me"],
        summary="轮换本令牌",
        description=(
            "签发新令牌（同一合作方、服务账号、名称和调用频率），旧令牌在并行期内继续可用，"
            "期满失效，便于各系统逐个切换。只能用令牌本身调用；同一令牌只能轮换一次。"
        ),
        request=TokenRotateInputSerializer,
        responses={201: TokenRotatedSerializer, 400: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample("轮换，旧令牌再用 3 天", value={"overlap_hours": 72}, request_only=True),
        ],
    )
    def post(self, request):
        token = request.auth if isinstance(request.auth, PartnerToken) else None
        if token is None:
            raise ValidationError({"detail": _("只有合作方令牌可以轮换自己；请用该令牌调用")})
        data = TokenRotateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            new, plaintext = token_rotate(
                token=token,
                overlap=timedelta(hours=data.validated_data["overlap_hours"]),
                actor=request.user,
            )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        token.refresh_from_db()
        body = {
            "token": plaintext,
            "name": new.name,
            "prefix": new.prefix,
            "expires_at": new.expires_at,
            "previous": token,
        }
        return Response(TokenRotatedSerializer(body).data, status=201)


PREPAID_PARAMETERS = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="分页游标（取自 next / previous 链接）"
    ),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="每页条数，最多 200"),
]


@extend_schema_view(
    list=extend_schema(
        tags=["org-units"],
        summary="可见的组织",
        description="总部可见全部组织，其余组织只见本组织及下级；代理商和网点只见自己。",
        examples=[
            OpenApiExample(
                "代理商（列表中的一项）",
                value=ORG_UNIT_EXAMPLE,
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        tags=["org-units"],
        summary="组织详情",
        description="不在调用者可见范围内的组织返回 404。",
        examples=[OpenApiExample("代理商", value=ORG_UNIT_EXAMPLE, response_only=True)],
    ),
)
class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilterSet
    ordering_fields = ["code", "name", "path"]
    ordering = ["path"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OrgUnit.objects.none()
        return OrgUnit.objects.visible_to(self.request.user)

    @extend_schema(
        tags=["org-units"],
        summary="预存款余额与流水",
        description=(
            "代理商或特约维修网点的预存款余额及流水（新的在前，游标分页）。"
            "其他类型的组织或不可见的组织返回 404。"
        ),
        parameters=PREPAID_PARAMETERS,
        responses=PrepaidLedgerSerializer,
        examples=[
            OpenApiExample(
                "余额与流水",
                value={
                    "org_unit": {
                        "id": 12,
                        "code": "D-GD-001",
                        "name": "广州某代理商",
                        "kind": "dealer",
                        "kind_display": "代理商",
                        "branch_kind": "",
                    },
                    "balance": "150.00",
                    "currency": "CNY",
                    "updated_at": "2026-10-12T09:30:00+08:00",
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 31,
                            "kind": "charge",
                            "kind_display": "扣费",
                            "amount": "50.00",
                            "balance_after": "150.00",
                            "reference": "ACT-2026-0001",
                            "note": "激活码查询",
                            "created_at": "2026-10-12T09:30:00+08:00",
                        }
                    ],
                },
            )
        ],
    )
    @action(detail=True, methods=["get"], filterset_class=None, ordering_fields=[])
    def prepaid(self, request, pk=None):
        unit = self.get_object()
        if unit.kind not in PARTNER_KINDS:
            raise NotFound(_("该组织没有预存款账户"))
        account = PrepaidAccount.objects.filter(org_unit=unit).first()
        entries = (
            PrepaidEntry.objects.filter(account=account) if account else PrepaidEntry.objects.none()
        )
        paginator = KeysetPagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        ledger = {
            "org_unit": unit,
            "balance": account.balance if account else Decimal("0"),
            "updated_at": account.updated_at if account else None,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": page,
        }
        return Response(PrepaidLedgerSerializer(ledger).data)
