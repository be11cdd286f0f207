"""Working-day arithmetic on the company calendar (DESIGN §3, §3.1).

Counting rule: "N working days" from a moment ends at the cut-off (default 18:00 Asia/Shanghai) of
the Nth working day *after* that moment's local date; the start date itself never counts.

Each process keeps a sorted list of working-day ordinals and bisects it; the list is reloaded when
the stored calendar version changes (checked at most every CALENDAR_VERSION_TTL seconds, and at
once in the process that made the edit). A date outside the seeded years seeds that year as
provisional on demand: nothing raises because a year is unknown.
"""

from __future__ import annotations

import threading
import time as _time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

ZONE = ZoneInfo("Asia/Shanghai")
_lock = threading.RLock()


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def workday_start() -> time:
    return _parse_hhmm(settings.SERVICE_OPS["WORKDAY_START"])


def workday_end() -> time:
    return _parse_hhmm(settings.SERVICE_OPS["WORKDAY_END"])


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai date of a moment (`.date()` of a UTC value gives the wrong day)."""
    return moment.astimezone(ZONE).date()


def at_local(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZONE)


def cutoff(day: date) -> datetime:
    """End of the working day `day`."""
    return at_local(day, workday_end())


@dataclass
class _Snapshot:
    version: int
    ordinals: list[int]
    first_year: int
    last_year: int
    checked_at: float


_snapshot: _Snapshot | None = None


def invalidate() -> None:
    """Forget the cached calendar (called by the process that edits it, and by tests)."""
    global _snapshot
    with _lock:
        _snapshot = None


def _stored_version() -> int:
    from .models import CalendarVersion

    return CalendarVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _load(version: int) -> _Snapshot:
    from .models import CalendarDay, CalendarYear

    years = list(CalendarYear.objects.order_by("year").values_list("year", flat=True))
    if not years:
        from .services import calendar_seed_year

        this_year = timezone.localdate().year
        for year in range(this_year - 1, this_year + 2):
            calendar_seed_year(year)
        return _load(_stored_version())
    ordinals = [
        d.toordinal()
        for d in CalendarDay.objects.filter(is_working=True)
        .order_by("date")
        .values_list("date", flat=True)
    ]
    return _Snapshot(version, ordinals, years[0], years[-1], _time.monotonic())


def _current() -> _Snapshot:
    global _snapshot
    with _lock:
        snap = _snapshot
        ttl = settings.SERVICE_OPS["CALENDAR_VERSION_TTL"]
        if snap is not None and _time.monotonic() - snap.checked_at < ttl:
            return snap
        version = _stored_version()
        if snap is None or snap.version != version:
            snap = _load(version)
        else:
            snap.checked_at = _time.monotonic()
        _snapshot = snap
        return snap


def _covering(first: date, last: date) -> _Snapshot:
    """A snapshot whose seeded years include `first`..`last`, seeding missing years."""
    snap = _current()
    if snap.first_year <= first.year and last.year <= snap.last_year:
        return snap
    from .services import calendar_seed_year

    for year in range(min(first.year, snap.first_year), max(last.year, snap.last_year) + 1):
        calendar_seed_year(year)
    invalidate()
    return _current()


def is_working_day(day: date) -> bool:
    snap = _covering(day, day)
    ordinal = day.toordinal()
    i = bisect_left(snap.ordinals, ordinal)
    return i < len(snap.ordinals) and snap.ordinals[i] == ordinal


def nth_working_day_after(day: date, n: int) -> date:
    """The Nth working day strictly after `day` (n >= 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    horizon = day
    while True:
        snap = _covering(day, horizon)
        i = bisect_right(snap.ordinals, day.toordinal()) + n - 1
        if i < len(snap.ordinals):
            return date.fromordinal(snap.ordinals[i])
        horizon = date(snap.last_year + 1, 12, 31)


def nth_working_day_before(day: date, n: int) -> date:
    """The Nth working day strictly before `day` (n >= 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    floor = day
    while True:
        snap = _covering(floor, day)
        i = bisect_left(snap.ordinals, day.toordinal()) - n
        if i >= 0:
            return date.fromordinal(snap.ordinals[i])
        floor = date(snap.first_year - 1, 1, 1)


def add_working_days(moment: datetime, n: int) -> datetime:
    """The cut-off of the Nth working day after the moment's local date (n = 0: the moment)."""
    if n <= 0:
        return moment
    return cutoff(nth_working_day_after(local_date(moment), n))


def working_days_between(start: datetime, end: datetime) -> int:
    """How many working-day cut-offs fall in (start, end]: the working days a pause credits.
    Paused Monday 10:00 and resumed Wednesday 10:00 credits 2."""
    if end <= start:
        return 0
    first = local_date(start)
    if start >= cutoff(first):
        first += timedelta(days=1)
    last = local_date(end)
    if end < cutoff(last):
        last -= timedelta(days=1)
    if last < first:
        return 0
    snap = _covering(first, last)
    return bisect_right(snap.ordinals, last.toordinal()) - bisect_left(
        snap.ordinals, first.toordinal()
    )


def _window(day: date) -> tuple[datetime, datetime]:
    return at_local(day, workday_start()), at_local(day, workday_end())


def working_seconds_between(start: datetime, end: datetime) -> float:
    """Working time (inside working hours on working days) between two moments, in seconds."""
    if end <= start:
        return 0.0
    first, last = local_date(start), local_date(end)
    if first == last:
        if not is_working_day(first):
            return 0.0
        open_, close = _window(first)
        return max(0.0, (min(end, close) - max(start, open_)).total_seconds())
    total = working_seconds_between(start, cutoff(first) + timedelta(seconds=1))
    total += working_seconds_between(at_local(last, time(0)), end)
    inner_first, inner_last = first + timedelta(days=1), last - timedelta(days=1)
    if inner_last >= inner_first:
        snap = _covering(inner_first, inner_last)
        days = bisect_right(snap.ordinals, inner_last.toordinal()) - bisect_left(
            snap.ordinals, inner_first.toordinal()
        )
        open_, close = _window(inner_first)
        total += days * (close - open_).total_seconds()
    return total


def add_working_hours(moment: datetime, hours: float) -> datetime:
    """The moment when `hours` of working time have passed after `moment`."""
    remaining = timedelta(hours=hours)
    day = local_date(moment)
    cursor = moment
    while True:
        if is_working_day(day):
            open_, close = _window(day)
            begin = max(cursor, open_)
            if begin < close:
                available = close - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day = nth_working_day_after(day, 1)
        cursor = _window(day)[0]


def add_calendar_hours(moment: datetime, hours: float) -> datetime:
    return moment + timedelta(hours=hours)


@dataclass(frozen=True)
class TimeLeft:
    """Time left until a due moment, in the units people speak: working days, else working hours."""

    overdue: bool
    working_days: int
    working_hours: float

    def __str__(self) -> str:
        from django.utils.translation import gettext as _

        if self.overdue:
            if self.working_days:
                return _("超期 %(n)d 个工作日") % {"n": self.working_days}
            return _("已超期")
        if self.working_days >= 1:
            return _("剩余 %(n)d 个工作日") % {"n": self.working_days}
        return _("剩余 %(h).1f 工作小时") % {"h": self.working_hours}


def time_left(now: datetime, due: datetime) -> TimeLeft:
    if due <= now:
        return TimeLeft(True, working_days_between(due, now), 0.0)
    return TimeLeft(False, working_days_between(now, due), working_seconds_between(now, due) / 3600)
