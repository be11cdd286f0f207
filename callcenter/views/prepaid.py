"""The network specialist's prepaid pages (预存款): dealers' and service points' balances, one
unit's ledger, and the top-up form (登记充值) that posts a TOP_UP entry through
callcenter.services.prepaid.prepaid_top_up (network.services.prepaid_post underneath)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from network.choices import PARTNER_KINDS, OrgKind
from service_ops.actions import run_action
from service_ops.paging import keyset_page

from ..forms.prepaid import TopUpForm
from ..permissions import is_activation_staff
from ..selectors.prepaid import ledger_of, partner_unit_visible_to, prepaid_units_visible_to
from ..services.activation import activation_fee
from ..services.prepaid import prepaid_top_up


def _staff_only(request) -> None:
    if not is_activation_staff(request.user):
        raise PermissionDenied


def _unit(request, pk: int):
    _staff_only(request)
    unit = partner_unit_visible_to(request.user, pk)
    if unit is None:
        raise Http404
    return unit


@login_required
@require_GET
def prepaid_unit_list(request):
    _staff_only(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in PARTNER_KINDS else ""
    q = request.GET.get("q", "").strip()[:60]
    low = request.GET.get("low") == "1"
    units = prepaid_units_visible_to(request.user, kind=kind, q=q, low=low)
    return render(
        request,
        "callcenter/prepaid_unit_list.html",
        {
            "page": keyset_page(units, request.GET),
            "kind": kind,
            "q": q,
            "low": low,
            "fee": activation_fee(),
            "kinds": [
                (OrgKind.SERVICE_POINT.value, OrgKind.SERVICE_POINT.label),
                (OrgKind.DEALER.value, OrgKind.DEALER.label),
            ],
        },
    )


@login_required
@require_GET
def prepaid_ledger(request, pk: int):
    unit = _unit(request, pk)
    account, entries = ledger_of(unit)
    return render(
        request,
        "callcenter/prepaid_ledger.html",
        {"unit": unit, "account": account, "page": keyset_page(entries, request.GET)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def prepaid_top_up_page(request, pk: int):
    unit = _unit(request, pk)
    ledger = reverse("callcenter:prepaid_ledger", args=[unit.pk])
    form = TopUpForm(request.POST or None, initial={"form_key": uuid.uuid4()})

    def page(form, status=200):
        account, _entries = ledger_of(unit)
        return render(
            request,
            "callcenter/prepaid_top_up.html",
            {"unit": unit, "account": account, "form": form},
            status=status,
        )

    if request.method != "POST":
        return page(form)

    def done(result):
        top_up, created = result
        if created:
            return _("已入账 ¥%(amount)s（%(ref)s），%(unit)s 余额 ¥%(balance)s") % {
                "amount": top_up.amount,
                "ref": top_up.bank_reference,
                "unit": unit.name,
                "balance": top_up.entry.balance_after,
            }
        return (
            messages.INFO,
            _("这笔充值已入账（%(ref)s），重复提交未再次入账") % {"ref": top_up.bank_reference},
        )

    return run_action(
        request,
        form,
        lambda data: prepaid_top_up(
            actor=request.user,
            org_unit=unit,
            amount=data["amount"],
            bank_reference=data["bank_reference"],
            form_key=data["form_key"],
            note=data["note"],
        ),
        ledger,
        invalid=lambda form: page(form, status=400),
        message=done,
    )
