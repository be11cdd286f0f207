"""Excel export of the complaint penalties' ledger (openpyxl, as repairs and the call centre do):
one sheet of the filtered rows, a write-only workbook so a long list stays light."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTHS = (18, 14, 12, 16, 12, 12, 40, 10, 12, 30)


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def penalty_workbook(rows, *, limit: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("客诉处罚台账"))
    for index, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    headers = [
        _("投诉编号"),
        _("被处罚人"),
        _("责任类别"),
        _("所在单位"),
        _("处罚方式"),
        _("金额（元）"),
        _("处罚理由"),
        _("状态"),
        _("提出日期"),
        _("决定说明"),
    ]
    bold = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        bold.append(cell)
    ws.append(bold)
    for p in rows:
        ws.append(
            [
                p.complaint.number,
                _name(p.person),
                p.get_capacity_display(),
                p.person_unit.name if p.person_unit else "",
                p.get_kind_display(),
                p.amount,
                p.reason,
                p.get_state_display(),
                timezone.localtime(p.proposed_at).strftime("%Y-%m-%d"),
                p.decision_note,
            ]
        )
    if len(rows) >= limit:
        ws.append([_("仅导出最新的 %(n)d 条，请缩小筛选范围") % {"n": limit}])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
