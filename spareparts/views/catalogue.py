"""The catalogue's pages: the list (search, fitted model, state; keyset pages), a part with its
stock as the viewer may see it, the part form, its picture, and the Excel import and export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from service_ops.files import stored_file_response
from service_ops.paging import keyset_page

from ..choices import AVAILABILITY_COLOURS
from ..forms.catalogue import PartFilterForm, PartForm, PartImportForm
from ..models import Part
from ..permissions import may_manage_catalogue, may_operate_any, may_see_cost
from ..selectors.catalogue import hq_levels, part_stock, parts_list
from ..services.catalogue import MAX_ROWS, part_save, parts_export, parts_import_file
from .common import show_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 50_000


@login_required
@require_GET
def part_list(request):
    filters = PartFilterForm(request.GET or None)
    page = keyset_page(parts_list(**filters.values()), request.GET)
    levels = hq_levels(p.pk for p in page.object_list)
    rows = [(part, levels.get(part.pk)) for part in page.object_list]
    return render(
        request,
        "spareparts/part_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "colours": AVAILABILITY_COLOURS,
            "may_manage": may_manage_catalogue(request.user),
            "see_cost": may_see_cost(request.user),
        },
    )


@login_required
@require_GET
def part_detail(request, pk: int):
    part = get_object_or_404(Part.objects.prefetch_related("fits"), pk=pk)
    stock = part_stock(request.user, part)
    return render(
        request,
        "spareparts/part_detail.html",
        {
            "part": part,
            "stock": stock,
            "colours": AVAILABILITY_COLOURS,
            "may_manage": may_manage_catalogue(request.user),
            "may_operate": may_operate_any(request.user),
            "see_cost": may_see_cost(request.user),
        },
    )


@login_required
@require_GET
def part_picture(request, pk: int):
    return stored_file_response(get_object_or_404(Part, pk=pk).picture)


def _edit(request, part: Part | None):
    if not may_manage_catalogue(request.user):
        raise PermissionDenied
    form = PartForm(request.POST or None, request.FILES or None, instance=part)
    if request.method == "POST" and form.is_valid():
        try:
            saved = part_save(form=form, actor=request.user)
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("已保存配件 %(n)s") % {"n": saved.number})
            return redirect("spareparts:part_detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "spareparts/part_form.html", {"form": form, "part": part}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def part_new(request):
    return _edit(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def part_edit(request, pk: int):
    return _edit(request, get_object_or_404(Part, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def part_import(request):
    """All or nothing: the report lists every refused row and nothing is imported."""
    if not may_manage_catalogue(request.user):
        raise PermissionDenied
    form = PartImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = parts_import_file(file=form.cleaned_data["file"], actor=request.user)
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            if report.ok:
                messages.success(
                    request,
                    _("已导入 %(n)s 个配件（新增 %(c)s，更新 %(u)s）")
                    % {"n": report.imported, "c": report.created, "u": report.updated},
                )
                return redirect("spareparts:part_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "spareparts/part_import.html",
        {"form": form, "report": report, "max_rows": MAX_ROWS},
        status=status,
    )


@login_required
@require_GET
def part_export(request):
    """The list's filters apply; partners get the file without the cost column."""
    filters = PartFilterForm(request.GET or None)
    parts = parts_list(**filters.values()).order_by("number")[:EXPORT_LIMIT]
    body = parts_export(parts=parts, include_cost=may_see_cost(request.user))
    response = HttpResponse(body, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="parts-{stamp}.xlsx"'
    return response
