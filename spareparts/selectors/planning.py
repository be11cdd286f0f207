"""Reads of material planning (物料计划): the parts below their reorder point, computed live, and
the consumption report (parts issued and sold, by part and month, for a product model the parts
fit) that feeds the parts supervisor's plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from ..choices import MovementKind
from ..models import PartFit, ReorderPoint, StockBalance, StockMovement

CONSUMED = (MovementKind.ISSUE, MovementKind.SALE)
REPORT_LIMIT = 2000


def below_reorder_points(*, warehouse_id: int | None = None, limit: int = 500):
    """Reorder points whose available quantity (on hand − reserved; no balance row = 0) is below
    their minimum, with the shortfall to order; one query, bounded."""
    balance = StockBalance.objects.filter(
        part_id=OuterRef("part_id"), warehouse_id=OuterRef("warehouse_id")
    )
    qs = (
        ReorderPoint.objects.select_related("part", "warehouse")
        .annotate(
            available=Coalesce(
                Subquery(
                    balance.annotate(a=F("on_hand") - F("reserved")).values("a")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
        .filter(available__lt=F("minimum"))
        .order_by("warehouse__code", "part__number")
    )
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    return list(qs[:limit])


@dataclass
class ConsumptionRow:
    month: date
    part_id: int
    number: str
    name: str
    issued: int
    sold: int

    @property
    def total(self) -> int:
        return self.issued + self.sold


def consumption(
    *,
    since: date | None = None,
    until: date | None = None,
    product_model: str = "",
    part_id: int | None = None,
) -> list[ConsumptionRow]:
    """Parts issued (领用出库) and sold (销售出库) per part and month, newest month first: one
    GROUP BY over the ledger. `product_model`: only the parts that fit it (适用型号)."""
    qs = StockMovement.objects.filter(kind__in=CONSUMED)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    if part_id:
        qs = qs.filter(part_id=part_id)
    product_model = (product_model or "").strip()
    if product_model:
        qs = qs.filter(
            part_id__in=PartFit.objects.filter(product_model__iexact=product_model).values(
                "part_id"
            )
        )
    rows = (
        qs.annotate(month=TruncMonth("created_at"))
        .values("month", "part_id", "part__number", "part__name_zh")
        .annotate(
            issued=Coalesce(-Sum("on_hand_change", filter=Q(kind=MovementKind.ISSUE)), Value(0)),
            sold=Coalesce(-Sum("on_hand_change", filter=Q(kind=MovementKind.SALE)), Value(0)),
        )
        .order_by("-month", "part__number")[:REPORT_LIMIT]
    )
    return [
        ConsumptionRow(
            month=r["month"].date() if hasattr(r["month"], "date") else r["month"],
            part_id=r["part_id"],
            number=r["part__number"],
            name=r["part__name_zh"],
            issued=r["issued"],
            sold=r["sold"],
        )
        for r in rows
    ]
