"""The stock pages: the warehouses the viewer sees, one warehouse's balances (available = on hand −
reserved, the low ones marked), the ledger with its filters, and the warehouse staff's forms
(receive, transfer, scrap). A warehouse outside the viewer's scope is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from service_ops.paging import keyset_page

from ..choices import WarehouseKind
from ..forms.stock import MovementFilterForm, ReceiveForm, ScrapForm, TransferForm
from ..models import Warehouse
from ..permissions import may_operate, may_operate_any
from ..selectors.catalogue import warehouses_visible
from ..selectors.stock import movements, warehouse_balances
from ..services.stock import stock_receive, stock_scrap, stock_transfer
from .common import show_error


def _operable(user):
    """The warehouses the user may operate, among those it sees."""
    return [w for w in warehouses_visible(user).filter(is_active=True) if may_operate(user, w)]


def _ids_queryset(warehouses):
    return Warehouse.objects.filter(pk__in=[w.pk for w in warehouses]).order_by("code")


@login_required
@require_GET
def warehouse_list(request):
    rows = list(warehouses_visible(request.user).order_by("kind", "code")[:500])
    return render(
        request,
        "spareparts/warehouse_list.html",
        {"warehouses": rows, "may_operate": may_operate_any(request.user)},
    )


@login_required
@require_GET
def warehouse_detail(request, pk: int):
    warehouse = get_object_or_404(warehouses_visible(request.user), pk=pk)
    search = request.GET.get("q", "").strip()[:60]
    low = request.GET.get("low") == "1"
    page = keyset_page(warehouse_balances(warehouse, search=search, low=low), request.GET)
    return render(
        request,
        "spareparts/warehouse_detail.html",
        {
            "warehouse": warehouse,
            "page": page,
            "q": search,
            "low": low,
            "may_operate": may_operate(request.user, warehouse),
        },
    )


@login_required
@require_GET
def movement_list(request):
    visible = list(warehouses_visible(request.user).order_by("code")[:500])
    filters = MovementFilterForm(request.GET or None, warehouses=visible)
    page = keyset_page(movements(request.user, **filters.values()), request.GET)
    return render(request, "spareparts/movement_list.html", {"page": page, "filters": filters})


def _stock_form(request, form_class, template, act, **extra):
    operable = _operable(request.user)
    if not operable:
        raise PermissionDenied
    initial = {}
    if request.GET.get("warehouse"):
        initial["warehouse"] = request.GET["warehouse"][:12]
    if request.GET.get("part"):
        initial["part"] = request.GET["part"][:40]
    # the reorder screen's links: how many, and for a transfer where to
    if request.GET.get("quantity", "").isdigit():
        initial["quantity"] = int(request.GET["quantity"][:7])
    if request.GET.get("to"):
        initial["to_warehouse"] = request.GET["to"][:12]
    form = form_class(
        request.POST or None, initial=initial, warehouses=_ids_queryset(operable), **extra
    )
    if request.method == "POST" and form.is_valid():
        try:
            done = act(form.cleaned_data)
        except ValidationError as exc:
            show_error(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return redirect("spareparts:warehouse_detail", pk=form.cleaned_data["warehouse"].pk)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def receive(request):
    def act(data):
        stock_receive(
            part=data["part"],
            warehouse=data["warehouse"],
            quantity=data["quantity"],
            actor=request.user,
            reason=data["reason"],
        )
        return _("已入库 %(part)s × %(q)s") % {"part": data["part"].number, "q": data["quantity"]}

    return _stock_form(request, ReceiveForm, "spareparts/stock_receive.html", act)


@login_required
@require_http_methods(["GET", "POST"])
def transfer(request):
    def act(data):
        stock_transfer(
            part=data["part"],
            from_warehouse=data["warehouse"],
            to_warehouse=data["to_warehouse"],
            quantity=data["quantity"],
            actor=request.user,
            reason=data["reason"],
        )
        return _("已调拨 %(part)s × %(q)s 到 %(to)s") % {
            "part": data["part"].number,
            "q": data["quantity"],
            "to": data["to_warehouse"].name,
        }

    # their own warehouses and headquarters' (parts go back to the parts warehouse); the parts
    # warehouse's staff, who see every warehouse, any of them
    visible = warehouses_visible(request.user).values("pk")
    destinations = (
        Warehouse.objects.filter(is_active=True)
        .filter(Q(pk__in=visible) | Q(kind=WarehouseKind.HQ))
        .order_by("kind", "code")
    )
    return _stock_form(
        request,
        TransferForm,
        "spareparts/stock_transfer.html",
        act,
        destinations=destinations,
    )


@login_required
@require_http_methods(["GET", "POST"])
def scrap(request):
    def act(data):
        stock_scrap(
            part=data["part"],
            warehouse=data["warehouse"],
            quantity=data["quantity"],
            actor=request.user,
            reason=data["reason"],
        )
        return _("已报废 %(part)s × %(q)s") % {"part": data["part"].number, "q": data["quantity"]}

    return _stock_form(request, ScrapForm, "spareparts/stock_scrap.html", act)
