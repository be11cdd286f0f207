"""The partner API of collections (收款): a dealer reads its own receivables, payments and
balance, never another dealer's (404), keyset-paged; bad filters are 400 with field errors."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from repairs.services import collections as svc
from tests.factories import bearer, issue_token
from tests.repairs.test_collections import at, parts_sale, world  # noqa: F401

D = Decimal


@pytest.fixture
def sold(world):  # noqa: F811
    net = world
    with at(2026, 12, 3, 10):
        parts_sale(net, net.dealer, "415.00", "PQ-A1")
        parts_sale(net, net.dealer, "100.00", "PQ-A2")
        parts_sale(net, net.dealer2, "777.00", "PQ-B1")
    from repairs.models import Receivable

    net.a1 = Receivable.objects.get(parts_quote__number="PQ-A1")
    net.b1 = Receivable.objects.get(parts_quote__number="PQ-B1")
    with at(2026, 12, 10, 10):
        net.pay_a = svc.payment_record(
            partner_id=net.dealer.pk,
            actor=net.finance,
            amount=D("115.50"),
            received_on=date(2026, 12, 10),
            reference="B-A",
            allocations=[(net.a1.pk, D("115.50"))],
        )
        net.pay_b = svc.payment_record(
            partner_id=net.dealer2.pk,
            actor=net.finance,
            amount=D("7.00"),
            received_on=date(2026, 12, 10),
            reference="B-B",
        )
    _token, net.token = issue_token(net.dealer)
    return net


def test_the_partner_lists_only_its_own_receivables(sold, client):
    net = sold
    answer = client.get(reverse("api-receivable-list"), **bearer(net.token))
    assert answer.status_code == 200
    numbers = {r["number"] for r in answer.json()["results"]}
    assert net.a1.number in numbers and net.b1.number not in numbers and len(numbers) == 2
    row = next(r for r in answer.json()["results"] if r["number"] == net.a1.number)
    assert (row["amount"], row["paid_amount"], row["balance"]) == ("415.00", "115.50", "299.50")
    assert row["partner"] == net.dealer.code and row["state"] == "partially_paid"
    other = client.get(reverse("api-receivable-detail", args=[net.b1.pk]), **bearer(net.token))
    assert other.status_code == 404


def test_the_partner_lists_only_its_own_payments(sold, client):
    net = sold
    answer = client.get(reverse("api-payment-list"), **bearer(net.token))
    assert [p["number"] for p in answer.json()["results"]] == [net.pay_a.number]
    assert answer.json()["results"][0]["allocations"] == [
        {"receivable": net.a1.number, "amount": "115.50"}
    ]
    other = client.get(reverse("api-payment-detail", args=[net.pay_b.pk]), **bearer(net.token))
    assert other.status_code == 404


def test_the_partner_s_balance_adds_up_its_own_open_receivables(sold, client):
    net = sold
    with at(2027, 1, 10, 10):
        answer = client.get(reverse("api-receivable-balance"), **bearer(net.token))
    body = answer.json()
    assert answer.status_code == 200
    assert body["balance"] == "399.50" and body["open_receivables"] == 2
    assert body["overdue"] == "399.50" and body["ageing"]["d1_30"] == "399.50"


def test_a_bad_filter_is_a_400_with_the_field(sold, client):
    net = sold
    answer = client.get(reverse("api-receivable-list") + "?state=nonsense", **bearer(net.token))
    assert answer.status_code == 400 and "state" in answer.json()


def test_live_collection_responses_match_the_published_schema(sold, client):
    """Both shapes of a receivable (a statement's: no parts quote; a parts sale's: no month),
    a payment with its allocations, and the balance validate against the published schema."""
    from drf_spectacular.generators import SchemaGenerator
    from jsonschema import Draft7Validator

    from tests.core.test_api_schema_conformance import json_schema, validate
    from tests.repairs.test_collections import receivable_for

    net = sold
    statement_receivable = receivable_for(net, total="50.00")
    published = SchemaGenerator().get_schema(request=None, public=True)
    client.force_login(net.head)
    problems = []
    base = "/api/v1/collections"
    for who, path in [
        (bearer(net.token), f"{base}/receivables/"),
        (bearer(net.token), f"{base}/receivables/{net.a1.pk}/"),
        ({}, f"{base}/receivables/{statement_receivable.pk}/"),
        ({}, f"{base}/receivables/"),
        (bearer(net.token), f"{base}/payments/"),
        (bearer(net.token), f"{base}/payments/{net.pay_a.pk}/"),
        (bearer(net.token), f"{base}/receivables/balance/"),
    ]:
        response = client.get(path, **who)
        assert response.status_code == 200, (path, response.content[:300])
        if path in published["paths"]:  # balance/ would match receivables/{id}/ first
            schema = published["paths"][path]["get"]["responses"]["200"]["content"]
            root = {
                "components": json_schema(published["components"]),
                **json_schema(schema["application/json"]["schema"]),
            }
            problems += [e.message for e in Draft7Validator(root).iter_errors(response.json())]
        else:
            problems += validate(published, path, response.json())
    assert problems == []
