"""Stock counts (盘点): the list, a new sheet, the sheet (enter counts while it is being counted,
submit; approve or reject when it waits for the supervisor). A sheet of a warehouse outside the
viewer's scope is 404; a step not allowed in the sheet's state is 409."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of

from ..choices import CountState
from ..forms.stock import CountLinesForm, CountNewForm, DecisionForm
from ..permissions import may_approve_count, may_operate
from ..selectors.stock import counts
from ..services import counts as svc
from .common import show_error
from .stock import _ids_queryset, _operable

ACTIONS = ("save", "submit", "approve", "reject")


@login_required
@require_GET
def count_list(request):
    state = request.GET.get("state", "")
    state = state if state in CountState.values else ""
    page = keyset_page(counts(request.user, state=state), request.GET)
    return render(
        request,
        "spareparts/count_list.html",
        {
            "page": page,
            "state": state,
            "states": CountState.choices,
            "may_count": bool(_operable(request.user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def count_new(request):
    operable = _operable(request.user)
    if not operable:
        raise PermissionDenied
    form = CountNewForm(request.POST or None, warehouses=_ids_queryset(operable))
    if request.method == "POST" and form.is_valid():
        try:
            count = svc.count_open(
                warehouse=form.cleaned_data["warehouse"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            show_error(form, exc)
        else:
            return redirect("spareparts:count_detail", pk=count.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "spareparts/count_new.html", {"form": form}, status=status)


def _visible_count(request, pk):
    return get_object_or_404(counts(request.user), pk=pk)


def _page(request, count, *, lines_form=None, decision=None, status=200):
    lines = list(count.lines.select_related("part"))
    editable = count.state == CountState.DRAFT and may_operate(request.user, count.warehouse)
    if lines_form is None and editable:
        lines_form = CountLinesForm(lines=lines)
    return render(
        request,
        "spareparts/count_detail.html",
        {
            "count": count,
            "lines": lines,
            "lines_form": lines_form,
            "editable": editable,
            "may_decide": count.state == CountState.COUNTED
            and may_approve_count(request.user, count),
            "decision": decision or DecisionForm(),
            "log": log_of(count),
        },
        status=status,
    )


@login_required
@require_GET
def count_detail(request, pk: int):
    count = _visible_count(request, pk)
    return _page(request, count)


@login_required
@require_POST
def count_act(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    count = _visible_count(request, pk)
    try:
        if action in ("save", "submit"):
            lines = list(count.lines.select_related("part"))
            form = CountLinesForm(request.POST, lines=lines)
            if not form.is_valid():
                return _page(request, count, lines_form=form, status=400)
            if count.state != CountState.DRAFT:
                raise TransitionNotAllowed("the count is no longer being counted")
            svc.count_enter(count_id=count.pk, counted=form.counted(), actor=request.user)
            if action == "submit":
                svc.count_submit(count_id=count.pk, actor=request.user)
                messages.success(request, _("盘点单已提交，等待配件仓主管审批"))
            else:
                messages.success(request, _("已保存实盘数量"))
        else:
            decision = DecisionForm(request.POST)
            if not decision.is_valid():
                return _page(request, count, decision=decision, status=400)
            comment = decision.cleaned_data["comment"]
            try:
                if action == "approve":
                    svc.count_approve(count_id=count.pk, actor=request.user, comment=comment)
                    messages.success(request, _("盘点已审批，差异已调整库存"))
                else:
                    svc.count_reject(count_id=count.pk, actor=request.user, comment=comment)
                    messages.success(request, _("盘点单已驳回"))
            except ValidationError as exc:
                show_error(decision, exc)
                count.refresh_from_db()
                return _page(request, count, decision=decision, status=400)
    except TransitionNotAllowed:
        count.refresh_from_db()
        messages.error(request, _("盘点单的状态已改变，不能执行此操作"))
        return _page(request, count, status=409)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        count.refresh_from_db()
        return _page(request, count, status=400)
    return redirect("spareparts:count_detail", pk=count.pk)
