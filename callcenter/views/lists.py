"""Supervisors' callback lists (专项回访名单): the lists with their progress, the new-list form
with its htmx preview, and creating a list (then the supervisors' callback list, filtered by it).
Views stay thin: reads from selectors, the write through callcenter.services.lists."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from service_ops.actions import apply_service_errors
from service_ops.paging import keyset_page

from ..forms.callbacks import CallbackListForm
from ..permissions import may_assign_callbacks
from ..selectors import lists as sel
from ..services import lists as svc


def _require_supervisor(user):
    if not may_assign_callbacks(user=user):
        raise PermissionDenied


@login_required
@require_GET
def callback_lists(request):
    _require_supervisor(request.user)
    q = (request.GET.get("q") or "").strip()
    page = keyset_page(sel.callback_lists(request.user, q), request.GET)
    page.object_list = sel.with_progress(page.object_list)
    return render(request, "callcenter/lists/list.html", {"page": page, "q": q})


def _form_page(request, form, status=200):
    return render(
        request,
        "callcenter/lists/form.html",
        {"form": form, "limit": svc.DEFAULT_LIMIT, "preview_rows": svc.PREVIEW_ROWS},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def callback_list_new(request):
    _require_supervisor(request.user)
    if request.method == "GET":
        return _form_page(request, CallbackListForm())
    form = CallbackListForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    try:
        result = svc.callback_list_build(
            actor=request.user,
            name=form.cleaned_data["name"],
            note=form.cleaned_data["note"],
            filters=form.filters(),
            assign=form.cleaned_data["assign"],
        )
    except ValidationError as exc:
        apply_service_errors(exc, form)
        return _form_page(request, form, status=400)
    the_list = result.callback_list
    if result.no_agents:
        messages.warning(
            request,
            _("已生成回访名单 %(no)s（%(n)d 位客户）。现在没有在班坐席，任务在待分配池中。")
            % {"no": the_list.number, "n": the_list.size},
        )
    else:
        messages.success(
            request,
            _("已生成回访名单 %(no)s（%(n)d 位客户），分配 %(a)d 条给 %(p)d 位在班坐席")
            % {
                "no": the_list.number,
                "n": the_list.size,
                "a": result.assigned,
                "p": len([v for v in result.given.values() if v]),
            },
        )
    return redirect(reverse("callcenter:callback_list") + "?" + urlencode({"batch": the_list.pk}))


@login_required
@require_GET
def callback_list_preview(request):
    """The htmx preview of the form: how many customers match and the first of them."""
    _require_supervisor(request.user)
    form = CallbackListForm(request.GET)
    context = {"form": form, "preview_rows": svc.PREVIEW_ROWS, "limit": svc.DEFAULT_LIMIT}
    if form.is_valid():
        try:
            count, rows = svc.preview(actor=request.user, filters=form.filters())
        except ValidationError as exc:
            apply_service_errors(exc, form)
        else:
            context.update(count=count, rows=rows, over=count > svc.DEFAULT_LIMIT)
    return render(request, "callcenter/lists/_preview.html", context)
