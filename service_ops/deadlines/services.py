"""Starting, pausing, resuming, extending and closing timers. Each call locks the timer row."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from service_ops.i18n import Deferred, deferred, split
from service_ops.workcalendar import clock

from . import timing
from .models import (
    OPEN_STATUSES,
    BallHolder,
    Deadline,
    DeadlineLog,
    DeadlinePause,
    DeadlinePolicy,
    DeadlineStatus,
    LimitUnit,
)


def _policy(policy: DeadlinePolicy | str) -> DeadlinePolicy:
    return policy if isinstance(policy, DeadlinePolicy) else DeadlinePolicy.objects.get(code=policy)


def _schedule(deadline: Deadline) -> None:
    """Recompute due, warning and next action from the snapshot, start, extension and credit."""
    snap = deadline.policy_snapshot
    extension, credit = Decimal(deadline.extension), Decimal(deadline.paused_credit)
    with clock.pinned():
        due = timing.due_at(snap, deadline.started_at, extension, credit)
        total = Decimal(snap["limit"]) + extension + credit
        deadline.due_at = due
        deadline.warn_at = timing.warn_at(snap, deadline.started_at, due, total)
        if deadline.status in (DeadlineStatus.RUNNING, DeadlineStatus.BREACHED):
            deadline.next_action_at = timing.next_action_at(
                snap, deadline.level, deadline.warn_at, deadline.due_at
            )
        else:
            deadline.next_action_at = None


def _amount_label(unit: str, amount: Decimal) -> Deferred:
    """A time amount as text, rendered in the reader's language (str() for the active one)."""
    if unit == LimitUnit.WORKING_DAYS:
        return deferred(gettext_noop("%(n)d 个工作日"), n=int(amount))
    seconds = timing.seconds_of(amount)
    hours, rest = divmod(seconds, 3600)
    return (
        deferred(gettext_noop("%(h)d 小时 %(m)d 分"), h=hours, m=rest // 60)
        if rest
        else deferred(gettext_noop("%(h)d 小时"), h=hours)
    )


def _texts_with(deadline: Deadline, key: str, data: dict | None) -> dict | None:
    """The timer's deferred texts with `key` set to `data` (or dropped when None)."""
    texts = {k: v for k, v in (deadline.texts or {}).items() if k != key}
    if data is not None:
        texts[key] = data
    return texts or None


def _locked(deadline: Deadline | int) -> Deadline:
    pk = deadline.pk if isinstance(deadline, Deadline) else deadline
    return Deadline.objects.select_for_update().get(pk=pk)


@transaction.atomic
def deadline_start(
    *,
    policy: DeadlinePolicy | str,
    owner,
    org_unit=None,
    assignee=None,
    started_at: datetime | None = None,
    label: str | Deferred = "",
    actor=None,
    limit: Decimal | None = None,
) -> Deadline:
    """Start a timer on `owner` under `policy`. `label` says what it waits for: a Deferred when the
    system writes it (shown in the reader's language), plain text when a person typed it. `limit`
    replaces the policy's amount for this timer only (a promised date, e.g. a waiting limit agreed
    at a review: its own timer with the policy's escalation, due when promised)."""
    policy = _policy(policy)
    label, label_data = split(label)
    if started_at is not None and timezone.is_naive(started_at):
        raise ValueError("started_at must be an aware datetime")
    snapshot = policy.snapshot()
    if limit is not None:
        if Decimal(limit) <= 0:
            raise ValueError("limit must be positive")
        snapshot["limit"] = str(limit)
    deadline = Deadline(
        policy=policy,
        policy_snapshot=snapshot,
        kind=policy.kind,
        label=label[:200],
        texts={"label": label_data} if label_data else None,
        owner_type=ContentType.objects.get_for_model(owner),
        owner_id=owner.pk,
        org_unit=org_unit,
        assignee=assignee,
        started_at=started_at or timezone.now(),
    )
    _schedule(deadline)
    deadline.save()
    DeadlineLog.objects.create(
        deadline=deadline, kind=DeadlineLog.Kind.START, due_after=deadline.due_at, actor=actor
    )
    return deadline


@transaction.atomic
def deadline_pause(
    *,
    deadline: Deadline | int,
    reason: str | Deferred,
    ball_holder: str = BallHolder.CUSTOMER,
    actor=None,
    at: datetime | None = None,
) -> Deadline:
    deadline = _locked(deadline)
    if deadline.status not in (DeadlineStatus.RUNNING, DeadlineStatus.BREACHED):
        raise ValidationError(_("只有计时中的时限可以暂停"))
    at = at or timezone.now()
    reason, reason_data = split(reason)
    deadline.status = DeadlineStatus.PAUSED
    deadline.paused_at = at
    deadline.pause_reason = reason[:200]
    deadline.texts = _texts_with(deadline, "pause_reason", reason_data)
    deadline.ball_holder = ball_holder
    deadline.next_action_at = None
    deadline.save()
    DeadlinePause.objects.create(
        deadline=deadline,
        paused_at=at,
        reason=reason[:200],
        reason_i18n=reason_data,
        ball_holder=ball_holder,
        actor=actor,
    )
    DeadlineLog.objects.create(
        deadline=deadline,
        kind=DeadlineLog.Kind.PAUSE,
        at=at,
        detail=reason[:255],
        detail_i18n=reason_data,
        actor=actor,
    )
    return deadline


@transaction.atomic
def deadline_resume(*, deadline: Deadline | int, actor=None, at: datetime | None = None):
    """Resume a paused timer; the due time moves by the working time the pause covered."""
    deadline = _locked(deadline)
    if deadline.status != DeadlineStatus.PAUSED:
        raise ValidationError(_("只有暂停中的时限可以恢复"))
    at = at or timezone.now()
    credit = timing.credit_for_pause(deadline.unit, deadline.paused_at, at)
    before = deadline.due_at
    deadline.paused_credit += credit
    deadline.paused_seconds += max(0, int((at - deadline.paused_at).total_seconds()))
    deadline.status = DeadlineStatus.BREACHED if deadline.breached_at else DeadlineStatus.RUNNING
    deadline.paused_at = None
    deadline.pause_reason = ""
    deadline.texts = _texts_with(deadline, "pause_reason", None)
    deadline.ball_holder = ""
    _schedule(deadline)
    deadline.save()
    DeadlinePause.objects.filter(deadline=deadline, resumed_at__isnull=True).update(
        resumed_at=at, credited=credit
    )
    DeadlineLog.objects.create(
        deadline=deadline,
        kind=DeadlineLog.Kind.RESUME,
        at=at,
        due_before=before,
        due_after=deadline.due_at,
        **_detail(deferred(gettext_noop("补回 %(c)s"), c=_amount_label(deadline.unit, credit))),
        actor=actor,
    )
    return deadline


def _detail(value: str | Deferred) -> dict:
    """A DeadlineLog's detail and detail_i18n from plain or deferred text."""
    text, data = split(value)
    return {"detail": text[:255], "detail_i18n": data}


@transaction.atomic
def deadline_extend(
    *, deadline: Deadline | int, amount: Decimal, reason: str | Deferred, actor=None
):
    """More time for a special case, never beyond the policy's max_total."""
    deadline = _locked(deadline)
    if not deadline.is_open:
        raise ValidationError(_("时限已结束，不能延期"))
    reason, reason_data = split(reason)
    if not reason.strip():
        raise ValidationError({"reason": _("请填写延期原因")})
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("延期必须大于 0")})
    snap = deadline.policy_snapshot
    if snap["unit"] == LimitUnit.WORKING_DAYS and amount != amount.to_integral_value():
        raise ValidationError({"amount": _("工作日时限只能延长整数个工作日")})
    new_total = Decimal(snap["limit"]) + deadline.extension + amount
    if snap.get("max_total") is not None and new_total > Decimal(snap["max_total"]):
        limit = _amount_label(snap["unit"], Decimal(snap["max_total"]))
        raise ValidationError({"amount": _("总时限不能超过 %(max)s") % {"max": limit}})
    before = deadline.due_at
    deadline.extension += amount
    deadline.extension_reason = reason[:200]
    deadline.texts = _texts_with(deadline, "extension_reason", reason_data)
    if deadline.breached_at is not None:
        # More time after a breach reopens the clock (also while paused): the new due time governs
        # from here, and its warning and breach fire again, under a new cycle.
        if deadline.status == DeadlineStatus.BREACHED:
            deadline.status = DeadlineStatus.RUNNING
        deadline.breached_at = None
        deadline.level = 0
        deadline.cycle += 1
    _schedule(deadline)
    deadline.save()
    DeadlineLog.objects.create(
        deadline=deadline,
        kind=DeadlineLog.Kind.EXTEND,
        due_before=before,
        due_after=deadline.due_at,
        detail=reason[:255],
        detail_i18n=reason_data,
        actor=actor,
    )
    return deadline


def _warnings_done(deadline: Deadline, at: datetime) -> None:
    """A stopped timer's warnings and breach notes no longer ask anyone to act."""
    from service_ops.notifications.services import tasks_done

    tasks_done(deadline.owner_id, source_type_id=deadline.owner_type_id, category="deadline", at=at)


@transaction.atomic
def deadline_close(*, deadline: Deadline | int, actor=None, at: datetime | None = None):
    """The owner finished: met if before the due time, late otherwise."""
    deadline = _locked(deadline)
    if not deadline.is_open:
        return deadline
    at = at or timezone.now()
    if deadline.status == DeadlineStatus.PAUSED:
        # The pause ends with the timer and credits its time, as a resume would.
        credit = timing.credit_for_pause(deadline.unit, deadline.paused_at, at)
        deadline.paused_credit += credit
        deadline.paused_seconds += max(0, int((at - deadline.paused_at).total_seconds()))
        DeadlinePause.objects.filter(deadline=deadline, resumed_at__isnull=True).update(
            resumed_at=at, credited=credit
        )
        _schedule(deadline)
    late = deadline.breached_at is not None or at > deadline.due_at
    deadline.status = DeadlineStatus.LATE if late else DeadlineStatus.MET
    deadline.closed_at = at
    deadline.next_action_at = None
    deadline.paused_at = None
    deadline.save()
    DeadlineLog.objects.create(deadline=deadline, kind=DeadlineLog.Kind.CLOSE, at=at, actor=actor)
    _warnings_done(deadline, at)
    return deadline


@transaction.atomic
def deadline_cancel(
    *, deadline: Deadline | int, reason: str | Deferred = "", actor=None, at: datetime | None = None
):
    deadline = _locked(deadline)
    if not deadline.is_open:
        return deadline
    at = at or timezone.now()
    if deadline.status == DeadlineStatus.PAUSED:
        deadline.paused_seconds += max(0, int((at - deadline.paused_at).total_seconds()))
        DeadlinePause.objects.filter(deadline=deadline, resumed_at__isnull=True).update(
            resumed_at=at
        )
    deadline.status = DeadlineStatus.CANCELLED
    deadline.closed_at = at
    deadline.next_action_at = None
    deadline.paused_at = None
    deadline.save()
    DeadlineLog.objects.create(
        deadline=deadline, kind=DeadlineLog.Kind.CANCEL, at=at, **_detail(reason), actor=actor
    )
    _warnings_done(deadline, at)
    return deadline


@transaction.atomic
def deadline_reassign(*, deadline: Deadline | int, assignee, actor=None):
    deadline = _locked(deadline)
    deadline.assignee = assignee
    deadline.save(update_fields=["assignee"])
    DeadlineLog.objects.create(
        deadline=deadline, kind=DeadlineLog.Kind.REASSIGN, detail=str(assignee), actor=actor
    )
    return deadline


def open_deadlines_of(owner, *, kind: str | None = None):
    qs = Deadline.objects.filter(
        owner_type=ContentType.objects.get_for_model(owner),
        owner_id=owner.pk,
        status__in=OPEN_STATUSES,
    )
    return qs.filter(kind=kind) if kind else qs


def close_open_deadlines_of(owner, *, kind: str | None = None, actor=None) -> int:
    ids = list(open_deadlines_of(owner, kind=kind).values_list("pk", flat=True))
    for pk in ids:
        deadline_close(deadline=pk, actor=actor)
    return len(ids)


def deadline_recompute_open(
    *,
    reason: str | Deferred = "",
    first_day: date | None = None,
    last_day: date | None = None,
    batch_size: int = 2000,
) -> int:
    """After a calendar edit of the days first_day..last_day (None: any day): recompute the due,
    warning and next action times of running and paused timers whose span can include those days
    (started before the last one ends, due on or after the first). A breached timer stays
    breached: its due time is history (also while it is paused). Each moved timer gets a RECOMPUTE
    log row. Returns how many timers' due time moved. Runs in the caller's transaction."""
    qs = Deadline.objects.filter(
        status__in=[DeadlineStatus.RUNNING, DeadlineStatus.PAUSED], breached_at__isnull=True
    )
    if first_day is not None:
        qs = qs.filter(due_at__gte=clock.at_local(first_day, time(0)))
    if last_day is not None:
        qs = qs.filter(started_at__lt=clock.at_local(last_day + timedelta(days=1), time(0)))
    qs = qs.select_for_update().order_by("pk")
    detail = _detail(reason)
    moved = 0
    last_pk = 0
    with transaction.atomic(), clock.pinned():
        while True:
            rows = list(qs.filter(pk__gt=last_pk)[:batch_size])
            if not rows:
                return moved
            last_pk = rows[-1].pk
            changed, logs = [], []
            for d in rows:
                before = (d.due_at, d.warn_at, d.next_action_at)
                _schedule(d)
                if (d.due_at, d.warn_at, d.next_action_at) == before:
                    continue
                changed.append(d)
                if d.due_at != before[0]:
                    logs.append(
                        DeadlineLog(
                            deadline=d,
                            kind=DeadlineLog.Kind.RECOMPUTE,
                            due_before=before[0],
                            due_after=d.due_at,
                            **detail,
                        )
                    )
            Deadline.objects.bulk_update(
                changed, ["due_at", "warn_at", "next_action_at"], batch_size=500
            )
            DeadlineLog.objects.bulk_create(logs, batch_size=500)
            moved += len(logs)
