"""Reads of the prepaid pages (预存款): the partner units with their balances, and one unit's
ledger, scoped by the caller's visibility."""

from django.db.models import F, Q

from network.choices import PARTNER_KINDS
from network.models import OrgUnit, PrepaidAccount, PrepaidEntry
from network.visibility import scope_by_org

from ..services.activation import activation_fee


def prepaid_units_visible_to(user, *, kind: str = "", q: str = "", low: bool = False):
    """Dealers and service points with their balance (None before the first entry), newest
    unit first. `low`: those whose balance does not cover one activation-code query."""
    qs = scope_by_org(OrgUnit.objects.filter(kind__in=sorted(PARTNER_KINDS)), user, "")
    if kind in PARTNER_KINDS:
        qs = qs.filter(kind=kind)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q))
    qs = qs.annotate(balance=F("prepaid_account__balance"))  # LEFT JOIN: one account a unit
    if low:
        qs = qs.filter(Q(balance__isnull=True) | Q(balance__lt=activation_fee()))
    return qs.order_by("-id")


def partner_unit_visible_to(user, pk: int) -> OrgUnit | None:
    return (
        scope_by_org(OrgUnit.objects.filter(kind__in=sorted(PARTNER_KINDS)), user, "")
        .filter(pk=pk)
        .first()
    )


def ledger_of(unit: OrgUnit):
    """(account or None, its entries newest first, with who entered them and the bank reference
    of a top-up recorded from the staff page)."""
    account = PrepaidAccount.objects.filter(org_unit=unit).first()
    if account is None:
        return None, PrepaidEntry.objects.none()
    entries = (
        PrepaidEntry.objects.filter(account=account).select_related("created_by").order_by("-id")
    )
    return account, entries
