"""Every shipped, quoted unit is billed exactly once (issue 15, item 1). A statement confirmed
in the middle of its month used to lock, and a unit shipped later that month went on no
statement: now a month is confirmed only after it ends, from a statement built after it ended."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import Sum

from repairs.choices import QuoteState, StatementState
from repairs.models import QuoteLine, RepairOrder, StatementLine
from repairs.models.orders import month_bounds
from repairs.services import orders as ro
from tests.repairs.test_orders import _ship_with_quote

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")
NOVEMBER = date(2026, 11, 1)


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=Z), tick=False)


def billable_total(branch, month) -> Decimal:
    """Straight from the orders: consented quotes of units shipped in the month."""
    start, end = month_bounds(month)
    return QuoteLine.objects.filter(
        quote__state=QuoteState.CONSENTED,
        quote__order__branch=branch,
        quote__order__shipped_at__gte=start,
        quote__order__shipped_at__lt=end,
    ).aggregate(total=Sum("amount"))["total"] or Decimal(0)


def test_a_month_is_confirmed_only_after_it_ends_from_a_statement_built_after_it(net):
    _ship_with_quote(
        net, "B1", Decimal("80"), Decimal("120.50"), datetime(2026, 11, 10, 10, tzinfo=Z)
    )
    with at(2026, 11, 13, 10):
        early = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
        assert early.total == Decimal("200.50")
        with pytest.raises(ValidationError, match="尚未结束"):
            ro.statement_confirm(statement_id=early.pk, actor=net.cs_manager)
    # the ¥700 unit shipped on the 18th, after the (refused) confirmation on the 13th
    _ship_with_quote(
        net, "B2", Decimal("500"), Decimal("200"), datetime(2026, 11, 18, 10, tzinfo=Z)
    )
    with at(2026, 12, 1, 9):
        with pytest.raises(ValidationError, match="生成于月末之前"):
            ro.statement_confirm(statement_id=early.pk, actor=net.cs_manager)
        final = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
        ro.statement_confirm(statement_id=final.pk, actor=net.cs_manager)
    final.refresh_from_db()
    assert final.state == StatementState.CONFIRMED
    assert final.total == Decimal("900.50") == billable_total(net.cs, NOVEMBER)


def test_every_shipped_quoted_unit_is_on_exactly_one_statement(net):
    # the boundaries: the first and last moments of the month (Asia/Shanghai) and the next day
    for serial, when in [
        ("E1", datetime(2026, 11, 1, 0, 0, 1, tzinfo=Z)),
        ("E2", datetime(2026, 11, 30, 23, 59, tzinfo=Z)),
        ("E3", datetime(2026, 12, 1, 0, 0, 1, tzinfo=Z)),
    ]:
        _ship_with_quote(net, serial, Decimal("10"), Decimal("1"), when)
    with at(2027, 1, 2, 9):
        for month in (NOVEMBER, date(2026, 12, 1)):
            statement = ro.statement_build(branch=net.cs, month=month, actor=net.clerk)
            ro.statement_confirm(statement_id=statement.pk, actor=net.cs_manager)
            assert statement.total == billable_total(net.cs, month)
    shipped = RepairOrder.objects.filter(
        shipped_at__isnull=False, quotes__state=QuoteState.CONSENTED
    )
    billed = StatementLine.objects.values_list("order_id", flat=True)
    assert sorted(billed) == sorted(shipped.values_list("pk", flat=True))  # each once
    nov = StatementLine.objects.filter(statement__month=NOVEMBER).values_list(
        "order__serial_number", flat=True
    )
    assert sorted(nov) == ["E1", "E2"]


def test_the_statement_pdf_embeds_its_chinese_font(net):
    """Finance's machines without STSong-Light showed boxes: the PDF carries its own font, subset
    Noto Sans SC from npm (issue 15, item 17), and reads back with the amounts in capitals."""
    from io import BytesIO

    from pypdf import PdfReader

    from repairs.statement_exports import PDF_FONT, pdf_font, statement_pdf

    assert pdf_font() == PDF_FONT, "Noto Sans SC is missing from node_modules: run `npm ci`"
    _ship_with_quote(
        net, "P1", Decimal("1280"), Decimal("234.56"), datetime(2026, 11, 10, 10, tzinfo=Z)
    )
    with at(2026, 12, 1, 9):
        statement = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
    pdf = PdfReader(BytesIO(statement_pdf(statement)))
    fonts = {}
    for page in pdf.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts and all(name.endswith("+NotoSansSC-Regular") for name in fonts), fonts
    for font in fonts.values():  # a TrueType subset in the file, not a name for the reader to find
        assert "/FontFile2" in font["/FontDescriptor"]
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "维修及配件费用对账单" in text
    assert "1,280.00" in text and "234.56" in text and "1,514.56" in text
    assert "合计金额（大写）：人民币壹仟伍佰壹拾肆元伍角陆分" in text
    assert "财务审核" in text


def test_without_the_font_file_the_pdf_falls_back_to_stsong_with_a_warning(
    net, tmp_path, caplog, monkeypatch
):
    from repairs import statement_exports
    from repairs.statement_exports import PDF_FALLBACK_FONT, register_pdf_font, statement_pdf

    font = register_pdf_font(tmp_path / "missing.ttf")
    assert font == PDF_FALLBACK_FONT
    assert "fall back to the built-in STSong-Light" in caplog.text
    assert "missing.ttf" in caplog.text
    monkeypatch.setattr(statement_exports, "pdf_font", lambda: font)
    with at(2026, 12, 1, 9):
        statement = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
    pdf = statement_pdf(statement)  # still a statement, in a font the reader must have
    assert pdf.startswith(b"%PDF") and b"/STSong-Light" in pdf and b"/FontFile2" not in pdf
