"""Writes to the company calendar. Every edit bumps the calendar version, logs a CalendarChange
and recomputes the due times of open timers in the same transaction."""

from __future__ import annotations

import re
from datetime import date, timedelta

import holidays
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clock
from .models import CalendarChange, CalendarDay, CalendarVersion, CalendarYear


def _days_of(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def _bump_version() -> None:
    if not CalendarVersion.objects.filter(pk=1).update(version=F("version") + 1):
        try:
            with transaction.atomic():
                CalendarVersion.objects.create(pk=1, version=2)
        except IntegrityError:
            CalendarVersion.objects.filter(pk=1).update(version=F("version") + 1)
    clock.invalidate()


def calendar_seed_year(year: int) -> CalendarYear:
    """Seed a year from the `holidays` library if it is not seeded yet. Uses is_working_day(): the
    library's holiday list alone omits the make-up working days (e.g. 2026-09-20, 2026-10-10).
    Years after CALENDAR_OFFICIAL_THROUGH are provisional: the library invents them without 调休."""
    existing = CalendarYear.objects.filter(year=year).first()
    if existing:
        return existing
    provisional = year > settings.SERVICE_OPS["CALENDAR_OFFICIAL_THROUGH"]
    china = holidays.China(years=year)
    with transaction.atomic():
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, is_working=china.is_working_day(d)) for d in _days_of(year)],
            ignore_conflicts=True,
        )
        try:
            with transaction.atomic():
                cal_year = CalendarYear.objects.create(
                    year=year,
                    provisional=provisional,
                    source=f"holidays {holidays.__version__}",
                )
        except IntegrityError:  # another process seeded it at the same time
            return CalendarYear.objects.get(year=year)
        CalendarChange.objects.create(
            kind=CalendarChange.Kind.SEED,
            year=year,
            detail=_("由 holidays %(v)s 生成%(p)s")
            % {"v": holidays.__version__, "p": _("（暂定）") if provisional else ""},
        )
        _bump_version()
    return cal_year


_LINE = re.compile(
    r"^\s*(?P<start>\d{4}-\d{1,2}-\d{1,2})\s*(?:[~至到\-–—]+\s*(?P<end>\d{4}-\d{1,2}-\d{1,2}))?"
    r"\s+(?P<kind>休|班|off|work)(?:\s+(?P<note>.*))?$",
    re.IGNORECASE,
)


class ScheduleError(ValueError):
    pass


def parse_schedule(text: str, year: int) -> dict[date, tuple[bool, str]]:
    """Parse a pasted 放假调休 schedule: one line per day or range, e.g.
    `2027-02-06~2027-02-13 休 春节` and `2027-02-14 班 春节调休`.
    Returns {date: (is_working, note)}.
    Raises ScheduleError naming every bad line."""
    days: dict[date, tuple[bool, str]] = {}
    errors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            errors.append(_("第 %(n)d 行无法识别：%(line)s") % {"n": number, "line": line})
            continue
        try:
            start = date.fromisoformat(_pad(match["start"]))
            end = date.fromisoformat(_pad(match["end"])) if match["end"] else start
        except ValueError:
            errors.append(_("第 %(n)d 行日期无效：%(line)s") % {"n": number, "line": line})
            continue
        if end < start or start.year != year or end.year != year:
            errors.append(
                _("第 %(n)d 行不在 %(y)d 年内或起止颠倒：%(line)s")
                % {"n": number, "y": year, "line": line}
            )
            continue
        working = match["kind"].lower() in {"班", "work"}
        day = start
        while day <= end:
            days[day] = (working, (match["note"] or "").strip())
            day += timedelta(days=1)
    if errors:
        raise ScheduleError(errors)
    if not days:
        raise ScheduleError([_("没有读到任何日期")])
    return days


def _pad(value: str) -> str:
    y, m, d = value.split("-")
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


@transaction.atomic
def calendar_confirm_year(*, year: int, schedule_text: str, actor=None) -> int:
    """Replace a year's seeded days by the published schedule (weekdays work, weekends rest,
    then the listed holidays and make-up days); company overrides are kept. Returns the number of
    open timers whose due time was recomputed."""
    listed = parse_schedule(schedule_text, year)
    cal_year = calendar_seed_year(year)
    cal_year = CalendarYear.objects.select_for_update().get(pk=cal_year.pk)
    overrides = set(
        CalendarDay.objects.filter(date__year=year, is_override=True).values_list("date", flat=True)
    )
    rows = []
    for day in _days_of(year):
        if day in overrides:
            continue
        working, note = listed.get(day, (day.weekday() < 5, ""))
        rows.append(CalendarDay(date=day, is_working=working, note=note))
    CalendarDay.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["date"], update_fields=["is_working", "note"]
    )
    cal_year.provisional = False
    cal_year.confirmed_at = timezone.now()
    cal_year.confirmed_by = actor
    cal_year.published_schedule = schedule_text
    cal_year.source = "published schedule"
    cal_year.save()
    return _after_edit(
        kind=CalendarChange.Kind.CONFIRM,
        year=year,
        actor=actor,
        detail=_("确认 %(y)d 年放假调休安排，%(n)d 个日期") % {"y": year, "n": len(listed)},
    )


@transaction.atomic
def calendar_set_day(*, day: date, is_working: bool, note: str = "", actor=None) -> int:
    """A company override of one day (a working day or a day off, with a note)."""
    calendar_seed_year(day.year)
    before = CalendarDay.objects.filter(date=day).values_list("is_working", flat=True).first()
    CalendarDay.objects.update_or_create(
        date=day, defaults={"is_working": is_working, "is_override": True, "note": note}
    )
    return _after_edit(
        kind=CalendarChange.Kind.OVERRIDE,
        year=day.year,
        day=day,
        actor=actor,
        detail=_("%(d)s：%(a)s → %(b)s %(note)s")
        % {"d": day, "a": _label(before), "b": _label(is_working), "note": note},
    )


def _label(working: bool | None) -> str:
    return {True: _("工作日"), False: _("休息日"), None: "—"}[working]


def _after_edit(*, kind, year, actor, detail, day=None) -> int:
    from service_ops.deadlines.services import deadline_recompute_open

    _bump_version()
    moved = deadline_recompute_open(reason=detail)
    CalendarChange.objects.create(
        kind=kind, year=year, date=day, detail=detail, actor=actor, timers_moved=moved
    )
    return moved
