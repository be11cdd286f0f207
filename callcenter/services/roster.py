"""Who is on shift (排班, seed 004): the call centre hands callbacks and follow-ups to the agents
on shift at the moment, evenly — through `agents_on_shift`, the one place that reads the roster
for it.

The rule: an agent is on shift at `at` when a working roster row of theirs covers it
(starts_at <= at < ends_at) and no approved leave took it (an approved leave marks the rows it
covers; an approved swap moved the row to the other agent). The roster decides, not the role:
anyone rostered counts, and an agent not rostered does not.

A day without any roster row at all (the month was never generated, or the call centre has no
groups yet) falls back to every active holder of the call-agent role, as before the roster
existed: work is never handed to nobody because nobody made a roster. A rostered day outside its
shifts (21:00–9:00) gives nobody: the callers then leave the work waiting for the role (the
callback timer's first role), or for `next_shift_start`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, Min, Q
from django.utils import timezone

from network.choices import Role
from network.models import RoleAssignment
from service_ops.workcalendar.clock import local_date

from ..models.shifts import RosterEntry


def _covering(at: datetime):
    day = local_date(at)
    # a shift ending after midnight belongs to the day before: look at both days (indexed)
    return RosterEntry.objects.filter(
        day__in=(day - timedelta(days=1), day),
        is_working=True,
        leave__isnull=True,
        starts_at__lte=at,
        ends_at__gt=at,
    )


def agents_on_shift(at: datetime | None = None):
    """The call agents working at `at` (default now), as a User queryset ordered by id. One
    query (the fallback for an unrostered day is part of it)."""
    at = at or timezone.now()
    unrostered = ~Exists(RosterEntry.objects.filter(day=local_date(at)))
    role_holders = RoleAssignment.objects.filter(role=Role.CALL_AGENT).values("user_id")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=_covering(at).values("agent_id")) | (Q(pk__in=role_holders) & unrostered))
        .order_by("id")
    )


def agent_on_shift(user, at: datetime | None = None) -> bool:
    """Whether `user` is among agents_on_shift(at). One query."""
    return agents_on_shift(at).filter(pk=user.pk).exists()


def next_shift_start(user, at: datetime | None = None) -> datetime | None:
    """When `user` is next on duty from `at` on: `at` itself while on shift, else the start of
    their next working, not-on-leave roster row; None when nothing is rostered. One query."""
    at = at or timezone.now()
    rows = RosterEntry.objects.filter(
        agent=user,
        is_working=True,
        leave__isnull=True,
        ends_at__gt=at,
        day__gte=local_date(at) - timedelta(days=1),
    )
    first = rows.aggregate(first=Min("starts_at"))["first"]
    if first is None:
        return None
    return max(first, at)
