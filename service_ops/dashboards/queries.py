"""The dashboard page's reads of its summary tables, as hand-written SQL that runs unchanged on
PostgreSQL and the embedded SQLite.

The summary's own SQL takes a few milliseconds; building the same queries through the ORM on
every request (filters, annotations, a UNION, subqueries) cost about as much again in Python. The
statements' shape is fixed: only the scope's clause (service_ops.dashboards.selectors.Scope.where)
and the parameters change."""

# ruff: noqa: S608 - the text holds the models' own table names and Scope.where's placeholders;
# every value is a parameter

from __future__ import annotations

from datetime import UTC, date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime

from network.models import OrgUnit
from service_ops.rawsql import fetch_rows
from service_ops.workcalendar.models import CalendarYear

from .models import SlaOpenCount, SlaRefresh
from .refresh import OPEN_BUCKETS, RATE_BUCKETS


def _sums(names: tuple[str, ...]) -> str:
    return ", ".join(f'SUM("{n}")' for n in names)


def org_units(prefix: str | None) -> list[tuple[int, str, str, str]]:
    """(id, name, kind, path) of the units whose path starts with `prefix` (None: all)."""
    sql = f"SELECT id, name, kind, path FROM {OrgUnit._meta.db_table}"
    if prefix is None:
        return fetch_rows(sql, [])
    return fetch_rows(f"{sql} WHERE path LIKE %s", [f"{prefix}%"])  # a path: ids and slashes


OPEN_KEYS = ("kind", "org_unit_id", "ball_holder", *OPEN_BUCKETS)


def open_rows(where: str, params: list) -> list[dict]:
    """The open summary by kind, unit and ball holder."""
    sql = (
        f"SELECT kind, org_unit_id, ball_holder, {_sums(OPEN_BUCKETS)} "
        f"FROM {SlaOpenCount._meta.db_table} WHERE {where} GROUP BY kind, org_unit_id, ball_holder"
    )
    return [dict(zip(OPEN_KEYS, row, strict=True)) for row in fetch_rows(sql, params)]


def daily_rows(
    table: str, where: str, params: list, *, window_start: date, rate_start: date
) -> tuple[list[dict], list[dict]]:
    """The closed summary (`table`: by unit, or by unit and person) in one round trip: by day and
    kind since `window_start` (the trend and the tiles' rates), and by unit since `rate_start`
    (the cut's rates) — the unit rows are those without a day."""
    sums = _sums(RATE_BUCKETS)
    sql = (
        f"SELECT day, kind, NULL, {sums} FROM {table} WHERE {where} AND day >= %s "
        f"GROUP BY day, kind "
        f"UNION ALL "
        f"SELECT NULL, NULL, org_unit_id, {sums} FROM {table} WHERE {where} AND day >= %s "
        f"GROUP BY org_unit_id"
    )
    by_day, by_unit = [], []
    for day, kind, unit, *counts in fetch_rows(sql, [*params, window_start, *params, rate_start]):
        numbers = dict(zip(RATE_BUCKETS, counts, strict=True))
        if day is None:
            by_unit.append({"org_unit_id": unit, **numbers})
        else:
            by_day.append({"day": _date(day), "kind": kind, **numbers})
    return by_day, by_unit


def people(where: str, params: list, limit: int) -> list[tuple[int, str, int]]:
    """(user id, name, open items) of the `limit` people with the most open items; the names
    joined to those few rows only."""
    users = get_user_model()._meta.db_table
    sql = (
        f"SELECT t.assignee_id, u.last_name || u.first_name, u.username, t.n FROM ("
        f'SELECT assignee_id, SUM("open") AS n FROM {SlaOpenCount._meta.db_table} '
        f"WHERE assignee_id IS NOT NULL AND {where} GROUP BY assignee_id "
        f"ORDER BY n DESC, assignee_id LIMIT %s"
        f") t JOIN {users} u ON u.id = t.assignee_id ORDER BY t.n DESC, t.assignee_id"
    )
    return [
        (pk, name or username, n) for pk, name, username, n in fetch_rows(sql, [*params, limit])
    ]


def refresh_and_confirmed(years: tuple[int, ...]) -> tuple[SlaRefresh, list[int]]:
    """The refresh row (an unsaved empty one before the first refresh) and which of `years`
    have a confirmed working-day calendar, in one round trip."""
    exists = ", ".join(
        f"EXISTS(SELECT 1 FROM {CalendarYear._meta.db_table} WHERE year = %s AND provisional = %s)"
        for _y in years
    )
    sql = f"SELECT (SELECT as_of FROM {SlaRefresh._meta.db_table} WHERE id = 1), {exists}"
    as_of, *confirmed = fetch_rows(sql, [value for y in years for value in (y, False)])[0]
    state = SlaRefresh(pk=1, as_of=_aware(as_of))
    return state, [y for y, ok in zip(years, confirmed, strict=True) if ok]


def _date(value) -> date:
    """A day as SQLite hands it back through a UNION (text) or as a date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _aware(value) -> datetime | None:
    """A moment as the driver hands it back: aware from PostgreSQL, naive UTC (or text) from
    SQLite."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and settings.USE_TZ and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
