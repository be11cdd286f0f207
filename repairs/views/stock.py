"""Pages of the returned-stock processing application (呆滞/退货产品处理申请)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from network.visibility import user_org_unit
from service_ops.actions import (
    not_allowed,
    run_action,
)
from service_ops.paging import keyset_page
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import available_actions, run_transition

from ..forms import returns as f
from ..models import (
    ReturnedStockApplication,
    ReturnPolicy,
)
from ..permissions import may_file_returned_stock
from ..services import returns as rma

PAGE_SIZE = 25
STOCK_TRANSITIONS = {"start", "finish"}


# --- returned stock (呆滞/退货产品处理申请) ------------------------------------------------


@login_required
@require_GET
def returned_stock_list(request):
    rows = (
        ReturnedStockApplication.objects.visible_to(request.user)
        .select_related("filed_by", "filed_by_unit")
        .order_by("-id")
    )
    page = keyset_page(rows, request.GET, size=PAGE_SIZE)
    for row in page.object_list:
        row.actions = [a for a in available_actions(row, request.user) if a in STOCK_TRANSITIONS]
    return render(
        request,
        "repairs/returned_stock_list.html",
        {
            "page": page,
            "can_file": may_file_returned_stock(request.user),
            "threshold": ReturnPolicy.current().returned_stock_pmc_threshold,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def returned_stock_create(request):
    if not may_file_returned_stock(request.user):
        raise PermissionDenied
    unit = user_org_unit(request.user)
    if unit is None:
        raise PermissionDenied
    form = f.ReturnedStockForm(request.POST or None)

    def page(form, status=200):
        try:
            preview = int(form["quantity"].value() or 0)
        except (TypeError, ValueError):
            preview = 0
        return render(
            request,
            "repairs/returned_stock_form.html",
            {
                "form": form,
                "quantity": preview,
                "threshold": ReturnPolicy.current().returned_stock_pmc_threshold,
            },
            status=status,
        )

    if request.method != "POST":
        return page(form)
    return run_action(
        request,
        form,
        lambda data: rma.returned_stock_file(actor=request.user, filed_by_unit=unit, **data),
        reverse("repairs:returned_stock_list"),
        invalid=lambda form: page(form, status=400),
        message=lambda application: (
            _("已提交 %(no)s，分派：%(r)s")
            % {"no": application.number, "r": application.get_route_display()}
        ),
    )


@login_required
@require_GET
def returned_stock_route(request):
    """The route a quantity would take (htmx preview on the filing form)."""
    try:
        quantity = int(request.GET.get("quantity", ""))
    except ValueError:
        quantity = 0
    threshold = ReturnPolicy.current().returned_stock_pmc_threshold
    return render(
        request,
        "repairs/partials/route_preview.html",
        {"quantity": quantity, "threshold": threshold},
    )


@login_required
@require_POST
def returned_stock_transition(request, pk: int, transition: str):
    if transition not in STOCK_TRANSITIONS:
        raise Http404
    stock = get_object_or_404(ReturnedStockApplication.objects.visible_to(request.user), pk=pk)
    try:
        run_transition(
            ReturnedStockApplication,
            stock.pk,
            transition=transition,
            actor=request.user,
            channel=ActionChannel.WEB,
        )
    except TransitionNotAllowed:
        return not_allowed(request, reverse("repairs:returned_stock_list"))
    if transition == "start":
        messages.success(request, _("%(no)s 已开始处理") % {"no": stock.number})
    else:
        messages.success(request, _("%(no)s 已处理完成") % {"no": stock.number})
    return redirect("repairs:returned_stock_list")
