"""The code store (激活码库): search a serial; import the factory's Excel list from the browser —
the file is stored and a worker imports it (callcenter.services.codes, the same import as the
command), while the status page shows rows done of the sheet's rows, then the row-by-row report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from service_ops.paging import keyset_page

from ..forms.activation import CodeImportForm
from ..models import ActivationCodeImport
from ..permissions import is_activation_staff
from ..selectors.activation import activation_codes
from ..services.codes import MAX_ROWS, code_import_start

ERRORS_SHOWN = 500


def _staff_only(request) -> None:
    if not is_activation_staff(request.user):
        raise PermissionDenied


@login_required
@require_GET
def code_list(request):
    _staff_only(request)
    serial = request.GET.get("serial", "").strip()[:40]
    page = keyset_page(activation_codes(serial=serial), request.GET)
    recent = list(ActivationCodeImport.objects.select_related("created_by")[:5])
    return render(
        request, "callcenter/code_list.html", {"page": page, "serial": serial, "imports": recent}
    )


@login_required
@require_http_methods(["GET", "POST"])
def code_import(request):
    _staff_only(request)
    form = CodeImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = code_import_start(actor=request.user, upload=form.cleaned_data["file"])
        return redirect("callcenter:code_import_status", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "callcenter/code_import.html",
        {"form": form, "max_rows": MAX_ROWS},
        status=status,
    )


@login_required
@require_GET
def code_import_status(request, pk: int):
    """The import's progress; while it runs, the progress block reloads itself every 2 s (htmx)
    and this view answers the block alone."""
    _staff_only(request)
    job = get_object_or_404(ActivationCodeImport, pk=pk)
    context = {
        "job": job,
        "errors": job.error_rows()[:ERRORS_SHOWN] if job.is_finished else [],
        "errors_hidden": max(0, job.error_count - ERRORS_SHOWN),
    }
    if getattr(request, "htmx", False):
        return render(request, "callcenter/partials/code_import_progress.html", context)
    return render(request, "callcenter/code_import_result.html", context)
