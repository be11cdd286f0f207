"""The turnaround report reads closed months from its roll-up (per month and lot tier, for every
branch and for each branch: percentiles do not add up) and the current month live; the figures
equal the live computation for headquarters, a branch filter, a branch manager and a province
of several branches (read live), across a month boundary in local time."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from network.choices import BranchKind, OrgKind
from network.models import OrgUnit
from repairs.models import RepairOrder, TurnaroundMonth
from repairs.selectors import reports as r
from repairs.selectors.rollups import NotRolled, order_branches
from repairs.services.rollups import refresh_report_rollups
from tests.repairs.test_orders import receive_lot
from tests.repairs.test_reports import F, world  # noqa: F401  (the fixture)

Z = ZoneInfo("Asia/Shanghai")
LATE_NOV = datetime(2026, 11, 30, 23, 30, tzinfo=Z)  # November in Shanghai, not in UTC


@pytest.fixture
def shipped(world):  # noqa: F811  (the fixture imported above)
    """More shipments: at the month boundary, and on the 6th of December (after a roll-up on
    the 5th); a second Hunan branch, so the province spans two."""
    receive_lot(world, ["E0", "E1", "E2"], datetime(2026, 11, 2, 9, tzinfo=Z))
    for serial, at, hours in (
        ("E0", LATE_NOV, 12.5),
        ("E1", LATE_NOV + timedelta(hours=1), 33.25),
        ("E2", datetime(2026, 12, 6, 10, tzinfo=Z), 7.0),
    ):
        RepairOrder.objects.filter(serial_number=serial).update(
            picked_up_at=datetime(2026, 11, 3, 9, tzinfo=Z), shipped_at=at, turnaround_hours=hours
        )
    world.zz = OrgUnit.objects.create(code="ZZ", name="株洲分公司", kind=OrgKind.BRANCH,
                                      parent=world.hn, branch_kind=BranchKind.MANAGED)  # fmt: skip
    RepairOrder.objects.filter(serial_number="C1").update(branch=world.zz, dealer=None)
    return world


def callers(w):
    return {
        "hq": (w.head, {}),
        "hq, Guangzhou": (w.head, {"branch": str(w.gz.pk)}),
        "hq, Changsha": (w.head, {"branch": str(w.cs.pk)}),
        "Guangzhou's manager": (w.gz_manager, {}),
        "Changsha's manager": (w.cs_manager, {}),
        "Hunan's manager (two branches)": (w.hn_manager, {}),
        "Hunan's manager, Changsha": (w.hn_manager, {"branch": str(w.cs.pk)}),
    }


def test_the_turnaround_through_the_rollup_equals_the_live_one(shipped):
    w = shipped
    live = {name: r.turnaround(u, F(u, **kw)) for name, (u, kw) in callers(w).items()}
    refresh_report_rollups(now=datetime(2026, 12, 5, 12, tzinfo=Z))
    # November is closed: rolled up; December is the current month: live
    assert {row.month for row in TurnaroundMonth.objects.all()} == {date(2026, 11, 1)}
    for name, (user, kw) in callers(w).items():
        assert r.turnaround(user, F(user, **kw)) == live[name], name
    # the next month's refresh rolls December up too
    refresh_report_rollups(now=datetime(2027, 1, 2, 3, tzinfo=Z))
    assert TurnaroundMonth.objects.filter(month=date(2026, 12, 1)).exists()
    for name, (user, kw) in callers(w).items():
        assert r.turnaround(user, F(user, **kw)) == live[name], name


def test_the_rolled_up_percentiles_equal_the_orders_hours(shipped):
    w = shipped
    refresh_report_rollups(now=datetime(2027, 1, 2, 3, tzinfo=Z))
    rows = {(row.month, row.tier): row for row in r.turnaround(w.head, F(w.head)) if row.units}
    expected: dict = {}
    for o in RepairOrder.objects.filter(shipped_at__isnull=False).select_related("lot"):
        tier = "1" if o.lot.size == 1 else "2-3" if o.lot.size <= 3 else "4+"
        month = date(o.shipped_at.astimezone(Z).year, o.shipped_at.astimezone(Z).month, 1)
        expected.setdefault((month, tier), []).append(o.turnaround_hours)
    assert set(rows) == set(expected)
    for key, hours in expected.items():
        assert rows[key].units == len(hours)
        assert rows[key].median == round(statistics.median(hours), 1)
        assert rows[key].p90 == round(r._percentile(hours, 0.9), 1)
    # E0 (23:30 on Nov 30 in Shanghai) is November's, E1 an hour later December's
    assert 12.5 in expected[(date(2026, 11, 1), "2-3")]
    assert 33.25 in expected[(date(2026, 12, 1), "2-3")]


def test_a_closed_month_reads_no_order_and_a_province_of_two_branches_reads_them_live(shipped):
    w = shipped
    refresh_report_rollups(now=datetime(2026, 12, 5, 12, tzinfo=Z))
    nov = F(w.head, start="2026-11", end="2026-11")
    with CaptureQueriesContext(connection) as ctx:
        r.turnaround(w.head, nov)
    assert not [q for q in ctx.captured_queries if "repairs_repairorder" in q["sql"]]
    assert order_branches(w.cs_manager, None) == w.cs.pk
    with pytest.raises(NotRolled):
        order_branches(w.hn_manager, None)
    with CaptureQueriesContext(connection) as ctx:
        r.turnaround(w.hn_manager, F(w.hn_manager, start="2026-11", end="2026-11"))
    assert [q for q in ctx.captured_queries if "repairs_repairorder" in q["sql"]]
