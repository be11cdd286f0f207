"""The deadline sweep: set-based, a constant number of statements per batch (DESIGN §3.1).

1. claim running/breached timers with next_action_at <= now (FOR UPDATE SKIP LOCKED on PostgreSQL;
   SQLite drops skip_locked and serialises writers, the unique action rows still hold);
2. INSERT the (timer, cycle, level) action rows ... ON CONFLICT DO NOTHING RETURNING: only rows that
   come back are new, so a level fires once even when sweeps overlap;
3. advance every claimed timer with one UPDATE ... FROM (VALUES ...) (also one whose action row
   already existed: its state is brought in line, so it never stays due and clogs the batches);
4. let owners' handlers act on their lists (one savepoint per kind that has handlers), resolve
   recipients (org, role and deputy maps, and how each person is reached: looked up once per sweep
   and only for people and units a batch adds), then write the log rows and the notification rows
   (the outbox) with one INSERT each, in the same transaction, and nudge the sender once on commit.

So a batch costs five statements (claim, actions, advance, log, outbox) plus what handlers do and a
few look-ups the first time a person or unit shows up. `now` is a Python argument: time-machine
does not move the database's now(). The calendar is pinned for the batch: one version check,
however many timers. The statement helpers are shared with the benchmark's set-based floor
(manage.py bench_deadlines), so the two differ only in the work the product does around them.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from service_ops.i18n import Deferred, from_json
from service_ops.workcalendar import clock

from . import timing
from .models import ASSIGNEE, Deadline, DeadlineAction, DeadlineLog, DeadlineStatus
from .registry import FiredAction, handlers_for

logger = logging.getLogger(__name__)

# The claimed columns, in this order (the policy snapshot comes last, as text: equal snapshots are
# parsed once, see _policy).
CLAIM_COLUMNS = (
    "id",
    "kind",
    "status",
    "level",
    "cycle",
    "warn_at",
    "due_at",
    "breached_at",
    "owner_type_id",
    "owner_id",
    "org_unit_id",
    "assignee_id",
    "label",
)
BREACHED = DeadlineStatus.BREACHED.value
LOG_KINDS = {
    timing.WARNING: DeadlineLog.Kind.WARN.value,
    timing.BREACH: DeadlineLog.Kind.BREACH.value,
}


@dataclass
class SweepResult:
    claimed: int = 0
    fired: int = 0
    notifications: int = 0
    batches: int = 0


def sweep_deadlines(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int = 1000
) -> SweepResult:
    """Fire every warning, breach and escalation due at `now`, batch by batch, each batch in its
    own transaction. With nothing due it costs one indexed SELECT."""
    now = now or timezone.now()
    batch_size = batch_size or settings.SERVICE_OPS["SWEEP_BATCH_SIZE"]
    result = SweepResult()
    directory = _Directory(clock.local_date(now))
    for _batch in range(max_batches):
        with transaction.atomic():
            claimed, fired, sent = _sweep_batch(now, batch_size, directory)
        result.batches += 1
        result.claimed += claimed
        result.fired += fired
        result.notifications += sent
        if claimed < batch_size:
            break
    return result


def claim(now: datetime, batch_size: int) -> list[tuple]:
    """Lock and read up to `batch_size` due timers, earliest first, skipping rows another sweep
    holds: tuples of CLAIM_COLUMNS, the deferred texts and the policy snapshot as JSON text (the
    texts are parsed only for the timers that fire)."""
    qs = (
        Deadline.objects.filter(
            status__in=[DeadlineStatus.RUNNING, DeadlineStatus.BREACHED], next_action_at__lte=now
        )
        .order_by("next_action_at")
        .select_for_update(skip_locked=True, of=("self",))
        .annotate(
            texts_text=Cast("texts", TextField()),
            snapshot_text=Cast("policy_snapshot", TextField()),
        )
        .values_list(*CLAIM_COLUMNS, "texts_text", "snapshot_text")
    )
    return list(qs[:batch_size])


def _sweep_batch(now: datetime, batch_size: int, directory: _Directory) -> tuple[int, int, int]:
    rows = claim(now, batch_size)
    if not rows:
        return 0, 0, 0
    with clock.pinned():
        return _fire(rows, now, directory)


# --- policies -------------------------------------------------------------------------------------


class _Policy:
    """A parsed policy snapshot with what the sweep asks of it per row precomputed: the highest
    level, the escalation interval and who each level is addressed to."""

    __slots__ = ("audience", "interval", "max_level", "snapshot")

    def __init__(self, snapshot: dict):
        self.snapshot = snapshot
        self.max_level = timing.max_level(snapshot)
        self.interval = int(snapshot.get("escalation_interval") or 1)
        self.audience = {
            (level, has): timing.audience(snapshot, level, has_assignee=has)
            for level in range(1, self.max_level + 1)
            for has in (True, False)
        }

    def advance(self, level: int, warn: datetime, due: datetime, now: datetime):
        """(reached, new level, next action): timing.level_reached and timing.next_action_at in
        one walk. The level whose moment is still ahead gives the next action; None past the
        last level."""
        reached = None
        candidate = level + 1
        while candidate <= self.max_level:
            if candidate == timing.WARNING:
                moment = warn
            elif candidate == timing.BREACH:
                moment = due
            else:
                moment = clock.add_working_days(due, (candidate - timing.BREACH) * self.interval)
            if moment > now:
                return reached, reached or level, moment
            reached = candidate
            candidate += 1
        return reached, reached or level, None


_policies: dict[str, _Policy] = {}


def _policy(text: str | dict) -> _Policy:
    """The parsed snapshot, once per distinct text (timers of one policy version share it)."""
    if isinstance(text, dict):  # a backend that hands JSON back parsed
        return _Policy(text)
    policy = _policies.get(text)
    if policy is None:
        if len(_policies) > 10_000:
            _policies.clear()
        policy = _policies[text] = _Policy(json.loads(text))
    return policy


# --- one batch ------------------------------------------------------------------------------------


def _fire(rows: list[tuple], now: datetime, directory: _Directory) -> tuple[int, int, int]:
    updates = []  # (id, level, status, breached_at, next_action_at)
    reached_rows = []  # (row, policy, reached)
    for row in rows:
        (pk, _kind, status, level, cycle, warn, due, breached_at, *_rest, text) = row
        policy = _policy(text)
        reached, new_level, nxt = policy.advance(level, warn, due, now)
        if new_level >= timing.BREACH:
            status = BREACHED
            breached_at = breached_at or due
        updates.append((pk, new_level, status, breached_at, nxt))
        if reached is not None:
            reached_rows.append((row, policy, reached))

    new_actions = insert_actions([(r[0], r[4], reached) for r, _p, reached in reached_rows], now)
    advance(updates)

    fired: list[FiredAction] = []
    policies: dict[int, _Policy] = {}
    for row, policy, reached in reached_rows:
        if (row[0], reached) not in new_actions:
            continue
        (pk, kind, _s, level, cycle, _w, due, _b, owner_type, owner, unit, assignee) = row[:12]
        label, tx = row[12], row[13]
        fired.append(
            FiredAction(
                deadline_id=pk,
                kind=kind,
                owner_type_id=owner_type,
                owner_id=owner,
                org_unit_id=unit,
                assignee_id=assignee,
                level=reached,
                previous_level=level,
                label=label_of(label, tx),
                due_at=due,
                breached_now=reached >= timing.BREACH > level,
                cycle=cycle,
            )
        )
        policies[pk] = policy
    if not fired:
        return len(rows), 0, 0
    _run_handlers(fired)
    sent = _notify_and_log(fired, policies, now, directory)
    return len(rows), len(fired), sent


def _run_handlers(fired: list[FiredAction]) -> None:
    by_kind: dict[str, list[FiredAction]] = defaultdict(list)
    for action in fired:
        by_kind[action.kind].append(action)
    for kind, actions in by_kind.items():
        for handler in handlers_for(kind):
            try:
                with transaction.atomic():
                    handler.on_fired(actions)
            except Exception:
                logger.exception(
                    "deadline handler %r failed on %d %s actions", handler, len(actions), kind
                )


# --- the statements (shared with the benchmark's floor) -------------------------------------------


def insert_actions(actions: list[tuple[int, int, int]], now: datetime) -> set[tuple[int, int]]:
    """Insert the (deadline_id, cycle, level) action rows with one INSERT ... ON CONFLICT DO
    NOTHING RETURNING; return the (deadline_id, level) pairs that are new."""
    if not actions:
        return set()
    table = connection.ops.quote_name(DeadlineAction._meta.db_table)
    fired_at = connection.ops.adapt_datetimefield_value(now)
    placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(actions))
    params: list = []
    for deadline_id, cycle, level in actions:
        params += (deadline_id, cycle, level, fired_at)
    sql = (
        f"INSERT INTO {table} (deadline_id, cycle, level, fired_at) VALUES {placeholders} "  # noqa: S608
        "ON CONFLICT DO NOTHING RETURNING deadline_id, level"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return set(map(tuple, cursor.fetchall()))


def advance(updates: list[tuple]) -> None:
    """Advance the claimed timers, (id, level, status, breached_at, next_action_at) each, with one
    UPDATE ... FROM (VALUES ...)."""
    if not updates:
        return
    table = connection.ops.quote_name(Deadline._meta.db_table)
    params: list = []
    if connection.vendor == "postgresql":
        # Typed on the first row only: PostgreSQL takes the column types of a VALUES list from
        # it, and psycopg2 adapts aware datetimes itself.
        first = "(%s::bigint, %s::smallint, %s::varchar, %s::timestamptz, %s::timestamptz)"
        values = ", ".join([first] + ["(%s, %s, %s, %s, %s)"] * (len(updates) - 1))
        for row in updates:
            params += row
    else:
        adapt = connection.ops.adapt_datetimefield_value
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(updates))
        for deadline_id, level, status, breached_at, nxt in updates:
            params += (deadline_id, level, status, adapt(breached_at), adapt(nxt))
    sql = (
        f"WITH v(id, level, status, breached_at, next_action_at) AS "  # noqa: S608
        f"(VALUES {values}) "
        f"UPDATE {table} SET level = v.level, status = v.status, "
        f"breached_at = COALESCE({table}.breached_at, v.breached_at), "
        f"next_action_at = v.next_action_at FROM v WHERE {table}.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def label_of(label: str, texts: str | dict | None) -> str | Deferred:
    """A fired timer's label: its deferred text when the system wrote it (claimed as JSON text),
    else the label as typed."""
    if not texts:
        return label
    data = json.loads(texts) if isinstance(texts, str) else texts
    deferred_label = from_json((data or {}).get("label"))
    return deferred_label if deferred_label is not None else label


def insert_log(rows: list[tuple], now: datetime) -> None:
    """One DeadlineLog row per fired action, (deadline_id, kind, due_at, detail[, detail as
    deferred JSON text]) each, with one INSERT (unnest of one array per column on PostgreSQL)."""
    if not rows:
        return
    rows = [row if len(row) == 5 else (*row, None) for row in rows]
    ops = connection.ops
    table = ops.quote_name(DeadlineLog._meta.db_table)
    columns = "deadline_id, kind, at, due_after, detail, detail_i18n"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, kinds, dues, details, data = (list(c) for c in zip(*rows, strict=True))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608
                "SELECT i, k, %s::timestamptz, d, t, j FROM unnest("
                "%s::bigint[], %s::varchar[], %s::timestamptz[], %s::varchar[], %s::jsonb[]) "
                "AS x(i, k, d, t, j)",
                [now, ids, kinds, dues, details, data],
            )
            return
        at = ops.adapt_datetimefield_value(now)
        for first in range(0, len(rows), 500):
            chunk = rows[first : first + 500]
            params: list = []
            for deadline_id, kind, due, detail, data in chunk:
                params += (deadline_id, kind, at, ops.adapt_datetimefield_value(due), detail, data)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk)),
                params,
            )


# --- who is told ----------------------------------------------------------------------------------


class _Directory:
    """Who holds a role for an org unit (and their deputies), the deputies of assignees who
    delegated all their roles, and how each person is reached, as of one sweep's day. Kept for the
    whole sweep: a batch looks up only the units, roles and people that earlier batches did not,
    so a long sweep costs these queries once, not once per batch."""

    def __init__(self, on):
        self.on = on
        self.holders: dict[tuple[str, int], list[int]] = {}
        self.deputies: dict[int, list[int]] = {}
        self.reach: dict = {}
        self.looked_up: set[int] = set()

    def role_holders(self, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], list[int]]:
        missing = pairs - self.holders.keys()
        if missing:
            from network.models import OrgUnit
            from network.selectors import role_holders_map

            units = OrgUnit.objects.in_bulk({unit_id for _role, unit_id in missing})
            found = role_holders_map(
                {(role, units[unit_id]) for role, unit_id in missing if unit_id in units},
                on=self.on,
            )
            for key in missing:
                self.holders[key] = [u.pk for u in found.get(key, ())]
        return self.holders

    def deputies_of(self, principals: set[int]) -> dict[int, list[int]]:
        missing = principals - self.deputies.keys()
        if missing:
            from network.models import Delegation

            for principal in missing:
                self.deputies[principal] = []
            for principal, deputy in Delegation.objects.filter(
                principal_id__in=missing, role="", starts_on__lte=self.on, ends_on__gte=self.on
            ).values_list("principal_id", "deputy_id"):
                self.deputies[principal].append(deputy)
        return self.deputies

    def reach_of(self, user_ids: set[int]) -> dict:
        """{user id: Reach} of the active users looked up so far (an inactive one is absent)."""
        missing = user_ids - self.looked_up
        if missing:
            from service_ops.notifications.services import reach_of

            self.reach.update(reach_of(missing))
            self.looked_up |= missing
        return self.reach


def _recipients(
    fired: list[FiredAction], policies: dict[int, _Policy], directory: _Directory
) -> list[list[int]]:
    """The user ids to tell of each fired action (same order): the warning and the breach go to
    the assignee (and the deputies of an assignee who delegated all roles); each escalation goes
    to the holders of the chain's role for the timer's org unit (found there or at the nearest
    ancestor that has one) and their active deputies."""
    audiences = [
        policies[a.deadline_id].audience[(a.level, a.assignee_id is not None)] for a in fired
    ]
    pairs = {
        (who, a.org_unit_id)
        for a, who in zip(fired, audiences, strict=True)
        if who != ASSIGNEE and a.org_unit_id
    }
    holders = directory.role_holders(pairs) if pairs else {}
    told_assignees = {
        a.assignee_id
        for a, who in zip(fired, audiences, strict=True)
        if a.assignee_id and (who == ASSIGNEE or a.breached_now)
    }
    deputies = directory.deputies_of(told_assignees) if told_assignees else {}

    result: list[list[int]] = []
    unheard: dict[tuple[str, int | None], int] = defaultdict(int)
    for a, who in zip(fired, audiences, strict=True):
        recipients: list[int] = []
        if who != ASSIGNEE:
            recipients += holders.get((who, a.org_unit_id), ())
            if not recipients:
                unheard[(who, a.org_unit_id)] += 1
        if a.assignee_id and (who == ASSIGNEE or a.breached_now):
            # The assignee hears of the warning and of the breach itself, whoever else does.
            recipients.append(a.assignee_id)
            recipients += deputies.get(a.assignee_id, ())
        recipients += a.extra_recipient_ids
        result.append(list(dict.fromkeys(recipients)) if len(recipients) > 1 else recipients)
    for (who, unit_id), count in unheard.items():
        logger.warning("%d escalations: nobody holds %s for org unit %s", count, who, unit_id)
    return result


def _notify_and_log(
    fired: list[FiredAction], policies: dict[int, _Policy], now: datetime, directory: _Directory
) -> int:
    from service_ops.notifications.services import NotificationSpec, notify_many

    recipients = _recipients(fired, policies, directory)
    # Stored as msgids and parameters (rendered in each reader's language) beside the zh-hans
    # text; one subject per fired action and one body per due time, shared by its recipients.
    warning = gettext_noop("即将到期：%(label)s")
    breach = gettext_noop("已超期：%(label)s")
    escalated = gettext_noop("超期升级（第 %(n)d 级）：%(label)s")
    due_text = gettext_noop("到期时间：%(due)s")
    escalate = DeadlineLog.Kind.ESCALATE.value
    bodies: dict[datetime, Deferred] = {}
    specs = []
    log_rows = []
    subjects = []
    with translation.override(settings.LANGUAGE_CODE):
        for a in fired:
            if a.level == timing.WARNING:
                subject = Deferred(warning, {"label": a.label})
            elif a.level == timing.BREACH:
                subject = Deferred(breach, {"label": a.label})
            else:
                subject = Deferred(escalated, {"n": a.level - timing.BREACH, "label": a.label})
            subjects.append(subject)
            kind = LOG_KINDS.get(a.level, escalate)
            log_rows.append((a.deadline_id, kind, a.due_at, str(subject)[:255], subject.to_json()))
    for a, told, subject in zip(fired, recipients, subjects, strict=True):
        body = bodies.get(a.due_at)
        if body is None:
            local = a.due_at.astimezone(clock.ZONE).strftime("%Y-%m-%d %H:%M")
            body = bodies[a.due_at] = Deferred(due_text, {"due": local})
        url = f"/deadlines/{a.deadline_id}/"
        # Within the recipient's working hours; a supervisor may take escalations as a daily
        # digest instead. The warning and the breach ask the person who holds the work to act
        # (待办, done when the work moves on); escalations inform the chain above (知会).
        escalation = a.level > timing.BREACH
        for recipient in told:
            specs.append(
                NotificationSpec(
                    recipient_id=recipient,
                    subject=subject,
                    body=body,
                    url=url,
                    category="deadline",
                    escalation=escalation,
                    source_type_id=a.owner_type_id,
                    source_id=a.owner_id,
                    needs_action=not escalation,
                )
            )
    insert_log(log_rows, now)
    reach = directory.reach_of({s.recipient_id for s in specs}) if specs else {}
    return notify_many(specs, now=now, reach=reach)
