"""The fault drill's pieces (manage.py fault_drill): the client that behaves like an integrator and
a browser, the timers it arms, and the checks it makes once the system is quiet again.

- `Client`: threads that each send a mix of logical requests through gunicorn — a partner's write
  as an app declares it (service_ops.bench.PartnerWrite; repairs: create a return application,
  then submit it, each POST with an Idempotency-Key of its own), the
  partner API lists, staff pages with a session cookie (the mixed load's `plan`). A connection
  error, a 5xx, a 409 "in progress" or a 429 is retried with the same key, with back-off, until
  it succeeds or `give_up` seconds have passed, as a real integrator does; every attempt and
  every logical request's final outcome is recorded.
- `arm_timers`: N open timers set to come due during the drill: warnings and breaches spread over
  the fault window, and a burst of first escalations at one moment (the one a worker is killed in).
- `verify_*`: requests (none lost, no duplicate row), timers (each level that came due fired
  exactly once, a level skipped only when a later one was already due at that sweep, one log row
  and one set of notifications per fired level), notifications (each e-mail row that is due was
  delivered exactly once: the messages carry the outbox row's id), webhooks (every delivery row of
  the drill's endpoint delivered and received by `HookReceiver`, the partner's loopback server;
  a delivery received twice only when a worker was killed while sending).
"""

from __future__ import annotations

import http.client
import json
import random
import re
import statistics
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .load import HOST
from .measure import percentile

RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})


# --- the client --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One logical request: what it was, how many attempts it took and how it ended."""

    kind: str  # "create", the write's then_label ("submit"), "partner GET", "staff GET"
    key: str  # the Idempotency-Key (POST) or the path (GET)
    started: float
    finished: float = 0.0
    attempts: int = 0
    status: int | None = None
    ok: bool = False
    failures: list[str] = field(default_factory=list)  # what each failed attempt met
    created_id: int | None = None


@dataclass
class Attempt:
    kind: str
    at: float
    ms: float
    ok: bool
    error: str = ""


class Client:
    """`threads` client threads against gunicorn on `port`. `mix` is the GET mix of the mixed load
    (service_ops.bench.load.plan: (path, headers) with the partner token or a staff session);
    every `post_every`-th logical request of a thread is the partner's write (`write`, a
    PartnerWrite: the create, then its second POST)."""

    def __init__(self, *, port, mix, token, write, threads=4, post_every=4, give_up=300.0, seed=16):
        self.port, self.mix, self.token, self.write = port, mix, token, write
        self.threads, self.post_every, self.give_up = threads, post_every, give_up
        self.rng = random.Random(seed)
        self.outcomes: list[Outcome] = []
        self.attempts: list[Attempt] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._serial = 0
        self.run_id = f"{int(time.time())}-{random.randrange(1 << 30):08x}"

    # -- running ---------------------------------------------------------------------------------
    def start(self) -> Client:
        self._stop.clear()
        for i in range(self.threads):
            thread = threading.Thread(target=self._loop, args=(i,), daemon=True, name=f"drill-{i}")
            self._workers.append(thread)
            thread.start()
        return self

    def stop(self) -> None:
        """Stop issuing new logical requests; those under way finish (retries included)."""
        self._stop.set()
        for thread in self._workers:
            thread.join(self.give_up + 60)
        self._workers = []

    def take(self) -> tuple[list[Outcome], list[Attempt]]:
        with self._lock:
            outcomes, attempts = self.outcomes, self.attempts
            self.outcomes, self.attempts = [], []
        return outcomes, attempts

    def _next_serial(self) -> int:
        with self._lock:
            self._serial += 1
            return self._serial

    def _loop(self, index: int) -> None:
        conn = [None]
        n = index * 7
        while not self._stop.is_set():
            n += 1
            if n % self.post_every == 0:
                serial = self._next_serial()
                key = f"{self.run_id}-c{serial}"
                body = json.dumps(self.write.body(serial), ensure_ascii=False).encode()
                created = self._logical(conn, "create", key, body, path=self.write.create_path)
                if created.ok and created.created_id and self.write.then_path:
                    then = self.write.then_path.format(id=created.created_id)
                    key = f"{self.run_id}-s{serial}"
                    self._logical(conn, self.write.then_label, key, b"", path=then)
            else:
                path, headers = self.mix[n % len(self.mix)]
                kind = "partner GET" if "Authorization" in headers else "staff GET"
                self._logical(conn, kind, path, None, path=path, headers=headers)
        if conn[0] is not None:
            conn[0].close()

    def _logical(self, conn, kind, key, body, *, path, headers=None) -> Outcome:
        outcome = Outcome(kind=kind, key=key, started=time.time())
        if body is not None:
            method = "POST"
            headers = {
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            }
        else:
            method = "GET"
        delay = 0.1
        while True:
            outcome.attempts += 1
            started = time.perf_counter()
            error = ""
            status = None
            data = b""
            try:
                if conn[0] is None:
                    conn[0] = http.client.HTTPConnection(HOST, self.port, timeout=30)
                conn[0].request(method, path, body=body, headers=headers)
                response = conn[0].getresponse()
                data = response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn[0].close()
                    conn[0] = None
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                if conn[0] is not None:
                    conn[0].close()
                conn[0] = None
            ms = (time.perf_counter() - started) * 1000
            expected = 201 if kind == "create" else 200
            ok = status == expected
            if status is not None and not ok:
                error = f"HTTP {status}"
            with self._lock:
                self.attempts.append(Attempt(kind, time.time(), ms, ok, error))
            outcome.status = status
            if ok:
                outcome.ok = True
                if kind == "create":
                    outcome.created_id = json.loads(data).get("id")
                break
            outcome.failures.append(error)
            retryable = status is None or status in RETRY_STATUSES
            if not retryable or time.time() - outcome.started > self.give_up:
                break
            time.sleep(delay * (0.5 + self.rng.random()))
            delay = min(delay * 2, 2.0)
        outcome.finished = time.time()
        with self._lock:
            self.outcomes.append(outcome)
        return outcome


@dataclass
class LoadFigures:
    seconds: float
    requests: int
    errors: int
    error_detail: str
    p50: float
    p95: float
    p99: float
    by_kind: dict[str, tuple[int, float, float]]  # kind → (requests, p50, p95)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def report(self, threads: int, workers: int) -> str:
        kinds = "; ".join(
            f"{kind} {n:,} (p50 {p50:,.1f} / p95 {p95:,.1f} ms)"
            for kind, (n, p50, p95) in sorted(self.by_kind.items())
        )
        return (
            f"mixed load (Python client, {threads} threads, gunicorn {workers} workers, "
            f"DEBUG=0): {self.requests:,} requests in {self.seconds:.1f} s = {self.rps:,.1f} "
            f"req/s; p50 {self.p50:,.1f} ms, p95 {self.p95:,.1f} ms, p99 {self.p99:,.1f} ms; "
            f"errors {self.errors}{self.error_detail}\n  by kind: {kinds}"
        )


def figures(attempts: list[Attempt], seconds: float) -> LoadFigures:
    times = [a.ms for a in attempts]
    errors = Counter(a.error for a in attempts if not a.ok)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for a in attempts:
        by_kind[a.kind].append(a.ms)
    return LoadFigures(
        seconds=seconds,
        requests=len(attempts),
        errors=sum(errors.values()),
        error_detail=f" {dict(errors)}" if errors else "",
        p50=statistics.median(times) if times else 0.0,
        p95=percentile(times, 95) if times else 0.0,
        p99=percentile(times, 99) if times else 0.0,
        by_kind={k: (len(v), statistics.median(v), percentile(v, 95)) for k, v in by_kind.items()},
    )


# --- the timers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmedTimer:
    id: int
    cycle: int
    level: int  # the level it starts the drill at
    warn_at: datetime
    due_at: datetime
    snapshot: dict


def hold_timers(now: datetime) -> int:
    """Every open timer waits until a day after `now`: the generator's timers stay as it left
    them, but nothing fires before the drill arms the timers it checks (whose every moment it
    knows) — not during the fault-free load either."""
    from service_ops.deadlines.models import Deadline, DeadlineStatus

    return Deadline.objects.filter(
        status__in=[DeadlineStatus.RUNNING, DeadlineStatus.BREACHED],
        next_action_at__lt=now + timedelta(days=1),
    ).update(next_action_at=now + timedelta(days=1))


def arm_timers(*, count: int, t0: datetime, spread: float, burst_at: datetime, out):
    """Take `count` open timers (the generator's repair limits, approval steps and quote consents)
    and set them to come due during the drill: two thirds as running timers whose warning comes
    5 s to `spread` s after t0 and whose breach 40 s after their warning; one third as breached
    timers whose first escalation is overdue and is claimed at `burst_at`, all at once (a sweep of
    several batches, for the worker kill). Every other open timer waits (hold_timers)."""
    from django.db import transaction

    from service_ops.deadlines import timing
    from service_ops.deadlines.models import Deadline, DeadlineAction, DeadlineLog, DeadlineStatus
    from service_ops.notifications.models import Notification
    from service_ops.workcalendar import clock

    open_statuses = [DeadlineStatus.RUNNING, DeadlineStatus.BREACHED]
    # Open timers first, then closed ones reopened: a small world has few open timers.
    candidates = list(Deadline.objects.filter(status__in=open_statuses).order_by("id"))
    candidates += list(
        Deadline.objects.exclude(status__in=open_statuses).order_by("id")[: count * 3]
    )
    escalating = [d for d in candidates if timing.max_level(d.policy_snapshot) > timing.BREACH]
    n_burst = min(count // 3, len(escalating))
    burst = escalating[:n_burst]
    taken = {d.pk for d in burst}
    spread_timers = [d for d in candidates if d.pk not in taken][: count - n_burst]
    if len(spread_timers) + len(burst) < count:
        from .base import BenchError

        raise BenchError(f"only {len(spread_timers) + len(burst)} open timers, {count} wanted")
    today = clock.local_date(t0)
    overdue = clock.cutoff(clock.nth_working_day_before(today, 2))
    armed = []
    for d in [*spread_timers, *burst]:
        d.closed_at = d.paused_at = None
        d.pause_reason = d.ball_holder = ""
    for i, d in enumerate(spread_timers):
        warn = t0 + timedelta(seconds=5 + (spread - 5) * i / max(1, len(spread_timers) - 1))
        d.status, d.level, d.breached_at = DeadlineStatus.RUNNING, 0, None
        d.started_at = t0 - timedelta(hours=1)
        d.warn_at, d.due_at = warn, warn + timedelta(seconds=40)
        d.next_action_at = d.warn_at
        armed.append(d)
    for d in burst:
        d.status, d.level = DeadlineStatus.BREACHED, timing.BREACH
        d.started_at = overdue - timedelta(days=3)
        d.warn_at, d.due_at, d.breached_at = overdue - timedelta(hours=1), overdue, overdue
        d.next_action_at = burst_at
        armed.append(d)
    ids = [d.pk for d in armed]
    with transaction.atomic():
        # A clean slate for the armed timers: what they fired before (the generator's past) is
        # not the drill's to count.
        DeadlineAction.objects.filter(deadline_id__in=ids).delete()
        DeadlineLog.objects.filter(deadline_id__in=ids).exclude(
            kind=DeadlineLog.Kind.START
        ).delete()
        Notification.objects.filter(url__in=[f"/deadlines/{pk}/" for pk in ids]).delete()
        hold_timers(t0)
        Deadline.objects.bulk_update(
            armed,
            [
                "status",
                "level",
                "breached_at",
                "started_at",
                "warn_at",
                "due_at",
                "next_action_at",
                "closed_at",
                "paused_at",
                "pause_reason",
                "ball_holder",
            ],
            batch_size=500,
        )
    out(
        f"  armed {len(armed):,} timers: {len(spread_timers):,} with warnings from +5 s to "
        f"+{spread:.0f} s and breaches 40 s later, {len(burst):,} first escalations overdue and "
        f"claimed together at {burst_at:%H:%M:%S}"
    )
    return [
        ArmedTimer(d.pk, d.cycle, d.level, d.warn_at, d.due_at, d.policy_snapshot) for d in armed
    ]


# --- the checks --------------------------------------------------------------------------------


@dataclass
class Verdict:
    name: str
    passed: bool
    line: str
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.line}"
        if self.problems:
            text += "\n" + "\n".join(f"      - {p}" for p in self.problems[:15])
            if len(self.problems) > 15:
                text += f"\n      … and {len(self.problems) - 15} more"
        return text


def verify_requests(outcomes: list[Outcome], *, write, ctx, since: datetime) -> Verdict:
    """Every logical request succeeded in the end; the records created are as many as the
    distinct create keys that succeeded (no retry created a second one, none was lost), and every
    record the second POST answered for has moved on (`write`: the app's PartnerWrite)."""
    issued = len(outcomes)
    succeeded = sum(o.ok for o in outcomes)
    retried = [o for o in outcomes if o.attempts > 1]
    failed = [o for o in outcomes if not o.ok]
    creates = [o for o in outcomes if o.kind == "create" and o.ok]
    keys = {o.key for o in creates}
    ids = [o.created_id for o in creates]
    row_count = write.created(ctx, since)
    thens = [o for o in outcomes if o.kind == write.then_label and o.ok]
    created_by_serial = {o.key.rsplit("-c", 1)[1]: o.created_id for o in creates}
    moved = {created_by_serial.get(o.key.rsplit("-s", 1)[1]) for o in thens} - {None}
    unfinished = write.unfinished(ctx, moved) if write.unfinished else 0
    problems = [
        f"{o.kind} {o.key}: gave up after {o.attempts} attempts ({', '.join(o.failures[-3:])})"
        for o in failed
    ]
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} create keys answered with another key's row")
    if row_count != len(keys):
        problems.append(f"{row_count} records in the database for {len(keys)} successful keys")
    if unfinished:
        problems.append(f"{unfinished} records answered for ({write.then_label}) did not move on")
    by_kind = Counter(o.kind for o in outcomes)
    failures = Counter(f for o in retried for f in o.failures)
    line = (
        f"{issued:,} logical requests issued, {succeeded:,} succeeded, {len(failed)} lost "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(by_kind.items()))}); {len(retried)} "
        f"needed retries ({sum(o.attempts - 1 for o in retried)} retried attempts: "
        f"{dict(failures) or 'none'}); {row_count:,} records created for {len(keys):,} "
        f"distinct keys; {write.then_label} {len(thens):,} of them"
    )
    return Verdict("requests", not problems, line, problems)


def verify_timers(armed: list[ArmedTimer], *, now: datetime) -> Verdict:
    """Each armed timer: its action rows are the levels that came due since it was armed, each
    once; a level is missing only when a later level was already due at the sweep that fired
    that one (the sweep fires the highest level reached, DESIGN §3); its level in the database is
    the highest; one log row and one set of notifications (no recipient told twice) per action."""
    from django.db.models import Count

    from service_ops.deadlines import timing
    from service_ops.deadlines.models import Deadline, DeadlineAction, DeadlineLog
    from service_ops.notifications.models import Channel, Notification

    ids = [t.id for t in armed]
    actions: dict[int, list[tuple[int, int, datetime]]] = defaultdict(list)
    for deadline_id, cycle, level, fired_at in DeadlineAction.objects.filter(
        deadline_id__in=ids
    ).values_list("deadline_id", "cycle", "level", "fired_at"):
        actions[deadline_id].append((cycle, level, fired_at))
    levels_now = dict(Deadline.objects.filter(pk__in=ids).values_list("pk", "level"))
    logs = Counter(
        DeadlineLog.objects.filter(deadline_id__in=ids)
        .exclude(kind=DeadlineLog.Kind.START)
        .values_list("deadline_id", flat=True)
    )
    told = defaultdict(set)  # deadline id → subjects
    twice = []
    for url, recipient, subject, n in (
        Notification.objects.filter(channel=Channel.IN_APP, url__startswith="/deadlines/")
        .values("url", "recipient_id", "subject")
        .annotate(n=Count("id"))
        .values_list("url", "recipient_id", "subject", "n")
    ):
        deadline_id = int(url.strip("/").split("/")[-1])
        told[deadline_id].add(subject)
        if n > 1:
            twice.append(f"timer {deadline_id}: user {recipient} told {n} times of {subject!r}")
    problems: list[str] = []
    fired = skipped = 0
    expected_levels = Counter()
    for t in armed:
        top = timing.level_reached(t.snapshot, t.level, t.warn_at, t.due_at, now) or t.level
        rows = actions.get(t.id, [])
        levels = sorted(level for cycle, level, _at in rows if cycle == t.cycle)
        fired += len(levels)
        expected_levels[top] += 1
        if len(levels) != len(set(levels)):
            problems.append(f"timer {t.id}: a level fired twice {levels}")
        if top > t.level and (not levels or levels[-1] != top):
            problems.append(f"timer {t.id}: level {top} due, fired {levels or 'nothing'}")
        if levels and levels[-1] > top:
            problems.append(f"timer {t.id}: fired level {levels[-1]} before it was due")
        if levels_now.get(t.id) != top:
            problems.append(f"timer {t.id}: at level {levels_now.get(t.id)}, {top} expected")
        fired_at = {level: at for cycle, level, at in rows if cycle == t.cycle}
        for level in range(t.level + 1, top):
            if level in fired_at:
                continue
            later = [fired_at[x] for x in levels if x > level]
            next_moment = timing.level_time(t.snapshot, level + 1, t.warn_at, t.due_at)
            if later and next_moment is not None and min(later) >= next_moment:
                skipped += 1  # the sweep that came found a later level due already
            else:
                problems.append(f"timer {t.id}: level {level} never fired ({levels})")
        if logs.get(t.id, 0) != len(levels):
            problems.append(f"timer {t.id}: {logs.get(t.id, 0)} log rows for {len(levels)} actions")
        if len(told.get(t.id, ())) != len(levels):
            problems.append(
                f"timer {t.id}: notifications of {len(told.get(t.id, ()))} levels, "
                f"{len(levels)} fired"
            )
    problems += twice
    line = (
        f"{len(armed):,} armed timers: {fired:,} actions fired (each (timer, level) once), final "
        f"levels {dict(sorted(expected_levels.items()))} as expected, {skipped} levels "
        f"legitimately skipped (a later level already due when the sweep came), "
        f"{sum(logs.values()):,} log rows, {len(twice)} recipients told twice"
    )
    return Verdict("deadlines", not problems, line, problems)


MESSAGE_ID = re.compile(rb"^X-Service-Ops-Notification: (\d+)\s*$", re.MULTILINE)


def delivered_messages(mail_dir: Path) -> Counter:
    """Messages per outbox row id in the file e-mail backend's directory."""
    counts: Counter = Counter()
    for path in mail_dir.glob("*.log"):
        for found in MESSAGE_ID.finditer(path.read_bytes()):
            counts[int(found.group(1))] += 1
    return counts


def verify_notifications(*, mail_dir: Path, now: datetime) -> Verdict:
    """Every e-mail row due by now was sent (sent_at set) and delivered exactly once; none sent
    that is not in the outbox; digest rows (sent the next morning) are counted apart."""
    from service_ops.notifications.models import Channel, Notification
    from service_ops.notifications.services import MAX_ATTEMPTS

    delivered = delivered_messages(mail_dir)
    rows = Notification.objects.filter(channel=Channel.EMAIL)
    due = rows.filter(digest=False, send_after__lte=now)
    sent_ids = set(due.filter(sent_at__isnull=False).values_list("pk", flat=True))
    unsent = list(due.filter(sent_at__isnull=True).values_list("pk", "attempts", "last_error"))
    # A row that failed waits for its back-off: not due, but not delivered either.
    unsent += list(
        rows.filter(sent_at__isnull=True, attempts__gt=0)
        .exclude(pk__in=due)
        .values_list("pk", "attempts", "last_error")
    )
    waiting = rows.filter(sent_at__isnull=True, attempts=0).exclude(pk__in=due).count()
    problems = [
        f"row {pk}: not sent ({attempts} attempts, {error!r})"
        for pk, attempts, error in unsent[:50]
    ]
    if len(unsent) > 50:
        problems.append(f"… {len(unsent)} rows not sent in all")
    twice = {pk: n for pk, n in delivered.items() if n > 1}
    problems += [f"row {pk}: delivered {n} times" for pk, n in sorted(twice.items())]
    missing = [pk for pk in sent_ids if delivered.get(pk, 0) == 0]
    problems += [f"row {pk}: marked sent, no message" for pk in missing[:50]]
    unknown = set(delivered) - set(
        Notification.objects.filter(pk__in=list(delivered)).values_list("pk", flat=True)
    )
    problems += [f"message for row {pk}, which the outbox does not hold" for pk in unknown]
    exhausted = due.filter(sent_at__isnull=True, attempts__gte=MAX_ATTEMPTS).count()
    line = (
        f"{due.count():,} e-mail rows due: {len(sent_ids):,} sent, {len(unsent)} unsent "
        f"({exhausted} out of attempts); {sum(delivered.values()):,} messages for "
        f"{len(delivered):,} rows, {len(twice)} delivered more than once; {waiting} rows wait "
        f"for a later moment (digest or working hours)"
    )
    return Verdict("notifications", not problems, line, problems)


class HookReceiver:
    """The partner's side of the webhooks, in the drill's process: a loopback HTTP server (random
    free port) that answers every POST with 200 and counts the requests per delivery id (the
    `X-ServiceOps-Delivery` header) and per event id (the JSON body's `id`)."""

    def __init__(self):
        self.deliveries: Counter = Counter()
        self.events: Counter = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                delivery = self.headers.get("X-ServiceOps-Delivery", "")
                try:
                    event = str(json.loads(body).get("id", ""))
                except (ValueError, AttributeError):
                    event = ""
                with receiver._lock:
                    receiver.requests += 1
                    receiver.deliveries[delivery] += 1
                    receiver.events[event] += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(
            target=self.server.serve_forever, daemon=True, name="drill-hook-receiver"
        )

    def start(self) -> HookReceiver:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def seen(self) -> tuple[Counter, Counter]:
        with self._lock:
            return Counter(self.deliveries), Counter(self.events)


SEND_TASK = "service_ops.webhooks.tasks.send_webhooks"
TASK_LINE = re.compile(r"Task (\S+)\[([0-9a-f-]+)\] (received|succeeded|failed|raised|retry)")


def sending_when_killed(log_text: str, task: str = SEND_TASK) -> bool:
    """Whether a Celery worker's log (--loglevel=INFO) shows a webhook send it received and never
    finished: the worker was killed while sending (some POSTs may have gone out whose outcome was
    never recorded; the lease sends them again)."""
    open_ids: set[str] = set()
    for name, task_id, what in TASK_LINE.findall(log_text):
        if name != task:
            continue
        if what == "received":
            open_ids.add(task_id)
        else:
            open_ids.discard(task_id)
    return bool(open_ids)


def verify_webhooks(
    *, endpoint_id: int, seen: Counter, events_seen: Counter, sender_killed: bool
) -> Verdict:
    """Every delivery row of the drill's endpoint was delivered (none pending, failed or dead)
    and reached the receiver (`seen`: requests per delivery id) at least once. A delivery id seen
    more than once is at-least-once at work and allowed only when a worker was killed while
    sending (`sender_killed`: its leased rows went out again; the partner deduplicates by event
    id) — otherwise it fails, as does a request for a delivery the endpoint does not hold."""
    from service_ops.webhooks.models import DeliveryState, WebhookDelivery

    rows = list(
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id).values_list(
            "uuid", "event_id", "event_type", "state", "attempts", "last_error"
        )
    )
    states = Counter(state for _u, _e, _t, state, _a, _err in rows)
    types = Counter(event_type for _u, _e, event_type, _s, _a, _err in rows)
    known = {str(u) for u, *_rest in rows}
    problems = [
        f"delivery {u} ({event_type}): {state} after {attempts} attempts ({error!r})"
        for u, _e, event_type, state, attempts, error in rows
        if state != DeliveryState.DELIVERED
    ]
    missing = [str(u) for u, *_rest in rows if seen.get(str(u), 0) == 0]
    problems += [f"delivery {u}: never reached the receiver" for u in missing[:50]]
    if len(missing) > 50:
        problems.append(f"… {len(missing)} deliveries never reached the receiver in all")
    unknown = sorted(set(seen) - known)
    problems += [f"request for delivery {u!r}, which the endpoint does not hold" for u in unknown]
    twice = {u: n for u, n in seen.items() if n > 1 and u in known}
    if twice and not sender_killed:
        problems += [
            f"delivery {u}: received {n} times, and no worker was killed while sending"
            for u, n in sorted(twice.items())
        ]
    if not rows:
        problems.append("no delivery for the drill's endpoint: the partner's writes sent nothing")
    events_twice = sum(1 for n in events_seen.values() if n > 1)
    delivered = states.pop(DeliveryState.DELIVERED, 0)
    line = (
        f"{len(rows):,} deliveries to the drill's endpoint "
        f"({', '.join(f'{t} {n:,}' for t, n in sorted(types.items())) or 'none'}): "
        f"{delivered:,} delivered, {len(rows) - delivered} not ({dict(states) or 'none'}); "
        f"the receiver got {sum(seen.values()):,} requests for {len(seen):,} delivery ids, "
        f"{len(missing)} never received, {len(twice)} received more than once"
    )
    if twice and sender_killed:
        line += (
            f" (allowed: a worker was killed while sending; {events_twice} event ids seen more "
            "than once, which the partner deduplicates)"
        )
    return Verdict("webhooks", not problems, line, problems)
