"""The service points' partner API of activation codes and their prepaid balance (issue 17 item 6:
"partners (service points) query codes and see their balance and charges through the API").

- POST activation-codes/query: the same look-up and charge as an SMS query
  (callcenter.services.activation.activation_query_request): 200 with the code, charged from the
  prepaid balance under the account's row lock; 402 when the balance does not cover the fee (no
  charge, the network specialist is told); 404 for a serial with no code (no charge). Every call
  is recorded. A retry is answered once by the platform's Idempotency-Key middleware.
- GET prepaid/balance, GET prepaid/entries: the caller's own unit (a dealer or service point);
  staff, who have no account of their own, get 403 (they read any unit's at
  /api/v1/org-units/{id}/prepaid).
- GET activation-queries: the caller's visible queries (a service point its own, a dealer none).

Only the caller's own unit is ever read: there is no id in these paths."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from network.choices import PARTNER_KINDS, OrgKind
from network.models import PrepaidAccount, PrepaidEntry
from network.visibility import user_org_unit
from service_ops.api.pagination import KeysetPagination

from ...choices import ActivationOutcome
from ...models import ActivationQuery
from ...selectors.activation import activation_queries_visible_to
from ...services.activation import activation_fee, activation_query_request
from ..serializers.activation import (
    ActivationCodeAnswerSerializer,
    ActivationCodeQueryInputSerializer,
    ActivationQuerySerializer,
    InsufficientBalanceSerializer,
    NoSuchCodeSerializer,
    PrepaidBalanceSerializer,
    PrepaidEntryListSerializer,
)

UNIT_EXAMPLE = {
    "id": 31,
    "code": "S-GZ-01",
    "name": "广州白云特约维修站",
    "kind": "service_point",
    "kind_display": "特约维修网点",
    "branch_kind": "",
}
NOT_A_SERVICE_POINT = {"detail": "只有特约维修网点可以通过接口查询激活码"}
NO_ACCOUNT = {"detail": "只有代理商和特约维修网点有自己的预存款账户"}
PAGING = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="分页游标（取自 next / previous 链接）"
    ),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="每页条数，最多 200"),
]


def _forbidden(description: str, example: dict) -> OpenApiResponse:
    return OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=description,
        examples=[OpenApiExample(description, value=example)],
    )


class ActivationCodeQueryView(APIView):
    @extend_schema(
        operation_id="activation_codes_query",
        tags=["activation-codes"],
        summary="查询激活码（扣预存款）",
        description=(
            "特约维修网点按设备序列号查询激活码，与短信查询相同：每次查询从本网点预存款扣查询费"
            "（默认 30 元；扣费与余额检查在同一事务中对账户加锁，并发查询不会透支）。"
            "余额不足时返回 402，不扣费、不给激活码，并通知网点专员联系充值；序列号没有激活码时返回"
            " 404，不扣费。每次调用都记录为一条查询（见 GET /api/v1/activation-queries）。"
            "网络中断后重试请带同一个 Idempotency-Key：不会重复扣费，返回第一次的结果"
            "（包括 402 和 404；充值后请用新的键重新查询）。只有特约维修网点的令牌或账号可以调用，"
            "代理商和员工返回 403。"
        ),
        request=ActivationCodeQueryInputSerializer,
        responses={
            200: ActivationCodeAnswerSerializer,
            402: OpenApiResponse(
                InsufficientBalanceSerializer,
                description="预存款余额不足：未扣费、未给激活码；请先充值，到账后重新查询",
            ),
            403: _forbidden("调用者不是特约维修网点", NOT_A_SERVICE_POINT),
            404: OpenApiResponse(
                NoSuchCodeSerializer, description="该序列号没有激活码（未扣费），请核对序列号"
            ),
        },
        examples=[
            OpenApiExample("查询", request_only=True, value={"serial_number": "SN20260001"}),
            OpenApiExample(
                "已扣费并返回激活码",
                response_only=True,
                status_codes=["200"],
                value={
                    "query": "JHCX00000123",
                    "outcome": "answered",
                    "serial_number": "SN20260001",
                    "code": "7F3K-92QX",
                    "product_model": "GPS-X1",
                    "fee": "30.00",
                    "balance": "170.00",
                    "currency": "CNY",
                    "received_at": "2026-12-07T10:15:00+08:00",
                },
            ),
            OpenApiExample(
                "余额不足",
                response_only=True,
                status_codes=["402"],
                value={
                    "detail": "预存款余额不足（余额 ¥20.00，查询费 ¥30.00），未扣费。请先充值。",
                    "code": "insufficient_balance",
                    "query": "JHCX00000124",
                    "fee": "30.00",
                    "balance": "20.00",
                    "currency": "CNY",
                },
            ),
            OpenApiExample(
                "无此激活码",
                response_only=True,
                status_codes=["404"],
                value={
                    "detail": "未找到设备 SN404 的激活码，请核对序列号。未扣费。",
                    "code": "no_such_code",
                    "query": "JHCX00000125",
                    "serial_number": "SN404",
                },
            ),
        ],
    )
    def post(self, request):
        data = ActivationCodeQueryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        query = activation_query_request(
            actor=request.user, serial_number=data.validated_data["serial_number"]
        )
        if query.outcome == ActivationOutcome.ANSWERED:
            body = {
                "query": query.number,
                "outcome": query.outcome,
                "serial_number": query.serial_number,
                "code": query.code.code,
                "product_model": query.code.product_model,
                "fee": query.fee,
                "balance": query.balance,
                "received_at": query.received_at,
            }
            return Response(ActivationCodeAnswerSerializer(body).data)
        if query.outcome == ActivationOutcome.INSUFFICIENT_BALANCE:
            body = {
                "detail": _(
                    "预存款余额不足（余额 ¥%(balance)s，查询费 ¥%(fee)s），未扣费。请先充值。"
                )
                % {"balance": query.balance, "fee": activation_fee()},
                "code": "insufficient_balance",
                "query": query.number,
                "fee": activation_fee(),
                "balance": query.balance,
            }
            return Response(
                InsufficientBalanceSerializer(body).data, status=status.HTTP_402_PAYMENT_REQUIRED
            )
        body = {
            "detail": _("未找到设备 %(serial)s 的激活码，请核对序列号。未扣费。")
            % {"serial": query.serial_number},
            "code": "no_such_code",
            "query": query.number,
            "serial_number": query.serial_number,
        }
        return Response(NoSuchCodeSerializer(body).data, status=status.HTTP_404_NOT_FOUND)


def _own_partner_unit(request):
    unit = user_org_unit(request.user)
    if unit is None or unit.kind not in PARTNER_KINDS:
        raise PermissionDenied(_("只有代理商和特约维修网点有自己的预存款账户"))
    return unit


class PrepaidBalanceView(APIView):
    @extend_schema(
        operation_id="prepaid_balance",
        tags=["prepaid"],
        summary="本单位预存款余额",
        description=(
            "调用者所属代理商或特约维修网点的预存款余额，以及每次激活码查询的扣费。"
            "员工没有自己的预存款账户，返回 403。"
        ),
        responses={
            200: PrepaidBalanceSerializer,
            403: _forbidden("调用者不属于代理商或特约维修网点", NO_ACCOUNT),
        },
        examples=[
            OpenApiExample(
                "余额",
                response_only=True,
                value={
                    "org_unit": UNIT_EXAMPLE,
                    "balance": "170.00",
                    "currency": "CNY",
                    "updated_at": "2026-12-07T10:15:00+08:00",
                    "activation_fee": "30.00",
                },
            )
        ],
    )
    def get(self, request):
        unit = _own_partner_unit(request)
        account = PrepaidAccount.objects.filter(org_unit=unit).first()
        body = {
            "org_unit": unit,
            "balance": account.balance if account else 0,
            "updated_at": account.updated_at if account else None,
            "activation_fee": activation_fee() if unit.kind == OrgKind.SERVICE_POINT else None,
        }
        return Response(PrepaidBalanceSerializer(body).data)


class PrepaidEntryListView(generics.ListAPIView):
    serializer_class = PrepaidEntryListSerializer
    pagination_class = KeysetPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PrepaidEntry.objects.none()
        unit = _own_partner_unit(self.request)
        return PrepaidEntry.objects.filter(account__org_unit=unit)

    @extend_schema(
        operation_id="prepaid_entries",
        tags=["prepaid"],
        summary="本单位预存款流水",
        description=(
            "调用者所属代理商或特约维修网点的预存款流水：充值、扣费（激活码查询费的关联单据为查询编号）、"
            "退款，新的在前，游标分页。员工返回 403。"
        ),
        parameters=PAGING,
        responses={
            200: PrepaidEntryListSerializer(many=True),
            403: _forbidden("调用者不属于代理商或特约维修网点", NO_ACCOUNT),
        },
        examples=[
            OpenApiExample(
                "流水（一页）",
                response_only=True,
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 88,
                            "kind": "charge",
                            "kind_display": "扣费",
                            "amount": "30.00",
                            "balance_after": "170.00",
                            "reference": "JHCX00000123",
                            "note": "激活码查询费 SN20260001",
                            "created_at": "2026-12-07T10:15:00+08:00",
                        },
                        {
                            "id": 80,
                            "kind": "top_up",
                            "kind_display": "充值",
                            "amount": "200.00",
                            "balance_after": "200.00",
                            "reference": "ICBC20261201-0042",
                            "note": "预存款充值",
                            "created_at": "2026-12-01T15:02:00+08:00",
                        },
                    ],
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ActivationQueryListView(generics.ListAPIView):
    serializer_class = ActivationQuerySerializer
    pagination_class = KeysetPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ActivationQuery.objects.none()
        outcome = self.request.query_params.get("outcome", "")
        return activation_queries_visible_to(self.request.user, outcome=outcome)

    @extend_schema(
        operation_id="activation_queries_list",
        tags=["activation-codes"],
        summary="本网点的激活码查询记录",
        description=(
            "调用者可见的激活码查询（短信和接口），新的在前，游标分页：特约维修网点只见本网点的，"
            "代理商没有查询记录（空列表）。按结果筛选：?outcome=answered 等。"
        ),
        parameters=[
            OpenApiParameter(
                "outcome",
                OpenApiTypes.STR,
                enum=ActivationOutcome.values,
                description="按结果筛选；其他值不筛选",
            ),
            *PAGING,
        ],
        examples=[
            OpenApiExample(
                "查询记录（一页）",
                response_only=True,
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 123,
                            "query": "JHCX00000123",
                            "channel": "api",
                            "channel_display": "接口",
                            "serial_number": "SN20260001",
                            "outcome": "answered",
                            "outcome_display": "已回复激活码",
                            "fee": "30.00",
                            "reply": (
                                "设备 SN20260001 的激活码：7F3K-92QX"
                                "（已扣查询费 ¥30.00，余额 ¥170.00）"
                            ),
                            "received_at": "2026-12-07T10:15:00+08:00",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
