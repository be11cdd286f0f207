"""The product-feedback pages: open feedback by product model with the keyset list, and one
feedback's page with the development department's reply form and its tracking history."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from service_ops.actions import run_action
from service_ops.paging import keyset_page
from service_ops.workcalendar import clock

from .. import permissions as perms
from ..choices import FeedbackSource, FeedbackState
from ..forms import feedback as f
from ..selectors import feedback as sel
from ..services import feedback as svc

F = FeedbackState


def _desk(request):
    if not perms.may_use_desk(request.user):
        raise PermissionDenied


@login_required
@require_GET
def feedback_list(request):
    _desk(request)
    state = request.GET.get("state", "open_all")
    state = state if state in (*F.values, "open_all", "all") else "open_all"
    model = request.GET.get("model", "").strip()[:60]
    source = request.GET.get("source", "")
    source = source if source in FeedbackSource.values else ""
    page = keyset_page(
        sel.feedback_list(request.user, state=state, model=model, source=source), request.GET
    )
    states = [("open_all", _("未关闭")), *F.choices, ("all", _("全部"))]
    return render(
        request,
        "complaints/feedback_list.html",
        {
            "page": page,
            "by_model": sel.open_by_model(request.user),
            "state": state,
            "states": states,
            "model": model,
            "source": source,
            "sources": FeedbackSource.choices,
        },
    )


def _get(request, pk):
    _desk(request)
    item = sel.feedback_for(request.user, pk)
    if item is None:
        raise Http404
    return item


def _forms_for(item, user, bound=None, bound_name=""):
    found = {}

    def put(name, cls):
        found[name] = bound if bound_name == name else cls(prefix=name)

    if item.state == F.OPEN and perms.may_record_feedback_reply(user):
        put("reply", f.FeedbackReplyForm)
    if item.state in (F.ANSWERED, F.TRACKING) and perms.may_track_feedback(user):
        put("note", f.FeedbackNoteForm)
        put("close", f.FeedbackCloseForm)
        put("ask_again", f.FeedbackAskAgainForm)
    return found


def _render(request, item, *, bound=None, bound_name="", status=200):
    parts = sel.page_parts(request.user, item)
    now = timezone.now()
    with clock.pinned():
        for t in parts["timers"]:
            t.left = clock.time_left(now, t.due_at) if t.is_open else None
    return render(
        request,
        "complaints/feedback_detail.html",
        {"item": item, "forms": _forms_for(item, request.user, bound, bound_name), **parts},
        status=status,
    )


@login_required
@require_GET
def feedback_detail(request, pk: int):
    return _render(request, _get(request, pk))


ACTIONS = {
    "reply": (
        f.FeedbackReplyForm,
        perms.may_record_feedback_reply,
        lambda i, u, d: svc.feedback_reply(
            feedback=i,
            actor=u,
            reply=d["reply"],
            replied_by_name=d["replied_by_name"],
            planned_by=d["planned_by"],
        ),
        _l("开发部回复已登记"),
    ),
    "note": (
        f.FeedbackNoteForm,
        perms.may_track_feedback,
        lambda i, u, d: svc.feedback_note(feedback=i, actor=u, text=d["text"]),
        _l("跟踪记录已登记"),
    ),
    "ask_again": (
        f.FeedbackAskAgainForm,
        perms.may_track_feedback,
        lambda i, u, d: svc.feedback_ask_again(feedback=i, actor=u, reason=d["reason"]),
        _l("已请开发部重新回复"),
    ),
    "close": (
        f.FeedbackCloseForm,
        perms.may_track_feedback,
        lambda i, u, d: svc.feedback_close(feedback=i, actor=u, verification=d["verification"]),
        _l("已验证并关闭"),
    ),
}


@login_required
@require_POST
def feedback_act(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    item = _get(request, pk)
    form_class, allowed, call, message = ACTIONS[action]
    if not allowed(request.user):
        raise PermissionDenied
    url = item.get_absolute_url()
    return run_action(
        request,
        form_class(request.POST, prefix=action),
        lambda d: call(item, request.user, d),
        url,
        invalid=lambda form: _render(
            request, _get(request, pk), bound=form, bound_name=action, status=400
        ),
        message=str(message),
        not_allowed_url=url,
    )
