"""Collections (收款): finance's desk (收款台: totals, transfers to confirm, receivables past
due), the receivables list (keyset, filters partner, branch, state, overdue; Excel), a
receivable with its payments and transfers (write-off, propose a 划账, confirm or reject it),
recording a payment for a partner, a payment (reversal), the ageing page (chart and tables by
branch and by partner; Excel), a partner's statement of account (对账单; Excel), and the
partner's own view (我的往来账).

Outside the viewer's scope 404; not allowed for the viewer 403; bad input 400 with the form;
a step the state no longer allows 409 (htmx) or a message and a redirect."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from network.models import OrgUnit
from network.visibility import user_org_unit
from service_ops.actions import run_action
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of

from .. import permissions as perm
from ..choices import RECEIVABLE_OPEN_STATES, PaymentState, TransferState
from ..collection_exports import account_workbook, ageing_workbook
from ..exports import XLSX_CONTENT_TYPE
from ..forms import collections as forms
from ..models.collections import Transfer
from ..selectors import collections as sel
from ..services import collections as svc

DESK_SHOWN = 10


def _desk_or_partner(user) -> None:
    if not (perm.may_see_collection_desk(user) or perm.may_see_own_account(user)):
        raise PermissionDenied


def _desk(user) -> None:
    if not perm.may_see_collection_desk(user):
        raise PermissionDenied


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the desk ------------------------------------------------------------------------------------


@login_required
@require_GET
def collection_desk(request):
    user = request.user
    _desk(user)
    today = timezone.localdate()
    return render(
        request,
        "repairs/collections/desk.html",
        {
            "counts": sel.desk_counts(user, today=today),
            "overdue": list(
                sel.receivables(user, overdue=True, today=today).order_by("due_on", "pk")[
                    :DESK_SHOWN
                ]
            ),
            "proposed": list(
                sel.transfers(user, state=TransferState.PROPOSED).order_by("proposed_at", "pk")[
                    :DESK_SHOWN
                ]
            ),
            "ageing": sel.ageing(user, today=today, by="branch"),
            "may_collect": perm.may_collect(user),
            "today": today,
        },
    )


# --- receivables ---------------------------------------------------------------------------------


def _filtered(request):
    user = request.user
    filters = forms.ReceivableFilterForm(request.GET or None, user=user)
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    qs = sel.receivables(
        user,
        partner_id=data["partner"].pk if data.get("partner") else None,
        branch_id=data["branch"].pk if data.get("branch") else None,
        state=data.get("state") or "",
        overdue=bool(data.get("overdue")),
        today=timezone.localdate(),
    )
    return filters, qs


@login_required
@require_GET
def receivable_list(request):
    _desk_or_partner(request.user)
    filters, qs = _filtered(request)
    return render(
        request,
        "repairs/collections/receivable_list.html",
        {
            "filters": filters,
            "page": keyset_page(qs, request.GET),
            "today": timezone.localdate(),
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def receivable_export(request):
    """The filtered open receivables and the ageing, as Excel."""
    _desk_or_partner(request.user)
    _filters, qs = _filtered(request)
    today = timezone.localdate()
    content = ageing_workbook(
        request.user, today=today, receivables=qs.filter(state__in=RECEIVABLE_OPEN_STATES)
    )
    return _xlsx(content, f"receivables-{today:%Y%m%d}.xlsx")


def _visible_receivable(request, pk):
    _desk_or_partner(request.user)
    return get_object_or_404(sel.receivables(request.user), pk=pk)


def _receivable_page(request, receivable, *, transfer_form=None, reason_form=None, status=200):
    user = request.user
    collects = perm.may_collect(user)
    is_open = receivable.state in RECEIVABLE_OPEN_STATES
    proposes = is_open and perm.may_propose_transfer(user, receivable)
    transfers = list(
        Transfer.objects.filter(receivable=receivable).select_related("proposed_by", "payment")
    )
    return render(
        request,
        "repairs/collections/receivable_detail.html",
        {
            "r": receivable,
            "allocations": list(sel.allocations_of_receivable(receivable)),
            "transfers": transfers,
            "may_collect": collects,
            "may_write_off": collects and is_open,
            "reason_form": reason_form or (forms.ReasonForm() if collects and is_open else None),
            "transfer_form": transfer_form or (forms.TransferForm() if proposes else None),
            "days_past_due": receivable.days_past_due(timezone.localdate()),
            "log": log_of(receivable),
        },
        status=status,
    )


@login_required
@require_GET
def receivable_detail(request, pk: int):
    return _receivable_page(request, _visible_receivable(request, pk))


@login_required
@require_POST
def receivable_write_off(request, pk: int):
    receivable = _visible_receivable(request, pk)
    if not perm.may_collect(request.user):
        raise PermissionDenied
    form = forms.ReasonForm(request.POST)
    return run_action(
        request,
        form,
        lambda d: svc.receivable_write_off(
            receivable_id=receivable.pk, actor=request.user, reason=d["reason"]
        ),
        receivable.get_absolute_url(),
        invalid=lambda f: _receivable_page(request, receivable, reason_form=f, status=400),
        message=_("已核销应收款余额"),
    )


@login_required
@require_POST
def transfer_propose(request, pk: int):
    receivable = _visible_receivable(request, pk)
    if not perm.may_propose_transfer(request.user, receivable):
        raise PermissionDenied
    form = forms.TransferForm(request.POST)
    return run_action(
        request,
        form,
        lambda d: svc.transfer_propose(receivable_id=receivable.pk, actor=request.user, **d),
        receivable.get_absolute_url(),
        invalid=lambda f: _receivable_page(request, receivable, transfer_form=f, status=400),
        message=_("划账已提出，待财务确认"),
    )


@login_required
@require_POST
def transfer_act(request, pk: int, action: str):
    if action not in ("confirm", "reject"):
        raise Http404
    _desk(request.user)
    transfer = get_object_or_404(sel.transfers(request.user), pk=pk)
    if not perm.may_collect(request.user):
        raise PermissionDenied
    receivable = transfer.receivable
    if action == "confirm":
        form = forms.ConfirmForm(request.POST)
        call = lambda d: svc.transfer_confirm(transfer_id=transfer.pk, actor=request.user)  # noqa: E731
        text = _("划账已确认入账")
    else:
        form = forms.ReasonForm(request.POST)
        call = lambda d: svc.transfer_reject(  # noqa: E731
            transfer_id=transfer.pk, actor=request.user, reason=d["reason"]
        )
        text = _("划账已退回调度员")
    return run_action(
        request,
        form,
        call,
        receivable.get_absolute_url(),
        invalid=lambda f: _receivable_page(request, receivable, reason_form=f, status=400),
        message=text,
    )


# --- payments ------------------------------------------------------------------------------------


def _payment_partner(request) -> OrgUnit | None:
    pk = request.POST.get("partner") or request.GET.get("partner")
    if not pk or not str(pk).isdigit():
        return None
    return OrgUnit.objects.visible_to(request.user).filter(pk=int(pk)).first()


@login_required
@require_http_methods(["GET", "POST"])
def payment_new(request):
    """Finance records a payment of one partner (picked first), allocated per receivable."""
    user = request.user
    if not perm.may_collect(user):
        raise PermissionDenied
    partner = _payment_partner(request)
    open_rows = (
        list(
            sel.receivables(user, partner_id=partner.pk)
            .filter(state__in=RECEIVABLE_OPEN_STATES)
            .order_by("due_on", "pk")[:50]
        )
        if partner
        else []
    )
    form = forms.PaymentForm(
        request.POST if request.method == "POST" and partner else None, receivables=open_rows
    )

    def render_page(f, status=200):
        return render(
            request,
            "repairs/collections/payment_form.html",
            {
                "form": f,
                "partner": partner,
                "partners": sel.partner_choices(user)
                .filter(receivables__state__in=RECEIVABLE_OPEN_STATES)
                .distinct(),
                "balance": sel.balance_of(partner.pk) if partner else None,
            },
            status=status,
        )

    if request.method == "GET" or partner is None:
        return render_page(form, status=200 if request.method == "GET" else 400)
    return run_action(
        request,
        form,
        lambda d: svc.payment_record(
            partner_id=partner.pk,
            actor=user,
            amount=d["amount"],
            received_on=d["received_on"],
            reference=d["reference"],
            method=d["method"],
            note=d["note"],
            allocations=form.allocations(),
        ),
        lambda p: p.get_absolute_url(),
        invalid=lambda f: render_page(f, status=400),
        message=lambda p: _("已登记收款 %(no)s：¥%(a)s") % {"no": p.number, "a": p.amount},
    )


def _payment_page(request, payment, *, reason_form=None, status=200):
    collects = perm.may_collect(request.user)
    recorded = payment.state == PaymentState.RECORDED
    return render(
        request,
        "repairs/collections/payment_detail.html",
        {
            "p": payment,
            "allocations": list(sel.allocations_of_payment(payment)),
            "reason_form": reason_form or (forms.ReasonForm() if collects and recorded else None),
            "log": log_of(payment),
        },
        status=status,
    )


def _visible_payment(request, pk):
    _desk_or_partner(request.user)
    return get_object_or_404(sel.payments(request.user), pk=pk)


@login_required
@require_GET
def payment_detail(request, pk: int):
    return _payment_page(request, _visible_payment(request, pk))


@login_required
@require_POST
def payment_reverse(request, pk: int):
    payment = _visible_payment(request, pk)
    if not perm.may_collect(request.user):
        raise PermissionDenied
    form = forms.ReasonForm(request.POST)
    return run_action(
        request,
        form,
        lambda d: svc.payment_reverse(
            payment_id=payment.pk, actor=request.user, reason=d["reason"]
        ),
        payment.get_absolute_url(),
        invalid=lambda f: _payment_page(request, payment, reason_form=f, status=400),
        message=_("收款已冲销，相关应收款已重新打开"),
    )


# --- ageing --------------------------------------------------------------------------------------


def _chart(ageing: sel.Ageing) -> dict:
    return {
        "buckets": ageing.bucket_labels,
        "names": [row.name for row in ageing.rows],
        "series": [[float(row.amounts[b]) for row in ageing.rows] for b in sel.BUCKETS],
    }


@login_required
@require_GET
def collection_ageing(request):
    user = request.user
    _desk_or_partner(user)
    today = timezone.localdate()
    by_branch = sel.ageing(user, today=today, by="branch")
    by_partner = sel.ageing(user, today=today, by="partner")
    return render(
        request,
        "repairs/collections/ageing.html",
        {
            "today": today,
            "by_branch": by_branch,
            "by_partner": by_partner,
            "chart": _chart(by_branch),
        },
    )


# --- statement of account ------------------------------------------------------------------------


def _account(request, partner_pk: int):
    user = request.user
    _desk_or_partner(user)
    partner = get_object_or_404(OrgUnit.objects.visible_to(user), pk=partner_pk)
    form = forms.PeriodForm(request.GET or None)
    start, end = form.period()
    return form, sel.account_statement(partner, start=start, end=end)


@login_required
@require_GET
def partner_account(request, partner_pk: int):
    form, account = _account(request, partner_pk)
    return render(
        request,
        "repairs/collections/account.html",
        {"form": form, "account": account, "query": request.GET.urlencode()},
    )


@login_required
@require_GET
def partner_account_export(request, partner_pk: int):
    _form, account = _account(request, partner_pk)
    return _xlsx(
        account_workbook(account),
        f"account-{account.partner.code}-{account.start:%Y%m%d}-{account.end:%Y%m%d}.xlsx",
    )


# --- the partner's own view ----------------------------------------------------------------------


@login_required
@require_GET
def my_account(request):
    """我的往来账: the caller's own unit's balance, open receivables and recent payments; a
    branch manager also sees the dealers under the branch in the ageing."""
    user = request.user
    if not perm.may_see_own_account(user):
        raise PermissionDenied
    unit = user_org_unit(user)
    today = timezone.localdate()
    mine = sel.receivables(user, partner_id=unit.pk)
    return render(
        request,
        "repairs/collections/my_account.html",
        {
            "unit": unit,
            "balance": sel.balance_of(unit.pk),
            "open": list(
                mine.filter(state__in=RECEIVABLE_OPEN_STATES).order_by("due_on", "pk")[:50]
            ),
            "payments": list(sel.payments(user, partner_id=unit.pk).order_by("-pk")[:10]),
            "ageing": sel.ageing(user, today=today, by="partner"),
            "today": today,
            "account_url": reverse("repairs:partner_account", args=[unit.pk]),
        },
    )
