"""Collections (收款, issue 22 item 3): every change of a receivable, payment or transfer (划账).

Each function locks the rows it changes (`select_for_update`, receivables in primary-key order
so two payments never deadlock), checks the actor, runs the transition through run_transition
(transition log), and notifies through the outbox (rows in the same transaction, sent on
commit). Amounts are Decimal with two places; nothing is rounded silently.

- `receivable_for_statement` — called by statement_confirm inside its transaction: the
  statement and its receivable commit together, and the one-to-one column makes it exactly once
  (a second call returns the same row).
- `receivable_for_parts_quote` — a parts quote invoiced on account (spareparts' record_invoice,
  heard through django-fsm's post_transition signal: spareparts never imports repairs).
- `payment_record`, `payment_reverse`, `receivable_write_off` — finance.
- `transfer_propose` (the dispatcher), `transfer_confirm` / `transfer_reject` (finance);
  `transfer_from_statement` — the statement's own 划账 record proposes one.
- The due-date timer (deadline kind `collection.due`, repairs/plugin.py): started with the
  receivable, closed when it is paid or written off, started again when a reversal reopens it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import OrgKind, Role
from network.models import OrgUnit
from network.selectors import role_holders, role_holders_map
from service_ops.deadlines.services import close_open_deadlines_of, deadline_start
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition
from service_ops.workcalendar import clock

from ..choices import (
    RECEIVABLE_OPEN_STATES,
    PaymentMethod,
    PaymentState,
    ReceivableSource,
    ReceivableState,
    StatementState,
    TransferState,
)
from ..models.collections import (
    CollectionPolicy,
    Payment,
    PaymentAllocation,
    Receivable,
    Transfer,
)
from ..permissions import may_collect, may_propose_transfer

DUE_KIND = "collection.due"
DUE_POLICY = "collection-due"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


# --- helpers -------------------------------------------------------------------------------------


def branch_of(unit: OrgUnit) -> OrgUnit:
    """The branch a partner belongs to (a branch is its own); a unit under no branch counts
    for itself."""
    if unit.kind == OrgKind.BRANCH:
        return unit
    return unit.nearest(OrgKind.BRANCH) or unit


def partner_people(units: Iterable[OrgUnit]) -> dict[int, list]:
    """{unit id: the people who speak for it}: a dealer's or point's staff, a branch's manager."""
    role_of = {
        OrgKind.DEALER: Role.DEALER_STAFF,
        OrgKind.SERVICE_POINT: Role.SERVICE_POINT_STAFF,
    }
    pairs = {(role_of.get(u.kind, Role.BRANCH_MANAGER), u) for u in units}
    found = role_holders_map(pairs)
    return {u.pk: found.get((role, u.pk), []) for role, u in pairs}


def due_moment(due_on: date) -> datetime:
    """A receivable is past due from the first moment of the day after its due date."""
    return clock.at_local(due_on + timedelta(days=1), time.min)


def _money_errors(amount: Decimal | None, field: str = "amount") -> dict[str, str]:
    if amount is None:
        return {field: _("请填写金额")}
    if amount <= 0:
        return {field: _("金额必须大于零")}
    if amount != amount.quantize(CENT):
        return {field: _("金额最多两位小数")}
    return {}


def _start_due_timer(receivable: Receivable, *, actor=None) -> None:
    """The timer runs from the receivable's creation to the first moment past its due date
    (calendar hours; the policy's margin warns the partner before)."""
    started = receivable.created_at
    hours = (due_moment(receivable.due_on) - started).total_seconds() / 3600
    deadline_start(
        policy=DUE_POLICY,
        owner=receivable,
        org_unit=receivable.partner,
        started_at=started,
        limit=max(Decimal(str(round(hours, 2))), CENT),
        label=deferred(
            gettext_noop("应收款 %(no)s 到期收款：%(p)s ¥%(a)s"),
            no=receivable.number,
            p=receivable.partner.name,
            a=receivable.amount,
        ),
        actor=actor,
    )


def _create_receivable(*, source, partner, amount, description, actor, **link) -> Receivable:
    policy = CollectionPolicy.current()
    issued_on = timezone.localdate()
    receivable = Receivable.objects.create(
        number=next_document_number("AR"),
        partner=partner,
        branch=branch_of(partner),
        source=source,
        description=description[:200],
        amount=amount,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=policy.terms_for(source)),
        **link,
    )
    _start_due_timer(receivable, actor=actor)
    people = partner_people([partner]).get(partner.pk, [])
    notify(
        recipients=people,
        subject=deferred(
            gettext_noop("应收款 %(no)s：¥%(a)s，到期日 %(d)s"),
            no=receivable.number,
            a=receivable.amount,
            d=receivable.due_on.isoformat(),
        ),
        url=receivable.get_absolute_url(),
        category="collection",
        source=receivable,
    )
    return receivable


# --- receivables ---------------------------------------------------------------------------------


@transaction.atomic
def receivable_for_statement(*, statement, actor=None) -> Receivable | None:
    """The receivable of a confirmed month-end statement, created once (the one-to-one column
    holds it; a second call returns the same row). A statement of ¥0 bills nothing: None."""
    from ..models import MonthlyStatement

    locked = (
        MonthlyStatement.objects.select_for_update().select_related("branch").get(pk=statement.pk)
    )
    existing = Receivable.objects.filter(statement=locked).first()
    if existing is not None or locked.total <= 0 or locked.state == StatementState.DRAFT:
        return existing
    return _create_receivable(
        source=ReceivableSource.STATEMENT,
        partner=locked.branch,
        amount=locked.total,
        description=f"{locked.month:%Y-%m}",
        actor=actor,
        statement=locked,
    )


@transaction.atomic
def receivable_for_parts_quote(*, quote, actor=None) -> Receivable | None:
    """The receivable of a dealer's parts quote invoiced on account (已开票), once."""
    existing = Receivable.objects.filter(parts_quote_id=quote.pk).first()
    if existing is not None or quote.total <= 0:
        return existing
    dealer = OrgUnit.objects.get(pk=quote.dealer_id)
    description = quote.number
    if quote.settlement_reference:
        description += f" / {quote.settlement_reference}"
    return _create_receivable(
        source=ReceivableSource.PARTS_SALE,
        partner=dealer,
        amount=quote.total,
        description=description,
        actor=actor,
        parts_quote_id=quote.pk,
    )


def on_quote_transition(sender, instance, name, source, target, **kwargs) -> None:
    """django-fsm post_transition (inside run_transition's transaction, before the save): a
    parts quote invoiced on account becomes the dealer's receivable."""
    from spareparts.choices import QuoteState

    if target == QuoteState.INVOICED and instance.pk:
        receivable_for_parts_quote(quote=instance)


@transaction.atomic
def receivable_write_off(
    *, receivable_id: int, actor, reason: str, channel=ActionChannel.WEB
) -> Receivable:
    """Finance writes the remaining balance off (坏账核销), with the reason."""
    if not may_collect(actor):
        raise PermissionDenied(_("只有财务可以核销应收款"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写核销原因")})
    receivable = run_transition(
        Receivable,
        receivable_id,
        transition="write_off",
        actor=actor,
        channel=channel,
        comment=reason,
        kwargs={"actor": actor, "reason": reason},
    )
    close_open_deadlines_of(receivable, actor=actor)
    return receivable


# --- payments ------------------------------------------------------------------------------------


def payment_input_errors(
    *, amount: Decimal | None, received_on: date | None, reference: str, method: str
) -> dict[str, str]:
    errors = _money_errors(amount)
    if received_on is None:
        errors["received_on"] = _("请填写收款日期")
    elif received_on > timezone.localdate():
        errors["received_on"] = _("收款日期不能晚于今天")
    if not (reference or "").strip():
        errors["reference"] = _("请填写凭证号")
    if method not in PaymentMethod.values or method == PaymentMethod.DISPATCH:
        errors["method"] = _("请选择收款方式（划账由销售调度员提出、财务确认）")
    return errors


def oldest_first(receivables: list[Receivable], amount: Decimal) -> list[tuple[int, Decimal]]:
    """Allocate `amount` to the receivables by due date, oldest first (what is left over, if
    any, stays unallocated: the caller refuses it)."""
    left = amount
    result = []
    for r in sorted(receivables, key=lambda r: (r.due_on, r.pk)):
        if left <= 0:
            break
        take = min(left, r.balance)
        if take > 0:
            result.append((r.pk, take))
            left -= take
    return result


def _lock_open(partner_id: int, ids: Iterable[int]) -> dict[int, Receivable]:
    return {
        r.pk: r
        for r in Receivable.objects.select_for_update()
        .filter(pk__in=sorted(set(ids)), partner_id=partner_id, state__in=RECEIVABLE_OPEN_STATES)
        .order_by("pk")
    }


def _apply(payment: Payment, allocations, locked, *, actor, channel) -> None:
    PaymentAllocation.objects.bulk_create(
        [PaymentAllocation(payment=payment, receivable_id=pk, amount=a) for pk, a in allocations]
    )
    for pk, part in allocations:
        receivable = run_transition(
            Receivable,
            pk,
            transition="apply_payment",
            actor=actor,
            channel=channel,
            comment=f"{payment.number} ¥{part}",
            kwargs={"amount": part},
        )
        if receivable.state == ReceivableState.PAID:
            close_open_deadlines_of(receivable, actor=actor)


@transaction.atomic
def payment_record(
    *,
    partner_id: int,
    actor,
    amount: Decimal | None,
    received_on: date | None,
    reference: str,
    method: str = PaymentMethod.BANK,
    note: str = "",
    allocations: list[tuple[int, Decimal]] | None = None,
    channel=ActionChannel.WEB,
    _transfer: Transfer | None = None,
) -> Payment:
    """Finance records a payment from a partner and allocates all of it to the partner's open
    receivables: the given (receivable id, amount) pairs, or oldest due first when none are
    given. An allocation over a receivable's balance, to another partner's receivable or to one
    no longer open, and a payment larger than what it is allocated to, are refused."""
    if not may_collect(actor):
        raise PermissionDenied(_("只有财务可以登记收款"))
    reference = (reference or "").strip()
    note = (note or "").strip()
    if _transfer is None:
        errors = payment_input_errors(
            amount=amount, received_on=received_on, reference=reference, method=method
        )
        if errors:
            raise ValidationError(errors)
    given = [(int(pk), Decimal(a)) for pk, a in (allocations or []) if a]
    for _pk, a in given:
        if a <= 0 or a != a.quantize(CENT):
            raise ValidationError({"allocations": _("每笔分配金额须大于零且最多两位小数")})
    if given and len({pk for pk, _a in given}) != len(given):
        raise ValidationError({"allocations": _("同一张应收款只能分配一次")})
    open_ids = (
        [pk for pk, _a in given]
        if given
        else Receivable.objects.filter(partner_id=partner_id, state__in=RECEIVABLE_OPEN_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    locked = _lock_open(partner_id, open_ids)
    if not given:
        given = oldest_first(list(locked.values()), amount)
    errors: dict[str, str] = {}
    for pk, a in given:
        r = locked.get(pk)
        if r is None:
            errors["allocations"] = _("应收款不存在、不属于该单位或已结清")
        elif a > r.balance:
            errors["allocations"] = _("分配金额 ¥%(a)s 超过应收款 %(no)s 的余额 ¥%(b)s") % {
                "a": a,
                "no": r.number,
                "b": r.balance,
            }
    allocated = sum((a for _pk, a in given), ZERO)
    if not errors and allocated != amount:
        if allocated < amount:
            errors["amount"] = _(
                "收款金额 ¥%(a)s 超过可分配的应收余额 ¥%(x)s：不接受预收款，请核对金额"
            ) % {"a": amount, "x": allocated}
        else:
            errors["allocations"] = _("分配合计 ¥%(x)s 与收款金额 ¥%(a)s 不符") % {
                "x": allocated,
                "a": amount,
            }
    if errors:
        raise ValidationError(errors)
    partner = OrgUnit.objects.get(pk=partner_id)
    payment = Payment.objects.create(
        number=next_document_number("RC"),
        partner=partner,
        branch=branch_of(partner),
        method=method,
        amount=amount,
        received_on=received_on,
        reference=reference,
        note=note[:200],
        recorded_by=actor,
    )
    _apply(payment, given, locked, actor=actor, channel=channel)
    notify(
        recipients=partner_people([partner]).get(partner.pk, []),
        subject=deferred(
            gettext_noop("已收到货款 ¥%(a)s（%(no)s，凭证号 %(r)s）"),
            a=amount,
            no=payment.number,
            r=reference,
        ),
        url=payment.get_absolute_url(),
        category="collection",
        source=payment,
    )
    return payment


@transaction.atomic
def payment_reverse(*, payment_id: int, actor, reason: str, channel=ActionChannel.WEB) -> Payment:
    """Finance reverses a payment (冲销, e.g. a bounced bill): its allocations are given back and
    the receivables reopen (their due timers start again). A payment on a receivable since
    written off cannot be reversed (409)."""
    if not may_collect(actor):
        raise PermissionDenied(_("只有财务可以冲销收款"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写冲销原因")})
    parts = list(
        PaymentAllocation.objects.filter(payment_id=payment_id).values_list(
            "receivable_id", "amount"
        )
    )
    locked = {
        r.pk: r
        for r in Receivable.objects.select_for_update()
        .filter(pk__in=sorted(pk for pk, _a in parts))
        .order_by("pk")
    }

    def recheck(p: Payment) -> None:
        if p.state == PaymentState.RECORDED and any(
            r.state == ReceivableState.WRITTEN_OFF for r in locked.values()
        ):
            raise ValidationError({"reason": _("所分配的应收款已核销，不能冲销此收款")})

    payment = run_transition(
        Payment,
        payment_id,
        transition="reverse",
        actor=actor,
        channel=channel,
        comment=reason,
        before=recheck,
        kwargs={"actor": actor, "reason": reason},
    )
    for pk, part in sorted(parts):
        was_paid = locked[pk].state == ReceivableState.PAID
        receivable = run_transition(
            Receivable,
            pk,
            transition="reverse_payment",
            actor=actor,
            channel=channel,
            comment=f"{payment.number} −¥{part}: {reason}",
            kwargs={"amount": part},
        )
        if was_paid:
            _start_due_timer(receivable, actor=actor)
    return payment


# --- transfers through sales dispatch (划账) -----------------------------------------------------


def _pending_transfers(receivable_id: int, *, excluding: int | None = None) -> Decimal:
    qs = Transfer.objects.filter(receivable_id=receivable_id, state=TransferState.PROPOSED)
    if excluding:
        qs = qs.exclude(pk=excluding)
    return sum(qs.values_list("amount", flat=True), ZERO)


@transaction.atomic
def transfer_propose(
    *,
    receivable_id: int,
    actor,
    amount: Decimal | None,
    settled_on: date | None,
    reference: str,
    note: str = "",
    channel=ActionChannel.WEB,
    check_permission: bool = True,
) -> Transfer:
    """The dispatcher proposes the transfer agreed with finance against one open receivable:
    amount (at most the balance not already proposed), date, voucher number. Finance is asked
    to confirm it."""
    receivable = (
        Receivable.objects.select_for_update()
        .select_related("branch", "partner")
        .get(pk=receivable_id)
    )
    if check_permission and not may_propose_transfer(actor, receivable):
        raise PermissionDenied(_("只有负责该分公司的销售调度员可以提出划账"))
    reference = (reference or "").strip()
    note = (note or "").strip()
    errors = _money_errors(amount)
    if settled_on is None:
        errors["settled_on"] = _("请填写划账日期")
    elif settled_on > timezone.localdate():
        errors["settled_on"] = _("划账日期不能晚于今天")
    if not reference:
        errors["reference"] = _("请填写划账凭证号")
    if receivable.state not in RECEIVABLE_OPEN_STATES:
        errors["amount"] = _("该应收款已结清或已核销")
    elif not errors.get("amount"):
        room = receivable.balance - _pending_transfers(receivable.pk)
        if amount > room:
            errors["amount"] = _("划账金额超过应收余额（扣除待确认划账后为 ¥%(b)s）") % {"b": room}
    if errors:
        raise ValidationError(errors)
    transfer = Transfer.objects.create(
        number=next_document_number("HZ"),
        receivable=receivable,
        partner=receivable.partner,
        branch=receivable.branch,
        amount=amount,
        settled_on=settled_on,
        reference=reference,
        note=note[:200],
        proposed_by=actor,
    )
    notify(
        recipients=role_holders(Role.FINANCE, receivable.branch),
        subject=deferred(
            gettext_noop("划账待确认：%(p)s ¥%(a)s（%(no)s，调度凭证 %(r)s）"),
            p=receivable.partner.name,
            a=amount,
            no=receivable.number,
            r=reference,
        ),
        url=receivable.get_absolute_url(),
        category="collection",
        source=transfer,
        action=True,
    )
    return transfer


def transfer_from_statement(*, statement, actor) -> Transfer | None:
    """The dispatcher's 划账 record on a statement (statement_settle) proposes the same transfer
    against the statement's receivable, for finance to confirm: at most its open balance (a
    larger transfer's difference is in the statement's note)."""
    receivable = Receivable.objects.filter(statement_id=statement.pk).first()
    if receivable is None or receivable.state not in RECEIVABLE_OPEN_STATES:
        return None
    room = receivable.balance - _pending_transfers(receivable.pk)
    amount = min(statement.settled_amount or ZERO, room)
    if amount <= 0:
        return None
    return transfer_propose(
        receivable_id=receivable.pk,
        actor=actor,
        amount=amount,
        settled_on=statement.settled_on,
        reference=statement.settlement_reference,
        note=statement.settlement_note,
        check_permission=False,  # statement_settle checked the dispatcher
    )


@transaction.atomic
def transfer_confirm(*, transfer_id: int, actor, channel=ActionChannel.WEB) -> Transfer:
    """Finance confirms a proposed transfer: a payment of method 划账 with the dispatcher's
    reference and date, allocated to the receivable."""
    if not may_collect(actor):
        raise PermissionDenied(_("只有财务可以确认划账"))
    transfer = Transfer.objects.select_for_update().get(pk=transfer_id)
    if transfer.state != TransferState.PROPOSED:
        # let the transition refuse it (409 with the allowed actions)
        return run_transition(
            Transfer, transfer_id, transition="confirm", actor=actor, kwargs={}, channel=channel
        )
    payment = payment_record(
        partner_id=transfer.partner_id,
        actor=actor,
        amount=transfer.amount,
        received_on=transfer.settled_on,
        reference=transfer.reference,
        method=PaymentMethod.DISPATCH,
        note=_("划账 %(no)s") % {"no": transfer.number},
        allocations=[(transfer.receivable_id, transfer.amount)],
        channel=channel,
        _transfer=transfer,
    )
    transfer = run_transition(
        Transfer,
        transfer_id,
        transition="confirm",
        actor=actor,
        channel=channel,
        comment=payment.number,
        kwargs={"actor": actor, "payment": payment},
    )
    notify(
        recipients=[transfer.proposed_by],
        subject=deferred(
            gettext_noop("划账 %(no)s 已由财务确认入账 ¥%(a)s"),
            no=transfer.number,
            a=transfer.amount,
        ),
        url=transfer.get_absolute_url(),
        category="collection",
        source=transfer,
    )
    return transfer


@transaction.atomic
def transfer_reject(*, transfer_id: int, actor, reason: str, channel=ActionChannel.WEB) -> Transfer:
    if not may_collect(actor):
        raise PermissionDenied(_("只有财务可以退回划账"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因")})
    transfer = run_transition(
        Transfer,
        transfer_id,
        transition="reject",
        actor=actor,
        channel=channel,
        comment=reason,
        kwargs={"actor": actor, "reason": reason},
    )
    notify(
        recipients=[transfer.proposed_by],
        subject=deferred(
            gettext_noop("划账 %(no)s 被财务退回：%(r)s"), no=transfer.number, r=reason
        ),
        url=transfer.get_absolute_url(),
        category="collection",
        source=transfer,
    )
    return transfer


# --- the due-date timer --------------------------------------------------------------------------


class DueHandler:
    """Deadline kind collection.due: the warning and the breach also go to the partner's own
    people (dealer staff, or the branch manager of a branch's receivable); the escalations
    follow the policy's chain (finance, then the branch manager, then the head of CS)."""

    def on_fired(self, actions) -> None:
        from service_ops.deadlines.timing import BREACH, WARNING

        told = [a for a in actions if a.level in (WARNING, BREACH) and a.org_unit_id]
        if not told:
            return
        units = OrgUnit.objects.in_bulk({a.org_unit_id for a in told})
        people = partner_people(units.values())
        for a in told:
            a.extra_recipient_ids.extend(u.pk for u in people.get(a.org_unit_id, []))


DUE_HANDLER = DueHandler()
