"""Excel exports of complaints (openpyxl, as repairs and the call centre do): the penalties'
ledger (one sheet of the filtered rows, write-only so a long list stays light) and the statistics
(one sheet per table of the page, the same figures)."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .statistics import Statistics

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


def _table(wb: Workbook, title: str, heading: str, headers: list, rows: list, widths=()):
    ws = wb.create_sheet(title)
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        ws.append(row)
    for index, width in enumerate(widths or [24] + [10] * (len(headers) - 1), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"
    return ws


def _count_headers(first) -> list:
    return [first, _("投诉量"), _("处理中"), _("已结案"), _("不成立"), _("重大"), _("已升级")]


def _count_rows(rows, total=None) -> list[list]:
    out = [
        [r.label, r.total, r.open, r.closed, r.invalid, r.major, r.escalated]
        for r in [*rows, *([total] if total is not None else [])]
    ]
    return out


def statistics_workbook(stats: Statistics) -> bytes:
    period = f"{stats.start:%Y-%m-%d} – {stats.end:%Y-%m-%d}"
    wb = Workbook()
    wb.remove(wb.active)
    for title, first, rows in (
        (_("按投诉类别"), _("投诉类别"), stats.by_category),
        (_("按责任部门"), _("责任部门"), stats.by_unit),
        (_("按产品型号"), _("产品型号"), stats.by_product),
        (_("按月份"), _("月份"), stats.by_month),
    ):
        ws = _table(
            wb,
            title,
            _("客诉统计（%(t)s）%(p)s") % {"t": title, "p": period},
            _count_headers(first),
            _count_rows(rows, stats.total),
        )
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    _table(
        wb,
        _("各阶段按时率"),
        _("客诉各阶段按时率 %(p)s") % {"p": period},
        [_("阶段"), _("按时完成"), _("超期完成"), _("超期未完成"), _("计时中"), _("按时率")],
        [
            [
                r.label,
                r.met,
                r.late,
                r.breached,
                r.pending,
                round(r.on_time_rate, 4) if r.on_time_rate is not None else None,
            ]
            for r in stats.stages
        ],
    )
    ws = _table(
        wb,
        _("重复投诉"),
        _("重复投诉（期间内投诉两次及以上）%(p)s") % {"p": period},
        [_("类型"), _("客户 / 序列号"), _("联系电话"), _("投诉次数")],
        [[_("客户"), r.label, r.detail, r.count] for r in stats.repeat_customers]
        + [[_("设备序列号"), r.label, "", r.count] for r in stats.repeat_serials],
        widths=(14, 28, 18, 10),
    )
    ws.append([])
    ws.append([_("重复投诉客户数"), stats.repeat_customer_count])
    ws.append([_("重复投诉序列号数"), stats.repeat_serial_count])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def export_statistics(*, user, params, out) -> bytes:
    """The platform's background export of the complaint statistics (service_ops.reports)."""
    from django.utils import timezone

    from .statistics import complaint_statistics, period_from

    start, end = period_from(params, timezone.localdate())
    return statistics_workbook(complaint_statistics(user, start, end))
