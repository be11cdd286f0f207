"""Shifts of the call centre (排班, issue 17 item 5, seed 004 §五–八): the roster from the groups'
patterns, leave with notice, swaps agreed, approved and limited to 5 a month, the hand-over log,
and the roster deciding who is on shift (and so who gets the callbacks)."""

import threading
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from callcenter.models import HandOver, LeaveRequest, RosterEntry, ShiftGroup, ShiftMember
from callcenter.models.shifts import HandOverState, LeaveState, RosterSource, SwapState
from callcenter.selectors.shifts import (
    HandOverProvider,
    ShiftApprovalProvider,
    SwapConsentProvider,
    month_grid,
)
from callcenter.services import shifts as svc
from callcenter.services.roster import agent_on_shift, agents_on_shift, next_shift_start
from network.choices import Role
from service_ops.notifications.models import Notification
from service_ops.workcalendar.clock import ZONE
from tests.factories import make_user

SEPT = date(2026, 9, 1)  # a Tuesday; A works the odd days of September, B the even ones


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def travel(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def cc(net):
    """Groups A (a1, a2) and B (b1, b2), led by `lead`; C (c1) without a lead; September's
    roster. The clock stands at 1 September 08:00."""
    n = net
    n.lead = make_user("lead", n.hq, Role.CALL_CENTRE_LEAD)
    n.supervisor = make_user("sup", n.hq, Role.SUPERVISOR)
    people = {}
    for code, anchor, names in (
        ("A", SEPT, ("a1", "a2")),
        ("B", SEPT + timedelta(days=1), ("b1", "b2")),
    ):
        group = ShiftGroup.objects.create(code=code, lead=n.lead, anchor=anchor)
        for name in names:
            people[name] = make_user(name, n.hq, Role.CALL_AGENT, first_name=name.upper())
            ShiftMember.objects.create(group=group, user=people[name])
        setattr(n, f"group_{code.lower()}", group)
    for name, user in people.items():
        setattr(n, name, user)
    with travel(at(SEPT, 8)):
        svc.roster_generate(month=SEPT)
        yield n


def entry(user, day) -> RosterEntry:
    return RosterEntry.objects.get(agent=user, day=day)


def on_shift(moment) -> list[str]:
    return list(agents_on_shift(moment).values_list("username", flat=True))


# --- the roster ----------------------------------------------------------------------------------


def test_the_pattern_makes_the_month_one_day_on_one_off_from_nine_to_nine(cc):
    assert RosterEntry.objects.count() == 4 * 15  # 30 days: 15 on for each of the 4 agents
    first = entry(cc.a1, SEPT)
    assert (first.starts_at, first.ends_at) == (at(SEPT, 9), at(SEPT, 21))
    assert not RosterEntry.objects.filter(agent=cc.a1, day=SEPT + timedelta(days=1)).exists()
    assert entry(cc.b1, SEPT + timedelta(days=1)).group == cc.group_b
    # idempotent: the second run makes nothing
    assert svc.roster_generate(month=SEPT) == 0
    assert RosterEntry.objects.count() == 60


def test_a_day_the_lead_took_off_stays_off_when_the_month_is_generated_again(cc):
    svc.roster_set_day(actor=cc.lead, day=date(2026, 9, 3), agent=cc.a1, working=False)
    svc.roster_generate(month=SEPT, actor=cc.lead)
    assert not entry(cc.a1, date(2026, 9, 3)).is_working
    assert on_shift(at(date(2026, 9, 3), 10)) == ["a2"]
    # and put on again, on another day, with other hours
    svc.roster_set_day(
        actor=cc.lead, day=date(2026, 9, 4), agent=cc.a1, working=True, starts=time(13, 0)
    )
    extra = entry(cc.a1, date(2026, 9, 4))
    assert extra.source == RosterSource.MANUAL
    assert (extra.starts_at, extra.ends_at) == (at(date(2026, 9, 4), 13), at(date(2026, 9, 4), 21))


def test_only_leads_and_supervisors_edit_the_roster_and_not_the_past(cc):
    with pytest.raises(PermissionDenied):
        svc.roster_set_day(actor=cc.a2, day=date(2026, 9, 3), agent=cc.a1, working=False)
    with pytest.raises(PermissionDenied):
        svc.roster_generate(month=SEPT, actor=cc.a1)
    with pytest.raises(ValidationError):
        svc.roster_set_day(actor=cc.lead, day=date(2026, 8, 31), agent=cc.a1, working=True)


def test_a_configured_pattern_and_a_night_shift(cc):
    group = ShiftGroup.objects.create(
        code="N", anchor=SEPT, pattern="110", starts=time(21, 0), ends=time(9, 0)
    )
    night = make_user("night", cc.hq, Role.CALL_AGENT)
    ShiftMember.objects.create(group=group, user=night)
    svc.roster_generate(month=SEPT)
    days = list(RosterEntry.objects.filter(agent=night).values_list("day", flat=True)[:4])
    assert days == [date(2026, 9, d) for d in (1, 2, 4, 5)]
    # the night shift of the 2nd covers 3:00 on the 3rd
    assert on_shift(at(date(2026, 9, 3), 3)) == ["night"]


# --- who is on shift (who gets the callbacks) -----------------------------------------------------


def test_the_roster_decides_who_is_on_shift_with_leave_and_swaps(cc, django_assert_num_queries):
    d1, d2, d3 = SEPT, SEPT + timedelta(days=1), SEPT + timedelta(days=2)
    with django_assert_num_queries(1):
        assert on_shift(at(d1, 10)) == ["a1", "a2"]
    assert on_shift(at(d2, 10)) == ["b1", "b2"]
    assert on_shift(at(d1, 8, 59)) == [] and on_shift(at(d1, 21)) == []  # after hours: nobody
    assert agent_on_shift(cc.a1, at(d1, 20, 59)) and not agent_on_shift(cc.b1, at(d1, 10))

    # a1's approved leave on the 3rd takes a1 off that day
    leave = svc.leave_submit(actor=cc.a1, kind="ordinary", first_day=d3, last_day=d3, reason="病假")
    assert on_shift(at(d3, 10)) == ["a1", "a2"]  # not approved yet
    svc.leave_approve(leave_id=leave.pk, actor=cc.lead)
    assert on_shift(at(d3, 10)) == ["a2"]

    # a2 gives the 5th to b1 and takes b1's 6th: the roster rows change hands
    d5, d6 = date(2026, 9, 5), date(2026, 9, 6)
    swap = svc.swap_propose(
        actor=cc.a2, requester_entry=entry(cc.a2, d5), partner_entry=entry(cc.b1, d6)
    )
    svc.swap_agree(swap_id=swap.pk, actor=cc.b1)
    assert on_shift(at(d5, 10)) == ["a1", "a2"]  # not approved yet
    svc.swap_approve(swap_id=swap.pk, actor=cc.lead)
    assert on_shift(at(d5, 10)) == ["a1", "b1"]
    assert on_shift(at(d6, 10)) == ["a2", "b2"]
    assert entry(cc.b1, d5).source == RosterSource.SWAP
    assert next_shift_start(cc.a2, at(d3, 22)) == at(d6, 9)  # the swapped-in 6th
    assert next_shift_start(cc.a1, at(d1, 10)) == at(d1, 10)  # on shift now
    assert next_shift_start(cc.a1, at(date(2026, 9, 30), 22)) is None


def test_a_day_without_any_roster_falls_back_to_the_call_agents(cc):
    # October was never generated: every active call agent, as before the roster existed
    october = at(date(2026, 10, 2), 10)
    assert on_shift(october) == ["a1", "a2", "b1", "b2"]
    cc.b2.is_active = False
    cc.b2.save()
    assert on_shift(october) == ["a1", "a2", "b1"]
    # a lead rostered by hand is on shift although not an agent by role
    svc.roster_set_day(actor=cc.lead, day=SEPT, agent=cc.lead, working=True)
    assert on_shift(at(SEPT, 10)) == ["lead", "a1", "a2"]  # by id


# --- leave: notice rules ------------------------------------------------------------------------


def leave(user, day, kind="ordinary", now=None):
    return svc.leave_submit(
        actor=user, kind=kind, first_day=day, last_day=day, reason="家中有事", now=now
    )


def texts(error: ValidationError) -> str:
    return " ".join(error.messages)


def errors(exc) -> str:
    return texts(exc.value)


def test_an_ordinary_leave_needs_a_day_and_an_emergency_one_an_hour(cc):
    d3 = date(2026, 9, 3)  # a1's shift starts 9:00 on the 3rd
    with travel(at(date(2026, 9, 2), 9, 30)):  # 23.5 hours before
        with pytest.raises(ValidationError) as exc:
            leave(cc.a1, d3)
        assert "一般事假需至少提前 24 小时" in errors(exc)
        assert "kind" in exc.value.message_dict
    with travel(at(date(2026, 9, 3), 8, 1)):  # 59 minutes before
        with pytest.raises(ValidationError) as exc:
            leave(cc.a1, d3, "emergency")
        assert "突发事假需在班前 1 小时之前提出" in errors(exc)
    with travel(at(date(2026, 9, 3), 7, 59)):
        assert leave(cc.a1, d3, "emergency").state == LeaveState.SUBMITTED
    with travel(at(date(2026, 9, 4), 8, 59)):  # 24 h 1 min before the 5th
        assert leave(cc.a1, date(2026, 9, 5)).state == LeaveState.SUBMITTED
    with travel(at(date(2026, 9, 7), 10)):  # the shift has started
        with pytest.raises(ValidationError) as exc:
            leave(cc.a1, date(2026, 9, 7), "emergency")
        assert "该班次已经开始" in errors(exc)


def test_a_leave_on_a_public_holiday_needs_two_days_and_is_marked(cc):
    svc.roster_generate(month=date(2026, 10, 1))
    national_day = date(2026, 10, 1)  # a1 works (30 days after the anchor)
    assert svc.is_public_holiday(national_day)
    assert svc.is_public_holiday(date(2026, 10, 4))  # a Sunday inside the holiday
    assert not svc.is_public_holiday(date(2026, 9, 13))  # an ordinary Sunday
    assert not svc.is_public_holiday(date(2026, 10, 10))  # a make-up working Saturday
    with travel(at(date(2026, 9, 29), 10)):  # 47 hours before
        with pytest.raises(ValidationError) as exc:
            leave(cc.a1, national_day)
        assert "节假日原则上不允许请假" in errors(exc)
        with pytest.raises(ValidationError):  # an emergency is no way around it
            leave(cc.a1, national_day, "emergency")
    with travel(at(date(2026, 9, 28), 10)):
        holiday_leave = leave(cc.a1, national_day)
    assert holiday_leave.on_holiday
    # only with approval: it waits for the lead like any other, who is asked by name
    assert holiday_leave.state == LeaveState.SUBMITTED
    assert Notification.objects.filter(recipient=cc.lead, subject__startswith="节假日请假").exists()


def test_leave_is_refused_for_days_off_swapped_shifts_and_twice_the_same_day(cc):
    with pytest.raises(ValidationError) as exc:
        leave(cc.a1, date(2026, 9, 4))  # a1 is off on the 4th
    assert "没有排班" in errors(exc)
    leave(cc.a1, date(2026, 9, 5))
    with pytest.raises(ValidationError) as exc:
        leave(cc.a1, date(2026, 9, 5))
    assert "已有待批准" in errors(exc)
    swap = svc.swap_propose(
        actor=cc.a2,
        requester_entry=entry(cc.a2, date(2026, 9, 9)),
        partner_entry=entry(cc.b1, date(2026, 9, 10)),
    )
    svc.swap_agree(swap_id=swap.pk, actor=cc.b1)
    svc.swap_approve(swap_id=swap.pk, actor=cc.lead)
    with pytest.raises(ValidationError) as exc:
        leave(cc.b1, date(2026, 9, 9))  # b1's shift from the swap
    assert "换班和还班的班次不得请假" in errors(exc)


def test_who_decides_a_leave_and_what_cancelling_it_undoes(cc):
    d3 = date(2026, 9, 3)
    request = leave(cc.a1, d3)
    assert Notification.objects.filter(recipient=cc.lead, needs_action=True).exists()
    with pytest.raises(PermissionDenied):
        svc.leave_approve(leave_id=request.pk, actor=cc.a2)
    with pytest.raises(ValidationError):
        svc.leave_refuse(leave_id=request.pk, actor=cc.lead, note=" ")
    svc.leave_approve(leave_id=request.pk, actor=cc.supervisor, note="同意")
    assert entry(cc.a1, d3).leave_id == request.pk
    assert Notification.objects.filter(
        recipient=cc.a1, subject__startswith="您的请假已批准"
    ).exists()
    with pytest.raises(PermissionDenied):
        svc.leave_cancel(leave_id=request.pk, actor=cc.lead)
    svc.leave_cancel(leave_id=request.pk, actor=cc.a1)
    assert entry(cc.a1, d3).leave_id is None
    assert on_shift(at(d3, 10)) == ["a1", "a2"]


# --- swaps ------------------------------------------------------------------------------------


def propose(requester, partner, day, partner_day=None, now=None):
    partner_day = partner_day or day + timedelta(days=1)
    return svc.swap_propose(
        actor=requester,
        requester_entry=entry(requester, day),
        partner_entry=entry(partner, partner_day),
        now=now,
    )


def test_a_swap_is_agreed_by_the_partner_then_approved_by_the_lead(cc):
    swap = propose(cc.a1, cc.b1, date(2026, 9, 3))
    assert Notification.objects.filter(recipient=cc.b1, needs_action=True).exists()
    with pytest.raises(PermissionDenied):
        svc.swap_agree(swap_id=swap.pk, actor=cc.a2)
    with pytest.raises(TransitionNotAllowed):  # the lead approves only what the partner agreed
        svc.swap_approve(swap_id=swap.pk, actor=cc.lead)
    svc.swap_agree(swap_id=swap.pk, actor=cc.b1)
    with pytest.raises(PermissionDenied):  # no agent approves a swap, not even their own
        svc.swap_approve(swap_id=swap.pk, actor=cc.a1)
    svc.swap_approve(swap_id=swap.pk, actor=cc.lead)
    swap.refresh_from_db()
    assert swap.state == SwapState.APPROVED
    assert entry(cc.b1, date(2026, 9, 3)).swap_id == swap.pk
    assert entry(cc.a1, date(2026, 9, 4)).swap_id == swap.pk
    assert not RosterEntry.objects.filter(agent=cc.a1, day=date(2026, 9, 3)).exists()
    assert Notification.objects.filter(recipient=cc.a1, subject__startswith="换班已批准").exists()


def test_a_swap_is_refused_when_it_cannot_work(cc):
    with pytest.raises(ValidationError) as exc:  # a2 works the 3rd already (the same group)
        propose(cc.a1, cc.a2, date(2026, 9, 3), date(2026, 9, 5))
    assert "已有班次" in errors(exc)
    propose(cc.a1, cc.b1, date(2026, 9, 3))
    with pytest.raises(ValidationError) as exc:  # the 3rd is already offered to b1
        propose(cc.a1, cc.b2, date(2026, 9, 3), date(2026, 9, 6))
    assert "已有待处理的换班申请" in errors(exc)
    with travel(at(date(2026, 9, 5), 10)):
        with pytest.raises(ValidationError) as exc:
            propose(cc.a1, cc.b1, date(2026, 9, 5), date(2026, 9, 6))
        assert "已经开始" in errors(exc)


def test_a_sixth_swap_in_a_month_is_refused_for_either_person(cc):
    days = [date(2026, 9, d) for d in (3, 5, 7, 9, 11)]
    for i, day in enumerate(days):
        propose(cc.a1, cc.b1 if i % 2 else cc.b2, day)
    with pytest.raises(ValidationError) as exc:
        propose(cc.a1, cc.b1, date(2026, 9, 13))
    assert "每人每月不得超过 5 次" in errors(exc) and "requester_entry" in exc.value.message_dict
    # the partner's limit too: b2 has 3 with a1; a2 brings b2 to 5, the next is refused
    propose(cc.a2, cc.b2, date(2026, 9, 13))
    propose(cc.a2, cc.b2, date(2026, 9, 15))
    with pytest.raises(ValidationError) as exc:
        propose(cc.a2, cc.b2, date(2026, 9, 17))
    assert "partner_entry" in exc.value.message_dict
    # a declined swap frees its place
    declined = cc.a1.swaps_requested.filter(partner=cc.b1).first()
    svc.swap_decline(swap_id=declined.pk, actor=cc.b1)
    assert propose(cc.a1, cc.b1, date(2026, 9, 13)).state == SwapState.PROPOSED
    # the next month counts afresh
    svc.roster_generate(month=date(2026, 10, 1))
    assert propose(cc.a1, cc.b1, date(2026, 10, 1), date(2026, 10, 2)).month == date(2026, 10, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_proposals_racing_for_the_fifth_place_one_is_refused(net):
    lead = make_user("lead", net.hq, Role.CALL_CENTRE_LEAD)
    a = ShiftGroup.objects.create(code="A", lead=lead, anchor=SEPT)
    b = ShiftGroup.objects.create(code="B", lead=lead, anchor=SEPT + timedelta(days=1))
    a1 = make_user("a1", net.hq, Role.CALL_AGENT)
    partners = [make_user(f"b{i}", net.hq, Role.CALL_AGENT) for i in range(3)]
    ShiftMember.objects.create(group=a, user=a1)
    for p in partners:
        ShiftMember.objects.create(group=b, user=p)
    with travel(at(SEPT, 8)):
        svc.roster_generate(month=SEPT)
        for i, d in enumerate((3, 5, 7, 9)):
            propose(a1, partners[i % 2], date(2026, 9, d))
        racing = [(date(2026, 9, 11), partners[2]), (date(2026, 9, 13), partners[0])]
        barrier = threading.Barrier(2)
        outcomes = []

        def go(day, partner):
            try:
                barrier.wait()
                outcomes.append(propose(a1, partner, day).pk)
            except ValidationError as exc:
                outcomes.append(texts(exc))
            except Exception as exc:
                outcomes.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=go, args=pair) for pair in racing]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(isinstance(o, int) for o in outcomes) == 1, outcomes
    assert any(isinstance(o, str) and "不得超过 5 次" in o for o in outcomes), outcomes
    assert a1.swaps_requested.filter(state=SwapState.PROPOSED).count() == 5


# --- hand-over ---------------------------------------------------------------------------------


def test_the_hand_over_is_written_by_the_outgoing_and_acknowledged_by_the_incoming(cc):
    with travel(at(SEPT, 20, 50)):
        h = svc.handover_write(
            actor=cc.a1, equipment="正常", problems="刘经理 JR-0001 待回电", staffing="a2 请假"
        )
    assert (h.state, h.group, h.shift_day) == (HandOverState.WRITTEN, cc.group_a, SEPT)
    with pytest.raises(ValidationError):
        svc.handover_write(actor=cc.a1, equipment=" ")
    with pytest.raises(PermissionDenied):
        svc.handover_write(actor=cc.dealer_user, equipment="正常")
    with pytest.raises(PermissionDenied):
        svc.handover_acknowledge(handover_id=h.pk, actor=cc.a1)
    with travel(at(SEPT + timedelta(days=1), 8, 50)):
        assert [i.key for i in HandOverProvider().items(cc.b1, now=at(SEPT, 23), limit=10)] == [
            f"callcenter.handover:{h.pk}"
        ]
        svc.handover_acknowledge(handover_id=h.pk, actor=cc.b1)
    h.refresh_from_db()
    assert (h.state, h.acknowledged_by) == (HandOverState.ACKNOWLEDGED, cc.b1)


# --- 我的工作 ------------------------------------------------------------------------------------


def test_the_lead_and_the_partner_find_their_tasks_in_my_work(cc, django_assert_max_num_queries):
    request = leave(cc.a1, date(2026, 9, 3))
    swap = propose(cc.a2, cc.b1, date(2026, 9, 5))
    now = at(SEPT, 8)
    assert [i.key for i in SwapConsentProvider().items(cc.b1, now=now, limit=10)] == [
        f"callcenter.swap:{swap.pk}"
    ]
    svc.swap_agree(swap_id=swap.pk, actor=cc.b1)
    # the two lists, the groups the lead decides, the caller's roles (memoised in a request)
    with django_assert_max_num_queries(7):
        items = ShiftApprovalProvider().items(cc.lead, now=now, limit=10)
    assert [i.key for i in items] == [
        f"callcenter.leave:{request.pk}",
        f"callcenter.swap:{swap.pk}",
    ]
    assert items[0].due_at == at(date(2026, 9, 3), 9)
    assert ShiftApprovalProvider().items(cc.a2, now=now, limit=10) == []
    assert len(ShiftApprovalProvider().items(cc.supervisor, now=now, limit=10)) == 2
    assert SwapConsentProvider().items(cc.b1, now=now, limit=10) == []


# --- pages --------------------------------------------------------------------------------------


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_an_agent_asks_for_leave_too_late_and_reads_why(cc):
    c = client_for(cc.a1)
    with travel(at(date(2026, 9, 2), 12)):
        response = c.post(
            reverse("callcenter:leave_new"),
            {"kind": "ordinary", "first_day": "2026-09-03", "reason": "看病"},
        )
    assert response.status_code == 400
    assert "一般事假需至少提前 24 小时" in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_the_swap_goes_round_its_pages(cc):
    agent, partner, lead = client_for(cc.a1), client_for(cc.b1), client_for(cc.lead)
    mine = entry(cc.a1, date(2026, 9, 3))
    assert agent.get(reverse("callcenter:my_shifts")).status_code == 200
    assert agent.get(reverse("callcenter:swap_new") + f"?entry={mine.pk}").status_code == 200
    response = agent.post(
        reverse("callcenter:swap_new"),
        {"requester_entry": mine.pk, "partner": cc.b1.pk, "partner_day": "2026-09-04"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    swap = cc.a1.swaps_requested.get()
    assert partner.post(reverse("callcenter:swap_act", args=[swap.pk, "agree"])).status_code == 302
    assert (
        partner.post(reverse("callcenter:swap_act", args=[swap.pk, "approve"])).status_code == 403
    )
    assert lead.get(swap.get_absolute_url()).status_code == 200
    assert lead.post(reverse("callcenter:swap_act", args=[swap.pk, "approve"])).status_code == 302
    swap.refresh_from_db()
    assert swap.state == SwapState.APPROVED
    # again: not allowed now (a redirect with a message), nothing changes
    assert lead.post(reverse("callcenter:swap_act", args=[swap.pk, "approve"])).status_code == 302
    assert client_for(cc.a2).get(swap.get_absolute_url()).status_code == 404  # not theirs


def test_the_pages_answer_and_stay_out_of_reach_of_others(cc, django_assert_max_num_queries):
    leave(cc.a1, date(2026, 9, 3))
    propose(cc.a2, cc.b1, date(2026, 9, 5))
    svc.handover_write(actor=cc.a1, equipment="正常")
    lead = client_for(cc.lead)
    for name in ("roster", "roster_day", "my_shifts", "leave_list", "swap_list", "handover_list"):
        with django_assert_max_num_queries(20):
            assert lead.get(reverse(f"callcenter:{name}")).status_code == 200, name
    for name in ("leave_new", "swap_new", "handover_new"):
        assert lead.get(reverse(f"callcenter:{name}")).status_code == 200, name
    page = lead.get(reverse("callcenter:roster") + "?month=2026-09").content.decode()
    assert "A1" in page and "在岗人数" in page
    outsider = client_for(cc.gz_manager)
    for name in ("roster", "my_shifts", "leave_list", "swap_list", "handover_list"):
        assert outsider.get(reverse(f"callcenter:{name}")).status_code == 403
    h = HandOver.objects.get()
    assert outsider.get(h.get_absolute_url()).status_code == 404
    assert client_for(cc.b2).get(LeaveRequest.objects.get().get_absolute_url()).status_code == 404


def test_the_lists_are_keyset_paged_with_constant_queries(cc, django_assert_max_num_queries):
    for i in range(30):
        HandOver.objects.create(shift_day=SEPT, written_by=cc.a1, equipment=f"设备 {i}")
    lead = client_for(cc.lead)
    with django_assert_max_num_queries(14):
        first = lead.get(reverse("callcenter:handover_list"))
    assert first.context["page"].has_next
    after = first.context["page"].next_after
    with django_assert_max_num_queries(14):
        second = lead.get(reverse("callcenter:handover_list") + f"?after={after}")
    assert len(second.context["page"].object_list) == 5


def test_the_month_grid_reads_in_three_queries(cc, django_assert_num_queries):
    with django_assert_num_queries(2):
        grid = month_grid(SEPT)
    assert [row.agent.username for row in grid.rows] == ["a1", "a2", "b1", "b2"]
    assert grid.on_duty[SEPT] == 2


def test_the_grid_cells_read_on_with_hours_leave_swap_and_off():
    from types import SimpleNamespace as Cell

    from callcenter.templatetags.roster import roster_cells

    on = Cell(
        is_working=True, leave_id=None, swap_id=None, starts_at=at(SEPT, 9), ends_at=at(SEPT, 21)
    )
    row = Cell(
        cells=[
            on,
            Cell(is_working=True, leave_id=3, swap_id=None),
            Cell(is_working=True, leave_id=None, swap_id=4),
            Cell(is_working=False, leave_id=None, swap_id=None),
            None,
        ]
    )
    html = str(roster_cells(row))
    assert html.count("<td") == 5
    assert 'title="09:00–21:00">班</td>' in html
    assert ">假</td>" in html and ">换</td>" in html
    assert html.endswith('<td class="px-1"></td><td class="px-1"></td>')
