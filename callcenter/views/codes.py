"""The code store (激活码库): search a serial, import the factory's Excel list from the browser
with its row-by-row report (callcenter.services.codes, the same import as the command)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from service_ops.paging import keyset_page

from ..forms.activation import CodeImportForm
from ..permissions import is_activation_staff
from ..selectors.activation import activation_codes
from ..services.codes import MAX_ROWS, activation_codes_import_file

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
    return render(request, "callcenter/code_list.html", {"page": page, "serial": serial})


@login_required
@require_http_methods(["GET", "POST"])
def code_import(request):
    _staff_only(request)
    form = CodeImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "max_rows": MAX_ROWS}
    if request.method != "POST":
        return render(request, "callcenter/code_import.html", context)
    if form.is_valid():
        try:
            report = activation_codes_import_file(file=form.cleaned_data["file"])
        except ValidationError as exc:
            for text in exc.messages:
                form.add_error("file", text)
        else:
            return render(
                request,
                "callcenter/code_import_result.html",
                {
                    "report": report,
                    "file_name": form.cleaned_data["file"].name,
                    "errors": report.errors[:ERRORS_SHOWN],
                    "errors_hidden": max(0, len(report.errors) - ERRORS_SHOWN),
                },
            )
    return render(request, "callcenter/code_import.html", context, status=400)
