"""Excel exports of the return process (openpyxl)."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .selectors.returns import RankingRow

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLAG_FILL = PatternFill("solid", fgColor="F8D7DA")
HEADER_FONT = Font(bold=True)


def _sheet(wb: Workbook, title: str, heading: str, rows: list[RankingRow], flag_text: str):
    ws = wb.create_sheet(title)
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([_("名次"), _("单位"), _("编码"), _("返修台数"), _("未经申请台数"), _("标记")])
    for cell in ws[2]:
        cell.font = HEADER_FONT
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        flag = flag_text if row.flagged else ""
        if row.tied:
            flag = f"{flag}（{_('并列')}）" if flag else _("并列")
        ws.append([row.rank, row.unit.name, row.unit.code, row.units, row.arrivals, flag])
        if row.flagged:
            for cell in ws[ws.max_row]:
                cell.fill = FLAG_FILL
    if not rows:
        ws.append(["", _("本年度无返修记录")])
    for index, width in enumerate((8, 24, 14, 12, 14, 36), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"
    return ws


def ranking_workbook(year: int, ranking: dict[str, list[RankingRow]]) -> bytes:
    """Both rankings of a year in one workbook: provinces (managed platform) and branches
    (operating platform), the flagged rows highlighted."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        _("省区排名"),
        _("%(y)d 年返修机数量省区排名（管理平台）") % {"y": year},
        ranking["provinces"],
        _("前列：取消或缩短账期、取消奖励"),
    )
    _sheet(
        wb,
        _("分公司排名"),
        _("%(y)d 年返修机数量分公司排名（经营平台）") % {"y": year},
        ranking["branches"],
        _("前列：扣发分公司经理部分年终奖"),
    )
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
