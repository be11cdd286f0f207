"""The service points' partner API of activation codes and their prepaid balance (issue 17
item 6): query a code (charged like an SMS query), the balance, the ledger, the own queries."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from callcenter.choices import ActivationOutcome as O
from callcenter.choices import QueryChannel
from callcenter.models import ActivationCode, ActivationQuery, RegisteredNumber
from callcenter.services.activation import activation_query_receive
from network.choices import LedgerEntryKind, OrgKind, Role
from network.models import OrgUnit, PrepaidEntry
from network.services import prepaid_balance
from service_ops.notifications.models import Notification
from tests.factories import bearer, issue_token, make_user, top_up

QUERY = "/api/v1/activation-codes/query"


@pytest.fixture
def world(net, settings):
    settings.ACTIVATION_QUERY_FEE = "30.00"
    net.point_user = make_user("point_user", net.point, Role.SERVICE_POINT_STAFF)
    net.point2 = OrgUnit.objects.create(
        code="SP-2", name="番禺特约维修网点", kind=OrgKind.SERVICE_POINT, parent=net.gz
    )
    net.specialist = make_user("specialist", net.hq, Role.NETWORK_SPECIALIST)
    ActivationCode.objects.create(serial_number="SN20260001", code="7F3K-92QX", product_model="T1")
    _token, plaintext = issue_token(net.point, user=net.point_user)
    net.api = APIClient(**bearer(plaintext))
    _token, plaintext = issue_token(net.dealer, user=net.dealer_user)
    net.dealer_api = APIClient(**bearer(plaintext))
    return net


def charges(unit):
    return PrepaidEntry.objects.filter(account__org_unit=unit, kind=LedgerEntryKind.CHARGE)


def test_a_service_point_gets_the_code_and_is_charged(world):
    top_up(world.point, "100")
    response = world.api.post(QUERY, {"serial_number": " sn20260001 "}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["code"] == "7F3K-92QX" and body["outcome"] == "answered"
    assert (body["fee"], body["balance"], body["product_model"]) == ("30.00", "70.00", "T1")
    query = ActivationQuery.objects.get()
    assert query.number == body["query"] and query.channel == QueryChannel.API
    assert (query.sender, query.requested_by) == (world.point, world.point_user)
    assert query.prepaid_entry.reference == query.number
    assert prepaid_balance(org_unit=world.point) == Decimal("70.00")


def test_an_insufficient_balance_is_a_402_without_a_charge_and_the_specialist_is_told(world):
    top_up(world.point, "20")
    response = world.api.post(QUERY, {"serial_number": "SN20260001"}, format="json")
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "insufficient_balance" and "充值" in body["detail"]
    assert (body["balance"], body["fee"]) == ("20.00", "30.00") and "7F3K" not in str(body)
    assert not charges(world.point).exists()
    assert ActivationQuery.objects.get().outcome == O.INSUFFICIENT_BALANCE
    notice = Notification.objects.get(recipient=world.specialist, channel="in_app")
    assert notice.url == f"/callcenter/prepaid/{world.point.pk}/top-up/"


def test_an_unknown_serial_is_a_404_without_a_charge_and_recorded(world):
    top_up(world.point, "100")
    response = world.api.post(QUERY, {"serial_number": "SN404"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "no_such_code" and response.json()["serial_number"] == "SN404"
    assert not charges(world.point).exists()
    assert ActivationQuery.objects.get().outcome == O.NO_SUCH_CODE


@pytest.mark.parametrize(
    "body", [{}, {"serial_number": ""}, {"serial_number": "   "}, {"serial_number": "x" * 41}]
)
def test_a_bad_body_is_a_400_with_field_errors(world, body):
    top_up(world.point, "100")
    response = world.api.post(QUERY, body, format="json")
    assert response.status_code == 400 and "serial_number" in response.json()
    assert not ActivationQuery.objects.exists()


def test_an_unknown_field_is_refused(world):
    response = world.api.post(QUERY, {"serial_number": "SN1", "fee": "0"}, format="json")
    assert response.status_code == 400 and "fee" in response.json()


def test_a_dealer_and_staff_may_not_query(world):
    top_up(world.dealer, "100")
    response = world.dealer_api.post(QUERY, {"serial_number": "SN20260001"}, format="json")
    assert response.status_code == 403 and "特约维修网点" in response.json()["detail"]
    staff = APIClient()
    staff.force_login(world.head)
    assert staff.post(QUERY, {"serial_number": "SN20260001"}, format="json").status_code == 403
    assert (
        not ActivationQuery.objects.exists()
        and not PrepaidEntry.objects.filter(kind=LedgerEntryKind.CHARGE).exists()
    )


def test_a_retry_with_the_same_idempotency_key_is_charged_once(world):
    top_up(world.point, "100")
    headers = {"HTTP_IDEMPOTENCY_KEY": "erp-req-1"}
    first = world.api.post(QUERY, {"serial_number": "SN20260001"}, format="json", **headers)
    again = world.api.post(QUERY, {"serial_number": "SN20260001"}, format="json", **headers)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert charges(world.point).count() == 1 and ActivationQuery.objects.count() == 1
    other = world.api.post(
        QUERY, {"serial_number": "SN20260001"}, format="json", HTTP_IDEMPOTENCY_KEY="erp-req-2"
    )
    assert other.status_code == 200 and other.json()["balance"] == "40.00"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_api_queries_against_a_balance_for_five_charge_exactly_five(world):
    top_up(world.point, "150")
    _token, plaintext = issue_token(world.point, "api-sp1-concurrent")
    barrier = threading.Barrier(20)
    statuses = []

    def ask(i):
        client = APIClient(**bearer(plaintext))
        try:
            barrier.wait()
            response = client.post(
                QUERY,
                {"serial_number": "SN20260001"},
                format="json",
                HTTP_IDEMPOTENCY_KEY=f"c-{i}",
            )
            statuses.append(response.status_code)
        except Exception as exc:
            statuses.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses, key=str) == [200] * 5 + [402] * 15, statuses
    assert charges(world.point).count() == 5
    assert prepaid_balance(org_unit=world.point) == Decimal("0.00")
    assert ActivationQuery.objects.filter(outcome=O.ANSWERED, fee=30).count() == 5
    assert ActivationQuery.objects.filter(outcome=O.INSUFFICIENT_BALANCE, fee=0).count() == 15


# --- balance and ledger ----------------------------------------------------------------------


def test_the_balance_is_the_callers_own_unit(world):
    top_up(world.point, "100")
    top_up(world.point2, "999")
    body = world.api.get("/api/v1/prepaid/balance").json()
    assert body["org_unit"]["code"] == "SP-1" and body["balance"] == "100.00"
    assert body["activation_fee"] == "30.00"
    dealer = world.dealer_api.get("/api/v1/prepaid/balance")
    assert dealer.status_code == 200 and dealer.json()["balance"] == "0.00"
    assert dealer.json()["activation_fee"] is None
    staff = APIClient()
    staff.force_login(world.head)
    assert staff.get("/api/v1/prepaid/balance").status_code == 403
    assert staff.get("/api/v1/prepaid/entries").status_code == 403


def test_the_ledger_is_keyset_paged_and_only_the_callers(world, django_assert_max_num_queries):
    for _i in range(7):
        top_up(world.point, "10")
    top_up(world.point2, "555")
    first = world.api.get("/api/v1/prepaid/entries", {"page_size": 5}).json()
    assert [e["amount"] for e in first["results"]] == ["10.00"] * 5
    assert first["results"][0]["balance_after"] == "70.00"
    second = world.api.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert "555.00" not in str(first) + str(second)
    with django_assert_max_num_queries(12) as few:
        world.api.get("/api/v1/prepaid/entries")
    for _i in range(60):
        top_up(world.point, "10")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(world.api.get("/api/v1/prepaid/entries").json()["results"]) == 50


def test_the_own_queries_list_holds_sms_and_api_queries_of_the_caller_only(
    world, django_assert_max_num_queries
):
    top_up(world.point, "1000")
    top_up(world.point2, "1000")
    RegisteredNumber.objects.create(org_unit=world.point, phone="13800001111")
    RegisteredNumber.objects.create(org_unit=world.point2, phone="13800002222")
    activation_query_receive(message_id="m1", from_number="13800001111", text="JH SN20260001")
    activation_query_receive(message_id="m2", from_number="13800002222", text="JH SN20260001")
    world.api.post(QUERY, {"serial_number": "SN404"}, format="json")
    body = world.api.get("/api/v1/activation-queries").json()
    assert [(q["channel"], q["outcome"]) for q in body["results"]] == [
        ("api", "no_such_code"),
        ("sms", "answered"),
    ]
    answered = world.api.get("/api/v1/activation-queries", {"outcome": "answered"}).json()
    assert len(answered["results"]) == 1 and "7F3K-92QX" in answered["results"][0]["reply"]
    assert world.dealer_api.get("/api/v1/activation-queries").json()["results"] == []
    with django_assert_max_num_queries(12) as few:
        world.api.get("/api/v1/activation-queries")
    for i in range(30):
        activation_query_receive(
            message_id=f"x{i}", from_number="13800001111", text="JH SN20260001"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(world.api.get("/api/v1/activation-queries").json()["results"]) == 32


def test_the_schema_documents_the_endpoints_with_examples(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    query = schema["paths"]["/api/v1/activation-codes/query/"]["post"]
    assert {"200", "400", "402", "403", "404", "409", "422"} <= set(query["responses"])
    assert query["responses"]["402"]["content"]["application/json"]["examples"]
    for path in ("prepaid/balance", "prepaid/entries", "activation-queries"):
        operation = schema["paths"][f"/api/v1/{path}/"]["get"]
        assert "403" in operation["responses"] or path == "activation-queries", path
        assert operation["responses"]["200"]["content"]["application/json"]["examples"], path
