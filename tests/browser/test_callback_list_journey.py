"""The call-centre lead's day in the browser (issue 17 items 3 and 6): builds a 专项回访名单 of
one city's customers (previewed first, then made and handed out evenly to the agents on shift),
lands on the list's tasks, and watches the overview, whose charts draw. Desktop and phone; every
page passes axe and never scrolls sideways."""

import pytest

from callcenter.models import CallbackList, CallbackRules, Customer
from network.choices import Role
from tests.browser.support import DESKTOP, PHONE, follow, visit
from tests.factories import make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_lead_builds_a_callback_list_hands_it_out_and_watches_the_overview(
    page_as, net, viewport
):
    CallbackRules.objects.update(windows="00:00-23:59", working_days_only=False)
    lead = make_user("cc_lead", net.hq, Role.CALL_CENTRE_LEAD, first_name="刘婷")
    agents = [make_user(f"agent{i}", net.hq, Role.CALL_AGENT) for i in (1, 2)]
    for i in range(6):
        Customer.objects.create(name=f"长沙客户{i}", phone=f"1360000{i:04d}", city="长沙")
    Customer.objects.create(name="广州客户", phone="13700000001", city="广州")
    page = page_as(lead, viewport)

    visit(page, "/callcenter/callbacks/lists/new/")
    page.get_by_label("名单名称").fill("长沙客户满意度回访")
    page.get_by_label("所在城市").fill("长沙")
    page.get_by_role("button", name="预览").click()
    page.get_by_text("符合条件的客户 6 位").wait_for()
    follow(page, page.get_by_role("button", name="生成回访名单"))
    page.get_by_text("长沙客户满意度回访").first.wait_for()

    the_list = CallbackList.objects.get()
    tasks = list(the_list.tasks.all())
    assert len(tasks) == 6 and {t.contact_name for t in tasks} == {f"长沙客户{i}" for i in range(6)}
    per_agent = sorted(sum(t.assignee_id == a.pk for t in tasks) for a in agents)
    assert per_agent == [3, 3]  # handed out evenly (no roster: every call agent is on shift)

    visit(page, "/callcenter/callbacks/lists/")
    page.get_by_text("长沙客户满意度回访").first.wait_for()
    visit(page, "/callcenter/overview/")
    page.locator("#overview-data").wait_for(state="attached")
    page.locator("#chart-agents svg").wait_for()  # the agents' open callbacks, drawn by ECharts
    page.get_by_role("cell", name="agent1").wait_for()
