"""Hand-written statements of a fixed shape for the reads every page makes (the session's roles,
the bell, the SLA dashboard): building such a query through the ORM cost more CPU than the
database took to answer it. The text holds models' own table names; every value is a parameter."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from django.utils.dateparse import parse_datetime


def fetch_rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def placeholders(values) -> str:
    """`%s, %s, …`: one parameter per value of an IN list (at least one value)."""
    return ", ".join(["%s"] * len(values))


def columns(alias: str, model, names) -> str:
    """`alias.column, …` of these model fields, in their order (a foreign key by its _id column)."""
    return ", ".join(f"{alias}.{model._meta.get_field(name).column}" for name in names)


def aware(value: datetime | str | None) -> datetime | None:
    """A datetime read by hand, aware on every backend: SQLite answers naive UTC for a column
    (as the ORM's own converter knows, USE_TZ) and text for an expression over one."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
