"""Follow-ups (跟进事项) of inbound calls: open → assigned → answered → called back → closed
(or cancelled), each change through run_transition (locked row, permission, log).

Two timers of the deadline engine carry the promises:
- `callcenter.follow_up`: the reply, due at the time the agent gave on the call (a per-timer
  limit in calendar hours from the call, so the due time is exactly the one promised). It is the
  agent's while the right person is still to be found, then the assignee's. Warned an hour
  before, breached at the due time (the assignee is chased), escalated to the head of customer
  service a working day later.
- `callcenter.follow_up_callback`: the agent's call back once the reply is in — 4 working hours
  (the same day for a reply before 14:00 on a working day, the next working morning otherwise),
  chased, then to the 坐席组长 and the head of customer service.
"Waiting until a date" pauses the open timer with its reason and the party that holds the ball,
and a periodic job resumes it on that date: the due time moves by the pause, never a fake date."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from service_ops.deadlines.models import BallHolder, Deadline, DeadlineStatus
from service_ops.deadlines.services import (
    close_open_deadlines_of,
    deadline_cancel,
    deadline_pause,
    deadline_reassign,
    deadline_resume,
    deadline_start,
    open_deadlines_of,
)
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.plugins import default_policy
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import FollowUpState
from ..models import FollowUp, InboundCall
from ..permissions import agent_on_shift, may_wait
from ..plugin import (
    FOLLOW_UP_CALLBACK_KIND,
    FOLLOW_UP_CALLBACK_POLICY,
    FOLLOW_UP_KIND,
    FOLLOW_UP_POLICY,
)
from . import roster

User = get_user_model()

MAX_WAIT = timedelta(days=90)
RESUME_BATCH = 200


def current_timer(follow_up: FollowUp) -> Deadline | None:
    return open_deadlines_of(follow_up).order_by("-id").first()


def _root(follow_up: FollowUp):
    from .calls import root_unit

    return root_unit(follow_up.call.agent)


def _reply_timer(follow_up: FollowUp, *, holder, due_at: datetime, started_at: datetime):
    seconds = max(60, int((due_at - started_at).total_seconds()))
    return deadline_start(
        policy=default_policy(FOLLOW_UP_POLICY),
        owner=follow_up,
        org_unit=_root(follow_up),
        assignee=holder,
        started_at=started_at,
        limit=Decimal(seconds) / Decimal(3600),
        label=deferred(
            gettext_noop("跟进回复 %(no)s：%(who)s %(q)s"),
            no=follow_up.call.number,
            who=follow_up.call.caller_label,
            q=follow_up.question[:60],
        ),
    )


def _clean_due(due_at, now) -> datetime:
    if due_at is None:
        raise ValidationError({"due_at": _("请填写要求回复时间")})
    if due_at <= now:
        raise ValidationError({"due_at": _("要求回复时间必须晚于现在")})
    return due_at.replace(microsecond=0)


def followup_open(
    *, call: InboundCall, actor, question: str, due_at: datetime, assignee=None
) -> FollowUp:
    """稍后回复: the follow-up of a call just logged (inside call_log's transaction). Without a
    named person it stays open with the agent, who finds one; with one it is assigned at once."""
    now = timezone.now()
    due_at = _clean_due(due_at, now)
    follow_up = FollowUp.objects.create(
        call=call,
        org_unit_id=call.org_unit_id,
        question=question[:2000],
        holder=actor,
        due_at=due_at,
        created_at=now,
    )
    _reply_timer(follow_up, holder=actor, due_at=due_at, started_at=call.started_at)
    if assignee is not None:
        follow_up = followup_assign(
            follow_up_id=follow_up.pk, actor=actor, assignee=assignee, due_at=due_at
        )
    return follow_up


@transaction.atomic
def followup_assign(
    *, follow_up_id: int, actor, assignee, due_at: datetime, channel=ActionChannel.WEB
) -> FollowUp:
    """Name (or change) the person who replies, and the time they reply by."""
    now = timezone.now()
    due_at = _clean_due(due_at, now)
    from .calls import internal_staff

    if assignee is None or not internal_staff().filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("回复人必须是公司在职员工")})
    follow_up = run_transition(
        FollowUp,
        follow_up_id,
        transition="assign",
        actor=actor,
        channel=channel,
        comment=deferred(gettext_noop("分派给 %(who)s"), who=_name(assignee)),
        kwargs={"assignee": assignee, "due_at": due_at},
    )
    timer = current_timer(follow_up)
    if timer is not None and timer.due_at == due_at:
        if timer.assignee_id != assignee.pk:
            deadline_reassign(deadline=timer, assignee=assignee, actor=actor)
    else:  # a new promise: the old timer ends, a new one runs to the new due time
        if timer is not None:
            deadline_cancel(
                deadline=timer, reason=deferred(gettext_noop("要求回复时间已更改")), actor=actor
            )
        _reply_timer(follow_up, holder=assignee, due_at=due_at, started_at=now)
    notify(
        recipients=[assignee],
        subject=deferred(
            gettext_noop("请回复客户问题 %(no)s（%(due)s 前）"),
            no=follow_up.call.number,
            due=due_at,
        ),
        body=follow_up.question[:500],
        url=follow_up.get_absolute_url(),
        category="follow_up",
        source=follow_up,
        action=True,
    )
    return follow_up


def callback_agent(follow_up: FollowUp, at: datetime | None = None):
    """Who calls the customer back: the agent who took the call when on shift, else the agent on
    shift holding the fewest call-backs (agents_on_shift is the one way work reaches agents)."""
    at = at or timezone.now()
    agent = follow_up.call.agent
    if agent.is_active and agent_on_shift(agent, at):
        return agent
    return (
        roster.agents_on_shift(at)
        .annotate(
            owed=Count(
                "deadlines",
                filter=Q(
                    deadlines__kind=FOLLOW_UP_CALLBACK_KIND,
                    deadlines__status__in=[DeadlineStatus.RUNNING, DeadlineStatus.BREACHED],
                ),
                distinct=True,
            )
        )
        .order_by("owed", "id")
        .first()
    )


@transaction.atomic
def followup_answer(*, follow_up_id: int, actor, reply: str, channel=ActionChannel.WEB) -> FollowUp:
    """The assignee's reply: the reply timer ends and the agent's call-back timer starts."""
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": _("请填写回复内容")})
    follow_up = FollowUp.objects.select_related("call__agent").get(pk=follow_up_id)
    holder = callback_agent(follow_up)
    follow_up = run_transition(
        FollowUp,
        follow_up_id,
        transition="answer",
        actor=actor,
        channel=channel,
        comment=reply[:500],
        kwargs={"reply": reply, "holder": holder},
    )
    close_open_deadlines_of(follow_up, kind=FOLLOW_UP_KIND, actor=actor)
    if follow_up.waiting_until is not None:
        FollowUp.objects.filter(pk=follow_up.pk).update(waiting_until=None, waiting_reason="")
        follow_up.waiting_until, follow_up.waiting_reason = None, ""
    call = follow_up.call
    deadline_start(
        policy=default_policy(FOLLOW_UP_CALLBACK_POLICY),
        owner=follow_up,
        org_unit=_root(follow_up),
        assignee=holder,
        label=deferred(
            gettext_noop("回电客户 %(no)s：%(who)s %(phone)s"),
            no=call.number,
            who=call.caller_label,
            phone=call.caller_phone,
        ),
        actor=actor,
    )
    if holder is not None:
        notify(
            recipients=[holder],
            subject=deferred(
                gettext_noop("已回复，请回电客户 %(no)s：%(who)s %(phone)s"),
                no=call.number,
                who=call.caller_label,
                phone=call.caller_phone,
            ),
            body=reply[:500],
            url=follow_up.get_absolute_url(),
            category="follow_up",
            source=follow_up,
            action=True,
        )
    return follow_up


@transaction.atomic
def followup_call_back(
    *, follow_up_id: int, actor, note: str, close: bool = False, channel=ActionChannel.WEB
) -> FollowUp:
    """The agent called the customer back with the reply (and, when it settled the matter,
    closes the follow-up in the same step)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写回电记录")})
    follow_up = run_transition(
        FollowUp,
        follow_up_id,
        transition="call_back",
        actor=actor,
        channel=channel,
        comment=note[:500],
        kwargs={"actor": actor, "note": note},
    )
    close_open_deadlines_of(follow_up, actor=actor)
    if close:
        follow_up = followup_close(follow_up_id=follow_up.pk, actor=actor, channel=channel)
    return follow_up


@transaction.atomic
def followup_close(
    *, follow_up_id: int, actor, note: str = "", channel=ActionChannel.WEB
) -> FollowUp:
    return run_transition(
        FollowUp,
        follow_up_id,
        transition="close",
        actor=actor,
        channel=channel,
        comment=note[:500],
        kwargs={"note": note.strip()[:255]},
    )


@transaction.atomic
def followup_cancel(*, follow_up_id: int, actor, note: str, channel=ActionChannel.WEB) -> FollowUp:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写取消原因")})
    follow_up = run_transition(
        FollowUp,
        follow_up_id,
        transition="cancel",
        actor=actor,
        channel=channel,
        comment=note[:500],
        kwargs={"note": note[:255]},
    )
    for timer in open_deadlines_of(follow_up):
        deadline_cancel(deadline=timer, reason=note[:200], actor=actor)
    return follow_up


# --- waiting until a date (a pause of the timer) -------------------------------------------------


@transaction.atomic
def followup_wait(
    *,
    follow_up_id: int,
    actor,
    until: datetime,
    reason: str,
    ball_holder: str = BallHolder.CUSTOMER,
) -> FollowUp:
    """等待至某日: the open timer pauses with the reason and who holds the ball; it resumes by
    itself on that date (follow_ups_resume_due) or earlier by hand. The state does not change."""
    follow_up = (
        FollowUp.objects.select_for_update().select_related("call__agent").get(pk=follow_up_id)
    )
    if not may_wait(actor, follow_up):
        raise PermissionDenied(_("您不能暂停此跟进事项"))
    reason = (reason or "").strip()
    now = timezone.now()
    errors = {}
    if not reason:
        errors["reason"] = [_("请填写等待原因")]
    if until is None or until <= now:
        errors["until"] = [_("等待至的时间必须晚于现在")]
    elif until > now + MAX_WAIT:
        errors["until"] = [_("最长等待 90 天")]
    if ball_holder not in BallHolder.values:
        errors["ball_holder"] = [_("请选择等待哪一方")]
    if errors:
        raise ValidationError(errors)
    timer = current_timer(follow_up)
    if timer is None or follow_up.state not in (FollowUpState.ASSIGNED, FollowUpState.ANSWERED):
        raise ValidationError(_("只有待回复或待回电的跟进事项可以等待"))
    if timer.status == DeadlineStatus.PAUSED:
        raise ValidationError(_("此跟进事项已在等待中"))
    deadline_pause(
        deadline=timer,
        reason=deferred(
            gettext_noop("等待至 %(until)s：%(reason)s"), until=until, reason=reason[:150]
        ),
        ball_holder=ball_holder,
        actor=actor,
        at=now,
    )
    follow_up.waiting_until = until.replace(microsecond=0)
    follow_up.waiting_reason = reason[:200]
    follow_up.save(update_fields=["waiting_until", "waiting_reason"])
    return follow_up


@transaction.atomic
def followup_resume(*, follow_up_id: int, actor=None, at: datetime | None = None) -> FollowUp:
    """The wait is over (its date came, or somebody resumes it early): the timer runs again."""
    follow_up = (
        FollowUp.objects.select_for_update().select_related("call__agent").get(pk=follow_up_id)
    )
    if actor is not None and not may_wait(actor, follow_up):
        raise PermissionDenied(_("您不能恢复此跟进事项"))
    if follow_up.waiting_until is None:
        raise ValidationError(_("此跟进事项不在等待中"))
    timer = current_timer(follow_up)
    if timer is not None and timer.status == DeadlineStatus.PAUSED:
        deadline_resume(deadline=timer, actor=actor, at=at)
    follow_up.waiting_until = None
    follow_up.waiting_reason = ""
    follow_up.save(update_fields=["waiting_until", "waiting_reason"])
    if follow_up.holder_id:
        notify(
            recipients=[follow_up.holder_id],
            subject=deferred(gettext_noop("等待结束，请继续跟进 %(no)s"), no=follow_up.call.number),
            url=follow_up.get_absolute_url(),
            category="follow_up",
        )
    return follow_up


def follow_ups_resume_due(now: datetime | None = None) -> int:
    """Periodic: resume the follow-ups whose waiting date has come (bounded batch)."""
    now = now or timezone.now()
    ids = list(
        FollowUp.objects.filter(waiting_until__lte=now)
        .order_by("waiting_until")
        .values_list("pk", flat=True)[:RESUME_BATCH]
    )
    done = 0
    for pk in ids:
        try:
            followup_resume(follow_up_id=pk, at=now)
        except ValidationError:  # resumed by hand meanwhile
            continue
        done += 1
    return done


def _name(user) -> str:
    return user.get_full_name() or user.get_username()
