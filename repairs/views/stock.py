"""Pages of the returned-stock processing application (呆滞/退货产品处理申请): the list, filing,
the detail page with the one step due now, the open production task orders and the printable
task order. Thin: scope, permission for the page, form, service (repairs.services.stock)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from network.visibility import user_org_unit
from service_ops.actions import run_action
from service_ops.paging import keyset_page
from service_ops.selectors import annotate_time_left
from service_ops.transitions.services import log_of

from ..choices import ReturnedStockRoute, ReturnedStockState
from ..forms import stock as f
from ..models import ReturnedStockApplication, ReturnPolicy
from ..permissions import (
    may_check_stock,
    may_file_returned_stock,
    may_finish_stock,
    may_handle_stock_logistics,
    may_take_stock,
)
from ..selectors.stock import stock_list, task_order_page, task_orders
from ..services import stock as svc

PAGE_SIZE = 25


@dataclass(frozen=True)
class Step:
    """The one step a returned-stock application waits for in a state."""

    state: str
    title: Any
    allowed: Any  # (user, application) -> bool
    form: Any  # (data, application) -> Form
    call: Any  # (application, user, cleaned_data) -> application
    done: Any  # success message


STEPS = {
    "collect": Step(
        ReturnedStockState.ROUTED,
        gettext_lazy("通知司机提货"),
        lambda user, app: may_handle_stock_logistics(user),
        lambda data, app: f.CollectForm(data),
        lambda app, user, d: svc.returned_stock_collect(application_id=app.pk, actor=user, **d),
        gettext_lazy("已登记司机提货"),
    ),
    "check": Step(
        ReturnedStockState.COLLECTED,
        gettext_lazy("验货核对清单"),
        lambda user, app: may_check_stock(user),
        lambda data, app: f.CheckForm(data, application=app),
        None,  # needs the form's counts(): see _call
        gettext_lazy("已验货"),
    ),
    "issue": Step(
        ReturnedStockState.CHECKED,
        gettext_lazy("制定领机维修期限并派生产任务单"),
        lambda user, app: may_handle_stock_logistics(user),
        lambda data, app: f.IssueForm(data),
        lambda app, user, d: svc.returned_stock_issue(application_id=app.pk, actor=user, **d),
        gettext_lazy("已派生产任务单"),
    ),
    "take": Step(
        ReturnedStockState.ISSUED,
        gettext_lazy("领机签收"),
        may_take_stock,
        lambda data, app: f.TakeForm(data, pmc=app.route == ReturnedStockRoute.PMC),
        lambda app, user, d: svc.returned_stock_take(application_id=app.pk, actor=user, **d),
        gettext_lazy("已领机签收"),
    ),
    "finish": Step(
        ReturnedStockState.IN_PROCESS,
        gettext_lazy("处理完成"),
        may_finish_stock,
        lambda data, app: f.FinishForm(data),
        lambda app, user, d: svc.returned_stock_finish(application_id=app.pk, actor=user, **d),
        gettext_lazy("已处理完成"),
    ),
}
STEP_OF_STATE = {step.state: name for name, step in STEPS.items()}


def _visible(user, pk: int) -> ReturnedStockApplication:
    return get_object_or_404(stock_list(user), pk=pk)


def _render_detail(request, application, *, action=None, form=None, status=200):
    if action is None:
        action = STEP_OF_STATE.get(application.state)
        step = STEPS.get(action)
        if step is not None and step.allowed(request.user, application):
            form = step.form(None, application)
        else:
            action = None
    timer = svc.last_timer(application) if application.task_order_number else None
    if timer is not None and timer.is_open:
        annotate_time_left(timer, timezone.now())
    log = list(log_of(application))
    labels = dict(ReturnedStockState.choices)
    for entry in log:
        entry.state_label = labels.get(entry.to_state, entry.to_state)
    return render(
        request,
        "repairs/returned_stock_detail.html",
        {
            "application": application,
            "lines": list(application.lines.all()),
            "timer": timer,
            "log": log,
            "action": action,
            "step": STEPS.get(action) if action else None,
            "form": form,
        },
        status=status,
    )


# --- list, filing -----------------------------------------------------------------------------


@login_required
@require_GET
def returned_stock_list(request):
    rows = stock_list(request.user)
    state = request.GET.get("state", "")
    if state in ReturnedStockState.values:
        rows = rows.filter(state=state)
    page = keyset_page(rows, request.GET, size=PAGE_SIZE)
    return render(
        request,
        "repairs/returned_stock_list.html",
        {
            "page": page,
            "state": state,
            "states": ReturnedStockState.choices,
            "can_file": may_file_returned_stock(request.user),
            "threshold": ReturnPolicy.current().returned_stock_pmc_threshold,
        },
    )


def _quantity_of(text: str) -> int:
    try:
        return sum(line.quantity for line in f.parse_stock_lines(text))
    except Exception:  # a preview: whatever was typed so far
        return 0


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
        return render(
            request,
            "repairs/returned_stock_form.html",
            {
                "form": form,
                "quantity": _quantity_of(form["lines"].value() or ""),
                "threshold": ReturnPolicy.current().returned_stock_pmc_threshold,
            },
            status=status,
        )

    if request.method != "POST":
        return page(form)
    return run_action(
        request,
        form,
        lambda data: svc.returned_stock_file(actor=request.user, filed_by_unit=unit, **data),
        lambda application: application.get_absolute_url(),
        invalid=lambda form: page(form, status=400),
        message=lambda application: (
            _("已提交 %(no)s，分派：%(r)s")
            % {"no": application.number, "r": application.get_route_display()}
        ),
    )


@login_required
@require_GET
def returned_stock_route(request):
    """The route a list (or a quantity) would take (htmx preview on the filing form)."""
    if "lines" in request.GET:
        quantity = _quantity_of(request.GET["lines"])
    else:
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


# --- one application and its steps -------------------------------------------------------


@login_required
@require_GET
def returned_stock_detail(request, pk: int):
    return _render_detail(request, _visible(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def returned_stock_act(request, pk: int, action: str):
    """GET: the detail page with this step's form. POST: validate and call the service; its
    errors land on the form (400), a step the state no longer allows says so (409 to htmx)."""
    step = STEPS.get(action)
    if step is None:
        raise Http404
    application = _visible(request.user, pk)
    if not step.allowed(request.user, application):
        raise PermissionDenied
    form = step.form(request.POST or None, application)
    if request.method != "POST":
        return _render_detail(request, application, action=action, form=form)

    def call(data):
        if action == "check":
            return svc.returned_stock_check(
                application_id=application.pk,
                actor=request.user,
                counts=form.counts(),
                note=data.get("note", ""),
            )
        return step.call(application, request.user, data)

    return run_action(
        request,
        form,
        call,
        lambda app: app.get_absolute_url(),
        invalid=lambda form: _render_detail(
            request, application, action=action, form=form, status=400
        ),
        message=lambda app: f"{app.number}：{step.done}",
        not_allowed_url=application.get_absolute_url(),
    )


# --- production task orders (生产任务单) ----------------------------------------------------


@login_required
@require_GET
def task_order_list(request):
    """Open task orders, 按紧重或先后顺序: urgent first, then in the order the goods came in."""
    page = task_order_page(task_orders(request.user), request.GET, size=PAGE_SIZE)
    return render(request, "repairs/task_order_list.html", {"page": page})


@login_required
@require_GET
def task_order_print(request, pk: int):
    application = _visible(request.user, pk)
    if not application.task_order_number:
        raise Http404
    return render(
        request,
        "repairs/task_order_print.html",
        {
            "application": application,
            "lines": list(application.lines.all()),
            "timer": svc.last_timer(application),
        },
    )
