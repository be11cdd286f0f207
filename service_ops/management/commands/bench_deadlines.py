"""Benchmark the deadline engine at production size (DESIGN §3.1): not a test.

    manage.py bench_deadlines                          # 1,000,000 running timers, 100,000 due
    manage.py bench_deadlines --running 200000 --due 20000

It creates a throwaway database next to the configured one (`<name>_bench_<pid>`), migrates it,
fills it with INSERT ... SELECT generate_series, and drops it at the end, also on failure or
Ctrl-C: the project's own data is never touched. It reports

- sweep throughput: the due timers swept (warnings, breaches and escalations, with their
  notification rows) per second;
- an empty sweep: the median time of a sweep with nothing due, among all the running timers;
- working-day additions per second (clock.add_working_days in a loop).

On SQLite (the embedded shape) it runs only with small sizes (--running up to 100,000).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import statistics
import time
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

SQLITE_MAX = 100_000


class Command(BaseCommand):
    help = "Benchmark the deadline sweep and the working-day clock on a throwaway database."

    def add_arguments(self, parser):
        parser.add_argument("--running", type=int, default=1_000_000, help="running timers")
        parser.add_argument("--due", type=int, default=100_000, help="of which due now")
        parser.add_argument(
            "--batch-size", type=int, default=None, help="sweep batch (SWEEP_BATCH_SIZE)"
        )
        parser.add_argument("--empty-runs", type=int, default=7, help="empty sweeps to time")
        parser.add_argument(
            "--additions", type=int, default=300_000, help="add_working_days calls to time"
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
        batch_size = opts["batch_size"] or settings.SERVICE_OPS["SWEEP_BATCH_SIZE"]
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
        try:
            self.out(f"  migrated in {time.perf_counter() - started:.1f} s")
            self.run_benchmark(
                running, due, batch_size, opts["empty_runs"], opts["additions"], opts["profile"]
            )
        finally:
            self.out("dropping the throwaway database …")
            connection.creation.destroy_test_db(original_name, verbosity=0, keepdb=False)
            test_settings["NAME"] = saved_test_name

    # --- helpers ------------------------------------------------------------------------------

    def out(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def run_benchmark(self, running, due, batch_size, empty_runs, additions, profile=False):
        from service_ops.deadlines.sweep import sweep_deadlines
        from service_ops.notifications.models import Notification
        from service_ops.workcalendar import clock

        now = timezone.now().replace(microsecond=0)
        clock.is_working_day(clock.local_date(now))  # seed the calendar around today
        setup = self.setup_people()

        started = time.perf_counter()
        self.fill(setup, running, due, now)
        self.out(
            f"inserted {running:,} running timers ({due:,} due) in "
            f"{time.perf_counter() - started:.1f} s (incl. VACUUM ANALYZE)"
        )

        with mock.patch(
            "service_ops.notifications.tasks.send_pending_notifications.delay"
        ) as nudge:
            profiler = cProfile.Profile() if profile else None
            sql_time: dict[str, list[float]] = {}
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            with connection.execute_wrapper(self.timer(sql_time) if profile else self.passthrough):
                result = sweep_deadlines(now=now, batch_size=batch_size, max_batches=10**9)
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
        for statement, times in sorted(sql_time.items(), key=lambda kv: -sum(kv[1])):
            self.out(f"  SQL {sum(times):7.2f} s in {len(times):4d} × {statement}")
        if profiler:
            buffer = io.StringIO()
            pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(30)
            self.out(buffer.getvalue())
        notifications = Notification.objects.count()
        if result.claimed != due:
            raise CommandError(f"the sweep claimed {result.claimed:,} timers, expected {due:,}")

        empty = []
        for _ in range(empty_runs):
            t0 = time.perf_counter()
            again = sweep_deadlines(now=now, batch_size=batch_size)
            empty.append(time.perf_counter() - t0)
            if again.claimed:
                raise CommandError("a sweep right after the first one found work to do")
        plan = self.claim_plan(now, batch_size)

        rate = self.additions_per_second(now, additions)
        with clock.pinned():
            pinned_rate = self.additions_per_second(now, additions)

        cores = os.cpu_count()
        self.out("")
        self.out(f"database: {connection.vendor} {self.server_version()}; CPU cores: {cores}")
        self.out(
            f"sweep of {result.claimed:,} due timers among {running:,} running: "
            f"{elapsed:.2f} s = {result.claimed / elapsed:,.0f} timers/s "
            f"({result.batches} batches of {batch_size}, {result.fired:,} actions fired, "
            f"{notifications:,} notification rows, {nudge.call_count} sender nudges)"
        )
        self.out(
            f"empty sweep (nothing due, {running:,} running): median "
            f"{statistics.median(empty) * 1000:.2f} ms over {empty_runs} runs "
            f"(min {min(empty) * 1000:.2f} ms, max {max(empty) * 1000:.2f} ms)"
        )
        if plan:
            self.out(f"  claim plan: {plan}")
        self.out(
            f"working-day additions: {rate:,.0f}/s (clock.add_working_days, {additions:,} calls); "
            f"{pinned_rate:,.0f}/s inside clock.pinned()"
        )

    @staticmethod
    def passthrough(execute, sql, params, many, context):
        return execute(sql, params, many, context)

    @staticmethod
    def timer(store: dict):
        def wrapper(execute, sql, params, many, context):
            t0 = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                key = " ".join(sql.split()[:4])[:60]
                store.setdefault(key, []).append(time.perf_counter() - t0)

        return wrapper

    def setup_people(self) -> dict:
        from django.contrib.auth import get_user_model
        from django.contrib.contenttypes.models import ContentType

        from network.choices import BranchKind, OrgKind, Role
        from network.models import OrgUnit, RoleAssignment, StaffProfile
        from service_ops.deadlines.models import DeadlinePolicy, LimitUnit

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
        for role in (Role.REPAIR_SUPERVISOR, Role.HEAD_OF_CS):
            user = User.objects.create_user(username=f"bench-{role}", email=f"{role}@bench.cn")
            StaffProfile.objects.create(user=user, org_unit=hq)
            RoleAssignment.objects.create(user=user, role=role, org_unit=hq)
        policy = DeadlinePolicy.objects.create(
            code="bench-repair",
            name="维修时限",
            kind="bench.repair",
            unit=LimitUnit.WORKING_DAYS,
            limit=Decimal(3),
            max_total=Decimal(15),
            escalation_chain=["assignee", "repair_supervisor", "head_of_cs"],
        )
        return {
            "policy": policy,
            "branch": branch.pk,
            "people": people,
            "owner_type": ContentType.objects.get_for_model(User).pk,
        }

    def fill(self, setup: dict, running: int, due: int, now) -> None:
        """Due timers: 5 in 10 reach their warning, 4 their breach, 1 an escalation; the others
        run with their next action 1 to 30 days ahead."""
        from service_ops.deadlines.models import Deadline

        snapshot = setup["policy"].snapshot()
        if connection.vendor != "postgresql":
            self.fill_in_python(setup, running, due, now, snapshot)
            return
        table = connection.ops.quote_name(Deadline._meta.db_table)
        adapt = connection.ops.adapt_datetimefield_value
        people = setup["people"]
        sql = f"""
            INSERT INTO {table} (
                policy_id, policy_snapshot, kind, label, owner_type_id, owner_id, org_unit_id,
                assignee_id, status, started_at, due_at, warn_at, next_action_at, cycle, level,
                extension, extension_reason, pause_reason, ball_holder, paused_credit,
                paused_seconds, breached_at, created_at
            )
            SELECT
                %(policy)s, %(snapshot)s::jsonb, 'bench.repair', '返修单 ' || i, %(owner_type)s,
                i, %(branch)s, (%(people)s::bigint[])[1 + i %% %(n_people)s],
                CASE WHEN i <= %(due)s AND i %% 10 = 9 THEN 'breached' ELSE 'running' END,
                t.started_at, t.due_at, t.warn_at, t.next_action_at, 0,
                CASE WHEN i <= %(due)s AND i %% 10 = 9 THEN 2 ELSE 0 END,
                0, '', '', '', 0, 0,
                CASE WHEN i <= %(due)s AND i %% 10 = 9 THEN t.due_at END,
                %(now)s
            FROM generate_series(1, %(running)s) AS i
            CROSS JOIN LATERAL (
                SELECT
                    x.due_at - interval '5 days' AS started_at,
                    x.due_at,
                    x.due_at - interval '1 day' AS warn_at,
                    CASE
                        WHEN i > %(due)s OR i %% 10 < 5 THEN x.due_at - interval '1 day'
                        WHEN i %% 10 < 9 THEN x.due_at
                        ELSE x.due_at + interval '1 day'
                    END AS next_action_at
                FROM (
                    SELECT CASE
                        WHEN i > %(due)s THEN %(now)s + (2 + i %% 30) * interval '1 day'
                        WHEN i %% 10 < 5 THEN %(now)s + interval '12 hours'
                        WHEN i %% 10 < 9 THEN %(now)s - interval '1 hour'
                        ELSE %(now)s - interval '3 days'
                    END AS due_at
                ) AS x
            ) AS t
        """  # noqa: S608
        params = {
            "policy": setup["policy"].pk,
            "snapshot": json.dumps(snapshot),
            "owner_type": setup["owner_type"],
            "branch": setup["branch"],
            "people": people,
            "n_people": len(people),
            "due": due,
            "running": running,
            "now": adapt(now),
        }
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.execute(f"VACUUM ANALYZE {table}")

    def fill_in_python(self, setup, running, due, now, snapshot) -> None:
        from service_ops.deadlines.models import Deadline

        rows = []
        for i in range(1, running + 1):
            if i > due:
                due_at = now + timedelta(days=2 + i % 30)
            elif i % 10 < 5:
                due_at = now + timedelta(hours=12)
            elif i % 10 < 9:
                due_at = now - timedelta(hours=1)
            else:
                due_at = now - timedelta(days=3)
            escalating = i <= due and i % 10 == 9
            warn_at = due_at - timedelta(days=1)
            if i > due or i % 10 < 5:
                next_action_at = warn_at
            elif i % 10 < 9:
                next_action_at = due_at
            else:
                next_action_at = due_at + timedelta(days=1)
            rows.append(
                Deadline(
                    policy=setup["policy"],
                    policy_snapshot=snapshot,
                    kind="bench.repair",
                    label=f"返修单 {i}",
                    owner_type_id=setup["owner_type"],
                    owner_id=i,
                    org_unit_id=setup["branch"],
                    assignee_id=setup["people"][i % len(setup["people"])],
                    status="breached" if escalating else "running",
                    level=2 if escalating else 0,
                    breached_at=due_at if escalating else None,
                    started_at=due_at - timedelta(days=5),
                    due_at=due_at,
                    warn_at=warn_at,
                    next_action_at=next_action_at,
                    created_at=now,
                )
            )
        Deadline.objects.bulk_create(rows, batch_size=2000)

    def claim_plan(self, now, batch_size) -> str:
        if connection.vendor != "postgresql":
            return ""
        from service_ops.deadlines.models import Deadline, DeadlineStatus

        claim = Deadline.objects.filter(
            status__in=[DeadlineStatus.RUNNING, DeadlineStatus.BREACHED], next_action_at__lte=now
        ).order_by("next_action_at")[:batch_size]
        plan = claim.explain(analyze=True)
        index_lines = [line.strip() for line in plan.splitlines() if "Index" in line]
        timing = [line.strip() for line in plan.splitlines() if "Execution Time" in line]
        return "; ".join(index_lines[:1] + timing) or plan.splitlines()[0]

    @staticmethod
    def additions_per_second(now, calls: int) -> float:
        from service_ops.workcalendar import clock

        moments = [now - timedelta(days=400) + timedelta(hours=7 * i) for i in range(1000)]
        clock.add_working_days(moments[0], 1)  # load the calendar
        started = time.perf_counter()
        for i in range(calls):
            clock.add_working_days(moments[i % 1000], 1 + i % 15)
        return calls / (time.perf_counter() - started)

    @staticmethod
    def server_version() -> str:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                return cursor.fetchone()[0]
        import sqlite3

        return sqlite3.sqlite_version
