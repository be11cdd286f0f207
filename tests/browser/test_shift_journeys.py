"""The call centre's shifts (排班, seed 004) in the browser, on the agents' and the lead's phones:
an agent proposes a swap from 我的排班, the other agent agrees from 我的工作, the lead approves,
and the two roster rows change hands. Every page passes axe and never scrolls sideways."""

from datetime import timedelta

import pytest
from django.utils import timezone

from callcenter.models import RosterEntry, ShiftGroup, ShiftMember
from callcenter.models.shifts import SwapState
from callcenter.services import shifts as svc
from network.choices import Role
from service_ops.workcalendar.clock import add_months
from tests.browser.support import DESKTOP, PHONE, follow, visit
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_an_agent_swaps_a_shift_agreed_by_the_other_and_approved_by_the_lead(page_as, net):
    today = timezone.localdate()
    lead = make_user("cc_lead", net.hq, Role.CALL_CENTRE_LEAD, first_name="刘婷")
    a = ShiftGroup.objects.create(code="A", name="A 组", lead=lead, anchor=today)
    b = ShiftGroup.objects.create(code="B", name="B 组", lead=lead, anchor=today + timedelta(1))
    sun = make_user("sun", net.hq, Role.CALL_AGENT, first_name="孙悦")
    zhang = make_user("zhang", net.hq, Role.CALL_AGENT, first_name="张伟")
    ShiftMember.objects.create(group=a, user=sun)
    ShiftMember.objects.create(group=b, user=zhang)
    for month in (today.replace(day=1), add_months(today.replace(day=1), 1)):
        svc.roster_generate(month=month)
    mine = (
        RosterEntry.objects.filter(agent=sun, starts_at__gt=timezone.now() + timedelta(days=1))
        .order_by("starts_at")
        .first()
    )
    theirs = RosterEntry.objects.get(agent=zhang, day=mine.day + timedelta(days=1))

    # 1. 孙悦 on her phone: 我的排班 → 换班 on that day → the partner and the day she takes back
    agent = page_as(sun, PHONE)
    visit(agent, "/callcenter/shifts/mine/")
    follow(agent, agent.get_by_role("link", name=f"{mine.day:%m-%d} 换班"))
    agent.get_by_label("换班对象").select_option(label="B 张伟")
    agent.get_by_label("还班日期").fill(theirs.day.isoformat())
    agent.get_by_label("事由").fill("家里有事")
    follow(agent, agent.get_by_role("button", name="发给对方"))
    agent.get_by_text("待对方同意").first.wait_for()
    swap = sun.swaps_requested.get()

    # 2. 张伟 finds it in 我的工作 and agrees
    partner = page_as(zhang, PHONE)
    visit(partner, "/")
    follow(partner, partner.get_by_role("link", name="孙悦 想和您换班", exact=False).first)
    follow(partner, partner.get_by_role("button", name="同意换班"))
    partner.get_by_text("待组长批准").first.wait_for()

    # 3. the lead approves on her phone; the roster shows the swap
    lead_page = page_as(lead, PHONE)
    visit(lead_page, swap.get_absolute_url())
    lead_page.get_by_label("意见").fill("同意，交接清楚")
    follow(lead_page, lead_page.get_by_role("button", name="批准换班"))
    lead_page.get_by_text("已批准").first.wait_for()
    swap.refresh_from_db()
    assert swap.state == SwapState.APPROVED
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.agent, theirs.agent) == (zhang, sun)

    # the month grid at a desk, and her list on the phone
    desk = page_as(lead, DESKTOP)
    visit(desk, f"/callcenter/shifts/?month={mine.day:%Y-%m}")
    visit(agent, "/callcenter/shifts/mine/")
    agent.get_by_text(f"{theirs.day:%m-%d}").first.wait_for()
