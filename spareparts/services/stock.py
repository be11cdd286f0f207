"""Writes of the stock ledger: every change is one or two StockMovement rows inserted in the same
transaction as the StockBalance they change, under that balance row's lock (select_for_update),
so on-hand, reserved and available never go below zero, also under concurrent requests: the
database's CheckConstraints back the checks here.

Keyword-only, with the actor's permission checked (spareparts.permissions). A refusal for want of
stock is `InsufficientStock` (a ValidationError: views show it on the form, the API answers 400);
no permission is PermissionDenied; a reservation no longer open is TransitionNotAllowed (409).

The ledger is append-only: nothing here updates or deletes a movement. Reservations change state
through run_transition (locked row, permission, django-fsm, transition log)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from service_ops import plugins
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import MovementKind, WarehouseKind
from ..models import Part, Reservation, StockBalance, StockMovement, Warehouse
from ..permissions import may_draw, may_operate


class InsufficientStock(ValidationError):
    """库存不足：可用 N — the balance does not cover the quantity asked for."""

    def __init__(self, available: int, *, field: str = "quantity"):
        self.available = available
        message = _("库存不足：可用 %(n)s") % {"n": available}
        super().__init__({field: [ValidationError(message, code="insufficient_stock")]})


def _positive(quantity) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValidationError({"quantity": [_("数量须为正整数")]}, code="quantity")
    return quantity


def _check(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _source(source: Model | None) -> dict:
    if source is None:
        return {}
    return {
        "source_type": ContentType.objects.get_for_model(source),
        "source_id": source.pk,
        "source_label": str(getattr(source, "number", "") or source)[:64],
    }


def locked_balance(part_id: int, warehouse_id: int) -> StockBalance:
    """The (part, warehouse) balance row, locked for this transaction. The row is created first
    when it does not exist; two requests creating it at once both end on the one row (the
    loser's INSERT fails on the unique constraint inside a savepoint and it reads the winner's)."""
    try:
        with transaction.atomic():
            StockBalance.objects.get_or_create(part_id=part_id, warehouse_id=warehouse_id)
    except IntegrityError:
        pass  # created concurrently, and committed: the lock below finds it
    return StockBalance.objects.select_for_update().get(part_id=part_id, warehouse_id=warehouse_id)


def _post(
    balance: StockBalance,
    *,
    kind: str,
    on_hand_change: int = 0,
    reserved_change: int = 0,
    actor,
    reason: str = "",
    source: Model | None = None,
    transfer_id=None,
    reservation: Reservation | None = None,
    now=None,
) -> StockMovement:
    """Apply one movement to a locked balance and record it. Refuses (InsufficientStock) what
    would take on-hand, reserved or available below zero."""
    on_hand = balance.on_hand + on_hand_change
    reserved = balance.reserved + reserved_change
    if on_hand < 0 or reserved < 0 or reserved > on_hand:
        raise InsufficientStock(balance.on_hand - balance.reserved)
    now = now or timezone.now()
    balance.on_hand, balance.reserved, balance.updated_at = on_hand, reserved, now
    balance.save(update_fields=["on_hand", "reserved", "updated_at"])
    return StockMovement.objects.create(
        part_id=balance.part_id,
        warehouse_id=balance.warehouse_id,
        kind=kind,
        on_hand_change=on_hand_change,
        reserved_change=reserved_change,
        on_hand_after=on_hand,
        reserved_after=reserved,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=(reason or "")[:200],
        transfer_id=transfer_id,
        reservation=reservation,
        created_at=now,
        **_source(source),
    )


def _active(part: Part, warehouse: Warehouse) -> None:
    if not warehouse.is_active:
        raise ValidationError({"warehouse": [_("仓库已停用")]}, code="inactive")
    if not part.is_active:
        raise ValidationError({"part": [_("配件已停用")]}, code="inactive")


def _tell_arrival(part_id: int, warehouse_id: int, actor) -> None:
    """Once committed, tell the apps waiting for this part in this warehouse (the repairs' part
    lines waiting for stock: hook `parts_stock_arrived`). Each answering app works idempotently
    under its own locks; spareparts does not know who waits. Robust: the stock movement is
    committed whatever a listener does (its failure is logged; the next arrival retries)."""

    def tell():
        plugins.call_hook(
            "parts_stock_arrived", part_id=part_id, warehouse_id=warehouse_id, actor=actor
        )

    transaction.on_commit(tell, robust=True)


# --- the movements ------------------------------------------------------------------------------


def stock_receive(
    *,
    part: Part,
    warehouse: Warehouse,
    quantity: int,
    actor,
    reason: str = "",
    source: Model | None = None,
) -> StockMovement:
    """入库: parts come in (a supplier's delivery, the factory's issue to the parts warehouse)."""
    quantity = _positive(quantity)
    _check(may_operate(actor, warehouse), _("您不能对该仓库入库"))
    _active(part, warehouse)
    with transaction.atomic():
        balance = locked_balance(part.pk, warehouse.pk)
        movement = _post(
            balance,
            kind=MovementKind.RECEIVE,
            on_hand_change=quantity,
            actor=actor,
            reason=reason,
            source=source,
        )
        _tell_arrival(part.pk, warehouse.pk, actor)
        return movement


def stock_reserve(
    *,
    part: Part,
    warehouse: Warehouse,
    quantity: int,
    actor,
    reason: str = "",
    source: Model | None = None,
    channel: str = ActionChannel.WEB,
) -> Reservation:
    """预留: set a quantity aside (a repair's part line). Refused when the available quantity
    (on hand − reserved) does not cover it; concurrent reservations queue on the balance's lock,
    so exactly as many succeed as the stock covers. `channel=SYSTEM`: made by the system for a
    line that waited for this stock (the arrival is the trigger, not the actor's own request)."""
    quantity = _positive(quantity)
    if channel != ActionChannel.SYSTEM:
        _check(may_draw(actor, warehouse), _("您不能从该仓库预留配件"))
    _active(part, warehouse)
    if warehouse.kind == WarehouseKind.FAULTY:
        raise ValidationError({"warehouse": [_("旧件仓的配件不能预留")]}, code="faulty")
    with transaction.atomic():
        balance = locked_balance(part.pk, warehouse.pk)
        if balance.on_hand - balance.reserved < quantity:
            raise InsufficientStock(balance.on_hand - balance.reserved)
        reservation = Reservation.objects.create(
            part=part,
            warehouse=warehouse,
            quantity=quantity,
            reserved_by=actor if getattr(actor, "is_authenticated", False) else None,
            reason=(reason or "")[:200],
            **{k: v for k, v in _source(source).items() if k != "source_label"},
        )
        _post(
            balance,
            kind=MovementKind.RESERVE,
            reserved_change=quantity,
            actor=actor,
            reason=reason,
            source=source,
            reservation=reservation,
        )
        return reservation


def _close_reservation(
    reservation_id: int,
    *,
    transition: str,
    actor,
    reason: str,
    kind: str,
    channel: str = ActionChannel.WEB,
):
    def apply(instance: Reservation) -> None:
        balance = locked_balance(instance.part_id, instance.warehouse_id)
        q = instance.quantity
        source = None
        if instance.source_type_id:
            source = instance.source_type.get_object_for_this_type(pk=instance.source_id)
        _post(
            balance,
            kind=kind,
            on_hand_change=-q if kind == MovementKind.ISSUE else 0,
            reserved_change=-q,
            actor=actor,
            reason=reason or instance.reason,
            source=source,
            reservation=instance,
        )

    with transaction.atomic():
        reservation = run_transition(
            Reservation,
            reservation_id,
            transition=transition,
            actor=actor,
            comment=reason,
            channel=channel,
        )
        apply(reservation)
        return reservation


def stock_release(
    *, reservation_id: int, actor, reason: str = "", channel: str = ActionChannel.WEB
) -> Reservation:
    """释放预留: the reserved quantity is available again (the repair no longer needs it).
    `channel=SYSTEM` when it follows from another service's step the actor was allowed (a repair
    sent back unrepaired on the customer's answer): the drawing permission is then not asked."""
    with transaction.atomic():
        reservation = _close_reservation(
            reservation_id,
            transition="release",
            actor=actor,
            reason=reason,
            kind=MovementKind.RELEASE,
            channel=channel,
        )
        _tell_arrival(reservation.part_id, reservation.warehouse_id, actor)
        return reservation


def stock_issue(
    *,
    actor,
    reservation_id: int | None = None,
    part: Part | None = None,
    warehouse: Warehouse | None = None,
    quantity: int | None = None,
    reason: str = "",
    source: Model | None = None,
    channel: str = ActionChannel.WEB,
) -> StockMovement | Reservation:
    """领用出库: parts leave the warehouse for a repair. From a reservation (`reservation_id`:
    its quantity leaves on-hand and reserved together; returns the issued reservation; `channel`
    as for stock_release) or straight from the available stock (`part`, `warehouse`,
    `quantity`; returns the movement)."""
    if reservation_id is not None:
        return _close_reservation(
            reservation_id,
            transition="issue",
            actor=actor,
            reason=reason,
            kind=MovementKind.ISSUE,
            channel=channel,
        )
    quantity = _positive(quantity)
    _check(may_draw(actor, warehouse), _("您不能从该仓库领用配件"))
    return _take(part, warehouse, quantity, MovementKind.ISSUE, actor, reason, source)


def _take(part, warehouse, quantity, kind, actor, reason, source=None, transfer_id=None):
    with transaction.atomic():
        balance = locked_balance(part.pk, warehouse.pk)
        if balance.on_hand - balance.reserved < quantity:
            raise InsufficientStock(balance.on_hand - balance.reserved)
        return _post(
            balance,
            kind=kind,
            on_hand_change=-quantity,
            actor=actor,
            reason=reason,
            source=source,
            transfer_id=transfer_id,
        )


@dataclass
class Transfer:
    transfer_id: uuid.UUID
    out: StockMovement
    into: StockMovement


def stock_transfer(
    *,
    part: Part,
    from_warehouse: Warehouse,
    to_warehouse: Warehouse,
    quantity: int,
    actor,
    reason: str = "",
) -> Transfer:
    """调拨: out of one warehouse and into another in one transaction, the pair sharing one
    transfer id. Only the available quantity moves (reserved parts stay). Both balances are
    locked in warehouse-id order, so two opposite transfers cannot deadlock."""
    quantity = _positive(quantity)
    if from_warehouse.pk == to_warehouse.pk:
        raise ValidationError({"to_warehouse": [_("调入仓库不能与调出仓库相同")]}, code="same")
    _check(may_operate(actor, from_warehouse), _("您不能从该仓库调出配件"))
    if not to_warehouse.is_active:
        raise ValidationError({"to_warehouse": [_("仓库已停用")]}, code="inactive")
    transfer_id = uuid.uuid4()
    with transaction.atomic():
        first, second = sorted([from_warehouse.pk, to_warehouse.pk])
        locked = {first: locked_balance(part.pk, first), second: locked_balance(part.pk, second)}
        out_balance, in_balance = locked[from_warehouse.pk], locked[to_warehouse.pk]
        if out_balance.on_hand - out_balance.reserved < quantity:
            raise InsufficientStock(out_balance.on_hand - out_balance.reserved)
        why = reason or _("调拨")
        out = _post(
            out_balance,
            kind=MovementKind.TRANSFER_OUT,
            on_hand_change=-quantity,
            actor=actor,
            reason=why,
            transfer_id=transfer_id,
        )
        into = _post(
            in_balance,
            kind=MovementKind.TRANSFER_IN,
            on_hand_change=quantity,
            actor=actor,
            reason=why,
            transfer_id=transfer_id,
        )
        _tell_arrival(part.pk, to_warehouse.pk, actor)
    return Transfer(transfer_id, out, into)


def stock_sell(
    *,
    part: Part,
    warehouse: Warehouse,
    quantity: int,
    actor,
    reason: str = "",
    source: Model | None = None,
) -> StockMovement:
    """销售出库: parts sold (to a dealer, on the quote of the next slice)."""
    quantity = _positive(quantity)
    _check(may_operate(actor, warehouse), _("您不能从该仓库销售出库"))
    return _take(part, warehouse, quantity, MovementKind.SALE, actor, reason, source)


def stock_return(
    *,
    part: Part,
    warehouse: Warehouse,
    quantity: int,
    actor,
    reason: str = "",
    source: Model | None = None,
    channel: str = ActionChannel.WEB,
) -> StockMovement:
    """退回入库: parts come back (issued and not used, a sale returned). `channel=SYSTEM` when it
    follows from another service's step the actor was allowed (a repair given up after its parts
    were issued): the drawing permission is then not asked."""
    quantity = _positive(quantity)
    if channel != ActionChannel.SYSTEM:
        _check(may_draw(actor, warehouse), _("您不能向该仓库退回配件"))
    with transaction.atomic():
        movement = _post(
            locked_balance(part.pk, warehouse.pk),
            kind=MovementKind.RETURN,
            on_hand_change=quantity,
            actor=actor,
            reason=reason,
            source=source,
        )
        _tell_arrival(part.pk, warehouse.pk, actor)
        return movement


def stock_scrap(
    *, part: Part, warehouse: Warehouse, quantity: int, actor, reason: str
) -> StockMovement:
    """报废: damaged parts written off; the reason is required."""
    quantity = _positive(quantity)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请填写报废原因")]}, code="required")
    _check(may_operate(actor, warehouse), _("您不能对该仓库报废配件"))
    return _take(part, warehouse, quantity, MovementKind.SCRAP, actor, reason)


def stock_adjust(
    balance: StockBalance, *, difference: int, actor, reason: str, source: Model
) -> StockMovement | None:
    """盘点调整 on a balance the caller holds locked (spareparts.services.counts)."""
    if difference == 0:
        return None
    return _post(
        balance,
        kind=MovementKind.COUNT_ADJUST,
        on_hand_change=difference,
        actor=actor,
        reason=reason,
        source=source,
    )
