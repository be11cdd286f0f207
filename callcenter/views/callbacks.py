"""Callback screens (回访): the agent's queue and call screen, the supervisors' list with its even
assignment, and installed customers. Views stay thin: reads from selectors (scoped with
visible_to, out of scope → 404), writes through services via forms and run_action."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from service_ops.actions import NOT_ALLOWED, not_allowed, run_action, service_errors
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of

from ..choices import OPEN_CALLBACK_STATES, CallbackState, CallResult
from ..forms.callbacks import (
    CallbackFilterForm,
    CallResultForm,
    CancelForm,
    InstallationForm,
    PreferredTimeForm,
)
from ..models import CallbackRequest
from ..permissions import (
    may_assign_callbacks,
    may_enter_installations,
    may_read_callbacks,
    may_take_callbacks,
)
from ..scripts import script_for
from ..selectors import callbacks as sel
from ..services import callbacks as svc
from ..services.roster import agents_on_shift


def _task(user, pk: int) -> CallbackRequest:
    try:
        return sel.callback_for(user, pk)
    except CallbackRequest.DoesNotExist as exc:
        raise Http404 from exc


def _require_reader(user):
    if not may_read_callbacks(user):
        raise PermissionDenied


# --- the agent's queue --------------------------------------------------------------------------


@login_required
@require_GET
def callback_queue(request):
    if not may_take_callbacks(user=request.user):
        raise PermissionDenied
    now = timezone.now()
    r = svc.rules()
    tasks, count = sel.agent_queue(request.user, now=now)
    next_window = None
    if not tasks:
        day_ok = svc.callable_day(now, r)
        if not (day_ok and svc.in_window(now, r)):
            next_window = _next_window(now, r)
    return render(
        request,
        "callcenter/callbacks/queue.html",
        {
            "tasks": sel.with_subjects(tasks),
            "count": count,
            "now": now,
            "rules": r,
            "in_window": svc.callable_day(now, r) and svc.in_window(now, r),
            "next_window": next_window,
        },
    )


def _next_window(now, r):
    probe = CallbackRequest(state=CallbackState.PENDING, customer_id=0)
    return svc.next_callable_at(probe, now, r)


@login_required
@require_POST
def callback_take_next(request):
    if not may_take_callbacks(user=request.user):
        raise PermissionDenied
    task = svc.callback_take_next(agent=request.user)
    if task is None:
        messages.info(request, _("现在没有可拨打的回访"))
        return redirect("callcenter:callback_queue")
    return redirect(task.get_absolute_url())


@login_required
@require_POST
def callback_take(request, pk: int):
    task = _task(request.user, pk)
    if not may_take_callbacks(user=request.user):
        raise PermissionDenied
    try:
        svc.callback_take(task_id=task.pk, agent=request.user)
    except ValidationError as exc:
        for texts in service_errors(exc).values():
            for text in texts:
                messages.error(request, text)
    except NOT_ALLOWED:
        return not_allowed(request, task.get_absolute_url())
    return redirect(task.get_absolute_url())


# --- the call screen ----------------------------------------------------------------------------


def _detail(request, task, *, call_form=None, preferred_form=None, cancel_form=None, status=200):
    now = timezone.now()
    r = svc.rules()
    subject = task.subject
    parent_subject = task.parent.subject if task.parent_id else None
    summary_subject = parent_subject if parent_subject is not None else subject
    user = request.user
    mine = task.assignee_id == user.pk and task.state == CallbackState.ASSIGNED
    callable_now = svc.is_callable(task, now, r)
    held_by_other = (
        task.assignee_id
        and task.assignee_id != user.pk
        and task.assignee_id in set(agents_on_shift(now).values_list("pk", flat=True))
    )
    context = {
        "task": task,
        "subject": subject,
        "summary": sel.subject_summary(summary_subject),
        "subject_url": sel.subject_url(summary_subject, user),
        "parent": task.parent,
        "script": script_for(task, summary_subject),
        "attempts": list(task.attempts.select_related("agent")),
        "log": list(log_of(task)),
        "deadline": task.deadline,
        "callable_now": callable_now,
        "next_callable": svc.next_callable_at(task, now, r),
        "rules": r,
        "mine": mine,
        "may_take": task.is_open
        and not mine
        and not held_by_other
        and callable_now
        and may_take_callbacks(user=user),
        "may_supervise": may_assign_callbacks(user=user) and task.is_open,
        "call_form": call_form or (CallResultForm(task=task) if mine and callable_now else None),
        "preferred_form": preferred_form
        or PreferredTimeForm(
            initial={"preferred_from": task.preferred_from, "preferred_to": task.preferred_to}
        ),
        "cancel_form": cancel_form or CancelForm(),
        "reached_value": CallResult.REACHED.value,
    }
    return render(request, "callcenter/callbacks/detail.html", context, status=status)


@login_required
@require_GET
def callback_detail(request, pk: int):
    return _detail(request, _task(request.user, pk))


@login_required
@require_POST
def callback_call(request, pk: int):
    task = _task(request.user, pk)
    form = CallResultForm(request.POST, task=task)

    def record(data):
        return svc.callback_record_call(
            task_id=task.pk,
            actor=request.user,
            expected_attempts=data["attempts"],
            call=svc.CallInput(
                result=data["result"],
                note=data.get("note") or "",
                satisfaction=data.get("satisfaction"),
                comments=data.get("comments") or "",
                is_valid=data.get("is_valid", True) is not False,
                invalid_reason=data.get("invalid_reason") or "",
                preferred_from=data.get("preferred_from"),
                preferred_to=data.get("preferred_to"),
            ),
        )

    def message(result):
        if result.state == CallbackState.DONE:
            if result.followups.exists():
                return (
                    messages.WARNING,
                    _("已记录。客户不满意：已安排二次回访、发送关怀短信并通知责任部门。"),
                )
            return _("已记录回访结果")
        if result.state == CallbackState.UNREACHED:
            return _("已记录，回访结束：%(r)s") % {"r": result.get_close_reason_display()}
        return _("已记录，稍后再拨")

    return run_action(
        request,
        form,
        record,
        reverse("callcenter:callback_queue"),
        invalid=lambda f: _detail(request, _task(request.user, pk), call_form=f, status=400),
        message=message,
        not_allowed_url=task.get_absolute_url(),
    )


@login_required
@require_POST
def callback_preferred(request, pk: int):
    task = _task(request.user, pk)
    form = PreferredTimeForm(request.POST)
    return run_action(
        request,
        form,
        lambda d: svc.callback_set_preferred_time(
            task_id=task.pk,
            actor=request.user,
            preferred_from=d.get("preferred_from"),
            preferred_to=d.get("preferred_to"),
        ),
        task.get_absolute_url(),
        invalid=lambda f: _detail(request, task, preferred_form=f, status=400),
        message=_("已记录客户方便接听的时间"),
    )


@login_required
@require_POST
def callback_cancel(request, pk: int):
    task = _task(request.user, pk)
    if not may_assign_callbacks(user=request.user):
        raise PermissionDenied
    form = CancelForm(request.POST)
    return run_action(
        request,
        form,
        lambda d: svc.callback_cancel(task_id=task.pk, actor=request.user, reason=d["reason"]),
        task.get_absolute_url(),
        invalid=lambda f: _detail(request, task, cancel_form=f, status=400),
        message=_("回访已取消"),
    )


# --- the supervisors' list ----------------------------------------------------------------------


@login_required
@require_GET
def callback_list(request):
    if not may_assign_callbacks(user=request.user):
        _require_reader(request.user)
    f = sel.CallbackFilter.from_params(request.GET)
    page = keyset_page(sel.callback_list(request.user, f), request.GET)
    sel.with_subjects(page.object_list)
    agents = list(agents_on_shift(timezone.now()))
    form = CallbackFilterForm(initial={**f.as_params(), "org_unit": f.org_unit}, agents=agents)
    return render(
        request,
        "callcenter/callbacks/list.html",
        {
            "page": page,
            "filter_form": form,
            "filters": f.as_params(),
            "may_assign": may_assign_callbacks(user=request.user),
            "agents_on_shift": agents,
            "max_assign": svc.MAX_ASSIGN,
        },
    )


@login_required
@require_POST
def callback_assign(request):
    if not may_assign_callbacks(user=request.user):
        raise PermissionDenied
    f = sel.CallbackFilter.from_params(request.POST)
    back = reverse("callcenter:callback_list")
    params = f.as_params()
    if params:
        from urllib.parse import urlencode

        back += "?" + urlencode(params)
    if request.POST.get("all") == "1":
        qs = sel.callback_list(request.user, f).filter(state__in=OPEN_CALLBACK_STATES)
        ids = list(qs.values_list("pk", flat=True)[: svc.MAX_ASSIGN])
    else:
        visible = sel.callbacks_visible_to(request.user)
        wanted = [int(v) for v in request.POST.getlist("ids") if v.isdigit()][: svc.MAX_ASSIGN]
        ids = list(visible.filter(pk__in=wanted).values_list("pk", flat=True))
    if not ids:
        messages.warning(request, _("请先选择要分配的回访"))
        return redirect(back)
    try:
        given = svc.callback_assign(task_ids=ids, actor=request.user)
    except ValidationError as exc:
        for texts in service_errors(exc).values():
            for text in texts:
                messages.error(request, text)
        return redirect(back)
    total = sum(given.values())
    messages.success(
        request,
        _("已分配 %(n)d 条回访给 %(a)d 位在班坐席")
        % {"n": total, "a": len([v for v in given.values() if v])},
    )
    return redirect(back)


# --- installed customers ------------------------------------------------------------------------


@login_required
@require_GET
def installation_list(request):
    if not (may_enter_installations(request.user) or may_read_callbacks(request.user)):
        raise PermissionDenied
    qs = sel.installations_visible_to(request.user).select_related("customer", "org_unit")
    q = (request.GET.get("q") or "").strip()
    if q:
        from ..phones import normalise_phone

        if q.upper().startswith("AZ") and q[2:].isdigit():
            qs = qs.filter(pk=int(q[2:]))
        else:
            qs = qs.filter(serial_number=q) | qs.filter(customer__phone=normalise_phone(q))
    page = keyset_page(qs.order_by("-id"), request.GET)
    return render(
        request,
        "callcenter/installations/list.html",
        {"page": page, "q": q, "may_enter": may_enter_installations(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def installation_create(request):
    if not may_enter_installations(request.user):
        raise PermissionDenied
    form = InstallationForm(request.POST or None)
    if request.method == "POST":
        return run_action(
            request,
            form,
            lambda d: svc.installation_create(actor=request.user, **d),
            reverse("callcenter:installation_list"),
            invalid=lambda f: render(
                request, "callcenter/installations/form.html", {"form": f}, status=400
            ),
            message=_("安装记录已保存，将按一周、一个月、三个月、半年、一年安排回访"),
        )
    return render(request, "callcenter/installations/form.html", {"form": form})
