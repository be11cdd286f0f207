"""Reads for the browser shell: my work, my inbox, the deadline detail, the working-day calendar.

Every list here runs a constant number of queries whatever its length (select_related, no per-row
lookups). Working-day arithmetic reads the process's cached calendar, pinned for the whole list.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from network.choices import Role
from network.visibility import org_scope_q, user_org_unit
from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.notifications.models import Channel, Notification
from service_ops.workcalendar import clock
from service_ops.workcalendar.models import CalendarChange, CalendarDay, CalendarYear

# --- who may do what in the shell ------------------------------------------------------------


def is_partner(user) -> bool:
    unit = user_org_unit(user)
    return unit is not None and unit.is_partner


def is_internal(user) -> bool:
    """Company people (not dealers or service points): they see the calendar page."""
    if not user or not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or not is_partner(user)


def can_edit_calendar(user, roles=None) -> bool:
    """Admins and the head of customer service override days and confirm years."""
    if not user or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    if roles is None:
        from network.selectors import held_roles

        roles = held_roles(user)
    return Role.HEAD_OF_CS in roles


# --- my work ---------------------------------------------------------------------------------
# The list itself is service_ops.inbox (every app's providers); here: what the page adds.


def annotate_time_left(deadline: Deadline, now: datetime) -> Deadline:
    """Attach `left` (a clock.TimeLeft; frozen at the pause for a paused timer) and
    `provisional` (due in a year whose 调休 schedule is not confirmed), under the caller's
    pinned calendar: no query per timer."""
    deadline.left, deadline.provisional = time_left(
        deadline.status, deadline.paused_at, deadline.due_at, now
    )
    return deadline


def time_left(status: str, paused_at, due_at, now: datetime) -> tuple[clock.TimeLeft, bool]:
    """A timer's (time left, provisional) from its columns (annotate_time_left's rule, for
    lists read as values() rows)."""
    moment = paused_at if status == DeadlineStatus.PAUSED else now
    return clock.time_left(moment or now, due_at), clock.is_provisional(due_at)


def calendar_warnings(user, *, now: datetime | None = None) -> list[CalendarYear]:
    """The provisional calendar years staff who may confirm them should confirm."""
    if is_internal(user) and (user.is_staff or can_edit_calendar(user)):
        return provisional_years(now=now)
    return []


def provisional_years(*, now: datetime | None = None) -> list[CalendarYear]:
    this_year = clock.local_date(now or timezone.now()).year
    return list(
        CalendarYear.objects.filter(provisional=True, year__in=[this_year, this_year + 1]).order_by(
            "year"
        )
    )


# --- deadline detail ---------------------------------------------------------------------------


def deadlines_visible_to(user) -> QuerySet[Deadline]:
    """The assignee sees a timer; so does anyone whose org scope holds its org unit; HQ sees all."""
    if not user or not user.is_authenticated:
        return Deadline.objects.none()
    scope = org_scope_q(user, "org_unit")
    qs = Deadline.objects.select_related("org_unit", "owner_type", "assignee", "policy")
    if scope is None:
        return qs
    return qs.filter(Q(assignee=user) | scope)


def deadline_log(deadline: Deadline):
    return deadline.log.select_related("actor").order_by("at", "id")


def deadline_owner_url(deadline: Deadline) -> str | None:
    """The owner object's page, if the owner has one."""
    model = deadline.owner_type.model_class()
    if model is None or not hasattr(model, "get_absolute_url"):
        return None
    owner = model._default_manager.filter(pk=deadline.owner_id).first()
    if owner is None:
        return None
    try:
        return owner.get_absolute_url()
    except Exception:  # an owner whose URL cannot be built still gets the detail page
        return None


# --- inbox -------------------------------------------------------------------------------------


ACTION, INFO = "action", "info"  # 待办, 知会
BOXES = (ACTION, INFO)


def inbox(user, box: str = "") -> QuerySet[Notification]:
    """My in-app notifications, newest first; `box` keeps 待办 (asks me to act and not done yet)
    or 知会 (for information)."""
    qs = Notification.objects.filter(recipient=user, channel=Channel.IN_APP)
    if box == ACTION:
        qs = qs.filter(needs_action=True, done_at__isnull=True)
    elif box == INFO:
        qs = qs.filter(needs_action=False)
    return qs.order_by("-created_at", "-id")


def inbox_counts(user) -> dict[str, int]:
    """Open 待办 and unread 知会, for the tabs."""
    from service_ops.notifications.services import BADGE_CAP
    from service_ops.paging import capped_count

    mine = Notification.objects.filter(recipient=user, channel=Channel.IN_APP)
    return {  # badges: "99+" past BADGE_CAP, so a busy inbox is not counted to the end
        ACTION: capped_count(mine.filter(needs_action=True, done_at__isnull=True), BADGE_CAP),
        INFO: capped_count(mine.filter(needs_action=False, read_at__isnull=True), BADGE_CAP),
    }


def inbox_item(user, pk: int) -> Notification | None:
    return inbox(user).filter(pk=pk).first()


# --- calendar ----------------------------------------------------------------------------------

WEEKDAY_COUNT = 7


@dataclass
class DayCell:
    day: date
    is_working: bool
    is_override: bool
    note: str

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5

    @property
    def is_holiday(self) -> bool:
        """A weekday off (a public holiday or a company day off)."""
        return not self.is_working and not self.is_weekend

    @property
    def is_make_up(self) -> bool:
        """A weekend working day (调休 make-up day)."""
        return self.is_working and self.is_weekend


@dataclass
class MonthGrid:
    month: int
    first: date
    weeks: list[list[DayCell | None]]
    working_days: int


@dataclass
class YearView:
    year: int
    calendar_year: CalendarYear | None
    months: list[MonthGrid]
    working_days: int
    days_off: int
    overrides: list[DayCell]
    years: list[CalendarYear]
    changes: list[CalendarChange]

    @property
    def provisional(self) -> bool:
        return bool(self.calendar_year and self.calendar_year.provisional)


def calendar_year_view(year: int) -> YearView:
    """The stored days of a year as month grids (Monday first), with its overrides, the list of
    seeded years and the recent calendar changes. Four queries."""
    cells = {
        d.date: DayCell(d.date, d.is_working, d.is_override, d.note)
        for d in CalendarDay.objects.filter(date__year=year).order_by("date")
    }
    months = []
    for month in range(1, 13):
        weeks = []
        for week in _calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append([cells.get(d) if d.month == month else None for d in week])
        working = sum(1 for c in cells.values() if c.day.month == month and c.is_working)
        months.append(
            MonthGrid(month=month, first=date(year, month, 1), weeks=weeks, working_days=working)
        )
    years = list(CalendarYear.objects.select_related("confirmed_by").order_by("year"))
    changes = list(
        CalendarChange.objects.filter(year=year)
        .select_related("actor")
        .order_by("-created_at", "-id")[:20]
    )
    working_total = sum(1 for c in cells.values() if c.is_working)
    return YearView(
        year=year,
        calendar_year=next((y for y in years if y.year == year), None),
        months=months,
        working_days=working_total,
        days_off=len(cells) - working_total,
        overrides=[c for c in cells.values() if c.is_override],
        years=years,
        changes=changes,
    )
