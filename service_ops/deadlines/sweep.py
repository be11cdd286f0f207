"""The deadline sweep: set-based, a constant number of queries per batch (DESIGN §3.1).

1. claim running/breached timers with next_action_at <= now (FOR UPDATE SKIP LOCKED on PostgreSQL;
   SQLite drops skip_locked and serialises writers, the unique action rows still hold);
2. INSERT the (timer, cycle, level) action rows ... ON CONFLICT DO NOTHING RETURNING: only rows that
   come back are new, so a level fires once even when sweeps overlap;
3. advance every claimed timer with one UPDATE ... FROM (VALUES ...);
4. resolve recipients once per batch, let owners' handlers act on their lists, write notification
   rows (the outbox) in the same transaction, and nudge the sender on commit.

`now` is a Python argument: time-machine does not move the database's now().
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import timing
from .models import ASSIGNEE, Deadline, DeadlineAction, DeadlineStatus
from .registry import FiredAction, handlers_for

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
    plans = []  # (row, reached_level or None, new_status, breached_at, next_action_at)
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
        )
        for row, reached, *_rest in plans
        if reached is not None and (row["id"], reached) in new_actions
    ]
    if not fired:
        return len(rows), 0, 0
    by_kind: dict[str, list[FiredAction]] = defaultdict(list)
    for action in fired:
        by_kind[action.kind].append(action)
    for kind, actions in by_kind.items():
        for handler in handlers_for(kind):
            handler.on_fired(actions)
    snapshots = {row["id"]: row["policy_snapshot"] for row in rows}
    sent = _notify(fired, snapshots)
    return len(rows), len(fired), sent


def _insert_actions(actions: list[tuple[int, int, int]], now: datetime) -> set[tuple[int, int]]:
    if not actions:
        return set()
    table = DeadlineAction._meta.db_table
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
    table = Deadline._meta.db_table
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


def _notify(fired: list[FiredAction], snapshots: dict[int, dict]) -> int:
    from network.models import OrgUnit
    from network.selectors import role_holders_map
    from service_ops.notifications.services import NotificationSpec, notify_many

    audiences = {a.deadline_id: timing.audience(snapshots[a.deadline_id], a.level) for a in fired}
    units = OrgUnit.objects.in_bulk({a.org_unit_id for a in fired if a.org_unit_id})
    pairs = {
        (audiences[a.deadline_id], units[a.org_unit_id])
        for a in fired
        if audiences[a.deadline_id] != ASSIGNEE and a.org_unit_id in units
    }
    holders = role_holders_map(pairs)
    specs = []
    with translation.override(settings.LANGUAGE_CODE):
        for a in fired:
            who = audiences[a.deadline_id]
            if who == ASSIGNEE:
                recipients = [a.assignee_id] if a.assignee_id else []
            else:
                recipients = [u.pk for u in holders.get((who, a.org_unit_id), [])]
            if a.level >= timing.BREACH and a.assignee_id and a.assignee_id not in recipients:
                recipients.append(a.assignee_id)  # the assignee always hears of a breach
            recipients += [r for r in a.extra_recipient_ids if r not in recipients]
            if a.level == timing.WARNING:
                subject = _("即将到期：%(label)s") % {"label": a.label}
            elif a.level == timing.BREACH:
                subject = _("已超期：%(label)s") % {"label": a.label}
            else:
                subject = _("超期升级（第 %(n)d 级）：%(label)s") % {
                    "n": a.level - timing.BREACH,
                    "label": a.label,
                }
            body = _("到期时间：%(due)s") % {
                "due": timezone.localtime(a.due_at).strftime("%Y-%m-%d %H:%M")
            }
            for recipient in recipients:
                specs.append(
                    NotificationSpec(
                        recipient_id=recipient,
                        subject=subject,
                        body=body,
                        url=f"/deadlines/{a.deadline_id}/",
                        category="deadline",
                        escalation=a.level > timing.BREACH,
                        urgent=a.level > timing.BREACH,
                        source_type_id=a.owner_type_id,
                        source_id=a.owner_id,
                    )
                )
    return notify_many(specs)
