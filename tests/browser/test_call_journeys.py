"""The call centre's inbound journey (DESIGN §2.3): an agent on a headset logs a call with a
follow-up at the desk, keyboard first and well under a minute, with the caller found by number
and their history beside the form; the expert answers; the agent calls back and closes. At a desk
and at a phone's width; every page and swap passes the checks of tests/browser/support.py."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from callcenter.choices import CallCategory, CallOutcome, FollowUpState
from callcenter.models import Customer, FollowUp, InboundCall
from callcenter.services.calls import call_log
from network.choices import Role
from tests.browser.support import BASE_DIR, DESKTOP, PHONE, checkpoint, follow, visit
from tests.factories import make_user

pytestmark = pytest.mark.browser

SHOTS = BASE_DIR / "var" / "browser" / "calls"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_agent_logs_a_call_with_a_follow_up_the_expert_answers_and_the_agent_closes_it(
    page_as, net, viewport
):
    agent = make_user("agent", net.hq, Role.CALL_AGENT, first_name="孙悦")
    expert = make_user("expert", net.hq, Role.EXPERT_AGENT, first_name="周明")
    customer = Customer.objects.create(name="王建国", phone="139 1234 5678", city="佛山")
    earlier = call_log(
        actor=agent,
        phone="13912345678",
        caller=f"customer:{customer.pk}",
        product_model="GPS-X1",
        serial_number="X1-000123",
        category=CallCategory.POLICY,
        summary="上次来电：询问保修期",
        outcome=CallOutcome.ANSWERED,
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = "desktop" if viewport is DESKTOP else "phone"

    # 1. the agent logs the call, keyboard first
    page = page_as(agent, viewport)
    visit(page, "/callcenter/calls/new/")
    started = time.monotonic()
    phone = page.locator("#id_phone")
    with (
        page.expect_response(lambda r: "/callcenter/calls/history/" in r.url),
        page.expect_response(lambda r: "/callcenter/calls/lookup/" in r.url),
    ):
        phone.press_sequentially("139 1234 5678")
    page.get_by_text("号码一致").wait_for()
    page.locator("#history").get_by_text(earlier.number).wait_for()  # the caller's history
    checkpoint(page, "desk: caller found, history beside")
    phone.press("Enter")  # keeps the found caller, moves on to the product
    assert page.evaluate("document.activeElement.id") == "id_product_model"
    page.keyboard.type("GPS-X1")
    page.keyboard.press("Tab")
    page.keyboard.type("X1-000123")
    page.locator("#id_category_0").focus()
    page.keyboard.press("2")  # 技术问题
    assert page.locator("#id_category_1").is_checked()
    page.locator("#id_summary").fill("开机后无法定位，已重启两次")
    page.locator("#id_outcome_0").focus()
    page.keyboard.press("2")  # 需跟进回复: its section shows
    page.locator("#id_assignee").wait_for(state="visible")
    page.locator("#id_assignee").select_option(label=f"周明（{net.hq.name}）")
    page.screenshot(path=str(SHOTS / f"desk-{name}.png"), full_page=True)
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Control+Enter")
    elapsed = time.monotonic() - started
    checkpoint(page, "desk: logged, ready for the next call")
    page.get_by_text("已登记").first.wait_for()
    assert elapsed < 30, f"logging the call took {elapsed:.1f} s"
    call = InboundCall.objects.exclude(pk=earlier.pk).get()
    assert call.seconds < 60 and call.customer == customer and call.serial_number == "X1-000123"
    fu = FollowUp.objects.get(call=call)
    assert fu.state == FollowUpState.ASSIGNED and fu.assignee == expert

    # 2. the expert finds it in 我的工作 and answers
    expert_page = page_as(expert, viewport)
    visit(expert_page, "/")
    follow(expert_page, expert_page.get_by_role("link", name=f"回复客户问题 {call.number}"))
    expert_page.locator("#id_reply").fill("请在空旷处重新搜星，5 分钟内可定位")
    follow(expert_page, expert_page.get_by_role("button", name="回复"))
    expert_page.get_by_text("已回复，坐席将回电客户").wait_for()

    # 3. the agent calls the customer back and closes it
    visit(page, "/")
    follow(page, page.get_by_role("link", name=f"回电客户 {call.number}"))
    page.locator("#id_note").fill("已按专家答复告知客户，客户确认可以定位")
    follow(page, page.get_by_role("button", name="回电客户"))
    page.get_by_text("已记录回电").wait_for()
    page.screenshot(path=str(SHOTS / f"follow-up-{name}.png"), full_page=True)
    fu.refresh_from_db()
    assert fu.state == FollowUpState.CLOSED
    assert fu.closed_at is not None and fu.closed_at - call.ended_at < timedelta(minutes=5)
    assert timezone.now() - call.ended_at < timedelta(minutes=5)
