"""Dealer quotes (代理商购配件的报价): the list (a dealer sees only its own), asking for a quote,
the quote with its steps (price and send, accept or decline, record the payment or invoice,
ship). Outside the viewer's scope 404; a step not allowed now 409; bad input 400."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of

from ..choices import QuoteState
from ..forms.requests import QuoteForm, ReasonForm, SettleForm
from ..permissions import is_parts_staff, may_answer_quote
from ..selectors.requests import dealer_quotes
from ..services import quotes as svc
from .common import show_error

ACTIONS = ("send", "accept", "decline", "settle", "ship")


def _dealers(user):
    """The dealers the user may ask a quote for: any for the parts staff, else the dealers where
    the user acts as dealer staff (its own), read after the acting units in one query."""
    from network.choices import Role
    from network.selectors import acting_units

    qs = OrgUnit.objects.filter(kind=OrgKind.DEALER, is_active=True).order_by("code")
    if is_parts_staff(user):
        return qs
    return qs.filter(pk__in=list(acting_units(user).get(Role.DEALER_STAFF, ())))


@login_required
@require_GET
def quote_list(request):
    state = request.GET.get("state", "")
    state = state if state in QuoteState.values else ""
    page = keyset_page(dealer_quotes(request.user, state=state), request.GET)
    return render(
        request,
        "spareparts/quote_list.html",
        {
            "page": page,
            "state": state,
            "states": QuoteState.choices,
            "may_ask": _dealers(request.user).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def quote_new(request):
    dealers = _dealers(request.user)
    if not dealers.exists():
        raise PermissionDenied
    form = QuoteForm(request.POST or None, dealers=dealers)
    if request.method == "POST" and form.is_valid():
        try:
            quote = svc.quote_ask(
                dealer=form.cleaned_data["dealer"],
                lines=form.cleaned_data["lines"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("询价单 %(no)s 已提交") % {"no": quote.number})
            return redirect(quote.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "spareparts/quote_new.html", {"form": form}, status=status)


def _visible(request, pk):
    return get_object_or_404(dealer_quotes(request.user).select_related("warehouse"), pk=pk)


def _page(request, quote, *, settle=None, status=200):
    user = request.user
    staff = is_parts_staff(user)
    answer = may_answer_quote(user, quote)
    return render(
        request,
        "spareparts/quote_detail.html",
        {
            "quote": quote,
            "lines": list(quote.lines.select_related("part")),
            "may_send": quote.state == QuoteState.ASKED and staff,
            "may_accept": quote.state == QuoteState.QUOTED and answer,
            "may_decline": quote.state in (QuoteState.ASKED, QuoteState.QUOTED) and answer,
            "may_settle": quote.state == QuoteState.ACCEPTED and staff,
            "may_ship": quote.state in (QuoteState.PAID, QuoteState.INVOICED) and staff,
            "settle_form": settle or SettleForm(),
            "reason_form": ReasonForm(),
            "log": log_of(quote),
        },
        status=status,
    )


@login_required
@require_GET
def quote_detail(request, pk: int):
    return _page(request, _visible(request, pk))


@login_required
@require_POST
def quote_act(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    quote = _visible(request, pk)
    user = request.user
    try:
        if action == "send":
            svc.quote_send(quote_id=quote.pk, actor=user)
            messages.success(request, _("报价已发送给代理商"))
        elif action == "accept":
            svc.quote_accept(quote_id=quote.pk, actor=user)
            messages.success(request, _("已接受报价"))
        elif action == "decline":
            reason = ReasonForm(request.POST)
            reason.is_valid()
            svc.quote_decline(
                quote_id=quote.pk, actor=user, reason=reason.cleaned_data.get("reason", "")
            )
            messages.success(request, _("已谢绝报价"))
        elif action == "settle":
            form = SettleForm(request.POST)
            if not form.is_valid():
                return _page(request, quote, settle=form, status=400)
            try:
                svc.quote_settle(
                    quote_id=quote.pk,
                    actor=user,
                    how=form.cleaned_data["how"],
                    reference=form.cleaned_data["reference"],
                )
            except ValidationError as exc:
                show_error(form, exc)
                return _page(request, quote, settle=form, status=400)
            messages.success(request, _("已登记"))
        else:
            svc.quote_ship(quote_id=quote.pk, actor=user)
            messages.success(request, _("已发货，配件已销售出库"))
    except TransitionNotAllowed:
        quote.refresh_from_db()
        messages.error(request, _("报价单的状态已改变，不能执行此操作"))
        return _page(request, quote, status=409)
    except ValidationError as exc:
        quote.refresh_from_db()
        messages.error(request, " ".join(exc.messages))
        return _page(request, quote, status=400)
    return redirect(quote.get_absolute_url())
