"""The volume benchmark of the web side (`manage.py bench_web`, `make bench-web`).

The platform runs it — a throwaway database, the timing, the table, EXPLAIN of each list, the
mixed load through gunicorn — and imports no business app: each app adds its data and its lists
through its plugin.py (`bench="app.bench.BENCH"`, a `BenchPart`; see base.py)."""

from .base import BenchError, BenchPart, Caller, Context, PartnerWrite, Probe

__all__ = ["BenchError", "BenchPart", "Caller", "Context", "PartnerWrite", "Probe"]
