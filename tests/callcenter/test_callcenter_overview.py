"""The call-centre overview (呼叫中心概览, issue 17 item 6): agents on shift with their open work,
today's callbacks, this week's satisfaction and the shift events waiting, in a constant number of
queries, for the lead, supervisors and the head of customer service only."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from callcenter.choices import CallbackState
from callcenter.models import Customer
from callcenter.selectors import overview as ov
from callcenter.services import lists
from network.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

Z = ZoneInfo("Asia/Shanghai")
WED = datetime(2026, 11, 25, 10, 0, tzinfo=Z)


@pytest.fixture
def cc(net):
    net.agents = [make_user(f"agent{i}", net.hq, Role.CALL_AGENT) for i in range(2)]
    net.lead = make_user("lead", net.hq, Role.CALL_CENTRE_LEAD)
    return net


def a_list(cc, n, name, at=WED):
    for i in range(n):
        Customer.objects.create(name=f"{name}{i}", phone=f"13{len(name)}{i:08d}", city=name)
    return lists.callback_list_build(actor=cc.lead, name=name, filters={"city": name}, at=at)


def test_the_overview_shows_now_in_constant_queries(client, cc, django_assert_max_num_queries):
    from callcenter.models import CallbackRequest

    a_list(cc, 4, "甲", at=WED - timedelta(days=8))  # overdue by now
    client.force_login(cc.lead)
    url = reverse("callcenter:overview")
    with time_machine.travel(WED, tick=False):
        client.get(url)  # warm the per-process caches
        with django_assert_max_num_queries(30) as small:
            page = client.get(url)
        body = page.content.decode()
        assert page.status_code == 200 and "agent0" in body and "在班坐席" in body
        panels = {p["template"]: p for p in page.context["panels"]}
        today = panels["callcenter/overview/_callbacks_today.html"]
        assert today["overdue"] == 4 and today["due_today"] == 0
        done = CallbackRequest.objects.filter(batch__name="甲").order_by("pk")
        CallbackRequest.objects.filter(pk=done[0].pk).update(
            state=CallbackState.DONE, closed_at=WED, reached_at=WED, satisfaction=4
        )
        CallbackRequest.objects.filter(pk=done[1].pk).update(
            state=CallbackState.UNREACHED, closed_at=WED
        )
        # more agents, more lists, more callbacks: no more queries
        cc.agents += [make_user(f"agent{i}", cc.hq, Role.CALL_AGENT) for i in range(2, 6)]
        a_list(cc, 12, "乙乙", at=WED)
        with django_assert_max_num_queries(len(small.captured_queries)):
            page = client.get(url)
        panels = {p["template"]: p for p in page.context["panels"]}
        today = panels["callcenter/overview/_callbacks_today.html"]
        assert (today["done_today"], today["unreached_today"], today["reach_rate"]) == (1, 1, "50%")
        assert today["overdue"] == 2
        week = panels["callcenter/overview/_satisfaction.html"]
        assert week["average"] == "4.00" and week["count"] == 1
        agents = panels["callcenter/overview/_agents.html"]
        assert sum(r["counts"][0] for r in agents["rows"]) == 14 and len(agents["rows"]) == 6


def test_who_opens_the_overview(client, cc):
    url = reverse("callcenter:overview")
    for user, status in (
        (cc.lead, 200),
        (cc.head, 200),
        (make_user("sup", cc.hq, Role.SUPERVISOR), 200),
        (cc.agents[0], 403),
        (cc.dealer_user, 403),
        (cc.gz_manager, 403),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_a_panel_is_one_function(client, cc, monkeypatch):
    def calls_panel(user, now):
        return {
            "template": "callcenter/overview/_counts.html",
            "title": "来电",
            "rows": [],
            "panel_id": "x",
        }

    monkeypatch.setattr(ov, "PANELS", [*ov.PANELS, calls_panel])
    client.force_login(cc.lead)
    page = client.get(reverse("callcenter:overview"))
    assert "来电" in page.content.decode()


def test_the_overview_counts_todays_calls_and_the_open_follow_ups(cc):
    from callcenter.choices import CallCategory, CallOutcome
    from callcenter.services.calls import call_log

    with time_machine.travel(WED, tick=False):
        for category in (CallCategory.POLICY, CallCategory.POLICY, CallCategory.TECHNICAL):
            call_log(
                actor=cc.agents[0],
                phone="13912345678",
                category=category,
                summary="咨询",
                outcome=CallOutcome.ANSWERED,
            )
        panel = ov.calls_today_panel(cc.lead, WED + timedelta(hours=1))
    counts = {str(label): n for label, n, _url in panel["rows"]}
    assert counts["政策咨询"] == 2 and counts["技术问题"] == 1 and counts["投诉"] == 0
    assert counts["未结跟进事项"] == 0
    # yesterday's calls are not today's
    assert ov.calls_today_panel(cc.lead, WED + timedelta(days=1))["rows"][0][1] == 0
