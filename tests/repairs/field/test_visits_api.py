"""The partner API of visits for service points (issue 20, item 9's visit half): their visits
only (another point's is a 404), each step on site, 400 with field errors, 409 for a step the
visit's state does not allow, multipart photos and signatures, the service record PDF."""

import base64

import pytest
from rest_framework.test import APIClient

from repairs.choices import ServiceRequestState, VisitState
from repairs.models import Visit
from service_ops.transitions.services import log_of
from tests.factories import issue_token

from .visit_factory import accepted_visit, field_people, picture, signature_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def f(net):
    return field_people(net)


def point_client(unit, username) -> APIClient:
    _token, plaintext = issue_token(unit, username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def api(f):
    return point_client(f.point, "sp1-erp")


def url(visit, step=""):
    return f"/api/v1/visits/{visit.pk}/" + (f"{step}/" if step else "")


def test_a_point_lists_only_its_own_visits_and_another_points_visit_is_404(f, api):
    mine = accepted_visit(f.net, service_unit=f.point)
    theirs = accepted_visit(f.net, service_unit=f.other_point)
    engineers = accepted_visit(f.net, engineer=f.engineer)
    answer = api.get("/api/v1/visits/")
    assert answer.status_code == 200
    assert [v["id"] for v in answer.json()["results"]] == [mine.pk]
    assert answer.json()["results"][0]["request"]["number"] == mine.request.number
    for other in (theirs, engineers):
        assert api.get(url(other)).status_code == 404
        assert (
            api.post(
                url(other, "check-in"), {"latitude": 1, "longitude": 1}, format="json"
            ).status_code
            == 404
        )
        assert api.get(url(other, "record")).status_code == 404
    assert Visit.objects.get(pk=theirs.pk).state == VisitState.PLANNED


def test_a_point_works_its_visit_through_the_api_to_solved(f, api):
    visit = accepted_visit(f.net, service_unit=f.point)
    answer = api.post(
        url(visit, "check-in"),
        {"latitude": "23.1", "longitude": "113.2", "accuracy_m": 8},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["state"] == "checked_in" and body["check_in_latitude"] == "23.100000"
    assert body["missing_photo_kinds"] == ["before", "after"]
    # a second check-in is a conflict, with what may be done now
    again = api.post(
        url(visit, "check-in"), {"latitude": "23.1", "longitude": "113.2"}, format="json"
    )
    assert again.status_code == 409 and again.json()["state"] == "checked_in"
    assert "finish_solved" in again.json()["allowed_actions"]
    for kind in ("before", "after"):
        photo = api.post(
            url(visit, "photos"),
            {"kind": kind, "file": picture(), "upload_key": f"k-{kind}"},
            format="multipart",
        )
        assert photo.status_code == 201, photo.content
    replay = api.post(
        url(visit, "photos"),
        {"kind": "after", "file": picture(), "upload_key": "k-after"},
        format="multipart",
    )
    assert replay.status_code == 200 and visit.photos.count() == 2
    part = api.post(url(visit, "parts"), {"part_number": "fp-100", "quantity": 2}, format="json")
    assert part.status_code == 201 and part.json()["issued"] is False
    report = api.post(
        url(visit, "report"),
        {"diagnosis": "电源板烧毁", "work_report": "更换电源板", "distance_km": "8.5"},
        format="json",
    )
    assert report.status_code == 200 and report.json()["distance_km"] == "8.5"
    signed = api.post(
        url(visit, "signature"),
        {"signature": base64.b64encode(signature_png()).decode()},
        format="json",
    )
    assert signed.status_code == 200 and signed.json()["signed_by"] == "张先生"
    done = api.post(url(visit, "finish"), {"solved": True}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "solved" and done.json()["parts"][0]["issued"] is True
    visit.refresh_from_db()
    assert visit.request.state == ServiceRequestState.SOLVED
    assert {e.channel for e in log_of(visit)} == {"api"}
    pdf = api.get(url(visit, "record"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_bad_input_is_a_400_with_field_errors(f, api):
    visit = accepted_visit(f.net, service_unit=f.point)
    no_reason = api.post(url(visit, "check-in"), {}, format="json")
    assert no_reason.status_code == 400 and "location_unavailable_reason" in no_reason.json()
    typo = api.post(url(visit, "check-in"), {"latitud": 1}, format="json")
    assert typo.status_code == 400 and "latitud" in typo.json()
    api.post(url(visit, "check-in"), {"location_unavailable_reason": "地下室无信号"}, format="json")
    fake = api.post(
        url(visit, "photos"),
        {"kind": "before", "file": picture(name="a.txt", fmt="PNG")},
        format="multipart",
    )
    assert fake.status_code == 201  # a PNG is a PNG whatever its name
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = SimpleUploadedFile("a.jpg", b"hello", content_type="image/jpeg")
    bad = api.post(url(visit, "photos"), {"kind": "before", "file": text}, format="multipart")
    assert bad.status_code == 400 and "file" in bad.json()
    unknown = api.post(url(visit, "parts"), {"part_number": "NOPE"}, format="json")
    assert unknown.status_code == 400 and "part_number" in unknown.json()
    too_many = api.post(
        url(visit, "parts"), {"part_number": "FP-100", "quantity": 6}, format="json"
    )
    assert too_many.status_code == 400 and "quantity" in too_many.json()
    blank = api.post(
        url(visit, "signature"),
        {"signature": base64.b64encode(signature_png(blank=True)).decode()},
        format="json",
    )
    assert blank.status_code == 400 and "signature" in blank.json()
    gates = api.post(url(visit, "finish"), {"solved": True}, format="json")
    assert gates.status_code == 400
    assert set(gates.json()) == {"photos", "work_report", "signature"}
    no_reason = api.post(url(visit, "finish"), {"solved": False}, format="json")
    assert no_reason.status_code == 400 and "incomplete_reason" in no_reason.json()


def test_a_multipart_signature_by_a_stand_in_and_finishing_not_solved(f, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    visit = accepted_visit(f.net, service_unit=f.point)
    api.post(url(visit, "check-in"), {"latitude": 1, "longitude": 1}, format="json")
    png = SimpleUploadedFile("s.png", signature_png(), content_type="image/png")
    signed = api.post(
        url(visit, "signature"),
        {"signature_file": png, "stand_in": "true", "signer_name": "王五"},
        format="multipart",
    )
    assert signed.status_code == 200, signed.content
    assert signed.json()["signer_is_stand_in"] is True and signed.json()["signed_by"] == "王五"
    done = api.post(
        url(visit, "finish"), {"solved": False, "incomplete_reason": "需更换整机"}, format="json"
    )
    assert done.status_code == 200 and done.json()["state"] == "incomplete"
    assert done.json()["request"]["state"] == "escalated"
    late = api.post(url(visit, "photos"), {"kind": "after", "file": picture()}, format="multipart")
    assert late.status_code == 409


def test_a_dealer_sees_no_visits(f, net):
    accepted_visit(net, service_unit=f.point)
    dealer = point_client(net.dealer, "xj-erp")
    answer = dealer.get("/api/v1/visits/")
    assert answer.status_code == 200 and answer.json()["results"] == []


def test_the_list_costs_the_same_for_more_visits(f, api, django_assert_max_num_queries):
    for _ in range(3):
        accepted_visit(f.net, service_unit=f.point)
    with django_assert_max_num_queries(8) as few:
        assert len(api.get("/api/v1/visits/").json()["results"]) == 3
    for _ in range(10):
        accepted_visit(f.net, service_unit=f.point)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/v1/visits/").json()["results"]) == 13
