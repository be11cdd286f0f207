"""Reads of the stock: a warehouse's balances, the ledger with its filters, the counts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from ..choices import MovementKind
from ..models import StockBalance, StockCount, StockMovement, Warehouse


def warehouse_balances(warehouse: Warehouse, *, search: str = "", low: bool = False) -> QuerySet:
    """The balances of one warehouse (the caller has checked it may see it)."""
    qs = StockBalance.objects.filter(warehouse=warehouse).select_related("part")
    search = (search or "").strip()
    if search:
        qs = qs.filter(Q(part__number__istartswith=search) | Q(part__name_zh__icontains=search))
    if low:
        qs = qs.filter(on_hand__lte=F("reserved") + F("part__reorder_level"))
    else:
        qs = qs.exclude(on_hand=0, reserved=0)
    return qs


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def movements(
    user,
    *,
    part_id: int | None = None,
    warehouse_id: int | None = None,
    kind: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet:
    """The ledger the user sees, newest first, with its filters (dates inclusive, local days)."""
    qs = StockMovement.objects.visible_to(user).select_related("part", "warehouse", "actor")
    if part_id:
        qs = qs.filter(part_id=part_id)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    if kind in MovementKind.values:
        qs = qs.filter(kind=kind)
    if since:
        qs = qs.filter(created_at__gte=_day_start(since))
    if until:
        qs = qs.filter(created_at__lt=_day_start(until) + timedelta(days=1))
    return qs


def counts(user, *, state: str = "") -> QuerySet:
    qs = StockCount.objects.visible_to(user).select_related("warehouse", "created_by")
    if state:
        qs = qs.filter(state=state)
    return qs
