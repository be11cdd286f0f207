"""The complaint closed loop (issue 18 items 1–3): the record with its suggested severity, every
stage through the services, the invalid ending, the stage timers and their escalation up the
chain of authority (time travel), the rejected solution resuming the 72-hour clock, the
hand-over hook, and the pages (scope, errors, query counts)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from callcenter.models import Customer
from complaints import permissions as perms
from complaints.choices import ActionKind, Category, Channel, ComplaintState, Severity, Stage
from complaints.models import Complaint, ComplaintRules
from complaints.services import complaints as svc
from complaints.services import stages
from network.choices import Role
from network.models import RoleAssignment
from service_ops import plugins
from service_ops.deadlines.models import DeadlineAction, DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification, OutboundSms
from service_ops.transitions.services import log_of
from service_ops.workcalendar.clock import ZONE
from tests.factories import PASSWORD, make_user

S = ComplaintState
MONDAY = date(2026, 9, 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def travel(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def cx(net):
    n = net
    n.handler = make_user("handler", n.hq, Role.COMPLAINT_TEAM, first_name="张")
    n.handler2 = make_user("handler2", n.hq, Role.COMPLAINT_TEAM)
    n.sup = make_user("sup", n.hq, Role.SUPERVISOR)
    n.senior = make_user("senior", n.hq)
    # The role the platform does not have yet (see complaints/permissions.py).
    RoleAssignment.objects.create(user=n.senior, role=perms.SENIOR_MANAGEMENT, org_unit=n.hq)
    n.agent = make_user("agent", n.hq, Role.CALL_AGENT)
    n.customer = Customer.objects.create(name="李先生", phone="13800138000")
    return n


def file(n, *, at_=None, **kw):
    data = {
        "actor": n.handler,
        "complainant_name": "李先生",
        "complainant_phone": "13800138000",
        "customer": n.customer,
        "content": "维修后一周又坏了",
        "category": Category.PRODUCT_QUALITY,
        "channel": Channel.CALL,
        "serial_number": "SN-001",
        "product_model": "GPS-X1",
    }
    data.update(kw)
    with travel(at_ or at(MONDAY, 9)):
        return svc.create_complaint(**data)


def timer(c, stage):
    return stages.open_stage(c, stage)


def run_to_proposed(n, c, *, when):
    with travel(when):
        c = svc.judge(c, actor=n.handler, valid=True, severity=c.severity)
        svc.record_investigation(
            c,
            actor=n.handler,
            cause="配件批次不良",
            problem_type="technical",
            responsible_unit=n.hq,
            responsible_person=n.tech,
        )
        svc.add_option(
            c, actor=n.handler, description="更换整机", promised_by=MONDAY + timedelta(days=7)
        )
        svc.add_option(
            c,
            actor=n.handler,
            description="免费维修并补偿",
            promised_by=MONDAY + timedelta(days=7),
            compensation=Decimal("200"),
        )
        return svc.propose(c, actor=n.handler)


# --- the record ----------------------------------------------------------------------------------


def test_record_numbered_with_first_stage_timers(cx):
    c = file(cx)
    assert c.number.startswith("KS-202609-")
    assert c.state == S.ACCEPTED and c.handler == cx.handler
    assert c.severity == Severity.ORDINARY and c.severity_reasons == []
    ack, judge, solution = (
        timer(c, Stage.ACKNOWLEDGE),
        timer(c, Stage.JUDGE),
        timer(c, Stage.SOLUTION),
    )
    assert ack.due_at == at(MONDAY, 18)  # the same working day's cut-off
    assert judge.due_at == at(MONDAY + timedelta(days=1), 18)  # one working day
    assert solution.due_at == at(MONDAY + timedelta(days=3), 9)  # 72 calendar hours
    assert ack.assignee == judge.assignee == solution.assignee == cx.handler


def test_severity_suggested_by_amount_and_repeats(cx):
    first = file(cx)
    assert first.severity == Severity.ORDINARY
    again = file(cx, at_=at(MONDAY, 10))  # same serial, same customer, within 90 days
    assert again.severity == Severity.MAJOR
    assert set(again.severity_reasons) == {"repeat_serial", "repeat_customer"}
    rich = file(
        cx,
        customer=None,
        serial_number="SN-9",
        amount_claimed=ComplaintRules.current().major_amount,
    )
    assert rich.severity_reasons == ["amount"]
    late = file(cx, at_=at(MONDAY, 9) + timedelta(days=91), serial_number="SN-001", customer=None)
    assert late.severity == Severity.ORDINARY  # the earlier ones are outside the window


def test_only_filers_file(cx):
    with pytest.raises(PermissionDenied):
        file(cx, actor=cx.dealer_user)
    with pytest.raises(ValidationError) as err:
        file(cx, content=" ")
    assert "content" in err.value.message_dict


# --- every stage ---------------------------------------------------------------------------------


def test_ordinary_complaint_runs_every_stage(cx):
    n = cx
    c = file(n)
    with travel(at(MONDAY, 10)):
        svc.acknowledge(c, actor=n.handler)
    assert timer(c, Stage.ACKNOWLEDGE) is None
    assert OutboundSms.objects.filter(phone="13800138000", text__contains=c.number).count() == 1
    c = run_to_proposed(n, c, when=at(MONDAY, 11))
    assert c.state == S.PROPOSED and c.round == 1
    assert timer(c, Stage.SOLUTION).status == DeadlineStatus.PAUSED
    assert timer(c, Stage.APPROVAL).assignee == n.head
    with pytest.raises(PermissionDenied):
        svc.approve(c, actor=n.handler, option_id=c.options.first().pk)
    option = c.options.last()
    with travel(at(MONDAY, 14)):
        c = svc.approve(c, actor=n.head, option_id=option.pk, comment="同意补偿")
    assert c.state == S.APPROVED and c.chosen_option == option
    with travel(at(MONDAY, 15)):
        c = svc.start_implementation(c, actor=n.handler)
        impl = timer(c, Stage.IMPLEMENTATION)
        assert impl.due_at == at(MONDAY + timedelta(days=8), 0)  # the end of the promised date
        with pytest.raises(ValidationError):
            svc.finish_implementation(c, actor=n.handler)  # no action yet
        with pytest.raises(ValidationError) as err:
            svc.add_action(c, actor=n.handler, kind=ActionKind.COMPENSATION, description="补偿")
        assert "amount" in err.value.message_dict
        svc.add_action(
            c,
            actor=n.handler,
            kind=ActionKind.COMPENSATION,
            description="补偿",
            amount=Decimal("200"),
        )
        c = svc.finish_implementation(c, actor=n.handler)
    assert c.state == S.AWAITING_CUSTOMER
    with travel(at(MONDAY + timedelta(days=1), 10)):
        c = svc.customer_accepts(c, actor=n.handler, reply="接受")
    assert c.state == S.CALLBACK
    solution = stages.Deadline.objects.get(owner_id=c.pk, policy__code="complaint-solution")
    assert solution.status == DeadlineStatus.MET
    assert timer(c, Stage.CALLBACK).due_at == at(MONDAY + timedelta(days=4), 18)
    # the call centre was asked for the callback (its hook answered)
    from callcenter.models import CallbackRequest

    assert CallbackRequest.objects.get(
        subject_id=c.pk, purpose=svc.CALLBACK_PURPOSE
    ).contact_phone == ("13800138000")
    with travel(at(MONDAY + timedelta(days=2), 10)):
        c = svc.record_callback(c, actor=n.handler, result="客户满意", satisfied=True)
        c = svc.close(
            c,
            actor=n.handler,
            classification="justified",
            root_cause="配件批次不良",
            improvement_action="供应商来料检验加严",
        )
    assert c.state == S.CLOSED and c.closed_at is not None
    assert [e.transition for e in log_of(c)] == [
        "judge_valid",
        "propose",
        "approve",
        "start_implementation",
        "finish_implementation",
        "customer_accepts",
        "record_callback",
        "close",
    ]
    assert not stages.open_deadlines_of(c).exists()


def test_invalid_complaint_closes_with_explanation(cx):
    c = file(cx)
    with pytest.raises(ValidationError):
        svc.judge(c, actor=cx.handler, valid=False, reason="")
    with travel(at(MONDAY, 11)):
        c = svc.judge(c, actor=cx.handler, valid=False, reason="该机已过保修期，收费符合规定")
    assert c.state == S.INVALID and c.invalid_reason.startswith("该机已过保修期")
    sms = OutboundSms.objects.get(phone="13800138000")
    assert "该机已过保修期" in sms.text and "感谢您的理解" in sms.text
    assert not stages.open_deadlines_of(c).exists()
    with pytest.raises(TransitionNotAllowed):
        svc.propose(c, actor=cx.handler)


def test_major_needs_senior_management(cx):
    n = cx
    c = file(n)
    c = run_to_proposed(n, Complaint.objects.get(pk=c.pk), when=at(MONDAY, 10))
    Complaint.objects.filter(pk=c.pk).update(severity=Severity.MAJOR)
    c.refresh_from_db()
    with travel(at(MONDAY, 11)):
        c = svc.approve(c, actor=n.head, option_id=c.options.first().pk)
    assert c.state == S.SENIOR_REVIEW
    assert timer(c, Stage.APPROVAL).assignee == n.senior
    with pytest.raises(PermissionDenied):
        svc.approve_senior(c, actor=n.handler)
    with travel(at(MONDAY, 12)):
        c = svc.approve_senior(c, actor=n.senior, comment="同意")
    assert c.state == S.APPROVED
    assert [a.level for a in c.approvals.all()] == ["executive", "senior"]


def test_judge_confirms_major_and_timers_switch_chain(cx):
    c = file(cx)
    due = timer(c, Stage.SOLUTION).due_at
    with travel(at(MONDAY, 10)):
        c = svc.judge(c, actor=cx.handler, valid=True, severity=Severity.MAJOR)
    solution = timer(c, Stage.SOLUTION)
    assert solution.policy.code == "complaint-solution-major" and solution.due_at == due
    assert c.severity_confirmed


# --- deadlines and escalation (time travel) -----------------------------------------------------


def _levels(c, stage):
    return sorted(
        DeadlineAction.objects.filter(
            deadline__owner_id=c.pk, deadline__policy__code__startswith=f"complaint-{stage}"
        ).values_list("level", flat=True)
    )


def test_solution_late_escalates_once_per_level(cx):
    n = cx
    c = file(n)  # Monday 09:00: a solution is due Thursday 09:00
    with travel(at(MONDAY, 10)):
        c = svc.judge(c, actor=n.handler, valid=True, severity=Severity.ORDINARY)
    for moment in (
        at(MONDAY + timedelta(days=2), 15, 1),  # a quarter of the time left: the handler is warned
        at(MONDAY + timedelta(days=3), 9, 1),  # breach: the handler
        at(MONDAY + timedelta(days=3), 12),
        at(MONDAY + timedelta(days=4), 18, 1),  # a working day later: the complaint supervisor
        at(MONDAY + timedelta(days=4), 20),
        at(MONDAY + timedelta(days=7), 18, 1),  # Monday's cut-off: the head of customer service
        at(MONDAY + timedelta(days=20), 9),
    ):
        sweep_deadlines(now=moment)
    assert _levels(c, Stage.SOLUTION) == [1, 2, 3, 4]
    c.refresh_from_db()
    assert c.escalation_level == 2
    # (the complaint's own timers: its product feedback's reply timer speaks for itself)
    told = Notification.objects.filter(
        channel="in_app", category="deadline", subject__contains=c.number
    )
    assert told.filter(recipient=n.sup).count() == 1
    assert told.filter(recipient=n.head).count() == 1
    assert not told.filter(recipient=n.senior).exists()


def test_major_complaint_reaches_senior_management(cx):
    n = cx
    c = file(n)
    with travel(at(MONDAY, 10)):
        c = svc.judge(c, actor=n.handler, valid=True, severity=Severity.MAJOR)
    for day in (2, 3, 4, 7, 8, 9, 30):
        sweep_deadlines(now=at(MONDAY + timedelta(days=day), 18, 5))
    assert _levels(c, Stage.SOLUTION) == [1, 2, 3, 4, 5]
    c.refresh_from_db()
    assert c.escalation_level == 3
    told = Notification.objects.filter(channel="in_app", category="deadline", recipient=n.senior)
    assert told.count() == 1


def test_rejected_solution_resumes_the_clock(cx):
    n = cx
    c = file(n)  # Monday 09:00, due Thursday 09:00
    c = run_to_proposed(n, c, when=at(MONDAY + timedelta(days=1), 9))  # 24 hours used
    with travel(at(MONDAY + timedelta(days=1), 10)):
        c = svc.approve(c, actor=n.head, option_id=c.options.first().pk)
        c = svc.start_implementation(c, actor=n.handler)
        svc.add_action(c, actor=n.handler, kind=ActionKind.REPLACE_UNIT, description="换新机")
        c = svc.finish_implementation(c, actor=n.handler)
    # nothing escalates while the solution is with the approver and the customer
    sweep_deadlines(now=at(MONDAY + timedelta(days=4), 12))
    assert _levels(c, Stage.SOLUTION) == []
    with travel(at(MONDAY + timedelta(days=4), 9)):  # Friday 09:00: 72 h paused
        c = svc.customer_rejects(c, actor=n.handler, reply="要求退货")
    assert c.state == S.INVESTIGATING and c.chosen_option is None
    solution = timer(c, Stage.SOLUTION)
    assert solution.status == DeadlineStatus.RUNNING
    assert solution.due_at == at(MONDAY + timedelta(days=6), 9)  # 48 h left: Sunday 09:00
    sweep_deadlines(now=at(MONDAY + timedelta(days=6), 8))
    assert _levels(c, Stage.SOLUTION) == [1]  # the warning only
    sweep_deadlines(now=at(MONDAY + timedelta(days=6), 9, 1))
    assert _levels(c, Stage.SOLUTION) == [1, 2]
    # a second round is proposed, approved and accepted: the clock ends late
    with travel(at(MONDAY + timedelta(days=6), 10)):
        svc.add_option(
            c, actor=n.handler, description="退货退款", promised_by=MONDAY + timedelta(days=9)
        )
        c = svc.propose(c, actor=n.handler)
    assert c.round == 2


def test_approval_returned_resumes_the_clock(cx):
    n = cx
    c = run_to_proposed(n, file(n), when=at(MONDAY, 21))  # 12 hours used
    with travel(at(MONDAY + timedelta(days=1), 21)):  # 24 hours with the approver
        with pytest.raises(ValidationError):
            svc.return_solution(c, actor=n.head, comment="")
        c = svc.return_solution(c, actor=n.head, comment="补偿过高")
    assert c.state == S.INVESTIGATING
    assert timer(c, Stage.SOLUTION).due_at == at(MONDAY + timedelta(days=4), 9)
    assert timer(c, Stage.APPROVAL) is None


def test_concurrent_approvals_do_not_double_apply(cx):
    n = cx
    c = run_to_proposed(n, file(n), when=at(MONDAY, 10))
    option = c.options.first().pk
    svc.approve(c, actor=n.head, option_id=option)
    with pytest.raises(TransitionNotAllowed):
        svc.approve(c, actor=n.head, option_id=option)
    assert c.approvals.count() == 1


# --- the hook -----------------------------------------------------------------------------------


def test_open_complaint_hook(cx):
    made = plugins.call_hook(
        "open_complaint",
        customer_id=cx.customer.pk,
        serial="SN-7",
        product_model="GPS-X1",
        content="坐席转来的投诉",
        actor=cx.agent,
    )
    assert len(made) == 1
    c = made[0]
    assert c.customer == cx.customer and c.complainant_phone == "13800138000"
    assert c.channel == Channel.CALL and c.handler is None and c.state == S.ACCEPTED
    assert timer(c, Stage.JUDGE).assignee is None


# --- pages ----------------------------------------------------------------------------------------


def client_for(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_desk_and_page_scope_and_queries(cx, django_assert_max_num_queries):
    n = cx
    for i in range(3):
        file(n, serial_number=f"S{i}", customer=None)
    c = file(n, serial_number="S9", customer=None)
    client = client_for(n.handler)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("complaints:desk")).status_code == 200
    for i in range(10):
        file(n, serial_number=f"T{i}", customer=None)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("complaints:desk") + "?view=mine&severity=ordinary")
    assert response.status_code == 200 and c.number in response.content.decode()
    with django_assert_max_num_queries(30):
        assert client.get(c.get_absolute_url()).status_code == 200
    assert client_for(n.dealer_user).get(c.get_absolute_url()).status_code == 403
    assert client_for(n.dealer_user).get(reverse("complaints:desk")).status_code == 403
    assert client_for(n.gz_engineer).get(c.get_absolute_url()).status_code == 403
    # a branch's complaint team sees its branch's complaints only
    gz_team = make_user("gz_team", n.gz, Role.COMPLAINT_TEAM)
    assert client_for(gz_team).get(c.get_absolute_url()).status_code == 404
    assert c.number not in client_for(gz_team).get(reverse("complaints:desk")).content.decode()


def test_forms_answer_errors_and_not_allowed(cx):
    n = cx
    client = client_for(n.handler)
    response = client.post(reverse("complaints:new"), {"complainant_name": "王", "channel": "call"})
    assert response.status_code == 400
    response = client.post(
        reverse("complaints:new"),
        {
            "complainant_name": "王女士",
            "complainant_phone": "13900000000",
            "channel": "call",
            "category": "service_attitude",
            "content": "工程师态度差",
        },
    )
    c = Complaint.objects.get(complainant_name="王女士")
    assert response.status_code == 302 and response["Location"] == c.get_absolute_url()
    url = reverse("complaints:act", args=[c.pk, "judge"])
    assert client.post(url, {"judge-valid": "0", "judge-reason": ""}).status_code == 400
    assert client.post(url, {"judge-valid": "0", "judge-reason": "属正常收费"}).status_code == 302
    c.refresh_from_db()
    assert c.state == S.INVALID
    # the state moved on: not allowed now
    response = client.post(
        url, {"judge-valid": "1", "judge-severity": "ordinary"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert client.post(reverse("complaints:act", args=[c.pk, "nope"])).status_code == 404
    # a valid one: proposing without a solution says why, on the page
    other = file(n, serial_number="S-P", customer=None)
    svc.judge(other, actor=n.handler, valid=True, severity="ordinary")
    svc.record_investigation(
        other, actor=n.handler, cause="原因", problem_type="service", responsible_unit=n.hq
    )
    response = client.post(reverse("complaints:act", args=[other.pk, "propose"]))
    assert response.status_code == 400 and "请至少添加一个处理方案" in response.content.decode()
    # someone who is not the handler may not act
    response = client_for(n.handler2).post(reverse("complaints:act", args=[other.pk, "propose"]))
    assert response.status_code == 403


def test_demo_shows_every_stage(cx):
    from complaints.demo import load_demo

    load_demo(units={"HQ": cx.hq}, users={"complaints": cx.handler, "head_cs": cx.head})
    states = set(Complaint.objects.values_list("state", flat=True))
    assert {S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.SENIOR_REVIEW, S.AWAITING_CUSTOMER} <= states
    assert {S.CLOSED, S.INVALID} <= states
    load_demo(units={"HQ": cx.hq}, users={"complaints": cx.handler, "head_cs": cx.head})
    assert Complaint.objects.count() == 7  # loaded once
