"""Keyset pages for the staff lists: newest first on the primary key, `?after=<id>` for older rows
and `?before=<id>` for newer ones, and a count capped at COUNT_CAP ("10,000+").

A keyset page costs the same on page 1 and on page 20,000, where Paginator's COUNT(*) and OFFSET
grow with the table (a million repair orders: 2.6 s for page 20,000). The API lists use DRF's
CursorPagination for the same reason (service_ops.api.pagination.KeysetPagination)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

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


def _terms(order: Sequence[str]) -> list[tuple[str, bool]]:
    """(field, descending) of each sort key, the primary key last as the tie-breaker."""
    terms = [(name.lstrip("-"), name.startswith("-")) for name in order]
    if not terms or terms[-1][0] not in ("pk", "id"):
        terms.append(("pk", False))
    return terms


def _order_by(terms: list[tuple[str, bool]], *, reverse: bool = False) -> list[str]:
    return [f"{'-' if desc != reverse else ''}{name}" for name, desc in terms]


def _beyond(terms: list[tuple[str, bool]], values: Sequence, *, forward: bool) -> Q:
    """Rows after (forward) or before the row whose sort values are `values`, in the order of
    `terms`: (a > x) OR (a = x AND b > y) OR … ("<" for a descending key; reversed backward)."""
    condition = Q()
    for i, (name, desc) in enumerate(terms):
        op = "gt" if desc != forward else "lt"
        same = {terms[j][0]: values[j] for j in range(i)}
        condition |= Q(**same, **{f"{name}__{op}": values[i]})
    return condition


def keyset_page(
    qs: QuerySet,
    params,
    *,
    size: int = PAGE_SIZE,
    oldest_first: bool = False,
    order: Sequence[str] = (),
    rows: Callable[[QuerySet], QuerySet] | None = None,
) -> KeysetPage:
    """One page of `qs` by pk (newest first, or oldest first for a queue) from the request's
    `after` / `before` parameters: "after" goes on down the list, "before" back up. Three
    queries whatever the depth: the page's keys, its rows, the capped count.

    The keys come first on their own: a key-only query can be answered from an index alone (a
    partial index of a person's open tasks, say), where a query for whole rows may let the
    planner walk the primary key instead when it misjudges how rare the rows are.

    `order`: a list sorted by other fields (a directory by unit and name, statements by month),
    e.g. `("-month", "branch__code")`, the primary key added as the tie-breaker; the fields must
    not be NULL. The cursor stays the boundary row's pk, and a page after the first reads that
    row's sort values first (one query more, by primary key, within `qs`: a cursor the caller
    may not see, or a row gone since, gives the first page). `rows`: what the page's rows need
    beyond the keys (an aggregate per row, say), applied to the 25 rows only."""
    after, before = _key(params.get("after")), _key(params.get("before"))
    if order:
        return _ordered_page(qs, after, before, size=size, terms=_terms(order), rows=rows)
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
    return _page(qs, keys, has_next=has_next, has_previous=has_previous, rows=rows)


def _page(qs, keys, *, has_next, has_previous, rows) -> KeysetPage:
    row_qs = rows(qs) if rows is not None else qs
    by_pk = {row.pk: row for row in row_qs.filter(pk__in=keys)} if keys else {}
    found = [by_pk[key] for key in keys if key in by_pk]
    return KeysetPage(
        object_list=found,
        has_next=has_next and bool(found),
        has_previous=has_previous,
        count=capped_count(qs),
        next_after=found[-1].pk if found else None,
        previous_before=found[0].pk if found else None,
    )


def _ordered_page(qs, after, before, *, size, terms, rows) -> KeysetPage:
    cursor = after if before is None else before
    values = None
    if cursor is not None:
        names = [name for name, _desc in terms]
        values = qs.order_by().filter(pk=cursor).values_list(*names).first()
    base = qs.order_by()
    if values is not None and before is not None:
        keys = list(
            base.filter(_beyond(terms, values, forward=False))
            .order_by(*_order_by(terms, reverse=True))
            .values_list("pk", flat=True)[: size + 1]
        )
        has_previous = len(keys) > size
        keys = keys[:size][::-1]
        has_next = True
    else:
        page_qs = base.filter(_beyond(terms, values, forward=True)) if values is not None else base
        keys = list(page_qs.order_by(*_order_by(terms)).values_list("pk", flat=True)[: size + 1])
        has_next = len(keys) > size
        keys = keys[:size]
        has_previous = values is not None
    return _page(qs, keys, has_next=has_next, has_previous=has_previous, rows=rows)
