"""The set-based floor of the deadline sweep, for `manage.py bench_deadlines` (not product code).

It does what the sweep must do at the least, with the very statements the sweep uses (its claim
query, INSERT ... ON CONFLICT DO NOTHING RETURNING of the action rows, one UPDATE ... FROM (VALUES
...), one INSERT of the log rows, one INSERT of the notification rows) and the least Python around
them: policies parsed, recipients and their channels resolved before the clock starts, no handler,
no per-action objects. It writes the same rows as the sweep, so the benchmark can check that the two
runs left identical databases and report the sweep's speed as a ratio to this floor.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection, transaction

from service_ops.deadlines import sweep, timing
from service_ops.deadlines.models import ASSIGNEE, DeadlineLog, DeadlineStatus
from service_ops.notifications import services as notifications
from service_ops.workcalendar import clock


class FloorPlan:
    """Everything the floor looks up, resolved before it is timed: per policy snapshot text its
    highest level, interval and audiences; the role holders of every (role, org unit) the timers
    may escalate to; the deputies of every assignee; how every person is reached."""

    def __init__(self, now: datetime):
        from network.models import Delegation, OrgUnit
        from network.selectors import role_holders_map
        from service_ops.deadlines.models import Deadline

        on = clock.local_date(now)
        table = connection.ops.quote_name(Deadline._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT policy_snapshot::text FROM {table}"  # noqa: S608
            )
            texts = [r[0] for r in cursor.fetchall()]
        self.policies = {}
        roles = set()
        for text in texts:
            snapshot = json.loads(text)
            top = timing.max_level(snapshot)
            audience = {
                (level, has): timing.audience(snapshot, level, has_assignee=has)
                for level in range(1, top + 1)
                for has in (True, False)
            }
            roles |= set(audience.values()) - {ASSIGNEE}
            interval = int(snapshot.get("escalation_interval") or 1)
            self.policies[text] = (top, interval, audience)
        units = list(OrgUnit.objects.all())
        found = role_holders_map({(role, unit) for role in roles for unit in units}, on=on)
        self.holders = {key: [u.pk for u in users] for key, users in found.items()}
        self.deputies: dict[int, list[int]] = {}
        for principal, deputy in Delegation.objects.filter(
            role="", starts_on__lte=on, ends_on__gte=on
        ).values_list("principal_id", "deputy_id"):
            self.deputies.setdefault(principal, []).append(deputy)
        from django.contrib.auth import get_user_model

        self.reach = notifications.reach_of(get_user_model().objects.values_list("pk", flat=True))


def floor_sweep(*, now: datetime, batch_size: int, plan: FloorPlan) -> tuple[int, int, int, int]:
    """(claimed, fired, notification rows, batches), batch by batch like sweep_deadlines."""
    claimed = fired = written = batches = 0
    while True:
        with transaction.atomic():
            rows = sweep.claim(now, batch_size)
            f, w = _batch(rows, now, plan) if rows else (0, 0)
        batches += 1
        claimed += len(rows)
        fired += f
        written += w
        if len(rows) < batch_size:
            return claimed, fired, written, batches


def _batch(rows: list[tuple], now: datetime, plan: FloorPlan) -> tuple[int, int]:
    breached, add = DeadlineStatus.BREACHED.value, clock.add_working_days
    policies = plan.policies
    updates, actions, reached_rows = [], [], []
    with clock.pinned():
        for row in rows:
            pk, _k, status, level, cycle, warn, due, breached_at, *_r, text = row
            top, interval, _audience = policies[text]
            reached, candidate, nxt = None, level + 1, None
            while candidate <= top:
                if candidate == 1:
                    moment = warn
                elif candidate == 2:
                    moment = due
                else:
                    moment = add(due, (candidate - 2) * interval)
                if moment > now:
                    nxt = moment
                    break
                reached = candidate
                candidate += 1
            if reached is not None:
                level = reached
                actions.append((pk, cycle, reached))
                reached_rows.append((row, reached))
            if level >= 2:
                status, breached_at = breached, breached_at or due
            updates.append((pk, level, status, breached_at, nxt))
        new = sweep.insert_actions(actions, now)
        sweep.advance(updates)
        office = notifications.next_working_moment(now)
        digest_at = notifications.next_digest_moment(now)

    when = notifications.NOW if office <= now else notifications.OFFICE
    in_app, email, sms = notifications.IN_APP, notifications.EMAIL, notifications.SMS
    digest = notifications.DIGEST
    kinds = {1: DeadlineLog.Kind.WARN.value, 2: DeadlineLog.Kind.BREACH.value}
    escalate = DeadlineLog.Kind.ESCALATE.value
    holders, deputies, reach = plan.holders, plan.deputies, plan.reach
    log_rows, notes, bodies = [], [], {}
    fired = 0
    for row, level in reached_rows:
        pk, _k, _s, previous, _c, _w, due, _b, owner_type, owner, unit, assignee, label = row[:13]
        text = row[-1]
        if (pk, level) not in new:
            continue
        fired += 1
        if level == 1:
            subject = f"即将到期：{label}"
        elif level == 2:
            subject = f"已超期：{label}"
        else:
            subject = f"超期升级（第 {level - 2} 级）：{label}"
        # The deferred texts (service_ops.i18n) the product stores beside the zh-hans ones.
        label_data = json.loads(row[13])["label"] if row[13] else label
        if level == 1:
            subject_data = {"m": "即将到期：%(label)s", "p": {"label": label_data}}
        elif level == 2:
            subject_data = {"m": "已超期：%(label)s", "p": {"label": label_data}}
        else:
            subject_data = {
                "m": "超期升级（第 %(n)d 级）：%(label)s",
                "p": {"n": level - 2, "label": label_data},
            }
        log_rows.append(
            (pk, kinds.get(level, escalate), due, subject[:255], json.dumps(subject_data))
        )
        body = bodies.get(due)
        if body is None:
            local = due.astimezone(clock.ZONE).strftime("%Y-%m-%d %H:%M")
            body_data = {"m": "到期时间：%(due)s", "p": {"due": local}}
            body = bodies[due] = ("到期时间：" + local, body_data)
        texts = json.dumps({"s": subject_data, "b": body[1]}, ensure_ascii=False)
        who = policies[text][2][(level, assignee is not None)]
        told = [] if who == ASSIGNEE else list(holders.get((who, unit), ()))
        if assignee and (who == ASSIGNEE or level >= 2 > previous):
            told += [assignee, *deputies.get(assignee, ())]
        escalation = level > 2
        url = f"/deadlines/{pk}/"
        for recipient in dict.fromkeys(told):
            how = reach.get(recipient)
            if how is None:
                continue
            common = (
                recipient,
                "deadline",
                subject[:200],
                body[0],
                url,
                False,
                owner_type,
                owner,
                not escalation,
                "",
                texts,
            )
            notes.append((*common, in_app, False, notifications.NOW))
            if not how.profiled:
                continue
            to_digest = escalation and how.digest
            if how.email:
                if to_digest:
                    notes.append((*common, email, True, digest))
                else:
                    notes.append((*common, email, False, when))
            if how.sms and not to_digest:
                notes.append((*common, sms, False, when))
    sweep.insert_log(log_rows, now)
    notifications._insert_rows(notes, (now, office, digest_at))
    return fired, len(notes)
