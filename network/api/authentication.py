"""Per-client partner tokens: `Authorization: Bearer so_<prefix>_<secret>`.

Only the SHA-256 digest is stored (a password hasher costs ~0.5 s per check); the prefix finds the
row, the digest is compared in constant time. Tokens are issued and revoked by
`network.services.token_issue` / `token_revoke`."""

import hashlib
import hmac
import secrets

from django.db import connection
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


class _TokenQuery:
    """`PartnerToken.objects.select_related("user__profile__org_unit", "org_unit")
    .filter(prefix=…).first()` as one SQL statement written once: every API call reads its
    token, and the ORM compiled that four-table query anew each time (~1 ms of a 7 ms empty
    page). Still a query per call, so a revoked or expired token stops at once."""

    def __init__(self):
        from django.contrib.auth import get_user_model

        from network.models import OrgUnit, PartnerToken, StaffProfile

        user_model = get_user_model()
        self.parts = [  # (alias, model) in the order of the SELECT
            ("t", PartnerToken),
            ("u", user_model),
            ("p", StaffProfile),
            ("pu", OrgUnit),
            ("tu", OrgUnit),
        ]
        q = connection.ops.quote_name
        columns = []
        for alias, model in self.parts:
            columns += [f"{alias}.{q(f.column)}" for f in model._meta.concrete_fields]

        def table(model):
            return q(model._meta.db_table)

        def col(model, name):
            return q(model._meta.get_field(name).column)

        token, user, profile, unit = PartnerToken, user_model, StaffProfile, OrgUnit
        user_pk = q(user._meta.pk.column)
        joins = (
            f"{table(token)} t"
            f" JOIN {table(user)} u ON u.{user_pk} = t.{col(token, 'user')}"
            f" LEFT JOIN {table(profile)} p ON p.{col(profile, 'user')} = u.{user_pk}"
            f" LEFT JOIN {table(unit)} pu ON pu.{col(unit, 'id')} = p.{col(profile, 'org_unit')}"
            f" JOIN {table(unit)} tu ON tu.{col(unit, 'id')} = t.{col(token, 'org_unit')}"
        )
        # names from the models' metadata; the prefix (unique) is the one parameter
        self.sql = f"SELECT {', '.join(columns)} FROM {joins} WHERE t.{col(token, 'prefix')} = %s"  # noqa: S608
        self.profile_rel = StaffProfile.user.field.remote_field  # user.profile
        # per part: the model, its attnames and each column's converters (the backend's, e.g.
        # SQLite's datetimes, then the field's own from_db_value), as the ORM applies them
        self.readers = []
        for alias, model in self.parts:
            fields = model._meta.concrete_fields
            converters = []
            for f in fields:
                column = f.get_col(alias)
                found = connection.ops.get_db_converters(column)
                found += column.get_db_converters(connection)
                converters.append([(converter, column) for converter in found])
            self.readers.append((model, [f.attname for f in fields], converters))

    def __call__(self, prefix: str):
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [prefix])
            row = cursor.fetchone()
        if row is None:
            return None
        objects, start = [], 0
        for model, attnames, converters in self.readers:
            values = list(row[start : start + len(attnames)])
            start += len(attnames)
            if values[0] is None:  # no profile (or its unit): the LEFT JOIN found nothing
                objects.append(None)
                continue
            for i, column_converters in enumerate(converters):
                for converter, column in column_converters:
                    values[i] = converter(values[i], column, connection)
            objects.append(model.from_db(connection.alias, attnames, values))
        token, user, profile, profile_unit, token_unit = objects
        token_field = type(token)._meta.get_field
        token_field("user").set_cached_value(token, user)
        token_field("org_unit").set_cached_value(token, token_unit)
        self.profile_rel.set_cached_value(user, profile)
        if profile is not None:
            self.profile_rel.field.set_cached_value(profile, user)
            type(profile)._meta.get_field("org_unit").set_cached_value(profile, profile_unit)
        return token


_token_query: _TokenQuery | None = None


def token_with_user(prefix: str):
    """The token with this prefix, with its user, the user's profile and unit, and the token's
    unit; None when there is none."""
    global _token_query
    if _token_query is None:
        _token_query = _TokenQuery()
    return _token_query(prefix)


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

        token = token_with_user(prefix)
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
