"""Month-end statement exports for finance: Excel (openpyxl) and PDF (reportlab).

The PDF embeds its Chinese font, Noto Sans SC Regular (SIL OFL 1.1), as subsets of the glyphs it
uses, so it shows the same on every machine. The font file comes from the npm package
@expo-google-fonts/noto-sans-sc (package.json, installed into node_modules like the static assets;
a TrueType-outline TTF, which reportlab can subset and embed; the CFF-outline Noto Sans CJK and
Source Han OTFs it cannot). Should the file be missing, the PDF falls back to reportlab's built-in
STSong-Light CID font with a logged warning: that font is not embedded, and a reader without it
shows boxes or a substitute font."""

import logging
from functools import cache
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from service_ops.money import yuan_in_capitals

from .choices import StatementState
from .models import MonthlyStatement

logger = logging.getLogger(__name__)

PDF_FONT = "NotoSansSC"  # embedded (subset) TrueType font
PDF_FALLBACK_FONT = "STSong-Light"  # reportlab's built-in CID font: not embedded
PDF_FONT_FILE = ("@expo-google-fonts", "noto-sans-sc", "400Regular", "NotoSansSC_400Regular.ttf")

HEADERS = ["维修单号", "型号", "出厂编号", "发货日期", "维修费", "配件及材料费", "合计"]
AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _signatures(statement: MonthlyStatement) -> list[str]:
    """The lines finance expects under a statement: who made it, who confirmed it, the hand-over
    to sales dispatch and the transfer (划账) once recorded, finance."""
    if statement.confirmed_by_id:
        who = _name(statement.confirmed_by)
        confirmed = f"分公司经理确认：{who}  {timezone.localtime(statement.confirmed_at):%Y-%m-%d}"
    else:
        confirmed = "分公司经理确认（签字）：＿＿＿＿＿＿  日期：＿＿＿＿＿＿"
    lines = [
        f"合计金额（大写）：人民币{yuan_in_capitals(statement.total)}",
        "制表（后勤专员）：＿＿＿＿＿＿  日期：＿＿＿＿＿＿",
        confirmed,
    ]
    if statement.handed_over_by_id:
        lines.append(
            f"提交销售调度部：{_name(statement.handed_over_by)}  "
            f"{timezone.localtime(statement.handed_over_at):%Y-%m-%d}"
        )
    settlement = settlement_line(statement)
    if settlement:
        lines.append(settlement)
    lines.append("财务审核：＿＿＿＿＿＿  日期：＿＿＿＿＿＿")
    return lines


def settlement_line(statement: MonthlyStatement) -> str:
    """划账 as finance reads it: date, amount, voucher, who recorded it, and a difference with
    its reason. Empty until the statement is settled."""
    if statement.state != StatementState.SETTLED:
        return ""
    text = (
        f"划账：{statement.settled_on:%Y-%m-%d}  金额 ¥{statement.settled_amount:,.2f}  "
        f"凭证号 {statement.settlement_reference}  登记：{_name(statement.settled_by)}"
    )
    difference = statement.settlement_difference
    if difference:
        text += f"  与合计相差 ¥{difference:,.2f}"
    if statement.settlement_note:
        text += f"  说明：{statement.settlement_note}"
    return text


def _rows(statement: MonthlyStatement):
    for line in statement.lines.select_related("order").order_by("order__number"):
        order = line.order
        yield [
            order.number,
            order.product_model,
            order.serial_number,
            order.shipped_on,
            line.repair_fee,
            line.parts_fee,
            line.repair_fee + line.parts_fee,
        ]


PART_HEADERS = ["维修单号", "配件编号", "配件名称", "数量", "单价", "保修", "收费", "成本"]


def _part_rows(statement: MonthlyStatement):
    """Issue 19: each issued part line of the month's units at its price (warranty free)."""
    for row in statement.part_lines.select_related("order").order_by("id"):
        yield [
            row.order.number,
            row.part_number,
            row.part_name,
            row.quantity,
            row.unit_price,
            "保修免费" if row.in_warranty else "收费",
            row.charged,
            row.cost,
        ]


def _title(statement: MonthlyStatement) -> str:
    return f"{statement.branch.name} {statement.month:%Y年%m月} 维修及配件费用对账单"


def statement_xlsx(statement: MonthlyStatement) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{statement.month:%Y-%m}"
    ws.append([_title(statement)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            f"状态：{statement.get_state_display()}",
            f"生成：{timezone.localtime(statement.generated_at):%Y-%m-%d %H:%M}",
        ]
    )
    ws.append(HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in _rows(statement):
        ws.append(row)
        cells = ws[ws.max_row]
        cells[3].number_format = DATE_FORMAT  # a real date, not text
        for cell in cells[4:]:
            cell.number_format = AMOUNT_FORMAT
    ws.append(["合计", "", "", "", statement.repair_fees, statement.parts_fees, statement.total])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for cell in ws[ws.max_row][4:]:
        cell.number_format = AMOUNT_FORMAT
    if not statement.lines.exists():
        ws.append(["本月没有收费的维修。"])
    ws.append([])
    for text in _signatures(statement):
        ws.append([text])
    for column, width in zip("ABCDEFG", (18, 14, 18, 12, 12, 14, 12), strict=True):
        ws.column_dimensions[column].width = width
    parts = list(_part_rows(statement))
    if parts:  # issue 19: the parts sheet
        sheet = wb.create_sheet("配件明细")
        sheet.append(PART_HEADERS)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in parts:
            sheet.append(row)
            for cell in (sheet[sheet.max_row][4], *sheet[sheet.max_row][6:]):
                cell.number_format = AMOUNT_FORMAT
        sheet.append(["保修索赔配件成本", "", "", "", "", "", "", statement.warranty_parts_cost])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def register_pdf_font(path: Path) -> str:
    """Register the TrueType font at `path` with reportlab and return its name; if it cannot be
    read, register the built-in STSong-Light instead (with a warning) and return that."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    try:
        pdfmetrics.registerFont(TTFont(PDF_FONT, path))
    except (OSError, TTFError) as exc:
        logger.warning(
            "Statement PDFs fall back to the built-in %s font, which is not embedded "
            "(readers without it show boxes): cannot load %s (%s). "
            "Install the npm packages (make run / make test, or npm ci).",
            PDF_FALLBACK_FONT,
            path,
            exc,
        )
    else:
        return PDF_FONT
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FALLBACK_FONT))
    return PDF_FALLBACK_FONT


@cache
def pdf_font() -> str:
    """The statement PDF's font name, registered once per process."""
    return register_pdf_font(Path(settings.NODE_MODULES).joinpath(*PDF_FONT_FILE))


def _pdf_parts(statement: MonthlyStatement, font: str, cell) -> list:
    """Issue 19: the parts table under the statement's (nothing when no part was issued)."""
    from reportlab.lib import colors
    from reportlab.platypus import Spacer, Table, TableStyle

    rows = [[cell(c) for c in row] for row in _part_rows(statement)]
    if not rows:
        return []
    rows.append(["保修索赔配件成本", "", "", "", "", "", "", cell(statement.warranty_parts_cost)])
    table = Table([PART_HEADERS, *rows], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return [Spacer(1, 12), table]


def statement_pdf(statement: MonthlyStatement) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)

    def cell(value) -> str:
        if value is None:
            return ""
        if hasattr(value, "quantize"):
            return f"{value:,.2f}"
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    data = [HEADERS] + [[cell(c) for c in row] for row in _rows(statement)]
    totals = (statement.repair_fees, statement.parts_fees, statement.total)
    data.append(["合计", "", "", "", *(cell(v) for v in totals)])
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("ALIGN", (4, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    out = BytesIO()
    # initialFontName: else every page also names Helvetica, a font the PDF would not embed
    doc = SimpleDocTemplate(out, pagesize=A4, title=_title(statement), initialFontName=font)
    doc.build(
        [
            Paragraph(_title(statement), title),
            Spacer(1, 8),
            Paragraph(f"状态：{statement.get_state_display()}", body),
            Spacer(1, 8),
            table,
            *_pdf_parts(statement, font, cell),
            Spacer(1, 18),
            *[
                p
                for text in _signatures(statement)
                for p in (Paragraph(escape(text), body), Spacer(1, 10))
            ],
        ]
    )
    return out.getvalue()
