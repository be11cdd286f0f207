from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ...services.activation import activation_query_receive
from ..authentication import GatewaySignatureAuthentication, IsSmsGateway
from ..serializers.activation import InboundSmsReplySerializer, InboundSmsSerializer

FORMAT = (
    "激活码查询短信（由短信网关推送，按网关签名认证）。短信格式：`JH 设备序列号` 或 "
    "`激活 设备序列号`（不区分大小写，容许空格、冒号和全角字符）。发送号码须已登记为驻外办事处"
    "或特约维修网点的号码；特约维修网点每次查询从预存款扣查询费，余额不足时不扣费、不回复激活码，"
    "并通知网点专员。同一 message_id 重复推送时返回首次的结果，不重复扣费。"
)


class InboundSmsView(APIView):
    authentication_classes = [GatewaySignatureAuthentication]
    permission_classes = [IsSmsGateway]
    throttle_classes: list = []  # the gateway is signed; a burst of pushes is its right

    @extend_schema(
        operation_id="sms_inbound",
        tags=["sms"],
        summary="接收短信（激活码查询）",
        description=FORMAT,
        request=InboundSmsSerializer,
        # 400 (a malformed body) and 401 (a missing or wrong signature) are documented by the
        # platform's hook (service_ops/api/schema.py), as on every operation
        responses={200: InboundSmsReplySerializer},
        examples=[
            OpenApiExample(
                "查询",
                request_only=True,
                value={
                    "message_id": "gw-20261207-000123",
                    "from": "+86 138-0013-8000",
                    "text": "JH SN20260001",
                    "received_at": "2026-12-07T10:15:00+08:00",
                },
            ),
            OpenApiExample(
                "已回复激活码",
                response_only=True,
                status_codes=["200"],
                value={
                    "query": "JHCX00000123",
                    "outcome": "answered",
                    "reply": (
                        "设备 SN20260001 的激活码：7F3K-92QX（已扣查询费 ¥30.00，余额 ¥170.00）"
                    ),
                    "repeated": False,
                },
            ),
        ],
    )
    def post(self, request):
        serializer = InboundSmsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        query = activation_query_receive(
            message_id=data["message_id"],
            from_number=data["from"],
            text=data["text"],
            received_at=data.get("received_at"),
        )
        return Response(
            InboundSmsReplySerializer(
                {
                    "query": query.number,
                    "outcome": query.outcome,
                    "reply": query.reply,
                    "repeated": query.repeated,
                }
            ).data
        )
