"""Reading the reports' monthly roll-ups (repairs.models.reports) beside the live slice after
them: what happened before `ReportRollup.rolled_until` is summed from the roll-up rows, what
came after is computed live from the source rows, with the same definitions (the selectors'
own aggregates: repairs/services/rollups.py builds the rows with them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.db.models import Q

from network.visibility import BRANCH_THEN_PARTNER, org_scope_q

from ..models import ReportRollup
from ..models.field import _partner_or_org_q

T = TypeVar("T")


def rolled_until() -> datetime | None:
    return ReportRollup.objects.values_list("rolled_until", flat=True).first()


def live_since(lo: datetime, hi: datetime, until: datetime | None) -> datetime | None:
    """Where the live part of [lo, hi) starts: the roll-ups' end `until` when it lies after
    `lo`; None when nothing of the period is rolled up (all of it live)."""
    if until is None or until <= lo:
        return None
    return min(until, hi)


def consistent(compute: Callable[[datetime | None], T]) -> T:
    """compute(rolled_until) once more when a refresh committed while it read: the roll-up rows
    it read and the end it started the live part at would not match (a slice counted twice or
    not at all). One more single-row read a report."""
    for _attempt in range(3):
        until = rolled_until()
        result = compute(until)
        if rolled_until() == until:
            break
    return result


class NotRolled(Exception):
    """The caller's scope is not one the roll-up rows keep (then the report is live)."""


def order_scope(user) -> Q:
    """RepairOrder.visible_to's Q for the workshop's roll-up rows, which keep the order's branch
    only: a caller scoped by dealer (a unit with no branch below it) is computed live."""
    q = org_scope_q(user, *BRANCH_THEN_PARTNER)
    if q is None:
        return Q()
    if any(name not in ("branch_id__in", "pk__in") for name, _ids in q.children):
        raise NotRolled
    return q


def order_branches(user, branch) -> int | None:
    """The one branch a turnaround roll-up row serves this caller with (None: every branch);
    NotRolled when the caller's orders span several branches but not all (a province)."""
    q = org_scope_q(user, *BRANCH_THEN_PARTNER)
    if q is None:
        return branch.pk if branch is not None else None
    if len(q.children) != 1 or q.children[0][0] != "branch_id__in":
        raise NotRolled
    ids = q.children[0][1]
    if branch is not None:
        if branch.pk in ids:
            return branch.pk
        raise NotRolled
    if len(ids) == 1:
        return ids[0]
    raise NotRolled


def field_scope(user, *partner_fields) -> Q:
    """ServiceRequest / Visit.visible_to's Q on the roll-up rows, whose columns carry the source
    rows' names (org_unit: the request's unit; assigned_unit, dealer, service_unit)."""
    if not user or not user.is_authenticated:
        return Q(pk__in=[])
    q = _partner_or_org_q(user, org_field="org_unit", partner_fields=partner_fields)
    return Q() if q is None else q
