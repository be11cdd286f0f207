"""Working-day arithmetic on the company calendar (DESIGN §3, §3.1).

Counting rule: "N working days" from a moment ends at the cut-off (default 18:00 Asia/Shanghai) of
the Nth working day *after* that moment's local date; the start date itself never counts, whether
or not it is a working day.

Each process keeps a sorted list of working-day ordinals and bisects it, plus, for the hot path
(`add_working_days`), two arrays precomputed once per load: for every day of the seeded years the
position of the first working day after it, and each working day's cut-off as a ready datetime.
An addition inside the seeded years is then two list lookups, with no date or datetime built.
The lists are reloaded when the stored calendar version changes (checked at most every
CALENDAR_VERSION_TTL seconds, and at once in the process that made the edit). Code that does
many calculations in one go (the sweep, a recompute) wraps them in `pinned()`: one version check,
one consistent calendar for the whole batch. A date outside the seeded years seeds that year (and
any gap before it) on demand, as provisional when the official schedule is not known yet: nothing
raises because a year is unknown.
"""

from __future__ import annotations

import threading
import time as _time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language

ZONE = ZoneInfo("Asia/Shanghai")
# Asia/Shanghai has kept UTC+8 without daylight saving since 1991-09-15: from 1992 on a moment's
# local day is its distance from the local epoch in whole days, whatever zone it is expressed in.
_LOCAL_EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone(timedelta(hours=8)))
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_FIXED_OFFSET_FROM = date(1992, 1, 1).toordinal() - _EPOCH_ORDINAL


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


_hours_cache: tuple[tuple[str, str], time, time] | None = None


def _working_hours() -> tuple[time, time]:
    """(opening, cut-off), parsed once per settings value (tests may override the settings)."""
    global _hours_cache
    cfg = settings.SERVICE_OPS
    key = (cfg["WORKDAY_START"], cfg["WORKDAY_END"])
    cached = _hours_cache
    if cached is None or cached[0] != key:
        start, end = _parse_hhmm(key[0]), _parse_hhmm(key[1])
        if end <= start:
            raise ValueError(f"WORKDAY_END {key[1]} must be after WORKDAY_START {key[0]}")
        cached = _hours_cache = (key, start, end)
    return cached[1], cached[2]


def workday_start() -> time:
    return _working_hours()[0]


def workday_end() -> time:
    """The cut-off: "N working days" ends at this local time of the Nth working day."""
    return _working_hours()[1]


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai date of a moment (`.date()` of a UTC value gives the wrong day)."""
    if timezone.is_naive(moment):
        raise ValueError("a naive datetime has no local date; pass an aware one")
    return moment.astimezone(ZONE).date()


def at_local(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZONE)


def cutoff(day: date) -> datetime:
    """End of the working day `day`."""
    return at_local(day, workday_end())


def opening(day: date) -> datetime:
    return at_local(day, workday_start())


# --- the cached calendar ------------------------------------------------------------------------


@dataclass
class _Snapshot:
    version: int
    ordinals: list[int]  # working days, sorted
    first_year: int
    last_year: int
    contiguous: bool  # every year first_year..last_year is seeded
    checked_at: float
    ttl: float  # CALENDAR_VERSION_TTL when last checked
    end: time  # the cut-off when last checked
    first_ordinal: int = 0
    last_ordinal: int = -1
    # For each day first_ordinal..last_ordinal: bisect_right(ordinals, day), i.e. the position
    # of the first working day after it (only when contiguous).
    after: list[int] = field(default_factory=list, repr=False)
    # The cut-off of each working day (ordinals[i]) as an aware datetime, for `cutoffs_end`.
    cutoffs: list[datetime] = field(default_factory=list, repr=False)
    cutoffs_end: time | None = None
    # (first_ordinal, last_ordinal, after, cutoffs) when contiguous, else None: one attribute
    # read for add_working_days.
    fast: tuple | None = field(default=None, repr=False)
    # Years seeded from the library without the State Council's published 调休 (not confirmed).
    provisional_years: frozenset[int] = frozenset()

    def __post_init__(self):
        if self.last_year >= self.first_year:
            self.first_ordinal = date(self.first_year, 1, 1).toordinal()
            self.last_ordinal = date(self.last_year, 12, 31).toordinal()
        if self.contiguous:
            after, i, ordinals = [], 0, self.ordinals
            for day in range(self.first_ordinal, self.last_ordinal + 1):
                while i < len(ordinals) and ordinals[i] <= day:
                    i += 1
                after.append(i)
            self.after = after
        self.set_end(self.end)

    def set_end(self, end: time) -> None:
        """The cut-off in force (a settings override may change it): rebuild the ready cut-offs
        when it differs from the one they were built for."""
        self.end = end
        if self.contiguous and self.cutoffs_end != end:
            combine, fromordinal = datetime.combine, date.fromordinal
            self.cutoffs = [combine(fromordinal(o), end, tzinfo=ZONE) for o in self.ordinals]
            self.cutoffs_end = end
            self.fast = (self.first_ordinal, self.last_ordinal, self.after, self.cutoffs)

    def covers(self, first_year: int, last_year: int) -> bool:
        return self.contiguous and self.first_year <= first_year and last_year <= self.last_year


class _Pin(threading.local):
    depth = 0  # nesting of pinned()
    snap: _Snapshot | None = None  # the pinned snapshot; None outside pinned()


_snapshot: _Snapshot | None = None
_pin = _Pin()
_monotonic = _time.monotonic


def invalidate() -> None:
    """Forget the cached calendar (called by the process that edits it, and by tests)."""
    global _snapshot
    _snapshot = None
    _pin.snap = None


@contextmanager
def pinned() -> Iterator[None]:
    """Use one calendar for everything inside: the stored version is checked once, on first use.
    An edit or an on-demand seed inside the block reloads it."""
    _pin.depth += 1
    try:
        yield
    finally:
        _pin.depth -= 1
        if not _pin.depth:
            _pin.snap = None


def _stored_version() -> int:
    from .models import CalendarVersion

    return CalendarVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _load(version: int) -> _Snapshot:
    from .models import CalendarDay, CalendarYear

    rows = list(CalendarYear.objects.order_by("year").values_list("year", "provisional"))
    years = [year for year, _provisional in rows]
    ordinals = [
        d.toordinal()
        for d in CalendarDay.objects.filter(is_working=True)
        .order_by("date")
        .values_list("date", flat=True)
    ]
    first, last = (years[0], years[-1]) if years else (0, -1)
    contiguous = bool(years) and last - first + 1 == len(years)
    return _Snapshot(
        version,
        ordinals,
        first,
        last,
        contiguous,
        _monotonic(),
        _ttl(),
        workday_end(),
        provisional_years=frozenset(year for year, provisional in rows if provisional),
    )


def _remember(snap: _Snapshot) -> _Snapshot:
    global _snapshot
    _snapshot = snap
    if _pin.depth:
        _pin.snap = snap
    return snap


def _fresh() -> _Snapshot:
    """The calendar to use now: the pinned one, else the process's, re-checking the stored
    version at most every CALENDAR_VERSION_TTL seconds."""
    snap = _pin.snap
    if snap is not None:
        return snap
    snap = _snapshot
    if snap is not None and _monotonic() - snap.checked_at < snap.ttl:
        if _pin.depth:
            _pin.snap = snap
        return snap
    version = _stored_version()
    if snap is None or snap.version != version:
        snap = _load(version)
        if not snap.contiguous and snap.last_year < snap.first_year:
            # An empty calendar: seed around today.
            from .services import calendar_seed_year

            this_year = timezone.localdate().year
            for year in range(this_year - 1, this_year + 2):
                calendar_seed_year(year)
            snap = _load(_stored_version())
    else:
        snap.checked_at, snap.ttl = _monotonic(), _ttl()
        snap.set_end(workday_end())
    return _remember(snap)


def _ttl() -> float:
    return float(settings.SERVICE_OPS["CALENDAR_VERSION_TTL"])


def _covering(first: date, last: date) -> _Snapshot:
    """A snapshot whose seeded years include `first`..`last`, seeding missing years (and any gap
    between them and the seeded ones) on demand."""
    snap = _fresh()
    if snap.covers(first.year, last.year):
        return snap
    from .models import CalendarYear
    from .services import calendar_seed_year

    low = min(first.year, snap.first_year) if snap.last_year >= snap.first_year else first.year
    high = max(last.year, snap.last_year)
    seeded = set(
        CalendarYear.objects.filter(year__range=(low, high)).values_list("year", flat=True)
    )
    for year in range(low, high + 1):
        if year not in seeded:
            calendar_seed_year(year)
    invalidate()
    return _remember(_load(_stored_version()))


# --- days ---------------------------------------------------------------------------------------


def is_provisional(moment: datetime | date) -> bool:
    """Whether a day (or the local day of a moment) falls in a year whose 调休 schedule is not
    confirmed yet: a due time there may still move when an admin pastes the official one."""
    day = local_date(moment) if isinstance(moment, datetime) else moment
    return day.year in _covering(day, day).provisional_years


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


def working_days_in(first: date, last: date) -> int:
    """How many working days in first..last (both included)."""
    if last < first:
        return 0
    snap = _covering(first, last)
    return bisect_right(snap.ordinals, last.toordinal()) - bisect_left(
        snap.ordinals, first.toordinal()
    )


def local_ordinal(moment: datetime) -> int:
    """The ordinal of the moment's Asia/Shanghai date (`local_date(moment).toordinal()`), without
    building a date: a moment already in the zone gives it directly, any other aware moment from
    1992 on by its whole days since the local epoch."""
    tz = moment.tzinfo
    if tz is ZONE:
        return moment.toordinal()
    if tz is None:
        local_date(moment)  # raises
    days = (moment - _LOCAL_EPOCH).days
    if days >= _FIXED_OFFSET_FROM:
        return days + _EPOCH_ORDINAL
    return moment.astimezone(ZONE).toordinal()


def _local_day_and_time(moment: datetime) -> tuple[int, time]:
    """(local ordinal, local time of day) of an aware moment, as local_ordinal reads it."""
    local = moment if moment.tzinfo is ZONE else moment.astimezone(ZONE)
    return local.toordinal(), local.time()


def add_working_days(moment: datetime, n: int) -> datetime:
    """The cut-off of the Nth working day after the moment's local date (n = 0: the moment).
    The hot path of the sweep and of every list with due dates: inside the seeded years it is two
    list lookups (the precomputed position after the day, the ready cut-off); the general path
    otherwise. (local_ordinal and _fresh are inlined: this runs millions of times.)"""
    if n <= 0:
        return moment
    tz = moment.tzinfo
    if tz is ZONE:
        ordinal = moment.toordinal()
    else:
        if tz is None:
            local_date(moment)  # raises
        days = (moment - _LOCAL_EPOCH).days
        if days >= _FIXED_OFFSET_FROM:
            ordinal = days + _EPOCH_ORDINAL
        else:
            ordinal = moment.astimezone(ZONE).toordinal()
    snap = _pin.snap
    if snap is None:
        snap = _snapshot
        if snap is None or _monotonic() - snap.checked_at >= snap.ttl or _pin.depth:
            snap = _fresh()
    fast = snap.fast
    if fast is not None:
        first, last, after, cutoffs = fast
        if first <= ordinal <= last:
            i = after[ordinal - first] + n - 1
            if i < len(cutoffs):
                return cutoffs[i]
    return cutoff(nth_working_day_after(date.fromordinal(ordinal), n))


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
    return working_days_in(first, last)


# --- hours --------------------------------------------------------------------------------------


def _day_seconds() -> float:
    start, end = _working_hours()
    return (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds()


def _overlap(day: date, start: datetime, end: datetime) -> float:
    """Seconds of [start, end] inside the working hours of `day` (a working day)."""
    return max(0.0, (min(end, cutoff(day)) - max(start, opening(day))).total_seconds())


def working_seconds_between(start: datetime, end: datetime) -> float:
    """Working time (inside working hours on working days) between two moments, in seconds."""
    if end <= start:
        return 0.0
    first, last = local_date(start), local_date(end)
    if first == last:
        return _overlap(first, start, end) if is_working_day(first) else 0.0
    total = 0.0
    if is_working_day(first):
        total += _overlap(first, start, end)
    if is_working_day(last):
        total += _overlap(last, start, end)
    inner = working_days_in(first + timedelta(days=1), last - timedelta(days=1))
    return total + inner * _day_seconds()


def add_working_seconds(moment: datetime, seconds: float) -> datetime:
    """The moment when `seconds` of working time have passed after `moment`. A span that ends
    exactly at a cut-off ends there (18:00), not at the next opening."""
    if seconds <= 0:
        return moment
    remaining = timedelta(seconds=seconds)
    day = local_date(moment)
    if is_working_day(day):
        begin = max(moment, opening(day))
        close = cutoff(day)
        if begin < close:
            if remaining <= close - begin:
                return begin + remaining
            remaining -= close - begin
    full_day = timedelta(seconds=_day_seconds())
    whole_days, rest = divmod(remaining, full_day)
    if not rest:
        return cutoff(nth_working_day_after(day, whole_days))
    return opening(nth_working_day_after(day, whole_days + 1)) + rest


def add_working_hours(moment: datetime, hours: float) -> datetime:
    return add_working_seconds(moment, hours * 3600)


def add_calendar_hours(moment: datetime, hours: float) -> datetime:
    return moment + timedelta(hours=hours)


# --- what people read -----------------------------------------------------------------------------


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class TimeLeft:
    """Time left until a due moment, in the units people speak: working days (counted like the
    limit itself: the working days after today up to the due date), else working hours when less
    than a full working day is left. Overdue: the working days whose cut-off has passed since."""

    overdue: bool
    working_days: int
    working_hours: float

    def __str__(self) -> str:
        # a list page says the same few texts fifty times: each is worded once per language
        # (and working hours, which decide between days and hours)
        return _time_left_text(self, get_language(), _working_hours())


@lru_cache(maxsize=4096)
def _time_left_text(left: TimeLeft, _language: str | None, _hours) -> str:
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    n = left.working_days
    if left.overdue:
        if n:
            return ngettext("超期 %(n)d 个工作日", "超期 %(n)d 个工作日", n) % {"n": n}
        return _("已超期")
    if n >= 1 and left.working_hours * 3600 >= _day_seconds():
        return ngettext("剩余 %(n)d 个工作日", "剩余 %(n)d 个工作日", n) % {"n": n}
    return _("剩余 %(h).1f 工作小时") % {"h": left.working_hours}


def time_left(now: datetime, due: datetime) -> TimeLeft:
    with pinned():
        fast = _fresh().fast
        if fast is not None:  # inside the seeded years: positions in the ready lists
            first, last, after, _cutoffs = fast
            (a, a_at), (b, b_at) = _local_day_and_time(due), _local_day_and_time(now)
            end = _working_hours()[1]
            if due <= now and first < a and b <= last:
                # the working days whose cut-off falls in (due, now]
                after_due = a if a_at >= end else a - 1
                until = b if b_at >= end else b - 1
                return TimeLeft(True, after[until - first] - after[after_due - first], 0.0)
            if now < due and first <= b and a <= last:
                days = after[a - first] - after[b - first]  # working days in (today, due day]
                return TimeLeft(False, days, working_seconds_between(now, due) / 3600)
        if due <= now:
            return TimeLeft(True, working_days_between(due, now), 0.0)
        days = working_days_in(local_date(now) + timedelta(days=1), local_date(due))
        return TimeLeft(False, days, working_seconds_between(now, due) / 3600)
