"""Activation-code queries (激活码查询, DESIGN §2.3, issue 17 items 4 and 6): by SMS from a
registered number, and by a service point's own system through the partner API. Both look the code
up and charge a service point the same way (`_look_up_and_charge`).

Message format (case, spaces and full-width characters tolerated; documented in the API schema):

    JH <serial>        e.g. "JH SN20260001", "jh:sn20260001", "ＪＨ　ＳＮ２０２６０００１"
    激活 <serial>      also 激活码 <serial> and 查询激活码 <serial>

A message with the keyword but no serial, or without a keyword, is incomplete."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from network.choices import LedgerEntryKind, OrgKind, Role
from network.selectors import role_holders
from network.services import prepaid_balance, prepaid_post
from service_ops.notifications.services import notify, queue_sms

from ..choices import ActivationOutcome, QueryChannel
from ..models import ActivationCode, ActivationQuery, RegisteredNumber
from ..models.activation import normalise_serial
from ..permissions import service_point_of
from ..phones import normalise_phone

MESSAGE = re.compile(
    r"^\s*(?:查询激活码|激活码|激活|JH)\s*[:：,，]?\s*(?P<serial>[A-Z0-9][A-Z0-9\-]{0,39})?\s*$"
)
DEFAULT_FEE = Decimal("30.00")  # the figure the demo ledger already charges (激活码查询费)


def activation_fee() -> Decimal:
    return Decimal(str(getattr(settings, "ACTIVATION_QUERY_FEE", DEFAULT_FEE)))


def parse_query(text: str) -> tuple[bool, str]:
    """(recognised, serial): the serial is "" when the message is incomplete."""
    folded = unicodedata.normalize("NFKC", text or "").upper()
    match = MESSAGE.match(folded)
    if not match:
        return False, ""
    return True, normalise_serial(match["serial"] or "")


def sender_of(from_number: str):
    """The active field office or service point whose registered number sent the message."""
    phone = normalise_phone(from_number)
    if not phone:
        return None
    row = (
        RegisteredNumber.objects.select_related("org_unit")
        .filter(
            phone=phone,
            is_active=True,
            org_unit__is_active=True,
            org_unit__kind__in=[OrgKind.FIELD_OFFICE, OrgKind.SERVICE_POINT],
        )
        .first()
    )
    return row.org_unit if row else None


def activation_query_receive(
    *, message_id: str, from_number: str, text: str, received_at: datetime | None = None
) -> ActivationQuery:
    """Record and answer one SMS. Idempotent on the gateway's message id: the row with the unique
    id is inserted first; a repeat (or a concurrent duplicate, which waits on the unique index)
    gets the stored query back with `.repeated = True`, with no second charge and no second SMS.

    A service point pays the fee from its prepaid balance (prepaid_post locks the account and
    refuses a charge the balance does not cover); a field office is not charged. The reply goes
    through the SMS outbox (queue_sms): sent after the commit, retried if the gateway fails."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                query = ActivationQuery.objects.create(
                    message_id=message_id,
                    from_number=from_number[:40],
                    text=text,
                    received_at=received_at or timezone.now(),
                )
        except IntegrityError:
            query = ActivationQuery.objects.get(message_id=message_id)
            query.repeated = True
            return query
        _answer(query)
        query.save()
        queue_sms(phone=query.from_number, text=query.reply, source=query, category="activation")
    query.repeated = False
    return query


def _answer(query: ActivationQuery) -> None:
    Outcome = ActivationOutcome
    unit = sender_of(query.from_number)
    query.sender = unit
    if unit is None:
        query.outcome = Outcome.UNKNOWN_SENDER
        query.reply = _(
            "本号码未登记为驻外办事处或特约维修网点的号码，无法查询激活码。请联系网点专员登记号码。"
        )
        return
    _recognised, serial = parse_query(query.text)
    query.serial_number = serial
    if not serial:
        query.outcome = Outcome.INCOMPLETE
        query.reply = _("查询内容不完整。请发送：JH 设备序列号（例如：JH SN20260001）。未扣费。")
        return
    _look_up_and_charge(query, unit)


def _look_up_and_charge(query: ActivationQuery, unit) -> ActivationCode | None:
    """The code of `query.serial_number` for `unit`, charged to a service point's prepaid balance
    (locked by prepaid_post: concurrent queries never take it below zero). Sets the query's
    outcome, fee, entry and reply; returns the code when it was answered."""
    Outcome = ActivationOutcome
    serial = query.serial_number
    code = ActivationCode.objects.filter(serial_number=serial).first()
    if code is None:
        query.outcome = Outcome.NO_SUCH_CODE
        query.reply = _("未找到设备 %(serial)s 的激活码，请核对序列号后重新发送。未扣费。") % {
            "serial": serial
        }
        return None
    if unit.kind == OrgKind.SERVICE_POINT:
        fee = activation_fee()
        query.save()  # its number is the ledger entry's reference
        try:
            entry = prepaid_post(
                org_unit=unit,
                kind=LedgerEntryKind.CHARGE,
                amount=fee,
                reference=query.number,
                note=_("激活码查询费 %(serial)s") % {"serial": serial},
            )
        except ValidationError as exc:
            # prepaid_post refuses an uncovered charge under "amount" (its code is lost in the
            # dict form); the kind and the unit are right here, and the fee is positive
            if "amount" not in getattr(exc, "error_dict", {}):
                raise
            balance = prepaid_balance(org_unit=unit)
            query.outcome = Outcome.INSUFFICIENT_BALANCE
            query.balance = balance
            query.reply = _(
                "预存款余额不足（余额 ¥%(balance)s，查询费 ¥%(fee)s），未回复激活码，未扣费。"
                "请先充值：向公司账户汇款后联系网点专员入账，到账后重新发送查询。"
            ) % {"balance": balance, "fee": fee}
            _tell_specialists(query, unit, balance, fee)
            return None
        query.fee = fee
        query.prepaid_entry = entry
        query.balance = entry.balance_after
        query.outcome = Outcome.ANSWERED
        query.reply = _(
            "设备 %(serial)s 的激活码：%(code)s（已扣查询费 ¥%(fee)s，余额 ¥%(balance)s）"
        ) % {"serial": serial, "code": code.code, "fee": fee, "balance": entry.balance_after}
        return code
    query.outcome = Outcome.ANSWERED
    query.reply = _("设备 %(serial)s 的激活码：%(code)s") % {"serial": serial, "code": code.code}
    return code


def activation_query_request(*, actor, serial_number: str) -> ActivationQuery:
    """A service point's query through the partner API: the same look-up and charge as an SMS
    (one row per call, every call recorded), answered in the response instead of by SMS.

    The caller must belong to an active service point (PermissionDenied otherwise); an empty
    serial is a ValidationError. The returned query carries `.code` (the ActivationCode when
    answered, else None) and `.balance` (the balance after the charge, or the balance that did
    not cover the fee). A retried request is the Idempotency-Key middleware's to answer once."""
    unit = service_point_of(actor)
    if unit is None:
        raise PermissionDenied(_("只有特约维修网点可以通过接口查询激活码"))
    serial = normalise_serial(serial_number)
    if not serial:
        raise ValidationError({"serial_number": _("请填写设备序列号")})
    with transaction.atomic():
        query = ActivationQuery.objects.create(
            message_id=f"api-{uuid.uuid4().hex}",
            channel=QueryChannel.API,
            requested_by=actor if getattr(actor, "pk", None) else None,
            from_number="",
            text=serial_number[:200],
            sender=unit,
            serial_number=serial,
            received_at=timezone.now(),
        )
        query.balance = None
        query.code = _look_up_and_charge(query, unit)
        query.save()
    return query


def _tell_specialists(query: ActivationQuery, unit, balance: Decimal, fee: Decimal) -> None:
    recipients = role_holders(Role.NETWORK_SPECIALIST, unit)
    if not recipients:
        return
    notify(
        recipients=recipients,
        subject=_("%(unit)s 预存款余额不足，请通知其充值") % {"unit": unit.name},
        body=_(
            "%(unit)s 查询设备 %(serial)s 的激活码，余额 ¥%(balance)s 不足查询费 ¥%(fee)s，"
            "未扣费、未回复激活码（%(number)s）。"
        )
        % {
            "unit": unit.name,
            "serial": query.serial_number,
            "balance": balance,
            "fee": fee,
            "number": query.number,
        },
        # the top-up page of the unit: the specialist records the transfer there once it arrives
        url=reverse("callcenter:prepaid_top_up", args=[unit.pk]),
        source=query,
    )
