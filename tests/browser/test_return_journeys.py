"""Browser journeys of return applications and repairs (DESIGN §2.1–2.2), each person on the
screen they use: the dealer and field engineers on a phone, signers and the clerk at a desk, the
technician on a tablet. Every page reached passes axe (no serious or critical violation) and, on
a phone, never scrolls sideways (tests/browser/support.py)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from network.choices import Role
from repairs.choices import ApplicationState, OrderState
from repairs.models import RepairOrder, ReturnApplication
from tests.browser.support import DESKTOP, PHONE, TABLET, checkpoint, follow, swap, visit
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def today() -> str:
    return timezone.localdate().isoformat()


def fill_line(page, index: int, *, model: str, serial: str, fault: str) -> None:
    """One unit, bought half a year ago with its warranty card: an in-warranty repair."""
    bought = timezone.localdate() - timedelta(days=180)
    page.locator(f"#id_lines-{index}-product_model").fill(model)
    page.locator(f"#id_lines-{index}-serial_number").fill(serial)
    page.locator(f"#id_lines-{index}-purchase_date").fill(bought.isoformat())
    page.locator(f"#id_lines-{index}-fault_description").fill(fault)


def sign_from_queue(page, application) -> None:
    """The signer opens the signature queue and approves the application's card (htmx)."""
    visit(page, "/repairs/signatures/")
    card = page.locator("article.signature-card", has_text=application.number)
    card.get_by_role("textbox").fill("同意返厂")
    swap(page, card.get_by_role("button", name="同意"))
    page.get_by_text("已同意").first.wait_for()


def clerk_form(page, link_name: str, fields: dict[str, str]) -> None:
    """From the logistics board: open the card's action form, fill it, confirm."""
    follow(page, page.get_by_role("link", name=link_name, exact=True))
    for selector, value in fields.items():
        page.locator(selector).fill(value)
    follow(page, page.get_by_role("button", name="确定"))


def card_step(page, order, action: str, button: str, fields: dict | None = None) -> None:
    """One step on a technician's or the clerk's card: fill the inputs of the action's form
    (ids `o<order>-<action>-<field>`), press its button, wait for the card to come back."""
    card = page.locator(f"#order-{order.pk}")
    for name, value in (fields or {}).items():
        card.locator(f"#o{order.pk}-{action}-{name}").fill(value)
    swap(page, card.get_by_role("button", name=button, exact=True))


def test_a_return_goes_from_a_dealers_phone_through_signatures_receipt_and_repair_to_the_callback(
    page_as, net
):
    # 1. The dealer, on a phone: a new application with two units, the second row added by htmx.
    dealer = page_as(net.dealer_user, PHONE)
    visit(dealer, "/")
    visit(dealer, "/repairs/returns/new/")
    dealer.locator("#id_contact_name").fill("刘经理")
    dealer.locator("#id_contact_phone").fill("13700001111")
    dealer.locator("#id_pickup_address").fill("长沙市岳麓区麓谷大道 88 号")
    fill_line(dealer, 0, model="GPS-X1", serial="JR-0001", fault="开机无显示")
    swap(dealer, dealer.get_by_role("button", name="再加一行"))
    fill_line(dealer, 1, model="GPS-X1", serial="JR-0002", fault="定位漂移")
    follow(dealer, dealer.get_by_role("button", name="提交审批"))
    application = ReturnApplication.objects.get()
    assert application.state == ApplicationState.IN_APPROVAL
    assert application.lines.count() == 2
    dealer.get_by_text(application.number).first.wait_for()

    # 2. The managed platform's chain signs from their queues, at a desk.
    for signer in (net.cs_engineer, net.hn_manager, net.head):
        sign_from_queue(page_as(signer, DESKTOP), application)
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED

    # 3. The logistics clerk books the driver, counts at pickup, receives the units.
    clerk = page_as(net.clerk, DESKTOP)
    visit(clerk, "/repairs/logistics/")
    clerk_form(clerk, "安排提货", {"#id_pickup_date": today(), "#id_driver_name": "李师傅"})
    clerk_form(clerk, "提货清点", {"#id_counted_units": "2", "#id_shipper_count": "2"})
    clerk_form(clerk, "收货登记", {"#id_units": "JR-0001\nJR-0002"})
    application.refresh_from_db()
    assert application.state == ApplicationState.RECEIVED
    orders = list(RepairOrder.objects.filter(lot__application=application).order_by("pk"))
    assert len(orders) == 2

    # 4. The technician, on a tablet: pick up, repair, burn in, QC, pack, each from the card.
    bench = page_as(net.tech, TABLET)
    visit(bench, "/repairs/orders/queue/")
    for order in orders:
        card_step(bench, order, "pick_up", "领机")
        card_step(bench, order, "start_repair", "开始维修", {"diagnosis": "主板电源虚焊"})
        card_step(bench, order, "finish_repair", "维修完成", {"notes": "重焊电源模块"})
        card_step(bench, order, "finish_burn_in", "老化完成")
        card_step(bench, order, "qc", "质检合格")
        packing = {"packing_list": "主机 ×1\n电源线 ×1", "parcels": "1"}
        card_step(bench, order, "pack", "包装完成", packing)
        order.refresh_from_db()
        assert order.state == OrderState.PACKED
    visit(bench, orders[0].get_absolute_url())

    # 5. The clerk ships each unit from the repair board.
    visit(clerk, "/repairs/orders/board/")
    for order in orders:
        card = clerk.locator(f"#order-{order.pk}")
        swap(clerk, card.locator("summary", has_text="发货登记"))
        card_step(
            clerk,
            order,
            "ship",
            "发货",
            {"carrier": "顺丰速运", "tracking_number": f"SF{order.pk:010d}", "shipped_on": today()},
        )
        order.refresh_from_db()
        assert order.state == OrderState.SHIPPED

    # 6. The dealer, back on the phone, reads the shipping notice and follows the unit, then
    # switches the phone to English (longer words: the pages must still fit at 390 px).
    visit(dealer, "/inbox/")
    follow(dealer, dealer.get_by_role("link", name=re.compile(orders[0].number)).first)
    dealer.get_by_role("button", name="展开导航").click()
    dealer.get_by_role("button", name=re.compile("中文")).click()
    follow(dealer, dealer.get_by_role("button", name="English"))
    assert dealer.locator("html").get_attribute("lang") == "en"
    visit(dealer, "/repairs/orders/")
    visit(dealer, orders[1].get_absolute_url())
    visit(dealer, "/repairs/statements/")  # its table scrolls inside its own box on a phone

    # 7. Each shipped unit is owed a callback: the call centre finds it in its work list.
    from callcenter.models import CallbackRequest

    assert CallbackRequest.objects.filter(purpose="repair_shipped").count() == 2
    agent = make_user("agent", net.hq, Role.CALL_AGENT)
    call_centre = page_as(agent, DESKTOP)
    visit(call_centre, "/")
    # in the page's body: the menu has its own 回访 entry (the agent's callback queue)
    callbacks = call_centre.locator("main").get_by_role("link", name=re.compile("回访"))
    assert callbacks.count() == 2
    follow(call_centre, callbacks.first)


def test_a_branch_engineer_applies_on_a_phone_and_the_branch_signs_on_phones(page_as, net):
    # The operating platform: the engineer logs in on the phone, saves a draft, then submits it.
    engineer = page_as(None, PHONE)
    visit(engineer, "/login/")
    engineer.locator("#id_username").fill(net.gz_engineer.username)
    engineer.locator("#id_password").fill(PASSWORD)
    follow(engineer, engineer.get_by_role("button", name="登录"))
    engineer.get_by_role("button", name="展开导航").click()
    engineer.locator("#main-nav.show").wait_for()
    checkpoint(engineer, label="/ with the menu open [gz_engineer]")
    visit(engineer, "/repairs/returns/new/")
    engineer.locator("#id_contact_name").fill("王工")
    engineer.locator("#id_contact_phone").fill("13900002222")
    fill_line(engineer, 0, model="GPS-X1 车载终端", serial="GZ-SN-0001", fault="不开机")
    follow(engineer, engineer.get_by_role("button", name="保存草稿"))
    application = ReturnApplication.objects.get()
    assert application.state == ApplicationState.DRAFT
    follow(engineer, engineer.get_by_role("button", name="提交审批"))
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_APPROVAL
    visit(engineer, "/repairs/returns/")

    # The field CS supervisor and the branch manager sign on their phones, the head at a desk.
    for signer, screen in ((net.gz_cs_sup, PHONE), (net.gz_manager, PHONE), (net.head, DESKTOP)):
        sign_from_queue(page_as(signer, screen), application)
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    visit(engineer, application.get_absolute_url())


def test_the_clerk_enters_a_faxed_application_and_the_supervisor_holds_the_review(page_as, net):
    from django.utils import timezone as tz

    from repairs.models import ReviewItem
    from service_ops.deadlines.sweep import sweep_deadlines
    from tests.repairs.test_orders import receive_lot

    # A unit received six weeks ago and still not shipped: the review discusses it.
    lot = receive_lot(net, ["OLD-1"], tz.now() - timedelta(days=42))
    sweep_deadlines(now=tz.now())
    overdue = lot.orders.get()

    # The clerk enters an application that came by fax, with its scan (desktop).
    clerk = page_as(net.clerk, DESKTOP)
    visit(clerk, "/repairs/returns/")
    follow(clerk, clerk.get_by_role("link", name=re.compile("代为录入")))
    clerk.locator("#id_sender_unit").select_option(label=str(net.dealer))
    clerk.locator("#id_channel").select_option("fax")
    clerk.locator("#id_scanned_form").set_input_files(
        files=[{"name": "fax.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 fax"}]
    )
    clerk.locator("#id_contact_name").fill("刘经理")
    clerk.locator("#id_contact_phone").fill("13700001111")
    fill_line(clerk, 0, model="GPS-X1", serial="FAX-0001", fault="屏幕不亮")
    follow(clerk, clerk.get_by_role("button", name="提交审批"))
    faxed = ReturnApplication.objects.exclude(pk=lot.application_id).get()
    assert faxed.state == ApplicationState.IN_APPROVAL
    assert faxed.applicant == net.dealer_user and faxed.intake_scan

    # The repair supervisor builds today's review list and records a decision (desktop).
    supervisor = page_as(net.repair_sup, DESKTOP)
    visit(supervisor, "/repairs/reviews/")
    follow(supervisor, supervisor.get_by_role("button", name="生成今天的评审清单"))
    item = ReviewItem.objects.get(order=overdue)
    form = supervisor.locator(f"#item-{item.pk}")
    form.locator(f"#item{item.pk}-decision").select_option("more_time")
    form.locator(f"#item{item.pk}-wait_reason").select_option("parts")
    form.locator(f"#item{item.pk}-new_wait_until").fill(
        (tz.localdate() + timedelta(days=7)).isoformat()
    )
    form.locator(f"#item{item.pk}-customer_contacted").check()
    follow(supervisor, form.get_by_role("button", name="记录决定"))
    item.refresh_from_db()
    assert item.decision == "more_time" and item.decided_by == net.repair_sup
