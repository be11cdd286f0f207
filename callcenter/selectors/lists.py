"""Reads of the supervisors' callback lists (专项回访名单): who sees which list, and each list's
progress (open / done / not reached) for a page of lists in one aggregate query."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from network.visibility import scope_by_org

from ..choices import OPEN_CALLBACK_STATES, CallbackState
from ..models import CallbackList, CallbackRequest
from ..permissions import may_assign_callbacks


def lists_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Supervisors only; headquarters sees every list, a branch's supervisor those made in its
    subtree."""
    qs = CallbackList.objects.all() if qs is None else qs
    if not may_assign_callbacks(user=user):
        return qs.none()
    return scope_by_org(qs, user, "org_unit")


def callback_lists(user, q: str = "") -> QuerySet:
    qs = lists_visible_to(user).select_related("created_by")
    q = (q or "").strip()
    if q:
        if q.upper().startswith("MD") and q[2:].isdigit():
            qs = qs.filter(pk=int(q[2:]))
        else:
            qs = qs.filter(name__icontains=q)
    return qs.order_by("-id")


def with_progress(lists) -> list:
    """Each list's open / done / unreached / cancelled task counts: one query for the page."""
    lists = list(lists)
    if not lists:
        return lists
    rows = (
        CallbackRequest.objects.filter(batch_id__in=[x.pk for x in lists])
        .values("batch_id")
        .annotate(
            open=Count("id", filter=Q(state__in=OPEN_CALLBACK_STATES)),
            done=Count("id", filter=Q(state=CallbackState.DONE)),
            unreached=Count("id", filter=Q(state=CallbackState.UNREACHED)),
            cancelled=Count("id", filter=Q(state=CallbackState.CANCELLED)),
        )
        .order_by()
    )
    by_list = {row["batch_id"]: row for row in rows}
    for x in lists:
        row = by_list.get(x.pk, {})
        x.open = row.get("open", 0)
        x.done = row.get("done", 0)
        x.unreached = row.get("unreached", 0)
        x.cancelled = row.get("cancelled", 0)
        closed = x.done + x.unreached + x.cancelled
        total = closed + x.open
        x.percent = round(100 * closed / total) if total else 0
    return lists
