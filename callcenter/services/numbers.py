"""The numbers field offices and service points send activation-code queries from (登记号码):
registered, edited, deactivated and reactivated by the network specialist. Each write locks the
row, checks the actor, validates, and is audited (Audited("callcenter.RegisteredNumber") in
plugin.py; the actor is handed to the audit log with acting_as)."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from network.models import OrgUnit
from service_ops.audit import acting_as

from ..models import RegisteredNumber
from ..models.activation import SENDER_KINDS
from ..permissions import is_activation_staff
from ..phones import normalise_phone

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _check_actor(actor) -> None:
    if not is_activation_staff(actor):
        raise PermissionDenied(_("只有网点专员或客服部部长可以管理登记号码"))


def _clean(*, org_unit: OrgUnit | None, phone: str, note: str, exclude_pk=None) -> tuple:
    errors: dict[str, str] = {}
    phone = normalise_phone(phone)
    if not phone:
        errors["phone"] = _("请填写手机号码")
    elif not MOBILE.match(phone):
        errors["phone"] = _("请填写 11 位手机号码（可带 +86、空格或连字符）")
    else:
        taken = (
            RegisteredNumber.objects.filter(phone=phone)
            .exclude(pk=exclude_pk)
            .select_related("org_unit")
            .first()
        )
        if taken is not None:
            errors["phone"] = _("该号码已登记给 %(unit)s") % {"unit": taken.org_unit.name}
    if org_unit is None:
        errors["org_unit"] = _("请选择驻外办事处或特约维修网点")
    elif org_unit.kind not in SENDER_KINDS:
        errors["org_unit"] = _("只能为驻外办事处或特约维修网点登记号码")
    elif not org_unit.is_active:
        errors["org_unit"] = _("该组织已停用")
    if len(note or "") > 60:
        errors["note"] = _("备注最多 60 个字")
    if errors:
        raise ValidationError(errors)
    return phone, (note or "").strip()


def _save(number: RegisteredNumber, actor) -> RegisteredNumber:
    try:
        with transaction.atomic(), acting_as(actor):
            number.save()
    except IntegrityError as exc:  # a concurrent registration of the same number
        raise ValidationError({"phone": _("该号码已被登记")}) from exc
    return number


@transaction.atomic
def registered_number_create(
    *, actor, org_unit: OrgUnit | None, phone: str, note: str = ""
) -> RegisteredNumber:
    _check_actor(actor)
    phone, note = _clean(org_unit=org_unit, phone=phone, note=note)
    return _save(RegisteredNumber(org_unit=org_unit, phone=phone, note=note), actor)


@transaction.atomic
def registered_number_update(
    *, actor, number_id: int, org_unit: OrgUnit | None, phone: str, note: str = ""
) -> RegisteredNumber:
    _check_actor(actor)
    number = RegisteredNumber.objects.select_for_update().get(pk=number_id)
    phone, note = _clean(org_unit=org_unit, phone=phone, note=note, exclude_pk=number.pk)
    if (number.org_unit_id, number.phone, number.note) == (org_unit.pk, phone, note):
        return number  # nothing changed: no audit row
    number.org_unit, number.phone, number.note = org_unit, phone, note
    return _save(number, actor)


@transaction.atomic
def registered_number_set_active(*, actor, number_id: int, active: bool) -> RegisteredNumber:
    """Deactivate (the number is then an unknown sender) or reactivate a number. Idempotent: a
    number already in that state is left as it is (no audit row)."""
    _check_actor(actor)
    number = RegisteredNumber.objects.select_for_update().get(pk=number_id)
    if number.is_active == active:
        return number
    if active and not number.org_unit.is_active:
        raise ValidationError({"org_unit": _("该组织已停用，不能启用其号码")})
    number.is_active = active
    return _save(number, actor)
