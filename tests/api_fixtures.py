"""Helpers of the API, admin and network-service tests (plain functions: each test module wraps
what it needs in its own fixtures)."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from network.choices import LedgerEntryKind, OrgKind
from network.models import OrgUnit
from network.services import prepaid_post, token_issue


def make_unit(code: str, kind: str = OrgKind.DEALER, parent: OrgUnit | None = None, **kw):
    return OrgUnit.objects.create(
        code=code, name=kw.pop("name", code), kind=kind, parent=parent, **kw
    )


def service_user(username: str, **kw):
    return get_user_model().objects.create_user(username=username, password="pw-12345", **kw)


def issue_token(unit: OrgUnit, username: str | None = None, *, user=None, name="ERP 对接", **kw):
    """A token for a (new) service user of `unit`: returns (token, plaintext)."""
    user = user or service_user(username or f"api-{unit.code.lower()}")
    return token_issue(org_unit=unit, user=user, name=name, **kw)


def bearer(plaintext: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def top_up(unit: OrgUnit, amount: str, **kw):
    return prepaid_post(org_unit=unit, kind=LedgerEntryKind.TOP_UP, amount=Decimal(amount), **kw)
