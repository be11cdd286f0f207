"""Material planning (物料计划): the parts supervisor's reorder points (below their minimum
first, computed live; edited inline or added by part number; links to receive, transfer or
request what is short) and the consumption report (the biggest consumers of a period by part or
product model, month columns, totals, a chart and the same as Excel). Headquarters' people read
them; the parts staff edit the points."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from service_ops.paging import keyset_page

from ..choices import WarehouseKind
from ..forms.planning import (
    ConsumptionForm,
    NewReorderPointForm,
    ReorderFilterForm,
    ReorderPointForm,
    default_period,
)
from ..models import ReorderPoint, StockBalance, Warehouse
from ..permissions import is_parts_staff, requestable_warehouses, sees_hq_figures
from ..selectors.planning import GROUP_PART, consumption_report
from ..services.planning import consumption_export, reorder_point_remove, reorder_point_set
from .common import show_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff(request):
    """Headquarters' people (the parts staff's pages; the figures are headquarters-internal)."""
    if not sees_hq_figures(request.user):
        raise PermissionDenied


def _warehouses(user):
    return Warehouse.objects.visible_to(user).filter(is_active=True).order_by("code")


def reorder_points(user, *, warehouse=None, part: str = "", below: bool = True):
    """The reorder points the user sees with their available quantity (on hand − reserved; no
    balance row = 0) and the shortfall; `below`: only those under their minimum."""
    balance = StockBalance.objects.filter(
        part_id=OuterRef("part_id"), warehouse_id=OuterRef("warehouse_id")
    )
    qs = (
        ReorderPoint.objects.visible_to(user)
        .select_related("part", "warehouse")
        .annotate(
            available=Coalesce(
                Subquery(
                    balance.annotate(a=F("on_hand") - F("reserved")).values("a")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
    )
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    part = (part or "").strip()
    if part:
        qs = qs.filter(part__number__istartswith=part)
    if below:
        qs = qs.filter(available__lt=F("minimum"))
    return qs


@login_required
@require_http_methods(["GET", "POST"])
def reorder_list(request):
    _staff(request)
    user = request.user
    warehouses = _warehouses(user)
    filters = ReorderFilterForm(request.GET or None, warehouses=warehouses)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    below = (chosen.get("show") or "below") == "below"
    editable = is_parts_staff(user)
    new_form = NewReorderPointForm(
        request.POST if request.method == "POST" else None,
        warehouses=warehouses,
        initial={"warehouse": chosen.get("warehouse")},
    )
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if new_form.is_valid():
            d = new_form.cleaned_data
            try:
                point = reorder_point_set(
                    part=d["part"],
                    warehouse=d["warehouse"],
                    minimum=d["minimum"],
                    reorder_quantity=d["reorder_quantity"],
                    actor=user,
                )
            except ValidationError as exc:
                show_error(new_form, exc)
            else:
                messages.success(
                    request,
                    _("已设置补货点：%(p)s @ %(w)s")
                    % {"p": point.part.number, "w": point.warehouse},
                )
                return redirect(request.get_full_path())
    page = keyset_page(
        reorder_points(
            user, warehouse=chosen.get("warehouse"), part=chosen.get("part") or "", below=below
        ),
        request.GET,
    )
    requestable = set(requestable_warehouses(user).values_list("pk", flat=True))
    rows = []
    for point in page.object_list:
        rows.append(
            {
                "point": point,
                "short": max(point.minimum - point.available, 0),
                "form": ReorderPointForm(
                    initial={"minimum": point.minimum, "reorder_quantity": point.reorder_quantity},
                    auto_id=f"rp{point.pk}-%s",
                ),
                "is_hq": point.warehouse.kind == WarehouseKind.HQ,
                "may_request": point.warehouse_id in requestable,
            }
        )
    hq = next((w for w in warehouses if w.kind == WarehouseKind.HQ), None)
    return render(
        request,
        "spareparts/reorder_list.html",
        {
            "filters": filters,
            "page": page,
            "rows": rows,
            "below": below,
            "editable": editable,
            "new_form": new_form,
            "hq": hq,
        },
        status=400 if request.method == "POST" else 200,
    )


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("spareparts:reorder_list")


@login_required
@require_POST
def reorder_edit(request, pk: int):
    """A row's inline form: change its minimum and reorder quantity, or remove the point."""
    _staff(request)
    point = get_object_or_404(
        ReorderPoint.objects.visible_to(request.user).select_related("part", "warehouse"), pk=pk
    )
    if not is_parts_staff(request.user):
        raise PermissionDenied
    if request.POST.get("remove"):
        reorder_point_remove(point_id=point.pk, actor=request.user)
        messages.success(request, _("已删除补货点：%(p)s") % {"p": point.part.number})
        return _back(request)
    form = ReorderPointForm(request.POST)
    if form.is_valid():
        try:
            reorder_point_set(
                part=point.part,
                warehouse=point.warehouse,
                minimum=form.cleaned_data["minimum"],
                reorder_quantity=form.cleaned_data["reorder_quantity"],
                actor=request.user,
            )
        except ValidationError as exc:
            show_error(form, exc)
    if form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{point.part.number}: {error}")
    else:
        messages.success(
            request,
            _("已更新补货点：%(p)s @ %(w)s") % {"p": point.part.number, "w": point.warehouse},
        )
    return _back(request)


@login_required
@require_GET
def consumption_report_view(request):
    _staff(request)
    since, until = default_period()
    form = ConsumptionForm(
        request.GET or None, initial={"since": since, "until": until, "group": GROUP_PART}
    )
    values = form.values()
    report = consumption_report(**values, after=request.GET.get("after", ""))
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(consumption_export(report), content_type=XLSX)
        stamp = timezone.localtime().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="parts-consumption-{stamp}.xlsx"'
        return response
    top = report.lines[:6]
    chart = {
        "months": [m.strftime("%Y-%m") for m in report.months],
        "series": [
            {
                "name": line.number if report.group == GROUP_PART else str(line.key),
                "data": line.months,
            }
            for line in top
        ],
        "rest": [
            total - sum(line.months[i] for line in top)
            for i, total in enumerate(report.month_totals)
        ],
    }
    return render(
        request,
        "spareparts/consumption.html",
        {
            "report": report,
            "form": form,
            "chart": chart,
            "by_part": report.group == GROUP_PART,
            "rolled_count": len(report.rolled),
            "live_count": len(report.months) - len(report.rolled),
        },
    )
