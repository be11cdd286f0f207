"""我的工作: one list of everything waiting for a person, from every app's providers.

An app declares its providers in its plugin.py (`inbox_providers`); each is a class with a `name`,
a `label` and `items(user, now=, limit=)` returning WorkItems, most urgent first, with a constant
number of queries. The core's TimerProvider lists the timers assigned to the person, or waiting
for a role the person holds in the timer's org scope; apps list their timer-less tasks (a quote
to answer, an application to fix, a statement to sign…) and may take over their own timers'
kinds (DeadlineKind.in_timer_inbox=False) to show them with their task.

The list is bounded: each provider gives at most MAX_ITEMS, its most urgent (the count then reads
"100+" and the app's own list has the rest), and the merged list is shown a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops import plugins
from service_ops.deadlines.models import OPEN_STATUSES, Deadline, DeadlineStatus
from service_ops.memo import per_request
from service_ops.reversing import reverse_id
from service_ops.workcalendar import clock

OVERDUE, DUE_SOON, LATER, WAITING = "overdue", "soon", "later", "waiting"
GROUPS = (OVERDUE, DUE_SOON, LATER, WAITING)
GROUP_LABELS = {
    OVERDUE: _("已超期"),
    DUE_SOON: _("即将到期"),
    LATER: _("以后到期"),
    WAITING: _("无时限"),
}
MAX_ITEMS = 100  # per provider: a person's most urgent tasks of each kind
PAGE_SIZE = 25


@dataclass
class WorkItem:
    """One thing waiting for the person: what, since when, the time left, where it is done."""

    key: str  # unique across providers, e.g. "repairs.quote:12"
    kind: str  # the provider's name (a tab)
    kind_label: Any
    what: str
    url: str
    since: datetime
    due_at: datetime | None = None
    deadline: Deadline | None = None  # the timer behind it, when there is one
    where: str = ""  # org unit or counterpart, for context
    note: str = ""  # e.g. the pause reason, the rejection reason
    group: str = WAITING
    left: clock.TimeLeft | None = None
    provisional: bool = False  # due in a year whose 调休 schedule is not confirmed yet

    @property
    def paused(self) -> bool:
        return self.deadline is not None and self.deadline.status == DeadlineStatus.PAUSED

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "kind": self.kind,
            "kind_label": str(self.kind_label),
            "what": self.what,
            "url": self.url,
            "since": self.since,
            "due_at": self.due_at,
            "group": self.group,
            "paused": self.paused,
            "overdue": self.group == OVERDUE,
            "working_days_left": self.left.working_days if self.left else None,
            "time_left": str(self.left) if self.left else "",
            "due_at_provisional": self.provisional,
            "where": self.where,
            "note": self.note,
        }


def sort_key(item: WorkItem):
    """Overdue first, then by due time; timer-less tasks after them, oldest first."""
    order = GROUPS.index(item.group)
    moment = item.due_at if item.due_at is not None and item.group != WAITING else item.since
    return (order, moment, item.key)


def _group(item: WorkItem, now: datetime, soon_until: datetime) -> str:
    d = item.deadline
    if d is not None:
        if d.status == DeadlineStatus.BREACHED or d.breached_at:
            return OVERDUE
        if d.status == DeadlineStatus.PAUSED and d.paused_at:
            # judged by the time it had left when paused: its due time moves when it resumes
            if d.due_at <= d.paused_at:
                return OVERDUE
            return DUE_SOON if d.due_at <= clock.add_working_days(d.paused_at, 1) else LATER
    if item.due_at is None:
        return WAITING
    if item.due_at <= now:
        return OVERDUE
    return DUE_SOON if item.due_at <= soon_until else LATER


def _time_left(item: WorkItem, now: datetime):
    if item.due_at is None:
        return None
    d = item.deadline
    moment = d.paused_at if d is not None and d.status == DeadlineStatus.PAUSED else now
    return clock.time_left(moment or now, item.due_at)


@dataclass
class Work:
    items: list[WorkItem]
    capped: bool
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)  # per group
    kinds: list[tuple[str, Any, int]] = field(default_factory=list)  # (name, label, count)

    @property
    def total(self) -> int:
        return len(self.items)

    def count(self, group: str) -> int:
        return self.counts.get(group, 0)

    def filtered(self, *, group: str = "", kind: str = "") -> list[WorkItem]:
        return [
            i
            for i in self.items
            if (not group or i.group == group) and (not kind or i.kind == kind)
        ]

    def page(self, number, *, group: str = "", kind: str = "", size: int = PAGE_SIZE):
        """A page of the list, with the time left worked out for its items only (the calendar
        arithmetic is the costly part of an item)."""
        page = Paginator(self.filtered(group=group, kind=kind), size).get_page(number)
        with clock.pinned():
            for item in page.object_list:
                if item.left is None:
                    item.left = _time_left(item, self.now)
                if item.due_at is not None:
                    item.provisional = clock.is_provisional(item.due_at)
                if item.deadline is not None:
                    item.deadline.provisional = item.provisional
        return page


def work_of(user, *, now: datetime | None = None, limit: int = MAX_ITEMS) -> Work:
    """Everything waiting for `user`, from every provider, grouped and sorted (bounded)."""
    now = now or timezone.now()
    items: dict[str, WorkItem] = {}
    kinds: list[tuple[str, Any]] = []
    capped = False
    with clock.pinned():  # one calendar version check for the whole list
        soon_until = clock.add_working_days(now, 1)
        for provider in plugins.inbox_providers():
            found = provider.items(user, now=now, limit=limit + 1)
            capped = capped or len(found) > limit
            if found:
                kinds.append((provider.name, provider.label))
            for item in found[:limit]:
                item.group = _group(item, now, soon_until)
                items.setdefault(item.key, item)  # the first provider's entry wins
    ordered = sorted(items.values(), key=sort_key)
    counts = dict.fromkeys(GROUPS, 0)
    per_kind: dict[str, int] = {}
    for item in ordered:
        counts[item.group] += 1
        per_kind[item.kind] = per_kind.get(item.kind, 0) + 1
    return Work(
        items=ordered,
        capped=capped,
        now=now,
        counts=counts,
        kinds=[(name, label, per_kind.get(name, 0)) for name, label in kinds if name in per_kind],
    )


# --- the core's provider: timers ---------------------------------------------------------------


@per_request
def role_scopes(user) -> tuple[tuple[str, str], ...]:
    """(role, org path) pairs the user acts in: own assignments and today's delegations."""
    from network.models import Delegation, RoleAssignment

    today = timezone.localdate()
    pairs = set(
        RoleAssignment.objects.filter(user=user).values_list("role", "org_unit__path").distinct()
    )
    delegations = list(
        Delegation.objects.filter(deputy=user, starts_on__lte=today, ends_on__gte=today)
        .values_list("principal_id", "role")
        .distinct()
    )
    if delegations:
        principals = {p for p, _r in delegations}
        for principal, role, path in RoleAssignment.objects.filter(
            user_id__in=principals
        ).values_list("user_id", "role", "org_unit__path"):
            if (principal, "") in delegations or (principal, role) in delegations:
                pairs.add((role, path))
    return tuple(sorted(pairs))  # memoised for the request: immutable


def open_timers_for(user):
    """Open timers assigned to the user, or unassigned and waiting for the first role of their
    chain (`waiting_role`), which the user holds for the timer's org unit or an ancestor of it.
    Both halves are indexed: (assignee, status) and (waiting_role, org_unit) on open unassigned
    timers, the units given as ids rather than a path compared across a join."""
    from network.visibility import units_under

    scopes = role_scopes(user)
    units = units_under({path for _role, path in scopes})
    waiting_for_me = Q()
    for role, path in scopes:
        waiting_for_me |= Q(waiting_role=role, org_unit_id__in=units[path])
    mine = Q(assignee=user)
    if waiting_for_me:
        mine |= Q(assignee__isnull=True) & waiting_for_me
    return (
        Deadline.objects.filter(mine, status__in=OPEN_STATUSES)
        .exclude(kind__in=plugins.kinds_outside_timer_inbox())
        .select_related("org_unit")
        .order_by("due_at", "id")
    )


class TimerProvider:
    """Timers (approval steps, repair limits, callbacks…) that wait for this person."""

    name = "timers"
    label = _("计时事项")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        kinds = plugins.deadline_kinds()
        return [
            WorkItem(
                key=f"deadline:{d.pk}",
                kind=self.name,
                kind_label=kinds[d.kind].label if d.kind in kinds else self.label,
                what=str(d),
                url=reverse_id("deadline_detail", d.pk),
                since=d.started_at,
                due_at=d.due_at,
                deadline=d,
                where=str(d.org_unit or ""),
                note=d.pause_reason_text if d.status == DeadlineStatus.PAUSED else "",
            )
            # the policy's snapshot is the engine's (due times, escalation), not the list's:
            # a JSON document decoded per timer
            for d in open_timers_for(user).defer("policy_snapshot")[:limit]
        ]
