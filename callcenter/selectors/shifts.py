"""Reads of the shifts (排班): who may do what, scoped lists, the month grid and my shifts.

Who sees what: the call centre's people (agents, leads, expert agents, supervisors, the head of
customer service) see the roster and the hand-over log; a leave request or a swap is seen by the
agents it names, by the lead of their group (a lead-less group: by every 坐席组长) and by the
supervisors and the head of customer service, who see them all."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import Role
from network.selectors import held_roles
from service_ops.i18n import choice_label
from service_ops.memo import per_request

from ..models.shifts import (
    HandOver,
    HandOverState,
    LeaveRequest,
    LeaveState,
    RosterEntry,
    ShiftGroup,
    ShiftMember,
    ShiftSwap,
    SwapState,
)

CALL_CENTRE_ROLES = frozenset(
    {
        Role.CALL_AGENT,
        Role.CALL_CENTRE_LEAD,
        Role.EXPERT_AGENT,
        Role.SUPERVISOR,
        Role.HEAD_OF_CS,
    }
)
MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.HEAD_OF_CS})  # see and decide everything
ROSTER_EDITORS = MANAGER_ROLES | {Role.CALL_CENTRE_LEAD}


def _authenticated(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_call_centre(user) -> bool:
    if not _authenticated(user):
        return False
    return user.is_superuser or bool(CALL_CENTRE_ROLES & held_roles(user))


def is_manager(user) -> bool:
    if not _authenticated(user):
        return False
    return user.is_superuser or bool(MANAGER_ROLES & held_roles(user))


def is_lead(user) -> bool:
    return _authenticated(user) and Role.CALL_CENTRE_LEAD in held_roles(user)


def may_edit_roster(user) -> bool:
    if not _authenticated(user):
        return False
    return user.is_superuser or bool(ROSTER_EDITORS & held_roles(user))


@per_request
def _groups(user) -> tuple[frozenset[int], frozenset[int]]:
    """(ids of the groups the user leads, ids of the groups without a lead) — one query."""
    led, leaderless = set(), set()
    for pk, lead_id in ShiftGroup.objects.values_list("pk", "lead_id"):
        if lead_id is None:
            leaderless.add(pk)
        elif lead_id == user.pk:
            led.add(pk)
    return frozenset(led), frozenset(leaderless)


def groups_decided_by(user) -> frozenset[int] | None:
    """The groups whose leave and swaps `user` decides: None for all (managers)."""
    if is_manager(user):
        return None
    if not is_lead(user):
        return frozenset()
    led, leaderless = _groups(user)
    return led | leaderless


def may_decide_for(user, group_id) -> bool:
    """The agent's group lead (a lead-less group: any 坐席组长), supervisors and the head of CS."""
    groups = groups_decided_by(user)
    if groups is None:
        return True
    return group_id is not None and group_id in groups


def scoped(qs, user, *, own: Q, groups: tuple[str, ...]):
    if not _authenticated(user):
        return qs.none()
    decided = groups_decided_by(user)
    if decided is None:
        return qs
    condition = own
    if decided:
        for name in groups:
            condition |= Q(**{f"{name}__in": decided})
    return qs.filter(condition)


def group_of(user) -> ShiftGroup | None:
    member = ShiftMember.objects.filter(user=user).select_related("group").first()
    return member.group if member else None


# --- lists (keyset-paged by the views) -------------------------------------------------------


def leave_requests_visible_to(user, *, state: str = "", mine: bool = False):
    qs = LeaveRequest.objects.visible_to(user).select_related("agent", "group", "decided_by")
    if state in LeaveState.values:
        qs = qs.filter(state=state)
    if mine:
        qs = qs.filter(agent=user)
    return qs.order_by("-id")


def swaps_visible_to(user, *, state: str = "", mine: bool = False):
    qs = ShiftSwap.objects.visible_to(user).select_related(
        "requester", "partner", "requester_group", "partner_group"
    )
    if state in SwapState.values:
        qs = qs.filter(state=state)
    if mine:
        qs = qs.filter(Q(requester=user) | Q(partner=user))
    return qs.order_by("-id")


def handovers_visible_to(user, *, state: str = ""):
    qs = HandOver.objects.visible_to(user).select_related("group", "written_by", "acknowledged_by")
    if state in HandOverState.values:
        qs = qs.filter(state=state)
    return qs.order_by("-id")


# --- the month grid --------------------------------------------------------------------------


def month_of(value: str | None, today: date) -> date:
    """The first day of the month `YYYY-MM` (else this month)."""
    if value:
        try:
            year, month = (int(part) for part in value.split("-")[:2])
            if 2000 <= year <= 2100 and 1 <= month <= 12:
                return date(year, month, 1)
        except ValueError:
            pass
    return today.replace(day=1)


def month_days(month: date) -> list[date]:
    return [month + timedelta(days=i) for i in range(monthrange(month.year, month.month)[1])]


@dataclass
class GridRow:
    agent: object
    group: ShiftGroup | None
    cells: list  # per day: RosterEntry or None


@dataclass
class MonthGrid:
    month: date
    days: list[date]
    rows: list[GridRow] = field(default_factory=list)
    on_duty: dict[date, int] = field(default_factory=dict)  # agents on duty per day

    @property
    def has_entries(self) -> bool:
        return any(cell is not None for row in self.rows for cell in row.cells)


def month_grid(month: date, *, group: ShiftGroup | None = None) -> MonthGrid:
    """Rows: the groups' members (then anyone else rostered that month), one cell per day.
    Three queries whatever the size: groups' members, the month's rows, the outsiders' names."""
    days = month_days(month)
    index = {day: i for i, day in enumerate(days)}
    members = ShiftMember.objects.select_related("user", "group").order_by("group__code", "user_id")
    entries = RosterEntry.objects.filter(day__gte=days[0], day__lte=days[-1]).only(
        "day", "agent_id", "starts_at", "ends_at", "is_working", "leave_id", "swap_id"
    )
    if group is not None:
        members = members.filter(group=group)
        entries = entries.filter(Q(group=group) | Q(agent__shift_member__group=group))
    rows: dict[int, GridRow] = {}
    for member in members:
        rows[member.user_id] = GridRow(member.user, member.group, [None] * len(days))
    on_duty: dict[date, int] = dict.fromkeys(days, 0)
    strays: dict[int, list] = {}
    for entry in entries:
        row = rows.get(entry.agent_id)
        if row is None:
            strays.setdefault(entry.agent_id, []).append(entry)
            continue
        row.cells[index[entry.day]] = entry
        if entry.on_duty:
            on_duty[entry.day] += 1
    if strays:
        for user in get_user_model().objects.filter(pk__in=strays).order_by("pk"):
            row = rows[user.pk] = GridRow(user, None, [None] * len(days))
            for entry in strays[user.pk]:
                row.cells[index[entry.day]] = entry
                if entry.on_duty:
                    on_duty[entry.day] += 1
    return MonthGrid(month=month, days=days, rows=list(rows.values()), on_duty=on_duty)


def day_entries(day: date):
    return (
        RosterEntry.objects.filter(day=day)
        .select_related("agent", "group", "leave", "swap")
        .order_by("starts_at", "agent_id")
    )


def my_shifts(user, *, today: date, days: int = 62):
    """My roster rows from today on (bounded: two months)."""
    return (
        RosterEntry.objects.filter(agent=user, day__gte=today, day__lt=today + timedelta(days))
        .select_related("group", "leave", "swap")
        .order_by("day")
    )


def swap_partners(user):
    """The other agents of the groups (anyone with a group)."""
    return (
        get_user_model()
        .objects.filter(shift_member__isnull=False, is_active=True)
        .exclude(pk=user.pk)
        .select_related("shift_member__group")
        .order_by("shift_member__group__code", "pk")
    )


def upcoming_entries(user, *, now=None, days: int = 62):
    """My working rows that have not started yet, for the leave and swap forms."""
    now = now or timezone.now()
    return (
        RosterEntry.objects.working()
        .filter(agent=user, starts_at__gt=now, starts_at__lt=now + timedelta(days=days))
        .select_related("group")
        .order_by("starts_at")
    )


# --- 我的工作 -----------------------------------------------------------------------------------


class ShiftApprovalProvider:
    """Leave requests and agreed swaps waiting for the lead (or a supervisor / the head of CS),
    due when the shift they concern starts. Two queries."""

    name = "callcenter.shift_approvals"
    label = gettext_lazy("排班待批")

    def items(self, user, *, now, limit: int) -> list:
        from service_ops.work import WorkItem

        groups = groups_decided_by(user)
        if groups is not None and not groups:
            return []
        leaves = LeaveRequest.objects.filter(state=LeaveState.SUBMITTED).exclude(agent=user)
        swaps = ShiftSwap.objects.filter(state=SwapState.AGREED).exclude(
            Q(requester=user) | Q(partner=user)
        )
        if groups is not None:
            leaves = leaves.filter(group__in=groups)
            swaps = swaps.filter(Q(requester_group__in=groups) | Q(partner_group__in=groups))
        items = [
            WorkItem(
                key=f"callcenter.leave:{leave.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("请假待批准：%(name)s %(first)s 至 %(last)s")
                % {"name": _person(leave.agent), "first": leave.first_day, "last": leave.last_day},
                url=leave.get_absolute_url(),
                since=leave.submitted_at,
                due_at=leave.shift_starts_at,
                note=choice_label(leave, "kind"),
            )
            for leave in leaves.select_related("agent").order_by("shift_starts_at", "pk")[:limit]
        ]
        for swap in swaps.select_related("requester", "partner", "requester_entry").order_by(
            "requester_day", "pk"
        )[:limit]:
            items.append(
                WorkItem(
                    key=f"callcenter.swap:{swap.pk}",
                    kind=self.name,
                    kind_label=self.label,
                    what=_("换班待批准：%(a)s %(d1)s ⇄ %(b)s %(d2)s")
                    % {
                        "a": _person(swap.requester),
                        "d1": swap.requester_day,
                        "b": _person(swap.partner),
                        "d2": swap.partner_day,
                    },
                    url=swap.get_absolute_url(),
                    since=swap.answered_at or swap.created_at,
                    due_at=swap.requester_entry.starts_at,
                )
            )
        # both kinds by the shift they concern, so that the cap keeps the most urgent of either
        items.sort(key=lambda item: (item.due_at, item.key))
        return items[:limit]


class SwapConsentProvider:
    """Swaps another agent proposed to me, waiting for my answer. One query."""

    name = "callcenter.swap_consent"
    label = gettext_lazy("换班待我同意")

    def items(self, user, *, now, limit: int) -> list:
        from service_ops.work import WorkItem

        swaps = (
            ShiftSwap.objects.filter(partner=user, state=SwapState.PROPOSED)
            .select_related("requester", "requester_entry")
            .order_by("requester_day", "pk")[:limit]
        )
        return [
            WorkItem(
                key=f"callcenter.swap:{swap.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("%(name)s 想和您换班：您上 %(give)s 的班，对方上您 %(take)s 的班")
                % {
                    "name": _person(swap.requester),
                    "give": swap.requester_day,
                    "take": swap.partner_day,
                },
                url=swap.get_absolute_url(),
                since=swap.created_at,
                due_at=swap.requester_entry.starts_at,
            )
            for swap in swaps
        ]


HANDOVER_RECENT = timedelta(hours=36)


class HandOverProvider:
    """Hand-over records of the last shift change not acknowledged yet, for the agents and
    leads (whoever takes over acknowledges). One query."""

    name = "callcenter.handovers"
    label = gettext_lazy("交接班待确认")

    def items(self, user, *, now, limit: int) -> list:
        from service_ops.work import WorkItem

        if not _authenticated(user) or not (
            {Role.CALL_AGENT, Role.CALL_CENTRE_LEAD} & held_roles(user)
        ):
            return []
        handovers = (
            HandOver.objects.filter(
                state=HandOverState.WRITTEN, written_at__gte=now - HANDOVER_RECENT
            )
            .exclude(written_by=user)
            .select_related("written_by")
            .order_by("written_at", "pk")[:limit]
        )
        return [
            WorkItem(
                key=f"callcenter.handover:{h.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("交接班记录待确认：%(no)s（%(name)s 交班）")
                % {"no": h.number, "name": _person(h.written_by)},
                url=h.get_absolute_url(),
                since=h.written_at,
            )
            for h in handovers
        ]


def _person(user) -> str:
    return user.get_full_name() or user.username
