"""Excel exports of collections (收款, openpyxl): the open receivables with their ageing bucket
and the ageing by branch and by partner in one workbook; a partner's statement of account
(对账单)."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .selectors import collections as sel

AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
EXPORT_CAP = 10_000  # rows of the receivables sheet; the sheet says when more were left out


def _header(ws, cells) -> None:
    ws.append(cells)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def _widths(ws, widths) -> None:
    for index, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + index)].width = width


def _ageing_sheet(wb: Workbook, title: str, ageing: sel.Ageing) -> None:
    ws = wb.create_sheet(title)
    _header(ws, [_("单位"), _("编码"), _("笔数"), *ageing.bucket_labels, _("合计")])
    for row in [*ageing.rows, ageing.totals]:
        ws.append([row.name, row.code, row.count, *row.cells, row.total])
        for cell in ws[ws.max_row][3:]:
            cell.number_format = AMOUNT_FORMAT
    ws[ws.max_row][0].font = Font(bold=True)
    _widths(ws, (24, 12, 8, 14, 14, 14, 14, 14, 14))
    ws.freeze_panes = "A2"


def ageing_workbook(user, *, today: date, receivables) -> bytes:
    """Sheet 1: the open receivables (filters applied, at most EXPORT_CAP rows); sheets 2 and 3:
    the ageing by branch and by partner."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("未收应收款")
    _header(
        ws,
        [
            _("发票号"),
            _("往来单位"),
            _("分公司"),
            _("摘要"),
            _("开票日期"),
            _("到期日"),
            _("应收金额"),
            _("已收金额"),
            _("余额"),
            _("逾期天数"),
            _("账龄"),
            _("状态"),
        ],
    )
    rows = list(receivables.order_by("due_on", "pk")[: EXPORT_CAP + 1])
    for r in rows[:EXPORT_CAP]:
        days = r.days_past_due(today)
        ws.append(
            [
                r.number,
                r.partner.name,
                r.branch.name,
                r.title,
                r.issued_on,
                r.due_on,
                r.amount,
                r.paid_amount,
                r.balance,
                days,
                str(sel.AgeingBucket(sel.bucket_of((today - r.due_on).days)).label),
                r.get_state_display(),
            ]
        )
        cells = ws[ws.max_row]
        for i in (4, 5):
            cells[i].number_format = DATE_FORMAT
        for i in (6, 7, 8):
            cells[i].number_format = AMOUNT_FORMAT
    if len(rows) > EXPORT_CAP:
        ws.append([_("只导出前 %(n)d 条，请缩小筛选范围") % {"n": EXPORT_CAP}])
    _widths(ws, (18, 20, 16, 36, 12, 12, 12, 12, 12, 9, 14, 10))
    ws.freeze_panes = "A2"
    _ageing_sheet(wb, _("按分公司账龄"), sel.ageing(user, today=today, by="branch"))
    _ageing_sheet(wb, _("按单位账龄"), sel.ageing(user, today=today, by="partner"))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def export_ageing(*, user, params, out=None) -> bytes:
    """The report registry's background export (service_ops.reports): the same workbook as the
    page's button, scoped by the requester."""
    from django.utils import timezone

    from .choices import RECEIVABLE_OPEN_STATES

    receivables = sel.receivables(user).filter(state__in=RECEIVABLE_OPEN_STATES)
    return ageing_workbook(user, today=timezone.localdate(), receivables=receivables)


def account_workbook(account: sel.AccountStatement) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("对账单")
    ws.append(
        [
            _("%(p)s 对账单（%(s)s 至 %(e)s）")
            % {"p": account.partner.name, "s": account.start, "e": account.end}
        ]
    )
    ws["A1"].font = Font(bold=True, size=14)
    _header(ws, [_("日期"), _("单号"), _("摘要"), _("应收增加"), _("收款/核销"), _("余额")])
    ws.append(["", "", _("期初余额"), None, None, account.opening])
    for e in account.entries:
        ws.append([e.day, e.number, e.label, e.debit or None, e.credit or None, e.balance])
        ws[ws.max_row][0].number_format = DATE_FORMAT
    ws.append(["", "", _("本期合计"), account.debits, account.credits, account.closing])
    ws.append(["", "", _("期末余额"), None, None, account.closing])
    for row in ws.iter_rows(min_row=3, min_col=4, max_col=6):
        for cell in row:
            cell.number_format = AMOUNT_FORMAT
    _widths(ws, (12, 18, 44, 14, 14, 14))
    ws.append([])
    ws.append([_("往来单位确认（签字盖章）："), "", "", _("财务："), ""])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
