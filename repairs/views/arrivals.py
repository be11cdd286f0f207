"""Pages of unauthorised arrivals (未经申请擅自返回), their penalties, the happy fund (快乐基金)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from network.visibility import sees_everything
from service_ops.actions import (
    run_action,
    safe_next,
)
from service_ops.paging import keyset_page
from service_ops.transitions.models import ActionChannel

from ..choices import PenaltyState
from ..forms import arrivals as f
from ..models import HappyFundEntry
from ..permissions import (
    may_decide_penalties,
    may_receive,
)
from ..selectors.arrivals import visible_arrivals, visible_penalties
from ..services import arrivals as penalty_services

PAGE_SIZE = 25
WEB = ActionChannel.WEB


# --- unauthorised arrivals, penalties, happy fund ----------------------------------------------


@login_required
@require_GET
def arrival_list(request):
    arrivals = visible_arrivals(request.user).annotate(
        open_penalties=Count("penalties", filter=_proposed_q())
    )
    page = keyset_page(arrivals, request.GET, size=PAGE_SIZE)
    return render(
        request,
        "repairs/arrival_list.html",
        {"page": page, "can_record": may_receive(request.user)},
    )


def _proposed_q():
    return Q(penalties__state=PenaltyState.PROPOSED)


@login_required
@require_http_methods(["GET", "POST"])
def arrival_create(request):
    if not may_receive(request.user):
        raise PermissionDenied
    form = f.ArrivalForm(request.POST or None, user=request.user)
    if request.method != "POST":
        return render(request, "repairs/arrival_form.html", {"form": form})
    return run_action(
        request,
        form,
        lambda data: penalty_services.arrival_record(
            actor=request.user,
            shipper_unit=data["shipper_unit"],
            units=data["units"],
            description=data["description"],
            return_carrier=data["return_carrier"],
            return_tracking=data["return_tracking"],
            arrived_at=data.get("arrived_at"),
        ),
        lambda arrival: arrival.get_absolute_url(),
        invalid=lambda form: render(
            request, "repairs/arrival_form.html", {"form": form}, status=400
        ),
        message=lambda arrival: (
            _("已登记 %(no)s：拒收并退回，负激励待客服部部长确认") % {"no": arrival.number}
        ),
    )


def _render_arrival(request, arrival, *, bound=None, status=200):
    penalties = list(arrival.penalties.select_related("person", "org_unit", "decided_by"))
    can_decide = may_decide_penalties(request.user)
    for penalty in penalties:
        if can_decide and penalty.state == PenaltyState.PROPOSED:
            penalty.confirm_form = (bound or {}).get(("confirm", penalty.pk)) or (
                f.PenaltyConfirmForm(penalty=penalty)
            )
            penalty.waive_form = (bound or {}).get(("waive", penalty.pk)) or f.PenaltyWaiveForm(
                penalty=penalty
            )
    return render(
        request,
        "repairs/arrival_detail.html",
        {"arrival": arrival, "penalties": penalties, "can_decide": can_decide},
        status=status,
    )


@login_required
@require_GET
def arrival_detail(request, pk: int):
    return _render_arrival(request, get_object_or_404(visible_arrivals(request.user), pk=pk))


def _penalty_action(request, pk: int, form_class, service_call, message: str):
    penalty = get_object_or_404(visible_penalties(request.user), pk=pk)
    if not may_decide_penalties(request.user):
        raise PermissionDenied
    arrival_url = penalty.arrival.get_absolute_url()

    def invalid(form):
        arrival = get_object_or_404(visible_arrivals(request.user), pk=penalty.arrival_id)
        action = "confirm" if form_class is f.PenaltyConfirmForm else "waive"
        return _render_arrival(request, arrival, bound={(action, penalty.pk): form}, status=400)

    return run_action(
        request,
        form_class(request.POST, penalty=penalty),
        lambda data: service_call(penalty, data),
        safe_next(request, arrival_url),
        invalid=invalid,
        not_allowed_url=arrival_url,
        message=message % {"p": penalty},
    )


@login_required
@require_POST
def penalty_confirm(request, pk: int):
    return _penalty_action(
        request,
        pk,
        f.PenaltyConfirmForm,
        lambda penalty, data: penalty_services.penalty_confirm(
            penalty_id=penalty.pk, actor=request.user, amount=data["amount"], channel=WEB
        ),
        _("已确认：%(p)s"),
    )


@login_required
@require_POST
def penalty_waive(request, pk: int):
    return _penalty_action(
        request,
        pk,
        f.PenaltyWaiveForm,
        lambda penalty, data: penalty_services.penalty_waive(
            penalty_id=penalty.pk, actor=request.user, note=data["note"], channel=WEB
        ),
        _("已免除：%(p)s"),
    )


@login_required
@require_GET
def penalty_list(request):
    state = request.GET.get("state", "")
    penalties = visible_penalties(request.user)
    if state in PenaltyState.values:
        penalties = penalties.filter(state=state)
    page = keyset_page(penalties, request.GET, size=PAGE_SIZE)
    return render(
        request,
        "repairs/penalty_list.html",
        {"page": page, "state": state, "states": PenaltyState.choices},
    )


@login_required
@require_GET
def happy_fund(request):
    if not (sees_everything(request.user) or may_decide_penalties(request.user)):
        raise PermissionDenied
    entries = HappyFundEntry.objects.select_related("created_by", "penalty__arrival").order_by(
        "-id"
    )
    page = keyset_page(entries, request.GET, size=PAGE_SIZE)
    return render(
        request,
        "repairs/happy_fund.html",
        {
            "page": page,
            "balance": penalty_services.fund_balance(),
            "total_in": penalty_services.fund_total_in(),
        },
    )
