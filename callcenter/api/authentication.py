"""The SMS gateway signs each push: X-Sms-Signature: sha256=<hex HMAC-SHA256 of the raw body,
keyed with settings.SMS_GATEWAY_SECRET>. No secret configured: every push is refused."""

import hashlib
import hmac

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

SIGNATURE_HEADER = "X-Sms-Signature"
GATEWAY = "sms-gateway"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SmsGatewayUser:
    """Who a signed push is from: not a person, never staff."""

    pk = None
    id = None
    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    username = GATEWAY

    def __str__(self):
        return GATEWAY


class GatewaySignatureAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        given = request.META.get("HTTP_X_SMS_SIGNATURE")
        if given is None:
            return None
        secret = getattr(settings, "SMS_GATEWAY_SECRET", "")
        expected = sign(request._request.body, secret) if secret else ""
        if not secret or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            raise exceptions.AuthenticationFailed(_("短信网关签名无效"), code="bad_signature")
        return SmsGatewayUser(), GATEWAY

    def authenticate_header(self, request):
        return 'Signature header="X-Sms-Signature"'


class IsSmsGateway(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.auth == GATEWAY


class GatewaySignatureScheme(OpenApiAuthenticationExtension):
    target_class = GatewaySignatureAuthentication
    name = "smsGatewaySignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": SIGNATURE_HEADER,
            "description": (
                "短信网关签名：sha256=<以 SMS_GATEWAY_SECRET 为密钥、对原始请求体计算的 "
                "HMAC-SHA256 十六进制值>。"
            ),
        }
