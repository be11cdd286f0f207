"""Keyset pages for the staff lists: newest first on the primary key, `?after=<id>` for older rows
and `?before=<id>` for newer ones, and a count capped at COUNT_CAP ("10,000+").

A keyset page costs the same on page 1 and on page 20,000, where Paginator's COUNT(*) and OFFSET
grow with the table (a million repair orders: 2.6 s for page 20,000). The API lists use DRF's
CursorPagination for the same reason (service_ops.api.pagination.KeysetPagination)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

PAGE_SIZE = 25
COUNT_CAP = 10_000


def _key(value) -> int | None:
    try:
        key = int(value)
    except (TypeError, ValueError):
        return None
    return key if key > 0 else None


@dataclass
class KeysetPage:
    object_list: list
    has_next: bool
    has_previous: bool
    count: int  # capped at COUNT_CAP + 1
    next_after: int | None = None
    previous_before: int | None = None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __bool__(self):
        return bool(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def count_capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def count_shown(self) -> int:
        return min(self.count, COUNT_CAP)


def capped_count(qs: QuerySet, cap: int | None = None) -> int:
    """COUNT(*) over at most cap + 1 rows: `SELECT COUNT(*) FROM (… LIMIT cap + 1)`."""
    return qs.order_by().values("pk")[: (cap or COUNT_CAP) + 1].count()


def _keys(qs: QuerySet, order: str, limit: int) -> list:
    return list(qs.order_by(order).values_list("pk", flat=True)[:limit])


def keyset_page(
    qs: QuerySet, params, *, size: int = PAGE_SIZE, oldest_first: bool = False
) -> KeysetPage:
    """One page of `qs` by pk (newest first, or oldest first for a queue) from the request's
    `after` / `before` parameters: "after" goes on down the list, "before" back up. Three
    queries whatever the depth: the page's keys, its rows, the capped count.

    The keys come first on their own: a key-only query can be answered from an index alone (a
    partial index of a person's open tasks, say), where a query for whole rows may let the
    planner walk the primary key instead when it misjudges how rare the rows are."""
    after, before = _key(params.get("after")), _key(params.get("before"))
    down, up = ("pk__gt", "pk__lt") if oldest_first else ("pk__lt", "pk__gt")
    down_order, up_order = ("pk", "-pk") if oldest_first else ("-pk", "pk")
    if before is not None:
        keys = _keys(qs.filter(**{up: before}), up_order, size + 1)
        has_previous = len(keys) > size
        keys = keys[:size][::-1]
        has_next = True  # the row `before` itself comes after this page
    else:
        page_qs = qs.filter(**{down: after}) if after is not None else qs
        keys = _keys(page_qs, down_order, size + 1)
        has_next = len(keys) > size
        keys = keys[:size]
        has_previous = after is not None
    by_pk = {row.pk: row for row in qs.filter(pk__in=keys)} if keys else {}
    rows = [by_pk[key] for key in keys if key in by_pk]
    return KeysetPage(
        object_list=rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous,
        count=capped_count(qs),
        next_after=rows[-1].pk if rows else None,
        previous_before=rows[0].pk if rows else None,
    )
