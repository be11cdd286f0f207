"""Material planning (物料计划): the daily job finds exactly the reorder points below their
minimum and tells the parts supervisor, who keeps the points on a screen of their own; the
consumption report equals a direct count of the ledger's issues and sales by part (or product
model) and month, whether its months are rolled up or read live, pages its biggest lines with a
cursor, and exports what it shows."""

from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from service_ops import plugins
from service_ops.notifications.models import Notification
from spareparts.choices import MovementKind
from spareparts.models import ConsumptionMonth, ConsumptionRollup, ReorderPoint, StockMovement
from spareparts.selectors.planning import below_reorder_points, consumption_report
from spareparts.services.planning import (
    planning_check_reorder,
    planning_rollup_consumption,
    reorder_point_set,
)
from spareparts.services.stock import stock_issue, stock_receive, stock_reserve, stock_sell

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")


def test_the_daily_job_lists_exactly_the_parts_below_their_reorder_point(parts):
    p = parts
    stock_receive(part=p.board, warehouse=p.hq_wh, quantity=5, actor=p.parts_clerk)
    stock_receive(part=p.antenna, warehouse=p.hq_wh, quantity=5, actor=p.parts_clerk)
    stock_reserve(part=p.antenna, warehouse=p.hq_wh, quantity=3, actor=p.parts_clerk)
    reorder_point_set(
        part=p.board, warehouse=p.hq_wh, minimum=5, reorder_quantity=10, actor=p.parts_sup
    )  # available 5: not below
    reorder_point_set(
        part=p.antenna, warehouse=p.hq_wh, minimum=3, reorder_quantity=10, actor=p.parts_sup
    )  # available 2 (5 − 3 reserved): below
    reorder_point_set(
        part=p.cable, warehouse=p.point_wh, minimum=1, reorder_quantity=4, actor=p.parts_sup
    )  # no stock at all: below
    found = {(r.part_id, r.warehouse_id, r.available) for r in below_reorder_points()}
    assert found == {(p.antenna.pk, p.hq_wh.pk, 2), (p.cable.pk, p.point_wh.pk, 0)}

    assert planning_check_reorder() == 2
    told = Notification.objects.get(recipient=p.parts_sup)
    assert told.url == reverse("spareparts:reorder_list")
    assert "spareparts-reorder-check" in {job.name for job in plugins.periodic_jobs()}

    client_page = reverse("spareparts:reorder_list")
    from django.test import Client

    c = Client()
    c.force_login(p.parts_sup)
    body = c.get(client_page).content.decode()
    assert p.antenna.number in body and p.board.number not in body
    c.force_login(p.point_user)
    assert c.get(client_page).status_code == 403


def _direct(group_by_model=False):
    """The ledger's issues and sales counted one by one: {(month, key): (issued, sold)}."""
    direct = {}
    for m in StockMovement.objects.filter(kind__in=[MovementKind.ISSUE, MovementKind.SALE]):
        month = m.created_at.astimezone(Z).strftime("%Y-%m")
        keys = [f.product_model for f in m.part.fits.all()] if group_by_model else [m.part.number]
        for key in keys:
            issued, sold = direct.get((month, key), (0, 0))
            if m.kind == MovementKind.ISSUE:
                issued -= m.on_hand_change
            else:
                sold -= m.on_hand_change
            direct[(month, key)] = (issued, sold)
    return direct


def _consume(p):
    with time_machine.travel(datetime(2026, 10, 5, 10, tzinfo=Z), tick=False):
        stock_receive(part=p.board, warehouse=p.hq_wh, quantity=30, actor=p.parts_clerk)
        stock_receive(part=p.cable, warehouse=p.hq_wh, quantity=30, actor=p.parts_clerk)
        stock_receive(part=p.antenna, warehouse=p.hq_wh, quantity=30, actor=p.parts_clerk)
        stock_issue(part=p.board, warehouse=p.hq_wh, quantity=2, actor=p.parts_clerk)
        stock_sell(part=p.cable, warehouse=p.hq_wh, quantity=4, actor=p.parts_clerk)
    # the last minutes of October in Shanghai are October's (16:30 UTC is 00:30 on 1 November)
    with time_machine.travel(datetime(2026, 10, 31, 23, 50, tzinfo=Z), tick=False):
        stock_issue(part=p.antenna, warehouse=p.hq_wh, quantity=1, actor=p.parts_clerk)
    with time_machine.travel(datetime(2026, 11, 5, 10, tzinfo=Z), tick=False):
        stock_issue(part=p.board, warehouse=p.hq_wh, quantity=1, actor=p.parts_clerk)
        stock_sell(part=p.board, warehouse=p.hq_wh, quantity=3, actor=p.parts_clerk)
        stock_sell(part=p.cable, warehouse=p.hq_wh, quantity=1, actor=p.parts_clerk)
        stock_reserve(part=p.antenna, warehouse=p.hq_wh, quantity=5, actor=p.parts_clerk)


def _cells(report):
    """{(month, key): total} of a report's lines, zeros left out."""
    return {
        (month.strftime("%Y-%m"), line.number if report.group == "part" else line.key): q
        for line in report.lines
        for month, q in zip(report.months, line.months, strict=True)
        if q
    }


PERIOD = {"since": date(2026, 9, 1), "until": date(2026, 11, 1)}


@pytest.mark.parametrize("rolled_up", [False, True], ids=["live", "rolled up"])
@pytest.mark.parametrize("group", ["part", "model"])
def test_the_consumption_report_equals_a_direct_count_of_the_ledger(parts, rolled_up, group):
    p = parts
    _consume(p)
    if rolled_up:
        # on 2 December October and November have ended: rolled up (September had nothing)
        assert planning_rollup_consumption(now=datetime(2026, 12, 2, 1, tzinfo=Z)) == 2
        assert planning_rollup_consumption(now=datetime(2026, 12, 2, 1, tzinfo=Z)) == 0
        assert set(ConsumptionRollup.objects.values_list("month", flat=True)) == {
            date(2026, 10, 1),
            date(2026, 11, 1),
        }
    report = consumption_report(**PERIOD, group=group)
    # September is before the ledger's first consumption: never rolled up, read live
    assert report.live_from == date(2026, 9, 1)
    assert report.rolled == ({date(2026, 10, 1), date(2026, 11, 1)} if rolled_up else set())
    direct = _direct(group_by_model=group == "model")
    assert _cells(report) == {k: i + s for k, (i, s) in direct.items()}
    totals = {line.number if group == "part" else line.key: line.total for line in report.lines}
    assert [line.total for line in report.lines] == sorted(totals.values(), reverse=True)
    # every movement once in the period's total, whatever the grouping
    assert (report.issued, report.sold) == (4, 8)
    if group == "part":
        assert _cells(report)[("2026-11", "GPS-MB-01")] == 4
        assert _cells(report)[("2026-10", "GPS-ANT-02")] == 1  # 23:50 local is October's
        # by product model: only the parts that fit it (the board and antenna fit GPS-X1)
        fit = consumption_report(**PERIOD, product_model="gps-x1")
        assert {line.number for line in fit.lines} == {"GPS-MB-01", "GPS-ANT-02"}
    else:
        # the board and the antenna fit GPS-X1 (6 + 1), the board GPS-X2, the cable T1
        assert totals == {"GPS-X1": 7, "T1": 5, "GPS-X2": 6}
        assert [line.key for line in report.lines] == ["GPS-X1", "GPS-X2", "T1"]


def test_the_consumption_report_pages_its_biggest_lines_with_a_cursor(parts):
    p = parts
    _consume(p)
    first = consumption_report(**PERIOD, limit=2)
    assert [line.number for line in first.lines] == ["GPS-MB-01", "PWR-CBL-03"]
    assert first.keys == 3 and first.more
    second = consumption_report(**PERIOD, limit=2, after=first.more)
    assert [line.number for line in second.lines] == ["GPS-ANT-02"] and not second.more
    # a cursor that makes no sense is the first page
    assert consumption_report(**PERIOD, limit=2, after="x~y").lines == first.lines


def test_a_rolled_up_month_is_read_from_the_roll_up_not_the_ledger(
    parts, django_assert_max_num_queries
):
    p = parts
    _consume(p)
    planning_rollup_consumption(now=datetime(2026, 12, 2, 1, tzinfo=Z))
    # the roll-up is what the report reads for an ended month (a marker row says it is complete)
    ConsumptionMonth.objects.filter(month=date(2026, 11, 1), part=p.board).update(issued=100)
    with django_assert_max_num_queries(8):
        report = consumption_report(**PERIOD)
    assert _cells(report)[("2026-11", "GPS-MB-01")] == 103


def test_the_consumption_page_shows_a_chart_totals_and_exports_the_same(parts, client):
    p = parts
    _consume(p)
    client.force_login(p.parts_sup)
    url = reverse("spareparts:consumption")
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=Z), tick=False):
        page = client.get(url)  # the default period: the twelve months up to this one
        html = page.content.decode()
        assert page.status_code == 200
        assert 'id="chart-consumption"' in html and "consumption.js" in html
        assert "GPS-MB-01" in html and "2025-12" in html and "2026-11" in html
        assert 'data-figure="total">12<' in html
        by_model = client.get(url, {"group": "model", "since": "2026-10", "until": "2026-11"})
        assert "GPS-X2" in by_model.content.decode()
        bad = client.get(url, {"since": "2026-11", "until": "2026-10"})
        assert "截止月份不能早于起始月份" in bad.content.decode()
        export = client.get(url, {"format": "xlsx", "since": "2026-10", "until": "2026-11"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("配件编号", "名称", "2026-10", "2026-11")
    assert rows[1][0] == "GPS-MB-01" and rows[1][2:] == (2, 4, 3, 3, 6)
    assert rows[-1][0] == "合计" and rows[-1][-1] == 12
    client.force_login(p.point_user)
    assert client.get(url).status_code == 403


def test_the_parts_supervisor_edits_reorder_points_on_the_planning_screen(
    parts, client, django_assert_max_num_queries
):
    p = parts
    stock_receive(part=p.board, warehouse=p.hq_wh, quantity=2, actor=p.parts_clerk)
    reorder_point_set(
        part=p.board, warehouse=p.hq_wh, minimum=5, reorder_quantity=10, actor=p.parts_sup
    )
    reorder_point_set(
        part=p.cable, warehouse=p.point_wh, minimum=1, reorder_quantity=4, actor=p.parts_sup
    )
    url = reverse("spareparts:reorder_list")
    client.force_login(p.parts_sup)
    with django_assert_max_num_queries(20):
        html = client.get(url).content.decode()
    assert "GPS-MB-01" in html and "PWR-CBL-03" in html
    # the headquarters row links to a receipt of the reorder quantity, the point's to a transfer
    assert f"/parts/receive/?warehouse={p.hq_wh.pk}&amp;part=GPS-MB-01&amp;quantity=10" in html
    assert f"to={p.point_wh.pk}&amp;part=PWR-CBL-03" in html
    only_hq = client.get(url, {"warehouse": p.hq_wh.pk}).content.decode()
    assert "GPS-MB-01" in only_hq and "PWR-CBL-03" not in only_hq

    point = ReorderPoint.objects.get(part=p.board)
    edit = reverse("spareparts:reorder_edit", args=[point.pk])
    assert client.post(edit, {"minimum": 2, "reorder_quantity": 6, "next": url}).status_code == 302
    point.refresh_from_db()
    assert (point.minimum, point.reorder_quantity) == (2, 6)

    # available 2 is no longer below 2: off the list, still under "all"
    def listed(**params):
        return {r["point"].part.number for r in client.get(url, params).context["rows"]}

    assert listed() == {"PWR-CBL-03"}
    assert listed(show="all") == {"GPS-MB-01", "PWR-CBL-03"}
    client.post(edit, {"minimum": 0, "reorder_quantity": 6})
    point.refresh_from_db()
    assert point.minimum == 2  # refused

    # a new point by part number, and a bad number named on the form
    bad = client.post(url, {"warehouse": p.hq_wh.pk, "part": "NOPE", "minimum": 1,
                            "reorder_quantity": 1})  # fmt: skip
    assert bad.status_code == 400 and "没有这个配件编号" in bad.content.decode()
    client.post(url, {"warehouse": p.hq_wh.pk, "part": "gps-ant-02", "minimum": 3,
                      "reorder_quantity": 9})  # fmt: skip
    assert ReorderPoint.objects.filter(part=p.antenna, warehouse=p.hq_wh, minimum=3).exists()

    # keyset pages: the second page follows the first without repeating it
    for part in (p.antenna, p.cable):
        reorder_point_set(
            part=part, warehouse=p.office_wh, minimum=50, reorder_quantity=1, actor=p.parts_sup
        )
    first = client.get(url, {"show": "all"}).context["page"]
    assert len(first.object_list) == 5 and not first.has_next

    # a headquarters person who is not parts staff reads but may not change; a partner not at all
    client.force_login(p.clerk)
    assert client.post(edit, {"minimum": 9, "reorder_quantity": 9}).status_code == 403
    client.force_login(p.point_user)
    assert client.get(url).status_code == 403
    assert client.post(edit, {"minimum": 9, "reorder_quantity": 9}).status_code == 403


def test_reorder_points_are_scoped_to_the_warehouses_the_reader_sees(parts):
    p = parts
    reorder_point_set(
        part=p.cable, warehouse=p.point_wh, minimum=1, reorder_quantity=4, actor=p.parts_sup
    )
    reorder_point_set(
        part=p.cable, warehouse=p.dealer_wh, minimum=1, reorder_quantity=4, actor=p.parts_sup
    )
    assert set(
        ReorderPoint.objects.visible_to(p.point_user).values_list("warehouse", flat=True)
    ) == {p.point_wh.pk}
    assert ReorderPoint.objects.visible_to(p.parts_sup).count() == 2
    with pytest.raises(PermissionDenied):
        reorder_point_set(
            part=p.cable, warehouse=p.point_wh, minimum=1, reorder_quantity=4, actor=p.point_user
        )
