"""The working-day calendar: the counting rule, the 2026 holidays and make-up days, company
overrides, provisional years seeded on demand, confirming a year from the published schedule, and
working-hour arithmetic. All times are Asia/Shanghai unless a test says otherwise."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from service_ops.deadlines.models import (
    DeadlineLog,
    DeadlinePolicy,
    DeadlineStatus,
    LimitUnit,
)
from service_ops.deadlines.services import deadline_pause, deadline_start
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.workcalendar import clock
from service_ops.workcalendar.models import CalendarChange, CalendarDay, CalendarYear
from service_ops.workcalendar.services import (
    ScheduleError,
    calendar_confirm_year,
    calendar_seed_year,
    calendar_set_day,
    parse_schedule,
)

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


# The State Council notice for 2026 (国办发明电〔2025〕7号), items as published.
NOTICE_2026 = """\
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
"""

# A 2027 schedule as an admin would paste it (not the real one, which is not published yet):
# New Year runs Friday 1 to Monday 4 January with no make-up day.
SCHEDULE_2027 = """\
# 2027 年放假调休安排
2027-01-01~2027-01-04 休 元旦
2027-02-06~2027-02-13 休 春节
2027-02-20 班 春节调休
"""


@pytest.fixture
def only_2026():
    """A calendar that knows 2026 only, so later years must be seeded on demand."""
    calendar_seed_year(2026)
    clock.invalidate()
    assert list(CalendarYear.objects.values_list("year", flat=True)) == [2026]


@pytest.fixture
def owner():
    return get_user_model().objects.create_user(username="owner")


def working_days_policy(limit=3, code="repair-1"):
    return DeadlinePolicy.objects.create(
        code=code,
        name="维修时限",
        kind="test.repair",
        unit=LimitUnit.WORKING_DAYS,
        limit=Decimal(limit),
        max_total=Decimal(15),
        escalation_chain=["assignee"],
    )


# --- the counting rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # The example: Oct 8, Oct 9 and the make-up Saturday Oct 10.
        (at(2026, 9, 30, 10), 3, at(2026, 10, 10, 18)),
        (at(2026, 9, 30, 0, 0), 3, at(2026, 10, 10, 18)),
        (at(2026, 9, 30, 23, 59), 3, at(2026, 10, 10, 18)),
        (at(2026, 9, 30, 10), 1, at(2026, 10, 8, 18)),
        # Mid-Autumn Friday Sep 25 and the weekend after it are off.
        (at(2026, 9, 24, 9), 1, at(2026, 9, 28, 18)),
        # The make-up Sunday Sep 20 is a working day.
        (at(2026, 9, 19, 9), 1, at(2026, 9, 20, 18)),
        # A start on a holiday: the holiday does not count, nor do the days off after it.
        (at(2026, 10, 3, 11), 1, at(2026, 10, 8, 18)),
        # A start on a working day after its cut-off: the start date still never counts.
        (at(2026, 10, 9, 19), 1, at(2026, 10, 10, 18)),
        # A start on the make-up Saturday itself: it does not count either.
        (at(2026, 10, 10, 9), 1, at(2026, 10, 12, 18)),
    ],
)
def test_n_working_days_end_at_the_cut_off_of_the_nth_working_day_after_the_start_date(
    start, n, due
):
    assert clock.add_working_days(start, n) == due


def test_zero_working_days_is_the_moment_itself():
    assert clock.add_working_days(at(2026, 10, 3, 11), 0) == at(2026, 10, 3, 11)


def test_mid_autumn_and_national_day_2026_are_days_off_and_the_make_up_days_are_worked():
    off = [date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)]
    off += [date(2026, 10, d) for d in range(1, 8)]
    worked = [date(2026, 9, 20), date(2026, 10, 10), date(2026, 9, 28), date(2026, 10, 8)]

    assert [d for d in off if clock.is_working_day(d)] == []
    assert all(clock.is_working_day(d) for d in worked)


def test_seeding_takes_the_make_up_days_from_the_library_and_names_the_days():
    clock.is_working_day(date(2026, 10, 1))  # seeds around today

    sunday = CalendarDay.objects.get(date=date(2026, 9, 20))
    national_day = CalendarDay.objects.get(date=date(2026, 10, 1))
    assert (sunday.is_working, sunday.note) == (True, "调休上班")
    assert (national_day.is_working, national_day.note) == (False, "国庆节")


def test_the_nth_working_day_before_skips_the_holidays():
    assert clock.nth_working_day_before(date(2026, 10, 8), 1) == date(2026, 9, 30)
    assert clock.nth_working_day_before(date(2026, 10, 12), 1) == date(2026, 10, 10)


# --- the Asia/Shanghai date -------------------------------------------------------------------


def test_a_utc_moment_belongs_to_its_shanghai_date():
    assert clock.local_date(datetime(2026, 9, 30, 17, 0, tzinfo=UTC)) == date(2026, 10, 1)
    assert clock.local_date(datetime(2026, 9, 30, 15, 59, tzinfo=UTC)) == date(2026, 9, 30)


def test_working_days_count_from_the_shanghai_date_not_the_utc_date():
    # 16:30 UTC on Monday Sep 28 is 00:30 on Tuesday Sep 29 in Shanghai: Tuesday never counts.
    assert clock.add_working_days(datetime(2026, 9, 28, 16, 30, tzinfo=UTC), 1) == at(
        2026, 9, 30, 18
    )


def test_a_naive_moment_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="naive"):
        clock.add_working_days(datetime(2026, 9, 30, 10), 1)


# --- company overrides ------------------------------------------------------------------------


def test_a_company_day_off_pushes_the_due_date_and_is_logged():
    moved = calendar_set_day(day=date(2026, 10, 9), is_working=False, note="公司年会")

    assert moved == 0
    assert clock.add_working_days(at(2026, 9, 30, 10), 3) == at(2026, 10, 12, 18)
    change = CalendarChange.objects.get(kind=CalendarChange.Kind.OVERRIDE)
    assert (change.date, change.year) == (date(2026, 10, 9), 2026)
    assert "公司年会" in change.detail
    assert CalendarDay.objects.get(date=date(2026, 10, 9)).is_override


def test_a_company_working_sunday_counts_as_a_working_day():
    calendar_set_day(day=date(2026, 10, 11), is_working=True, note="盘点")

    assert clock.add_working_days(at(2026, 10, 10, 9), 1) == at(2026, 10, 11, 18)


def test_a_company_override_survives_confirming_the_year(only_2026):
    calendar_set_day(day=date(2026, 10, 9), is_working=False, note="公司年会")

    calendar_confirm_year(year=2026, schedule_text=NOTICE_2026)

    assert not clock.is_working_day(date(2026, 10, 9))


def test_an_override_that_changes_nothing_moves_no_timer(owner):
    deadline = deadline_start(
        policy=working_days_policy(), owner=owner, started_at=at(2026, 9, 30, 10)
    )

    assert calendar_set_day(day=date(2026, 10, 8), is_working=True) == 0
    deadline.refresh_from_db()
    assert deadline.due_at == at(2026, 10, 10, 18)
    assert not DeadlineLog.objects.filter(kind=DeadlineLog.Kind.RECOMPUTE).exists()


# --- provisional years ------------------------------------------------------------------------


def test_fifteen_working_days_from_2026_12_20_reach_into_a_provisional_2027(only_2026):
    # Dec 21–25, Dec 28–31, (Jan 1 is New Year's Day), Jan 4–8, Jan 11.
    due = clock.add_working_days(at(2026, 12, 20, 10), 15)

    assert due == at(2027, 1, 11, 18)
    year = CalendarYear.objects.get(year=2027)
    assert year.provisional
    assert CalendarChange.objects.filter(kind=CalendarChange.Kind.SEED, year=2027).exists()


def test_a_year_far_ahead_is_seeded_with_every_year_before_it(only_2026):
    assert clock.is_working_day(date(2029, 1, 2))

    years = CalendarYear.objects.values_list("year", "provisional")
    assert list(years) == [(2026, False), (2027, True), (2028, True), (2029, True)]


def test_a_gap_between_seeded_years_is_filled_on_demand(only_2026):
    calendar_seed_year(2029)  # e.g. someone opened the 2029 calendar page

    # Dec 31 2027 is a Friday; 2028 starts with New Year's Day on Saturday.
    assert clock.add_working_days(at(2027, 12, 30, 10), 1) == at(2027, 12, 31, 18)
    assert set(CalendarYear.objects.values_list("year", flat=True)) == {2026, 2027, 2028, 2029}


def test_an_empty_calendar_is_seeded_around_today_on_first_use():
    assert clock.is_working_day(date(2026, 9, 20))

    assert CalendarYear.objects.count() >= 3


# --- confirming a year from the published schedule ----------------------------------------------


def test_confirming_2027_moves_an_open_timer_and_logs_it(only_2026, owner):
    deadline = deadline_start(
        policy=working_days_policy(limit=15), owner=owner, started_at=at(2026, 12, 20, 10)
    )
    assert deadline.due_at == at(2027, 1, 11, 18)

    moved = calendar_confirm_year(year=2027, schedule_text=SCHEDULE_2027)

    # Jan 4 is now a day off: Dec 21–25, Dec 28–31, Jan 5–8, Jan 11, Jan 12.
    deadline.refresh_from_db()
    assert moved == 1
    assert deadline.due_at == at(2027, 1, 12, 18)
    year = CalendarYear.objects.get(year=2027)
    assert not year.provisional
    assert year.published_schedule == SCHEDULE_2027
    change = CalendarChange.objects.get(kind=CalendarChange.Kind.CONFIRM)
    assert (change.year, change.timers_moved) == (2027, 1)
    log = DeadlineLog.objects.get(deadline=deadline, kind=DeadlineLog.Kind.RECOMPUTE)
    assert (log.due_before, log.due_after) == (at(2027, 1, 11, 18), at(2027, 1, 12, 18))


def test_confirming_2027_applies_the_listed_days_and_the_weekday_rule_elsewhere(only_2026):
    calendar_confirm_year(year=2027, schedule_text=SCHEDULE_2027)

    assert not clock.is_working_day(date(2027, 1, 4))  # listed off (a Monday)
    assert clock.is_working_day(date(2027, 2, 20))  # listed make-up Saturday
    assert not clock.is_working_day(date(2027, 2, 21))  # an ordinary Sunday
    # The library had invented Oct 4-5 as holidays; the pasted schedule (no National Day
    # listed) is what counts now.
    assert clock.is_working_day(date(2027, 10, 4))


def test_confirming_a_year_leaves_timers_outside_the_changed_days_alone(only_2026, owner):
    deadline_start(policy=working_days_policy(), owner=owner, started_at=at(2026, 11, 2, 10))

    assert calendar_confirm_year(year=2027, schedule_text=SCHEDULE_2027) == 0
    assert CalendarChange.objects.get(kind=CalendarChange.Kind.CONFIRM).timers_moved == 0


def test_confirming_2026_with_the_published_notice_changes_no_day(only_2026):
    before = dict(CalendarDay.objects.values_list("date", "is_working"))

    assert calendar_confirm_year(year=2026, schedule_text=NOTICE_2026) == 0

    assert dict(CalendarDay.objects.values_list("date", "is_working")) == before
    assert "0 天与原日历不同" in CalendarChange.objects.get(kind="confirm").detail


def test_running_and_paused_timers_are_recomputed_and_a_breached_one_stays_breached(owner):
    policy = working_days_policy()
    running = deadline_start(policy=policy, owner=owner, started_at=at(2026, 11, 2, 10))
    paused = deadline_start(policy=policy, owner=owner, started_at=at(2026, 11, 2, 10))
    deadline_pause(deadline=paused, reason="等客户确认报价", at=at(2026, 11, 2, 11))
    breached = deadline_start(policy=policy, owner=owner, started_at=at(2026, 10, 26, 10))
    sweep_deadlines(now=at(2026, 11, 3, 9))  # Oct 29 18:00 has passed: breached
    breached.refresh_from_db()
    assert breached.status == DeadlineStatus.BREACHED
    assert breached.due_at == at(2026, 10, 29, 18)

    # The company closes on Oct 28 and Nov 4 after the fact.
    calendar_set_day(day=date(2026, 10, 28), is_working=False, note="停电")
    moved = calendar_set_day(day=date(2026, 11, 4), is_working=False, note="停电")

    running.refresh_from_db()
    paused.refresh_from_db()
    breached.refresh_from_db()
    assert moved == 2
    assert running.due_at == at(2026, 11, 6, 18)
    assert (paused.status, paused.due_at) == (DeadlineStatus.PAUSED, at(2026, 11, 6, 18))
    assert breached.status == DeadlineStatus.BREACHED
    assert breached.due_at == at(2026, 10, 29, 18)
    assert not DeadlineLog.objects.filter(deadline=breached, kind="recompute").exists()


# --- the pasted schedule ----------------------------------------------------------------------


def test_the_published_notice_reads_holiday_ranges_and_make_up_days():
    days = parse_schedule(NOTICE_2026, 2026)

    assert days[date(2026, 10, 1)] == (False, "国庆节")
    assert days[date(2026, 10, 7)] == (False, "国庆节")
    assert days[date(2026, 9, 20)] == (True, "国庆节调休上班")
    assert days[date(2026, 10, 10)] == (True, "国庆节调休上班")
    assert days[date(2026, 2, 23)] == (False, "春节")
    assert [d for d, (working, _note) in days.items() if working] == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert sum(1 for working, _note in days.values() if not working) == 33


def test_a_schedule_line_may_be_one_day_or_a_range():
    days = parse_schedule("2027-2-6 ~ 2027-2-8 休 春节\n2027-02-20 班", 2027)

    assert days == {
        date(2027, 2, 6): (False, "春节"),
        date(2027, 2, 7): (False, "春节"),
        date(2027, 2, 8): (False, "春节"),
        date(2027, 2, 20): (True, ""),
    }


def test_a_bad_schedule_raises_schedule_error_naming_every_bad_line(only_2026):
    text = "\n".join(
        [
            "2027-01-01 休 元旦",  # 1: fine
            "2027-02-30 休",  # 2: no such date
            "下周一放假",  # 3: unreadable
            "2026-05-01 休",  # 4: another year
            "2027-03-05~2027-03-01 休",  # 5: reversed
            "2027-01-01 班",  # 6: contradicts line 1
        ]
    )

    with pytest.raises(ScheduleError) as caught:
        calendar_confirm_year(year=2027, schedule_text=text)

    errors = caught.value.errors
    assert [e.split("行")[0] for e in errors] == ["第 2 ", "第 3 ", "第 4 ", "第 5 ", "第 6 "]
    assert "2027-02-30" in errors[0]
    assert "下周一放假" in errors[1]
    assert "不在 2027 年内" in errors[2]
    assert "起止颠倒" in errors[3]
    assert "第 1 行" in errors[4]
    assert caught.value.args[0] == errors  # the form reads args[0]
    assert "第 3 行" in str(caught.value)
    # Nothing was applied.
    assert not CalendarYear.objects.filter(year=2027, provisional=False).exists()
    assert not CalendarChange.objects.filter(kind=CalendarChange.Kind.CONFIRM).exists()


def test_an_empty_schedule_is_refused():
    with pytest.raises(ScheduleError, match="没有读到任何日期"):
        parse_schedule("# nothing but a comment\n\n", 2027)


# --- working hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "end"),
    [
        (at(2026, 11, 23, 10), 2, at(2026, 11, 23, 12)),
        # Across the night: one hour on Monday, one on Tuesday after the 08:30 opening.
        (at(2026, 11, 23, 17), 2, at(2026, 11, 24, 9, 30)),
        # Across the weekend.
        (at(2026, 11, 27, 17), 2, at(2026, 11, 30, 9, 30)),
        # Ending exactly at the cut-off stays on that day.
        (at(2026, 11, 23, 16), 2, at(2026, 11, 23, 18)),
        # Before the opening, and in the evening.
        (at(2026, 11, 23, 7), 1, at(2026, 11, 23, 9, 30)),
        (at(2026, 11, 23, 20), 1, at(2026, 11, 24, 9, 30)),
        # Two whole working days (9.5 hours each) end at the second day's cut-off.
        (at(2026, 11, 23, 8, 30), 19, at(2026, 11, 24, 18)),
        # Across National Day: 1 hour on Sep 30, the rest after the holiday.
        (at(2026, 9, 30, 17), 3, at(2026, 10, 8, 10, 30)),
        # 72 working hours from Friday noon: 6 h on Friday, 6 days × 9.5 h, then 9 h on Dec 1.
        (at(2026, 11, 20, 12), 72, at(2026, 12, 1, 17, 30)),
    ],
)
def test_working_hours_are_added_inside_working_hours_on_working_days(start, hours, end):
    assert clock.add_working_hours(start, hours) == end


def test_working_seconds_between_count_only_working_hours():
    hour = 3600
    assert clock.working_seconds_between(at(2026, 11, 27, 17), at(2026, 11, 30, 9, 30)) == 2 * hour
    assert clock.working_seconds_between(at(2026, 11, 23, 10), at(2026, 11, 25, 10)) == 19 * hour
    assert clock.working_seconds_between(at(2026, 10, 1, 9), at(2026, 10, 7, 17)) == 0
    assert clock.working_seconds_between(at(2026, 9, 30, 17), at(2026, 10, 8, 9)) == 1.5 * hour
    assert clock.working_seconds_between(at(2026, 11, 23, 12), at(2026, 11, 23, 11)) == 0


def test_adding_working_hours_and_measuring_them_agree():
    starts = [at(2026, 9, 28, 0) + timedelta(minutes=97 * i) for i in range(120)]
    for start in starts:
        for seconds in (1, 600, 3 * 3600 + 7, 34_200, 100_000):
            end = clock.add_working_seconds(start, seconds)
            assert clock.working_seconds_between(start, end) == seconds, (start, seconds)


def test_a_pause_credits_the_working_days_whose_cut_off_falls_inside_it():
    assert clock.working_days_between(at(2026, 11, 23, 10), at(2026, 11, 25, 10)) == 2
    assert clock.working_days_between(at(2026, 11, 23, 10), at(2026, 11, 23, 17)) == 0
    assert clock.working_days_between(at(2026, 11, 23, 18), at(2026, 11, 24, 18)) == 1
    assert clock.working_days_between(at(2026, 9, 30, 10), at(2026, 10, 8, 10)) == 1


def test_time_left_speaks_in_working_days_then_in_working_hours():
    assert str(clock.time_left(at(2026, 9, 30, 10), at(2026, 10, 10, 18))) == "剩余 3 个工作日"
    assert str(clock.time_left(at(2026, 10, 10, 14), at(2026, 10, 10, 18))) == "剩余 4.0 工作小时"
    assert str(clock.time_left(at(2026, 10, 13, 19), at(2026, 10, 10, 18))) == "超期 2 个工作日"


def test_time_left_inside_the_seeded_years_is_the_day_by_day_rule():
    # the ready-list path (cut-offs and positions bisected) against the general definitions:
    # around the National Day week, its make-up Saturday, the cut-off and midnight exactly, in
    # UTC as well as local time
    import random

    rng = random.Random(12)
    clock.is_working_day(date(2027, 6, 1))  # seed 2026 and 2027
    base = at(2026, 9, 15)
    moments = [base + timedelta(hours=h) for h in range(0, 24 * 40, 6)]
    moments += [at(2026, 9, 30, 18), at(2026, 10, 10, 18), at(2026, 10, 9, 23, 59, 59)]
    moments += [m.astimezone(UTC) for m in rng.sample(moments, 40)]
    for now in moments:
        for due in rng.sample(moments, 25):
            if due <= now:
                expected = clock.TimeLeft(True, clock.working_days_between(due, now), 0.0)
            else:
                days = clock.working_days_in(
                    clock.local_date(now) + timedelta(days=1), clock.local_date(due)
                )
                hours = clock.working_seconds_between(now, due) / 3600
                expected = clock.TimeLeft(False, days, hours)
            assert clock.time_left(now, due) == expected, (now, due)


# --- the cached calendar ------------------------------------------------------------------------


def test_a_pinned_calendar_checks_the_stored_version_once(django_assert_max_num_queries):
    clock.is_working_day(date(2026, 1, 5))  # seed and load

    with django_assert_max_num_queries(1), clock.pinned():
        for i in range(200):
            clock.add_working_days(at(2026, 1, 1) + timedelta(days=i), 3)


def test_an_edit_by_another_process_is_seen_once_the_version_changes():
    from service_ops.workcalendar.models import CalendarVersion

    assert clock.is_working_day(date(2026, 10, 9))
    # Another process edits the day and bumps the version; this process never invalidated.
    CalendarDay.objects.filter(date=date(2026, 10, 9)).update(is_working=False)
    CalendarVersion.objects.filter(pk=1).update(version=999)

    assert not clock.is_working_day(date(2026, 10, 9))
