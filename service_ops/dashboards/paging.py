"""The timer list's pages, keyed on the list's own order (due time, or closing time for closed
timers) and the id: `?after=<microseconds>.<id>`. An id order would walk the primary key back
through a million closed timers to find a kind's few open ones; the due time order reads the
open timers through their partial index and sorts the few thousand found, and closed timers come
newest first through the partial index on `closed_at`."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Q, QuerySet

from service_ops.paging import PAGE_SIZE, KeysetPage, capped_count


def _token(value: datetime, pk: int) -> str:
    return f"{int(value.timestamp() * 1_000_000)}.{pk}"


def _parse(token) -> tuple[datetime, int] | None:
    try:
        micros, pk = str(token).split(".", 1)
        return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC), int(pk)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def ordered_page(
    qs: QuerySet,
    params,
    *,
    field: str,
    descending: bool,
    size: int = PAGE_SIZE,
    related: tuple[str, ...] = (),
):
    """One page of `qs` ordered by (`field`, id), ascending or descending, after the token in
    `params["after"]`; forward only (the first page is the way back). Three queries: the capped
    count, the page's keys, its rows."""
    count = capped_count(qs)
    after = _parse(params.get("after")) if params.get("after") else None
    page_qs = qs
    if after is not None:
        value, pk = after
        op = "lt" if descending else "gt"
        page_qs = qs.filter(Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk}))
    order = (f"-{field}", "-pk") if descending else (field, "pk")
    # The page's keys first, from the timer table alone (a join before the sort would join every
    # candidate row), then its rows with their relations.
    keys = list(page_qs.order_by(*order).values_list("pk", flat=True)[: size + 1])
    has_next = len(keys) > size
    keys = keys[:size]
    found = {row.pk: row for row in qs.model.objects.select_related(*related).filter(pk__in=keys)}
    rows = [found[pk] for pk in keys if pk in found]
    last = rows[-1] if rows else None
    return KeysetPage(
        object_list=rows,
        has_next=has_next,
        has_previous=after is not None,
        count=count,
        next_after=_token(getattr(last, field), last.pk) if has_next and last else None,
        previous_before=None,
    )
