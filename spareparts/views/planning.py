"""Material planning (物料计划): the parts below their reorder point (computed live) and the
consumption report by part and month, for a product model, with its Excel export. The parts
staff's pages, open to headquarters' people."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ..models import Warehouse
from ..permissions import sees_hq_figures
from ..selectors.planning import below_reorder_points, consumption
from ..services.planning import consumption_export

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ConsumptionForm(forms.Form):
    since = forms.DateField(label=gettext_lazy("起始日期"), required=False)
    until = forms.DateField(label=gettext_lazy("截止日期"), required=False)
    product_model = forms.CharField(label=gettext_lazy("适用型号"), max_length=60, required=False)

    def values(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {"since": date(timezone.localdate().year, 1, 1)}
        return {k: v for k, v in self.cleaned_data.items() if v}


def _staff(request):
    """Headquarters' people (the parts staff's pages; the figures are headquarters-internal)."""
    if not sees_hq_figures(request.user):
        raise PermissionDenied


@login_required
@require_GET
def reorder_list(request):
    _staff(request)
    raw = request.GET.get("warehouse", "")
    warehouse_id = int(raw) if raw.isdigit() else None
    return render(
        request,
        "spareparts/reorder_list.html",
        {
            "rows": below_reorder_points(warehouse_id=warehouse_id),
            "warehouses": Warehouse.objects.filter(is_active=True).order_by("code")[:200],
            "warehouse_id": warehouse_id,
        },
    )


@login_required
@require_GET
def consumption_report(request):
    _staff(request)
    form = ConsumptionForm(request.GET or None)
    rows = consumption(**form.values())
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(consumption_export(rows), content_type=XLSX)
        stamp = timezone.localtime().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="parts-consumption-{stamp}.xlsx"'
        return response
    return render(request, "spareparts/consumption.html", {"rows": rows, "form": form})
