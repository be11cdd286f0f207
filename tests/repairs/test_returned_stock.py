"""Returned stock (呆滞/退货产品处理申请), the seed's whole flow: the marketing centre files the
list → the clerk records the driver's collection → the warehouse checks the goods against the
list → the clerk sets the 领机维修期限 (5, 10, 15 or 30 calendar days, a timer) and issues the
production task order → PMC (10 units or more) confirms the hand-over, or the repair team signs
for the goods → finished: the timer closes and the filer is told."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from network.choices import Role
from repairs.choices import ReturnedStockRoute, ReturnedStockState, StockTreatment, Urgency
from repairs.models import ReturnedStockApplication
from repairs.services import stock
from service_ops.deadlines.models import DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of
from service_ops.work import work_of
from tests.factories import make_user

Z = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 10, tzinfo=Z)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pmc(net):
    return make_user("pmc", net.hq, Role.PMC, email=True)


def file(net, *quantities, urgency=Urgency.NORMAL, actor=None, unit=None, at=MONDAY):
    with time_machine.travel(at, tick=False):
        return stock.returned_stock_file(
            actor=actor or net.marketing,
            filed_by_unit=unit or net.hq,
            lines=[stock.StockLineInput(product_model="GPS-X1", quantity=q) for q in quantities],
            treatment=StockTreatment.REWORK,
            urgency=urgency,
        )


def collect(net, app, at=MONDAY):
    with time_machine.travel(at, tick=False):
        return stock.returned_stock_collect(
            application_id=app.pk, actor=net.clerk, driver_name="李师傅", collected_on=at.date()
        )


def check(net, app, counted=None, at=MONDAY, actor=None):
    lines = list(app.lines.all())
    counted = counted or [line.quantity for line in lines]
    with time_machine.travel(at, tick=False):
        return stock.returned_stock_check(
            application_id=app.pk,
            actor=actor or net.keeper,
            counts={line.pk: stock.LineCount(c) for line, c in zip(lines, counted, strict=True)},
        )


def issue(net, app, days=5, at=MONDAY):
    with time_machine.travel(at, tick=False):
        return stock.returned_stock_issue(application_id=app.pk, actor=net.clerk, limit_days=days)


def to_issued(net, *quantities, days=5, at=MONDAY, **kw):
    app = file(net, *quantities, at=at, **kw)
    collect(net, app, at)
    check(net, app, at=at)
    return issue(net, app, days, at)


# --- 1. filing -----------------------------------------------------------------------------------


def test_marketing_files_a_list_of_units_with_treatment_and_urgency(net):
    app = file(net, 3, 1, urgency=Urgency.URGENT)
    assert app.state == ReturnedStockState.ROUTED
    assert app.quantity == 4 and app.lines.count() == 2
    assert app.urgency == Urgency.URGENT and app.treatment == StockTreatment.REWORK
    # the clerk is asked to call the driver (a task, done once the collection is recorded)
    task = Notification.objects.get(recipient=net.clerk, channel="in_app", task_state="routed")
    assert "请通知司机提货" in task.subject


@pytest.mark.parametrize(
    ("who", "allowed"), [("marketing", True), ("clerk", False), ("dealer_user", False)]
)
def test_only_the_marketing_centre_files(net, who, allowed):
    call = lambda: file(net, 2, actor=getattr(net, who))  # noqa: E731
    if allowed:
        assert call().pk
    else:
        with pytest.raises(PermissionDenied):
            call()


def test_a_bad_list_is_refused_in_chinese(client, net):
    client.force_login(net.marketing)
    url = reverse("repairs:returned_stock_create")
    bad = client.post(url, {"lines": "GPS-X1, 0\nGPS-X2, SN1, 2", "treatment": "rework"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "第 1 行：数量必须是正整数" in text
    bad = client.post(url, {"lines": "GPS-X2, SN1, 2", "treatment": "melt", "urgency": "normal"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "填写了出厂编号的一项只能是 1 台" in text
    assert "请选择处理要求" in text
    assert not ReturnedStockApplication.objects.exists()


def test_filing_through_the_page_routes_by_the_total_and_opens_the_detail(client, net):
    client.force_login(net.marketing)
    preview = client.get(
        reverse("repairs:returned_stock_route"), {"lines": "GPS-X1, 6\nGPS-X2, 4"}, **HTMX
    )
    assert "PMC" in preview.content.decode()
    response = client.post(
        reverse("repairs:returned_stock_create"),
        {"lines": "GPS-X1, 6\nGPS-X2, 4", "treatment": "modify", "urgency": "urgent"},
    )
    app = ReturnedStockApplication.objects.get()
    assert response.status_code == 302 and response.url == app.get_absolute_url()
    assert (app.quantity, app.route, app.treatment) == (10, ReturnedStockRoute.PMC, "modify")
    page = client.get(app.get_absolute_url()).content.decode()
    assert app.number in page and "GPS-X2" in page
    client.force_login(net.gz_engineer)
    assert client.get(reverse("repairs:returned_stock_create")).status_code == 403


# --- routing at 9 / 10 ---------------------------------------------------------------------------


def test_ten_units_go_to_pmc_and_nine_to_the_repair_team(net):
    assert file(net, 10).route == ReturnedStockRoute.PMC
    assert file(net, 5, 4).route == ReturnedStockRoute.REPAIR_TEAM
    assert file(net, 9).route == ReturnedStockRoute.REPAIR_TEAM


def test_the_route_follows_the_counted_goods_and_a_difference_tells_the_filer(net):
    app = file(net, 10)
    collect(net, app)
    app = check(net, app, counted=[9])
    assert app.state == ReturnedStockState.CHECKED
    assert app.counted_quantity == 9 and app.has_discrepancies
    assert app.route == ReturnedStockRoute.REPAIR_TEAM  # 9 arrived: the repair team
    line = app.lines.get()
    assert (line.quantity, line.counted_quantity) == (10, 9)
    told = Notification.objects.get(recipient=net.marketing, channel="in_app")
    assert "验货差异" in told.subject and "清单 10 台，实收 9 台" in told.body


def test_a_wrong_model_is_a_difference_too(net):
    app = file(net, 2)
    collect(net, app)
    line = app.lines.get()
    stock.returned_stock_check(
        application_id=app.pk,
        actor=net.clerk,
        counts={line.pk: stock.LineCount(2, "GPS-X9")},
    )
    app.refresh_from_db()
    line.refresh_from_db()
    assert app.has_discrepancies and line.model_differs and line.counted_model == "GPS-X9"


def test_every_line_must_be_counted(net):
    app = file(net, 2, 3)
    collect(net, app)
    first = app.lines.first()
    with pytest.raises(ValidationError) as err:
        stock.returned_stock_check(
            application_id=app.pk, actor=net.keeper, counts={first.pk: stock.LineCount(2)}
        )
    assert "未填写实收数量" in str(err.value)
    app.refresh_from_db()
    assert app.state == ReturnedStockState.COLLECTED


# --- 2. collection ------------------------------------------------------------------------------


def test_the_clerk_records_the_driver_and_the_date(client, net):
    app = file(net, 2)
    client.force_login(net.clerk)
    url = reverse("repairs:returned_stock_act", args=[app.pk, "collect"])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"driver_name": "", "collected_on": "2020-01-01"})
    assert bad.status_code == 400
    assert "请填写司机姓名" in bad.content.decode()
    assert (
        "提货日期不能早于申请日期"
        in client.post(
            url, {"driver_name": "李师傅", "collected_on": "2020-01-01"}
        ).content.decode()
    )
    today = date.today().isoformat()
    ok = client.post(url, {"driver_name": "李师傅", "driver_phone": "139", "collected_on": today})
    assert ok.status_code == 302
    app.refresh_from_db()
    assert app.state == ReturnedStockState.COLLECTED
    assert (app.driver_name, app.driver_phone) == ("李师傅", "139")
    assert [e.transition for e in log_of(app)] == ["collect"]
    # again: not allowed now — 409 to htmx
    again = client.post(url, {"driver_name": "王", "collected_on": today}, **HTMX)
    assert again.status_code == 409


# --- permissions: a dealer or a technician cannot do the clerk's steps -----------------------


@pytest.mark.parametrize("who", ["dealer_user", "tech", "marketing"])
def test_outsiders_cannot_do_the_clerks_steps(client, net, who):
    app = file(net, 2)
    user = getattr(net, who)
    with pytest.raises(PermissionDenied):
        stock.returned_stock_collect(
            application_id=app.pk, actor=user, driver_name="x", collected_on=date.today()
        )
    collect(net, app, at=datetime.now(tz=Z))
    with pytest.raises(PermissionDenied):
        check(net, app, actor=user)
    check(net, app, at=datetime.now(tz=Z))
    with pytest.raises(PermissionDenied):
        stock.returned_stock_issue(application_id=app.pk, actor=user, limit_days=5)
    client.force_login(user)
    for action in ("collect", "check", "issue"):
        status = client.post(
            reverse("repairs:returned_stock_act", args=[app.pk, action]), {"limit_days": "5"}
        ).status_code
        assert status in (403, 404), (action, status)  # the dealer does not even see it
    app.refresh_from_db()
    assert app.state == ReturnedStockState.CHECKED


# --- 4. the limit: 5, 10, 15 or 30 days, nothing else ---------------------------------------


@pytest.mark.parametrize("days", [5, 10, 15, 30])
def test_each_of_the_four_limits_runs_as_a_timer_of_calendar_days(net, days):
    app = to_issued(net, 2, days=days)
    assert app.state == ReturnedStockState.ISSUED and app.limit_days == days
    timer = stock.stock_timer(app)
    assert timer.kind == "repair.returned_stock" and timer.status == DeadlineStatus.RUNNING
    assert timer.assignee == net.clerk
    assert timer.due_at == MONDAY + timedelta(days=days)  # calendar days, holidays included


@pytest.mark.parametrize("days", [0, 1, 7, 20, 31, -5])
def test_any_other_limit_is_refused(client, net, days):
    app = file(net, 2)
    collect(net, app)
    check(net, app)
    with pytest.raises(ValidationError) as err:
        stock.returned_stock_issue(application_id=app.pk, actor=net.clerk, limit_days=days)
    assert "只能是 5、10、15 或 30 天" in str(err.value)
    client.force_login(net.clerk)
    page = client.post(
        reverse("repairs:returned_stock_act", args=[app.pk, "issue"]), {"limit_days": str(days)}
    )
    assert page.status_code == 400 and "只能是 5、10、15 或 30 天" in page.content.decode()
    app.refresh_from_db()
    assert app.state == ReturnedStockState.CHECKED and app.task_order_number is None


def test_an_overdue_limit_shows_in_my_work_and_escalates(net, pmc):
    app = to_issued(net, 12, days=5)
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        stock.returned_stock_take(application_id=app.pk, actor=pmc, signature="PMC 张")
    timer = stock.stock_timer(app)
    assert timer.assignee == pmc  # the limit passes to who took the goods
    late = MONDAY + timedelta(days=5, minutes=5)
    told_before = Notification.objects.filter(recipient=pmc, channel="in_app").count()
    sweep_deadlines(now=late)
    assert Notification.objects.filter(recipient=pmc, channel="in_app").count() > told_before
    timer.refresh_from_db()
    assert timer.status == DeadlineStatus.BREACHED
    with time_machine.travel(late, tick=False):
        work = work_of(pmc, now=late)
    item = next(i for i in work.items if i.key == f"deadline:{timer.pk}")
    assert item.group == "overdue" and app.task_order_number in item.what
    # finishing late closes it as late; the filer is told
    with time_machine.travel(late + timedelta(hours=1), tick=False):
        stock.returned_stock_finish(application_id=app.pk, actor=pmc, work_done="返工完成 12 台")
    timer.refresh_from_db()
    assert timer.status == DeadlineStatus.LATE
    assert Notification.objects.filter(
        recipient=net.marketing, channel="in_app", subject__contains="处理完成"
    ).exists()


# --- 5. the task order: numbered, printable, listed by urgency then arrival -------------------


def test_the_task_order_is_numbered_and_prints(client, net):
    app = to_issued(net, 2, days=10)
    assert app.task_order_number.startswith("PT-")
    client.force_login(net.repair_sup)
    page = client.get(reverse("repairs:task_order_print", args=[app.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert app.task_order_number in text and "@media print" in text and "10 天" in text
    not_yet = file(net, 2)
    assert client.get(reverse("repairs:task_order_print", args=[not_yet.pk])).status_code == 404


def test_open_task_orders_come_urgent_first_then_by_arrival(client, net):
    first = to_issued(net, 2, at=MONDAY)
    second = to_issued(net, 3, at=MONDAY + timedelta(hours=1))
    urgent = to_issued(net, 4, at=MONDAY + timedelta(hours=2), urgency=Urgency.URGENT)
    last = to_issued(net, 5, at=MONDAY + timedelta(hours=3))
    waiting = file(net, 6)  # no task order yet
    client.force_login(net.clerk)
    url = reverse("repairs:task_order_list")
    text = client.get(url).content.decode()
    order = [text.index(a.task_order_number) for a in (urgent, first, second)]
    assert order == sorted(order)
    assert waiting.number not in text
    # keyset pages of two: the anchor's place in the queue, not its id
    from repairs.selectors.stock import task_order_page, task_orders

    page1 = task_order_page(task_orders(net.clerk), {}, size=2)
    assert [a.pk for a in page1] == [urgent.pk, first.pk] and page1.has_next
    page2 = task_order_page(task_orders(net.clerk), {"after": page1.next_after}, size=2)
    assert [a.pk for a in page2] == [second.pk, last.pk] and not page2.has_next
    back = task_order_page(task_orders(net.clerk), {"before": page2.previous_before}, size=2)
    assert [a.pk for a in back] == [urgent.pk, first.pk]


# --- 6. hand-over: PMC confirms at 10+, the repair team signs below -------------------------


def test_pmc_confirms_the_hand_over_of_ten_units(net, pmc):
    app = to_issued(net, 10)
    with pytest.raises(PermissionDenied):
        stock.returned_stock_take(application_id=app.pk, actor=net.repair_sup, signature="x")
    app = stock.returned_stock_take(application_id=app.pk, actor=pmc)
    assert app.state == ReturnedStockState.IN_PROCESS and app.taken_by == pmc
    with pytest.raises(TransitionNotAllowed):
        stock.returned_stock_take(application_id=app.pk, actor=pmc)


def test_the_repair_team_signs_for_nine_units(client, net, pmc):
    app = to_issued(net, 9)
    with pytest.raises(PermissionDenied):
        stock.returned_stock_take(application_id=app.pk, actor=pmc)
    with pytest.raises(PermissionDenied):  # the technician is sent; the supervisor records it
        stock.returned_stock_take(application_id=app.pk, actor=net.tech, signature="技术员")
    client.force_login(net.repair_sup)
    url = reverse("repairs:returned_stock_act", args=[app.pk, "take"])
    missing = client.post(url, {"signed_by": net.tech.pk, "signature": ""})
    assert missing.status_code == 400 and "请领机人签名" in missing.content.decode()
    outsider = client.post(url, {"signed_by": net.clerk.pk, "signature": "王"})
    assert outsider.status_code == 400
    ok = client.post(url, {"signed_by": net.tech.pk, "signature": "技术员小李"})
    assert ok.status_code == 302
    app.refresh_from_db()
    assert app.state == ReturnedStockState.IN_PROCESS
    assert (app.taken_by, app.taken_signature) == (net.tech, "技术员小李")
    assert app.taken_at is not None
    assert stock.stock_timer(app).assignee == net.tech


# --- 7. finish -----------------------------------------------------------------------------------


def test_finishing_records_the_work_closes_the_timer_and_tells_the_filer(client, net):
    app = to_issued(net, 3, days=15)
    stock.returned_stock_take(
        application_id=app.pk, actor=net.repair_sup, signed_by=net.tech, signature="小李"
    )
    client.force_login(net.repair_sup)
    url = reverse("repairs:returned_stock_act", args=[app.pk, "finish"])
    assert client.post(url, {"work_done": ""}).status_code == 400
    assert client.post(url, {"work_done": "返工 3 台，入成品仓"}).status_code == 302
    app.refresh_from_db()
    assert app.state == ReturnedStockState.DONE and app.work_done == "返工 3 台，入成品仓"
    assert stock.stock_timer(app) is None
    assert stock.last_timer(app).status == DeadlineStatus.MET
    assert Notification.objects.filter(
        recipient=net.marketing, channel="in_app", subject__contains="处理完成"
    ).exists()
    assert [e.transition for e in log_of(app)] == [
        "collect",
        "check_goods",
        "issue_task_order",
        "team_take",
        "finish",
    ]
    again = client.post(url, {"work_done": "再来"}, **HTMX)
    assert again.status_code == 409
    detail = client.get(app.get_absolute_url()).content.decode()
    assert "已完成" in detail and app.task_order_number in detail


# --- visibility ----------------------------------------------------------------------------------


def test_the_filers_unit_sees_its_own_and_headquarters_all(client, net):
    gz_marketing = make_user("gz_marketing", net.gz, Role.MARKETING)
    cs_marketing = make_user("cs_marketing", net.cs, Role.MARKETING)
    gz = file(net, 2, actor=gz_marketing, unit=net.gz)
    cs = file(net, 3, actor=cs_marketing, unit=net.cs)

    def seen(user):
        return set(ReturnedStockApplication.objects.visible_to(user).values_list("pk", flat=True))

    assert seen(gz_marketing) == {gz.pk}
    assert seen(net.gz_manager) == {gz.pk}
    assert seen(cs_marketing) == {cs.pk}
    assert seen(net.clerk) == seen(net.head) == {gz.pk, cs.pk}
    assert seen(net.dealer_user) == set()
    client.force_login(gz_marketing)
    listing = client.get(reverse("repairs:returned_stock_list")).content.decode()
    assert gz.number in listing and cs.number not in listing
    assert client.get(cs.get_absolute_url()).status_code == 404
    client.force_login(net.dealer_user)
    assert client.get(gz.get_absolute_url()).status_code == 404


# --- the whole flow through the pages --------------------------------------------------------


def test_the_whole_flow_through_the_pages(client, net, pmc):
    from tests.core.test_menus import menu_of

    app = file(net, 7, 5, at=datetime.now(tz=Z))
    lines = list(app.lines.all())

    def act(user, action, data):
        client.force_login(user)
        url = reverse("repairs:returned_stock_act", args=[app.pk, action])
        assert client.get(url).status_code == 200, action
        page = client.get(app.get_absolute_url()).content.decode()
        assert url in page, action  # the detail offers the step due now to who may do it
        response = client.post(url, data)
        assert response.status_code == 302, (action, response.content.decode()[-2000:])
        app.refresh_from_db()

    act(net.clerk, "collect", {"driver_name": "李师傅", "collected_on": date.today().isoformat()})
    act(
        net.keeper,
        "check",
        {
            f"count_{lines[0].pk}": "7",
            f"model_{lines[0].pk}": "GPS-X1",
            f"count_{lines[1].pk}": "5",
            f"model_{lines[1].pk}": "GPS-X1",
        },
    )
    assert app.state == ReturnedStockState.CHECKED and not app.has_discrepancies
    act(net.clerk, "issue", {"limit_days": "30"})
    assert app.limit_days == 30 and app.route == ReturnedStockRoute.PMC
    assert reverse("repairs:task_order_list") in menu_of(pmc)
    act(pmc, "take", {"signature": "PMC 曾伟"})
    act(pmc, "finish", {"work_done": "分拆 12 台"})
    assert app.state == ReturnedStockState.DONE
