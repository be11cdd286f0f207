"""The partner API of return applications (/api/v1/return-applications/, /api/v1/approval-steps/):
a dealer's token creates, submits and follows; staff sign with their browser session; scope is
404, a refused actor 403, a repeated signature 409 with the allowed actions, bad input 400."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from repairs.api import examples
from repairs.choices import ApplicationState, StepState
from repairs.models import ApprovalStep, ReturnApplication
from repairs.services import returns as rma
from service_ops.transitions.models import TransitionLog
from tests.factories import issue_token

API = "/api/v1"
APPS = f"{API}/return-applications"
STEPS = f"{API}/approval-steps"


def token_client(unit, user) -> APIClient:
    _, plaintext = issue_token(unit, user=user, name=f"{unit.code} ERP")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def dealer_api(net):
    return token_client(net.dealer, net.dealer_user)


@pytest.fixture
def dealer2_api(net):
    return token_client(net.dealer2, net.dealer2_user)


def payload(**overrides):
    body = {
        "contact_name": "王经理",
        "contact_phone": "13873100000",
        "pickup_address": "长沙市岳麓区麓谷大道 1 号",
        "shipping_method": "logistics",
        "freight_terms": "prepaid",
        "lines": [
            {"product_model": "GPS-X1", "serial_number": "XJ001", "fault_description": "不开机"},
            {"product_model": "GPS-C2", "quantity": 2, "fault_description": "接触不良"},
        ],
    }
    body.update(overrides)
    return body


def make_application(net, *serials, submit=True, applicant=None):
    applicant = applicant or net.dealer_user
    app = rma.rma_create(
        applicant=applicant,
        header=rma.HeaderInput(
            contact_name="王经理", contact_phone="13873100000", shipping_method="logistics"
        ),
        lines=[
            rma.LineInput(product_model="GPS-X1", serial_number=s, fault_description="不开机")
            for s in serials or ("S1",)
        ],
    )
    if submit:
        rma.rma_submit(application_id=app.pk, actor=applicant)
    return app


def pending_step_id(app) -> int:
    app.refresh_from_db()
    return ApprovalStep.objects.get(application=app, round=app.round, state=StepState.PENDING).pk


def api_transitions(obj_id, model="returnapplication"):
    return list(
        TransitionLog.objects.filter(object_id=obj_id, object_type__model=model).values_list(
            "transition", "channel"
        )
    )


# --- create, submit, follow -------------------------------------------------------------------


def test_a_dealer_token_creates_an_application_for_its_own_unit_whatever_the_body_says(
    net, dealer_api
):
    # fields the service derives are refused, not silently dropped (issue 15, item 22)
    forged = {"state": "approved", "platform": "operating", "number": "RMA-FAKE", "branch": 1}
    response = dealer_api.post(f"{APPS}/", payload(**forged), format="json")
    assert response.status_code == 400 and set(response.json()) == set(forged)
    assert not ReturnApplication.objects.exists()
    body = payload(dealer=net.dealer2.pk)  # a dealer always applies for itself
    response = dealer_api.post(f"{APPS}/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert re.fullmatch(r"RMA-\d{6}-\d{4}", data["number"])
    assert data["number"][4:10] == timezone.localdate().strftime("%Y%m")
    assert data["platform"] == "managed"
    assert data["state"] == "draft"
    assert data["dealer"]["id"] == net.dealer.pk
    assert data["branch"]["id"] == net.cs.pk
    assert data["applicant"]["username"] == "dealer_user"
    assert data["unit_count"] == 3
    assert [(ln["serial_number"], ln["quantity"]) for ln in data["lines"]] == [
        ("XJ001", 1),
        ("", 2),
    ]
    assert response["Location"].rstrip("/").endswith(f"{APPS}/{data['id']}")
    app = ReturnApplication.objects.get(pk=data["id"])
    assert (app.dealer, app.applicant, app.state) == (net.dealer, net.dealer_user, "draft")


def test_a_dealer_submits_and_follows_the_approval_progress(net, dealer_api):
    created = dealer_api.post(f"{APPS}/", payload(), format="json").json()
    response = dealer_api.post(f"{APPS}/{created['id']}/submit/")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["state"] == "in_approval" and data["round"] == 1
    steps = data["steps"]
    assert [(s["position"], s["role"], s["state"]) for s in steps] == [
        (1, "local_engineer", "pending"),
        (2, "provincial_manager", "waiting"),
        (3, "head_of_cs", "waiting"),
    ]
    assert steps[0]["due_at"] is not None and steps[0]["overdue"] is False
    assert steps[1]["due_at"] is None and steps[0]["signer"] is None
    assert api_transitions(created["id"]) == [("submit", "api")]

    rma.rma_decide(step_id=steps[0]["id"], actor=net.cs_engineer, approve=True, comment="属实")
    progress = dealer_api.get(f"{APPS}/{created['id']}/").json()
    first, second = progress["steps"][:2]
    assert first["state"] == "approved" and first["comment"] == "属实"
    assert first["signer"]["username"] == "cs_engineer" and first["decided_at"]
    assert first["due_at"] is None
    assert second["state"] == "pending" and second["due_at"] is not None
    assert progress["pickup"]["driver_name"] == ""
    assert progress["receipt"] == {
        "received_at": None,
        "has_discrepancies": False,
        "units": [],
        "discrepancies": [],
    }


def test_staff_sign_with_their_session_until_the_application_is_approved(net, dealer_api):
    app_id = dealer_api.post(f"{APPS}/", payload(), format="json").json()["id"]
    dealer_api.post(f"{APPS}/{app_id}/submit/")
    for signer in (net.cs_engineer, net.hn_manager, net.head):
        staff = session_client(signer)
        queue = staff.get(f"{STEPS}/", {"mine": "true"}).json()["results"]
        assert [s["application"]["id"] for s in queue] == [app_id]
        assert queue[0]["state"] == "pending" and queue[0]["due_at"]
        response = staff.post(f"{STEPS}/{queue[0]['id']}/approve/", {"comment": "同意"})
        assert response.status_code == 200, response.json()
        assert response.json()["state"] == "approved"
        assert response.json()["signer"]["username"] == signer.username
    assert response.json()["application"]["state"] == "approved"
    detail = dealer_api.get(f"{APPS}/{app_id}/").json()
    assert detail["state"] == "approved" and detail["approved_at"]
    assert [s["state"] for s in detail["steps"]] == ["approved"] * 3
    assert api_transitions(app_id) == [("submit", "api"), ("approve", "api")]
    step_ids = [s["id"] for s in detail["steps"]]
    assert all(("approve", "api") in api_transitions(i, "approvalstep") for i in step_ids)


def test_the_queue_lists_only_steps_the_caller_may_sign(net):
    app = make_application(net)
    step_id = pending_step_id(app)
    engineer = session_client(net.cs_engineer)
    assert [s["id"] for s in engineer.get(f"{STEPS}/?mine=true").json()["results"]] == [step_id]
    manager = session_client(net.hn_manager)
    assert manager.get(f"{STEPS}/?mine=true").json()["results"] == []
    # without mine: every step of the applications in scope, any state
    every = manager.get(f"{STEPS}/", {"application": app.pk}).json()["results"]
    assert [s["state"] for s in every] == ["pending", "waiting", "waiting"]


def test_a_rejection_needs_a_comment_and_sends_the_application_back_for_editing(net, dealer_api):
    app = make_application(net, "R1")
    engineer = session_client(net.cs_engineer)
    step_id = pending_step_id(app)
    response = engineer.post(f"{STEPS}/{step_id}/reject/", {})
    assert response.status_code == 400
    assert "comment" in response.json()
    response = engineer.post(f"{STEPS}/{step_id}/reject/", {"comment": "   "})
    assert response.status_code == 400 and "comment" in response.json()
    response = engineer.post(f"{STEPS}/{step_id}/reject/", {"comment": "照片不清楚"})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "rejected"

    detail = dealer_api.get(f"{APPS}/{app.pk}/").json()
    assert detail["state"] == "rejected" and detail["reject_reason"] == "照片不清楚"
    response = dealer_api.patch(
        f"{APPS}/{app.pk}/",
        {
            "lines": [
                {"product_model": "GPS-X1", "serial_number": "R1", "fault_description": "花屏"}
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["lines"][0]["fault_description"] == "花屏"
    assert response.json()["contact_name"] == "王经理"  # a PATCH keeps what it does not send
    response = dealer_api.patch(f"{APPS}/{app.pk}/", {"remarks": "已补照片"}, format="json")
    assert response.json()["remarks"] == "已补照片"
    assert [ln["serial_number"] for ln in response.json()["lines"]] == ["R1"]
    resubmitted = dealer_api.post(f"{APPS}/{app.pk}/submit/").json()
    assert resubmitted["round"] == 2 and len(resubmitted["steps"]) == 3
    assert {s["round"] for s in resubmitted["steps"]} == {2}


def test_an_application_in_approval_cannot_be_edited(net, dealer_api):
    app = make_application(net)
    response = dealer_api.put(f"{APPS}/{app.pk}/", payload(), format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_the_applicant_withdraws_with_a_reason_and_the_history_shows_every_change(net, dealer_api):
    app = make_application(net)
    response = dealer_api.post(f"{APPS}/{app.pk}/withdraw/", {"reason": "客户自行处理"})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "withdrawn"
    assert [s["state"] for s in response.json()["steps"]] == ["cancelled"] * 3

    history = dealer_api.get(f"{APPS}/{app.pk}/history/")
    assert history.status_code == 200
    entries = history.json()
    assert [(e["subject"], e["transition"], e["channel"]) for e in entries] == [
        ("application", "submit", "web"),
        ("approval_step", "open", "system"),
        ("application", "withdraw", "api"),
        ("approval_step", "cancel", "system"),
        ("approval_step", "cancel", "system"),
        ("approval_step", "cancel", "system"),
    ]
    withdraw = entries[2]
    assert withdraw["comment"] == "客户自行处理"
    assert withdraw["actor"] == "dealer_user"
    assert (withdraw["from_state"], withdraw["to_state"]) == ("in_approval", "withdrawn")
    assert entries[1]["step"]["position"] == 1 and entries[0]["step"] is None


# --- scope, permission, conflict ----------------------------------------------------------------


def test_another_dealers_application_is_404_for_read_list_and_every_action(
    net, dealer_api, dealer2_api
):
    mine = dealer_api.post(f"{APPS}/", payload(), format="json").json()["id"]
    theirs = make_application(net, "Z1", applicant=net.dealer2_user, submit=False)
    listed = {row["id"] for row in dealer2_api.get(f"{APPS}/").json()["results"]}
    assert listed == {theirs.pk}
    number = ReturnApplication.objects.get(pk=mine).number
    assert dealer2_api.get(f"{APPS}/", {"number": number}).json()["results"] == []
    for method, url in [
        ("get", f"{APPS}/{mine}/"),
        ("post", f"{APPS}/{mine}/submit/"),
        ("post", f"{APPS}/{mine}/withdraw/"),
        ("get", f"{APPS}/{mine}/history/"),
        ("patch", f"{APPS}/{mine}/"),
        ("put", f"{APPS}/{mine}/"),
    ]:
        response = getattr(dealer2_api, method)(url, payload(), format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    assert ReturnApplication.objects.get(pk=mine).state == ApplicationState.DRAFT

    dealer_api.post(f"{APPS}/{mine}/submit/")
    step_id = pending_step_id(ReturnApplication.objects.get(pk=mine))
    assert dealer2_api.get(f"{STEPS}/{step_id}/").status_code == 404
    assert dealer2_api.post(f"{STEPS}/{step_id}/approve/").status_code == 404
    assert dealer2_api.get(f"{STEPS}/").json()["results"] == []


def test_a_dealer_token_acting_as_an_approver_is_403(net, dealer_api):
    app = make_application(net)
    step_id = pending_step_id(app)
    response = dealer_api.post(f"{STEPS}/{step_id}/approve/", {"comment": "自己批"})
    assert response.status_code == 403
    assert "detail" in response.json()
    response = dealer_api.post(f"{STEPS}/{step_id}/reject/", {"comment": "自己驳"})
    assert response.status_code == 403
    assert ApprovalStep.objects.get(pk=step_id).state == StepState.PENDING
    # another branch's manager sees no step of this branch at all
    assert session_client(net.gz_manager).post(f"{STEPS}/{step_id}/approve/").status_code == 404


def test_signing_a_signed_step_again_is_409_with_the_allowed_actions(net):
    app = make_application(net)
    step_id = pending_step_id(app)
    engineer = session_client(net.cs_engineer)
    assert engineer.post(f"{STEPS}/{step_id}/approve/").status_code == 200
    response = engineer.post(f"{STEPS}/{step_id}/approve/")
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "transition_not_allowed"
    assert data["state"] == "approved" and data["action"] == "approve"
    assert isinstance(data["allowed_actions"], list) and data["allowed_actions"] == []
    assert engineer.post(f"{STEPS}/{step_id}/reject/", {"comment": "改主意"}).status_code == 409


def test_submitting_twice_is_409_with_what_the_applicant_may_do_now(net, dealer_api):
    app = make_application(net)
    response = dealer_api.post(f"{APPS}/{app.pk}/submit/")
    assert response.status_code == 409
    assert response.json()["state"] == "in_approval"
    assert response.json()["action"] == "submit"
    assert "withdraw" in response.json()["allowed_actions"]


def test_the_409_offers_an_applicant_only_what_an_applicant_may_do(net, dealer_api):
    app = make_application(net)
    response = dealer_api.post(f"{APPS}/{app.pk}/submit/")
    assert response.json()["allowed_actions"] == ["withdraw"]


def test_only_dealers_and_branch_engineers_create_applications(net):
    response = session_client(net.head).post(f"{APPS}/", payload(), format="json")
    assert response.status_code == 403
    engineer = session_client(net.gz_engineer)
    response = engineer.post(f"{APPS}/", payload(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["platform"] == "operating" and response.json()["dealer"] is None


def test_a_branch_engineer_names_only_a_dealer_in_its_scope(net):
    from network.choices import Role
    from tests.factories import make_user

    cs_engineer = make_user("cs_branch_engineer", net.cs, Role.BRANCH_ENGINEER, email=True)
    client = session_client(cs_engineer)
    response = client.post(f"{APPS}/", payload(dealer=net.dealer2.pk), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["dealer"]["id"] == net.dealer2.pk
    outsider = session_client(net.gz_engineer)
    response = outsider.post(f"{APPS}/", payload(dealer=net.dealer.pk), format="json")
    assert response.status_code == 400 and "dealer" in response.json()


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [
        (
            payload(lines=[{"product_model": "GPS-X1", "serial_number": "A1"}]),
            lambda e: "fault_description" in e["lines"]["0"],
        ),
        (
            payload(
                lines=[
                    {"product_model": "X", "fault_description": "坏"},
                    {
                        "product_model": "X",
                        "serial_number": "A1",
                        "quantity": 2,
                        "fault_description": "坏",
                    },
                ]
            ),
            lambda e: set(e["lines"]) == {"1"} and "quantity" in e["lines"]["1"],
        ),
        (
            {k: v for k, v in payload().items() if k != "contact_name"},
            lambda e: "contact_name" in e,
        ),
        (payload(contact_phone=""), lambda e: "contact_phone" in e),
        (payload(lines=[]), lambda e: "lines" in e),
        (payload(shipping_method="teleport"), lambda e: "shipping_method" in e),
        (
            payload(
                lines=[
                    {"product_model": "X", "serial_number": "A1", "fault_description": "坏"},
                    {"product_model": "X", "serial_number": "a1", "fault_description": "坏"},
                ]
            ),
            lambda e: set(e["lines"]) == {"1"} and "serial_number" in e["lines"]["1"],
        ),
        (
            payload(lines=[{"product_model": "X", "quantity": 0, "fault_description": "坏"}]),
            lambda e: "quantity" in e["lines"]["0"],
        ),
    ],
    ids=[
        "no-fault",
        "serial-with-two",
        "no-contact",
        "blank-phone",
        "no-lines",
        "bad-choice",
        "dup-serial",
        "zero",
    ],
)
def test_bad_input_is_400_with_field_errors(net, dealer_api, body, check):
    response = dealer_api.post(f"{APPS}/", body, format="json")
    assert response.status_code == 400
    assert check(response.json()), response.json()
    assert not ReturnApplication.objects.exists()


# --- filters and pagination ---------------------------------------------------------------------


def test_filters_by_state_number_serial_and_creation_time(net, dealer_api):
    draft = make_application(net, "F1", submit=False)
    submitted = make_application(net, "F2")
    ReturnApplication.objects.filter(pk=draft.pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )

    def ids(**params):
        return [row["id"] for row in dealer_api.get(f"{APPS}/", params).json()["results"]]

    assert ids(state="draft") == [draft.pk]
    assert ids(state=["draft", "in_approval"]) == [submitted.pk, draft.pk]
    assert ids(number=submitted.number.lower()) == [submitted.pk]
    assert ids(serial="f1") == [draft.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(created_after=since) == [submitted.pk]
    assert ids(created_before=since) == [draft.pk]
    assert ids(created_after=timezone.localdate().isoformat()) == [submitted.pk]
    response = dealer_api.get(f"{APPS}/", {"state": "lost"})
    assert response.status_code == 400 and "state" in response.json()


def test_cursor_pagination_returns_next_links_newest_first(net, dealer_api):
    apps = [make_application(net, f"P{i}", submit=False) for i in range(5)]
    first = dealer_api.get(f"{APPS}/", {"page_size": 2}).json()
    assert set(first) == {"next", "previous", "results"}
    assert [r["id"] for r in first["results"]] == [apps[4].pk, apps[3].pk]
    assert first["next"] and "cursor=" in first["next"]
    seen = [r["id"] for r in first["results"]]
    url = first["next"]
    while url:
        split = urlsplit(url)
        page = dealer_api.get(f"{split.path}?{split.query}").json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert seen == [a.pk for a in reversed(apps)]


def test_the_list_costs_the_same_queries_for_5_and_40_applications(
    net, dealer_api, django_assert_max_num_queries
):
    for i in range(5):
        app = make_application(net, f"Q{i}", f"Q{i}b")
        rma.rma_decide(step_id=pending_step_id(app), actor=net.cs_engineer, approve=True)
    dealer_api.get(f"{APPS}/")  # the token's last-used write happens once a minute
    with CaptureQueriesContext(connection) as five:
        response = dealer_api.get(f"{APPS}/", {"page_size": 50})
    assert len(response.json()["results"]) == 5
    for i in range(5, 40):
        app = make_application(net, f"Q{i}", f"Q{i}b", submit=i % 2 == 0)
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = dealer_api.get(f"{APPS}/", {"page_size": 50})
    rows = response.json()["results"]
    assert len(rows) == 40
    assert all(len(r["lines"]) == 2 for r in rows)
    assert sum(1 for r in rows for s in r["steps"] if s["due_at"]) == 5 + 17

    staff = session_client(net.head)
    staff.get(f"{STEPS}/")
    with CaptureQueriesContext(connection) as steps_small:
        staff.get(f"{STEPS}/", {"page_size": 10})
    with django_assert_max_num_queries(len(steps_small.captured_queries)):
        assert len(staff.get(f"{STEPS}/", {"page_size": 200}).json()["results"]) > 60


# --- schema -----------------------------------------------------------------------------------


def test_the_schema_documents_the_return_application_endpoints(net):
    response = session_client(net.head).get(f"{API}/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in [
        "/api/v1/return-applications/",
        "/api/v1/return-applications/{id}/",
        "/api/v1/return-applications/{id}/submit/",
        "/api/v1/return-applications/{id}/withdraw/",
        "/api/v1/return-applications/{id}/history/",
        "/api/v1/approval-steps/",
        "/api/v1/approval-steps/{id}/approve/",
        "/api/v1/approval-steps/{id}/reject/",
    ]:
        assert path in paths, path
    listed = {p["name"] for p in paths["/api/v1/return-applications/"]["get"]["parameters"]}
    assert {"state", "created_after", "created_before", "number", "serial", "cursor"} <= listed
    assert "mine" in {p["name"] for p in paths["/api/v1/approval-steps/"]["get"]["parameters"]}
    create = paths["/api/v1/return-applications/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert "requestBody" not in paths["/api/v1/return-applications/{id}/submit/"]["post"]
    written = schema["components"]["schemas"]["ReturnApplicationCreateRequest"]["properties"]
    assert not {"state", "number", "platform", "branch"} & set(written)


def same_shape(real, documented, where="$"):
    """Same keys all the way down (a null on either side matches anything)."""
    if real is None or documented is None:
        return
    if isinstance(real, dict) or isinstance(documented, dict):
        assert isinstance(real, dict) and isinstance(documented, dict), where
        assert set(real) == set(documented), (where, set(real) ^ set(documented))
        for key in real:
            same_shape(real[key], documented[key], f"{where}.{key}")
    elif isinstance(real, list) or isinstance(documented, list):
        assert isinstance(real, list) and isinstance(documented, list), where
        if real and documented:
            same_shape(real[0], documented[0], f"{where}[0]")


def test_the_documented_examples_have_the_shape_of_real_answers(net, dealer_api):
    created = dealer_api.post(f"{APPS}/", payload(), format="json").json()
    same_shape(created, examples.APPLICATION_DRAFT)
    submitted = dealer_api.post(f"{APPS}/{created['id']}/submit/").json()
    same_shape(submitted, examples.APPLICATION_IN_APPROVAL)
    step = session_client(net.cs_engineer).post(
        f"{STEPS}/{submitted['steps'][0]['id']}/approve/", {"comment": "同意"}
    )
    same_shape(step.json(), examples.APPROVE_RESPONSE.value)
    conflict = session_client(net.cs_engineer).post(
        f"{STEPS}/{submitted['steps'][0]['id']}/approve/"
    )
    same_shape(conflict.json(), examples.CONFLICT)
