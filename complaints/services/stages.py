"""The stage timers of a complaint (issue 18 item 3): which policy, when each starts, pauses,
resumes and stops, and what a fired escalation level records on the complaint."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_noop

from network.selectors import role_holders
from service_ops.deadlines.models import BallHolder, Deadline, DeadlineStatus
from service_ops.deadlines.services import (
    deadline_cancel,
    deadline_close,
    deadline_pause,
    deadline_resume,
    deadline_start,
    open_deadlines_of,
)
from service_ops.i18n import deferred
from service_ops.plugins import default_policy
from service_ops.workcalendar import clock

from ..choices import Stage
from ..plugin import STAGE_KIND, policy_code

LABELS = {
    Stage.ACKNOWLEDGE: gettext_noop("受理确认 %(number)s"),
    Stage.JUDGE: gettext_noop("判断投诉 %(number)s"),
    Stage.SOLUTION: gettext_noop("提出处理方案 %(number)s"),
    Stage.APPROVAL: gettext_noop("审批处理方案 %(number)s"),
    Stage.IMPLEMENTATION: gettext_noop("实施处理方案 %(number)s"),
    Stage.CALLBACK: gettext_noop("回访 %(number)s"),
}
# The escalation level recorded on the complaint: the engine's level minus the breach (level 3
# reaches the chain's second entry, the complaint supervisor; 4 the head of CS; 5 senior).
ESCALATION_LABELS = {
    1: gettext_noop("已升级至客诉主管"),
    2: gettext_noop("已升级至客服部部长"),
    3: gettext_noop("已升级至公司高层"),
}


def stage_of(deadline: Deadline) -> str:
    code = deadline.policy_snapshot.get("code") or ""
    return code.removeprefix("complaint-").removesuffix("-major")


def _codes(stage: str) -> list[str]:
    return [policy_code(stage, "ordinary"), policy_code(stage, "major")]


def open_stage(complaint, stage: str) -> Deadline | None:
    return (
        open_deadlines_of(complaint, kind=STAGE_KIND)
        .filter(policy__code__in=_codes(stage))
        .order_by("-pk")
        .first()
    )


def same_day_hours(at: datetime) -> Decimal:
    """Hours from `at` to the cut-off of its working day (the next working day's when `at` is
    past the cut-off or on a day off): 受理确认当天."""
    day = clock.local_date(at)
    due = clock.cutoff(day)
    if not clock.is_working_day(day) or due <= at:
        due = clock.cutoff(clock.nth_working_day_after(day, 1))
    seconds = math.ceil((due - at).total_seconds())  # whole seconds: due on the cut-off itself
    return (Decimal(seconds) / 3600).quantize(Decimal("0.000001"))


def hours_until_end_of(day, at: datetime) -> Decimal:
    end = clock.at_local(day + timedelta(days=1), time(0))
    seconds = max((end - at).total_seconds(), 3600)  # a date already past: one hour to act
    return (Decimal(seconds) / 3600).quantize(Decimal("0.000001"))


def start_stage(complaint, stage: str, *, at=None, assignee="handler", limit=None, actor=None):
    at = at or timezone.now()
    if assignee == "handler":
        assignee = complaint.handler
    return deadline_start(
        policy=default_policy(policy_code(stage, complaint.severity)),
        owner=complaint,
        org_unit=complaint.org_unit,
        assignee=assignee,
        started_at=at,
        limit=limit,
        actor=actor,
        label=deferred(LABELS[stage], number=complaint.number),
    )


def close_stage(complaint, stage: str, *, actor=None, at=None) -> None:
    deadline = open_stage(complaint, stage)
    if deadline is not None:
        deadline_close(deadline=deadline, actor=actor, at=at)


def pause_solution(complaint, *, actor=None, at=None) -> None:
    """While the solution is with the approvers, being carried out or with the customer, the
    72-hour clock stops; a returned or rejected solution resumes it where it stopped."""
    deadline = open_stage(complaint, Stage.SOLUTION)
    if deadline is not None and deadline.status != DeadlineStatus.PAUSED:
        deadline_pause(
            deadline=deadline,
            reason=deferred(gettext_noop("方案已提出（第 %(round)d 轮）"), round=complaint.round),
            ball_holder=BallHolder.FACTORY,
            actor=actor,
            at=at,
        )


def resume_solution(complaint, *, actor=None, at=None) -> None:
    deadline = open_stage(complaint, Stage.SOLUTION)
    if deadline is not None and deadline.status == DeadlineStatus.PAUSED:
        deadline_resume(deadline=deadline, actor=actor, at=at)


def end_all(complaint, *, actor=None, at=None, cancel=False) -> None:
    for pk in open_deadlines_of(complaint, kind=STAGE_KIND).values_list("pk", flat=True):
        if cancel:
            deadline_cancel(deadline=pk, actor=actor, at=at)
        else:
            deadline_close(deadline=pk, actor=actor, at=at)


def switch_severity(complaint, *, actor=None) -> None:
    """The handler confirmed another severity than the timers were started with: each open timer
    is started again under the other chain, from the same start, so its due time stays."""
    for deadline in list(open_deadlines_of(complaint, kind=STAGE_KIND).select_related("policy")):
        wanted = policy_code(stage_of(deadline), complaint.severity)
        if deadline.policy.code == wanted:
            continue
        limit = Decimal(deadline.policy_snapshot["limit"])
        deadline_cancel(deadline=deadline, actor=actor)
        restarted = deadline_start(
            policy=default_policy(wanted),
            owner=complaint,
            org_unit=deadline.org_unit,
            assignee=deadline.assignee,
            started_at=deadline.started_at,
            limit=limit,
            actor=actor,
            label=deferred(LABELS[stage_of(deadline)], number=complaint.number),
        )
        if deadline.status == DeadlineStatus.PAUSED:
            deadline_pause(
                deadline=restarted,
                reason=deadline.pause_reason,
                ball_holder=deadline.ball_holder,
                actor=actor,
                at=deadline.paused_at,
            )


def first_holder(role: str, unit):
    holders = role_holders(role, unit)
    return holders[0] if holders else None


class StageHandler:
    """Records on each complaint the highest escalation its stages reached (shown on the desk,
    the complaint page and in the complainant's status answer). Set-based: one UPDATE per level."""

    def on_fired(self, actions) -> None:
        from ..models import Complaint

        by_level: dict[int, set[int]] = {}
        for action in actions:
            escalation = action.level - 2
            if escalation >= 1:
                by_level.setdefault(escalation, set()).add(action.owner_id)
        for escalation, ids in by_level.items():
            Complaint.objects.filter(pk__in=ids, escalation_level__lt=escalation).update(
                escalation_level=escalation
            )


STAGE_HANDLER = StageHandler()
