"""The penalty pages: the proposal on a complaint, a penalty's page with the head of customer
service's decision, the ledger list (台账) with its Excel export, and one person's ledger.
Thin: scope through the selectors, validate with the forms, change through the services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from network.models import OrgUnit
from service_ops.actions import run_action
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of

from .. import permissions as perms
from ..choices import PenaltyState
from ..exports import XLSX_CONTENT_TYPE, penalty_workbook
from ..forms import penalties as f
from ..selectors import complaints as complaint_sel
from ..selectors import penalties as sel
from ..services import penalties as svc

EXPORT_LIMIT = 5_000


def _id(value) -> int | None:
    try:
        key = int(value)
    except (TypeError, ValueError):
        return None
    return key if key > 0 else None


@login_required
@require_http_methods(["GET", "POST"])
def penalty_new(request, pk: int):
    """提出处罚, from the complaint page: the responsible person recorded by the investigation
    comes filled in."""
    if not perms.may_use_desk(request.user):
        raise PermissionDenied
    complaint = complaint_sel.complaint_for(request.user, pk)
    if complaint is None:
        raise Http404
    if not perms.may_propose_penalty(complaint, request.user):
        raise PermissionDenied
    url = complaint.get_absolute_url()

    def page(form, status=200):
        return render(
            request,
            "complaints/penalty_new.html",
            {"complaint": complaint, "form": form},
            status=status,
        )

    if request.method == "POST":
        form = f.PenaltyProposeForm(request.POST)
        return run_action(
            request,
            form,
            lambda d: svc.penalty_propose(
                complaint=complaint,
                actor=request.user,
                person=d["person"],
                kind=d["kind"],
                amount=d["amount"],
                manager=d["manager"],
                manager_kind=d["manager_kind"],
                manager_amount=d["manager_amount"],
                reason=d["reason"],
            ),
            url + "#penalties",
            invalid=lambda form: page(form, 400),
            message=_("处罚已提出，待客服部部长确认"),
        )
    initial = {"person": complaint.responsible_person_id}
    return page(f.PenaltyProposeForm(initial=initial))


def _penalty(request, pk):
    penalty = sel.penalty_for(request.user, pk)
    if penalty is None:
        raise Http404
    return penalty


def _render_penalty(request, penalty, *, bound=None, bound_name="", status=200):
    forms = {}
    if penalty.state == PenaltyState.PROPOSED and perms.may_decide_penalty(request.user):
        forms["confirm"] = f.PenaltyConfirmForm(prefix="confirm")
        forms["waive"] = f.PenaltyWaiveForm(prefix="waive")
        if bound is not None:
            forms[bound_name] = bound
    return render(
        request,
        "complaints/penalty_detail.html",
        {"penalty": penalty, "forms": forms, "log": list(log_of(penalty))},
        status=status,
    )


@login_required
@require_GET
def penalty_detail(request, pk: int):
    return _render_penalty(request, _penalty(request, pk))


ACTIONS = {
    "confirm": (
        f.PenaltyConfirmForm,
        lambda p, u, d: svc.penalty_confirm(penalty=p, actor=u, amount=d["amount"], note=d["note"]),
    ),
    "waive": (
        f.PenaltyWaiveForm,
        lambda p, u, d: svc.penalty_waive(penalty=p, actor=u, note=d["note"]),
    ),
}


@login_required
@require_POST
def penalty_act(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    penalty = _penalty(request, pk)
    if not perms.may_decide_penalty(request.user):
        raise PermissionDenied
    form_class, call = ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    url = penalty.get_absolute_url()
    return run_action(
        request,
        form,
        lambda d: call(penalty, request.user, d),
        url,
        invalid=lambda form: _render_penalty(
            request, _penalty(request, pk), bound=form, bound_name=action, status=400
        ),
        message=_("已确认") if action == "confirm" else _("已免除"),
        not_allowed_url=url,
    )


def _filters(request) -> dict:
    state = request.GET.get("state", "")
    return {
        "person_id": _id(request.GET.get("person")),
        "unit_id": _id(request.GET.get("unit")),
        "state": state if state in PenaltyState.values else "",
        "month": sel.parse_month(request.GET.get("month", "")),
    }


def _readers_only(request):
    if not perms.may_read_ledgers(request.user):
        raise PermissionDenied


@login_required
@require_GET
def penalty_list(request):
    """台账: every penalty the reader may see, filtered; keyset-paged."""
    _readers_only(request)
    filters = _filters(request)
    page = keyset_page(sel.penalty_list(request.user, **filters), request.GET)
    person = (
        get_user_model().objects.filter(pk=filters["person_id"]).first()
        if filters["person_id"]
        else None
    )
    unit = OrgUnit.objects.filter(pk=filters["unit_id"]).first() if filters["unit_id"] else None
    return render(
        request,
        "complaints/penalty_list.html",
        {
            "page": page,
            "filters": filters,
            "person": person,
            "unit": unit,
            "month": request.GET.get("month", "") if filters["month"] else "",
            "states": PenaltyState.choices,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def penalty_export(request):
    """The filtered list as an Excel workbook (at most EXPORT_LIMIT rows, newest first)."""
    _readers_only(request)
    rows = list(sel.penalty_list(request.user, **_filters(request)).order_by("-pk")[:EXPORT_LIMIT])
    response = HttpResponse(penalty_workbook(rows, limit=EXPORT_LIMIT), XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="complaint-penalties-{stamp}.xlsx"'
    return response


@login_required
@require_GET
def ledger(request, user_pk: int):
    """One person's ledger: their penalties (pending, confirmed, waived) and the totals per year.
    The person themself, or a ledger reader (the rows of their scope)."""
    person = get_object_or_404(get_user_model(), pk=user_pk)
    if not sel.may_see_ledger(request.user, person):
        raise PermissionDenied
    rows = sel.penalties(request.user).filter(person=person)
    page = keyset_page(rows, request.GET)
    return render(
        request,
        "complaints/ledger.html",
        {
            "person": person,
            "page": page,
            "totals": sel.ledger_totals(rows),
            "own": person.pk == request.user.pk,
        },
    )
