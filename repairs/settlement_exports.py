"""A service point's statement (网点结算单) for payment: Excel (openpyxl) and PDF (reportlab with
the embedded Noto Sans SC subset of repairs.statement_exports)."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from service_ops.money import yuan_in_capitals

from .models.settlement import SettlementStatement
from .statement_exports import AMOUNT_FORMAT, DATE_FORMAT, pdf_font

HEADERS = ["序号", "类型", "摘要", "服务日期", "类别", "路程(km)", "型号", "确认", "金额"]


def _title(statement: SettlementStatement) -> str:
    return f"{statement.point.name} {statement.month:%Y年%m月} 网点服务费结算单 {statement.number}"


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _rows(statement: SettlementStatement):
    lines = statement.lines.select_related("visit").order_by("id")
    for n, line in enumerate(lines, start=1):
        description = line.description
        if line.visit_id:
            description += f" 第{line.visit.sequence}次上门"
        yield [
            n,
            line.get_kind_display(),
            description,
            line.fee_date,
            line.get_category_display() if line.category else "",
            line.distance_km,
            line.product_model,
            line.get_state_display(),
            line.amount,
        ]


def _signatures(statement: SettlementStatement) -> list[str]:
    out = [f"合计金额（大写）：人民币{yuan_in_capitals(statement.total)}"]
    if statement.issued_at:
        out.append(
            f"下发（网点专员）：{_name(statement.issued_by)}  "
            f"{timezone.localtime(statement.issued_at):%Y-%m-%d}"
        )
    if statement.confirmed_at:
        out.append(f"网点确认：{timezone.localtime(statement.confirmed_at):%Y-%m-%d}")
    if statement.approved_at:
        out.append(
            f"审批（客服部长）：{_name(statement.approved_by)}  "
            f"{timezone.localtime(statement.approved_at):%Y-%m-%d}"
        )
    if statement.exported_at:
        out.append(
            f"导出付款（财务）：{_name(statement.exported_by)}  "
            f"{timezone.localtime(statement.exported_at):%Y-%m-%d}"
        )
    else:
        out.append("财务付款：＿＿＿＿＿＿  日期：＿＿＿＿＿＿")
    return out


def _totals(statement: SettlementStatement) -> list[tuple[str, object]]:
    return [
        ("服务费", statement.visits_total),
        ("奖励", statement.rewards_total),
        ("扣罚", statement.penalties_total),
        ("合计", statement.total),
    ]


def settlement_xlsx(statement: SettlementStatement) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{statement.month:%Y-%m}"
    ws.append([_title(statement)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"状态：{statement.get_state_display()}", f"网点编码：{statement.point.code}"])
    ws.append(HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in _rows(statement):
        ws.append(row)
        cells = ws[ws.max_row]
        cells[3].number_format = DATE_FORMAT
        cells[8].number_format = AMOUNT_FORMAT
    for label, value in _totals(statement):
        ws.append(["", "", label, "", "", "", "", "", value])
        ws[ws.max_row][8].number_format = AMOUNT_FORMAT
        ws[ws.max_row][2].font = Font(bold=True)
    ws.append([])
    for text in _signatures(statement):
        ws.append([text])
    for column, width in zip("ABCDEFGHI", (6, 12, 40, 12, 8, 9, 12, 10, 12), strict=True):
        ws.column_dimensions[column].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def settlement_pdf(statement: SettlementStatement) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    title = ParagraphStyle("title", fontName=font, fontSize=14, leading=19)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)

    def cell(value) -> str:
        if value is None:
            return ""
        if hasattr(value, "quantize"):
            return f"{value:,.2f}" if value.as_tuple().exponent == -2 else str(value)
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    data = [HEADERS] + [
        [cell(c) if i != 2 else Paragraph(escape(str(c)), body) for i, c in enumerate(row)]
        for row in _rows(statement)
    ]
    for label, value in _totals(statement):
        data.append(["", "", label, "", "", "", "", "", cell(value)])
    table = Table(data, repeatRows=1, colWidths=[28, 56, 250, 62, 40, 46, 64, 50, 66])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("ALIGN", (8, 1), (8, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    out = BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), title=_title(statement), initialFontName=font
    )
    doc.build(
        [
            Paragraph(escape(_title(statement)), title),
            Spacer(1, 6),
            Paragraph(escape(f"状态：{statement.get_state_display()}"), body),
            Spacer(1, 8),
            table,
            Spacer(1, 16),
            *[
                p
                for text in _signatures(statement)
                for p in (Paragraph(escape(text), body), Spacer(1, 8))
            ],
        ]
    )
    return out.getvalue()
