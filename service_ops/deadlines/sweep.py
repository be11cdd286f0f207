"""The deadline sweep: set-based, a constant number of queries per batch (DESIGN §3.1).

1. claim running/breached timers with next_action_at <= now (FOR UPDATE SKIP LOCKED on PostgreSQL;
   SQLite drops skip_locked and serialises writers, the unique action rows still hold);
2. INSERT the (timer, cycle, level) action rows ... ON CONFLICT DO NOTHING RETURNING: only rows that
   come back are new, so a level fires once even when sweeps overlap;
3. advance every claimed timer with one UPDATE ... FROM (VALUES ...) (also one whose action row
   already existed: its state is brought in line, so it never stays due and clogs the batches);
4. let owners' handlers act on their lists, resolve recipients once per batch (org, role and
   deputy maps), write notification rows (the outbox) in the same transaction, and nudge the sender
   once on commit.

`now` is a Python argument: time-machine does not move the database's now(). The calendar is pinned
for the batch: one version check, however many timers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from service_ops.workcalendar import clock

from . import timing
from .models import ASSIGNEE, Deadline, DeadlineAction, DeadlineStatus
from .registry import FiredAction, handlers_for

logger = logging.getLogger(__name__)

CLAIM_FIELDS = (
    "id",
    "kind",
    "status",
    "level",
    "cycle",
    "policy_snapshot",
    "warn_at",
    "due_at",
    "breached_at",
    "owner_type_id",
    "owner_id",
    "org_unit_id",
    "assignee_id",
    "label",
)


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
    for _batch in range(max_batches):
        with transaction.atomic():
            claimed, fired, sent = _sweep_batch(now, batch_size)
        result.batches += 1
        result.claimed += claimed
        result.fired += fired
        result.notifications += sent
        if claimed < batch_size:
            break
    return result


def _claim(now: datetime, batch_size: int) -> list[dict]:
    qs = (
        Deadline.objects.filter(
            status__in=[DeadlineStatus.RUNNING, DeadlineStatus.BREACHED], next_action_at__lte=now
        )
        .order_by("next_action_at")
        .select_for_update(skip_locked=True, of=("self",))
        .values(*CLAIM_FIELDS)
    )
    return list(qs[:batch_size])


def _sweep_batch(now: datetime, batch_size: int) -> tuple[int, int, int]:
    rows = _claim(now, batch_size)
    if not rows:
        return 0, 0, 0
    with clock.pinned():
        return _fire(rows, now)


def _fire(rows: list[dict], now: datetime) -> tuple[int, int, int]:
    plans = []  # (row, reached level or None, level, status, breached_at, next_action_at)
    for row in rows:
        snap = row["policy_snapshot"]
        reached = timing.level_reached(snap, row["level"], row["warn_at"], row["due_at"], now)
        level = reached if reached is not None else row["level"]
        status = row["status"]
        breached_at = row["breached_at"]
        if level >= timing.BREACH:
            status = DeadlineStatus.BREACHED
            breached_at = breached_at or row["due_at"]
        nxt = timing.next_action_at(snap, level, row["warn_at"], row["due_at"])
        plans.append((row, reached, level, status, breached_at, nxt))

    new_actions = _insert_actions(
        [(p[0]["id"], p[0]["cycle"], p[1]) for p in plans if p[1] is not None], now
    )
    _advance([(p[0]["id"], p[2], p[3], p[4], p[5]) for p in plans])

    fired = [
        FiredAction(
            deadline_id=row["id"],
            kind=row["kind"],
            owner_type_id=row["owner_type_id"],
            owner_id=row["owner_id"],
            org_unit_id=row["org_unit_id"],
            assignee_id=row["assignee_id"],
            level=reached,
            previous_level=row["level"],
            label=row["label"],
            due_at=row["due_at"],
            breached_now=reached >= timing.BREACH > row["level"],
            cycle=row["cycle"],
        )
        for row, reached, *_rest in plans
        if reached is not None and (row["id"], reached) in new_actions
    ]
    if not fired:
        return len(rows), 0, 0
    _run_handlers(fired)
    snapshots = {row["id"]: row["policy_snapshot"] for row in rows}
    sent = _notify(fired, snapshots, now)
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


def _insert_actions(actions: list[tuple[int, int, int]], now: datetime) -> set[tuple[int, int]]:
    """Insert the action rows; return the (deadline_id, level) pairs that are new."""
    if not actions:
        return set()
    table = connection.ops.quote_name(DeadlineAction._meta.db_table)
    fired_at = connection.ops.adapt_datetimefield_value(now)
    placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(actions))
    params: list = []
    for deadline_id, cycle, level in actions:
        params += [deadline_id, cycle, level, fired_at]
    sql = (
        f"INSERT INTO {table} (deadline_id, cycle, level, fired_at) VALUES {placeholders} "  # noqa: S608
        "ON CONFLICT DO NOTHING RETURNING deadline_id, level"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(r[0], r[1]) for r in cursor.fetchall()}


def _advance(updates: list[tuple]) -> None:
    """One UPDATE ... FROM (VALUES ...) for the whole batch."""
    table = connection.ops.quote_name(Deadline._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "postgresql":
        row = "(%s::bigint, %s::smallint, %s::varchar, %s::timestamptz, %s::timestamptz)"
    else:
        row = "(%s, %s, %s, %s, %s)"
    params: list = []
    for deadline_id, level, status, breached_at, nxt in updates:
        params += [deadline_id, level, str(status), adapt(breached_at), adapt(nxt)]
    sql = (
        f"WITH v(id, level, status, breached_at, next_action_at) AS "  # noqa: S608
        f"(VALUES {', '.join([row] * len(updates))}) "
        f"UPDATE {table} SET level = v.level, status = v.status, "
        f"breached_at = COALESCE({table}.breached_at, v.breached_at), "
        f"next_action_at = v.next_action_at FROM v WHERE {table}.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _recipients(fired: list[FiredAction], snapshots: dict[int, dict], now: datetime) -> dict:
    """{deadline_id: [user ids]} for the fired actions, with a constant number of queries:
    the warning and the breach go to the assignee (and the deputies of an assignee who delegated
    all roles); each escalation goes to the holders of the chain's role for the timer's org unit
    (found there or at the nearest ancestor that has one) and their active deputies."""
    from network.models import Delegation, OrgUnit
    from network.selectors import role_holders_map

    on = clock.local_date(now)
    audiences = {
        a.deadline_id: timing.audience(
            snapshots[a.deadline_id], a.level, has_assignee=a.assignee_id is not None
        )
        for a in fired
    }
    unit_ids = {
        a.org_unit_id for a in fired if a.org_unit_id and audiences[a.deadline_id] != ASSIGNEE
    }
    units = OrgUnit.objects.in_bulk(unit_ids) if unit_ids else {}
    pairs = {
        (audiences[a.deadline_id], units[a.org_unit_id])
        for a in fired
        if audiences[a.deadline_id] != ASSIGNEE and a.org_unit_id in units
    }
    holders = role_holders_map(pairs, on=on)
    told_assignees = {
        a.assignee_id
        for a in fired
        if a.assignee_id and (audiences[a.deadline_id] == ASSIGNEE or a.breached_now)
    }
    deputies: dict[int, list[int]] = defaultdict(list)
    if told_assignees:
        for principal, deputy in Delegation.objects.filter(
            principal_id__in=told_assignees, role="", starts_on__lte=on, ends_on__gte=on
        ).values_list("principal_id", "deputy_id"):
            deputies[principal].append(deputy)

    result: dict[int, list[int]] = {}
    unheard: dict[tuple[str, int | None], int] = defaultdict(int)
    for a in fired:
        who = audiences[a.deadline_id]
        recipients: list[int] = []
        if who != ASSIGNEE:
            recipients += [u.pk for u in holders.get((who, a.org_unit_id), [])]
            if not recipients:
                unheard[(who, a.org_unit_id)] += 1
        if a.assignee_id and (who == ASSIGNEE or a.breached_now):
            # The assignee hears of the warning and of the breach itself, whoever else does.
            recipients += [a.assignee_id, *deputies.get(a.assignee_id, [])]
        recipients += a.extra_recipient_ids
        result[a.deadline_id] = list(dict.fromkeys(recipients))
    for (who, unit_id), count in unheard.items():
        logger.warning("%d escalations: nobody holds %s for org unit %s", count, who, unit_id)
    return result


def _notify(fired: list[FiredAction], snapshots: dict[int, dict], now: datetime) -> int:
    from service_ops.notifications.services import NotificationSpec, notify_many

    recipients = _recipients(fired, snapshots, now)
    specs = []
    with translation.override(settings.LANGUAGE_CODE):
        warning = _("即将到期：%(label)s")
        breach = _("已超期：%(label)s")
        escalated = _("超期升级（第 %(n)d 级）：%(label)s")
        due_text = _("到期时间：%(due)s")
    for a in fired:
        if a.level == timing.WARNING:
            subject = warning % {"label": a.label}
        elif a.level == timing.BREACH:
            subject = breach % {"label": a.label}
        else:
            subject = escalated % {"n": a.level - timing.BREACH, "label": a.label}
        body = due_text % {"due": a.due_at.astimezone(clock.ZONE).strftime("%Y-%m-%d %H:%M")}
        for recipient in recipients[a.deadline_id]:
            specs.append(
                NotificationSpec(
                    recipient_id=recipient,
                    subject=subject,
                    body=body,
                    url=f"/deadlines/{a.deadline_id}/",
                    category="deadline",
                    # Within the recipient's working hours; a supervisor may take escalations
                    # as a daily digest instead.
                    escalation=a.level > timing.BREACH,
                    source_type_id=a.owner_type_id,
                    source_id=a.owner_id,
                    # The warning and the breach ask the person who holds the work to act (待办,
                    # done when the work moves on); escalations inform the chain above (知会).
                    needs_action=a.level <= timing.BREACH,
                )
            )
    return notify_many(specs, now=now)
