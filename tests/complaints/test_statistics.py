"""The complaint statistics (issue 18 item 6): every figure equals a direct count of the test
data (counted here in plain Python over the rows), the on-time rate of a stage follows the
deadline engine's records (one stage met, one breached, by time travel), the Excel holds the
same figures, the page's query count does not grow with the data, and only the complaint
supervisors, the head of customer service and senior management read it."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from io import BytesIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from callcenter.models import Customer
from complaints.choices import Category, ComplaintState, Severity, Stage
from complaints.models import Complaint
from complaints.plugin import STAGE_KIND
from complaints.services import complaints as svc
from complaints.statistics import complaint_statistics, period_from, stage_of_code
from network.choices import Role
from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.workcalendar.clock import ZONE
from tests.complaints.test_closed_loop import MONDAY, at, client_for, cx, file, travel  # noqa: F401
from tests.factories import make_user

START, END = date(2026, 1, 1), date(2026, 12, 31)
CATEGORIES = list(Category.values)
PRODUCTS = ["GPS-X1", "GPS-X2", "T-9", ""]
DAYS = [date(2026, 8, 3), MONDAY, date(2026, 10, 12)]


@pytest.fixture
def data(cx):  # noqa: F811  (the fixture imported above)
    """A varied year: 3 months, every category, 4 products (one blank), 5 serials (two spelt
    in lower case), 2 returning customers and anonymous callers, 3 responsible departments
    (and undecided ones), invalid and open ones, escalations, a partner's complaint in branch
    广州 — and one complaint of the year before, outside the period."""
    n = cx
    n.customer2 = Customer.objects.create(name="赵女士", phone="13700137000")
    customers = [n.customer, n.customer2, None]
    units = [n.hq, n.gz, n.cs]
    for i in range(18):
        day = DAYS[i % 3]
        when = at(day, 9 + i % 8)
        c = file(
            n,
            at_=when,
            category=CATEGORIES[i % len(CATEGORIES)],
            product_model=PRODUCTS[i % 4],
            serial_number=f"sn-{i % 5}" if i % 6 == 0 else f"SN-{i % 5}",
            customer=customers[i % 3],
            complainant_name=f"客户{i}",
        )
        with travel(when + timedelta(hours=1)):
            if i % 7 == 0:
                svc.judge(c, actor=n.handler, valid=False, reason="属正常收费")
            elif i % 4 != 0:
                svc.judge(c, actor=n.handler, valid=True, severity=c.severity)
                svc.record_investigation(
                    c,
                    actor=n.handler,
                    cause="原因",
                    problem_type="service",
                    responsible_unit=units[i % 3],
                )
        if i % 5 == 0:
            Complaint.objects.filter(pk=c.pk).update(escalation_level=1 + i % 3)
    n.partner_complaint = file(
        n, at_=at(MONDAY, 11), customer=None, complainant_unit=n.point, serial_number="P-1"
    )
    file(n, at_=at(date(2025, 12, 20), 10), customer=None, serial_number="OLD-1")
    n.sup = make_user("stats_sup", n.hq, Role.SUPERVISOR)
    return n


def in_period(rows):
    low = datetime.combine(START, time(0), tzinfo=ZONE)
    high = datetime.combine(END + timedelta(days=1), time(0), tzinfo=ZONE)
    return [r for r in rows if low <= r.accepted_at < high]


def direct_counts(rows) -> dict:
    """The figures counted in plain Python over the complaint rows."""
    final = {ComplaintState.CLOSED, ComplaintState.INVALID}
    return {
        "total": len(rows),
        "open": sum(r.state not in final for r in rows),
        "closed": sum(r.state == ComplaintState.CLOSED for r in rows),
        "invalid": sum(r.state == ComplaintState.INVALID for r in rows),
        "major": sum(r.severity == Severity.MAJOR for r in rows),
        "escalated": sum(r.escalation_level > 0 for r in rows),
        "category": Counter(r.category for r in rows),
        "unit": Counter(r.responsible_unit_id for r in rows),
        "product": Counter(r.product_model for r in rows),
        "month": Counter(timezone.localtime(r.accepted_at, ZONE).strftime("%Y-%m") for r in rows),
        "customers": {
            k: v for k, v in Counter(r.customer_id for r in rows if r.customer_id).items() if v > 1
        },
        "serials": {
            k: v
            for k, v in Counter(r.serial_number.upper() for r in rows if r.serial_number).items()
            if v > 1
        },
    }


def direct_stage_counts(rows) -> dict[str, Counter]:
    timers = Deadline.objects.filter(
        kind=STAGE_KIND,
        owner_type=ContentType.objects.get_for_model(Complaint),
        owner_id__in=[r.pk for r in rows],
    )
    found: dict[str, Counter] = {}
    for t in timers:
        found.setdefault(stage_of_code(t.policy_snapshot["code"]), Counter())[t.status] += 1
    return found


def test_every_figure_equals_a_direct_count_of_the_data(data):
    n = data
    rows = in_period(list(Complaint.objects.all()))
    assert len(rows) == 19 and Complaint.objects.count() == 20  # the old one is left out
    want = direct_counts(rows)
    stats = complaint_statistics(n.head, START, END)
    total = stats.total
    assert (total.total, total.open, total.closed, total.invalid, total.major) == (
        want["total"],
        want["open"],
        want["closed"],
        want["invalid"],
        want["major"],
    )
    assert total.escalated == want["escalated"] > 0 and want["invalid"] > 0 and want["major"] > 0
    assert {r.key: r.total for r in stats.by_category} == want["category"]
    assert len(want["category"]) == len(CATEGORIES)
    assert {r.key: r.total for r in stats.by_unit} == want["unit"]
    assert len(want["unit"]) == 4  # three departments and the undecided
    assert {r.key: r.total for r in stats.by_product} == want["product"]
    assert {r.label: r.total for r in stats.by_month} == want["month"]
    assert [r.label for r in stats.by_month] == ["2026-08", "2026-09", "2026-10"]
    assert {r.key: r.count for r in stats.repeat_customers} == want["customers"]
    assert stats.repeat_customer_count == len(want["customers"]) == 2
    assert {r.key: r.count for r in stats.repeat_serials} == want["serials"]
    assert stats.repeat_serial_count == len(want["serials"])
    # the per-row figures add up too
    for table in (stats.by_category, stats.by_unit, stats.by_month):
        assert sum(r.total for r in table) == total.total
        assert sum(r.escalated for r in table) == total.escalated
    # each stage: the engine's records of the period's complaints, status by status
    stages = direct_stage_counts(rows)
    for row in stats.stages:
        counts = stages.get(row.stage, Counter())
        assert row.met == counts[DeadlineStatus.MET]
        assert row.late == counts[DeadlineStatus.LATE]
        assert row.breached == counts[DeadlineStatus.BREACHED]
        assert row.pending == counts[DeadlineStatus.RUNNING] + counts[DeadlineStatus.PAUSED]
    assert next(r for r in stats.stages if r.stage == Stage.JUDGE).met > 0


def test_the_statistics_are_scoped_by_the_readers_visibility(data):
    n = data
    gz_sup = make_user("gz_stats_sup", n.gz, Role.SUPERVISOR)
    stats = complaint_statistics(gz_sup, START, END)
    assert stats.total.total == 1  # the service point's complaint, branch 广州's only one
    assert stats.by_product[0].total == 1


def test_the_on_time_rate_counts_a_met_and_a_breached_stage(cx):  # noqa: F811
    n = cx
    met = file(n, customer=None, serial_number="A-1")  # Monday 09:00
    late = file(n, customer=None, serial_number="B-1")
    with travel(at(MONDAY, 10)):  # judged within the working day
        svc.judge(met, actor=n.handler, valid=True, severity=met.severity)
    sweep_deadlines(now=at(MONDAY + timedelta(days=1), 18, 5))  # the second one's judge breaches
    stats = complaint_statistics(n.head, START, END)
    judge = next(r for r in stats.stages if r.stage == Stage.JUDGE)
    assert (judge.met, judge.late, judge.breached, judge.pending) == (1, 0, 1, 0)
    assert judge.on_time_rate == 0.5 and judge.on_time_text == "50.0%"
    with travel(at(MONDAY + timedelta(days=2), 9)):  # judged at last: late, not on time
        svc.judge(late, actor=n.handler, valid=True, severity=late.severity)
    stats = complaint_statistics(n.head, START, END)
    judge = next(r for r in stats.stages if r.stage == Stage.JUDGE)
    assert (judge.met, judge.late, judge.breached) == (1, 1, 0) and judge.on_time_rate == 0.5
    ack = next(r for r in stats.stages if r.stage == Stage.ACKNOWLEDGE)
    assert (ack.met, ack.late) == (1, 1)
    solution = next(r for r in stats.stages if r.stage == Stage.SOLUTION)
    assert solution.decided == 0 and solution.pending == 2 and solution.on_time_text == "—"


def test_the_excel_holds_the_same_figures(data):
    n = data
    stats = complaint_statistics(n.sup, START, END)
    answer = client_for(n.sup).get(
        reverse("complaints:statistics_xlsx"), {"start": "2026-01-01", "end": "2026-12-31"}
    )
    assert answer.status_code == 200
    assert answer["Content-Disposition"].endswith('complaints-20260101-20261231.xlsx"')
    wb = load_workbook(BytesIO(answer.content))
    assert wb.sheetnames == [
        "按投诉类别",
        "按责任部门",
        "按产品型号",
        "按月份",
        "各阶段按时率",
        "重复投诉",
    ]

    def table(name):
        return [list(r) for r in wb[name].iter_rows(min_row=3, values_only=True)]

    def counts(rows):
        return [[r.label, r.total, r.open, r.closed, r.invalid, r.major, r.escalated] for r in rows]

    total = counts([stats.total])
    assert table("按投诉类别") == counts(stats.by_category) + total
    assert table("按责任部门") == counts(stats.by_unit) + total
    assert table("按产品型号") == counts(stats.by_product) + total
    assert table("按月份") == counts(stats.by_month) + total
    stage_rows = table("各阶段按时率")
    assert [r[:5] for r in stage_rows] == [
        [s.label, s.met, s.late, s.breached, s.pending] for s in stats.stages
    ]
    assert [r[5] for r in stage_rows] == [
        round(s.on_time_rate, 4) if s.on_time_rate is not None else None for s in stats.stages
    ]
    repeats = table("重复投诉")
    assert sum(1 for r in repeats if r[0] == "客户") == stats.repeat_customer_count
    assert sum(1 for r in repeats if r[0] == "设备序列号") == stats.repeat_serial_count
    assert ["重复投诉客户数", stats.repeat_customer_count, None, None] in repeats


def test_the_page_draws_the_figures_in_a_constant_number_of_queries(data):
    n = data
    client = client_for(n.sup)
    url = reverse("complaints:statistics")
    params = {"start": "2026-01-01", "end": "2026-12-31"}
    client.get(url, params)  # warm the session and the per-process caches
    reset_queries()
    with CaptureQueriesContext(connection) as first:
        page = client.get(url, params)
    queries = len(first.captured_queries)
    assert page.status_code == 200 and queries <= 20
    text = page.content.decode()
    assert 'id="chart-months"' in text and "vendor/echarts/echarts.min.js" in text
    assert "complaint-stats-data" in text and "2026-09" in text
    for i in range(12):  # more complaints, more months, more products: the same queries
        file(n, at_=at(date(2026, 3, 2) + timedelta(days=7 * i), 10), product_model=f"M-{i}")
    reset_queries()
    with CaptureQueriesContext(connection) as second:
        assert client.get(url, params).status_code == 200
    assert len(second.captured_queries) == queries


def test_only_supervisors_the_head_and_senior_management_read_the_statistics(data):
    n = data
    url = reverse("complaints:statistics")
    for user in (n.sup, n.head, n.senior):
        assert client_for(user).get(url).status_code == 200, user
    for user in (n.handler, n.agent, n.dealer_user, n.gz_manager):
        assert client_for(user).get(url).status_code == 403, user
        assert client_for(user).get(reverse("complaints:statistics_xlsx")).status_code == 403


def test_the_period_defaults_to_this_year_and_is_bounded():
    today = date(2026, 9, 7)
    assert period_from({}, today) == (date(2026, 1, 1), today)
    assert period_from({"start": "2026-05-01", "end": "2026-04-01"}, today) == (
        date(2026, 4, 1),
        date(2026, 5, 1),
    )
    assert period_from({"start": "nonsense"}, today) == (date(2026, 1, 1), today)
    start, end = period_from({"start": "2000-01-01", "end": "2026-01-01"}, today)
    assert end == date(2026, 1, 1) and (end - start).days == 366 * 2
