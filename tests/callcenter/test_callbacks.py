"""Callbacks (回访): a shipped repair's task and its promise, the calling windows (time travel),
the agent's attempts, a dissatisfied answer end to end, nobody surveyed twice, even assignment to
the agents on shift, installed customers' milestones and the weekly report."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from callcenter.choices import CallbackPurpose, CallbackState, CallResult, CloseReason
from callcenter.models import CallbackAttempt, CallbackRequest, CallbackRules, Installation
from callcenter.services import callbacks as svc
from network.choices import Role
from repairs.services import orders as ro
from service_ops import plugins
from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.notifications.models import Notification, OutboundSms
from tests.factories import make_user
from tests.repairs.test_orders import receive_lot

pytestmark = pytest.mark.django_db

Z = ZoneInfo("Asia/Shanghai")
WED = datetime(2026, 11, 25, 10, 0, tzinfo=Z)  # a working Wednesday
REACHED = CallResult.REACHED


def at(day: datetime, hh: int, mm: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm)


def ship(net, serials=("S1",), when=WED):
    """Receive a lot, walk its units to packed and ship them at `when`."""
    lot = receive_lot(net, list(serials), when - timedelta(days=2))
    orders = list(lot.orders.order_by("pk"))
    with time_machine.travel(when, tick=False):
        for order in orders:
            for step in ("pick_up", "start_repair", "finish_repair", "finish_burn_in"):
                getattr(ro, f"order_{step}")(order_id=order.pk, actor=net.tech)
            ro.order_qc(order_id=order.pk, actor=net.tech, passed=True)
            ro.order_pack(order_id=order.pk, actor=net.tech, packing_list="主机 ×1")
            ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="德邦", tracking_number="DB1")
    return orders


@pytest.fixture
def agents(net):
    net.agent = make_user("agent", net.hq, Role.CALL_AGENT, email=True)
    net.agent2 = make_user("agent2", net.hq, Role.CALL_AGENT, email=True)
    net.lead = make_user("lead", net.hq, Role.CALL_CENTRE_LEAD, email=True)
    return net


def call(task, agent, result=REACHED, when=None, **kw):
    return svc.callback_record_call(
        task_id=task.pk,
        actor=agent,
        call=svc.CallInput(result=result, **kw),
        expected_attempts=CallbackRequest.objects.get(pk=task.pk).attempt_count,
        now=when,
    )


# --- a shipped repair ---------------------------------------------------------------------------


def test_a_shipped_repair_creates_a_callback_due_in_three_working_days(net):
    (order,) = ship(net)
    task = CallbackRequest.objects.get()
    assert task.subject == order and task.purpose == CallbackPurpose.REPAIR_SHIPPED
    assert task.state == CallbackState.PENDING
    # Wednesday 10:00 + 3 working days: Thu, Fri, Mon → Monday 18:00
    assert task.promised_at() == datetime(2026, 11, 30, 18, tzinfo=Z) == task.due_at
    assert task.customer.phone == "139" and task.customer.name == "王经理"
    assert task.org_unit == order.branch  # counted for the branch's department
    timer = task.deadline
    assert timer.kind == "callcenter.callback" and timer.org_unit == net.hq
    # the hook stays idempotent per (subject, purpose)
    again = plugins.call_hook("request_callback", subject=order, purpose="repair_shipped")[0]
    assert again.pk == task.pk
    assert Deadline.objects.filter(kind="callcenter.callback").count() == 1


# --- calling windows ----------------------------------------------------------------------------


def test_no_callback_is_offered_outside_the_calling_windows(agents):
    net = agents
    ship(net, when=at(WED, 9))
    task = CallbackRequest.objects.get()
    for moment, offered in (
        (at(WED, 9, 55), False),  # before the morning window
        (at(WED, 10, 5), True),
        (at(WED, 11, 35), False),
        (at(WED, 12, 0), False),  # the customer's lunch
        (at(WED, 14, 35), True),
        (at(WED, 17, 45), False),  # evening: rest time
        (datetime(2026, 11, 28, 10, 5, tzinfo=Z), False),  # Saturday
    ):
        queue = list(svc.queue_for(net.agent, now=moment))
        assert (task in queue) is offered, moment
        with time_machine.travel(moment, tick=False):
            taken = svc.callback_take_next(agent=net.agent)
        assert (taken is not None) is offered, moment
        if taken:  # give it back for the next moment
            CallbackRequest.objects.filter(pk=task.pk).update(assignee=None, state="pending")
    with time_machine.travel(at(WED, 12), tick=False), pytest.raises(ValidationError):
        svc.callback_take(task_id=task.pk, agent=net.agent)


def test_the_time_the_customer_said_suits_them_is_honoured(agents):
    net = agents
    ship(net, when=at(WED, 9))
    task = CallbackRequest.objects.get()
    svc.callback_set_preferred_time(
        task_id=task.pk, actor=net.lead, preferred_from=time(19), preferred_to=time(20)
    )
    assert task not in svc.queue_for(net.agent, now=at(WED, 10, 5))  # not in the usual window
    assert task in svc.queue_for(net.agent, now=at(WED, 19, 10))
    assert task not in svc.queue_for(net.agent, now=at(WED, 20, 5))
    with pytest.raises(ValidationError):  # never before 09:00 or after 21:00
        svc.callback_set_preferred_time(
            task_id=task.pk, actor=net.lead, preferred_from=time(21), preferred_to=time(22)
        )


def test_the_calling_windows_are_data(agents):
    net = agents
    ship(net, when=at(WED, 9))
    rules = CallbackRules.current()
    rules.windows = "12:00-13:00"
    rules.full_clean()
    rules.save()
    task = CallbackRequest.objects.get()
    assert task in svc.queue_for(net.agent, now=at(WED, 12, 30))
    assert task not in svc.queue_for(net.agent, now=at(WED, 10, 5))
    rules.windows = "25:00-26:00"
    with pytest.raises(ValidationError):
        rules.full_clean()


# --- attempts -----------------------------------------------------------------------------------


def test_not_reached_is_retried_spaced_then_ends_after_the_limit(agents):
    net = agents
    ship(net, when=at(WED, 9))
    task = CallbackRequest.objects.get()
    first = at(WED, 10, 5)
    with time_machine.travel(first, tick=False):
        task = svc.callback_take_next(agent=net.agent)
    task = call(task, net.agent, CallResult.NO_ANSWER, when=first)
    assert task.state == CallbackState.ASSIGNED and task.attempt_count == 1
    assert task.next_attempt_at == first + timedelta(hours=2)
    assert task not in svc.queue_for(net.agent, now=at(WED, 11, 0))  # too soon
    assert task not in svc.queue_for(net.agent, now=at(WED, 12, 10))  # gap over, but lunch
    assert task in svc.queue_for(net.agent, now=at(WED, 14, 35))
    with pytest.raises(ValidationError):  # not callable now: refused, not recorded
        call(task, net.agent, CallResult.BUSY, when=at(WED, 11, 0))
    task = call(task, net.agent, CallResult.BUSY, when=at(WED, 14, 35))
    third = datetime(2026, 11, 26, 10, 5, tzinfo=Z)
    task = call(task, net.agent, CallResult.NO_ANSWER, when=third)
    assert task.state == CallbackState.UNREACHED
    assert task.close_reason == CloseReason.ATTEMPTS_EXHAUSTED
    assert list(task.attempts.values_list("result", flat=True)) == [
        "no_answer",
        "busy",
        "no_answer",
    ]
    timer = Deadline.objects.get(kind="callcenter.callback")
    assert timer.status == DeadlineStatus.MET  # the call centre did call within its promise


def test_a_wrong_number_ends_the_task_and_a_second_submit_is_refused(agents):
    net = agents
    ship(net, when=at(WED, 9))
    task = CallbackRequest.objects.get()
    now = at(WED, 10, 5)
    svc.callback_take(task_id=task.pk, agent=net.agent, now=now)
    with pytest.raises(PermissionDenied):  # only the agent who holds it records its calls
        call(task, net.agent2, CallResult.NO_ANSWER, when=now)
    svc.callback_record_call(
        task_id=task.pk,
        actor=net.agent,
        call=svc.CallInput(result=CallResult.WRONG_NUMBER),
        expected_attempts=0,
        now=now,
    )
    with pytest.raises((ValidationError, Exception)):
        svc.callback_record_call(
            task_id=task.pk,
            actor=net.agent,
            call=svc.CallInput(result=CallResult.WRONG_NUMBER),
            expected_attempts=0,
            now=now,
        )
    assert CallbackAttempt.objects.count() == 1
    task.refresh_from_db()
    assert task.state == CallbackState.UNREACHED and task.close_reason == CloseReason.WRONG_NUMBER


def test_the_business_result_is_asked_only_with_a_reached_call(agents):
    net = agents
    ship(net, when=at(WED, 9))
    task = CallbackRequest.objects.get()
    now = at(WED, 10, 5)
    svc.callback_take(task_id=task.pk, agent=net.agent, now=now)
    with pytest.raises(ValidationError) as missing:
        call(task, net.agent, REACHED, when=now)  # valid but no satisfaction
    assert "satisfaction" in missing.value.message_dict
    with pytest.raises(ValidationError) as no_reason:
        call(task, net.agent, REACHED, when=now, is_valid=False)
    assert "invalid_reason" in no_reason.value.message_dict
    task = call(task, net.agent, REACHED, when=now, is_valid=False, invalid_reason="非本人")
    assert task.state == CallbackState.DONE and task.is_valid is False
    assert task.satisfaction is None and not task.followups.exists()


# --- dissatisfied -------------------------------------------------------------------------------


def test_a_dissatisfied_answer_opens_a_second_callback_sends_care_and_reaches_the_repair_team(
    agents,
):
    net = agents
    (order,) = ship(net, when=at(WED, 9))
    task = CallbackRequest.objects.get()
    now = at(WED, 10, 5)
    with time_machine.travel(now, tick=False):
        svc.callback_take_next(agent=net.agent)
        task = call(task, net.agent, REACHED, when=now, satisfaction=2, comments="修好后还是不定位")
    assert task.state == CallbackState.DONE and task.satisfaction == 2
    second = task.followups.get()
    assert second.purpose == CallbackPurpose.DISSATISFIED and second.customer == task.customer
    assert second.state == CallbackState.PENDING and second.subject == task
    assert second.deadline.policy.code == "callback-dissatisfied-3wd"
    # offered from the next working day's first window, not today (the team acts first)
    assert second not in svc.queue_for(net.agent, now=at(WED, 14, 35))
    assert second in svc.queue_for(net.agent, now=datetime(2026, 11, 26, 10, 5, tzinfo=Z))
    sms = OutboundSms.objects.get()
    assert sms.phone == "139" and "王经理" in sms.text and sms.source_id == task.pk
    told = Notification.objects.filter(subject__contains="客户不满意", channel="in_app")
    # the repair team (repairs answers the hook: the unit's technician and the repair
    # supervisors), not the agent who phoned
    assert {n.recipient for n in told} == {net.tech, net.repair_sup}
    assert all(order.number in n.subject for n in told)
    # the second callback is exempt from the 30-day rule and can itself be worked
    with time_machine.travel(datetime(2026, 11, 26, 10, 5, tzinfo=Z), tick=False):
        taken = svc.callback_take_next(agent=net.agent)
    assert taken.pk == second.pk


def test_the_subjects_app_names_who_caused_it_through_a_hook(agents, monkeypatch):
    net = agents
    ship(net, when=at(WED, 9))
    task = CallbackRequest.objects.get()
    real_hook = plugins.hook
    monkeypatch.setattr(
        plugins,
        "hook",
        lambda name: (
            [lambda subject: [net.tech.pk, (Role.BRANCH_MANAGER, net.cs)]]
            if name == "callback_responsible"
            else real_hook(name)
        ),
    )
    now = at(WED, 10, 5)
    svc.callback_take(task_id=task.pk, agent=net.agent, now=now)
    call(task, net.agent, REACHED, when=now, satisfaction=1)
    told = {n.recipient for n in Notification.objects.filter(subject__contains="客户不满意")}
    assert told == {net.tech, net.cs_manager}


def test_a_satisfied_or_neutral_answer_sets_nothing_off(agents):
    net = agents
    ship(net, ("S1", "S2"), when=at(WED, 9))
    first, second = CallbackRequest.objects.order_by("pk")
    now = at(WED, 10, 5)
    svc.callback_take(task_id=first.pk, agent=net.agent, now=now)
    call(first, net.agent, REACHED, when=now, satisfaction=3)
    assert not CallbackRequest.objects.filter(purpose=CallbackPurpose.DISSATISFIED).exists()
    assert not OutboundSms.objects.exists()
    # the same customer (one contact for both units) is not surveyed twice
    second.refresh_from_db()
    assert second.state == CallbackState.CANCELLED
    assert second.close_reason == CloseReason.RECENTLY_SURVEYED
    assert second.deadline is None


def test_a_customer_surveyed_within_the_set_days_is_not_called_again(agents):
    net = agents
    ship(net, ("S1",), when=at(WED, 9))
    task = CallbackRequest.objects.get()
    now = at(WED, 10, 5)
    svc.callback_take(task_id=task.pk, agent=net.agent, now=now)
    call(task, net.agent, REACHED, when=now, satisfaction=5)
    ship(net, ("S9",), when=datetime(2026, 12, 9, 9, tzinfo=Z))  # 14 days later
    newer = CallbackRequest.objects.exclude(pk=task.pk).get()
    assert newer.state == CallbackState.CANCELLED
    assert newer.close_reason == CloseReason.RECENTLY_SURVEYED
    rules = CallbackRules.current()
    rules.no_repeat_days = 7
    rules.save()
    ship(net, ("S10",), when=datetime(2026, 12, 10, 9, tzinfo=Z))
    assert CallbackRequest.objects.order_by("-pk").first().state == CallbackState.PENDING


# --- assignment ---------------------------------------------------------------------------------


def test_supervisors_assign_evenly_to_the_agents_on_shift_by_their_open_load(agents):
    net = agents
    ship(net, ("A1", "A2", "A3", "A4", "A5"), when=at(WED, 9))
    tasks = list(CallbackRequest.objects.order_by("pk"))
    with pytest.raises(PermissionDenied):
        svc.callback_assign(task_ids=[t.pk for t in tasks], actor=net.agent)
    # agent already holds one: the next four go 2 + 2 after evening out
    svc.callback_assign(task_ids=[tasks[0].pk], actor=net.lead, agents=[net.agent])
    given = svc.callback_assign(
        task_ids=[t.pk for t in tasks[1:]], actor=net.lead, agents=[net.agent, net.agent2]
    )
    assert given == {net.agent.pk: 1, net.agent2.pk: 3} or given == {
        net.agent.pk: 2,
        net.agent2.pk: 2,
    }
    load = svc.open_load([net.agent.pk, net.agent2.pk])
    assert abs(load[net.agent.pk] - load[net.agent2.pk]) <= 1
    timer = Deadline.objects.get(owner_id=tasks[0].pk, kind="callcenter.callback")
    assert timer.assignee == net.agent  # warnings go to the agent who holds it
    # with no explicit list the agents on shift are used (every active agent until the roster)
    given = svc.callback_assign(task_ids=[tasks[0].pk], actor=net.lead)
    assert sum(given.values()) <= 1


def test_the_queue_offers_own_tasks_first_and_two_agents_never_take_the_same(agents):
    net = agents
    ship(net, ("B1", "B2", "B3"), when=at(WED, 9))
    # three customers: give each task its own phone so none is skipped as surveyed
    for i, task in enumerate(CallbackRequest.objects.order_by("pk")):
        customer = task.customer
        customer.pk = None
        customer.phone = f"13900000{i}"
        customer.save()
        CallbackRequest.objects.filter(pk=task.pk).update(customer=customer)
    last = CallbackRequest.objects.order_by("-pk").first()
    svc.callback_assign(task_ids=[last.pk], actor=net.lead, agents=[net.agent2])
    now = at(WED, 10, 5)
    with time_machine.travel(now, tick=False):
        mine = svc.callback_take_next(agent=net.agent2)
        other = svc.callback_take_next(agent=net.agent)
        third = svc.callback_take_next(agent=net.agent)
    assert mine.pk == last.pk
    assert other.pk != mine.pk and third.pk == other.pk  # own task first: the one already taken
    assert CallbackRequest.objects.filter(state="assigned").count() == 2


# --- installed customers ------------------------------------------------------------------------


def test_installed_customers_get_their_milestone_callbacks_once(agents):
    net = agents
    installed = date(2026, 10, 1)
    inst = svc.installation_create(
        actor=net.agent,
        customer_name="赵女士",
        customer_phone="+86 138-0000-1111",
        product_model="GPS-X1",
        serial_number="N1",
        installed_on=installed,
        org_unit=net.gz,
        today=date(2026, 10, 2),
    )
    assert inst.customer.phone == "13800001111"
    with pytest.raises(ValidationError):
        svc.installation_create(
            actor=net.agent,
            customer_name="x",
            customer_phone="1",
            product_model="m",
            installed_on=date(2026, 10, 3),
            today=date(2026, 10, 2),
        )
    assert svc.installation_callbacks_due(now=datetime(2026, 10, 7, 7, 30, tzinfo=Z)) == 0
    assert svc.installation_callbacks_due(now=datetime(2026, 10, 8, 7, 30, tzinfo=Z)) == 1
    assert svc.installation_callbacks_due(now=datetime(2026, 10, 9, 7, 30, tzinfo=Z)) == 0
    task = CallbackRequest.objects.get()
    assert task.purpose == CallbackPurpose.INSTALL_1W and task.subject == inst
    assert task.org_unit == net.gz
    # a month later: the one-month callback (the week's is not made again)
    assert svc.installation_callbacks_due(now=datetime(2026, 10, 31, 7, 30, tzinfo=Z)) == 1
    assert CallbackRequest.objects.filter(purpose=CallbackPurpose.INSTALL_1M).count() == 1
    # an installation entered late gets only its current milestone, not every missed one
    Installation.objects.create(
        customer=inst.customer, product_model="GPS-X2", installed_on=date(2026, 6, 1)
    )
    svc.installation_callbacks_due(now=datetime(2026, 12, 2, 7, 30, tzinfo=Z))
    late = CallbackRequest.objects.filter(subject_id__in=Installation.objects.values("pk")).exclude(
        subject_id=inst.pk
    )
    assert list(late.values_list("purpose", flat=True)) == [CallbackPurpose.INSTALL_6M]


# --- the weekly report --------------------------------------------------------------------------


def test_the_weekly_satisfaction_report_goes_to_the_head_of_customer_service(agents):
    net = agents
    ship(net, ("W1",), when=at(WED, 9))
    task = CallbackRequest.objects.get()
    now = at(WED, 10, 5)
    svc.callback_take(task_id=task.pk, agent=net.agent, now=now)
    call(task, net.agent, REACHED, when=now, satisfaction=4)
    monday = datetime(2026, 11, 30, 9, tzinfo=Z)
    assert svc.weekly_report_send(now=monday) == 1
    note = Notification.objects.get(
        recipient=net.head, subject__contains="回访满意度周报", channel="in_app"
    )
    assert "2026-11-23" in note.subject and "2026-11-29" in note.subject
    assert "接通 1" in note.body and "平均满意度 4.00" in note.body
    assert note.url.endswith("start=2026-11-23&end=2026-11-29")
