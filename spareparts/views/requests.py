"""Part requests (配件申请): the list (scoped: a unit sees its own warehouses' requests), a new
request for one of the user's warehouses, the request with its steps. A request outside the
viewer's scope is 404; a step not allowed in its state 409; bad input 400."""

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

from ..choices import RequestState
from ..forms.requests import ReasonForm, RequestForm
from ..permissions import (
    is_parts_staff,
    may_approve_request,
    may_operate,
    requestable_warehouses,
)
from ..selectors.requests import part_requests
from ..services import requests as svc
from .common import show_error

ACTIONS = ("approve", "reject", "pick", "ship", "receive")


def _requestable(user):
    return requestable_warehouses(user).order_by("code")


@login_required
@require_GET
def request_list(request):
    state = request.GET.get("state", "")
    state = state if state in RequestState.values else ""
    page = keyset_page(part_requests(request.user, state=state), request.GET)
    return render(
        request,
        "spareparts/request_list.html",
        {
            "page": page,
            "state": state,
            "states": RequestState.choices,
            "may_request": _requestable(request.user).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    warehouses = _requestable(request.user)
    if not warehouses.exists():
        raise PermissionDenied
    initial = {}  # the reorder screen's link: a warehouse, a part and how many
    if request.GET.get("warehouse", "").isdigit():
        initial["warehouse"] = int(request.GET["warehouse"][:12])
    if request.GET.get("part"):
        initial["part_1"] = request.GET["part"][:40]
    if request.GET.get("quantity", "").isdigit():
        initial["quantity_1"] = int(request.GET["quantity"][:4])
    form = RequestForm(request.POST or None, warehouses=warehouses, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            created = svc.part_request_create(
                warehouse=form.cleaned_data["warehouse"],
                lines=form.cleaned_data["lines"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("配件申请 %(no)s 已提交") % {"no": created.number})
            return redirect(created.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "spareparts/request_new.html", {"form": form}, status=status)


def _page(request, obj, *, reason=None, status=200):
    user = request.user
    lines = list(obj.lines.select_related("part"))
    staff = is_parts_staff(user)
    return render(
        request,
        "spareparts/request_detail.html",
        {
            "req": obj,
            "lines": lines,
            "may_approve": obj.state == RequestState.REQUESTED and may_approve_request(user),
            "may_reject": obj.state in (RequestState.REQUESTED, RequestState.APPROVED)
            and may_approve_request(user),
            "may_pick": obj.state == RequestState.APPROVED and staff,
            "may_ship": obj.state == RequestState.PICKED and staff,
            "may_receive": obj.state == RequestState.SHIPPED and may_operate(user, obj.warehouse),
            "reason_form": reason or ReasonForm(),
            "log": log_of(obj),
        },
        status=status,
    )


def _visible(request, pk):
    return get_object_or_404(part_requests(request.user).select_related("source_warehouse"), pk=pk)


@login_required
@require_GET
def request_detail(request, pk: int):
    return _page(request, _visible(request, pk))


def _quantities(post, lines) -> dict[int, int]:
    out = {}
    for line in lines:
        raw = (post.get(f"approved_{line.pk}") or "").strip()
        if raw:
            try:
                out[line.pk] = int(raw)
            except ValueError as exc:
                raise ValidationError({"quantities": [_("批准数量须为整数")]}) from exc
    return out


@login_required
@require_POST
def request_act(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    obj = _visible(request, pk)
    user = request.user
    reason = ReasonForm(request.POST)
    try:
        if action == "approve":
            svc.part_request_approve(
                request_id=obj.pk,
                actor=user,
                quantities=_quantities(request.POST, obj.lines.all()),
            )
            messages.success(request, _("已审批"))
        elif action == "reject":
            reason.is_valid()
            try:
                svc.part_request_reject(
                    request_id=obj.pk, actor=user, reason=reason.cleaned_data.get("reason", "")
                )
            except ValidationError as exc:
                show_error(reason, exc)
                return _page(request, obj, reason=reason, status=400)
            messages.success(request, _("已驳回"))
        elif action == "pick":
            svc.part_request_pick(request_id=obj.pk, actor=user)
            messages.success(request, _("已备货，配件已在总部配件仓预留"))
        elif action == "ship":
            svc.part_request_ship(request_id=obj.pk, actor=user)
            messages.success(request, _("已发货"))
        else:
            svc.part_request_receive(request_id=obj.pk, actor=user)
            messages.success(request, _("已收货，配件已入库"))
    except TransitionNotAllowed:
        obj.refresh_from_db()
        messages.error(request, _("申请单的状态已改变，不能执行此操作"))
        return _page(request, obj, status=409)
    except ValidationError as exc:
        obj.refresh_from_db()
        messages.error(request, " ".join(exc.messages))
        return _page(request, obj, status=400)
    return redirect(obj.get_absolute_url())
