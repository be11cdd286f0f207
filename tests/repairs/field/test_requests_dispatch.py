"""Service requests and their dispatch by the rules (issue 20 items 1–4): area (district before
city before province), skill and product, grade, load against capacity, the point that served
the unit before; never a suspended point; an offer not answered in time expires and the request
goes to the next candidate (time travel + the sweep); a decline does the same; with nobody left
it is back to new and the dispatcher told; a dispatcher's override; the visit planned on accept
(a follow-on after an escalation); the appointment, its rescheduling and the day-before
reminder, once."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed

from network.choices import PointGrade
from repairs.choices import DispatchState, RequestChannel, ServiceRequestState, VisitState
from repairs.models import Dispatch, InstalledUnit, ServiceRequest, Visit
from repairs.selectors.field_requests import DispatcherProvider, OfferProvider
from repairs.services import field_requests as svc
from repairs.services.visits import request_confirm_fault
from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification, OutboundSms
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from .conftest import Z
from .points import point, set_status

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 9, 10, tzinfo=Z)  # a working day
R = ServiceRequestState
D = DispatchState


def file(w, *, category="repair", unit=None, district="天河区", **kw):
    return svc.request_file(
        channel=RequestChannel.STAFF,
        category=category,
        contact_name="陈女士",
        contact_phone="13800001234",
        address="天河路 385 号",
        province="广东省",
        city="广州市",
        district=district,
        description="不开机",
        unit=unit,
        product_model=kw.pop("product_model", "GPS-X1"),
        org_unit=w.gz,
        actor=kw.pop("actor", w.dispatcher),
        **kw,
    )


def open_offer(request) -> Dispatch:
    return request.dispatches.get(state=D.OFFERED)


def test_the_district_point_is_chosen_before_the_city_and_province_ones(field):
    request = file(field)
    request.refresh_from_db()
    assert request.state == R.DISPATCHED
    offer = open_offer(request)
    assert offer.to_unit == field.tianhe and not offer.manual
    assert "区县" in offer.rule
    # the limit is the policy's 120 working minutes, a timer of the engine
    timer = Deadline.objects.get(kind=svc.ACCEPT_KIND, owner_id=offer.pk)
    assert timer.status == DeadlineStatus.RUNNING and offer.respond_by == timer.due_at


def test_the_skill_decides_before_the_area(field):
    offer = open_offer(file(field, category="maintenance"))  # 保养: 天河 lacks it
    assert offer.to_unit == field.gzcity


def test_a_product_model_the_point_does_not_serve_passes_it_over(field):
    from network.models import ServicePointProfile

    ServicePointProfile.objects.filter(org_unit=field.tianhe).update(product_models=["T1"])
    assert open_offer(file(field)).to_unit == field.gzcity


def test_the_better_grade_wins_between_points_covering_the_same_district(field):
    better = point(
        "SP-TH2", "天河二站", field.gz, grade=PointGrade.A,
        areas=[("广东省", "广州市", "天河区")], skills=["repair"],
    )  # fmt: skip
    assert open_offer(file(field)).to_unit == better


def test_a_point_at_its_capacity_comes_after_those_with_room(field):
    from network.models import ServicePointProfile

    ServicePointProfile.objects.filter(org_unit=field.tianhe).update(capacity=1)
    first = file(field)
    svc.offer_accept(offer_id=open_offer(first).pk, actor=field.tianhe_staff)
    assert open_offer(file(field)).to_unit == field.gzcity


def test_the_point_that_served_the_unit_before_is_preferred(field):
    first = file(field, unit=field.unit)
    svc.request_override(
        request_id=first.pk, actor=field.dispatcher, to_unit=field.province_pt, reason="客户指定"
    )
    svc.offer_accept(offer_id=open_offer(first).pk, actor=field.province_staff)
    second = file(field, unit=field.unit)
    offer = open_offer(second)
    assert offer.to_unit == field.province_pt and "曾服务该设备" in offer.rule


def test_a_suspended_or_terminated_point_is_never_chosen(field):
    set_status(field.tianhe, field.PointStatus.SUSPENDED)
    set_status(field.gzcity, field.PointStatus.TERMINATED)
    assert open_offer(file(field)).to_unit == field.province_pt
    set_status(field.province_pt, field.PointStatus.ONBOARDING)
    request = file(field)
    request.refresh_from_db()
    assert request.state == R.NEW and not request.dispatches.exists()
    assert Notification.objects.filter(recipient=field.dispatcher, source_id=request.pk).exists()


def test_the_warranty_is_read_from_the_unit_when_filed(field):
    with time_machine.travel(datetime(2026, 11, 9, 10, tzinfo=Z), tick=False):
        inside = file(field, unit=field.unit)
    with time_machine.travel(datetime(2027, 3, 18, 10, tzinfo=Z), tick=False):
        outside = file(field, unit=field.unit)
    assert inside.in_warranty is True and outside.in_warranty is False
    assert field.unit.warranty_until == date(2027, 3, 17)
    assert inside.serial_number == "GX-2026-0001" and inside.org_unit == field.gz


def test_an_offer_not_answered_in_time_goes_to_the_next_point_then_back_to_new(field):
    with time_machine.travel(MONDAY, tick=False):
        request = file(field)
    first = open_offer(request)
    assert first.respond_by == datetime(2026, 11, 9, 12, tzinfo=Z)
    sweep_deadlines(now=MONDAY + timedelta(minutes=90))  # the warning only
    first.refresh_from_db()
    assert first.state == D.OFFERED
    with time_machine.travel(MONDAY + timedelta(hours=2, minutes=1), tick=False):
        sweep_deadlines(now=MONDAY + timedelta(hours=2, minutes=1))
    first.refresh_from_db()
    assert first.state == D.EXPIRED
    second = open_offer(request)
    assert second.to_unit == field.gzcity
    # twice swept, once expired
    sweep_deadlines(now=MONDAY + timedelta(hours=2, minutes=2))
    assert request.dispatches.count() == 2
    with time_machine.travel(MONDAY + timedelta(hours=4, minutes=5), tick=False):
        sweep_deadlines(now=MONDAY + timedelta(hours=4, minutes=5))
    third = open_offer(request)
    assert third.to_unit == field.province_pt
    with time_machine.travel(MONDAY + timedelta(hours=6, minutes=10), tick=False):
        sweep_deadlines(now=MONDAY + timedelta(hours=6, minutes=10))
    request.refresh_from_db()
    assert request.state == R.NEW
    assert list(request.dispatches.values_list("state", flat=True).order_by("id")) == [
        D.EXPIRED, D.EXPIRED, D.EXPIRED,
    ]  # fmt: skip
    assert Notification.objects.filter(recipient=field.dispatcher, source_id=request.pk).exists()
    items = DispatcherProvider().items(field.dispatcher, now=MONDAY, limit=10)
    assert [i.key for i in items] == [f"repairs.service_request:{request.pk}"]


def test_a_decline_offers_the_request_to_the_next_candidate(field):
    request = file(field)
    first = open_offer(request)
    with pytest.raises(ValidationError):
        svc.offer_decline(offer_id=first.pk, actor=field.tianhe_staff, reason=" ")
    with pytest.raises(PermissionDenied):
        svc.offer_decline(offer_id=first.pk, actor=field.gzcity_staff, reason="忙")
    nxt = svc.offer_decline(offer_id=first.pk, actor=field.tianhe_staff, reason="人手不足")
    first.refresh_from_db()
    assert first.state == D.DECLINED and first.decline_reason == "人手不足"
    assert nxt.to_unit == field.gzcity
    assert Deadline.objects.get(owner_id=first.pk, kind=svc.ACCEPT_KIND).status == "met"
    with pytest.raises(TransitionNotAllowed):
        svc.offer_accept(offer_id=first.pk, actor=field.tianhe_staff)


def test_accepting_plans_the_visit_and_assigns_the_request(field):
    request = file(field, unit=field.unit)
    offer = open_offer(request)
    assert [i.key for i in OfferProvider().items(field.tianhe_staff, now=MONDAY, limit=5)] == [
        f"repairs.offer:{offer.pk}"
    ]
    visit = svc.offer_accept(offer_id=offer.pk, actor=field.tianhe_staff)
    request.refresh_from_db()
    assert request.state == R.ACCEPTED and request.assigned_unit == field.tianhe
    assert (visit.sequence, visit.follows, visit.state) == (1, None, VisitState.PLANNED)
    assert visit.service_unit == field.tianhe
    assert OfferProvider().items(field.tianhe_staff, now=MONDAY, limit=5) == []


def test_a_dispatcher_overrides_to_an_engineer_who_accepts(field):
    request = file(field)
    first = open_offer(request)
    with pytest.raises(PermissionDenied):
        svc.request_override(request_id=request.pk, actor=field.agent, to_unit=field.gzcity)
    offer = svc.request_override(
        request_id=request.pk, actor=field.dispatcher, to_engineer=field.office_engineer,
        reason="老客户，派驻外工程师",
    )  # fmt: skip
    first.refresh_from_db()
    assert first.state == D.WITHDRAWN and offer.manual and offer.to_unit == field.office
    assert Deadline.objects.get(owner_id=first.pk, kind=svc.ACCEPT_KIND).status == "met"
    with pytest.raises(PermissionDenied):  # offered to the engineer, not to the office
        svc.offer_accept(offer_id=offer.pk, actor=field.tianhe_staff)
    visit = svc.offer_accept(offer_id=offer.pk, actor=field.office_engineer)
    assert visit.engineer == field.office_engineer
    # overriding an accepted request withdraws it and cancels the planned visit
    svc.request_override(request_id=request.pk, actor=field.dispatcher, to_unit=field.gzcity)
    visit.refresh_from_db()
    assert visit.state == VisitState.CANCELLED
    assert open_offer(request).to_unit == field.gzcity


def test_after_an_escalation_the_next_visit_follows_the_first(field):
    request = file(field)
    first_visit = svc.offer_accept(offer_id=open_offer(request).pk, actor=field.tianhe_staff)
    # the visit helper's services stand in: on site, not solved, escalated
    system = {"channel": ActionChannel.SYSTEM}
    run_transition(Visit, first_visit.pk, transition="check_in", **system)
    run_transition(ServiceRequest, request.pk, transition="check_in", **system)
    run_transition(Visit, first_visit.pk, transition="finish_incomplete", **system)
    run_transition(ServiceRequest, request.pk, transition="escalate", **system)
    with pytest.raises(PermissionDenied):
        svc.request_auto_dispatch(request_id=request.pk, actor=field.tianhe_staff)
    # seed 001: the fault is confirmed before an engineer goes again
    with pytest.raises(ValidationError) as unconfirmed:
        svc.request_auto_dispatch(request_id=request.pk, actor=field.dispatcher)
    assert "fault_confirmed" in unconfirmed.value.message_dict
    request_confirm_fault(request_id=request.pk, actor=field.dispatcher, text="主板故障，带主板")
    offer = svc.request_auto_dispatch(request_id=request.pk, actor=field.dispatcher)
    assert offer.to_unit == field.tianhe  # the district point again: it has not declined
    second = svc.offer_accept(offer_id=offer.pk, actor=field.tianhe_staff)
    assert (second.sequence, second.follows_id) == (2, first_visit.pk)


def test_the_appointment_reschedule_is_recorded_and_the_reminder_goes_once(field):
    with time_machine.travel(MONDAY, tick=False):
        request = file(field)
        visit = svc.offer_accept(offer_id=open_offer(request).pk, actor=field.tianhe_staff)
        tue = datetime(2026, 11, 10, 9, tzinfo=Z)
        with pytest.raises(ValidationError):
            svc.visit_schedule(
                visit_id=visit.pk, actor=field.tianhe_staff, start=tue, end=tue - timedelta(hours=1)
            )
        svc.visit_schedule(
            visit_id=visit.pk, actor=field.tianhe_staff, start=tue, end=tue + timedelta(hours=2)
        )
        with pytest.raises(ValidationError, match="原因"):
            svc.visit_schedule(
                visit_id=visit.pk, actor=field.tianhe_staff,
                start=tue + timedelta(hours=5), end=tue + timedelta(hours=7),
            )  # fmt: skip
    assert svc.send_visit_reminders(now=MONDAY + timedelta(hours=5)) == 0  # 15:00: too early
    four = MONDAY + timedelta(hours=6, minutes=5)
    assert svc.send_visit_reminders(now=four) == 1
    assert svc.send_visit_reminders(now=four + timedelta(minutes=15)) == 0
    sms = OutboundSms.objects.get(phone="13800001234")
    assert "保修卡" in sms.text and "购买凭证" in sms.text and request.number in sms.text
    assert Notification.objects.filter(recipient=field.tianhe_staff, subject__contains="明天上门")
    # moved to Wednesday: recorded, and reminded again the day before the new date
    with time_machine.travel(four, tick=False):
        wed = datetime(2026, 11, 11, 14, tzinfo=Z)
        svc.visit_schedule(
            visit_id=visit.pk, actor=field.dispatcher, start=wed, end=wed + timedelta(hours=2),
            reason="客户周二不在家",
        )  # fmt: skip
    visit.refresh_from_db()
    assert visit.reminder_sent_at is None
    change = visit.reschedules.get()
    assert (change.old_start, change.new_start, change.reason) == (tue, wed, "客户周二不在家")
    assert svc.send_visit_reminders(now=four) == 0  # Wednesday is not tomorrow yet
    assert svc.send_visit_reminders(now=four + timedelta(days=1)) == 1
    assert OutboundSms.objects.filter(phone="13800001234").count() == 2


def test_a_unit_is_kept_with_an_upper_serial_and_no_future_purchase(field):
    unit = InstalledUnit(
        serial_number="ab-1", product_model="GPS-X2", org_unit=field.gz,
        purchase_date=date(2099, 1, 1),
    )  # fmt: skip
    with pytest.raises(ValidationError):
        svc.installed_unit_save(unit=unit, actor=field.dispatcher)
    unit.purchase_date = date(2026, 1, 5)
    with pytest.raises(PermissionDenied):
        svc.installed_unit_save(unit=unit, actor=field.tianhe_staff)
    saved = svc.installed_unit_save(unit=unit, actor=field.dispatcher)
    assert saved.serial_number == "AB-1" and saved.qr_token
    clash = InstalledUnit(serial_number="Ab-1", product_model="X", org_unit=field.gz)
    with pytest.raises(ValidationError):
        svc.installed_unit_save(unit=clash, actor=field.dispatcher)
