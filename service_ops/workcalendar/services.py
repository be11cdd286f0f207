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

from service_ops import audit
from service_ops.audit import acting_as, record_bulk

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
    china = holidays.China(years=year, language="zh_CN")
    days = []
    for day in _days_of(year):
        working = china.is_working_day(day)
        note = china.get(day) or ""
        if working and day.weekday() >= 5:
            note = _("调休上班")
        days.append(CalendarDay(date=day, is_working=working, note=note[:120]))
    with transaction.atomic():
        CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
        try:
            with transaction.atomic():
                cal_year = CalendarYear.objects.create(
                    year=year,
                    provisional=provisional,
                    source=f"holidays {holidays.__version__}",
                )
        except IntegrityError:  # another process seeded it at the same time
            return CalendarYear.objects.get(year=year)
        # bulk_create fires no signal: one audit row on the year says what the seeding wrote
        working_days = sum(1 for d in days if d.is_working)
        record_bulk(
            CalendarYear,
            {
                cal_year.pk: {
                    "calendar_days": (None, len(days)),
                    "working_days": (None, working_days),
                }
            },
            reason="calendar_seed_year",
            reprs={cal_year.pk: str(cal_year)},
        )
        CalendarChange.objects.create(
            kind=CalendarChange.Kind.SEED,
            year=year,
            detail=_("由 holidays %(v)s 生成%(p)s")
            % {"v": holidays.__version__, "p": _("（暂定）") if provisional else ""},
        )
        _bump_version()
    return cal_year


# --- the pasted 放假调休 schedule ---------------------------------------------------------


class ScheduleError(ValueError):
    """A pasted schedule that cannot be applied. `errors` (also `args[0]`) holds one readable
    message per bad line, each naming the line number and its text."""

    def __init__(self, errors: list[str]):
        super().__init__(errors)
        self.errors = list(errors)

    def __str__(self) -> str:
        return "\n".join(self.errors)


# One day or a range per line: `2027-02-06~2027-02-13 休 春节`, `2027-02-14 班 春节调休`.
_ISO_LINE = re.compile(
    r"^(?P<start>\d{4}-\d{1,2}-\d{1,2})\s*(?:(?:~|～|至|到|--|—|–|\s-\s)\s*"
    r"(?P<end>\d{4}-\d{1,2}-\d{1,2}))?\s+(?P<kind>休|班|off|work)(?:\s+(?P<note>.*))?$",
    re.IGNORECASE,
)
# The State Council notice, one holiday per line, as published:
# `七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。`
_NOTICE_LABEL = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]\s*)?(?P<label>[^：:]{1,20})[：:]")
_PARENS = re.compile(r"（[^）]*）|\([^)]*\)")
_MD = r"(?:(?P<{p}y>\d{{4}})年)?(?P<{p}m>\d{{1,2}})月(?P<{p}d>\d{{1,2}})日"
_NOTICE_RANGE = re.compile(
    _MD.format(p="a")
    + r"\s*[至到~～—-]\s*(?:(?P<by>\d{4})年)?(?:(?P<bm>\d{1,2})月)?(?P<bd>\d{1,2})日"
)
_NOTICE_DAY = re.compile(_MD.format(p="a"))


class _LineError(ValueError):
    pass


def _ymd(y: str | None, m: str | None, d: str, *, year: int, month: int | None = None) -> date:
    try:
        return date(int(y) if y else year, int(m) if m else month, int(d))
    except (TypeError, ValueError) as exc:
        raise _LineError(_("日期无效")) from exc


def _span(start: date, end: date) -> list[date]:
    if end < start:
        raise _LineError(_("起止颠倒"))
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _parse_iso_line(line: str, year: int) -> list[tuple[date, bool, str]] | None:
    match = _ISO_LINE.match(line)
    if not match:
        return None
    try:
        start = date.fromisoformat(_pad(match["start"]))
        end = date.fromisoformat(_pad(match["end"])) if match["end"] else start
    except ValueError as exc:
        raise _LineError(_("日期无效")) from exc
    working = match["kind"].lower() in {"班", "work"}
    note = (match["note"] or "").strip()
    return [(day, working, note) for day in _span(start, end)]


def _parse_notice_line(line: str, year: int) -> list[tuple[date, bool, str]] | None:
    label_match = _NOTICE_LABEL.match(line)
    if not label_match or "月" not in line or not ("放假" in line or "上班" in line):
        return None
    label = label_match["label"].strip()
    text = _PARENS.sub("", line[label_match.end() :])
    days: list[tuple[date, bool, str]] = []
    for clause in re.split(r"[。；;，,]", text):
        if not _NOTICE_DAY.search(clause):
            continue
        if "上班" in clause:
            for m in _NOTICE_DAY.finditer(clause):
                day = _ymd(m["ay"], m["am"], m["ad"], year=year)
                days.append((day, True, _("%(label)s调休上班") % {"label": label}))
        elif "放假" in clause or "休" in clause:
            rest = clause
            for m in _NOTICE_RANGE.finditer(clause):
                start = _ymd(m["ay"], m["am"], m["ad"], year=year)
                end = _ymd(m["by"] or m["ay"], m["bm"], m["bd"], year=year, month=start.month)
                days += [(day, False, label) for day in _span(start, end)]
                rest = rest.replace(m[0], " ")
            for m in _NOTICE_DAY.finditer(rest):
                days.append((_ymd(m["ay"], m["am"], m["ad"], year=year), False, label))
        else:
            raise _LineError(_("有日期但没有“放假”或“上班”"))
    return days or None


def parse_schedule(text: str, year: int) -> dict[date, tuple[bool, str]]:
    """Parse a pasted 放假调休 schedule for `year`. Each non-empty line (lines starting with # are
    comments) is either

    - one day or a range: `2027-02-06~2027-02-13 休 春节`, `2027-02-14 班 春节调休`; or
    - one item of the State Council notice as published:
      `六、中秋节：9月25日（周五）至27日（周日）放假，共3天。` or
      `七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。`

    Returns {date: (is_working, note)}. Raises ScheduleError naming every bad line: unreadable,
    an invalid date, a date outside `year`, a reversed range, or a day listed both as off and as
    working."""
    days: dict[date, tuple[bool, str]] = {}
    line_of: dict[date, int] = {}
    errors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parsed = _parse_iso_line(line, year)
            if parsed is None:
                parsed = _parse_notice_line(line, year)
            if parsed is None:
                raise _LineError(_("无法识别"))
            outside = sorted({d for d, _w, _n in parsed if d.year != year})
            if outside:
                raise _LineError(_("%(d)s 不在 %(y)d 年内") % {"d": outside[0], "y": year})
        except _LineError as exc:
            errors.append(
                _("第 %(n)d 行%(why)s：%(line)s") % {"n": number, "why": exc, "line": line}
            )
            continue
        for day, working, note in parsed:
            if day in days and days[day][0] != working:
                errors.append(
                    _("第 %(n)d 行与第 %(m)d 行矛盾（%(d)s 既放假又上班）：%(line)s")
                    % {"n": number, "m": line_of[day], "d": day, "line": line}
                )
                break
            days[day] = (working, note)
            line_of[day] = number
    if errors:
        raise ScheduleError(errors)
    if not days:
        raise ScheduleError([_("没有读到任何日期")])
    return days


def _pad(value: str) -> str:
    y, m, d = value.split("-")
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


# --- edits --------------------------------------------------------------------------------------


@transaction.atomic
def calendar_confirm_year(*, year: int, schedule_text: str, actor=None) -> int:
    """Replace a year's seeded days by the published schedule (weekdays work, weekends rest,
    then the listed holidays and make-up days); company overrides are kept. Returns the number of
    open timers whose due time moved."""
    with acting_as(actor):
        return _confirm_year(year=year, schedule_text=schedule_text, actor=actor)


def _confirm_year(*, year: int, schedule_text: str, actor) -> int:
    listed = parse_schedule(schedule_text, year)
    cal_year = calendar_seed_year(year)
    cal_year = CalendarYear.objects.select_for_update().get(pk=cal_year.pk)
    current = {
        row[0]: row[1:]
        for row in CalendarDay.objects.filter(date__year=year).values_list(
            "date", "is_working", "is_override", "note"
        )
    }
    rows, changed, audit_updates, audit_creates = [], [], {}, {}
    for day in _days_of(year):
        if day in current and current[day][1]:  # a company override stays
            continue
        working, note = listed.get(day, (day.weekday() < 5, ""))
        rows.append(CalendarDay(date=day, is_working=working, note=note[:120]))
        if day not in current or current[day][0] != working:
            changed.append(day)
        if day not in current:
            audit_creates[day] = {"is_working": (None, working), "note": (None, note[:120])}
        elif (current[day][0], current[day][2]) != (working, note[:120]):
            audit_updates[day] = {
                "is_working": (current[day][0], working),
                "note": (current[day][2], note[:120]),
            }
    CalendarDay.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["date"], update_fields=["is_working", "note"]
    )
    # the upsert fires no signal: each day it changed gets its own audit row (before → after)
    reprs = {row.date: str(row) for row in rows}
    record_bulk(CalendarDay, audit_updates, reason="calendar_confirm_year", reprs=reprs)
    record_bulk(
        CalendarDay,
        audit_creates,
        action=audit.CREATE,
        reason="calendar_confirm_year",
        reprs=reprs,
    )
    cal_year.provisional = False
    cal_year.confirmed_at = timezone.now()
    cal_year.confirmed_by = actor
    cal_year.published_schedule = schedule_text
    cal_year.source = "published schedule"
    cal_year.save()
    detail = _("确认 %(y)d 年放假调休安排：%(n)d 个日期，%(c)d 天与原日历不同") % {
        "y": year,
        "n": len(listed),
        "c": len(changed),
    }
    return _after_edit(
        kind=CalendarChange.Kind.CONFIRM,
        year=year,
        actor=actor,
        detail=detail,
        changed=(min(changed), max(changed)) if changed else None,
    )


@transaction.atomic
def calendar_set_day(*, day: date, is_working: bool, note: str = "", actor=None) -> int:
    """A company override of one day (a working day or a day off, with a note). Kept when the
    year is later confirmed. Returns the number of open timers whose due time moved."""
    with acting_as(actor):
        return _set_day(day=day, is_working=is_working, note=note, actor=actor)


def _set_day(*, day: date, is_working: bool, note: str, actor) -> int:
    calendar_seed_year(day.year)
    before = (
        CalendarDay.objects.select_for_update()
        .filter(date=day)
        .values_list("is_working", flat=True)
        .first()
    )
    CalendarDay.objects.update_or_create(
        date=day, defaults={"is_working": is_working, "is_override": True, "note": note[:120]}
    )
    return _after_edit(
        kind=CalendarChange.Kind.OVERRIDE,
        year=day.year,
        day=day,
        actor=actor,
        detail=_("%(d)s：%(a)s → %(b)s %(note)s")
        % {"d": day, "a": _label(before), "b": _label(is_working), "note": note},
        changed=(day, day) if before != is_working else None,
    )


def _label(working: bool | None) -> str:
    return {True: _("工作日"), False: _("休息日"), None: "—"}[working]


def _after_edit(*, kind, year, actor, detail, day=None, changed=None) -> int:
    """Bump the version, recompute the open timers that the changed days (first, last) can
    affect, and log the change with how many timers moved."""
    from service_ops.deadlines.services import deadline_recompute_open

    _bump_version()
    moved = 0
    if changed is not None:
        moved = deadline_recompute_open(
            reason=detail[:255], first_day=changed[0], last_day=changed[1]
        )
    CalendarChange.objects.create(
        kind=kind, year=year, date=day, detail=detail, actor=actor, timers_moved=moved
    )
    return moved
