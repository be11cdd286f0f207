"""Reads of the activation-code pages and API, each scoped by the caller's visibility (the
sender's or the number's org unit within the caller's subtree; headquarters sees all)."""

from django.db.models import Q

from network.choices import OrgKind
from network.models import OrgUnit
from network.visibility import scope_by_org

from ..choices import ActivationOutcome
from ..models import ActivationCode, ActivationQuery, RegisteredNumber
from ..models.activation import SENDER_KINDS, normalise_serial
from ..phones import normalise_phone


def activation_queries_visible_to(user, *, outcome: str = ""):
    """Newest first, scoped by the sender's unit (an unknown sender's query has none: seen only by
    those who see everything). A service point sees its own queries only."""
    qs = scope_by_org(ActivationQuery.objects.select_related("sender"), user, "sender")
    if outcome in ActivationOutcome.values:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-id")


def sender_units_visible_to(user):
    """The field offices and service points a number may be registered for, by name."""
    return scope_by_org(
        OrgUnit.objects.filter(kind__in=[k.value for k in SENDER_KINDS]), user, ""
    ).order_by("kind", "name")


def numbers_visible_to(
    user, *, unit: int | None = None, kind: str = "", active: bool | None = None, q: str = ""
):
    """Registered numbers, newest first, with their unit. `q` matches the number (any part of
    it, as typed in any of the accepted forms), the unit's name or code, or the note."""
    qs = scope_by_org(RegisteredNumber.objects.select_related("org_unit"), user, "org_unit")
    if unit:
        qs = qs.filter(org_unit_id=unit)
    if kind in (OrgKind.FIELD_OFFICE, OrgKind.SERVICE_POINT):
        qs = qs.filter(org_unit__kind=kind)
    if active is not None:
        qs = qs.filter(is_active=active)
    q = (q or "").strip()
    if q:
        digits = normalise_phone(q)
        match = Q(org_unit__name__icontains=q) | Q(org_unit__code__iexact=q) | Q(note__icontains=q)
        if digits.isdigit():
            match |= Q(phone__contains=digits)
        qs = qs.filter(match)
    return qs.order_by("-id")


def activation_codes(*, serial: str = ""):
    """The code store, newest import first; `serial` finds one serial or those starting with it
    (as typed: case, spaces and full-width characters folded)."""
    qs = ActivationCode.objects.all()
    serial = normalise_serial(serial)
    if serial:
        qs = qs.filter(serial_number__startswith=serial)
    return qs.order_by("-id")
