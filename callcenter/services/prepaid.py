"""Top-ups (充值) of a dealer's or service point's prepaid balance, recorded by the network
specialist when the bank transfer has arrived (DESIGN §2.3: "the network specialist asks it to
top up"). The ledger entry itself is network.services.prepaid_post's (locked account, balance
after); this records the bank reference beside it and makes the form safe to submit twice."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from network.choices import PARTNER_KINDS, LedgerEntryKind
from network.models import OrgUnit
from network.services import prepaid_post

from ..models import PrepaidTopUp
from ..permissions import is_activation_staff


def prepaid_top_up(
    *,
    actor,
    org_unit: OrgUnit,
    amount: Decimal,
    bank_reference: str,
    form_key: uuid.UUID,
    note: str = "",
) -> tuple[PrepaidTopUp, bool]:
    """(top-up, created). The row with the form's unique key is inserted first: a double submit
    (or a concurrent one, which waits on the unique index) finds the stored top-up and returns
    it with created=False, posting nothing. A bank reference already entered for the unit is a
    ValidationError (the same transfer entered twice from two forms)."""
    if not is_activation_staff(actor):
        raise PermissionDenied(_("只有网点专员或客服部部长可以登记充值"))
    if org_unit.kind not in PARTNER_KINDS:
        raise ValidationError(_("只有代理商和特约维修网点有预存款账户"))
    reference = (bank_reference or "").strip()
    if not reference:
        raise ValidationError({"bank_reference": _("请填写银行流水号")})
    if len(reference) > 64:
        raise ValidationError({"bank_reference": _("银行流水号最多 64 个字符")})
    with transaction.atomic():
        try:
            with transaction.atomic():
                top_up = PrepaidTopUp.objects.create(
                    org_unit=org_unit,
                    form_key=form_key,
                    bank_reference=reference,
                    amount=amount,
                    note=(note or "")[:200],
                    created_by=actor,
                )
        except IntegrityError:
            repeated = PrepaidTopUp.objects.filter(form_key=form_key).first()
            if repeated is not None:
                return repeated, False
            raise ValidationError(
                {"bank_reference": _("该银行流水号已为本单位入账，请勿重复登记")}
            ) from None
        top_up.entry = prepaid_post(
            org_unit=org_unit,
            kind=LedgerEntryKind.TOP_UP,
            amount=amount,
            actor=actor,
            reference=reference,
            note=note or _("预存款充值"),
        )
        top_up.save(update_fields=["entry"])
    return top_up, True
