"""Per-client partner tokens: `Authorization: Bearer so_<prefix>_<secret>`.

Only the SHA-256 digest is stored (a password hasher costs ~0.5 s per check); the prefix finds the
row, the digest is compared in constant time."""

import hashlib
import hmac
import secrets

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

TOKEN_PREFIX = "so_"  # noqa: S105 - a public marker, not a secret


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_parts() -> tuple[str, str]:
    return secrets.token_hex(5), secrets.token_urlsafe(32)


def format_token(prefix: str, secret: str) -> str:
    return f"{TOKEN_PREFIX}{prefix}_{secret}"


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        parts = header.split()
        if parts[0] not in (self.keyword, "Token"):
            return None
        if len(parts) != 2 or not parts[1].startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("令牌格式无效"))
        body = parts[1][len(TOKEN_PREFIX) :]
        prefix, _sep, secret = body.partition("_")
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
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            PartnerToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
