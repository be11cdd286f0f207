"""Documents for the car factory (车厂): the buy-back batch report (回购机处理报告, Excel and PDF:
units, findings, decisions, costs) and the monthly backup-unit reconciliation (备用机月度对账单,
Excel). Written in Chinese like the other documents sent outside (statement_exports)."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from .models.oem import BuybackBatch, OemReconciliation
from .selectors.oem import batch_totals
from .statement_exports import AMOUNT_FORMAT, DATE_FORMAT, pdf_font

BATCH_HEADERS = [
    "序号",
    "出厂编号",
    "型号",
    "车厂反馈故障",
    "检测结果",
    "故障代码",
    "等级",
    "处理决定",
    "处理结果",
    "材料费",
    "人工费",
    "运费",
    "合计",
]
SWAP_HEADERS = [
    "换机单号",
    "门店",
    "门店编码",
    "备用机编号",
    "型号",
    "故障机编号",
    "故障现象",
    "借出日期",
    "应还日期",
    "归还日期",
    "归还状况",
    "故障机收到",
    "原机寄回",
    "超期",
]
TOTAL_KEYS = ("parts", "labour", "freight", "total")
CONDITIONS = {"good": "完好", "faulty": "有故障"}


def batch_title(batch: BuybackBatch) -> str:
    return f"{batch.oem.name} 回购机处理报告 {batch.number}"


def _batch_rows(batch: BuybackBatch):
    for n, unit in enumerate(batch.units.order_by("id"), start=1):
        yield [
            n,
            unit.serial_number,
            unit.product_model,
            unit.oem_fault,
            unit.findings,
            unit.fault_codes,
            unit.grade,
            unit.get_decision_display() if unit.decision else "",
            unit.outcome,
            unit.cost_parts,
            unit.cost_labour,
            unit.cost_freight,
            unit.cost_total,
        ]


def _batch_head(batch: BuybackBatch) -> list[str]:
    return [
        f"车厂单号：{batch.oem_reference or '—'}",
        f"收货日期：{batch.received_on:%Y-%m-%d}",
        f"台数：{batch.unit_count}",
        f"状态：{batch.get_state_display()}",
    ]


def batch_report_xlsx(batch: BuybackBatch) -> bytes:
    totals = batch_totals(batch)
    wb = Workbook()
    ws = wb.active
    ws.title = batch.number[:31]
    ws.append([batch_title(batch)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(_batch_head(batch))
    ws.append(BATCH_HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in _batch_rows(batch):
        ws.append(row)
        for cell in ws[ws.max_row][9:13]:
            cell.number_format = AMOUNT_FORMAT
    ws.append(["", "", "", "", "", "", "", "", "合计", *(totals[k] for k in TOTAL_KEYS)])
    for cell in ws[ws.max_row][8:13]:
        cell.font = Font(bold=True)
        cell.number_format = AMOUNT_FORMAT
    ws.append([])
    ws.append(
        [
            f"翻新入库 {totals['decision_refurbish']} 台；维修 {totals['decision_repair']} 台；"
            f"报废 {totals['decision_scrap']} 台"
        ]
    )
    ws.append([f"出具日期：{timezone.localdate():%Y-%m-%d}"])
    for column, width in zip(
        "ABCDEFGHIJKLM", (6, 18, 12, 22, 30, 14, 6, 10, 24, 10, 10, 10, 11), strict=True
    ):
        ws.column_dimensions[column].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def batch_report_pdf(batch: BuybackBatch) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    title = ParagraphStyle("title", fontName=font, fontSize=14, leading=19)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=11)
    totals = batch_totals(batch)

    def cell(value):
        if hasattr(value, "quantize"):
            return f"{value:,.2f}"
        return Paragraph(escape(str(value)), body)

    data = [BATCH_HEADERS] + [[cell(c) for c in row] for row in _batch_rows(batch)]
    data.append(["", "", "", "", "", "", "", "", "合计", *(cell(totals[k]) for k in TOTAL_KEYS)])
    widths = [24, 70, 50, 80, 130, 50, 24, 44, 100, 44, 44, 44, 50]
    table = Table(data, repeatRows=1, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("ALIGN", (9, 1), (12, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    out = BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), title=batch_title(batch), initialFontName=font
    )
    doc.build(
        [
            Paragraph(escape(batch_title(batch)), title),
            Spacer(1, 6),
            Paragraph(escape("　".join(_batch_head(batch))), body),
            Spacer(1, 8),
            table,
            Spacer(1, 12),
            Paragraph(
                escape(
                    f"翻新入库 {totals['decision_refurbish']} 台；维修 "
                    f"{totals['decision_repair']} 台；报废 {totals['decision_scrap']} 台。"
                    f"出具日期：{timezone.localdate():%Y-%m-%d}"
                ),
                body,
            ),
        ]
    )
    return out.getvalue()


def _day(value: str):
    return date.fromisoformat(value) if value else ""


def reconciliation_xlsx(oem, figures: dict, row: OemReconciliation | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = figures["month"]
    ws.append([f"{oem.name} 备用机月度对账单 {figures['month']}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            f"截至：{figures['as_of']}",
            f"状态：{row.get_state_display() if row else '未生成'}",
        ]
    )
    ws.append([])
    for label, key in (
        ("本月借出", "lent"),
        ("本月归还", "returned"),
        ("未归还", "outstanding"),
        ("其中超期", "overdue"),
        ("涉及换机记录", "swaps"),
    ):
        ws.append([label, figures[key]])
        ws[ws.max_row][0].font = Font(bold=True)
    ws.append([])
    ws.append(SWAP_HEADERS)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in figures["rows"]:
        ws.append(
            [
                r["number"],
                r["store"],
                r["store_code"],
                r["backup"],
                r["model"],
                r["failed_serial"],
                r["failed_fault"],
                _day(r["lent_on"]),
                _day(r["due_back"]),
                _day(r["returned_on"]),
                CONDITIONS.get(r["condition"], ""),
                _day(r["failed_received_on"]),
                _day(r["original_sent_back_on"]),
                "是" if r["overdue"] else "",
            ]
        )
        for cell in ws[ws.max_row][7:13]:
            cell.number_format = DATE_FORMAT
    ws.append([])
    ws.append(["车厂确认：＿＿＿＿＿＿  日期：＿＿＿＿＿＿"])
    for column, width in zip(
        "ABCDEFGHIJKLMN", (16, 20, 10, 16, 10, 16, 24, 11, 11, 11, 8, 11, 11, 6), strict=True
    ):
        ws.column_dimensions[column].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
