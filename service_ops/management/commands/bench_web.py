"""The volume benchmark of the web side (issue #14): not a test.

    manage.py bench_web                                    # 1,000,000 orders, 200,000 applications
    manage.py bench_web --orders 50000 --applications 10000 --load-seconds 20
    make bench-web BENCH_ARGS="--orders 50000 --applications 10000"

1. creates a throwaway PostgreSQL database next to the configured one (`<name>_bench_<pid>`),
   migrates it and fills it with a year of a large department — each app's part, declared in its
   plugin.py (`bench=`, service_ops/bench): the network's tree and people, repairs' applications,
   steps, orders, timers, transition log and notifications — with INSERT … SELECT, then VACUUM
   ANALYZE;
2. times every declared list in-process (Django's test Client, logged in as each caller; the
   partner API with the partner token): p50/p95, queries, bytes, PASS/FAIL against the issue's
   limits (p95 <= 150 ms; the partner list's p50 <= 3x its raw SQL + json.dumps), and EXPLAIN
   ANALYZE of each list's biggest SELECT;
3. runs a bounded mixed load through gunicorn (3 workers, DEBUG=0, loopback) with wrk (or a Python
   client): requests/s, p50/p95/p99, errors;
4. drops the database, also on failure or Ctrl-C (unless --keep).

For working on speed: `--keep` also writes what the timing needs (the callers, their tokens, the
facts the probes filter by) to var/bench-web-<database>.json, and `--reuse <database>` times a
kept database again without generating it; `--profile` replays the mixed load's request mix
in-process (service_ops/bench/profile.py) and prints the CPU time of each request kind and a
cProfile of the mix instead of timing the lists.
"""

from __future__ import annotations

import json
import os
import platform
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from service_ops import plugins
from service_ops.bench import BenchError, Context, Probe


class Command(BaseCommand):
    help = "Volume benchmark of every list, queue and partner API list on a throwaway database."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=1_000_000, help="repair orders")
        parser.add_argument(
            "--applications", type=int, default=None, help="return applications (orders / 5)"
        )
        parser.add_argument("--branches", type=int, default=60, help="branches (>= 2)")
        parser.add_argument("--reps", type=int, default=15, help="timed requests per list")
        parser.add_argument(
            "--budget", type=float, default=20.0, help="seconds of timing per list at most"
        )
        parser.add_argument("--load-seconds", type=int, default=60, help="mixed load duration")
        parser.add_argument("--connections", type=int, default=6, help="mixed load connections")
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
        parser.add_argument("--skip-load", action="store_true", help="no gunicorn mixed load")
        parser.add_argument("--no-explain", action="store_true", help="no EXPLAIN ANALYZE")
        parser.add_argument(
            "--only", default="", help="time only the lists whose name contains this"
        )
        parser.add_argument(
            "--keep", action="store_true", help="keep the database afterwards (prints its name)"
        )
        parser.add_argument(
            "--reuse",
            default="",
            metavar="DATABASE",
            help="time a database kept by an earlier --keep run again (no generation, kept)",
        )
        parser.add_argument(
            "--profile",
            action="store_true",
            help="replay the mixed load's requests in-process: CPU ms per request kind and a "
            "cProfile of the mix (instead of timing the lists and the load)",
        )
        parser.add_argument("--profile-rounds", type=int, default=20, help="with --profile")

    def handle(self, *args, **opts):
        if connection.vendor != "postgresql":
            raise CommandError(
                "This benchmark measures the production shape: PostgreSQL (set DATABASE_URL, "
                "e.g. make bench-web)."
            )
        orders = opts["orders"]
        applications = opts["applications"] or max(10, orders // 5)
        if orders < applications or applications < 10 or opts["branches"] < 2:
            raise CommandError("Need --orders >= --applications >= 10 and --branches >= 2.")
        settings.DEBUG = False  # no query log: it would slow down and grow with every statement
        if opts["reuse"]:
            connection.close()
            connection.settings_dict["NAME"] = opts["reuse"]
            try:
                self.rerun(opts)
            except BenchError as exc:
                raise CommandError(str(exc)) from exc
            return
        with self.throwaway_database(keep=opts["keep"]):
            try:
                self.run(opts, {"orders": orders, "applications": applications,
                                "branches": opts["branches"]})  # fmt: skip
            except BenchError as exc:
                raise CommandError(str(exc)) from exc

    # --- the database -------------------------------------------------------------------------

    @contextmanager
    def throwaway_database(self, *, keep: bool):
        original_name = connection.settings_dict["NAME"]
        test_settings = connection.settings_dict.setdefault("TEST", {})
        saved_test_name = test_settings.get("NAME")
        test_settings["NAME"] = f"{original_name}_bench_{os.getpid()}"
        self.out(f"creating a throwaway database ({test_settings['NAME']}) …")
        started = time.perf_counter()
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
        try:
            self.out(f"  migrated in {time.perf_counter() - started:.1f} s")
            yield
        finally:
            if keep:
                name = connection.settings_dict["NAME"]
                self.out(f"keeping the database {name} (--keep; again with --reuse {name})")
            else:
                self.out("dropping the throwaway database …")
                connection.creation.destroy_test_db(original_name, verbosity=0, keepdb=False)
            test_settings["NAME"] = saved_test_name

    def out(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    # --- the run ------------------------------------------------------------------------------

    def run(self, opts, scale: dict[str, int]) -> None:
        ctx = Context(scale=scale, now=timezone.now().replace(microsecond=0), out=self.out)
        started = time.perf_counter()
        generate(ctx)
        elapsed = time.perf_counter() - started
        self.out(f"generated in {elapsed:.1f} s ({elapsed / 60:.1f} min), incl. VACUUM ANALYZE:")
        for label, rows in ctx.counts.items():
            self.out(f"  {label:<36} {rows:>12,}")
        problems = check(ctx)
        if problems:
            raise BenchError("the data does not show what the lists need: " + "; ".join(problems))
        if opts["keep"]:
            save_state(ctx)
        self.measure(ctx, opts)

    def rerun(self, opts) -> None:
        """A kept database again: the state its generation saved, then the same timing."""
        ctx = load_state(connection.settings_dict["NAME"], out=self.out)
        name = connection.settings_dict["NAME"]
        self.out(f"reusing the database {name} ({ctx.scale['orders']:,} orders, "
                 f"generated {ctx.now:%Y-%m-%d %H:%M})")  # fmt: skip
        self.measure(ctx, opts)

    def measure(self, ctx: Context, opts) -> None:
        from service_ops.bench.load import mixed_load
        from service_ops.bench.measure import Measurer, table
        from service_ops.gc_tuning import tune_gc

        probes = all_probes(ctx)
        if opts["profile"]:
            from service_ops.bench.profile import profile_mix

            tune_gc()
            profile_mix(
                probes,
                ctx.callers,
                rounds=opts["profile_rounds"],
                out=self.out,
                only=opts["only"],
            )
            return
        uncovered = unmeasured_pages(probes)
        if opts["only"]:
            probes = [p for p in probes if opts["only"] in p.name]
        self.out("")
        self.out(f"database: PostgreSQL {server_version()}; CPU cores: {os.cpu_count()}; "
                 f"Python {platform.python_version()}")  # fmt: skip
        self.out("callers: " + "; ".join(f"{c.key} = {c.label}" for c in ctx.callers.values()))
        self.out(
            f"timing {len(probes)} lists in-process ({opts['reps']} runs each after a warm-up, "
            f"at most {opts['budget']:.0f} s of runs a list) …"
        )
        tune_gc()  # as a gunicorn worker runs (service_ops/wsgi.py)
        measurer = Measurer(
            ctx.callers, reps=opts["reps"], budget=opts["budget"], explain=not opts["no_explain"]
        )
        results = []
        for probe in probes:
            result = measurer.run(probe)
            results.append(result)
            self.out(
                f"  {probe.name} [{probe.variant}] as {probe.caller}: "
                + (f"p50 {result.p50:,.1f} ms" if result.times else result.error)
            )
        self.out("")
        self.out(table(results, ctx.callers))
        failed = sum(not r.passed for r in results)
        self.out(f"{len(results) - failed} of {len(results)} lists PASS (p95 <= 150 ms; partner "
                 "list p50 <= 3x raw SQL + JSON)")  # fmt: skip
        if uncovered:
            self.out(
                "pages without parameters that no probe times and no app calls a non-list "
                "(add them to the app's bench.py): " + ", ".join(sorted(uncovered))
            )
        if not opts["no_explain"]:
            self.out("")
            self.out("EXPLAIN ANALYZE of each list's biggest SELECT:")
            for r in results:
                if r.plan:
                    self.out(f"--- {r.probe.name} [{r.probe.variant}] as {r.probe.caller} "
                             f"({r.main_sql_ms:.1f} ms in the request)")  # fmt: skip
                    self.out(r.plan)
        if opts["skip_load"]:
            return
        self.out("")
        self.out("mixed load through gunicorn …")
        load = mixed_load(
            probes if not opts["only"] else all_probes(ctx),
            ctx.callers,
            seconds=opts["load_seconds"],
            connections=opts["connections"],
            workers=opts["workers"],
            out=self.out,
        )
        self.out(load.report())


def state_path(database: str):
    return settings.VAR_DIR / f"bench-web-{database}.json"


def save_state(ctx: Context) -> None:
    """What timing a kept database again needs (--reuse): the callers (user ids, the partner
    tokens' plaintext, the password), the facts the probes filter by, the scale."""
    state = {
        "scale": ctx.scale,
        "now": ctx.now.isoformat(),
        "facts": ctx.facts,
        "counts": ctx.counts,
        "callers": {
            key: {"label": c.label, "user": c.user.pk, "token": c.token, "password": c.password}
            for key, c in ctx.callers.items()
        },
    }
    path = state_path(connection.settings_dict["NAME"])
    path.write_text(json.dumps(state, ensure_ascii=False, indent=1, default=str))
    ctx.out(f"  the state for --reuse: {path}")


def load_state(database: str, *, out) -> Context:
    from datetime import datetime

    from django.contrib.auth import get_user_model

    from service_ops.bench import Caller

    path = state_path(database)
    if not path.exists():
        raise BenchError(f"no {path}: --reuse needs a database kept by a run with --keep")
    state = json.loads(path.read_text())
    users = get_user_model().objects.in_bulk([c["user"] for c in state["callers"].values()])
    ctx = Context(scale=state["scale"], now=datetime.fromisoformat(state["now"]), out=out)
    ctx.facts.update(state["facts"])
    ctx.counts.update(state["counts"])
    for key, c in state["callers"].items():
        ctx.callers[key] = Caller(key, c["label"], users[c["user"]], token=c["token"],
                                  password=c["password"])  # fmt: skip
    return ctx


def server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


# --- what the apps declare (plain functions: the test calls them too) ---------------------------


def generate(ctx: Context) -> None:
    """Every app's data, in app order, then VACUUM ANALYZE (outside a transaction only)."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("SET work_mem = '64MB'")
    for label, part in plugins.bench_parts():
        if part.generate:
            ctx.out(f"  {label} …")
            started = time.perf_counter()
            part.generate(ctx)
            ctx.out(f"  {label}: {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("RESET synchronous_commit")
        if connection.get_autocommit():
            started = time.perf_counter()
            cursor.execute("VACUUM ANALYZE")
            ctx.out(f"  VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
        else:
            cursor.execute("ANALYZE")


def check(ctx: Context) -> list[str]:
    return [p for _label, part in plugins.bench_parts() if part.check for p in part.check(ctx)]


def all_probes(ctx: Context) -> list[Probe]:
    return [p for _label, part in plugins.bench_parts() if part.probes for p in part.probes(ctx)]


def not_lists() -> set[str]:
    return {name for _label, part in plugins.bench_parts() for name in part.not_lists}


def _patterns(resolver, prefix_ns=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix_ns}{entry.namespace}:" if entry.namespace else prefix_ns
            yield from _patterns(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry, f"{prefix_ns}{entry.name}"


def unmeasured_pages(probes: list[Probe]) -> set[str]:
    """Parameterless pages of the apps' web URLs and the API's list routes that no probe times
    and no app declares as not a list."""
    from django.urls import resolve

    measured = set()
    for probe in probes:
        match = resolve(probe.url.split("?", 1)[0])
        measured.add(f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name)
    candidates = set()
    for pattern, name in _patterns(get_resolver()):
        if name.startswith("admin:") or name.startswith("api-schema") or name == "api-docs":
            continue
        if pattern.pattern.converters or "(?P<" in str(pattern.pattern):
            continue
        if name.startswith("api-") and not (name.endswith("-list") or name == "api-my-work"):
            continue
        candidates.add(name)
    return candidates - measured - not_lists()
