"""The partner complaint API (issue 18 item 7): a dealer or service point files a complaint (its
own unit is the complainant; the stage timers start as on the desk), follows its own with the
current stage, its due time and the escalation, never sees another dealer's (404), and gets
400 with field errors for bad input; the list is keyset-paged with a constant query count."""

from datetime import timedelta

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.choices import Channel, ComplaintState, Stage
from complaints.models import Complaint
from complaints.services import complaints as svc
from network.choices import Role
from service_ops.deadlines.sweep import sweep_deadlines
from tests.complaints.test_closed_loop import MONDAY, at, cx, travel  # noqa: F401
from tests.factories import bearer, issue_token, make_user

LIST = "/api/v1/complaints/"

BODY = {
    "serial_number": "sn-api-1",
    "product_model": "GPS-X1",
    "category": "repair_time",
    "content": "返厂维修超过 15 个工作日仍未寄回",
    "expected_outcome": "三天内寄回",
}


def detail(pk) -> str:
    return reverse("api-complaint-detail", args=[pk])


@pytest.fixture
def partner(cx):  # noqa: F811  (the fixture imported above)
    """Dealer A by its system's token, dealer B signed in, and a service point's token."""
    n = cx
    _token, plaintext = issue_token(n.dealer, "xj-erp")
    n.api = APIClient()
    n.api.credentials(**bearer(plaintext))
    n.other = APIClient()
    n.other.force_login(n.dealer2_user)
    _token, point = issue_token(n.point, "sp-erp")
    n.point_api = APIClient()
    n.point_api.credentials(**bearer(point))
    return n


def file_by_api(client, when=None, **overrides):
    with travel(when or at(MONDAY, 9)):
        return client.post(LIST, {**BODY, **overrides}, format="json")


def test_a_dealer_files_a_complaint_as_its_own_unit_and_its_timers_start(partner):
    n = partner
    answer = file_by_api(n.api, complainant_name="王经理")
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    c = Complaint.objects.get(pk=data["id"])
    assert answer["Location"].endswith(detail(c.pk))
    assert c.complainant_unit == n.dealer and c.channel == Channel.API
    assert c.complainant_name == "王经理" and c.serial_number == "sn-api-1"
    assert c.state == ComplaintState.ACCEPTED and c.handler is None
    # the desk's timers: acknowledge today, judge in a working day, a solution in 72 hours
    stages = {s["stage"]: s for s in data["open_stages"]}
    assert set(stages) == {Stage.ACKNOWLEDGE, Stage.JUDGE, Stage.SOLUTION}
    assert data["current_stage"]["stage"] == Stage.ACKNOWLEDGE
    assert data["current_stage"]["due_at"] == "2026-09-07T18:00:00+08:00"
    assert stages[Stage.SOLUTION]["due_at"] == "2026-09-10T09:00:00+08:00"
    assert data["escalated"] is False and data["escalation_level"] == 0
    assert data["complainant_unit"]["id"] == n.dealer.pk
    # the complaint team sees it on its desk like any other
    assert c in Complaint.objects.visible_to(n.handler)


def test_a_service_point_files_too_and_the_name_defaults_to_its_unit(partner):
    answer = file_by_api(partner.point_api)
    assert answer.status_code == 201
    c = Complaint.objects.get(pk=answer.json()["id"])
    assert c.complainant_unit == partner.point and c.complainant_name == partner.point.name


def test_bad_input_answers_400_with_field_errors(partner):
    n = partner
    answer = file_by_api(n.api, serial_number="", category="nope", content="   ", extra="x")
    assert answer.status_code == 400
    assert {"extra"} <= set(answer.json())  # unknown keys are refused first
    answer = file_by_api(n.api, serial_number="", category="nope", content="   ")
    assert answer.status_code == 400
    assert {"serial_number", "category", "content"} <= set(answer.json())
    missing = n.api.post(LIST, {"content": "x"}, format="json")
    assert missing.status_code == 400
    assert {"serial_number", "product_model", "category", "expected_outcome"} <= set(missing.json())
    negative = file_by_api(n.api, amount_claimed="-1")
    assert negative.status_code == 400 and "amount_claimed" in negative.json()
    assert Complaint.objects.count() == 0


def test_only_partners_file_through_the_api(partner):
    n = partner
    staff = APIClient()
    staff.force_login(n.handler)
    assert file_by_api(staff).status_code == 403
    assert Complaint.objects.count() == 0


def test_a_retried_post_with_the_same_idempotency_key_files_once(partner):
    n = partner
    with travel(at(MONDAY, 9)):
        first = n.api.post(LIST, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        again = n.api.post(LIST, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Complaint.objects.count() == 1


def test_a_dealer_never_sees_another_dealers_complaint(partner):
    n = partner
    mine = file_by_api(n.api).json()["id"]
    theirs = n.other.get(detail(mine))
    assert theirs.status_code == 404
    assert n.other.get(LIST).json()["results"] == []
    assert n.point_api.get(detail(mine)).status_code == 404
    # nor one the complaint team filed for a customer
    desk = svc.create_complaint(
        actor=n.handler,
        complainant_name="李先生",
        content="态度差",
        category="service_attitude",
        channel="call",
    )
    assert n.api.get(detail(desk.pk)).status_code == 404
    assert [c["id"] for c in n.api.get(LIST).json()["results"]] == [mine]


def test_the_status_answer_shows_the_stage_moving_on_and_the_escalation(partner):
    n = partner
    pk = file_by_api(n.api).json()["id"]
    c = Complaint.objects.get(pk=pk)
    # nobody acknowledges it: the acknowledgement breaches Monday 18:00 ...
    sweep_deadlines(now=at(MONDAY, 18, 5))
    with travel(at(MONDAY, 18, 6)):
        data = n.api.get(detail(pk)).json()
    assert data["current_stage"]["stage"] == Stage.ACKNOWLEDGE
    assert data["current_stage"]["overdue"] is True
    assert data["escalated"] is False  # breached, not yet escalated
    # ... and escalates to the complaint supervisor a working day later, when judging breaches
    sweep_deadlines(now=at(MONDAY + timedelta(days=1), 18, 5))
    c.refresh_from_db()
    assert c.escalation_level == 1
    data = n.api.get(detail(pk)).json()
    judge = next(s for s in data["open_stages"] if s["stage"] == Stage.JUDGE)
    assert judge["overdue"] is True and judge["status"] == "breached"
    assert data["escalated"] is True and data["escalation_level"] == 1
    assert data["escalation_display"] == "已升级至客诉主管"
    # the handler judges it valid: the judge stage leaves the answer, the solution stays
    with travel(at(MONDAY + timedelta(days=2), 19)):
        svc.judge(c, actor=n.handler, valid=True, severity=c.severity)
    data = n.api.get(detail(pk)).json()
    assert data["state"] == ComplaintState.INVESTIGATING
    assert [s["stage"] for s in data["open_stages"]] == [Stage.SOLUTION]
    assert data["current_stage"]["stage"] == Stage.SOLUTION
    # filtering by state and by escalation
    assert [r["id"] for r in n.api.get(LIST, {"state": "investigating"}).json()["results"]] == [pk]
    assert n.api.get(LIST, {"state": "closed"}).json()["results"] == []
    assert [r["id"] for r in n.api.get(LIST, {"escalated": "true"}).json()["results"]] == [pk]
    assert n.api.get(LIST, {"escalated": "maybe"}).status_code == 400
    assert n.api.get(LIST, {"state": "nope"}).status_code == 400


def test_the_staff_page_shows_the_escalation_too(partner):
    n = partner
    pk = file_by_api(n.api).json()["id"]
    Complaint.objects.filter(pk=pk).update(escalation_level=2)
    client = APIClient()
    client.force_login(n.handler)
    page = client.get(reverse("complaints:detail", args=[pk])).content.decode()
    assert "已升级至客服部部长" in page


def test_the_list_is_keyset_paged_with_constant_queries(partner, django_assert_max_num_queries):
    n = partner
    for i in range(5):
        assert file_by_api(n.api, serial_number=f"SN-P{i}").status_code == 201
    reset_queries()  # a request resets the log at its start: count from an empty one
    with CaptureQueriesContext(connection) as few:
        page = n.api.get(LIST, {"page_size": 2}).json()
    queries = len(few.captured_queries)  # read now: the next request empties the log
    assert queries <= 12
    assert len(page["results"]) == 2 and page["next"]
    second = n.api.get(page["next"]).json()
    assert len(second["results"]) == 2
    seen = [r["id"] for r in page["results"] + second["results"]]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 4
    for i in range(5, 25):
        file_by_api(n.api, serial_number=f"SN-P{i}")
    reset_queries()
    with django_assert_max_num_queries(queries):
        page = n.api.get(LIST, {"page_size": 20}).json()
    assert len(page["results"]) == 20
    assert all(r["current_stage"]["stage"] == Stage.ACKNOWLEDGE for r in page["results"])


def test_a_member_of_the_dealers_staff_files_by_session_as_well(partner):
    n = partner
    staff = make_user("xj_clerk", n.dealer, Role.DEALER_STAFF)
    client = APIClient()
    client.force_login(staff)
    answer = file_by_api(client)
    assert answer.status_code == 201
    assert Complaint.objects.get(pk=answer.json()["id"]).accepted_by == staff
