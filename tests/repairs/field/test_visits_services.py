"""On site (issue 20, items 5 and 6): check-in with the browser's location or the reason it is
missing, photos checked by their bytes, the report, parts from the worker's own stock, the drawn
signature, the gates of finishing, escalation and the fault confirmation, and the callback and
its verdict through the call centre (time travel)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm import TransitionNotAllowed

from callcenter.models import CallbackRequest
from callcenter.services import callbacks as cb
from network.choices import Role
from repairs.choices import (
    CallbackVerdict,
    PhotoKind,
    ServiceCategory,
    ServiceRequestState,
    VisitState,
)
from repairs.models import FieldServicePolicy, ServiceRequest, Visit, VisitPhoto
from repairs.services import visits as vs
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of
from spareparts.models import StockBalance
from tests.factories import make_user

from .visit_factory import accepted_visit, field_people, picture, signature_png

pytestmark = pytest.mark.django_db

Z = ZoneInfo("Asia/Shanghai")
R = ServiceRequestState
V = VisitState
WED = datetime(2026, 9, 30, 10, 0, tzinfo=Z)  # a working Wednesday before the October holiday


@pytest.fixture
def f(net):
    return field_people(net)


def on_site(f, *, engineer=True, **kw):
    visit = accepted_visit(
        f.net,
        engineer=f.engineer if engineer else None,
        service_unit=None if engineer else f.point,
        **kw,
    )
    actor = f.engineer if engineer else f.point_staff
    vs.visit_check_in(visit_id=visit.pk, actor=actor, latitude="23.1291", longitude="113.2644",
                      accuracy_m=12)  # fmt: skip
    return Visit.objects.get(pk=visit.pk), actor


def ready_to_solve(f, **kw):
    visit, actor = on_site(f, **kw)
    for kind in (PhotoKind.BEFORE, PhotoKind.AFTER):
        vs.visit_add_photo(visit_id=visit.pk, actor=actor, kind=kind, file=picture())
    vs.visit_record(visit_id=visit.pk, actor=actor, diagnosis="主板电容鼓包",
                    work_report="更换主板，试机正常", distance_km="12.5")  # fmt: skip
    vs.visit_sign(visit_id=visit.pk, actor=actor, signature=signature_png())
    return visit, actor


# --- check-in ----------------------------------------------------------------------------------


def test_check_in_records_the_browsers_location_and_the_servers_time_and_puts_the_request_on_site(
    f,
):
    visit = accepted_visit(f.net, engineer=f.engineer)
    with time_machine.travel(WED, tick=False):
        vs.visit_check_in(
            visit_id=visit.pk,
            actor=f.engineer,
            latitude=23.129163,
            longitude=113.264435,
            accuracy_m=15.4,
        )
    visit.refresh_from_db()
    assert visit.state == V.CHECKED_IN and visit.checked_in_at == WED
    assert visit.check_in_latitude == Decimal("23.129163")
    assert visit.check_in_longitude == Decimal("113.264435")
    assert visit.check_in_accuracy_m == 15 and visit.check_in_location_note == ""
    assert visit.request.state == R.ON_SITE
    assert [e.transition for e in log_of(visit)] == ["check_in"]
    assert [e.transition for e in log_of(visit.request)] == ["check_in"]


def test_without_a_location_the_check_in_needs_the_reason_and_records_it(f):
    visit = accepted_visit(f.net, engineer=f.engineer)
    with pytest.raises(ValidationError) as err:
        vs.visit_check_in(visit_id=visit.pk, actor=f.engineer)
    assert "location_unavailable_reason" in err.value.message_dict
    assert Visit.objects.get(pk=visit.pk).state == V.PLANNED
    vs.visit_check_in(
        visit_id=visit.pk, actor=f.engineer, location_unavailable_reason="浏览器拒绝定位"
    )
    visit.refresh_from_db()
    assert visit.state == V.CHECKED_IN and visit.check_in_latitude is None
    assert visit.check_in_location_note == "浏览器拒绝定位"
    assert "浏览器拒绝定位" in log_of(visit).get().comment


@pytest.mark.parametrize(
    "lat, lon, field",
    [("91", "113", "latitude"), ("23", "-181", "longitude"), ("abc", "113", "latitude")],
)
def test_coordinates_out_of_range_are_refused_by_field(f, lat, lon, field):
    visit = accepted_visit(f.net, engineer=f.engineer)
    with pytest.raises(ValidationError) as err:
        vs.visit_check_in(visit_id=visit.pk, actor=f.engineer, latitude=lat, longitude=lon)
    assert field in err.value.message_dict


def test_only_the_visits_engineer_or_point_checks_in_and_only_once(f):
    visit = accepted_visit(f.net, engineer=f.engineer)
    for stranger in (f.net.cs_engineer, f.point_staff, f.dispatcher):
        with pytest.raises(PermissionDenied):
            vs.visit_check_in(visit_id=visit.pk, actor=stranger, location_unavailable_reason="x")
    point_visit = accepted_visit(f.net, service_unit=f.point)
    with pytest.raises(PermissionDenied):
        vs.visit_check_in(visit_id=point_visit.pk, actor=f.other_staff, latitude=1, longitude=1)
    vs.visit_check_in(visit_id=point_visit.pk, actor=f.point_staff, latitude=1, longitude=1)
    with pytest.raises(TransitionNotAllowed):
        vs.visit_check_in(visit_id=point_visit.pk, actor=f.point_staff, latitude=1, longitude=1)


def test_a_request_no_longer_accepted_blocks_the_check_in_and_nothing_is_kept(f):
    visit = accepted_visit(f.net, engineer=f.engineer, request_state=R.CANCELLED)
    with pytest.raises(TransitionNotAllowed):
        vs.visit_check_in(visit_id=visit.pk, actor=f.engineer, latitude=1, longitude=1)
    assert Visit.objects.get(pk=visit.pk).state == V.PLANNED


# --- photos -------------------------------------------------------------------------------------


def test_photos_are_checked_by_their_bytes_and_size(f, monkeypatch):
    visit, actor = on_site(f)
    fake = SimpleUploadedFile("x.jpg", b"not a picture at all", content_type="image/jpeg")
    with pytest.raises(ValidationError) as err:
        vs.visit_add_photo(visit_id=visit.pk, actor=actor, kind="before", file=fake)
    assert "file" in err.value.message_dict
    gif = SimpleUploadedFile(
        "x.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", content_type="image/gif"
    )
    with pytest.raises(ValidationError):
        vs.visit_add_photo(visit_id=visit.pk, actor=actor, kind="before", file=gif)
    with pytest.raises(ValidationError) as err:
        vs.visit_add_photo(visit_id=visit.pk, actor=actor, kind="sideways", file=picture())
    assert "kind" in err.value.message_dict
    monkeypatch.setattr(vs, "PHOTO_MAX_BYTES", 100)
    with pytest.raises(ValidationError) as err:
        vs.visit_add_photo(visit_id=visit.pk, actor=actor, kind="before", file=picture())
    assert "MB" in err.value.message_dict["file"][0]
    monkeypatch.setattr(vs, "PHOTO_MAX_BYTES", 10 * 1024 * 1024)
    for fmt in ("JPEG", "PNG", "WEBP"):
        photo, created = vs.visit_add_photo(
            visit_id=visit.pk, actor=actor, kind="before", file=picture(fmt=fmt)
        )
        assert created and photo.file.name.endswith({"JPEG": ".jpg"}.get(fmt, f".{fmt.lower()}"))
    assert visit.photos.count() == 3


def test_a_retried_upload_with_the_same_key_is_stored_once(f):
    visit, actor = on_site(f)
    first, created = vs.visit_add_photo(
        visit_id=visit.pk, actor=actor, kind="after", file=picture(), upload_key="u-1"
    )
    again, created_again = vs.visit_add_photo(
        visit_id=visit.pk, actor=actor, kind="after", file=picture(), upload_key="u-1"
    )
    assert created and not created_again and again.pk == first.pk
    assert VisitPhoto.objects.filter(visit=visit).count() == 1


def test_photos_belong_to_a_visit_on_site(f):
    visit = accepted_visit(f.net, engineer=f.engineer)
    with pytest.raises(TransitionNotAllowed):
        vs.visit_add_photo(visit_id=visit.pk, actor=f.engineer, kind="before", file=picture())


# --- parts ------------------------------------------------------------------------------------


def balance(warehouse, part):
    b = StockBalance.objects.get(warehouse=warehouse, part=part)
    return b.on_hand, b.reserved


def test_parts_come_from_the_engineers_own_stock_reserved_then_issued_on_finishing(f):
    visit, actor = ready_to_solve(f)
    line = vs.visit_add_part(visit_id=visit.pk, actor=actor, part=f.part, quantity=2)
    assert line.warehouse == f.engineer_stock and line.in_warranty and line.amount == 0
    assert balance(f.engineer_stock, f.part) == (5, 2)
    with pytest.raises(ValidationError) as err:
        vs.visit_add_part(visit_id=visit.pk, actor=actor, part=f.part, quantity=4)
    assert "quantity" in err.value.message_dict  # only 3 available
    removed = vs.visit_add_part(visit_id=visit.pk, actor=actor, part=f.part, quantity=1)
    vs.visit_remove_part(line_id=removed.pk, actor=actor)
    assert balance(f.engineer_stock, f.part) == (5, 2)
    vs.visit_finish(visit_id=visit.pk, actor=actor, solved=True)
    assert balance(f.engineer_stock, f.part) == (3, 0)
    line.refresh_from_db()
    assert line.issued_at is not None and line.reservation.state == "issued"
    assert point_balance_untouched(f)


def point_balance_untouched(f):
    return balance(f.point_stock, f.part) == (5, 0)


def test_a_service_points_visit_draws_on_the_points_warehouse(f):
    visit, actor = on_site(f, engineer=False, in_warranty=False)
    line = vs.visit_add_part(visit_id=visit.pk, actor=actor, part=f.part, quantity=1)
    assert line.warehouse == f.point_stock and line.amount == Decimal("120.00")
    assert balance(f.point_stock, f.part) == (5, 1)


def test_an_engineer_without_own_stock_draws_on_the_field_office_of_the_unit(f):
    from spareparts.choices import WarehouseKind
    from spareparts.models import Warehouse
    from spareparts.services.stock import stock_receive

    f.engineer_stock.is_active = False
    f.engineer_stock.save()
    office = Warehouse.objects.create(
        code="W-GZ", name="广州分公司仓", kind=WarehouseKind.FIELD_OFFICE, org_unit=f.net.gz
    )
    stock_receive(part=f.part, warehouse=office, quantity=2, actor=f.net.gz_cs_sup)
    visit, actor = on_site(f)
    line = vs.visit_add_part(visit_id=visit.pk, actor=actor, part=f.part, quantity=2)
    assert line.warehouse == office


# --- signature ----------------------------------------------------------------------------------


def test_the_signature_is_a_drawn_png_by_the_contact_or_a_named_stand_in(f):
    visit, actor = on_site(f)
    with pytest.raises(ValidationError) as err:
        vs.visit_sign(visit_id=visit.pk, actor=actor, signature=signature_png(blank=True))
    assert "空白" in err.value.message_dict["signature"][0]
    with pytest.raises(ValidationError):
        vs.visit_sign(visit_id=visit.pk, actor=actor, signature="data:image/png;base64,!!!")
    with pytest.raises(ValidationError) as err:
        vs.visit_sign(visit_id=visit.pk, actor=actor, signature=signature_png(), stand_in=True)
    assert "signer_name" in err.value.message_dict
    import base64

    url = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
    vs.visit_sign(visit_id=visit.pk, actor=actor, signature=url)
    visit.refresh_from_db()
    assert visit.signed_by == "张先生" and not visit.signer_is_stand_in and visit.signed_at
    assert visit.signature.read().startswith(b"\x89PNG")
    vs.visit_sign(
        visit_id=visit.pk, actor=actor, signature=signature_png(), stand_in=True, signer_name="李四"
    )
    visit.refresh_from_db()
    assert visit.signed_by == "李四" and visit.signer_is_stand_in


# --- finishing ----------------------------------------------------------------------------------


def test_finishing_solved_needs_the_check_in_the_required_photos_the_report_and_a_signature(f):
    planned = accepted_visit(f.net, engineer=f.engineer)
    with pytest.raises(TransitionNotAllowed):
        vs.visit_finish(visit_id=planned.pk, actor=f.engineer, solved=True)
    visit, actor = on_site(f)
    with pytest.raises(ValidationError) as err:
        vs.visit_finish(visit_id=visit.pk, actor=actor, solved=True)
    problems = err.value.message_dict
    assert set(problems) == {"photos", "work_report", "signature"}
    assert "服务前" in problems["photos"][0] and "服务后" in problems["photos"][0]
    vs.visit_add_photo(visit_id=visit.pk, actor=actor, kind="before", file=picture())
    with pytest.raises(ValidationError) as err:
        vs.visit_finish(visit_id=visit.pk, actor=actor, solved=True)
    assert "服务前" not in err.value.message_dict["photos"][0]
    assert Visit.objects.get(pk=visit.pk).state == V.CHECKED_IN


def test_the_required_photos_are_the_categorys_in_the_policy(f):
    policy = FieldServicePolicy.current()
    policy.required_photos = {ServiceCategory.INSPECTION: []}
    policy.save()
    visit, actor = on_site(f, category=ServiceCategory.INSPECTION)
    vs.visit_record(visit_id=visit.pk, actor=actor, work_report="巡检正常")
    vs.visit_sign(visit_id=visit.pk, actor=actor, signature=signature_png())
    vs.visit_finish(visit_id=visit.pk, actor=actor, solved=True)
    assert Visit.objects.get(pk=visit.pk).state == V.SOLVED


def test_solving_solves_the_request_and_asks_for_the_callback_due_in_three_working_days(f):
    visit, actor = ready_to_solve(f)
    with time_machine.travel(WED, tick=False):
        vs.visit_finish(visit_id=visit.pk, actor=actor, solved=True)
    visit.refresh_from_db()
    assert visit.state == V.SOLVED and visit.finished_at == WED
    assert visit.request.state == R.SOLVED and visit.request.solved_at == WED
    task = CallbackRequest.objects.get()
    assert task.subject == visit and task.purpose == "field_visit"
    assert task.contact_phone == visit.request.contact_phone
    assert task.org_unit == f.net.gz  # counted for the request's office
    # Wed 2026-09-30 + 3 working days: Oct 8, Oct 9 and the make-up Saturday Oct 10
    assert task.promised_at() == datetime(2026, 10, 10, 18, tzinfo=Z)


def test_the_callback_limit_is_the_field_policys(f):
    policy = FieldServicePolicy.current()
    policy.callback_working_days = 1
    policy.save()
    visit, actor = ready_to_solve(f)
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=Z), tick=False):
        vs.visit_finish(visit_id=visit.pk, actor=actor, solved=True)
    assert CallbackRequest.objects.get().promised_at() == datetime(2026, 11, 26, 18, tzinfo=Z)


def test_not_solved_needs_a_reason_escalates_and_asks_the_dispatcher_to_confirm_the_fault(f):
    visit, actor = on_site(f)
    with pytest.raises(ValidationError) as err:
        vs.visit_finish(visit_id=visit.pk, actor=actor, solved=False, incomplete_reason=" ")
    assert "incomplete_reason" in err.value.message_dict
    vs.visit_finish(visit_id=visit.pk, actor=actor, solved=False, incomplete_reason="缺少主板")
    visit.refresh_from_db()
    request = visit.request
    assert visit.state == V.INCOMPLETE and visit.incomplete_reason == "缺少主板"
    assert request.state == R.ESCALATED and request.escalation_count == 1
    assert request.escalation_reason == "缺少主板"
    assert [e.transition for e in log_of(request)] == ["check_in", "escalate"]
    told = Notification.objects.filter(channel="in_app", subject__contains=request.number)
    assert {n.recipient for n in told} == {f.dispatcher, f.net.gz_cs_sup}
    assert all(n.needs_action for n in told)
    assert not CallbackRequest.objects.exists()
    # the dispatcher confirms the fault; an engineer may not
    with pytest.raises(PermissionDenied):
        vs.request_confirm_fault(request_id=request.pk, actor=f.engineer, text="主板损坏")
    with pytest.raises(ValidationError):
        vs.request_confirm_fault(request_id=request.pk, actor=f.dispatcher, text="")
    vs.request_confirm_fault(request_id=request.pk, actor=f.dispatcher, text="主板损坏，需带新主板")
    request.refresh_from_db()
    assert request.fault_confirmed == "主板损坏，需带新主板" and request.state == R.ESCALATED
    assert log_of(request).last().transition == "confirm_fault"


def test_the_fault_is_confirmed_only_on_an_escalated_request(f):
    visit, _actor = on_site(f)
    with pytest.raises(TransitionNotAllowed):
        vs.request_confirm_fault(request_id=visit.request_id, actor=f.dispatcher, text="x")


# --- the callback's verdict -----------------------------------------------------------------------


@pytest.fixture
def agent(f):
    return make_user("agent", f.net.hq, Role.CALL_AGENT, email=True)


def solved_with_callback(f, when=WED):
    visit, actor = ready_to_solve(f)
    with time_machine.travel(when, tick=False):
        vs.visit_finish(visit_id=visit.pk, actor=actor, solved=True)
    return visit, CallbackRequest.objects.get(subject_id=visit.pk, purpose="field_visit")


def answer(task, agent, now, **kw):
    with time_machine.travel(now, tick=False):
        cb.callback_take(task_id=task.pk, agent=agent, now=now)
        return cb.callback_record_call(
            task_id=task.pk, actor=agent, call=cb.CallInput(**kw), now=now
        )


def test_a_satisfied_callback_closes_the_request(f, agent):
    visit, task = solved_with_callback(f)
    answer(task, agent, WED.replace(hour=14, minute=40), result="reached", satisfaction=5)
    request = ServiceRequest.objects.get(pk=visit.request_id)
    assert request.state == R.CLOSED and request.callback_verdict == CallbackVerdict.SATISFIED
    assert Visit.objects.get(pk=visit.pk).callback_verdict == CallbackVerdict.SATISFIED
    assert log_of(request).filter(transition="close", channel="system").exists()


def test_a_dissatisfied_callback_reopens_the_request_and_tells_the_dispatcher(f, agent):
    visit, task = solved_with_callback(f)
    answer(
        task,
        agent,
        WED.replace(hour=14, minute=40),
        result="reached",
        satisfaction=1,
        comments="第二天又坏了",
    )
    request = ServiceRequest.objects.get(pk=visit.request_id)
    assert request.state == R.ESCALATED and request.escalation_count == 1
    assert request.callback_verdict == CallbackVerdict.DISSATISFIED
    assert "第二天又坏了" in request.escalation_reason
    reopened = Notification.objects.filter(channel="in_app", subject__contains="回访不满意")
    assert {n.recipient for n in reopened} == {f.dispatcher, f.net.gz_cs_sup, f.engineer}
    # the call centre's own "customer dissatisfied" notice reaches the visit's people too
    upset = Notification.objects.filter(channel="in_app", subject__contains="客户不满意")
    assert f.engineer in {n.recipient for n in upset}


def test_an_unreached_callback_is_recorded_and_the_request_stays_solved(f, agent):
    visit, task = solved_with_callback(f)
    now = WED.replace(hour=14, minute=40)
    answer(task, agent, now, result="wrong_number")
    request = ServiceRequest.objects.get(pk=visit.request_id)
    assert request.state == R.SOLVED and request.callback_verdict == CallbackVerdict.UNREACHED
    entry = log_of(request).get(transition="callback_verdict")
    assert entry.from_state == entry.to_state == R.SOLVED and "未回访成功" in entry.comment
