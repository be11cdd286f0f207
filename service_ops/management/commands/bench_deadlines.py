"""Benchmark the deadline engine at production size (DESIGN §3.1): not a test.

    manage.py bench_deadlines                          # 1,000,000 running timers, 100,000 due
    manage.py bench_deadlines --running 200000 --due 20000

It creates a throwaway database next to the configured one (`<name>_bench_<pid>`), migrates it,
fills it with INSERT ... SELECT generate_series, and drops it at the end, also on failure or
Ctrl-C: the project's own data is never touched. The timers are of the kinds the installed apps
declare (service_ops.plugins.deadline_kinds()), with their seeded policies and registered handlers,
each with its start log row; escalations go to role holders, warnings to assignees (or, for a
timer without one such as a callback, to the first role of its chain). It reports

- the sweep (sweep_deadlines, the product's path: handlers, log rows, notification rows) in timers
  per second and statements per batch, and, on PostgreSQL, the same for the set-based floor
  (`_sweep_floor.py`: the same claim query and statements with the least Python around them) run
  on an identical copy of the database (CREATE DATABASE ... TEMPLATE), with the ratio sweep/floor
  and a check that both left identical rows;
- an empty sweep: the median time of a sweep with nothing due, among all the running timers,
  right after the sweep and once VACUUM has removed the index entries the sweep left behind;
- working-day additions: clock.add_working_days (the datetime API) against the `holidays`
  package's get_nth_working_day on the same (date, n) pairs, and a plain bisect over ordinals for
  reference, with the ratios.

On SQLite (the embedded shape) it runs only with small sizes (--running up to 100,000), without
the floor.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import statistics
import time
from bisect import bisect_right
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

SQLITE_MAX = 100_000


class StatementCounter:
    """An execute wrapper counting statements (savepoints included), optionally timing them."""

    def __init__(self, timed: bool = False):
        self.count = 0
        self.timed = timed
        self.times: dict[str, list[float]] = {}

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        if not self.timed:
            return execute(sql, params, many, context)
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = sql.split()
            key = " ".join(words[: 2 if "SAVEPOINT" in words[:2] else 4])[:60]
            self.times.setdefault(key, []).append(time.perf_counter() - t0)


class Command(BaseCommand):
    help = "Benchmark the deadline sweep and the working-day clock on a throwaway database."

    def add_arguments(self, parser):
        parser.add_argument("--running", type=int, default=1_000_000, help="running timers")
        parser.add_argument("--due", type=int, default=100_000, help="of which due now")
        parser.add_argument(
            "--batch-size", type=int, default=None, help="sweep batch (SWEEP_BATCH_SIZE)"
        )
        parser.add_argument("--empty-runs", type=int, default=15, help="empty sweeps to time")
        parser.add_argument(
            "--pairs", type=int, default=20_000, help="(date, n) pairs for working-day additions"
        )
        parser.add_argument("--no-floor", action="store_true", help="skip the set-based floor")
        parser.add_argument(
            "--rounds",
            type=int,
            default=2,
            choices=(1, 2),
            help="timed runs of each, sweep and floor (2: sweep, floor, floor, sweep)",
        )
        parser.add_argument(
            "--profile", action="store_true", help="print a cProfile of the due sweep"
        )

    def handle(self, *args, **opts):
        running, due = opts["running"], opts["due"]
        if running < 1 or not 0 < due <= running:
            raise CommandError("Need --running >= 1 and 0 < --due <= --running.")
        if connection.vendor == "sqlite" and running > SQLITE_MAX:
            raise CommandError(
                "This benchmark measures the production shape, PostgreSQL (set DATABASE_URL). "
                f"On SQLite it runs only with small sizes, e.g. --running {SQLITE_MAX // 10} "
                f"--due {SQLITE_MAX // 100}."
            )
        if connection.vendor not in {"postgresql", "sqlite"}:
            raise CommandError(f"Unsupported database: {connection.vendor}")
        self.opts = opts
        self.batch_size = opts["batch_size"] or settings.SERVICE_OPS["SWEEP_BATCH_SIZE"]
        self.with_floor = connection.vendor == "postgresql" and not opts["no_floor"]
        settings.DEBUG = False  # no query log: it would slow down and grow with every statement

        original_name = connection.settings_dict["NAME"]
        test_settings = connection.settings_dict.setdefault("TEST", {})
        saved_test_name = test_settings.get("NAME")
        if connection.vendor == "postgresql":
            test_settings["NAME"] = f"{original_name}_bench_{os.getpid()}"
        else:
            test_settings["NAME"] = None  # SQLite: in memory
        self.out(f"creating a throwaway database ({test_settings['NAME'] or 'in memory'}) …")
        started = time.perf_counter()
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
        self.bench_db = connection.settings_dict["NAME"]
        self.copies: list[str] = []
        try:
            self.out(f"  migrated in {time.perf_counter() - started:.1f} s")
            self.run_benchmark(running, due)
        finally:
            self.out("dropping the throwaway database …")
            self.use_database(self.bench_db)
            for name in self.copies:
                self.drop_database(name)
            connection.creation.destroy_test_db(original_name, verbosity=0, keepdb=False)
            test_settings["NAME"] = saved_test_name

    # --- helpers ------------------------------------------------------------------------------

    def out(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def use_database(self, name: str) -> None:
        if connection.settings_dict["NAME"] != name:
            connection.close()
            connection.settings_dict["NAME"] = name

    def copy_database(self, name: str) -> None:
        """An identical copy of the bench database (PostgreSQL: CREATE DATABASE ... TEMPLATE)."""
        version = connection.pg_version
        self.use_database(self.bench_db)
        connection.close()
        qn = connection.ops.quote_name
        strategy = " STRATEGY = FILE_COPY" if version >= 150000 else ""
        self.copies.append(name)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {qn(name)} TEMPLATE {qn(self.bench_db)}{strategy}")

    def drop_database(self, name: str) -> None:
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")

    def run_benchmark(self, running, due):
        from service_ops.workcalendar import clock

        now = timezone.now().replace(microsecond=0)
        clock.is_working_day(clock.local_date(now))  # seed the calendar around today
        setup = self.setup_people()

        started = time.perf_counter()
        self.fill(setup, running, due, now)
        self.out(
            f"inserted {running:,} running timers ({due:,} due) and their start log rows in "
            f"{time.perf_counter() - started:.1f} s (incl. VACUUM ANALYZE)"
        )
        for line in setup["described"]:
            self.out(f"  {line}")

        # Each timed run gets its own identical copy. With --rounds 2 (the default) the order is
        # sweep, floor, floor, sweep: drift over the run (the server warming up, the machine's
        # other load) weighs on both alike.
        order = (
            ["sweep"]
            if not self.with_floor
            else (["sweep", "floor", "floor", "sweep"] * 2)[: 2 * self.opts["rounds"]]
        )
        if self.with_floor:
            started = time.perf_counter()
            databases = [f"{self.bench_db}_{i}" for i in range(len(order))]
            for name in databases:
                self.copy_database(name)
            self.out(
                f"made {len(databases)} copies of the database in "
                f"{time.perf_counter() - started:.1f} s (one per timed run: "
                f"{', '.join(order)})"
            )
        else:
            databases = [self.bench_db]
        runs: dict[str, list[dict]] = {"sweep": [], "floor": []}
        rows: set = set()
        empty = vacuumed = plan = None
        for what, name in zip(order, databases, strict=True):
            self.use_database(name)
            run = self.run_sweep(now, due) if what == "sweep" else self.run_floor(now, due)
            runs[what].append(run)
            if self.with_floor:
                run["rows"] = self.written_rows()
                rows.add(run["rows"])
            if what == "sweep" and empty is None:
                empty = self.empty_sweeps(now)
                if connection.vendor == "postgresql":
                    self.vacuum()
                    vacuumed = self.empty_sweeps(now)
                plan = self.claim_plan(now)
            self.out(
                f"  {what}: {run['elapsed']:.2f} s = {run['rate']:,.0f} timers/s, "
                f"{run['statements'] / run['batches']:.2f} statements a batch"
            )
        self.use_database(self.bench_db)

        pairs = self.working_day_pairs(now)

        self.out("")
        self.out(
            f"database: {connection.vendor} {self.server_version()}; CPU cores: {os.cpu_count()}"
        )
        real = self.combined(runs["sweep"])
        self.out(
            f"sweep (sweep_deadlines) of {due:,} due timers among {running:,} running, "
            f"{len(runs['sweep'])} run(s): {real['rate']:,.0f} timers/s; "
            f"{real['batches']} batches of {self.batch_size}, "
            f"{real['statements'] / real['batches']:.2f} statements a batch; a run fired "
            f"{real['fired']:,} actions and wrote {real['notifications']:,} notification rows"
        )
        if runs["floor"]:
            floor = self.combined(runs["floor"])
            self.out(
                f"set-based floor on identical copies, {len(runs['floor'])} run(s): "
                f"{floor['rate']:,.0f} timers/s; {floor['batches']} batches, "
                f"{floor['statements'] / floor['batches']:.2f} statements a batch; a run fired "
                f"{floor['fired']:,} actions and wrote {floor['notifications']:,} notification "
                "rows"
            )
            counts = " / ".join(sorted({r[0] for r in rows}))
            self.out(
                f"  sweep / floor = {real['rate'] / floor['rate']:.2f}; rows each run wrote "
                f"(timers advanced, actions, log rows, notifications): {counts} — "
                + ("identical in every run" if len(rows) == 1 else "NOT IDENTICAL")
            )
        for when, times in (("right after the sweep", empty), ("after VACUUM", vacuumed)):
            if times is None:
                continue
            self.out(
                f"empty sweep (nothing due, {running:,} running), {when}: median "
                f"{statistics.median(times) * 1000:.2f} ms over {len(times)} runs "
                f"(min {min(times) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms)"
            )
        if plan:
            self.out(f"  claim plan: {plan}")
        self.out(
            f"working-day additions on the same {pairs['count']:,} (date, n) pairs: "
            f"clock.add_working_days {pairs['ours']:,.0f}/s; holidays.China.get_nth_working_day "
            f"{pairs['holidays']:,.0f}/s; plain bisect over ordinals {pairs['bisect']:,.0f}/s"
        )
        self.out(
            f"  clock / holidays = {pairs['ours'] / pairs['holidays']:.1f}x; "
            f"clock / plain bisect = {pairs['ours'] / pairs['bisect']:.2f}; "
            f"results identical: {'yes' if pairs['same'] else 'NO'}"
        )

    @staticmethod
    def combined(runs: list[dict]) -> dict:
        """All runs of one side together: timers over total time, statements over batches."""
        elapsed = sum(r["elapsed"] for r in runs)
        return {
            "rate": sum(r["claimed"] for r in runs) / elapsed,
            "batches": runs[0]["batches"],
            "statements": sum(r["statements"] for r in runs) / len(runs),
            "fired": runs[0]["fired"],
            "notifications": runs[0]["notifications"],
        }

    def vacuum(self) -> None:
        """What autovacuum does some time after a large sweep (switched off for the timed runs):
        the index entries of the rows the sweep moved on are removed. Until then an empty sweep
        steps over them, unless an earlier scan could already mark them dead (which the oldest
        open transaction on the server decides)."""
        from service_ops.deadlines.models import Deadline

        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {connection.ops.quote_name(Deadline._meta.db_table)}")

    def checkpoint(self) -> None:
        """Write out what earlier steps left dirty, so the timed run does not pay for it."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")

    def run_sweep(self, now, due) -> dict:
        from service_ops.deadlines.sweep import sweep_deadlines

        self.checkpoint()
        profile = self.opts["profile"]
        counter = StatementCounter(timed=profile)
        profiler = cProfile.Profile() if profile else None
        with (
            mock.patch("service_ops.notifications.tasks.send_pending_notifications.delay") as nudge,
            connection.execute_wrapper(counter),
        ):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            result = sweep_deadlines(now=now, batch_size=self.batch_size, max_batches=10**9)
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
        for statement, times in sorted(counter.times.items(), key=lambda kv: -sum(kv[1])):
            self.out(f"  SQL {sum(times):7.2f} s in {len(times):4d} × {statement}")
        if profiler:
            buffer = io.StringIO()
            pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(30)
            self.out(buffer.getvalue())
        if result.claimed != due:
            raise CommandError(f"the sweep claimed {result.claimed:,} timers, expected {due:,}")
        return {
            "claimed": result.claimed,
            "fired": result.fired,
            "notifications": result.notifications,
            "batches": result.batches,
            "elapsed": elapsed,
            "rate": result.claimed / elapsed,
            "statements": counter.count,
            "nudges": nudge.call_count,
        }

    def run_floor(self, now, due) -> dict:
        from ._sweep_floor import FloorPlan, floor_sweep

        plan = FloorPlan(now)  # look-ups the floor is spared, before the clock starts
        self.checkpoint()
        counter = StatementCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            claimed, fired, notifications, batches = floor_sweep(
                now=now, batch_size=self.batch_size, plan=plan
            )
            elapsed = time.perf_counter() - started
        if claimed != due:
            raise CommandError(f"the floor claimed {claimed:,} timers, expected {due:,}")
        return {
            "claimed": claimed,
            "fired": fired,
            "notifications": notifications,
            "batches": batches,
            "elapsed": elapsed,
            "rate": claimed / elapsed,
            "statements": counter.count,
        }

    def written_rows(self) -> tuple:
        """Counts and a digest of what a sweep wrote: the advanced timers, the action rows, the
        log rows of fired levels and the notification rows."""
        from service_ops.deadlines.models import Deadline, DeadlineAction, DeadlineLog
        from service_ops.notifications.models import Notification

        qn = connection.ops.quote_name
        timers, actions, log, notes = (
            qn(m._meta.db_table) for m in (Deadline, DeadlineAction, DeadlineLog, Notification)
        )
        queries = (
            "SELECT id, level, status, next_action_at, breached_at FROM "  # noqa: S608
            f"{timers} WHERE level > 0 OR status <> 'running'",
            f"SELECT deadline_id, cycle, level FROM {actions}",  # noqa: S608
            "SELECT deadline_id, kind, at, due_after, detail FROM "  # noqa: S608
            f"{log} WHERE kind <> 'start'",
            "SELECT recipient_id, channel, category, subject, body, url, urgent, digest, "  # noqa: S608
            "source_type_id, source_id, needs_action, task_state, send_after, sent_at "
            f"FROM {notes}",
        )
        counts, digests = [], []
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute(
                    f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) "  # noqa: S608
                    f"FROM ({sql}) AS t"
                )
                count, digest = cursor.fetchone()
                counts.append(count)
                digests.append(digest)
        return " / ".join(f"{c:,}" for c in counts), tuple(digests)

    def empty_sweeps(self, now) -> list[float]:
        from service_ops.deadlines.sweep import sweep_deadlines

        empty = []
        for _ in range(self.opts["empty_runs"]):
            t0 = time.perf_counter()
            again = sweep_deadlines(now=now, batch_size=self.batch_size)
            empty.append(time.perf_counter() - t0)
            if again.claimed:
                raise CommandError("a sweep right after the first one found work to do")
        return empty

    def working_day_pairs(self, now) -> dict:
        """The same (date, n) pairs through clock.add_working_days (a moment in, the cut-off of
        the Nth working day out), holidays' get_nth_working_day (a date in, a date out) and a
        plain bisect over the working-day ordinals (an ordinal in, an ordinal out)."""
        import holidays

        from service_ops.workcalendar import clock
        from service_ops.workcalendar.models import CalendarDay

        count = self.opts["pairs"]
        # Moments over the two years before now, as the database hands them back (UTC), and
        # limits of 1 to 15 working days (the product's range).
        first = now - timedelta(days=730)
        moments = [first + timedelta(minutes=(i * 52_543) % (730 * 1440)) for i in range(count)]
        ns = [1 + i % 15 for i in range(count)]
        days = [clock.local_date(m) for m in moments]
        ordinals_in = [d.toordinal() for d in days]
        for day in (days[0], clock.local_date(now + timedelta(days=60))):
            clock.is_working_day(day)  # seed every year the pairs reach, before reading the days
        years = range(days[0].year - 1, clock.local_date(now).year + 2)
        china = holidays.China(years=years)
        working = sorted(
            d.toordinal()
            for d in CalendarDay.objects.filter(is_working=True).values_list("date", flat=True)
        )

        def ours():
            add = clock.add_working_days
            return [add(m, n) for m, n in zip(moments, ns, strict=True)]

        def theirs():
            nth = china.get_nth_working_day
            return [nth(d, n) for d, n in zip(days, ns, strict=True)]

        def bisect():
            return [
                working[bisect_right(working, o) + n - 1]
                for o, n in zip(ordinals_in, ns, strict=True)
            ]

        def rate(fn, rounds):
            rates = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                fn()
                rates.append(count / (time.perf_counter() - t0))
            return statistics.median(rates)

        a, b, c = ours(), theirs(), bisect()
        same = all(
            x.date() == y and y.toordinal() == z and x == clock.cutoff(y)
            for x, y, z in zip(a, b, c, strict=True)
        )
        return {
            "count": count,
            "ours": rate(ours, 15),
            "holidays": rate(theirs, 3),
            "bisect": rate(bisect, 15),
            "same": same,
        }

    def setup_people(self) -> dict:
        """The org (headquarters and a branch), 50 technicians at the branch, a holder of every
        role the declared policies escalate to at headquarters, and those policies."""
        from django.contrib.auth import get_user_model
        from django.contrib.contenttypes.models import ContentType

        from network.choices import BranchKind, OrgKind
        from network.models import OrgUnit, RoleAssignment, StaffProfile
        from service_ops.deadlines import registry, timing
        from service_ops.deadlines.models import ASSIGNEE, DeadlinePolicy
        from service_ops.plugins import deadline_kinds, seed_defaults

        seed_defaults()
        kinds = deadline_kinds()
        policies = list(
            DeadlinePolicy.objects.filter(kind__in=kinds, is_active=True).order_by("code")
        )
        if not policies:
            raise CommandError("no installed app declares a deadline kind with a policy")
        User = get_user_model()
        hq = OrgUnit.objects.create(code="BENCH-HQ", name="总部", kind=OrgKind.HEADQUARTERS)
        branch = OrgUnit.objects.create(
            code="BENCH-GZ",
            name="广州分公司",
            kind=OrgKind.BRANCH,
            branch_kind=BranchKind.OPERATING,
            parent=hq,
        )
        people = []
        for i in range(50):
            user = User.objects.create_user(username=f"bench-tech-{i}", email=f"t{i}@bench.cn")
            StaffProfile.objects.create(user=user, org_unit=branch)
            people.append(user.pk)
        roles = sorted({role for p in policies for role in p.escalation_chain if role != ASSIGNEE})
        for role in roles:
            user = User.objects.create_user(username=f"bench-{role}", email=f"{role}@bench.cn")
            StaffProfile.objects.create(user=user, org_unit=hq)
            RoleAssignment.objects.create(user=user, role=role, org_unit=hq)
        # A timer nobody is assigned to (a callback waiting for any call agent) belongs to the
        # root org unit and speaks to the first role of its chain.
        unassigned = {
            p.pk for p in policies if not p.escalation_chain or p.escalation_chain[0] != ASSIGNEE
        }
        described = [
            f"{p.kind} / {p.code}: limit {p.limit} {p.unit}, chain {p.escalation_chain}, "
            f"handlers: {[type(h).__name__ for h in registry.handlers_for(p.kind)] or 'none'}"
            + (", no assignee (root org unit)" if p.pk in unassigned else "")
            for p in policies
        ]
        return {
            "policies": policies,
            "max_levels": [timing.max_level(p.snapshot()) for p in policies],
            "unassigned": unassigned,
            "hq": hq.pk,
            "branch": branch.pk,
            "people": people,
            "owner_type": ContentType.objects.get_for_model(User).pk,
            "described": described,
        }

    def moments(self, now) -> dict:
        """The due times of the due timers, per category (shared by all timers of the category):
        warnings due in 12 hours, breaches due an hour ago, escalations whose next level (the
        first escalation) came a working day ago."""
        from service_ops.workcalendar import clock

        today = clock.local_date(now)
        return {
            "warning": now + timedelta(hours=12),
            "breach": now - timedelta(hours=1),
            "escalation": clock.cutoff(clock.nth_working_day_before(today, 2)),
        }

    def fill(self, setup: dict, running: int, due: int, now) -> None:
        """Due timers: 5 in 10 reach their warning, 4 their breach (warned before), 1 its first
        escalation (breached before); the others run with their warning 1 to 30 days ahead. The
        timers take the declared policies in turn (escalations those whose chain goes on)."""
        from service_ops.deadlines import timing
        from service_ops.deadlines.models import Deadline, DeadlineAction, DeadlineLog
        from service_ops.notifications.models import Notification

        moments = self.moments(now)
        policies = setup["policies"]
        snapshots = [p.snapshot() for p in policies]
        escalating = [i for i, top in enumerate(setup["max_levels"]) if top > timing.BREACH]
        if not escalating:
            raise CommandError("no declared policy escalates beyond the breach")
        esc_due = moments["escalation"]
        esc_next = [
            timing.level_time(snapshots[i], timing.BREACH + 1, esc_due, esc_due)
            for i in range(len(policies))
        ]
        if any(esc_next[i] > now for i in escalating):
            raise CommandError("the escalations would not be due now")
        if connection.vendor != "postgresql":
            self.fill_in_python(setup, running, due, now, snapshots, escalating, esc_next)
            return
        table = connection.ops.quote_name(Deadline._meta.db_table)
        log_table = connection.ops.quote_name(DeadlineLog._meta.db_table)
        sql = f"""
            INSERT INTO {table} (
                policy_id, policy_snapshot, kind, label, owner_type_id, owner_id, org_unit_id,
                assignee_id, status, started_at, due_at, warn_at, next_action_at, cycle, level,
                extension, extension_reason, pause_reason, ball_holder, paused_credit,
                paused_seconds, breached_at, created_at
            )
            SELECT
                (%(policy_ids)s::bigint[])[p], (%(snapshots)s::jsonb[])[p],
                (%(kinds)s::varchar[])[p], (%(names)s::varchar[])[p] || ' ' || i,
                %(owner_type)s, i,
                CASE WHEN (%(unassigned)s::boolean[])[p] THEN %(hq)s ELSE %(branch)s END,
                CASE WHEN (%(unassigned)s::boolean[])[p] THEN NULL
                     ELSE (%(people)s::bigint[])[1 + i %% %(n_people)s] END,
                CASE WHEN c = 'e' THEN 'breached' ELSE 'running' END,
                t.due_at - interval '5 days', t.due_at, t.due_at - interval '1 day',
                CASE c WHEN 'w' THEN t.due_at - interval '1 day'
                       WHEN 'b' THEN t.due_at
                       WHEN 'e' THEN (%(esc_next)s::timestamptz[])[p]
                       ELSE t.due_at - interval '1 day' END,
                0,
                CASE c WHEN 'b' THEN 1 WHEN 'e' THEN 2 ELSE 0 END,
                0, '', '', '', 0, 0,
                CASE WHEN c = 'e' THEN t.due_at END,
                %(now)s
            FROM generate_series(1, %(running)s) AS i
            CROSS JOIN LATERAL (
                SELECT CASE WHEN i > %(due)s THEN 'r'
                            WHEN i %% 10 < 5 THEN 'w'
                            WHEN i %% 10 < 9 THEN 'b'
                            ELSE 'e' END AS c
            ) AS k
            CROSS JOIN LATERAL (
                SELECT CASE WHEN k.c = 'e'
                            THEN (%(escalating)s::int[])[1 + i / 10 %% %(n_escalating)s]
                            ELSE 1 + i %% %(n_policies)s END AS p
            ) AS q
            CROSS JOIN LATERAL (
                SELECT CASE k.c
                    WHEN 'r' THEN %(now)s + (2 + i %% 30) * interval '1 day'
                    WHEN 'w' THEN %(warning_due)s::timestamptz
                    WHEN 'b' THEN %(breach_due)s::timestamptz
                    ELSE %(escalation_due)s::timestamptz
                END AS due_at
            ) AS t
        """  # noqa: S608
        params = {
            "policy_ids": [p.pk for p in policies],
            "snapshots": [json.dumps(s) for s in snapshots],
            "kinds": [p.kind for p in policies],
            "names": [p.name for p in policies],
            "unassigned": [p.pk in setup["unassigned"] for p in policies],
            "escalating": [i + 1 for i in escalating],
            "n_escalating": len(escalating),
            "n_policies": len(policies),
            "esc_next": esc_next,
            "owner_type": setup["owner_type"],
            "hq": setup["hq"],
            "branch": setup["branch"],
            "people": setup["people"],
            "n_people": len(setup["people"]),
            "due": due,
            "running": running,
            "now": now,
            "warning_due": moments["warning"],
            "breach_due": moments["breach"],
            "escalation_due": esc_due,
        }
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.execute(
                f"INSERT INTO {log_table} (deadline_id, kind, at, due_after, detail) "  # noqa: S608
                f"SELECT id, 'start', started_at, due_at, '' FROM {table}"
            )
            cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute(f"VACUUM ANALYZE {log_table}")
            # The two timed runs follow each other: an autovacuum of the first one's rows must
            # not run during the second (the copies inherit the setting).
            for model in (Deadline, DeadlineLog, DeadlineAction, Notification):
                name = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"ALTER TABLE {name} SET (autovacuum_enabled = false)")

    def fill_in_python(self, setup, running, due, now, snapshots, escalating, esc_next) -> None:
        from service_ops.deadlines.models import Deadline, DeadlineLog

        moments = self.moments(now)
        policies = setup["policies"]
        rows = []
        for i in range(1, running + 1):
            category = "r" if i > due else "w" if i % 10 < 5 else "b" if i % 10 < 9 else "e"
            p = escalating[i // 10 % len(escalating)] if category == "e" else i % len(policies)
            due_at = {
                "r": now + timedelta(days=2 + i % 30),
                "w": moments["warning"],
                "b": moments["breach"],
                "e": moments["escalation"],
            }[category]
            warn_at = due_at - timedelta(days=1)
            unassigned = policies[p].pk in setup["unassigned"]
            rows.append(
                Deadline(
                    policy=policies[p],
                    policy_snapshot=snapshots[p],
                    kind=policies[p].kind,
                    label=f"{policies[p].name} {i}",
                    owner_type_id=setup["owner_type"],
                    owner_id=i,
                    org_unit_id=setup["hq"] if unassigned else setup["branch"],
                    assignee_id=None if unassigned else setup["people"][i % len(setup["people"])],
                    status="breached" if category == "e" else "running",
                    level={"b": 1, "e": 2}.get(category, 0),
                    breached_at=due_at if category == "e" else None,
                    started_at=due_at - timedelta(days=5),
                    due_at=due_at,
                    warn_at=warn_at,
                    next_action_at={"b": due_at, "e": esc_next[p]}.get(category, warn_at),
                    created_at=now,
                )
            )
        created = Deadline.objects.bulk_create(rows, batch_size=2000)
        DeadlineLog.objects.bulk_create(
            [
                DeadlineLog(deadline=d, kind="start", at=d.started_at, due_after=d.due_at)
                for d in created
            ],
            batch_size=2000,
        )

    def claim_plan(self, now) -> str:
        if connection.vendor != "postgresql":
            return ""
        from service_ops.deadlines.models import Deadline, DeadlineStatus

        claim = Deadline.objects.filter(
            status__in=[DeadlineStatus.RUNNING, DeadlineStatus.BREACHED], next_action_at__lte=now
        ).order_by("next_action_at")[: self.batch_size]
        plan = claim.explain(analyze=True)
        index_lines = [line.strip() for line in plan.splitlines() if "Index" in line]
        timing = [line.strip() for line in plan.splitlines() if "Execution Time" in line]
        return "; ".join(index_lines[:1] + timing) or plan.splitlines()[0]

    @staticmethod
    def server_version() -> str:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                return cursor.fetchone()[0]
        import sqlite3

        return sqlite3.sqlite_version
