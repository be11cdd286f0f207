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
