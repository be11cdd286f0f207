"""The fault drill (issue 16): load and faults against the production shape, on services of its own.
Not a test; run on demand.

    make fault-drill
    manage.py fault_drill --timers 2000 --load-seconds 60      (DATABASE_URL: any PostgreSQL URL;
                                                                only its engine is used)

1. starts a throwaway PostgreSQL cluster (initdb into a temporary directory, port --pg-port,
   trust authentication; as the `postgres` user when run as root) and a throwaway Redis (port
   --redis-port, no persistence): the machine's own PostgreSQL and Redis are never touched;
2. migrates, seeds a small world with the volume benchmark's generators (the org tree, people
   with roles, partner tokens, applications, orders, timers: service_ops/bench) and starts the
   production processes against it: gunicorn (DEBUG=0), two Celery workers and one Celery beat
   (sweeping every --sweep-interval s, batches of --sweep-batch); e-mail goes to a file backend;
   working hours are the whole day so notifications are due at once whatever the hour;
3. measures a bounded mixed load without faults (partner POSTs with an Idempotency-Key, partner
   API lists, staff pages with a session): requests/s, p50/p95/p99, errors;
4. arms --timers timers to come due during the drill, runs the same load (every failed attempt
   retried with the same key, with back-off, as an integrator does) and injects, in turn: Redis
   stopped for --redis-outage s and restarted; `kill -9` of the Celery worker that is running
   a sweep (caught mid-sweep: some escalations of a burst committed, the rest not) and a
   replacement started; PostgreSQL restarted (`pg_ctl restart -m fast`: every connection drops);
5. stops the load, waits (at most --quiet-timeout s) until nothing is due or unsent, stops beat
   and the workers, then checks: every logical request succeeded and created nothing twice;
   every armed timer fired each level that came due exactly once (one log row, one notification
   per recipient); every e-mail due was delivered exactly once (messages counted per outbox row);
   every webhook delivery to the drill's partner (an endpoint registered before the load, pointing
   at a loopback receiver in this process) was delivered and received, twice only when a worker
   was killed while sending;
6. prints the fault table and the verdicts, stops and removes every service and process (also on
   failure or Ctrl-C), and exits non-zero when a check failed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from service_ops.bench import BenchError, Context
from service_ops.bench.services import HOST, Postgres, Process, Redis

DRILL_DB = "service_ops_drill"


def partner_write():
    """The partner write an app declares for the drill (its BenchPart.partner_write)."""
    from service_ops.plugins import bench_parts

    for _label, part in bench_parts():
        if part.partner_write is not None:
            return part.partner_write
    raise BenchError("no app declares a partner write for the fault drill (BenchPart)")


WORKER_APP = "fault-drill-worker-"


class Command(BaseCommand):
    help = "Load and faults (Redis down, a worker killed mid-sweep, PostgreSQL restarted) on "
    "throwaway services, then checks that nothing was lost or done twice."

    def add_arguments(self, parser):
        parser.add_argument("--timers", type=int, default=2000, help="timers armed to come due")
        parser.add_argument("--load-seconds", type=int, default=60, help="fault-free load")
        parser.add_argument("--threads", type=int, default=4, help="client threads")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--orders", type=int, default=6000, help="repair orders seeded")
        parser.add_argument("--applications", type=int, default=2000, help="applications seeded")
        parser.add_argument("--branches", type=int, default=8, help="branches seeded")
        parser.add_argument("--pg-port", type=int, default=5544)
        parser.add_argument("--redis-port", type=int, default=6399)
        parser.add_argument("--redis-outage", type=float, default=10.0, help="seconds")
        parser.add_argument("--sweep-interval", type=int, default=2, help="beat's sweep period")
        parser.add_argument("--sweep-batch", type=int, default=50, help="SWEEP_BATCH_SIZE")
        parser.add_argument("--quiet-timeout", type=float, default=300.0, help="seconds")
        parser.add_argument("--skip-load", action="store_true", help="no fault-free load figures")
        parser.add_argument(
            "--keep-logs", action="store_true", help="keep the processes' logs (prints where)"
        )

    def out(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args, **opts):
        if connection.vendor != "postgresql":
            raise CommandError(
                "The drill runs the production shape: start it with a PostgreSQL DATABASE_URL "
                "(make fault-drill); it then makes a cluster of its own and uses only that."
            )
        if opts["timers"] < 30:
            raise CommandError("--timers must be at least 30")
        settings.DEBUG = False
        self.opts = opts
        self.dir = Path(tempfile.mkdtemp(prefix="fault_drill_"))
        self.events: list[tuple[datetime, str, str]] = []
        self.processes: list[Process] = []
        self.server = None
        self.receiver = None
        self.sender_killed = False
        self.t0 = timezone.now()
        pg = Postgres(port=opts["pg_port"], out=self.out)
        redis = Redis(port=opts["redis_port"], out=self.out)
        failed = True
        try:
            self.out(
                f"starting a throwaway PostgreSQL cluster on {HOST}:{pg.port} and Redis on "
                f"{HOST}:{redis.port} (logs in {self.dir}) …"
            )
            pg.start()
            redis.start()
            self.pg, self.redis = pg, redis
            self.use_cluster(pg)
            verdicts = self.run(opts)
            failed = not all(v.passed for v in verdicts)
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            self.out("stopping the processes and the throwaway services …")
            for process in reversed(self.processes):
                process.stop(timeout=15)
            if self.server is not None:
                self.server.__exit__(None, None, None)
            if self.receiver is not None:
                self.receiver.close()
            connection.close()
            redis.close()
            pg.close()
            if opts["keep_logs"] or failed:
                self.out(f"logs kept in {self.dir}")
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
        if failed:
            raise CommandError("the fault drill found violations (see FAIL above)")

    # --- setting up ---------------------------------------------------------------------------

    def use_cluster(self, pg: Postgres) -> None:
        """Point this process at the throwaway cluster, create the drill's database, migrate."""
        connection.close()
        sd = connection.settings_dict
        sd.update(
            HOST=HOST, PORT=pg.port, USER="postgres", PASSWORD="", NAME="postgres", OPTIONS={}
        )
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {DRILL_DB}")
        connection.close()
        sd["NAME"] = DRILL_DB
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        self.out(f"  migrated {DRILL_DB} in {time.perf_counter() - started:.1f} s")

    def seed(self, opts) -> Context:
        from service_ops.management.commands.bench_web import check, generate
        from service_ops.plugins import seed_defaults
        from service_ops.workcalendar import clock
        from service_ops.workcalendar.services import calendar_set_day

        seed_defaults()
        now = timezone.now().replace(microsecond=0)
        today = clock.local_date(now)
        if not clock.is_working_day(today):
            # Notifications go out on working days only: the drill's calendar makes today one.
            calendar_set_day(day=today, is_working=True, note="fault drill")
        ctx = Context(
            scale={
                "orders": opts["orders"],
                "applications": opts["applications"],
                "branches": opts["branches"],
            },
            now=now,
            out=lambda text: None,
        )
        started = time.perf_counter()
        generate(ctx)
        from service_ops.bench.drill import hold_timers

        hold_timers(timezone.now())
        problems = check(ctx)
        if problems:
            raise BenchError("the seeded world is not usable: " + "; ".join(problems))
        counts = ", ".join(f"{label.split('.')[-1]} {n:,}" for label, n in ctx.counts.items() if n)
        self.out(f"  seeded in {time.perf_counter() - started:.1f} s: {counts}")
        return ctx

    def child_env(self, redis: Redis) -> dict[str, str]:
        mail = self.dir / "mail"
        mail.mkdir(exist_ok=True)
        self.mail_dir = mail
        return {
            "REDIS_URL": redis.url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail),
            "SMS_BACKEND": "service_ops.notifications.sms.LocmemSmsBackend",
            "WORKDAY_START": settings.SERVICE_OPS["WORKDAY_START"],
            "WORKDAY_END": settings.SERVICE_OPS["WORKDAY_END"],
            "SWEEP_INTERVAL_SECONDS": str(self.opts["sweep_interval"]),
            "SWEEP_BATCH_SIZE": str(self.opts["sweep_batch"]),
            "CELERY_BEAT_SCHEDULE_FILENAME": str(self.dir / "celerybeat-schedule"),
            "LOG_LEVEL": "INFO",
            # the drill's webhook receiver is on the loopback, over http
            "WEBHOOK_ALLOW_PRIVATE": "1",
        }

    def start_worker(self, n: int) -> Process:
        from service_ops.bench.load import database_url

        env = {
            **self.server.env,
            "DATABASE_URL": f"{database_url()}?application_name={WORKER_APP}{n}",
        }
        worker = Process(
            f"worker-{n}",
            [
                "-m",
                "celery",
                "--app=service_ops",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                f"--hostname=drill-worker-{n}@%h",
            ],
            env=env,
            log=self.dir / f"worker-{n}.log",
        ).start()
        self.processes.append(worker)
        give_up = time.monotonic() + 60
        while "ready." not in worker.tail(20000):
            if not worker.alive() or time.monotonic() > give_up:
                raise BenchError(f"celery worker {n} did not start: {worker.tail()}")
            time.sleep(0.2)
        return worker

    def start_processes(self, redis: Redis) -> None:
        from service_ops.bench.load import Server

        self.server = Server(
            workers=self.opts["workers"], out=self.out, extra_env=self.child_env(redis)
        )
        self.server.__enter__()
        self.workers = {n: self.start_worker(n) for n in (1, 2)}
        beat = Process(
            "beat",
            [
                "-m",
                "celery",
                "--app=service_ops",
                "beat",
                "--loglevel=INFO",
                f"--schedule={self.dir / 'celerybeat-schedule'}",
            ],
            env=self.server.env,
            log=self.dir / "beat.log",
        ).start()
        self.processes.append(beat)
        self.beat = beat
        self.out(
            f"  gunicorn: {self.opts['workers']} workers on {HOST}:{self.server.port} (DEBUG=0); "
            f"Celery: 2 workers (pids {self.workers[1].pid}, {self.workers[2].pid}), beat "
            f"sweeping every {self.opts['sweep_interval']} s in batches of "
            f"{self.opts['sweep_batch']}; e-mail to files"
        )

    # --- the run ------------------------------------------------------------------------------

    def run(self, opts):
        from service_ops.bench import drill
        from service_ops.bench.load import plan
        from service_ops.management.commands.bench_web import all_probes

        # Mail waits for working hours: the drill's day is all working hours (in this process
        # and, through the environment, in every child).
        settings.SERVICE_OPS["WORKDAY_START"] = "00:00"
        settings.SERVICE_OPS["WORKDAY_END"] = "23:59"
        settings.SERVICE_OPS["WEBHOOK_ALLOW_PRIVATE"] = True
        ctx = self.seed(opts)
        self.start_processes(self.redis)
        mix = plan(all_probes(ctx), ctx.callers, self.server.port)
        dealer = ctx.callers["dealer"]
        endpoint = self.register_receiver(dealer)
        write = partner_write()
        client = drill.Client(
            port=self.server.port,
            mix=mix,
            token=dealer.token,
            write=write,
            threads=opts["threads"],
        )
        self.out(
            f"  the load: {opts['threads']} client threads; a logical request in four is a "
            f"partner write (POST {write.create_path}, then {write.then_label}); the rest GETs "
            "of the mixed load "
            f"({len(mix)} slots: partner API lists with the token, staff pages with a "
            "session)"
        )

        load = None
        if not opts["skip_load"]:
            self.out("")
            self.out(f"fault-free mixed load, {opts['load_seconds']} s …")
            started = time.monotonic()
            client.start()
            time.sleep(opts["load_seconds"])
            client.stop()
            elapsed = time.monotonic() - started
            outcomes, attempts = client.take()
            load = drill.figures(attempts, elapsed)
            self.out(load.report(opts["threads"], opts["workers"]))

        # --- the drill --------------------------------------------------------------------
        self.out("")
        self.out("the drill: load, faults, recovery …")
        since = timezone.now()
        t0 = since + timedelta(seconds=3)
        spread = 75.0
        burst_at = t0 + timedelta(seconds=40)
        armed = drill.arm_timers(
            count=opts["timers"], t0=t0, spread=spread, burst_at=burst_at, out=self.out
        )
        n_burst = sum(1 for t in armed if t.level == 2)
        self.t0 = t0
        client.start()
        self.event("load", f"{opts['threads']} client threads start")

        self.sleep_until(t0 + timedelta(seconds=10))
        self.redis.stop()
        self.event("redis stopped", f"SIGKILL to redis-server :{self.redis.port}")
        time.sleep(opts["redis_outage"])
        self.redis.start()
        self.event("redis started", f"after {opts['redis_outage']:g} s down")

        self.sleep_until(burst_at - timedelta(seconds=1))
        self.kill_worker_mid_sweep(n_burst)

        self.sleep_until(t0 + timedelta(seconds=60))
        self.event("postgresql restart", "pg_ctl restart -m fast")
        took = self.pg.restart()
        self.event("postgresql up", f"restarted in {took:.1f} s; every connection dropped")

        last_moment = t0 + timedelta(seconds=spread + 40 + 3)
        self.sleep_until(last_moment)
        client.stop()
        self.event("load stopped", "every logical request under way finished")
        quiet = self.wait_quiet(opts["quiet_timeout"])
        self.event(
            "quiet" if quiet else "not quiet",
            "nothing due, nothing unsent, no webhook pending" if quiet else "gave up waiting",
        )
        self.beat.stop()
        for worker in self.workers.values():
            worker.stop()
        self.event("stopped", "beat and workers stopped for the checks")

        outcomes, attempts = client.take()
        now = timezone.now()
        verdicts = [
            self.db(lambda: drill.verify_requests(outcomes, write=write, ctx=ctx, since=since)),
            self.db(lambda: drill.verify_timers(armed, now=now)),
            self.db(lambda: drill.verify_notifications(mail_dir=self.mail_dir, now=now)),
        ]
        seen, events_seen = self.receiver.seen()
        verdicts.append(
            self.db(
                lambda: drill.verify_webhooks(
                    endpoint_id=endpoint.pk,
                    seen=seen,
                    events_seen=events_seen,
                    sender_killed=self.sender_killed,
                )
            )
        )
        self.report(verdicts, load, attempts)
        return verdicts

    def register_receiver(self, dealer):
        """The partner's webhook receiver (a loopback server in this process) and its endpoint,
        registered for the partner whose token the load writes with."""
        from service_ops.bench.drill import HookReceiver
        from service_ops.webhooks.services import endpoint_create

        self.receiver = HookReceiver().start()
        endpoint, _secret = endpoint_create(
            org_unit=dealer.user.profile.org_unit,
            url=self.receiver.url,
            description="fault drill",
        )
        self.endpoint_id = endpoint.pk
        self.out(
            f"  webhooks: endpoint {endpoint.pk} of {endpoint.org_unit} → {self.receiver.url} "
            "(the drill's loopback receiver, counting requests per delivery id)"
        )
        return endpoint

    # --- faults -------------------------------------------------------------------------------

    def kill_worker_mid_sweep(self, n_burst: int) -> None:
        """Wait for the burst's sweep; when some of its escalations have committed and a worker
        is inside a sweep transaction, kill -9 that worker's process group, then start a
        replacement (what a supervisor or `restart: unless-stopped` does)."""
        from service_ops.deadlines.models import Deadline, DeadlineAction

        actions = connection.ops.quote_name(DeadlineAction._meta.db_table)
        timers = Deadline._meta.db_table
        give_up = time.monotonic() + 40
        victim = None
        committed = 0
        with connection.cursor() as cursor:
            while time.monotonic() < give_up:
                cursor.execute(f"SELECT count(*) FROM {actions} WHERE level >= 3")  # noqa: S608
                committed = cursor.fetchone()[0]
                if committed >= n_burst:
                    break
                cursor.execute(
                    "SELECT application_name, query LIKE %s FROM pg_stat_activity "
                    "WHERE application_name LIKE %s AND xact_start IS NOT NULL "
                    "ORDER BY 2 DESC",
                    [f"%{timers}%", f"{WORKER_APP}%"],
                )
                busy = cursor.fetchall()
                if committed > 0 and busy and busy[0][1]:
                    victim = int(busy[0][0].rsplit("-", 1)[1])
                    break
                time.sleep(0.005)
        if victim is None:
            victim = 1
            how = (
                f"not caught mid-sweep ({committed} of {n_burst} escalations committed when "
                "the drill looked): killed anyway"
            )
        else:
            how = f"mid-sweep: {committed} of {n_burst} escalations committed, a batch under way"
        worker = self.workers[victim]
        worker.kill()
        from service_ops.bench.drill import sending_when_killed

        if sending_when_killed(worker.tail(10_000_000)):
            self.sender_killed = True
            how += "; it was sending webhooks"
        self.event("worker killed", f"kill -9 worker-{victim} (pid {worker.pid}) {how}")
        n = max(self.workers) + 1
        self.workers[n] = self.start_worker(n)
        self.event("worker started", f"worker-{n} (pid {self.workers[n].pid}) replaces it")

    # --- waiting and checking -----------------------------------------------------------------

    def db(self, fn, seconds: float = 60):
        """Run fn, reconnecting while the database restarts."""
        give_up = time.monotonic() + seconds
        while True:
            try:
                return fn()
            except (OperationalError, InterfaceError):
                connection.close()
                if time.monotonic() > give_up:
                    raise
                time.sleep(0.5)

    def wait_quiet(self, seconds: float) -> bool:
        """Until no open timer is overdue for a sweep, no e-mail row that is due is unsent and no
        webhook delivery of the drill's endpoint is pending or failed (waiting for a retry)."""
        from service_ops.deadlines.models import Deadline, DeadlineStatus
        from service_ops.notifications.models import Channel, Notification
        from service_ops.notifications.services import MAX_ATTEMPTS
        from service_ops.webhooks.models import OPEN_STATES, WebhookDelivery

        def pending() -> tuple[int, int, int]:
            now = timezone.now()
            overdue = Deadline.objects.filter(
                status__in=[DeadlineStatus.RUNNING, DeadlineStatus.BREACHED],
                next_action_at__lte=now - timedelta(seconds=2 * self.opts["sweep_interval"] + 1),
            ).count()
            unsent = (
                Notification.objects.filter(
                    sent_at__isnull=True,
                    digest=False,
                    send_after__lte=now,
                    attempts__lt=MAX_ATTEMPTS,
                )
                .exclude(channel=Channel.IN_APP)
                .count()
            )
            hooks = WebhookDelivery.objects.filter(
                endpoint_id=self.endpoint_id, state__in=OPEN_STATES
            ).count()
            return overdue, unsent, hooks

        give_up = time.monotonic() + seconds
        while time.monotonic() < give_up:
            overdue, unsent, hooks = self.db(pending)
            if not overdue and not unsent and not hooks:
                return True
            time.sleep(1)
        self.out(
            f"  still pending after {seconds:g} s: {overdue} timers, {unsent} e-mail rows, "
            f"{hooks} webhook deliveries"
        )
        return False

    def sleep_until(self, moment: datetime) -> None:
        delay = (moment - timezone.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)

    def event(self, what: str, detail: str) -> None:
        now = timezone.now()
        self.events.append((now, what, detail))
        self.out(
            f"  {timezone.localtime(now):%H:%M:%S} t+{(now - self.t0).total_seconds():5.1f} s"
            f"  {what}: {detail}"
        )

    def report(self, verdicts, load, attempts) -> None:
        from service_ops.bench.drill import figures

        shutil.copy(self.server.log, self.dir / "gunicorn.log")  # its directory goes with it
        self.out("")
        load1, load5, load15 = os.getloadavg()
        self.out(
            f"machine: {os.cpu_count()} cores, load average {load1:.1f} / {load5:.1f} / "
            f"{load15:.1f} (1/5/15 min); PostgreSQL 15 and Redis of the drill's own"
        )
        self.out("faults (Asia/Shanghai time, seconds after the timers were armed):")
        self.out(f"  {'time':<8}  {'t+ s':>6}  {'event':<20}  detail")
        for at, what, detail in self.events:
            self.out(
                f"  {timezone.localtime(at):%H:%M:%S}  {(at - self.t0).total_seconds():6.1f}"
                f"  {what:<20}  {detail}"
            )
        during = figures(attempts, 1.0)
        self.out(
            f"attempts during the drill: {during.requests:,}, of which failed and retried: "
            f"{during.errors}{during.error_detail}"
        )
        for name, path in (
            ("gunicorn", self.server.log),
            *[(p.name, p.log) for p in self.processes],
        ):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            kept = text.count("went out before its commit was lost")
            if kept:
                self.out(
                    f"  {name}: {kept} e-mails delivered before a lost commit, marked sent "
                    "without delivering them again"
                )
            tracebacks = text.count("Traceback")
            errors = text.count(" ERROR ")
            if tracebacks or errors:
                self.out(f"  {name} log: {tracebacks} tracebacks, {errors} ERROR lines")
        self.out("")
        if load is not None:
            self.out(load.report(self.opts["threads"], self.opts["workers"]))
        for verdict in verdicts:
            self.out(str(verdict))
        self.out("fault drill: " + ("PASS" if all(v.passed for v in verdicts) else "FAIL"))
