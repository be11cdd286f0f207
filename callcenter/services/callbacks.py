"""Callbacks (回访): creating tasks, handing them to agents on shift, recording each call, and what
a dissatisfied answer sets off. Every state change goes through `run_transition` on a locked row.

Decisions (the issue leaves them to us; README and the report say the same):
- Calling windows are `CallbackRules.windows` (default 10:00–11:30, 14:30–17:30) on working days
  of the company calendar only (weekends and holidays are the customer's rest time). A customer
  who named a time that suits them (`preferred_from`–`preferred_to`) is called then instead,
  also outside the windows, but only between `preferred_earliest` and `preferred_latest` (default
  09:00–21:00, the call centre's hours) and still on working days.
- A not-reached call (no answer, busy) is retried up to `max_attempts` calls in all, each at
  least `retry_gap_minutes` after the last (and then only inside a window); a wrong number or a
  refusal ends the task at once (retrying would not help, or would pester).
- The business result (satisfaction 1–5, comments, valid or invalid with a reason) is recorded
  only with a reached call. Satisfaction ≤ `dissatisfied_at_most` (default 2: 不满意 and 非常
  不满意) on a valid callback is dissatisfied: a second callback (purpose 不满意二次回访, due in 3
  working days, first offered on the next working day so the responsible team can act), a care
  SMS to the customer, and a notification to whoever caused it (see `responsible_for`).
  3 (一般) takes the seed's 【不满意/一般】 script branch but sets nothing off.
- Nobody is surveyed twice within `no_repeat_days` (default 30): a task created for a customer
  reached within that time is closed at once as 近期已回访; when a customer is reached, their
  other open tasks close the same way. A second callback after dissatisfaction is exempt.
- The pool: a task nobody took waits unassigned; the queue offers an agent their own callable
  tasks first, then unassigned ones and those of agents who are not on shift now, by due time.
  Taking one assigns it (row lock, SKIP LOCKED: two agents never get the same task).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import Role
from network.models import OrgUnit
from network.selectors import role_holders
from service_ops import plugins
from service_ops.deadlines.services import (
    deadline_cancel,
    deadline_close,
    deadline_reassign,
    deadline_start,
    open_deadlines_of,
)
from service_ops.i18n import deferred, render_zh
from service_ops.notifications.services import notify, queue_sms
from service_ops.plugins import default_policy
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition
from service_ops.workcalendar import clock

from ..choices import (
    INSTALL_MILESTONES,
    OPEN_CALLBACK_STATES,
    RETRY_RESULTS,
    CallbackPurpose,
    CallbackState,
    CallResult,
    CloseReason,
)
from ..models import CallbackAttempt, CallbackRequest, CallbackRules, Customer, Installation
from ..permissions import may_assign_callbacks, may_take_callbacks
from ..phones import normalise_phone
from ..plugin import CALLBACK_KIND, CALLBACK_POLICY, DISSATISFIED_POLICY
from .roster import agents_on_shift

logger = logging.getLogger(__name__)

MAX_ASSIGN = 500  # "all matching" assigns at most this many tasks at once


def rules() -> CallbackRules:
    return CallbackRules.current()


def _root() -> OrgUnit | None:
    return OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()


# --- calling windows ---------------------------------------------------------------------------


def _local(now: datetime) -> datetime:
    return timezone.localtime(now)


def callable_day(now: datetime, r: CallbackRules) -> bool:
    return not r.working_days_only or clock.is_working_day(clock.local_date(now))


def in_window(now: datetime, r: CallbackRules) -> bool:
    t = _local(now).time()
    return any(start <= t < end for start, end in r.window_list())


def callable_q(now: datetime, r: CallbackRules) -> Q:
    """Open tasks that may be called at `now`: due for a call (not waiting for a retry's gap or
    the customer's day), with a phone, and inside a calling window or the customer's own time."""
    if not callable_day(now, r):
        return Q(pk__in=[])
    t = _local(now).time()
    time_ok = Q(preferred_from__lte=t, preferred_to__gt=t)
    if in_window(now, r):
        time_ok |= Q(preferred_from__isnull=True)
    return (
        Q(state__in=OPEN_CALLBACK_STATES)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & Q(customer__isnull=False)
        & time_ok
    )


def is_callable(task: CallbackRequest, now: datetime, r: CallbackRules) -> bool:
    if task.state not in OPEN_CALLBACK_STATES or task.customer_id is None:
        return False
    if task.next_attempt_at is not None and task.next_attempt_at > now:
        return False
    if not callable_day(now, r):
        return False
    t = _local(now).time()
    if task.preferred_from is not None and task.preferred_to is not None:
        return task.preferred_from <= t < task.preferred_to
    return in_window(now, r)


def next_callable_at(task: CallbackRequest, now: datetime, r: CallbackRules) -> datetime | None:
    """When the task may next be called (now if it may): the first window start, or the
    customer's own time, at or after its retry gap, within two weeks."""
    if task.state not in OPEN_CALLBACK_STATES or task.customer_id is None:
        return None
    start = max(now, task.next_attempt_at or now)
    if is_callable(task, start, r):
        return start
    if task.preferred_from is not None and task.preferred_to is not None:
        slots = [(task.preferred_from, task.preferred_to)]
    else:
        slots = r.window_list()
    day = clock.local_date(start)
    for offset in range(15):
        current = day + timedelta(days=offset)
        if r.working_days_only and not clock.is_working_day(current):
            continue
        for begin, end in slots:
            slot_start, slot_end = clock.at_local(current, begin), clock.at_local(current, end)
            if slot_end > start:
                return max(slot_start, start)
    return None


# --- creating tasks ----------------------------------------------------------------------------


def match_customer(*, name: str, phone: str, org_unit=None) -> Customer | None:
    """The customer with this phone number (normal form), created when there is none. None
    without a number: the task waits for a supervisor (it cannot be called)."""
    phone = normalise_phone(phone)
    if not phone:
        return None
    customer = Customer.objects.filter(phone=phone).order_by("pk").first()
    if customer is None:
        customer = Customer.objects.create(
            name=(name or "").strip()[:60] or phone, phone=phone, org_unit=org_unit
        )
    return customer


def subject_org_unit(subject) -> OrgUnit | None:
    """The department a subject belongs to, for the statistics: its branch or org unit."""
    for attr in ("branch", "org_unit", "owner_unit", "applicant_unit"):
        unit = getattr(subject, attr, None)
        if isinstance(unit, OrgUnit):
            return unit
    if isinstance(subject, CallbackRequest):
        return subject.org_unit
    if isinstance(subject, OrgUnit):
        return subject
    return None


def recently_surveyed(customer: Customer | None, now: datetime, r: CallbackRules) -> bool:
    if customer is None or not r.no_repeat_days:
        return False
    return CallbackRequest.objects.filter(
        customer=customer,
        reached_at__gte=now - timedelta(days=r.no_repeat_days),
        state=CallbackState.DONE,
    ).exists()


def _label(task: CallbackRequest):
    purpose = (
        CallbackPurpose(task.purpose).label
        if task.purpose in CallbackPurpose.values
        else task.purpose
    )
    name = task.contact_name.strip()
    if name:
        return deferred(gettext_noop("回访：%(purpose)s %(name)s"), purpose=purpose, name=name)
    return deferred(gettext_noop("回访：%(purpose)s"), purpose=purpose)


@transaction.atomic
def callback_create(
    *,
    subject,
    purpose: str,
    contact_name: str = "",
    contact_phone: str = "",
    at: datetime | None = None,
    org_unit=None,
    timer_org_unit=None,
    preferred_from: time | None = None,
    preferred_to: time | None = None,
    parent: CallbackRequest | None = None,
    customer: Customer | None = None,
    note: str = "",
    not_before: datetime | None = None,
    policy: str = CALLBACK_POLICY,
    batch=None,
    limit_working_days: int | None = None,
) -> tuple[CallbackRequest, bool]:
    """The task for (subject, purpose), created once: the second call returns the first task and
    starts no second timer. A supervisor's list task (专项回访) is once per (list, subject)
    instead: `batch` is required for it (see callcenter.services.lists for whole lists). Its
    timer belongs to the call centre (the root unit) unless told; the task's unit (for
    statistics and visibility) is the subject's department. `limit_working_days` replaces the
    policy's amount for this task's timer (the asking process's own rule, e.g. field service's
    callback days)."""
    at = at or timezone.now()
    if (purpose == CallbackPurpose.SUPERVISOR_LIST) != (batch is not None):
        raise ValueError("a supervisor_list task belongs to a CallbackList, and only it does")
    department = org_unit or subject_org_unit(subject)
    task, created = CallbackRequest.objects.get_or_create(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        purpose=purpose,
        batch=batch,
        defaults={
            "contact_name": (contact_name or "").strip()[:60],
            "contact_phone": normalise_phone(contact_phone or "")[:40],
            "created_at": at,
            "org_unit": department,
            "parent": parent,
            "note": note[:200],
            "preferred_from": preferred_from if preferred_to else None,
            "preferred_to": preferred_to if preferred_from else None,
            "next_attempt_at": not_before,
        },
    )
    if not created:
        return task, False
    if customer is None:
        customer = match_customer(name=contact_name, phone=contact_phone, org_unit=department)
    if customer is not None:
        task.customer = customer
        CallbackRequest.objects.filter(pk=task.pk).update(customer=customer)
    deadline = deadline_start(
        policy=default_policy(policy),
        owner=task,
        org_unit=timer_org_unit or _root(),
        started_at=at,
        label=_label(task),
        limit=Decimal(limit_working_days) if limit_working_days else None,
    )
    task.due_at = deadline.due_at
    CallbackRequest.objects.filter(pk=task.pk).update(due_at=deadline.due_at)
    r = rules()
    if purpose != CallbackPurpose.DISSATISFIED and recently_surveyed(customer, at, r):
        _skip(task, reason=CloseReason.RECENTLY_SURVEYED, at=at)
        task.refresh_from_db()
    return task, True


def _close_timer(task: CallbackRequest, *, actor, at: datetime) -> None:
    for deadline in open_deadlines_of(task, kind=CALLBACK_KIND):
        deadline_close(deadline=deadline, actor=actor, at=at)


def _skip(task: CallbackRequest, *, reason: str, at: datetime) -> None:
    task = run_transition(
        task,
        transition="skip",
        channel=ActionChannel.SYSTEM,
        comment=deferred(gettext_noop("自动关闭：%(r)s"), r=CloseReason(reason).label),
        kwargs={"at": at, "reason": reason},
    )
    for deadline in open_deadlines_of(task, kind=CALLBACK_KIND):
        deadline_cancel(deadline=deadline, reason=CloseReason(reason).label, at=at)
    tell_verdict(task, VERDICT_UNREACHED)


# What a closed callback tells the process that asked for it (hook `callback_verdict`).
VERDICT_SATISFIED = "satisfied"
VERDICT_DISSATISFIED = "dissatisfied"
VERDICT_UNREACHED = "unreached"


def tell_verdict(task: CallbackRequest, verdict: str) -> None:
    """A callback task closed: the app whose subject it is hears the verdict through the hook
    `callback_verdict(subject=…, verdict=…, task=…)`, in this transaction (the verdict and the
    callback commit together): "satisfied" or "dissatisfied" (reached, a valid answer, by the
    rules' threshold), "unreached" (not reached, refused, an invalid answer, skipped or
    cancelled). A second callback after dissatisfaction answers for its first task (a
    CallbackRequest subject, which no app claims); apps ignore subjects not theirs."""
    subject = task.subject
    if subject is None or isinstance(subject, CallbackRequest):
        return
    plugins.call_hook("callback_verdict", subject=subject, verdict=verdict, task=task)


# --- handing tasks to agents ---------------------------------------------------------------------


def _reassign_timer(task: CallbackRequest, agent, actor) -> None:
    for deadline in open_deadlines_of(task, kind=CALLBACK_KIND):
        if deadline.assignee_id != agent.pk:
            deadline_reassign(deadline=deadline, assignee=agent, actor=actor)


def _agent_ids_on_shift(now: datetime) -> list[int]:
    return list(agents_on_shift(now).values_list("pk", flat=True))


def queue_for(agent, *, now: datetime, r: CallbackRules | None = None, on_shift=None):
    """The tasks `agent` may call now: their own first, then unassigned ones and those of agents
    who are not on shift now, each by due time."""
    r = r or rules()
    on_shift = _agent_ids_on_shift(now) if on_shift is None else on_shift
    others_off = Q(assignee__isnull=True) | ~Q(assignee_id__in=on_shift or [0])
    return CallbackRequest.objects.filter(callable_q(now, r)).filter(Q(assignee=agent) | others_off)


@transaction.atomic
def callback_take(*, task_id: int, agent, now: datetime | None = None) -> CallbackRequest:
    """The agent takes a task to call it now: it must be callable now, and unassigned, theirs,
    or held by an agent who is not on shift."""
    now = now or timezone.now()
    if not may_take_callbacks(user=agent):
        raise PermissionDenied(_("只有呼叫中心坐席可以回访"))
    task = CallbackRequest.objects.select_for_update().get(pk=task_id)
    r = rules()
    if task.assignee_id == agent.pk and task.state == CallbackState.ASSIGNED:
        if not is_callable(task, now, r):
            raise ValidationError(_("现在不在可拨打时段"))
        return task
    if not is_callable(task, now, r):
        raise ValidationError(_("现在不在可拨打时段"))
    if task.assignee_id and task.assignee_id in _agent_ids_on_shift(now):
        raise ValidationError(_("该回访已由其他在班坐席处理"))
    task = run_transition(
        task,
        transition="take",
        actor=agent,
        comment=deferred(gettext_noop("坐席领取")),
        kwargs={"agent": agent, "at": now},
    )
    _reassign_timer(task, agent, agent)
    return task


def callback_take_next(*, agent, now: datetime | None = None) -> CallbackRequest | None:
    """The next task of the agent's queue, taken for them (None when nothing may be called now).
    Candidates locked by another agent's take are skipped, not waited for."""
    now = now or timezone.now()
    if not may_take_callbacks(user=agent):
        raise PermissionDenied(_("只有呼叫中心坐席可以回访"))
    r = rules()
    on_shift = _agent_ids_on_shift(now)
    with transaction.atomic():
        candidates = (
            queue_for(agent, now=now, r=r, on_shift=on_shift)
            .annotate(mine=Case(When(assignee=agent, then=Value(0)), default=Value(1)))
            .order_by("mine", F("due_at").asc(nulls_last=True), "id")
            .select_for_update(skip_locked=True)[:20]
        )
        for task in candidates:
            if task.assignee_id == agent.pk and task.state == CallbackState.ASSIGNED:
                return task
            task = run_transition(
                task,
                transition="take",
                actor=agent,
                comment=deferred(gettext_noop("坐席领取")),
                kwargs={"agent": agent, "at": now},
            )
            _reassign_timer(task, agent, agent)
            return task
    return None


def open_load(agent_ids) -> dict[int, int]:
    rows = (
        CallbackRequest.objects.filter(assignee_id__in=agent_ids, state=CallbackState.ASSIGNED)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    load = dict.fromkeys(agent_ids, 0)
    load.update({row["assignee_id"]: row["n"] for row in rows})
    return load


@transaction.atomic
def callback_assign(*, task_ids, actor, agents=None, at: datetime | None = None) -> dict[int, int]:
    """Hand the open tasks among `task_ids` evenly to the agents on shift (or `agents`): each
    goes to the agent with the fewest open tasks at that moment (round-robin by load, ties by
    id). Returns {agent id: tasks given}. At most MAX_ASSIGN at once."""
    at = at or timezone.now()
    if not may_assign_callbacks(user=actor):
        raise PermissionDenied(_("只有坐席组长或主管可以分配回访"))
    ids = list(dict.fromkeys(int(i) for i in task_ids))[: MAX_ASSIGN + 1]
    if len(ids) > MAX_ASSIGN:
        raise ValidationError(_("一次最多分配 %(n)d 条回访") % {"n": MAX_ASSIGN})
    people = list(agents) if agents is not None else list(agents_on_shift(at))
    if not people:
        raise ValidationError(_("现在没有在班坐席"))
    by_id = {p.pk: p for p in people}
    load = open_load(list(by_id))
    given = dict.fromkeys(by_id, 0)
    tasks = (
        CallbackRequest.objects.filter(pk__in=ids, state__in=OPEN_CALLBACK_STATES)
        .select_for_update()
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )
    for task in tasks:
        agent_id = min(by_id, key=lambda pk: (load[pk], pk))
        if task.assignee_id == agent_id:
            continue
        if task.assignee_id in load:
            load[task.assignee_id] -= 1
        agent = by_id[agent_id]
        run_transition(
            task,
            transition="assign",
            actor=actor,
            comment=deferred(
                gettext_noop("分配给 %(a)s"), a=agent.get_full_name() or agent.username
            ),
            kwargs={"assignee": agent, "at": at},
        )
        _reassign_timer(task, agent, actor)
        load[agent_id] += 1
        given[agent_id] += 1
    return given


@transaction.atomic
def callback_cancel(*, task_id: int, actor, reason: str = "") -> CallbackRequest:
    now = timezone.now()
    task = run_transition(
        CallbackRequest,
        task_id,
        transition="cancel",
        actor=actor,
        comment=reason.strip()[:200],
        kwargs={"at": now},
    )
    for deadline in open_deadlines_of(task, kind=CALLBACK_KIND):
        deadline_cancel(deadline=deadline, reason=reason.strip()[:200], actor=actor, at=now)
    tell_verdict(task, VERDICT_UNREACHED)
    return task


def _check_preferred(preferred_from, preferred_to, r: CallbackRules) -> dict:
    errors = {}
    if bool(preferred_from) != bool(preferred_to):
        errors["preferred_to"] = _("请同时填写方便接听的起止时间")
    elif preferred_from and not preferred_from < preferred_to:
        errors["preferred_to"] = _("结束时间须晚于开始时间")
    elif preferred_from and (
        preferred_from < r.preferred_earliest or preferred_to > r.preferred_latest
    ):
        errors["preferred_from"] = _("方便接听时间须在 %(a)s–%(b)s 之间") % {
            "a": r.preferred_earliest.strftime("%H:%M"),
            "b": r.preferred_latest.strftime("%H:%M"),
        }
    return errors


@transaction.atomic
def callback_set_preferred_time(
    *, task_id: int, actor, preferred_from: time | None, preferred_to: time | None
) -> CallbackRequest:
    """Record the time of day the customer said suits them (no state change; the row locked)."""
    task = CallbackRequest.objects.select_for_update().get(pk=task_id)
    if not (may_assign_callbacks(user=actor) or task.assignee_id == actor.pk):
        raise PermissionDenied(_("只有负责的坐席或主管可以修改"))
    if not task.is_open:
        raise ValidationError(_("此回访已结束"))
    errors = _check_preferred(preferred_from, preferred_to, rules())
    if errors:
        raise ValidationError(errors)
    task.preferred_from, task.preferred_to = preferred_from, preferred_to
    task.save(update_fields=["preferred_from", "preferred_to"])
    return task


# --- the call ---------------------------------------------------------------------------------


@dataclass
class CallInput:
    result: str
    note: str = ""
    satisfaction: int | None = None
    comments: str = ""
    is_valid: bool = True
    invalid_reason: str = ""
    preferred_from: time | None = None
    preferred_to: time | None = None


def _validate(call: CallInput, r: CallbackRules) -> dict:
    errors = {}
    if call.result not in CallResult.values:
        errors["result"] = _("请选择呼叫结果")
        return errors
    if call.result == CallResult.REACHED:
        if call.is_valid:
            if call.satisfaction is None:
                errors["satisfaction"] = _("有效回访须填写满意度")
            elif not 1 <= int(call.satisfaction) <= 5:
                errors["satisfaction"] = _("满意度为 1–5")
        elif not call.invalid_reason.strip():
            errors["invalid_reason"] = _("无效回访须填写原因")
    errors.update(_check_preferred(call.preferred_from, call.preferred_to, r))
    return errors


def callback_record_call(
    *,
    task_id: int,
    actor,
    call: CallInput,
    expected_attempts: int | None = None,
    now: datetime | None = None,
    channel: str = ActionChannel.WEB,
) -> CallbackRequest:
    """Record one call of the task by its agent: the call result, and the business result when
    the customer was reached. `expected_attempts` is the count the agent's screen showed: a
    second submit of the same screen is refused instead of recorded twice."""
    now = now or timezone.now()
    r = rules()
    errors = _validate(call, r)
    if errors:
        raise ValidationError(errors)
    dissatisfied = False
    with transaction.atomic():
        task = CallbackRequest.objects.select_for_update().get(pk=task_id)
        if task.assignee_id != getattr(actor, "pk", None):
            raise PermissionDenied(_("请先领取此回访"))
        if expected_attempts is not None and expected_attempts != task.attempt_count:
            raise ValidationError(_("此回访已有新的拨打记录，请刷新后再填写"))
        if not is_callable(task, now, r):
            raise ValidationError(_("现在不在可拨打时段"))
        number = task.attempt_count + 1
        CallbackAttempt.objects.create(
            task=task, number=number, agent=actor, at=now, result=call.result, note=call.note[:200]
        )
        changes = {"attempt_count": number}
        if call.preferred_from and call.preferred_to:
            changes.update(preferred_from=call.preferred_from, preferred_to=call.preferred_to)
        CallbackRequest.objects.filter(pk=task.pk).update(**changes)
        label = CallResult(call.result).label
        if call.result == CallResult.REACHED:
            satisfaction = int(call.satisfaction) if call.is_valid else None
            task = run_transition(
                task,
                transition="reach",
                actor=actor,
                channel=channel,
                comment=deferred(gettext_noop("第 %(n)d 次拨打：%(r)s"), n=number, r=label),
                kwargs={
                    "at": now,
                    "satisfaction": satisfaction,
                    "comments": call.comments.strip()[:2000],
                    "is_valid": call.is_valid,
                    "invalid_reason": "" if call.is_valid else call.invalid_reason.strip()[:200],
                },
            )
            _close_timer(task, actor=actor, at=now)
            dissatisfied = (
                call.is_valid
                and satisfaction is not None
                and satisfaction <= r.dissatisfied_at_most
            )
            _close_siblings(task, now)
        elif call.result in RETRY_RESULTS and number < r.max_attempts:
            task = run_transition(
                task,
                transition="retry_later",
                actor=actor,
                channel=channel,
                comment=deferred(gettext_noop("第 %(n)d 次拨打：%(r)s"), n=number, r=label),
                kwargs={"next_attempt_at": now + timedelta(minutes=r.retry_gap_minutes)},
            )
        else:
            reason = {
                CallResult.WRONG_NUMBER: CloseReason.WRONG_NUMBER,
                CallResult.REFUSED: CloseReason.REFUSED,
            }.get(call.result, CloseReason.ATTEMPTS_EXHAUSTED)
            task = run_transition(
                task,
                transition="give_up",
                actor=actor,
                channel=channel,
                comment=deferred(
                    gettext_noop("第 %(n)d 次拨打：%(r)s，回访结束（%(c)s）"),
                    n=number,
                    r=label,
                    c=CloseReason(reason).label,
                ),
                kwargs={"at": now, "reason": reason},
            )
            _close_timer(task, actor=actor, at=now)
        if dissatisfied:
            _on_dissatisfied(task, actor=actor, now=now, r=r)
        if task.state == CallbackState.DONE:
            valid = call.is_valid and task.satisfaction is not None
            tell_verdict(
                task,
                (VERDICT_DISSATISFIED if dissatisfied else VERDICT_SATISFIED)
                if valid
                else VERDICT_UNREACHED,
            )
        elif task.state == CallbackState.UNREACHED:
            tell_verdict(task, VERDICT_UNREACHED)
    task.refresh_from_db()
    return task


def _close_siblings(task: CallbackRequest, now: datetime) -> None:
    """The customer was just surveyed: their other open callbacks (a second callback after
    dissatisfaction excepted) close as 近期已回访."""
    if task.customer_id is None:
        return
    siblings = (
        CallbackRequest.objects.filter(customer_id=task.customer_id, state__in=OPEN_CALLBACK_STATES)
        .exclude(pk=task.pk)
        .exclude(purpose=CallbackPurpose.DISSATISFIED)
        .values_list("pk", flat=True)
    )
    for pk in list(siblings[:50]):
        sibling = CallbackRequest.objects.get(pk=pk)
        _skip(sibling, reason=CloseReason.RECENTLY_SURVEYED, at=now)


# --- dissatisfaction -----------------------------------------------------------------------------


def responsible_for(subject) -> list:
    """Whoever caused what the customer is dissatisfied with. First the subject's own app,
    through the hook `callback_responsible(subject=…)` (answers: users, user ids, or
    (role, org unit) pairs); when no app answers, the repair supervisors for the subject's unit
    (the repair team: the known case, a repair order); the head of customer service last."""
    User = get_user_model()
    people: dict[int, object] = {}
    pairs: list[tuple[str, OrgUnit]] = []
    for answer in plugins.call_hook("callback_responsible", subject=subject):
        for item in answer or ():
            if isinstance(item, tuple) and len(item) == 2:
                pairs.append(item)
            elif isinstance(item, int):
                people.setdefault(item, item)
            elif getattr(item, "pk", None):
                people.setdefault(item.pk, item)
    for role, unit in pairs:
        for user in role_holders(role, unit):
            people.setdefault(user.pk, user)
    if not people:
        unit = subject_org_unit(subject) or _root()
        if unit is not None:
            for user in role_holders(Role.REPAIR_SUPERVISOR, unit):
                people.setdefault(user.pk, user)
    if not people:
        root = _root()
        if root is not None:
            for user in role_holders(Role.HEAD_OF_CS, root):
                people.setdefault(user.pk, user)
    ids = [pk for pk, value in people.items() if not getattr(value, "pk", None)]
    if ids:
        for user in User.objects.filter(pk__in=ids, is_active=True):
            people[user.pk] = user
    return [u for u in people.values() if getattr(u, "pk", None)]


def _on_dissatisfied(task: CallbackRequest, *, actor, now: datetime, r: CallbackRules) -> None:
    """A second callback, a care SMS, and the people who caused it told (in this transaction:
    the SMS and the notifications are outbox rows, sent after commit)."""
    next_day = clock.nth_working_day_after(clock.local_date(now), 1)
    root_subject = task.subject if task.parent_id is None else task.parent.subject
    second, _created = callback_create(
        subject=task,
        purpose=CallbackPurpose.DISSATISFIED,
        contact_name=task.contact_name,
        contact_phone=task.contact_phone,
        at=now,
        org_unit=task.org_unit,
        parent=task,
        customer=task.customer,
        preferred_from=task.preferred_from,
        preferred_to=task.preferred_to,
        not_before=clock.at_local(next_day, r.window_list()[0][0]),
        policy=DISSATISFIED_POLICY,
    )
    phone = task.customer.phone if task.customer_id else normalise_phone(task.contact_phone)
    if phone:
        name = task.contact_name or (task.customer.name if task.customer_id else "")
        try:
            text = r.care_sms % {"name": name or "客户"}
        except (KeyError, ValueError, TypeError):
            text = r.care_sms
        queue_sms(phone=phone, text=text, source=task, category="callback")
    recipients = [u for u in responsible_for(root_subject) if u.pk != getattr(actor, "pk", None)]
    if recipients:
        notify(
            recipients=recipients,
            subject=deferred(
                gettext_noop("客户不满意（满意度 %(s)d）：%(p)s %(what)s"),
                s=task.satisfaction,
                p=CallbackPurpose(task.purpose).label
                if task.purpose in CallbackPurpose.values
                else task.purpose,
                what=str(root_subject) if root_subject is not None else task.number,
            ),
            body=task.comments,
            url=task.get_absolute_url(),
            urgent=True,
            category="callback",
            source=second,
        )
    logger.info("callback %s dissatisfied: second callback %s", task.pk, second.pk)


# --- installations ------------------------------------------------------------------------------


@transaction.atomic
def installation_create(
    *,
    actor,
    customer_name: str,
    customer_phone: str,
    product_model: str,
    serial_number: str = "",
    installed_on,
    org_unit=None,
    note: str = "",
    today=None,
) -> Installation:
    """An installation entered by staff (later by field service): its customer matched or
    created by phone. Its callbacks come from the daily job."""
    today = today or timezone.localdate()
    errors = {}
    if not normalise_phone(customer_phone):
        errors["customer_phone"] = _("请填写客户电话")
    if not customer_name.strip():
        errors["customer_name"] = _("请填写客户姓名")
    if not product_model.strip():
        errors["product_model"] = _("请填写产品型号")
    if installed_on is None:
        errors["installed_on"] = _("请填写安装日期")
    elif installed_on > today:
        errors["installed_on"] = _("安装日期不能晚于今天")
    elif installed_on < today - timedelta(days=366 * 2):
        errors["installed_on"] = _("安装日期不能早于两年前")
    if errors:
        raise ValidationError(errors)
    customer = match_customer(name=customer_name, phone=customer_phone, org_unit=org_unit)
    return Installation.objects.create(
        customer=customer,
        product_model=product_model.strip()[:60],
        serial_number=serial_number.strip()[:60],
        installed_on=installed_on,
        org_unit=org_unit,
        note=note.strip()[:200],
        entered_by=actor,
    )


def installation_callbacks_due(*, now: datetime | None = None, batch_size: int = 2000) -> int:
    """The daily job: the 1-week / 1 / 3 / 6 / 12-month callbacks of installed customers whose
    milestone has come (and whose next one has not: a milestone missed by a late entry is
    skipped, not called late). Idempotent per installation and milestone. Returns tasks made."""
    now = now or timezone.now()
    today = clock.local_date(now)
    installation_type = ContentType.objects.get_for_model(Installation)
    made = 0
    for index, (purpose, days) in enumerate(INSTALL_MILESTONES):
        next_days = (
            INSTALL_MILESTONES[index + 1][1] if index + 1 < len(INSTALL_MILESTONES) else days + 60
        )
        done = CallbackRequest.objects.filter(
            subject_type=installation_type, purpose=purpose
        ).values("subject_id")
        due = (
            Installation.objects.filter(
                installed_on__lte=today - timedelta(days=days),
                installed_on__gt=today - timedelta(days=next_days),
            )
            .exclude(pk__in=done)
            .select_related("customer")
            .order_by("installed_on", "pk")[:batch_size]
        )
        for installation in due:
            customer = installation.customer
            callback_create(
                subject=installation,
                purpose=purpose,
                contact_name=customer.name,
                contact_phone=customer.phone,
                at=now,
                org_unit=installation.org_unit,
                customer=customer,
            )
            made += 1
    return made


# --- the weekly satisfaction report ------------------------------------------------------------


def weekly_report_send(*, now: datetime | None = None) -> int:
    """Monday morning (seed 002: 每个礼拜上交一次回访满意度报表): last week's figures to the head of
    customer service, with a link to the report page for that week. Returns people told."""
    from django.urls import reverse

    from ..selectors.reports import callback_summary

    now = now or timezone.now()
    today = clock.local_date(now)
    monday = today - timedelta(days=today.weekday() + 7)
    sunday = monday + timedelta(days=6)
    s = callback_summary(monday, sunday)
    root = _root()
    people = role_holders(Role.HEAD_OF_CS, root) if root is not None else []
    if not people:
        return 0
    url = reverse("callcenter:callback_report") + f"?start={monday:%Y-%m-%d}&end={sunday:%Y-%m-%d}"
    body = deferred(
        gettext_noop(
            "回访 %(closed)d 条：接通 %(reached)d，未接通 %(unreached)d；有效 %(valid)d，无效 "
            "%(invalid)d；平均满意度 %(avg)s；不满意 %(bad)d。"
        ),
        closed=s.closed,
        reached=s.reached,
        unreached=s.unreached,
        valid=s.valid,
        invalid=s.invalid,
        avg=s.average_text,
        bad=s.dissatisfied,
    )
    notify(
        recipients=people,
        subject=deferred(
            gettext_noop("回访满意度周报 %(a)s–%(b)s"), a=monday.isoformat(), b=sunday.isoformat()
        ),
        body=body,
        url=url,
        category="report",
    )
    logger.info("weekly callback report %s: %s", monday, render_zh(body))
    return len(people)
