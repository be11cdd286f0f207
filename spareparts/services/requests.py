"""Part requests (配件申请, 配件发放流程): a field office, service point or engineer asks the
headquarters parts warehouse for parts; the parts supervisor approves (quantities may be cut) or
rejects with a reason; the parts staff pick (the approved quantities are reserved in the
headquarters warehouse: not enough available refuses the pick and changes nothing) and ship (the
reserved parts leave headquarters: a transfer out, in transit); the requester receives them (the
transfer in, same transfer id). Every step through run_transition; the requester is told of each
step on commit; the approval and the dispatch run on the deadline engine (kind parts.request)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import Role
from network.selectors import role_holders
from service_ops.deadlines.services import close_open_deadlines_of, deadline_start
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import MovementKind, WarehouseKind
from ..models import Part, PartRequest, PartRequestLine, Reservation, Warehouse
from ..permissions import is_parts_staff, may_request_for
from .stock import InsufficientStock, _post, _tell_arrival, locked_balance, stock_reserve

NUMBER_PREFIX = "SQ"
APPROVAL_POLICY = "parts-request-approval"
DISPATCH_POLICY = "parts-request-dispatch"
MAX_LINES = 50


def hq_warehouse() -> Warehouse | None:
    """The headquarters parts warehouse requests are served from (the first active one)."""
    return Warehouse.objects.filter(kind=WarehouseKind.HQ, is_active=True).order_by("code").first()


def _clean_lines(lines) -> list[tuple[Part, int]]:
    """[(part, quantity)]: at least one, positive quantities, each part once, active parts."""
    cleaned: dict[int, tuple[Part, int]] = {}
    for part, quantity in lines:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise ValidationError({"lines": [_("数量须为正整数")]}, code="quantity")
        if not part.is_active:
            raise ValidationError({"lines": [_("配件已停用")]}, code="inactive")
        if part.pk in cleaned:
            raise ValidationError({"lines": [_("同一配件只能填写一行")]}, code="duplicate")
        cleaned[part.pk] = (part, quantity)
    if not cleaned:
        raise ValidationError({"lines": [_("请至少填写一种配件")]}, code="required")
    if len(cleaned) > MAX_LINES:
        raise ValidationError({"lines": [_("一张申请单最多 %(n)s 种配件") % {"n": MAX_LINES}]})
    return list(cleaned.values())


def _tell_requester(request: PartRequest, text: str, **kwargs) -> None:
    notify(
        recipients=[request.requested_by],
        subject=deferred(text, no=request.number, **kwargs),
        url=request.get_absolute_url(),
        category="parts",
        source=request,
    )


def _tell_parts_staff(request: PartRequest, roles, text: str) -> None:
    unit = request.source_warehouse.org_unit
    people = {u.pk: u for role in roles for u in role_holders(role, unit)}
    if people:
        notify(
            recipients=list(people.values()),
            subject=deferred(text, no=request.number, w=request.warehouse.name),
            url=request.get_absolute_url(),
            category="parts",
            source=request,
            action=True,
        )


def _start(request: PartRequest, policy: str, label: str, actor) -> None:
    deadline_start(
        policy=policy,
        owner=request,
        org_unit=request.source_warehouse.org_unit,
        actor=actor,
        label=deferred(label, no=request.number, w=request.warehouse.name),
    )


@transaction.atomic
def part_request_create(
    *, warehouse: Warehouse, lines, actor, note: str = "", channel: str = ActionChannel.WEB
) -> PartRequest:
    """配件申请: ask headquarters for parts for the actor's own warehouse."""
    if not may_request_for(actor, warehouse):
        raise PermissionDenied(_("您不能为该仓库申请配件"))
    if not warehouse.is_active:
        raise ValidationError({"warehouse": [_("仓库已停用")]}, code="inactive")
    cleaned = _clean_lines(lines)
    source = hq_warehouse()
    if source is None:
        raise ValidationError(_("没有总部配件仓，无法申请"), code="no_hq")
    request = PartRequest.objects.create(
        number=next_document_number(NUMBER_PREFIX),
        warehouse=warehouse,
        source_warehouse=source,
        note=(note or "")[:200],
        requested_by=actor,
    )
    PartRequestLine.objects.bulk_create(
        PartRequestLine(request=request, part=part, quantity=q) for part, q in cleaned
    )
    _start(request, APPROVAL_POLICY, gettext_noop("配件申请 %(no)s（%(w)s）待审批"), actor)
    _tell_parts_staff(
        request, (Role.PARTS_SUPERVISOR,), gettext_noop("配件申请待审批：%(no)s（%(w)s）")
    )
    return request


@transaction.atomic
def part_request_approve(
    *, request_id: int, actor, quantities: dict[int, int] | None = None, comment: str = ""
) -> PartRequest:
    """Approve, each line's quantity as asked or cut (`quantities`: {line id: approved}; 0
    drops the line, never more than asked; at least one line must remain)."""
    quantities = quantities or {}

    def check(instance: PartRequest) -> None:
        lines = list(instance.lines.all())
        granted = []
        for line in lines:
            q = quantities.get(line.pk, line.quantity)
            if not isinstance(q, int) or q < 0 or q > line.quantity:
                raise ValidationError(
                    {"quantities": [_("批准数量须在 0 与申请数量之间")]}, code="quantity"
                )
            line.approved_quantity = q
            granted.append(line)
        if not any(line.approved_quantity for line in granted):
            raise ValidationError(
                {"quantities": [_("至少批准一种配件；全部不批准请驳回")]}, code="nothing"
            )
        PartRequestLine.objects.bulk_update(granted, ["approved_quantity"])

    request = run_transition(
        PartRequest,
        request_id,
        transition="approve",
        actor=actor,
        comment=comment,
        kwargs={"actor": actor},
        before=check,
    )
    close_open_deadlines_of(request, actor=actor)
    _start(request, DISPATCH_POLICY, gettext_noop("配件申请 %(no)s（%(w)s）待备货发货"), actor)
    _tell_requester(request, gettext_noop("配件申请 %(no)s 已审批"))
    _tell_parts_staff(
        request,
        (Role.PARTS_CLERK, Role.PARTS_SUPERVISOR),
        gettext_noop("配件申请待备货：%(no)s（%(w)s）"),
    )
    return request


@transaction.atomic
def part_request_reject(*, request_id: int, actor, reason: str) -> PartRequest:
    """驳回 with a reason; nothing was reserved yet, so nothing else changes."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写驳回原因")]}, code="required")
    request = run_transition(
        PartRequest,
        request_id,
        transition="reject",
        actor=actor,
        comment=reason,
        kwargs={"actor": actor, "reason": reason},
    )
    close_open_deadlines_of(request, actor=actor)
    _tell_requester(request, gettext_noop("配件申请 %(no)s 已驳回：%(r)s"), r=reason[:80])
    return request


@transaction.atomic
def part_request_pick(*, request_id: int, actor) -> PartRequest:
    """备货: reserve every approved line in the headquarters warehouse. Not enough available of
    any part refuses the whole pick (InsufficientStock naming the part), nothing reserved."""
    if not is_parts_staff(actor):
        raise PermissionDenied(_("只有配件仓人员可以备货"))

    def reserve(instance: PartRequest) -> None:
        lines = list(
            instance.lines.filter(approved_quantity__gt=0)
            .select_related("part")
            .order_by("part_id")
        )
        for line in lines:
            try:
                line.reservation = stock_reserve(
                    part=line.part,
                    warehouse=instance.source_warehouse,
                    quantity=line.approved_quantity,
                    actor=actor,
                    reason=_("配件申请 %(no)s") % {"no": instance.number},
                    source=instance,
                )
            except InsufficientStock as exc:
                raise ValidationError(
                    _("%(part)s 库存不足：可用 %(n)s，需要 %(q)s")
                    % {"part": line.part.number, "n": exc.available, "q": line.approved_quantity},
                    code="insufficient_stock",
                ) from exc
        PartRequestLine.objects.bulk_update(lines, ["reservation"])

    request = run_transition(
        PartRequest, request_id, transition="pick", actor=actor, before=reserve
    )
    _tell_requester(request, gettext_noop("配件申请 %(no)s 已备货"))
    return request


@transaction.atomic
def part_request_ship(*, request_id: int, actor) -> PartRequest:
    """发货: the reserved parts leave headquarters (the reservation is closed as issued and a
    transfer-out movement takes on-hand and reserved down together); in transit until received."""

    def take_out(instance: PartRequest) -> None:
        lines = list(instance.lines.filter(reservation__isnull=False).order_by("part_id"))
        reason = _("配件申请 %(no)s 发货") % {"no": instance.number}
        for line in lines:
            reservation = run_transition(
                Reservation,
                line.reservation_id,
                transition="issue",
                actor=actor,
                comment=reason,
                channel=ActionChannel.SYSTEM,
            )
            _post(
                locked_balance(line.part_id, instance.source_warehouse_id),
                kind=MovementKind.TRANSFER_OUT,
                on_hand_change=-reservation.quantity,
                reserved_change=-reservation.quantity,
                actor=actor,
                reason=reason,
                source=instance,
                transfer_id=instance.transfer_id,
                reservation=reservation,
            )

    request = run_transition(
        PartRequest, request_id, transition="ship", actor=actor, before=take_out
    )
    close_open_deadlines_of(request, actor=actor)
    _tell_requester(request, gettext_noop("配件申请 %(no)s 已发货，请收货"))
    return request


@transaction.atomic
def part_request_receive(*, request_id: int, actor) -> PartRequest:
    """收货: the shipped parts go into the requesting warehouse (transfer in, same transfer id)."""

    def put_in(instance: PartRequest) -> None:
        reason = _("配件申请 %(no)s 收货") % {"no": instance.number}
        for line in (
            instance.lines.filter(reservation__isnull=False)
            .select_related("reservation")
            .order_by("part_id")
        ):
            _post(
                locked_balance(line.part_id, instance.warehouse_id),
                kind=MovementKind.TRANSFER_IN,
                on_hand_change=line.reservation.quantity,
                actor=actor,
                reason=reason,
                source=instance,
                transfer_id=instance.transfer_id,
            )
            _tell_arrival(line.part_id, instance.warehouse_id, actor)

    request = run_transition(
        PartRequest, request_id, transition="receive", actor=actor, before=put_in
    )
    _tell_requester(request, gettext_noop("配件申请 %(no)s 已收货"))
    return request
