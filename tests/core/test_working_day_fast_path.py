"""clock.add_working_days takes a precomputed fast path (positions and ready cut-offs per seeded
day); these compare it, over many random moments in many zones, with the rule counted the plain
way (day by day through is_working_day) and with the bisect it replaced. No timing here: the
benchmark (manage.py bench_deadlines) measures the speed."""

import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from service_ops.workcalendar import clock
from service_ops.workcalendar.services import calendar_set_day

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
ZONES = [
    SH,
    UTC,
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/London"),
    ZoneInfo("Asia/Kolkata"),
    timezone(timedelta(hours=8)),
    timezone(timedelta(hours=-11, minutes=-30)),
]


def counted_plainly(moment: datetime, n: int) -> datetime:
    """The counting rule as written: step day by day after the local date, count working days."""
    if n <= 0:
        return moment
    day = moment.astimezone(SH).date()
    while n:
        day += timedelta(days=1)
        if clock.is_working_day(day):
            n -= 1
    return clock.cutoff(day)


def bisected(moment: datetime, n: int) -> datetime:
    """The previous implementation: bisect the ordinals, build the date and the datetime."""
    if n <= 0:
        return moment
    return clock.cutoff(clock.nth_working_day_after(clock.local_date(moment), n))


def random_moments(rng: random.Random, count: int, first: date, last: date):
    span = (last - first).days
    for _ in range(count):
        zone = rng.choice(ZONES)
        local = datetime.combine(
            first + timedelta(days=rng.randrange(span + 1)), time(), tzinfo=SH
        ) + timedelta(seconds=rng.randrange(86_400))
        if rng.random() < 0.2:  # right around local midnight and the cut-off
            local = local.replace(hour=rng.choice([0, 18, 23]), minute=rng.choice([0, 59]))
        yield local.astimezone(zone), rng.randrange(0, 41)


@pytest.fixture
def seeded():
    for year in range(2023, 2028):
        clock.is_working_day(date(year, 6, 1))


def test_the_fast_path_agrees_with_the_rule_counted_plainly_on_random_moments(seeded):
    rng = random.Random(20261206)
    pairs = list(random_moments(rng, 3000, date(2023, 1, 1), date(2027, 12, 31)))

    with clock.pinned():
        fast = [clock.add_working_days(m, n) for m, n in pairs]
        plain = [counted_plainly(m, n) for m, n in pairs]
        old = [bisected(m, n) for m, n in pairs]

    mismatches = [(m, n, f, p) for (m, n), f, p in zip(pairs, fast, plain, strict=True) if f != p]
    assert mismatches == []
    assert fast == old
    assert all(f.tzinfo is SH or n == 0 for (_m, n), f in zip(pairs, fast, strict=True))


def test_outside_pinned_every_call_sees_the_same_answers(seeded):
    rng = random.Random(7)
    pairs = list(random_moments(rng, 300, date(2024, 1, 1), date(2026, 12, 31)))

    unpinned = [clock.add_working_days(m, n) for m, n in pairs]

    with clock.pinned():
        assert unpinned == [counted_plainly(m, n) for m, n in pairs]


def test_answers_past_the_seeded_years_take_the_general_path_and_seed_on_demand(seeded):
    rng = random.Random(11)
    pairs = list(random_moments(rng, 200, date(2027, 11, 1), date(2028, 3, 31)))

    fast = [clock.add_working_days(m, n) for m, n in pairs]

    with clock.pinned():
        assert fast == [counted_plainly(m, n) for m, n in pairs]


def test_a_calendar_edit_moves_the_fast_path_too(seeded):
    friday = datetime(2026, 11, 20, 10, tzinfo=SH)
    assert clock.add_working_days(friday, 1) == datetime(2026, 11, 23, 18, tzinfo=SH)

    calendar_set_day(day=date(2026, 11, 23), is_working=False, note="停电")

    assert clock.add_working_days(friday, 1) == datetime(2026, 11, 24, 18, tzinfo=SH)
    assert clock.add_working_days(friday, 1) == counted_plainly(friday, 1)


def test_a_changed_cut_off_reaches_the_ready_cut_offs(seeded, settings):
    moment = datetime(2026, 11, 20, 10, tzinfo=SH)
    assert clock.add_working_days(moment, 1) == datetime(2026, 11, 23, 18, tzinfo=SH)

    settings.SERVICE_OPS = {**settings.SERVICE_OPS, "WORKDAY_END": "17:30"}

    assert clock.add_working_days(moment, 1) == datetime(2026, 11, 23, 17, 30, tzinfo=SH)


def test_the_local_day_of_any_aware_moment_is_its_shanghai_date():
    rng = random.Random(3)
    # 1986–1991 had daylight saving time in Shanghai: the general path handles those.
    start = datetime(1985, 1, 1, tzinfo=UTC)
    for _ in range(5000):
        moment = (start + timedelta(seconds=rng.randrange(45 * 365 * 86_400))).astimezone(
            rng.choice(ZONES)
        )
        assert clock.local_ordinal(moment) == moment.astimezone(SH).date().toordinal()
    with pytest.raises(ValueError):
        clock.add_working_days(datetime(2026, 1, 5, 10), 1)
