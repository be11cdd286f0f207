"""Set-based inserts for the volume benchmark: the columns come from the model, so a column added
later gets its model default (or the benchmark stops and names it) instead of a silent mismatch."""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

from .base import BenchError


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name: str) -> str:
    """The quoted column of a field (by name or attname): a renamed field fails here, loudly."""
    meta = model._meta
    for f in meta.concrete_fields:
        if name in (f.name, f.attname, f.column):
            return connection.ops.quote_name(f.column)
    raise BenchError(
        f"{meta.label} has no field {name!r}: the benchmark's generator needs updating"
    )


def max_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table(model)}")  # noqa: S608
        return int(cursor.fetchone()[0])


def _default_of(f: models.Field, now):
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return f.get_db_prep_save(now, connection)
    return f.get_db_prep_save(f.get_default(), connection)


def insert_select(
    model,
    values: dict[str, str],
    source: str,
    params: dict | None = None,
    *,
    now=None,
    suffix: str = "",
) -> int:
    """`INSERT INTO <model's table> (<columns>) SELECT <values> FROM <source>`.

    `values` maps field names (or attnames/columns) to SQL expressions over `source`; named
    parameters are `%(name)s`, a literal percent sign is `%%`; `suffix` follows the SELECT (e.g.
    ON CONFLICT DO NOTHING). Every other concrete column gets its
    model default, or NULL when nullable; a required column without either stops the benchmark
    with its name. Returns the rows inserted."""
    meta = model._meta
    fields = {}
    for f in meta.concrete_fields:
        for key in (f.name, f.attname, f.column):
            fields[key] = f
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise BenchError(
            f"{meta.label} has no column {', '.join(unknown)}: the benchmark's generator "
            f"({meta.app_label}/bench.py) needs updating"
        )
    given = {fields[key].column: expr for key, expr in values.items()}
    now = now or timezone.now()
    params = dict(params or {})
    columns, exprs = [], []
    for f in meta.concrete_fields:
        if f.generated:  # computed by the database (e.g. Deadline.waiting_role)
            continue
        if f.column in given:
            columns.append(connection.ops.quote_name(f.column))
            exprs.append(given[f.column])
            continue
        if f.primary_key or getattr(f, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue
        text = f.empty_strings_allowed and not f.null  # the ORM writes "" for these
        if (
            f.has_default()
            or text
            or getattr(f, "auto_now", False)
            or getattr(f, "auto_now_add", False)
        ):
            name = f"_default_{f.column}"
            params[name] = _default_of(f, now)
            columns.append(connection.ops.quote_name(f.column))
            exprs.append(f"%({name})s")
        elif not f.null:
            raise BenchError(
                f"{meta.label}.{f.name} is required and has no default: give it a value in "
                f"{meta.app_label}/bench.py"
            )
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(exprs)} FROM {source} {suffix}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def temp_table(name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence]) -> int:
    """A temporary table (gone with the session) filled with COPY: lookup tables the
    INSERT … SELECTs join (branches, dealers, lots)."""
    quoted = connection.ops.quote_name(name)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quoted}")
        cursor.execute(f"CREATE TEMP TABLE {quoted} ({', '.join(f'{c} {t}' for c, t in columns)})")
        buffer = io.StringIO()
        count = 0
        for row in rows:
            buffer.write("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
            count += 1
        buffer.seek(0)
        cursor.cursor.copy_expert(  # psycopg2's COPY; the wrapper has no such method
            f"COPY {quoted} ({', '.join(c for c, _t in columns)}) FROM STDIN", buffer
        )
        cursor.execute(f"ANALYZE {quoted}")
    return count


def reset_sequences(*model_classes) -> None:
    """After inserts with explicit ids: move each table's id sequence past its rows."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


class Phase:
    """`with Phase(ctx, "orders"):` prints how long a part of the generation took."""

    def __init__(self, ctx, what: str):
        self.ctx, self.what = ctx, what

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.ctx.out(f"    {self.what}: {time.perf_counter() - self.started:.1f} s")
        return False
