"""Stock counts (盘点): open a sheet (a snapshot of the warehouse's on-hand quantities), enter the
counted quantities, submit, and the supervisor's approval writes the count adjustments.
Every state change through run_transition."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from service_ops.numbering.services import next_document_number
from service_ops.transitions.services import run_transition

from ..choices import CountState
from ..models import StockBalance, StockCount, StockCountLine, Warehouse
from ..permissions import may_operate
from .stock import locked_balance, stock_adjust

NUMBER_PREFIX = "PD"


def count_open(*, warehouse: Warehouse, actor, note: str = "") -> StockCount:
    """A new sheet with a line per part the warehouse holds, `expected` = its on-hand now."""
    if not may_operate(actor, warehouse):
        raise PermissionDenied(_("您不能盘点该仓库"))
    with transaction.atomic():
        if StockCount.objects.filter(
            warehouse=warehouse, state__in=[CountState.DRAFT, CountState.COUNTED]
        ).exists():
            raise ValidationError(_("该仓库已有未完成的盘点单"), code="open_count")
        count = StockCount.objects.create(
            number=next_document_number(NUMBER_PREFIX),
            warehouse=warehouse,
            note=(note or "")[:200],
            created_by=actor,
        )
        StockCountLine.objects.bulk_create(
            StockCountLine(count=count, part_id=part_id, expected=on_hand)
            for part_id, on_hand in StockBalance.objects.filter(warehouse=warehouse)
            .exclude(on_hand=0, reserved=0)
            .values_list("part_id", "on_hand")
        )
    return count


def count_enter(*, count_id: int, counted: dict[int, int | None], actor) -> StockCount:
    """Save the counted quantities ({line id: quantity or None}) of a sheet still being counted."""
    with transaction.atomic():
        count = StockCount.objects.select_for_update().select_related("warehouse").get(pk=count_id)
        if not may_operate(actor, count.warehouse):
            raise PermissionDenied(_("您不能盘点该仓库"))
        if count.state != CountState.DRAFT:
            raise ValidationError(_("盘点单已提交，不能再修改"), code="not_draft")
        lines = {line.pk: line for line in count.lines.all()}
        changed = []
        for line_id, quantity in counted.items():
            line = lines.get(line_id)
            if line is None:
                continue
            if quantity is not None and quantity < 0:
                raise ValidationError(_("实盘数量不能为负数"), code="negative")
            line.counted = quantity
            changed.append(line)
        StockCountLine.objects.bulk_update(changed, ["counted"])
    return count


def count_submit(*, count_id: int, actor) -> StockCount:
    def every_line_counted(instance):
        if instance.lines.filter(counted__isnull=True).exists():
            raise ValidationError(_("还有未填写实盘数量的配件"), code="incomplete")

    return run_transition(
        StockCount,
        count_id,
        transition="submit",
        actor=actor,
        kwargs={"actor": actor},
        before=every_line_counted,
    )


def count_approve(*, count_id: int, actor, comment: str = "") -> StockCount:
    """Approve: each line's difference (counted − the snapshot) is written as a count adjustment
    on the balance as it is now (stock that moved since the snapshot is kept). An adjustment that
    would take the balance below its reserved quantity refuses the whole approval."""
    with transaction.atomic():
        count = run_transition(
            StockCount,
            count_id,
            transition="approve",
            actor=actor,
            comment=comment,
            kwargs={"actor": actor},
        )
        reason = _("盘点 %(number)s") % {"number": count.number}
        for line in count.lines.order_by("part_id"):
            difference = line.counted - line.expected
            if difference:
                stock_adjust(
                    locked_balance(line.part_id, count.warehouse_id),
                    difference=difference,
                    actor=actor,
                    reason=reason,
                    source=count,
                )
    return count


def count_reject(*, count_id: int, actor, comment: str = "") -> StockCount:
    if not (comment or "").strip():
        raise ValidationError({"comment": [_("请填写驳回原因")]}, code="required")
    return run_transition(
        StockCount,
        count_id,
        transition="reject",
        actor=actor,
        comment=comment,
        kwargs={"actor": actor},
    )
