"""Material planning (物料计划): the daily job finds exactly the reorder points below their
minimum and tells the parts supervisor; the consumption report equals a direct count of the
ledger's issues and sales by part and month."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from service_ops import plugins
from service_ops.notifications.models import Notification
from spareparts.choices import MovementKind
from spareparts.models import StockMovement
from spareparts.selectors.planning import below_reorder_points, consumption
from spareparts.services.planning import planning_check_reorder, reorder_point_set
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


def test_the_consumption_report_equals_a_direct_count_of_issues_and_sales(parts, client):
    p = parts
    with time_machine.travel(datetime(2026, 10, 5, 10, tzinfo=Z), tick=False):
        stock_receive(part=p.board, warehouse=p.hq_wh, quantity=30, actor=p.parts_clerk)
        stock_receive(part=p.cable, warehouse=p.hq_wh, quantity=30, actor=p.parts_clerk)
        stock_issue(part=p.board, warehouse=p.hq_wh, quantity=2, actor=p.parts_clerk)
        stock_sell(part=p.cable, warehouse=p.hq_wh, quantity=4, actor=p.parts_clerk)
    with time_machine.travel(datetime(2026, 11, 5, 10, tzinfo=Z), tick=False):
        stock_issue(part=p.board, warehouse=p.hq_wh, quantity=1, actor=p.parts_clerk)
        stock_sell(part=p.board, warehouse=p.hq_wh, quantity=3, actor=p.parts_clerk)
        stock_sell(part=p.cable, warehouse=p.hq_wh, quantity=1, actor=p.parts_clerk)

    rows = consumption()
    got = {(r.month.strftime("%Y-%m"), r.number): (r.issued, r.sold) for r in rows}
    direct = {}
    for m in StockMovement.objects.filter(kind__in=[MovementKind.ISSUE, MovementKind.SALE]):
        key = (m.created_at.astimezone(Z).strftime("%Y-%m"), m.part.number)
        issued, sold = direct.get(key, (0, 0))
        if m.kind == MovementKind.ISSUE:
            issued -= m.on_hand_change
        else:
            sold -= m.on_hand_change
        direct[key] = (issued, sold)
    assert got == direct
    assert got[("2026-11", "GPS-MB-01")] == (1, 3)
    # by product model: only the parts that fit it (the board fits GPS-X1, the cable T1)
    assert {r.number for r in consumption(product_model="GPS-X1")} == {"GPS-MB-01"}

    client.force_login(p.parts_sup)
    page = client.get(reverse("spareparts:consumption"), {"product_model": "T1"})
    assert page.status_code == 200 and "PWR-CBL-03" in page.content.decode()
    export = client.get(reverse("spareparts:consumption"), {"format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
