"""Starting, pausing, resuming, extending and closing timers. Each call locks the timer row."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import timing
from .models import (
    OPEN_STATUSES,
    BallHolder,
    Deadline,
    DeadlineLog,
    DeadlinePause,
    DeadlinePolicy,
    DeadlineStatus,
)


def _policy(policy: DeadlinePolicy | str) -> DeadlinePolicy:
    return policy if isinstance(policy, DeadlinePolicy) else DeadlinePolicy.objects.get(code=policy)


def _schedule(deadline: Deadline) -> None:
    """Recompute due, warning and next action from the snapshot, start, extension and credit."""
    snap = deadline.policy_snapshot
    due = timing.due_at(snap, deadline.started_at, deadline.extension, deadline.paused_credit)
    total = Decimal(snap["limit"]) + deadline.extension + deadline.paused_credit
    deadline.due_at = due
    deadline.warn_at = timing.warn_at(snap, deadline.started_at, due, total)
    if deadline.status in (DeadlineStatus.RUNNING, DeadlineStatus.BREACHED):
        deadline.next_action_at = timing.next_action_at(
            snap, deadline.level, deadline.warn_at, deadline.due_at
        )
    else:
        deadline.next_action_at = None


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
    label: str = "",
    actor=None,
) -> Deadline:
    policy = _policy(policy)
    deadline = Deadline(
        policy=policy,
        policy_snapshot=policy.snapshot(),
        kind=policy.kind,
        label=label[:200],
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
    reason: str,
    ball_holder: str = BallHolder.CUSTOMER,
    actor=None,
    at: datetime | None = None,
) -> Deadline:
    deadline = _locked(deadline)
    if deadline.status not in (DeadlineStatus.RUNNING, DeadlineStatus.BREACHED):
        raise ValidationError(_("只有计时中的时限可以暂停"))
    at = at or timezone.now()
    deadline.status = DeadlineStatus.PAUSED
    deadline.paused_at = at
    deadline.pause_reason = reason[:200]
    deadline.ball_holder = ball_holder
    deadline.next_action_at = None
    deadline.save()
    DeadlinePause.objects.create(
        deadline=deadline, paused_at=at, reason=reason[:200], ball_holder=ball_holder, actor=actor
    )
    DeadlineLog.objects.create(
        deadline=deadline, kind=DeadlineLog.Kind.PAUSE, at=at, detail=reason[:255], actor=actor
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
        detail=_("补回 %(c)s") % {"c": credit},
        actor=actor,
    )
    return deadline


@transaction.atomic
def deadline_extend(*, deadline: Deadline | int, amount: Decimal, reason: str, actor=None):
    """More time for a special case, never beyond the policy's max_total."""
    deadline = _locked(deadline)
    if not deadline.is_open:
        raise ValidationError(_("时限已结束，不能延期"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写延期原因")})
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("延期必须大于 0")})
    snap = deadline.policy_snapshot
    new_total = Decimal(snap["limit"]) + deadline.extension + amount
    if snap.get("max_total") is not None and new_total > Decimal(snap["max_total"]):
        raise ValidationError(
            {"amount": _("总时限不能超过 %(max)s") % {"max": Decimal(snap["max_total"])}}
        )
    before = deadline.due_at
    deadline.extension += amount
    deadline.extension_reason = reason[:200]
    if deadline.status == DeadlineStatus.BREACHED:
        # More time after a breach reopens the clock: the new due time governs from here.
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
        actor=actor,
    )
    return deadline


@transaction.atomic
def deadline_close(*, deadline: Deadline | int, actor=None, at: datetime | None = None):
    """The owner finished: met if before the due time, late otherwise."""
    deadline = _locked(deadline)
    if not deadline.is_open:
        return deadline
    at = at or timezone.now()
    if deadline.status == DeadlineStatus.PAUSED:
        deadline.paused_seconds += max(0, int((at - deadline.paused_at).total_seconds()))
        DeadlinePause.objects.filter(deadline=deadline, resumed_at__isnull=True).update(
            resumed_at=at
        )
    late = deadline.breached_at is not None or at > deadline.due_at
    deadline.status = DeadlineStatus.LATE if late else DeadlineStatus.MET
    deadline.closed_at = at
    deadline.next_action_at = None
    deadline.paused_at = None
    deadline.save()
    DeadlineLog.objects.create(deadline=deadline, kind=DeadlineLog.Kind.CLOSE, at=at, actor=actor)
    return deadline


@transaction.atomic
def deadline_cancel(*, deadline: Deadline | int, reason: str = "", actor=None):
    deadline = _locked(deadline)
    if not deadline.is_open:
        return deadline
    deadline.status = DeadlineStatus.CANCELLED
    deadline.closed_at = timezone.now()
    deadline.next_action_at = None
    deadline.save()
    DeadlineLog.objects.create(
        deadline=deadline, kind=DeadlineLog.Kind.CANCEL, detail=reason[:255], actor=actor
    )
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


def deadline_recompute_open(*, reason: str = "", batch_size: int = 2000) -> int:
    """After a calendar edit: recompute due times of running and paused timers (a breached timer
    stays breached). Logs each moved timer. Returns how many moved."""
    moved = 0
    qs = (
        Deadline.objects.filter(status__in=[DeadlineStatus.RUNNING, DeadlineStatus.PAUSED])
        .select_for_update()
        .order_by("pk")
    )
    last_pk = 0
    while True:
        rows = list(qs.filter(pk__gt=last_pk)[:batch_size])
        if not rows:
            return moved
        last_pk = rows[-1].pk
        changed, logs = [], []
        for d in rows:
            before = (d.due_at, d.warn_at, d.next_action_at)
            _schedule(d)
            if (d.due_at, d.warn_at, d.next_action_at) != before:
                changed.append(d)
                if d.due_at != before[0]:
                    logs.append(
                        DeadlineLog(
                            deadline=d,
                            kind=DeadlineLog.Kind.RECOMPUTE,
                            due_before=before[0],
                            due_after=d.due_at,
                            detail=reason[:255],
                        )
                    )
        Deadline.objects.bulk_update(changed, ["due_at", "warn_at", "next_action_at"])
        DeadlineLog.objects.bulk_create(logs)
        moved += len(logs)
