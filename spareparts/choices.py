"""Named choices of the spare parts (配件): warehouse kinds, ledger movement kinds with their effect
on a balance, reservation and stock-count states, and the availability level partners see."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WarehouseKind(models.TextChoices):
    HQ = "hq", _("总部配件仓")
    FIELD_OFFICE = "field_office", _("办事处仓")
    SERVICE_POINT = "service_point", _("网点仓")
    ENGINEER = "engineer", _("工程师自有库存")
    # faulty parts (旧件) returned from warranty replacements: never reserved or issued
    FAULTY = "faulty", _("旧件仓")


class MovementKind(models.TextChoices):
    RECEIVE = "receive", _("入库")
    RESERVE = "reserve", _("预留")
    RELEASE = "release", _("释放预留")
    ISSUE = "issue", _("领用出库")
    TRANSFER_OUT = "transfer_out", _("调出")
    TRANSFER_IN = "transfer_in", _("调入")
    SALE = "sale", _("销售出库")
    RETURN = "return", _("退回入库")
    SCRAP = "scrap", _("报废")
    COUNT_ADJUST = "count_adjust", _("盘点调整")


# How each kind moves a balance: (sign of the on-hand change, sign of the reserved change).
# 0 means "never changes it"; None "either way" (a count adjustment goes up or down; an issue or a
# sale may come out of a reservation, taking the reserved quantity down with the on-hand one).
EFFECT: dict[str, tuple[int | None, int | None]] = {
    MovementKind.RECEIVE: (1, 0),
    MovementKind.RESERVE: (0, 1),
    MovementKind.RELEASE: (0, -1),
    MovementKind.ISSUE: (-1, None),
    MovementKind.TRANSFER_OUT: (-1, 0),
    MovementKind.TRANSFER_IN: (1, 0),
    MovementKind.SALE: (-1, None),
    MovementKind.RETURN: (1, 0),
    MovementKind.SCRAP: (-1, 0),
    MovementKind.COUNT_ADJUST: (None, 0),
}

COLOURS = {
    MovementKind.RECEIVE: "success",
    MovementKind.TRANSFER_IN: "success",
    MovementKind.RETURN: "success",
    MovementKind.RESERVE: "warning",
    MovementKind.RELEASE: "secondary",
    MovementKind.ISSUE: "primary",
    MovementKind.TRANSFER_OUT: "primary",
    MovementKind.SALE: "primary",
    MovementKind.SCRAP: "danger",
    MovementKind.COUNT_ADJUST: "info",
}


class ReservationState(models.TextChoices):
    RESERVED = "reserved", _("已预留")
    ISSUED = "issued", _("已出库")
    RELEASED = "released", _("已释放")


class CountState(models.TextChoices):
    DRAFT = "draft", _("盘点中")
    COUNTED = "counted", _("待审批")
    APPROVED = "approved", _("已审批")
    REJECTED = "rejected", _("已驳回")


COUNT_COLOURS = {
    CountState.DRAFT: "secondary",
    CountState.COUNTED: "warning",
    CountState.APPROVED: "success",
    CountState.REJECTED: "danger",
}


class Availability(models.TextChoices):
    """What a partner (or anyone outside headquarters) sees of the headquarters warehouse: a level,
    never the figures (seed 000 gives the quotes of parts to dealers to headquarters' staff
    (代理商购配件的报价); nothing says partners see its counts)."""

    IN_STOCK = "in_stock", _("有货")
    LOW = "low", _("库存紧张")
    OUT = "out", _("缺货")


AVAILABILITY_COLOURS = {
    Availability.IN_STOCK: "success",
    Availability.LOW: "warning",
    Availability.OUT: "danger",
}


def availability_of(available: int, reorder_level: int) -> str:
    if available <= 0:
        return Availability.OUT
    if available <= reorder_level:
        return Availability.LOW
    return Availability.IN_STOCK


class FaultyState(models.TextChoices):
    """A faulty part (旧件) replaced under warranty: owed back → received | written off."""

    OWED = "owed", _("待返还")
    RECEIVED = "received", _("已返还")
    WRITTEN_OFF = "written_off", _("已核销")


FAULTY_COLOURS = {
    FaultyState.OWED: "warning",
    FaultyState.RECEIVED: "success",
    FaultyState.WRITTEN_OFF: "secondary",
}


class RequestState(models.TextChoices):
    """A part request (配件申请) from a field office, a service point or an engineer to the
    headquarters parts warehouse: requested → approved → picked → shipped → received, or
    rejected (from requested or approved)."""

    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已审批")
    PICKED = "picked", _("已备货")
    SHIPPED = "shipped", _("已发货")
    RECEIVED = "received", _("已收货")
    REJECTED = "rejected", _("已驳回")


REQUEST_COLOURS = {
    RequestState.REQUESTED: "warning",
    RequestState.APPROVED: "info",
    RequestState.PICKED: "primary",
    RequestState.SHIPPED: "primary",
    RequestState.RECEIVED: "success",
    RequestState.REJECTED: "danger",
}
REQUEST_OPEN = (
    RequestState.REQUESTED,
    RequestState.APPROVED,
    RequestState.PICKED,
    RequestState.SHIPPED,
)


class QuoteState(models.TextChoices):
    """A dealer's purchase of parts (代理商购配件): asked → quoted → accepted → paid | invoiced →
    shipped; declined (by the dealer, or the parts staff before quoting) or expired (not accepted
    within its validity)."""

    ASKED = "asked", _("待报价")
    QUOTED = "quoted", _("已报价")
    ACCEPTED = "accepted", _("已接受")
    PAID = "paid", _("已付款")
    INVOICED = "invoiced", _("已开票")
    SHIPPED = "shipped", _("已发货")
    DECLINED = "declined", _("已谢绝")
    EXPIRED = "expired", _("已过期")


QUOTE_COLOURS = {
    QuoteState.ASKED: "warning",
    QuoteState.QUOTED: "info",
    QuoteState.ACCEPTED: "primary",
    QuoteState.PAID: "primary",
    QuoteState.INVOICED: "primary",
    QuoteState.SHIPPED: "success",
    QuoteState.DECLINED: "secondary",
    QuoteState.EXPIRED: "secondary",
}
