"""Repairs reports (issue 21 item 2): every figure equals a direct count of the same orders, the
caller's scope holds, the turnaround is stored when a unit ships, and Excel goes through the
platform's background export."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from repairs.models import RepairOrder
from repairs.selectors import reports as r
from repairs.services import orders as ro
from service_ops.reports.models import ExportJob
from service_ops.reports.services import export_request
from service_ops.workcalendar import clock
from tests.repairs.test_orders import receive_lot

Z = ZoneInfo("Asia/Shanghai")
NOV = datetime(2026, 11, 10, 10, tzinfo=Z)
DEC = datetime(2026, 12, 3, 10, tzinfo=Z)


@pytest.fixture
def world(net):
    """Three lots (1, 3 and 5 units) received in early November; their orders carry the report
    columns directly (pickup, shipment, QC and repair counts, service type, fault). Two of the
    5-unit lot's orders are moved to the Guangzhou branch, for the scoping tests."""
    lots = [
        receive_lot(net, [f"{tag}{i}" for i in range(n)], datetime(2026, 11, 2, 9, tzinfo=Z))
        for tag, n in (("A", 1), ("B", 3), ("C", 5))
    ]
    plan = [
        # (serial, shipped, hours, repair_count, qc_failures, service type, fault, model)
        ("A0", NOV, 10.0, 1, 0, "free", "不定位", "GPS-X1"),
        ("B0", NOV, 20.0, 1, 0, "free", "不定位", "GPS-X1"),
        ("B1", NOV, 30.0, 2, 1, "paid", "屏幕不亮", "GPS-X1"),
        ("B2", DEC, 45.0, 1, 0, "paid", "不定位", "GPS-X2"),
        ("C0", DEC, 60.0, 3, 2, "free", "进水", "GPS-X2"),
        ("C1", DEC, 70.0, 1, 0, "contract", "不定位", "GPS-X2"),
        ("C2", DEC, 80.0, 0, 0, "", "", "GPS-X2"),
        ("C3", NOV, 15.0, 1, 0, "free", "屏幕不亮", "GPS-X1"),  # → Guangzhou
        ("C4", None, None, 1, 0, "free", "不定位", "GPS-X1"),  # not shipped: never counted
    ]
    for serial, shipped, hours, repairs, fails, kind, fault, model in plan:
        RepairOrder.objects.filter(serial_number=serial).update(
            picked_up_at=datetime(2026, 11, 3, 9, tzinfo=Z),
            shipped_at=shipped,
            turnaround_hours=hours,
            repair_count=repairs,
            qc_failures=fails,
            service_type=kind,
            fault_description=fault,
            product_model=model,
        )
    RepairOrder.objects.filter(serial_number="C3").update(branch=net.gz, dealer=None)
    net.lots = lots
    return net


def F(user, start="2026-11", end="2026-12", **kw):
    return r.filters_from({"start": start, "end": end, **kw}, user, date(2026, 12, 7))


def direct(user, **filters):
    return RepairOrder.objects.visible_to(user).filter(shipped_at__isnull=False, **filters)


def test_turnaround_median_and_p90_equal_the_hours_of_the_orders(world):
    rows = r.turnaround(world.head, F(world.head))
    got = {(row.month, row.tier): row for row in rows if row.units}
    expected = {}
    for o in direct(world.head).select_related("lot"):
        tier = "1" if o.lot.size == 1 else "2-3" if o.lot.size <= 3 else "4+"
        month = clock.local_date(o.shipped_at).replace(day=1)
        expected.setdefault((month, tier), []).append(o.turnaround_hours)
    assert set(got) == set(expected)
    for key, hours in expected.items():
        assert got[key].units == len(hours)
        assert got[key].median == round(statistics.median(hours), 1)
        assert got[key].p90 == round(r._percentile(hours, 0.9), 1)
    # e.g. the 5-unit lot in December: 60, 70, 80 → median 70, p90 78
    dec = got[(date(2026, 12, 1), "4+")]
    assert (dec.units, dec.median, dec.p90) == (3, 70.0, 78.0)
    # every month and tier has a row (empty ones too), so the chart's axis is complete
    assert len(rows) == 2 * len(r.TIERS)


def test_qc_yield_and_second_repairs_by_model_equal_direct_counts(world):
    rows = {row.model: row for row in r.qc_by_model(world.head, F(world.head))}
    for model in ("GPS-X1", "GPS-X2"):
        qs = direct(world.head, product_model=model)
        repaired = qs.filter(repair_count__gte=1)
        row = rows[model]
        assert row.shipped == qs.count()
        assert row.repaired == repaired.count()
        assert row.first_pass == repaired.filter(qc_failures=0).count()
        assert row.second_repair == qs.filter(repair_count__gte=2).count()
    x2 = rows["GPS-X2"]  # B2, C0, C1, C2: 3 repaired, 2 first-pass, 1 second repair
    assert (x2.shipped, x2.repaired, x2.yield_pct, x2.second_repair_pct) == (4, 3, 66.7, 33.3)


def test_warranty_share_by_month_equals_direct_counts(world):
    rows = {row.month: row for row in r.warranty_share(world.head, F(world.head))}
    nov = rows[date(2026, 11, 1)]
    assert nov.counts == {"free": 3, "paid": 1}
    assert nov.total == direct(world.head, shipped_at__lt=DEC).count()
    assert nov.pct("free") == 75.0
    dec = rows[date(2026, 12, 1)]
    assert dec.counts == {"paid": 1, "free": 1, "contract": 1, "": 1}


def test_top_faults_by_model_equal_direct_counts(world):
    rows = r.top_faults(world.head, F(world.head))
    got = {(row.model, row.fault): row.units for row in rows}
    for (model, fault), units in got.items():
        assert units == direct(world.head, product_model=model, fault_description=fault).count()
    assert rows[0].units == 2 and got[("GPS-X1", "不定位")] == 2
    assert sum(got.values()) == direct(world.head).count()


def test_the_period_filter_counts_shipments_of_those_months_only(world):
    rows = r.warranty_share(world.head, F(world.head, start="2026-12", end="2026-12"))
    assert [row.month for row in rows] == [date(2026, 12, 1)]
    assert rows[0].total == 4


def test_a_branch_manager_sees_only_their_branchs_units(world):
    """Guangzhou's manager: the one order moved there; Changsha's: the rest; the branch filter
    of headquarters narrows the same way, and a branch outside the caller's scope is ignored."""
    gz = r.qc_by_model(world.gz_manager, F(world.gz_manager))
    assert [(row.model, row.shipped) for row in gz] == [("GPS-X1", 1)]
    cs_total = sum(row.shipped for row in r.qc_by_model(world.cs_manager, F(world.cs_manager)))
    assert cs_total == 7
    hq_gz = r.qc_by_model(world.head, F(world.head, branch=str(world.gz.pk)))
    assert [(row.model, row.shipped) for row in hq_gz] == [("GPS-X1", 1)]
    f = F(world.gz_manager, branch=str(world.cs.pk))
    assert f.branch is None and [b.pk for b in f.branches] == [world.gz.pk]
    assert sum(row.shipped for row in r.qc_by_model(world.gz_manager, f)) == 1


def test_the_pages_show_the_figures_and_refuse_partners(world, client):
    client.force_login(world.cs_manager)
    for kind in r.REPORTS:
        response = client.get(f"/repairs/reports/?report={kind}&start=2026-11&end=2026-12")
        assert response.status_code == 200, kind
        assert b'id="chart-report"' in response.content
    html = client.get("/repairs/reports/?report=qc&start=2026-11&end=2026-12").content.decode()
    assert "GPS-X2" in html and "66.7%" in html
    client.force_login(world.gz_manager)
    html = client.get("/repairs/reports/?report=qc&start=2026-11&end=2026-12").content.decode()
    assert "GPS-X2" not in html
    client.force_login(world.dealer_user)
    assert client.get("/repairs/reports/?report=qc").status_code == 403
    client.force_login(world.tech)
    assert client.get("/repairs/reports/?report=qc").status_code == 403


def test_each_report_page_costs_the_same_queries_with_more_orders(
    world, client, django_assert_max_num_queries
):
    client.force_login(world.head)
    counts = {}
    for kind in r.REPORTS:
        with django_assert_max_num_queries(40) as ctx:
            client.get(f"/repairs/reports/?report={kind}&start=2026-11&end=2026-12")
        counts[kind] = len(ctx.captured_queries)
    receive_lot(world, [f"M{i}" for i in range(6)], datetime(2026, 11, 4, 9, tzinfo=Z))
    RepairOrder.objects.filter(serial_number__startswith="M").update(
        shipped_at=DEC, turnaround_hours=5.0, repair_count=1, fault_description="死机"
    )
    for kind in r.REPORTS:
        with django_assert_max_num_queries(counts[kind]):
            client.get(f"/repairs/reports/?report={kind}&start=2026-11&end=2026-12")


def test_shipping_stores_the_working_hours_from_pickup(net):
    at = datetime(2026, 11, 23, 9, tzinfo=Z)  # a Monday
    lot = receive_lot(net, ["T1"], at)
    order = lot.orders.get()
    with time_machine.travel(at + timedelta(hours=1), tick=False):
        ro.order_pick_up(order_id=order.pk, actor=net.tech)
    with time_machine.travel(datetime(2026, 11, 24, 12, tzinfo=Z), tick=False):
        ro.order_start_repair(order_id=order.pk, actor=net.tech, diagnosis="天线")
        ro.order_finish_repair(order_id=order.pk, actor=net.tech)
        ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
        ro.order_qc(order_id=order.pk, actor=net.tech, passed=True)
        ro.order_pack(order_id=order.pk, actor=net.tech, packing_list="主机 ×1")
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=Z), tick=False):
        ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="顺丰", tracking_number="SF1")
    order.refresh_from_db()
    # Mon 10:00–18:00 (8 h) + Tue 08:30–18:00 (9.5 h) + Wed 08:30–10:00 (1.5 h)
    assert order.turnaround_hours == 19.0


def test_the_excel_export_runs_in_the_background_and_holds_the_pages_rows(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = export_request(
            user=world.gz_manager,
            report_key="repairs.qc",
            params={"start": "2026-11", "end": "2026-12"},
        )
    job = ExportJob.objects.get(pk=job.pk)
    assert (job.state, job.progress) == ("done", 100)
    sheet = load_workbook(job.file.open("rb")).active
    values = list(sheet.values)
    assert values[1][:3] == ("GPS-X1", 1, 1)  # Guangzhou's one unit only: the export is scoped
    assert len(values) == 2
    with django_capture_on_commit_callbacks(execute=True):
        summary = export_request(
            user=world.head, report_key="repairs.month_summary", params={"start": "2026-11"}
        )
    summary = ExportJob.objects.get(pk=summary.pk)
    assert summary.state == "done"
    assert len(load_workbook(summary.file.open("rb")).sheetnames) == 4
