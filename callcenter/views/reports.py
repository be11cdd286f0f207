"""Callback reports (回访统计): reached against not reached, valid against invalid, satisfaction
by department (the purpose's team and the branch) and by month, with charts and one-click Excel.
The weekly satisfaction report to the head of customer service links here for its week."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..exports import XLSX_CONTENT_TYPE, callback_report_workbook
from ..permissions import may_assign_callbacks, may_read_callbacks
from ..selectors.callbacks import callbacks_visible_to
from ..selectors.reports import callback_report, period_from


def _report(request):
    user = request.user
    if not (may_assign_callbacks(user=user) or may_read_callbacks(user)):
        raise PermissionDenied
    start, end = period_from(request.GET, timezone.localdate())
    return callback_report(start, end, callbacks_visible_to(user))


def _chart(report) -> dict:
    return {
        "months": [row.label for row in report.by_month],
        "reached": [row.reached for row in report.by_month],
        "unreached": [row.unreached for row in report.by_month],
        "average": [
            float(row.average_text) if row.average is not None else None for row in report.by_month
        ],
        "purposes": [row.label for row in report.by_purpose],
        "purpose_average": [
            float(row.average_text) if row.average is not None else None
            for row in report.by_purpose
        ],
    }


@login_required
@require_GET
def callback_report_page(request):
    report = _report(request)
    return render(
        request,
        "callcenter/reports/callbacks.html",
        {"report": report, "chart": _chart(report)},
    )


@login_required
@require_GET
def callback_report_xlsx(request):
    report = _report(request)
    response = HttpResponse(callback_report_workbook(report), content_type=XLSX_CONTENT_TYPE)
    name = f"callbacks-{report.start:%Y%m%d}-{report.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
