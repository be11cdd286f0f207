"""Hand-written statements of a fixed shape for the reads every page makes (the session's roles,
the bell, the SLA dashboard): building such a query through the ORM cost more CPU than the
database took to answer it. The text holds models' own table names; every value is a parameter."""

from __future__ import annotations

from django.db import connection


def fetch_rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
