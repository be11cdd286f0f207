"""Pages of the inbound call log: the agent desk (来电登记) with its caller lookup and the
caller's history beside it (htmx), the call list and a call's page, the follow-up list and a
follow-up's page with the one step due now. Thin: scope, permission for the page, form, service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from service_ops import plugins
from service_ops.actions import not_allowed, run_action
from service_ops.paging import keyset_page
from service_ops.selectors import annotate_time_left
from service_ops.transitions.services import log_of
from service_ops.workcalendar import clock

from ..choices import CallCategory, CallOutcome, FollowUpState
from ..forms import calls as f
from ..models import FollowUp, InboundCall
from ..permissions import (
    may_assign,
    may_call_back,
    may_close,
    may_log_call,
    may_take_over,
    may_wait,
)
from ..selectors.calls import call_list as select_calls
from ..selectors.calls import (
    caller_history,
    find_callers,
    open_timers_by_owner,
    state_choices_with_open,
)
from ..selectors.calls import follow_up_list as select_follow_ups
from ..services import calls as svc
from ..services import followups as fsvc


def _require_desk(user):
    if not may_log_call(user):
        raise PermissionDenied


# --- the agent desk -----------------------------------------------------------------------------


def _customer_id(key: str) -> int | None:
    kind, _sep, pk = (key or "").partition(":")
    return int(pk) if kind == "customer" and pk.isdigit() else None


def _desk(request, form, *, status=200):
    phone = form["phone"].value() or ""
    selected = form["caller"].value() or ""
    matches = find_callers(phone) if phone else []
    if not selected and not form.is_bound:
        exact = [m for m in matches if m.exact]
        selected = exact[0].key if len(exact) == 1 else ""
    return render(
        request,
        "callcenter/calls/desk.html",
        {
            "form": form,
            "matches": matches,
            "selected": selected,
            "phone": phone,
            "history": caller_history(
                request.user,
                phone=phone,
                serial=form["serial_number"].value() or "",
                customer_id=_customer_id(selected),
            ),
            "started_at": form["started_at"].value() or "",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_desk(request):
    _require_desk(request.user)
    if request.method != "POST":
        return _desk(request, f.CallForm())
    form = f.CallForm(request.POST)

    def message(call):
        return format_html(
            '{} <a href="{}" class="alert-link">{}</a>',
            _("已登记（用时 %(s)d 秒）：") % {"s": call.seconds},
            call.get_absolute_url(),
            call.number,
        )

    return run_action(
        request,
        form,
        lambda data: svc.call_log(actor=request.user, **_call_kwargs(form)),
        lambda call: request.path,  # the next call: a fresh desk
        invalid=lambda form: _desk(request, form, status=400),
        message=message,
    )


def _call_kwargs(form) -> dict:
    data = form.service_kwargs()
    return {
        key: data.get(key)
        for key in (
            "phone",
            "caller",
            "caller_name",
            "new_customer_name",
            "new_customer_city",
            "product_model",
            "serial_number",
            "category",
            "summary",
            "outcome",
            "answer",
            "question",
            "assignee",
            "due_at",
            "transfer_office",
            "started_at",
        )
        if key in data
    }


@login_required
@require_GET
def caller_lookup(request):
    """htmx: the callers whose number matches what is typed (numbered 1–9 to pick)."""
    _require_desk(request.user)
    phone = request.GET.get("phone", "")[:60]
    matches = find_callers(phone)
    exact = [m for m in matches if m.exact]
    response = render(
        request,
        "callcenter/calls/partials/matches.html",
        {
            "matches": matches,
            "selected": exact[0].key if len(exact) == 1 else "",
            "phone": phone,
        },
    )
    response["HX-Trigger"] = "caller-changed"
    return response


@login_required
@require_GET
def caller_history_panel(request):
    """htmx: the caller's history beside the form, refreshed when the caller or serial changes."""
    _require_desk(request.user)
    history = caller_history(
        request.user,
        phone=request.GET.get("phone", "")[:60],
        serial=request.GET.get("serial_number", "")[:60],
        customer_id=_customer_id(request.GET.get("caller", "")),
    )
    return render(request, "callcenter/calls/partials/history.html", {"history": history})


# --- the call list and a call -------------------------------------------------------------------


def _date(value) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


@login_required
@require_GET
def call_list(request):
    params = request.GET
    category = params.get("category", "")
    outcome = params.get("outcome", "")
    agent = params.get("agent", "")
    agent_id = int(agent) if agent.isdigit() else None
    if params.get("mine") == "1":
        agent_id = request.user.pk
    since, until = _date(params.get("since")), _date(params.get("until"))
    q = params.get("q", "").strip()[:60]
    rows = select_calls(
        request.user,
        category=category if category in CallCategory.values else "",
        outcome=outcome if outcome in CallOutcome.values else "",
        agent_id=agent_id,
        since=since,
        until=until,
        q=q,
    )
    page = keyset_page(rows, params)
    return render(
        request,
        "callcenter/calls/call_list.html",
        {
            "page": page,
            "category": category,
            "outcome": outcome,
            "categories": CallCategory.choices,
            "outcomes": CallOutcome.choices,
            "since": since,
            "until": until,
            "q": q,
            "mine": params.get("mine") == "1",
            "can_log": may_log_call(request.user),
        },
    )


def _visible_call(user, pk: int) -> InboundCall:
    return get_object_or_404(
        InboundCall.objects.visible_by_pk(user, pk).select_related(
            "agent", "customer", "caller_unit", "transfer_office", "taken_by"
        )
    )


@login_required
@require_GET
def call_detail(request, pk: int):
    call = _visible_call(request.user, pk)
    follow_up = FollowUp.objects.filter(call=call).select_related("assignee", "holder").first()
    return render(
        request,
        "callcenter/calls/call_detail.html",
        {
            "call": call,
            "follow_up": follow_up,
            "can_take": call.taken_at is None
            and call.outcome in (CallOutcome.EXPERT, CallOutcome.COMPLAINT_TEAM,
                                 CallOutcome.TRANSFERRED)
            and may_take_over(request.user, call),
            # what other apps offer to do from this call (repairs: create a service request)
            "call_actions": [
                action
                for answer in plugins.call_hook("call_actions", call=call, user=request.user)
                for action in (answer or ())
                if isinstance(action, dict) and action.get("url")
            ],
        },
    )  # fmt: skip


@login_required
@require_POST
def call_take_over(request, pk: int):
    call = _visible_call(request.user, pk)
    if not may_take_over(request.user, call):
        raise PermissionDenied
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    try:
        svc.call_take_over(call_id=call.pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已接手 %(no)s") % {"no": call.number})
    return redirect(call.get_absolute_url())


# --- follow-ups ---------------------------------------------------------------------------------


@login_required
@require_GET
def follow_up_list(request):
    mine = request.GET.get("mine", "1" if may_log_call(request.user) else "") == "1"
    state = request.GET.get("state", "active")
    choices = state_choices_with_open()
    if state not in dict(choices):
        state = ""
    rows = select_follow_ups(request.user, mine=mine, state=state)
    page = keyset_page(rows, request.GET)
    timers = open_timers_by_owner(page.object_list)
    now = timezone.now()
    with clock.pinned():  # one calendar version check for the page
        for row in page.object_list:
            row.timer = timers.get(row.pk)
            if row.timer is not None:
                annotate_time_left(row.timer, now)
    return render(
        request,
        "callcenter/calls/follow_up_list.html",
        {"page": page, "mine": mine, "state": state, "states": choices},
    )


@dataclass(frozen=True)
class Step:
    title: Any
    states: tuple
    allowed: Any  # (user, follow_up) -> bool
    form: Any  # (data) -> Form
    call: Any  # (follow_up, user, cleaned_data) -> follow_up
    done: Any
    button: str = "primary"


def _waiting(fu) -> bool:
    return fu.waiting_until is not None


STEPS = {
    "assign": Step(
        gettext_lazy("分派回复人"),
        (FollowUpState.OPEN, FollowUpState.ASSIGNED),
        may_assign,
        lambda data, fu: f.AssignForm(
            data,
            initial={"assignee": fu.assignee_id, "due_at": timezone.localtime(fu.due_at)},
        ),
        lambda fu, user, d: fsvc.followup_assign(follow_up_id=fu.pk, actor=user, **d),
        gettext_lazy("已分派"),
    ),
    "answer": Step(
        gettext_lazy("回复"),
        (FollowUpState.ASSIGNED,),
        lambda user, fu: fu.assignee_id == user.pk,
        lambda data, fu: f.AnswerForm(data),
        lambda fu, user, d: fsvc.followup_answer(follow_up_id=fu.pk, actor=user, **d),
        gettext_lazy("已回复，坐席将回电客户"),
    ),
    "call_back": Step(
        gettext_lazy("回电客户"),
        (FollowUpState.ANSWERED,),
        may_call_back,
        lambda data, fu: f.CallBackForm(data),
        lambda fu, user, d: fsvc.followup_call_back(follow_up_id=fu.pk, actor=user, **d),
        gettext_lazy("已记录回电"),
    ),
    "close": Step(
        gettext_lazy("关闭"),
        (FollowUpState.CALLED_BACK,),
        may_close,
        lambda data, fu: f.CloseForm(data),
        lambda fu, user, d: fsvc.followup_close(follow_up_id=fu.pk, actor=user, **d),
        gettext_lazy("已关闭"),
    ),
    "wait": Step(
        gettext_lazy("等待至某日"),
        (FollowUpState.ASSIGNED, FollowUpState.ANSWERED),
        lambda user, fu: not _waiting(fu) and may_wait(user, fu),
        lambda data, fu: f.WaitForm(data),
        lambda fu, user, d: fsvc.followup_wait(follow_up_id=fu.pk, actor=user, **d),
        gettext_lazy("计时已暂停，到期自动恢复"),
        "outline-secondary",
    ),
    "resume": Step(
        gettext_lazy("恢复计时"),
        (FollowUpState.ASSIGNED, FollowUpState.ANSWERED),
        lambda user, fu: _waiting(fu) and may_wait(user, fu),
        lambda data, fu: f.ResumeForm(data),
        lambda fu, user, d: fsvc.followup_resume(follow_up_id=fu.pk, actor=user),
        gettext_lazy("计时已恢复"),
        "outline-secondary",
    ),
    "cancel": Step(
        gettext_lazy("取消"),
        (FollowUpState.OPEN, FollowUpState.ASSIGNED, FollowUpState.ANSWERED),
        may_close,
        lambda data, fu: f.CancelForm(data),
        lambda fu, user, d: fsvc.followup_cancel(follow_up_id=fu.pk, actor=user, **d),
        gettext_lazy("已取消"),
        "outline-danger",
    ),
}


# The step a page opens by itself, first that the person may take: the reply, the call back,
# closing; naming the person who replies only when nothing else is due.
PRIMARY_STEPS = ("answer", "call_back", "close", "assign")


def _allowed_steps(user, fu) -> list[str]:
    return [name for name, s in STEPS.items() if fu.state in s.states and s.allowed(user, fu)]


def _visible_follow_up(user, pk: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.visible_to(user).select_related(
            "call__agent", "call__customer", "assignee", "holder", "called_back_by"
        ),
        pk=pk,
    )


def _render_follow_up(request, fu, *, action=None, form=None, status=200):
    allowed = _allowed_steps(request.user, fu)
    due_now = [name for name in PRIMARY_STEPS if name in allowed]
    if action is None and due_now:
        action = due_now[0]  # the step due now, opened
        form = STEPS[action].form(None, fu)
    timer = fsvc.current_timer(fu)
    if timer is not None:
        annotate_time_left(timer, timezone.now())
    log = list(log_of(fu))
    labels = dict(FollowUpState.choices)
    for entry in log:
        entry.state_label = labels.get(entry.to_state, entry.to_state)
    return render(
        request,
        "callcenter/calls/follow_up_detail.html",
        {
            "fu": fu,
            "call": fu.call,
            "timer": timer,
            "log": log,
            "action": action,
            "step": STEPS.get(action) if action else None,
            "form": form,
            "others": [(name, STEPS[name]) for name in allowed if name != action],
        },
        status=status,
    )


@login_required
@require_GET
def follow_up_detail(request, pk: int):
    return _render_follow_up(request, _visible_follow_up(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_act(request, pk: int, action: str):
    step = STEPS.get(action)
    if step is None:
        raise Http404
    fu = _visible_follow_up(request.user, pk)
    if fu.state not in step.states:
        return not_allowed(request, fu.get_absolute_url())
    if not step.allowed(request.user, fu):
        raise PermissionDenied
    form = step.form(request.POST if request.method == "POST" else None, fu)
    if request.method != "POST":
        return _render_follow_up(request, fu, action=action, form=form)
    return run_action(
        request,
        form,
        lambda data: step.call(fu, request.user, data),
        lambda result: fu.get_absolute_url(),
        invalid=lambda form: _render_follow_up(request, fu, action=action, form=form, status=400),
        message=lambda result: f"{fu.call.number}：{step.done}",
        not_allowed_url=fu.get_absolute_url(),
    )
