"""Per-client partner tokens: `Authorization: Bearer so_<prefix>_<secret>`.

Only the SHA-256 digest is stored (a password hasher costs ~0.5 s per check); the prefix finds the
row, the digest is compared in constant time. Tokens are issued and revoked by
`network.services.token_issue` / `token_revoke`."""

import hashlib
import hmac
import secrets

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

TOKEN_PREFIX = "so_"  # noqa: S105 - a public marker, not a secret
KEYWORDS = ("bearer", "token")
# last_used_at is written at most once a minute per token, not on every request.
LAST_USED_RESOLUTION_SECONDS = 60


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_parts() -> tuple[str, str]:
    """A random public prefix (10 hex characters) and secret (43 URL-safe characters)."""
    return secrets.token_hex(5), secrets.token_urlsafe(32)


def format_token(prefix: str, secret: str) -> str:
    return f"{TOKEN_PREFIX}{prefix}_{secret}"


def parse_token(value: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed token, else None. The prefix holds no underscore; the
    secret may (token_urlsafe uses '_')."""
    if not value.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = value[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not prefix or not secret or len(prefix) > 12:
        return None
    return prefix, secret


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates `Authorization: Bearer so_…` (or `Token so_…`); `request.auth` is the
    PartnerToken. Any other scheme is left to the next authenticator (session)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        parts = header.split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        parsed = parse_token(parts[1]) if len(parts) == 2 else None
        if parsed is None:
            raise exceptions.AuthenticationFailed(_("令牌格式无效"))
        prefix, secret = parsed
        from network.models import PartnerToken

        token = (
            PartnerToken.objects.select_related("user__profile__org_unit", "org_unit")
            .filter(prefix=prefix)
            .first()
        )
        if token is None or not hmac.compare_digest(token.digest, digest_of(secret)):
            raise exceptions.AuthenticationFailed(_("令牌无效"))
        now = timezone.now()
        if not token.is_usable(now):
            raise exceptions.AuthenticationFailed(_("令牌已过期或已吊销"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("账号已停用"))
        last = token.last_used_at
        if last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            PartnerToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    """Describes the partner token in the OpenAPI schema (and the docs' Authorize dialog)."""

    target_class = PartnerTokenAuthentication
    name = "partnerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "so_<prefix>_<secret>",
            "description": "合作方 API 令牌，由管理员在后台签发，只显示一次。",
        }
