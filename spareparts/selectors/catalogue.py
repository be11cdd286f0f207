"""Reads of the catalogue: the list (search by number or name, by fitted model, active or not)
and a part's stock as the viewer may see it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from ..choices import WarehouseKind, availability_of
from ..models import Part, PartFit, StockBalance, StockMovement, Warehouse
from ..permissions import sees_hq_figures


def parts_list(*, search: str = "", product_model: str = "", active: str = "") -> QuerySet:
    qs = Part.objects.search(search).fitting(product_model)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs.prefetch_related(Prefetch("fits", queryset=PartFit.objects.order_by("product_model")))


def hq_levels(part_ids) -> dict[int, str]:
    """{part id: availability level} at the headquarters warehouse(s), one query."""
    ids = list(part_ids)
    if not ids:
        return {}
    totals: dict[int, list[int]] = {pk: [0, 0] for pk in ids}
    levels = dict(Part.objects.filter(pk__in=ids).values_list("pk", "reorder_level"))
    for part_id, on_hand, reserved in StockBalance.objects.filter(
        part_id__in=ids, warehouse__kind=WarehouseKind.HQ, warehouse__is_active=True
    ).values_list("part_id", "on_hand", "reserved"):
        totals[part_id][0] += on_hand
        totals[part_id][1] += reserved
    return {pk: availability_of(t[0] - t[1], levels.get(pk, 0)) for pk, t in totals.items()}


@dataclass
class PartStock:
    balances: list  # StockBalance rows of the warehouses the viewer sees
    hq_level: str | None  # the headquarters level, for a viewer who does not see its figures
    movements: list


def part_stock(user, part: Part, *, movements: int = 20) -> PartStock:
    balances = list(
        StockBalance.objects.visible_to(user)
        .filter(part=part)
        .select_related("warehouse", "part")
        .order_by("warehouse__kind", "warehouse__code")
    )
    hq_level = None
    if not sees_hq_figures(user):
        hq_level = hq_levels([part.pk]).get(part.pk)
    recent = list(
        StockMovement.objects.visible_to(user)
        .filter(part=part)
        .select_related("warehouse", "actor")
        .order_by("-id")[:movements]
    )
    return PartStock(balances=balances, hq_level=hq_level, movements=recent)


def warehouses_visible(user) -> QuerySet:
    return Warehouse.objects.visible_to(user).select_related("org_unit", "engineer")
