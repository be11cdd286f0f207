"""Reads of the faulty parts owed back (旧件返还): scoped by the owing unit."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from ..choices import FaultyState
from ..models import FaultyPartReturn


def faulty_returns(
    user, *, state: str = "", unit_id: int | None = None, overdue: bool = False
) -> QuerySet:
    """The faulty parts the user sees (the parts warehouse all, a unit its own subtree's), newest
    first; `overdue`: still owed after their due date."""
    qs = FaultyPartReturn.objects.visible_to(user).select_related("part", "owed_by_unit", "owed_by")
    if state in FaultyState.values:
        qs = qs.filter(state=state)
    if unit_id:
        qs = qs.filter(owed_by_unit_id=unit_id)
    if overdue:
        qs = qs.filter(state=FaultyState.OWED, due_on__lt=timezone.localdate())
    return qs
