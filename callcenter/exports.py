"""Excel export of the callback report (openpyxl): one sheet per table of the page."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _headers():
    return [
        _("项目"),
        _("结束回访"),
        _("接通"),
        _("未接通"),
        _("接通率"),
        _("有效"),
        _("无效"),
        _("平均满意度"),
        _("不满意"),
        _("满意率"),
        _("免打扰关闭"),
    ]


def _sheet(wb: Workbook, title: str, heading: str, rows, total=None):
    ws = wb.create_sheet(title)
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(_headers())
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in [*rows, *([total] if total is not None else [])]:
        ws.append(
            [
                row.label,
                row.closed,
                row.reached,
                row.unreached,
                row.reach_rate,
                row.valid,
                row.invalid,
                row.average_text,
                row.dissatisfied,
                row.satisfied_rate,
                row.skipped,
            ]
        )
    if total is not None:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    for index, width in enumerate((24, 10, 8, 8, 10, 8, 8, 12, 8, 10, 12), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"


def callback_report_workbook(report) -> bytes:
    period = f"{report.start:%Y-%m-%d} – {report.end:%Y-%m-%d}"
    report.total.label = _("合计")
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        _("按回访目的"),
        _("回访统计（按回访目的）%(p)s") % {"p": period},
        report.by_purpose,
        report.total,
    )
    _sheet(
        wb, _("按单位"), _("回访统计（按单位）%(p)s") % {"p": period}, report.by_unit, report.total
    )
    _sheet(
        wb, _("按月份"), _("回访统计（按月份）%(p)s") % {"p": period}, report.by_month, report.total
    )
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- the platform's background export and the weekly mailing (service_ops.reports) ------------


def export_callback_report(*, user, params, out) -> bytes:
    from django.utils import timezone

    from .selectors.callbacks import callbacks_visible_to
    from .selectors.reports import callback_report, period_from

    start, end = period_from(params, timezone.localdate())
    return callback_report_workbook(callback_report(start, end, callbacks_visible_to(user)))


def last_week_params(*, today) -> dict:
    """Seed 002's weekly satisfaction report: last week, Monday to Sunday."""
    from datetime import timedelta

    monday = today - timedelta(days=today.weekday() + 7)
    return {"start": monday.isoformat(), "end": (monday + timedelta(days=6)).isoformat()}
