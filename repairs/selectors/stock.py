"""Reads of returned stock (呆滞/退货产品处理申请): the scoped list, the open production task
orders in the order the seed works them (按紧重或先后顺序: urgent first, then by arrival), and
the detail page's timer."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from service_ops.paging import KeysetPage, _key, capped_count

from ..choices import Urgency
from ..models import ReturnedStockApplication


def stock_list(user) -> QuerySet:
    return ReturnedStockApplication.objects.visible_to(user).select_related(
        "filed_by", "filed_by_unit"
    )


def task_orders(user) -> QuerySet:
    """Open task orders the user may see, with `rank` (0 urgent, 1 normal)."""
    return (
        ReturnedStockApplication.objects.visible_to(user)
        .open_task_orders()
        .filter(task_order_number__isnull=False)
        .annotate(
            rank=Case(
                When(urgency=Urgency.URGENT, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .select_related("filed_by_unit", "taken_by")
    )


QUEUE_ORDER = ("rank", "collected_at", "id")


def _after(anchor, *, down: bool) -> Q:
    """Rows after (down) or before (up) `anchor` in QUEUE_ORDER."""
    op = "gt" if down else "lt"
    r, c, i = anchor
    return (
        Q(**{f"rank__{op}": r})
        | Q(rank=r, **{f"collected_at__{op}": c})
        | Q(rank=r, collected_at=c, **{f"id__{op}": i})
    )


def task_order_page(qs: QuerySet, params, *, size: int = 25) -> KeysetPage:
    """A keyset page of `qs` (task_orders) in QUEUE_ORDER: `?after=<id>` goes on down the
    queue, `?before=<id>` back up; the anchor row's key is read first (one indexed query), so
    a page costs the same at any depth."""
    after, before = _key(params.get("after")), _key(params.get("before"))
    anchor_pk = before if before is not None else after
    anchor = None
    if anchor_pk is not None:
        anchor = qs.filter(pk=anchor_pk).values_list(*QUEUE_ORDER).first()
    if anchor is not None and before is not None:
        rows = list(
            qs.filter(_after(anchor, down=False)).order_by(*(f"-{k}" for k in QUEUE_ORDER))[
                : size + 1
            ]
        )
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        has_next = True
    else:
        page_qs = qs.filter(_after(anchor, down=True)) if anchor is not None else qs
        rows = list(page_qs.order_by(*QUEUE_ORDER)[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = anchor is not None
    return KeysetPage(
        object_list=rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous,
        count=capped_count(qs),
        next_after=rows[-1].pk if rows else None,
        previous_before=rows[0].pk if rows else None,
    )
