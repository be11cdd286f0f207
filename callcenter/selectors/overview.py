"""The call-centre overview (呼叫中心概览, issue 17 item 6) for the team lead, supervisors and the
head of customer service: what is happening now, as a list of panels.

Each panel is a small function `panel(user, now) -> dict | None` returning its template include
(`template`) and what that include shows; None hides the panel. Each runs a fixed number of
queries, so the page's count is constant. A further panel is one more function appended to
PANELS; the agents panel reads extra per-agent columns from AGENT_COUNTS (a function
`ids -> {agent id: n}` with its label) the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from service_ops.workcalendar import clock

from ..choices import (
    OPEN_CALLBACK_STATES,
    OPEN_FOLLOW_UP_STATES,
    CallbackState,
    CallCategory,
)
from ..models import CallbackRequest, FollowUp, HandOver, InboundCall, LeaveRequest, ShiftSwap
from ..models.shifts import HandOverState, LeaveState, SwapState
from ..services.roster import agents_on_shift
from .callbacks import callbacks_visible_to


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    today = clock.local_date(now)
    start = clock.at_local(today, time.min)
    return start, clock.at_local(today + timedelta(days=1), time.min)


def _open_callbacks_of(agent_ids: list[int]) -> dict[int, int]:
    rows = (
        CallbackRequest.objects.filter(assignee_id__in=agent_ids, state__in=OPEN_CALLBACK_STATES)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def _follow_ups_held_by(agent_ids: list[int]) -> dict[int, int]:
    rows = (
        FollowUp.objects.filter(holder_id__in=agent_ids, state__in=OPEN_FOLLOW_UP_STATES)
        .values("holder_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["holder_id"]: row["n"] for row in rows}


# Per-agent columns of the agents panel: (label, function agent ids -> {agent id: count}).
AGENT_COUNTS: list[tuple[object, Callable[[list[int]], dict[int, int]]]] = [
    (_("未完成回访"), _open_callbacks_of),
    (_("手上跟进事项"), _follow_ups_held_by),
]


def agents_panel(user, now: datetime) -> dict:
    """The agents on shift now, each with their open work. 1 + len(AGENT_COUNTS) queries."""
    agents = list(agents_on_shift(now))
    ids = [a.pk for a in agents]
    columns = [(label, fn(ids) if ids else {}) for label, fn in AGENT_COUNTS]
    rows = [
        {
            "name": a.get_full_name() or a.username,
            "counts": [counts.get(a.pk, 0) for _label, counts in columns],
        }
        for a in agents
    ]
    return {
        "template": "callcenter/overview/_agents.html",
        "title": _("在班坐席"),
        "labels": [label for label, _counts in columns],
        "rows": rows,
        "chart": {
            "names": [r["name"] for r in rows],
            "values": [r["counts"][0] if r["counts"] else 0 for r in rows],
        },
    }


def callbacks_today_panel(user, now: datetime) -> dict:
    """Callbacks due today, overdue, done and not reached today, the reached rate. One query."""
    start, end = _day_bounds(now)
    open_ = Q(state__in=OPEN_CALLBACK_STATES)
    closed_today = Q(closed_at__gte=start, closed_at__lt=end)
    # Only the open tasks and today's closed ones are counted: the WHERE lets PostgreSQL take
    # the two partial indexes (open by due time, closed by time) instead of a million rows.
    figures = (
        callbacks_visible_to(user)
        .filter(open_ | closed_today)
        .aggregate(
            due_today=Count("id", filter=open_ & Q(due_at__gte=now, due_at__lt=end)),
            overdue=Count("id", filter=open_ & Q(due_at__lt=now)),
            unassigned=Count("id", filter=Q(state=CallbackState.PENDING)),
            done_today=Count("id", filter=closed_today & Q(state=CallbackState.DONE)),
            unreached_today=Count("id", filter=closed_today & Q(state=CallbackState.UNREACHED)),
        )
    )
    called = figures["done_today"] + figures["unreached_today"]
    rate = f"{100 * figures['done_today'] / called:.0f}%" if called else "—"
    base = reverse("callcenter:callback_list")
    return {
        "template": "callcenter/overview/_callbacks_today.html",
        "title": _("今日回访"),
        **figures,
        "reach_rate": rate,
        "open_url": f"{base}?state=open",
        "unassigned_url": f"{base}?state=pending&assignee=none",
    }


def satisfaction_panel(user, now: datetime) -> dict:
    """This week's (Monday to now) satisfaction: the average and by day. One query."""
    today = clock.local_date(now)
    monday = today - timedelta(days=today.weekday())
    rows = list(
        callbacks_visible_to(user)
        .filter(
            state=CallbackState.DONE,
            satisfaction__isnull=False,
            # a done task closes when it is reached: closed_at (indexed) is reached_at
            closed_at__gte=clock.at_local(monday, time.min),
            closed_at__lte=now,
        )
        .annotate(day=TruncDate("reached_at", tzinfo=clock.ZONE))
        .values("day")
        .annotate(n=Count("id"), avg=Avg("satisfaction"))
        .order_by("day")
    )
    total = sum(r["n"] for r in rows)
    average = sum(r["avg"] * r["n"] for r in rows) / total if total else None
    return {
        "template": "callcenter/overview/_satisfaction.html",
        "title": _("本周满意度"),
        "average": f"{average:.2f}" if average is not None else "—",
        "count": total,
        "monday": monday,
        "report_url": reverse("callcenter:callback_report")
        + f"?start={monday:%Y-%m-%d}&end={today:%Y-%m-%d}",
        "chart": {
            "days": [f"{r['day']:%m-%d}" for r in rows],
            "average": [round(float(r["avg"]), 2) for r in rows],
            "count": [r["n"] for r in rows],
        },
    }


def shift_events_panel(user, now: datetime) -> dict:
    """What the shifts wait for: leave and swap approvals, hand-overs not acknowledged. Three
    counts."""
    return {
        "template": "callcenter/overview/_counts.html",
        "title": _("排班待处理"),
        "panel_id": "panel-shifts",
        "rows": [
            (
                _("请假待批准"),
                LeaveRequest.objects.filter(state=LeaveState.SUBMITTED).count(),
                reverse("callcenter:leave_list") + "?state=submitted",
            ),
            (
                _("换班待批准"),
                ShiftSwap.objects.filter(state=SwapState.AGREED).count(),
                reverse("callcenter:swap_list") + "?state=agreed",
            ),
            (
                _("交接班待确认"),
                HandOver.objects.filter(state=HandOverState.WRITTEN).count(),
                reverse("callcenter:handover_list") + "?state=written",
            ),
        ],
    }


def calls_today_panel(user, now: datetime) -> dict:
    """Inbound calls logged today by category, and the follow-ups still open and overdue. Two
    queries."""
    start, end = _day_bounds(now)
    calls = InboundCall.objects.visible_to(user).filter(ended_at__gte=start, ended_at__lt=end)
    by_category = calls.aggregate(
        **{c.value: Count("id", filter=Q(category=c.value)) for c in CallCategory}
    )
    follow_ups = (
        FollowUp.objects.visible_to(user)
        .filter(state__in=OPEN_FOLLOW_UP_STATES)
        .aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    )
    calls_url = reverse("callcenter:call_list") + f"?since={clock.local_date(now):%Y-%m-%d}"
    follow_ups_url = reverse("callcenter:follow_up_list") + "?mine=0&state=active"
    return {
        "template": "callcenter/overview/_counts.html",  # a list of (label, count, link)
        "title": _("今日来电"),
        "panel_id": "panel-calls",
        "rows": [
            (label, by_category[value], f"{calls_url}&category={value}")
            for value, label in CallCategory.choices
        ]
        + [
            (_("未结跟进事项"), follow_ups["open"], follow_ups_url),
            (_("其中已超时"), follow_ups["overdue"], follow_ups_url),
        ],
    }


# The page's panels, in order. Add a panel by appending its function (see the module docstring).
PANELS: list[Callable[[object, datetime], dict | None]] = [
    agents_panel,
    callbacks_today_panel,
    calls_today_panel,
    satisfaction_panel,
    shift_events_panel,
]


def overview(user, now: datetime) -> list[dict]:
    return [p for p in (panel(user, now) for panel in PANELS) if p is not None]
