"""The visit screens on a phone (issue 20, items 5 and 6): the worker's list (today and overdue,
upcoming, finished; keyset pages at a constant cost), the visit page's steps through the web
(check-in, the photo upload the page's script makes, the drawn signature, finishing with clear
errors), the service record PDF, the dispatcher's fault confirmation, 我的工作, and nobody else's
visit (404)."""

import base64
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from repairs.choices import ServiceRequestState, VisitState
from repairs.models import ServiceRequest, Visit
from repairs.services import visits as vs
from service_ops.work import work_of
from tests.factories import PASSWORD

from .visit_factory import accepted_visit, field_people, picture, signature_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def f(net):
    return field_people(net)


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_list_shows_today_and_overdue_upcoming_and_finished(f):
    now = timezone.now()
    today = accepted_visit(f.net, engineer=f.engineer, window_start=now)
    overdue = accepted_visit(f.net, engineer=f.engineer, window_start=now - timedelta(days=2))
    later = accepted_visit(f.net, engineer=f.engineer, window_start=now + timedelta(days=3))
    done = accepted_visit(f.net, engineer=f.engineer, state=VisitState.SOLVED)
    someone_elses = accepted_visit(f.net, service_unit=f.point, window_start=now)
    client = login(f.engineer)
    page = client.get("/repairs/field/visits/").content.decode()
    assert today.request.number in page and overdue.request.number in page
    assert later.request.number not in page and someone_elses.request.number not in page
    upcoming = client.get("/repairs/field/visits/?tab=upcoming").content.decode()
    assert later.request.number in upcoming and today.request.number not in upcoming
    finished = client.get("/repairs/field/visits/?tab=finished").content.decode()
    assert done.request.number in finished and today.request.number not in finished
    # the point's staff see their point's visit
    assert (
        someone_elses.request.number
        in login(f.point_staff).get("/repairs/field/visits/").content.decode()
    )


def test_the_list_costs_the_same_for_more_visits(f, django_assert_max_num_queries):
    client = login(f.engineer)
    for _ in range(2):
        accepted_visit(f.net, engineer=f.engineer)
    client.get("/repairs/field/visits/")
    with django_assert_max_num_queries(40) as few:
        client.get("/repairs/field/visits/")
    for _ in range(12):
        accepted_visit(f.net, engineer=f.engineer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/repairs/field/visits/").status_code == 200


def test_nobody_else_opens_a_visit_or_its_files(f, net):
    visit = accepted_visit(net, service_unit=f.point)
    vs.visit_check_in(visit_id=visit.pk, actor=f.point_staff, latitude=1, longitude=1)
    photo, _ = vs.visit_add_photo(
        visit_id=visit.pk, actor=f.point_staff, kind="before", file=picture()
    )
    vs.visit_sign(visit_id=visit.pk, actor=f.point_staff, signature=signature_png())
    for outsider in (f.other_staff, net.dealer_user, net.cs_engineer):
        client = login(outsider)
        for path in ("", "record.pdf", f"photos/{photo.pk}/", "signature.png"):
            assert client.get(f"/repairs/field/visits/{visit.pk}/{path}").status_code == 404, (
                outsider,
                path,
            )
        answer = client.post(
            f"/repairs/field/visits/{visit.pk}/finish/", {"solved": "0", "incomplete_reason": "x"}
        )
        assert answer.status_code == 404
    assert Visit.objects.get(pk=visit.pk).state == VisitState.CHECKED_IN
    # the branch's dispatcher sees it but may not work it
    dispatcher = login(f.dispatcher)
    assert dispatcher.get(f"/repairs/field/visits/{visit.pk}/").status_code == 200
    assert (
        dispatcher.post(f"/repairs/field/visits/{visit.pk}/report/", {"diagnosis": "x"}).status_code
        == 403
    )


def test_the_engineer_does_the_visit_on_the_web(f):
    visit = accepted_visit(f.net, engineer=f.engineer)
    client = login(f.engineer)
    base = f"/repairs/field/visits/{visit.pk}/"
    page = client.get(base).content.decode()
    assert "data-check-in" in page and "获取定位并签到" in page
    # no location and no reason: the page comes back with the error
    refused = client.post(base + "check-in/", {"latitude": "", "longitude": ""})
    assert refused.status_code == 400 and "请说明原因" in refused.content.decode()
    answer = client.post(
        base + "check-in/",
        {"latitude": "23.129163", "longitude": "113.264435", "accuracy_m": "12.3"},
    )
    assert answer.status_code == 302
    page = client.get(base).content.decode()
    assert 'capture="environment"' in page and "data-signature-pad" in page
    assert "还缺少必传照片" in page
    # the page's script uploads each photo with Accept: application/json
    for kind in ("before", "after"):
        up = client.post(
            base + "photos/",
            {"kind": kind, "file": picture(), "upload_key": f"w-{kind}"},
            HTTP_ACCEPT="application/json",
        )
        assert up.status_code == 201 and up.json()["kind"] == kind
        assert client.get(up.json()["url"]).status_code == 200
    bad = client.post(
        base + "photos/",
        {"kind": "before", "file": picture(name="x.jpg", size=(1, 1))},
        HTTP_ACCEPT="application/json",
    )
    assert bad.status_code == 201  # tiny but a picture
    from django.core.files.uploadedfile import SimpleUploadedFile

    junk = SimpleUploadedFile("x.jpg", b"junk", content_type="image/jpeg")
    failed = client.post(
        base + "photos/", {"kind": "before", "file": junk}, HTTP_ACCEPT="application/json"
    )
    assert failed.status_code == 400 and "file" in failed.json()["errors"]
    # finishing without a signature and a report: the reasons on the page
    early = client.post(base + "finish/", {"solved": "1"})
    assert early.status_code == 400
    text = early.content.decode()
    assert "解决的上门服务须有客户签字" in text and "请填写处理情况" in text
    client.post(
        base + "report/", {"diagnosis": "电源故障", "work_report": "更换电源", "distance_km": "5"}
    )
    blank = "data:image/png;base64," + base64.b64encode(signature_png(blank=True)).decode()
    assert client.post(base + "sign/", {"signature": blank, "stand_in": "0"}).status_code == 400
    drawn = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
    assert client.post(base + "sign/", {"signature": drawn, "stand_in": "0"}).status_code == 302
    assert client.post(base + "finish/", {"solved": "1"}).status_code == 302
    visit.refresh_from_db()
    assert visit.state == VisitState.SOLVED and visit.request.state == ServiceRequestState.SOLVED
    pdf = client.get(base + "record.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # the finished page shows what was done
    done = client.get(base).content.decode()
    assert "更换电源" in done and "张先生" in done and "data-check-in" not in done


def test_finishing_a_planned_visit_says_to_check_in_first(f):
    visit = accepted_visit(f.net, engineer=f.engineer)
    client = login(f.engineer)
    answer = client.post(f"/repairs/field/visits/{visit.pk}/finish/", {"solved": "1"}, follow=True)
    assert "请先到达签到" in answer.content.decode()


def test_the_dispatcher_confirms_the_fault_of_an_escalated_request(f):
    visit = accepted_visit(f.net, engineer=f.engineer)
    vs.visit_check_in(visit_id=visit.pk, actor=f.engineer, location_unavailable_reason="无信号")
    vs.visit_finish(visit_id=visit.pk, actor=f.engineer, solved=False, incomplete_reason="缺配件")
    request = ServiceRequest.objects.get(pk=visit.request_id)
    page = f"/repairs/field/requests/{request.pk}/fault/"
    # 我的工作: the dispatcher is asked to confirm the fault
    items = [i for i in work_of(f.dispatcher).items if i.kind == "repairs.fault_confirmation"]
    assert [i.url for i in items] == [page]
    client = login(f.dispatcher)
    assert "缺配件" in client.get(page).content.decode()
    assert client.post(page, {"fault_confirmed": ""}).status_code == 400
    assert client.post(page, {"fault_confirmed": "主板故障，带主板"}).status_code == 302
    assert ServiceRequest.objects.get(pk=request.pk).fault_confirmed == "主板故障，带主板"
    assert not [i for i in work_of(f.dispatcher).items if i.kind == "repairs.fault_confirmation"]
    # the engineer sees the page but may not confirm
    engineer = login(f.engineer)
    assert engineer.get(page).status_code == 200
    assert engineer.post(page, {"fault_confirmed": "x"}).status_code == 403
    # another branch's people do not see it
    assert login(f.net.cs_engineer).get(page).status_code == 404


def test_my_work_lists_todays_and_overdue_visits_of_the_engineer_and_the_point(f):
    now = timezone.now()
    today = accepted_visit(f.net, engineer=f.engineer, window_start=now)
    overdue = accepted_visit(f.net, engineer=f.engineer, window_start=now - timedelta(days=1))
    accepted_visit(f.net, engineer=f.engineer, window_start=now + timedelta(days=2))
    accepted_visit(f.net, engineer=f.engineer, window_start=now, state=VisitState.SOLVED)
    point = accepted_visit(f.net, service_unit=f.point, window_start=now)
    mine = [i for i in work_of(f.engineer).items if i.kind == "repairs.visits"]
    assert {i.key for i in mine} == {f"repairs.visit:{today.pk}", f"repairs.visit:{overdue.pk}"}
    overdue_item = next(i for i in mine if i.key.endswith(str(overdue.pk)))
    assert overdue_item.group == "overdue"
    theirs = [i for i in work_of(f.point_staff).items if i.kind == "repairs.visits"]
    assert [i.key for i in theirs] == [f"repairs.visit:{point.pk}"]
