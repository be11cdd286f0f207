"""Follow-ups of inbound calls (issue 17 item 2): open → assigned → answered → called back →
closed (or cancelled), with permissions; the reply's timer is chased and escalates to the head of
customer service; the reply starts the agent's call-back timer; "waiting until a date" pauses the
timer with its reason and resumes it on that date; 我的工作 and the list."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from callcenter.choices import CallCategory, CallOutcome, FollowUpState
from callcenter.models import FollowUp
from callcenter.plugin import FOLLOW_UP_CALLBACK_KIND, FOLLOW_UP_KIND
from callcenter.services import followups as fsvc
from service_ops.deadlines.models import DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of
from service_ops.work import work_of
from tests.callcenter.test_calls import MONDAY, Z, log

DUE = MONDAY + timedelta(hours=5)  # Monday 14:30


def follow_up(net, *, assignee="expert", due=DUE, at=MONDAY):
    call = log(
        net,
        at=at,
        category=CallCategory.TECHNICAL,
        outcome=CallOutcome.FOLLOW_UP,
        summary="GPS 无法定位，需要技术确认",
        assignee=getattr(net, assignee) if assignee else None,
        due_at=due,
    )
    return FollowUp.objects.get(call=call)


def timer_of(fu, kind):
    return fsvc.open_deadlines_of(fu, kind=kind).get()


def told(user, text):
    return Notification.objects.filter(recipient=user, channel="in_app", subject__contains=text)


def test_the_reply_timer_is_due_when_promised_and_held_by_the_assignee(cc):
    fu = follow_up(cc)
    timer = timer_of(fu, FOLLOW_UP_KIND)
    assert timer.due_at == DUE and timer.assignee == cc.expert
    assert timer.warn_at == DUE - timedelta(hours=1)
    assert told(cc.expert, "请回复客户问题").get().needs_action


def test_an_unanswered_follow_up_is_chased_and_escalates_to_the_head_of_customer_service(cc):
    fu = follow_up(cc)
    sweep_deadlines(now=DUE - timedelta(minutes=50))
    assert told(cc.expert, "即将到期").exists()
    sweep_deadlines(now=DUE + timedelta(minutes=5))
    assert told(cc.expert, "已超期").exists()  # chased
    assert not told(cc.head, fu.call.number).exists()
    timer = timer_of(fu, FOLLOW_UP_KIND)
    assert timer.status == DeadlineStatus.BREACHED
    # a working day later (Tuesday's cut-off) it reaches the head of customer service
    sweep_deadlines(now=datetime(2026, 11, 24, 18, 5, tzinfo=Z))
    escalation = told(cc.head, "超期升级").get()
    assert fu.call.number in escalation.subject
    with time_machine.travel(DUE + timedelta(hours=1), tick=False):
        item = next(i for i in work_of(cc.expert).items if i.key == f"callcenter.follow_up:{fu.pk}")
    assert item.group == "overdue" and item.url == fu.get_absolute_url()


def test_the_whole_loop_answer_call_back_close(cc):
    fu = follow_up(cc)
    with pytest.raises(PermissionDenied):  # only the assignee answers
        fsvc.followup_answer(follow_up_id=fu.pk, actor=cc.agent2, reply="x")
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        fu = fsvc.followup_answer(follow_up_id=fu.pk, actor=cc.expert, reply="重启后重新搜星即可")
    assert fu.state == FollowUpState.ANSWERED and fu.holder == cc.agent
    reply_timer = fu_timers(fu, FOLLOW_UP_KIND)[0]
    assert reply_timer.status == DeadlineStatus.MET
    callback = timer_of(fu, FOLLOW_UP_CALLBACK_KIND)
    assert callback.assignee == cc.agent
    # 4 working hours from Monday 11:30: Monday 15:30
    assert callback.due_at == datetime(2026, 11, 23, 15, 30, tzinfo=Z)
    assert told(cc.agent, "请回电客户").get().needs_action
    assert told(cc.expert, "请回复客户问题").get().done_at is not None
    with pytest.raises(PermissionDenied):  # another agent while the call's agent is on shift
        fsvc.followup_call_back(follow_up_id=fu.pk, actor=cc.agent2, note="已回电")
    with pytest.raises(ValidationError):
        fsvc.followup_call_back(follow_up_id=fu.pk, actor=cc.agent, note=" ")
    with time_machine.travel(MONDAY + timedelta(hours=3), tick=False):
        fu = fsvc.followup_call_back(
            follow_up_id=fu.pk, actor=cc.agent, note="已告知客户", close=True
        )
    assert fu.state == FollowUpState.CLOSED and fu.holder is None
    callback.refresh_from_db()
    assert callback.status == DeadlineStatus.MET
    assert [e.to_state for e in log_of(fu)] == ["assigned", "answered", "called_back", "closed"]
    with pytest.raises(TransitionNotAllowed):
        fsvc.followup_close(follow_up_id=fu.pk, actor=cc.agent)


def fu_timers(fu, kind):
    from django.contrib.contenttypes.models import ContentType

    from service_ops.deadlines.models import Deadline

    return list(
        Deadline.objects.filter(
            owner_type=ContentType.objects.get_for_model(FollowUp), owner_id=fu.pk, kind=kind
        ).order_by("id")
    )


def test_an_agent_on_shift_calls_back_when_the_calls_agent_is_off(cc, monkeypatch):
    fu = follow_up(cc)
    from callcenter.services import roster

    off = roster.agents_on_shift
    monkeypatch.setattr(roster, "agents_on_shift", lambda at=None: off(at).exclude(pk=cc.agent.pk))
    fu = fsvc.followup_answer(follow_up_id=fu.pk, actor=cc.expert, reply="答复")
    assert fu.holder == cc.agent2  # the call's agent is off: the agent on shift holds it
    assert timer_of(fu, FOLLOW_UP_CALLBACK_KIND).assignee == cc.agent2
    fu = fsvc.followup_call_back(follow_up_id=fu.pk, actor=cc.agent2, note="已回电")
    assert fu.state == FollowUpState.CALLED_BACK and fu.called_back_by == cc.agent2
    fsvc.followup_close(follow_up_id=fu.pk, actor=cc.lead, note="组长确认")


def test_an_open_follow_up_stays_with_the_agent_until_someone_is_named(cc):
    fu = follow_up(cc, assignee=None)
    assert fu.state == FollowUpState.OPEN and fu.holder == cc.agent
    assert timer_of(fu, FOLLOW_UP_KIND).assignee == cc.agent
    later = DUE + timedelta(hours=2)
    with time_machine.travel(MONDAY + timedelta(minutes=10), tick=False):
        fu = fsvc.followup_assign(
            follow_up_id=fu.pk, actor=cc.agent, assignee=cc.tech, due_at=later
        )
    assert fu.state == FollowUpState.ASSIGNED and fu.holder == cc.tech
    timer = timer_of(fu, FOLLOW_UP_KIND)  # a new promise: one open timer, due when promised
    assert timer.assignee == cc.tech and timer.due_at == later
    with (
        time_machine.travel(MONDAY + timedelta(minutes=20), tick=False),
        pytest.raises(ValidationError),
    ):
        fsvc.followup_assign(
            follow_up_id=fu.pk, actor=cc.agent, assignee=cc.dealer_user, due_at=later
        )


def test_waiting_until_a_date_pauses_the_timer_and_resumes_it_on_that_date(cc):
    fu = follow_up(cc)
    until = datetime(2026, 11, 25, 10, tzinfo=Z)  # Wednesday
    with pytest.raises(ValidationError) as err:
        fsvc.followup_wait(follow_up_id=fu.pk, actor=cc.expert, until=until, reason="")
    assert "reason" in err.value.message_dict
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        fu = fsvc.followup_wait(
            follow_up_id=fu.pk, actor=cc.expert, until=until, reason="客户出差，周三再联系"
        )
    timer = timer_of(fu, FOLLOW_UP_KIND)
    assert timer.status == DeadlineStatus.PAUSED and "客户出差" in timer.pause_reason
    assert timer.due_at == DUE  # no fake due date: the promise is unchanged while it waits
    sweep_deadlines(now=DUE + timedelta(hours=3))
    assert not told(cc.expert, "已超期").exists()  # a paused timer is not chased
    with time_machine.travel(until + timedelta(minutes=1), tick=False):
        assert fsvc.follow_ups_resume_due() == 1
    fu.refresh_from_db()
    timer.refresh_from_db()
    assert fu.waiting_until is None and timer.status == DeadlineStatus.RUNNING
    # the due time moved by the pause (Monday 10:30 → Wednesday 10:01)
    assert timer.due_at == DUE + (until + timedelta(minutes=1) - (MONDAY + timedelta(hours=1)))
    assert told(cc.expert, "等待结束").exists()


def test_cancelling_ends_the_timers(cc):
    fu = follow_up(cc)
    with pytest.raises(PermissionDenied):
        fsvc.followup_cancel(follow_up_id=fu.pk, actor=cc.agent2, note="重复登记")
    fu = fsvc.followup_cancel(follow_up_id=fu.pk, actor=cc.agent, note="重复登记")
    assert fu.state == FollowUpState.CANCELLED
    assert fu_timers(fu, FOLLOW_UP_KIND)[0].status == DeadlineStatus.CANCELLED


def test_the_pages_walk_the_loop(client, cc):
    fu = follow_up(cc)
    client.force_login(cc.expert)
    page = client.get(reverse("callcenter:follow_up_detail", args=[fu.pk]))
    assert page.status_code == 200 and "回复" in page.content.decode()
    act = reverse("callcenter:follow_up_act", args=[fu.pk, "answer"])
    assert client.post(act, {"reply": ""}).status_code == 400
    assert client.post(act, {"reply": "重新搜星"}).status_code == 302
    # answering again: not allowed now
    assert client.post(act, {"reply": "again"}, HTTP_HX_REQUEST="true").status_code == 409
    client.force_login(cc.agent2)
    back = reverse("callcenter:follow_up_act", args=[fu.pk, "call_back"])
    assert client.post(back, {"note": "x"}).status_code == 403
    client.force_login(cc.agent)
    assert client.post(back, {"note": "已回电", "close": "on"}).status_code == 302
    fu.refresh_from_db()
    assert fu.state == FollowUpState.CLOSED
    client.force_login(cc.dealer_user)
    assert client.get(reverse("callcenter:follow_up_detail", args=[fu.pk])).status_code == 404


def test_the_follow_up_list_mine_and_all_with_constant_queries(
    client, cc, django_assert_max_num_queries
):
    for i in range(12):
        follow_up(cc, at=MONDAY + timedelta(minutes=i))
    for i in range(3):
        follow_up(cc, assignee="tech", at=MONDAY + timedelta(minutes=20 + i))
    client.force_login(cc.expert)
    url = reverse("callcenter:follow_up_list")
    with django_assert_max_num_queries(14):
        page = client.get(url, {"mine": "1"})
    assert page.content.decode().count("LD-202611-") == 12
    with django_assert_max_num_queries(14):
        page = client.get(url, {"mine": "0", "state": "assigned"})
    assert page.content.decode().count("LD-202611-") == 15
    # 我的工作 asks every app's providers (repairs, shifts, callbacks, follow-ups, advances and
    # claims …): a fixed number of queries however many follow-ups the expert holds (35 now)
    with django_assert_max_num_queries(38):
        work_of(cc.expert)
