"""A repair order's parts (issue 19, items 3 and 4): the technician names the parts while
diagnosing; each line is reserved in the workshop's warehouse (the headquarters parts
warehouse) or waits for stock. When the repair starts the reserved lines are issued; a line
still waiting puts the order on the waiting-for-parts hold (等配件) naming the part, and the
part's arrival (spareparts' hook `parts_stock_arrived`) reserves the waiting lines first
come first served and, once an order has all its parts, takes it off the hold and tells its
technician. A unit sent back unrepaired releases its reservations.

Prices: a paid line is charged at the catalogue's list price of the day it was added, through
the quote (its lines are added to the quote the technician raises); a warranty line is free
and its cost is the warranty claim's parts cost. A paid part found during the repair is added
then and charged by a supplementary quote (补充报价: the order goes repairing → quoting → waiting
for consent → repairing, the same steps and clocks as the first quote); a paid line is issued
only once the quote that carries it is consented. A unit given up after its parts were issued
returns them to the warehouse (退回入库, a ledger movement naming the order) unless a warranty
replacement was recorded on the line (that part stays fitted in the unit). Warranty is decided
per line (the order's decision by default; another decision needs a reason). A serialised part
replaced under warranty records the faulty and the new serial, and the faulty part is handed
in to the faulty stock (spareparts.services.faulty: the workshop hands it in at once).

Spareparts is called through its services; it never imports repairs. Every state change of a
line goes through run_transition, under the order's lock first, then the line's, then the
stock balance's (the same order everywhere, so no two of these deadlock)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition
from spareparts.models import Part
from spareparts.services.faulty import faulty_part_record, workshop_warehouse
from spareparts.services.stock import (
    InsufficientStock,
    stock_issue,
    stock_release,
    stock_reserve,
    stock_return,
)

from ..choices import OrderState, PartLineState, QuoteLineKind, QuoteState
from ..models import RepairOrder, RepairPartLine
from ..permissions import is_technician

SYSTEM = ActionChannel.SYSTEM
OPEN_LINE_STATES = (PartLineState.WAITING, PartLineState.RESERVED)
# A line may be added while diagnosing, repairing or waiting for parts; a paid one added once the
# repair started waits for a supplementary quote's consent before it is issued.
ADD_STATES = (OrderState.DIAGNOSING, OrderState.REPAIRING, OrderState.WAITING_PARTS)
MAX_QUANTITY = 99


def _lock_order(order_id: int) -> RepairOrder:
    return RepairOrder.objects.select_for_update().get(pk=order_id)


def _lines(order_id: int, *states):
    qs = RepairPartLine.objects.filter(order_id=order_id).select_related("part")
    return qs.filter(state__in=states) if states else qs


def _has_open_quote(order: RepairOrder) -> bool:
    return order.quotes.filter(
        state__in=[QuoteState.RAISED, QuoteState.SENT, QuoteState.CONSENTED]
    ).exists()


def _line_step(line_id: int, transition: str, actor, **kwargs) -> RepairPartLine:
    """A line follows its order's step: the order's permission was checked, the line's move is
    the system's (logged with the actor)."""
    return run_transition(
        RepairPartLine,
        line_id,
        transition=transition,
        actor=actor,
        channel=SYSTEM,
        kwargs=kwargs or None,
    )


def _try_reserve(line: RepairPartLine, actor) -> bool:
    """Reserve a waiting line's quantity; False (the line keeps waiting) when the stock does not
    cover it. The reservation and the line's move commit together or not at all."""
    try:
        with transaction.atomic():
            reservation = stock_reserve(
                part=line.part,
                warehouse=line.warehouse,
                quantity=line.quantity,
                actor=actor,
                reason=_("维修单 %(no)s") % {"no": line.order.number},
                source=line,
                channel=SYSTEM,
            )
            _line_step(line.pk, "reserve", actor, reservation=reservation)
    except InsufficientStock:
        return False
    return True


# --- the technician's lines ---------------------------------------------------------------------
@transaction.atomic
def part_line_add(
    *,
    order_id: int,
    actor,
    part: Part,
    quantity: int = 1,
    in_warranty: bool | None = None,
    warranty_note: str = "",
    channel=ActionChannel.WEB,
) -> RepairPartLine:
    """The technician names a part the repair needs. Reserved at once when the workshop's
    warehouse has it, else waiting for stock (a repairing unit then goes on the hold)."""
    if not is_technician(actor):
        raise PermissionDenied(_("只有技术员可以添加维修配件"))
    order = _lock_order(order_id)
    errors = {}
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = _("数量应在 1 到 %(n)s 之间") % {"n": MAX_QUANTITY}
    if not part.is_active:
        errors["part"] = _("配件已停用")
    default = order.is_free_repair()
    in_warranty = default if in_warranty is None else bool(in_warranty)
    warranty_note = (warranty_note or "").strip()[:200]
    if in_warranty != default and not warranty_note:
        errors["warranty_note"] = _("与维修单的保修判定不同，请写明原因")
    if order.state not in ADD_STATES:
        errors["part"] = _("%(no)s 当前状态为「%(s)s」，不能添加配件") % {
            "no": order.number,
            "s": order.get_state_display(),
        }
    elif "part" not in errors and "quantity" not in errors:
        twin = (
            _lines(order.pk, *OPEN_LINE_STATES)
            .filter(part=part, in_warranty=in_warranty, quote__isnull=True)
            .first()
        )
        if twin is not None:
            # the same part twice on one order is one line with its quantity: say so rather
            # than draw (and charge) it twice
            errors["part"] = _(
                "%(p)s 已在本单配件中（数量 %(q)s）：如需更多，请移除该行后按总数量重新添加"
            ) % {"p": part.number, "q": twin.quantity}
    warehouse = workshop_warehouse()
    if warehouse is None:
        errors["part"] = _("没有可用的总部配件仓")
    if errors:
        raise ValidationError(errors)
    line = RepairPartLine.objects.create(
        order=order,
        part=part,
        quantity=quantity,
        unit_price=part.list_price,
        unit_cost=part.cost,
        in_warranty=in_warranty,
        warranty_note=warranty_note if in_warranty != default else "",
        warehouse=warehouse,
        added_by=actor,
    )
    line.order = order
    _try_reserve(line, actor)
    follow_order(order, actor=actor, channel=channel)
    line.refresh_from_db()
    return line


@transaction.atomic
def part_line_remove(*, line_id: int, actor, channel=ActionChannel.WEB) -> RepairPartLine:
    """A part no longer needed (before it is issued): its reservation is released."""
    if not is_technician(actor):
        raise PermissionDenied(_("只有技术员可以移除维修配件"))
    line = RepairPartLine.objects.get(pk=line_id)
    order = _lock_order(line.order_id)
    line = _release(line.pk, actor, reason=_("维修单 %(no)s 移除配件") % {"no": order.number})
    follow_order(order, actor=actor, channel=channel)  # the last waiting line may be gone
    return line


def _release(line_id: int, actor, *, reason: str) -> RepairPartLine:
    line = RepairPartLine.objects.select_for_update().get(pk=line_id)
    if line.state == PartLineState.RESERVED and line.reservation_id:
        stock_release(
            reservation_id=line.reservation_id, actor=actor, reason=reason, channel=SYSTEM
        )
    return _line_step(line.pk, "release", actor)


@transaction.atomic
def part_line_set_warranty(*, line_id: int, actor, in_warranty: bool, note: str) -> RepairPartLine:
    """Warranty decided per line by the technician or the supervisor, with the reason. Not once a
    quote is out (the customer answers the quote as it was raised) nor on a released line."""
    if not is_technician(actor):
        raise PermissionDenied(_("只有技术员或维修主管可以更改配件的保修判定"))
    note = (note or "").strip()[:200]
    if not note:
        raise ValidationError({"note": _("请写明更改保修判定的原因")})
    line = RepairPartLine.objects.get(pk=line_id)
    order = _lock_order(line.order_id)
    line = RepairPartLine.objects.select_for_update().get(pk=line_id)
    if line.state == PartLineState.RELEASED:
        raise ValidationError({"in_warranty": _("该配件已释放")})
    if _has_open_quote(order) or line.quote_id:
        raise ValidationError({"in_warranty": _("已有报价，不能再更改配件的保修判定")})
    if not in_warranty and line.state == PartLineState.ISSUED:
        raise ValidationError({"in_warranty": _("配件已领用，不能再改为收费")})
    line.in_warranty = bool(in_warranty)
    line.warranty_note = note
    line.save(update_fields=["in_warranty", "warranty_note"])
    return line


@transaction.atomic
def part_line_record_serials(
    *, line_id: int, actor, faulty_serial: str, new_serial: str, handed_in: bool = True
) -> RepairPartLine:
    """The part replaced under warranty: the faulty part's serial and the new one's, once, and
    the faulty part owed back (旧件返还, spareparts' FaultyPartReturn). `handed_in`: the faulty
    part is handed in to the headquarters' faulty stock at once (the workshop's order page);
    otherwise (the field form, the part still in the engineer's hands) it is owed by the one who
    replaced it within the policy's working days."""
    if not is_technician(actor):
        raise PermissionDenied(_("只有技术员可以登记更换的序列号"))
    line = RepairPartLine.objects.get(pk=line_id)
    order = _lock_order(line.order_id)
    line = (
        RepairPartLine.objects.select_for_update()
        .select_related("part", "warehouse")
        .get(pk=line_id)
    )
    if line.state != PartLineState.ISSUED:
        raise ValidationError({"faulty_serial": _("配件领用后才能登记更换")})
    if not line.in_warranty:
        raise ValidationError({"faulty_serial": _("只有保修更换的配件登记旧件")})
    if line.faulty_serial:
        raise ValidationError({"faulty_serial": _("该配件已登记序列号")})
    line.order = order
    record = faulty_part_record(
        part=line.part,
        faulty_serial=faulty_serial,
        new_serial=new_serial,
        owed_by_unit=line.warehouse.org_unit,
        owed_by=actor,
        actor=actor,
        source=line,
        received_now=handed_in,
    )
    line.faulty_serial = record.faulty_serial
    line.new_serial = record.new_serial
    line.save(update_fields=["faulty_serial", "new_serial"])
    return line


# --- following the order's steps ----------------------------------------------------------------
def follow_order(order: RepairOrder, *, actor, channel=ActionChannel.WEB) -> None:
    """What the order's (new) state means for its parts, in the caller's transaction with the
    order locked: repairing → the reserved lines are issued and a line still waiting puts the
    order on the hold; back unrepaired → the open lines are released."""
    if order.state == OrderState.REPAIRING:
        for line in _lines(order.pk, PartLineState.RESERVED).filter(_MAY_ISSUE):
            locked = RepairPartLine.objects.select_for_update().get(pk=line.pk)
            if locked.state != PartLineState.RESERVED:
                continue
            stock_issue(
                reservation_id=locked.reservation_id,
                actor=actor,
                reason=_("维修单 %(no)s 开始维修") % {"no": order.number},
                channel=SYSTEM,
            )
            _line_step(locked.pk, "issue", actor)
        waiting = list(_lines(order.pk, PartLineState.WAITING).filter(_MAY_ISSUE))
        if waiting:
            from .orders import order_wait_for_parts

            order_wait_for_parts(
                order_id=order.pk,
                actor=actor,
                reason=waiting_reason(waiting),
                channel=SYSTEM,
            )
    elif order.state == OrderState.RETURN_UNREPAIRED:
        reason = _("维修单 %(no)s 不修退回") % {"no": order.number}
        for line in _lines(order.pk, *OPEN_LINE_STATES):
            _release(line.pk, actor, reason=reason)
        for line in _lines(order.pk, PartLineState.ISSUED).filter(faulty_serial=""):
            _return_to_stock(line.pk, actor, reason=reason)


def _return_to_stock(line_id: int, actor, *, reason: str) -> RepairPartLine:
    """An issued line of a unit going back unrepaired: the part goes back into the warehouse it
    came from (退回入库, naming the order and why) and the line is no longer billed."""
    line = (
        RepairPartLine.objects.select_for_update()
        .select_related("part", "warehouse")
        .get(pk=line_id)
    )
    if line.state != PartLineState.ISSUED:
        return line
    stock_return(
        part=line.part,
        warehouse=line.warehouse,
        quantity=line.quantity,
        actor=actor,
        reason=reason,
        source=line,
        channel=SYSTEM,
    )
    return _line_step(line.pk, "return_to_stock", actor)


def waiting_reason(lines) -> str:
    names = "、".join(f"{ln.part.number} {ln.part.name_zh} ×{ln.quantity}" for ln in lines)
    return (_("等待配件到货：%(parts)s") % {"parts": names})[:200]


def parts_stock_arrived(*, part_id: int, warehouse_id: int, actor=None, **_ignored) -> int:
    """Hook `parts_stock_arrived` (spareparts, on commit): the lines waiting for this part in this
    warehouse are reserved oldest first while the stock covers them (a later, smaller line never
    jumps the queue); an order on the hold whose every line is now reserved goes back to
    repairing (its lines issued) and its technician is told. Idempotent: only waiting lines are
    touched, each under its order's and its own lock. Returns how many lines were reserved."""
    waiting = list(
        RepairPartLine.objects.filter(
            part_id=part_id, warehouse_id=warehouse_id, state=PartLineState.WAITING
        )
        .order_by("id")
        .values_list("pk", "order_id")
    )
    reserved = 0
    for line_id, order_id in waiting:
        with transaction.atomic():
            order = _lock_order(order_id)
            line = (
                RepairPartLine.objects.select_for_update()
                .select_related("part", "warehouse")
                .get(pk=line_id)
            )
            if line.state != PartLineState.WAITING:
                continue
            line.order = order
            if not _try_reserve(line, actor):
                break  # first come first served: the next line waits behind this one
            reserved += 1
            _release_hold_if_complete(order, actor)
    return reserved


def _release_hold_if_complete(order: RepairOrder, actor) -> None:
    if order.state != OrderState.WAITING_PARTS:
        return
    if _lines(order.pk, PartLineState.WAITING).exists():
        return
    from .orders import order_parts_arrived

    order = order_parts_arrived(
        order_id=order.pk,
        actor=actor,
        comment=deferred(gettext_noop("配件已到货并预留")),
        channel=SYSTEM,
    )
    if order.technician_id:
        notify(
            recipients=[order.technician],
            subject=deferred(gettext_noop("配件已到，可继续维修：%(no)s"), no=order.number),
            url=order.get_absolute_url(),
            category="repair",
            source=order,
        )


# --- what the other steps ask -------------------------------------------------------------------
# a line that may be issued: free, or paid and consented through its quote
_MAY_ISSUE = Q(in_warranty=True) | Q(quote__state=QuoteState.CONSENTED)


def paid_lines_without_quote(order: RepairOrder) -> list[RepairPartLine]:
    """Open paid lines no consented quote carries: the customer must consent to them first."""
    return list(
        _lines(order.pk, *OPEN_LINE_STATES)
        .filter(in_warranty=False)
        .exclude(quote__state=QuoteState.CONSENTED)
    )


def unquoted_paid_lines(order_id: int):
    """Open paid lines not on any quote yet: the next quote (or a supplementary one) carries
    them."""
    return _lines(order_id, *OPEN_LINE_STATES).filter(in_warranty=False, quote__isnull=True)


def quote_lines_for(order_id: int) -> list:
    """The paid part lines not quoted yet as quote lines (增补配件费) at their price: what the
    customer consents to and the month-end statement bills."""
    from .orders import QuoteLineInput

    return [
        QuoteLineInput(
            kind=QuoteLineKind.PARTS,
            amount=line.amount,
            description=f"{line.part.number} {line.part.name_zh} ×{line.quantity}"[:120],
        )
        for line in unquoted_paid_lines(order_id)
    ]


def quote_attach_lines(order_id: int, quote) -> int:
    """The quote just raised carries the paid lines not quoted yet."""
    return unquoted_paid_lines(order_id).update(quote=quote)


def replacement_lines(order_id: int) -> list[RepairPartLine]:
    """The order's issued warranty lines (where a replacement is recorded), with their part."""
    return list(_lines(order_id, PartLineState.ISSUED).filter(in_warranty=True))


def missing_serials(order_id: int) -> list[RepairPartLine]:
    """Issued warranty lines of serialised parts whose serials are not recorded yet."""
    return list(
        _lines(order_id, PartLineState.ISSUED).filter(
            Q(faulty_serial="") | Q(new_serial=""), in_warranty=True, part__serialised=True
        )
    )


def parts_summary(lines) -> dict:
    """Totals of an order's lines (not released nor returned): charged, warranty claim's cost,
    all costs."""
    gone = (PartLineState.RELEASED, PartLineState.RETURNED)
    live = [ln for ln in lines if ln.state not in gone]
    return {
        "charged": sum((ln.charged for ln in live), Decimal(0)),
        "warranty_cost": sum((ln.cost for ln in live if ln.in_warranty), Decimal(0)),
        "cost": sum((ln.cost for ln in live), Decimal(0)),
    }
