"""Idempotency-Key on the API's POSTs (issue 16, item 1): a retry returns the first answer and
creates nothing twice, also when 20 retries race; a key reused for another request is refused."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from repairs.models import ReturnApplication
from service_ops.idempotency.middleware import purge_expired
from service_ops.idempotency.models import IdempotentRequest
from tests.factories import issue_token
from tests.repairs.test_api_returns import payload, token_client

URL = "/api/v1/return-applications/"


def _post(client, key, body=None):
    return client.post(URL, body or payload(), format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retried_post_returns_the_first_answer_and_creates_one_application(net):
    client = token_client(net.dealer, net.dealer_user)
    first = _post(client, "erp-0001")
    assert first.status_code == 201, first.content
    again = _post(client, "erp-0001")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content) == json.loads(first.content)
    assert ReturnApplication.objects.count() == 1
    # another key is another request; no key is the plain API
    assert _post(client, "erp-0002").status_code == 201
    assert client.post(URL, payload(), format="json").status_code == 201
    assert ReturnApplication.objects.count() == 3


def test_a_key_is_the_callers_own_and_is_not_reused_for_another_body(net):
    dealer = token_client(net.dealer, net.dealer_user)
    other = token_client(net.dealer2, net.dealer2_user)
    assert _post(dealer, "k-1").status_code == 201
    assert _post(other, "k-1").status_code == 201  # another partner's key space
    refused = _post(dealer, "k-1", payload(contact_name="李经理"))
    assert refused.status_code == 422 and "已用于另一个请求" in refused.json()["detail"]
    assert ReturnApplication.objects.count() == 2
    bad = dealer.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/json")


def test_a_refused_request_is_kept_but_a_server_error_is_not(net):
    client = token_client(net.dealer, net.dealer_user)
    invalid = _post(client, "bad-1", payload(lines=[]))
    assert invalid.status_code == 400
    replay = _post(client, "bad-1", payload(lines=[]))
    assert replay.status_code == 400 and replay["Idempotent-Replayed"] == "true"
    assert IdempotentRequest.objects.filter(key="bad-1", status_code=400).exists()
    # an answer about the caller (a bad token) is never kept
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Bearer so_nobody_wrong")
    assert _post(stranger, "anon-1").status_code == 401
    assert not IdempotentRequest.objects.filter(key="anon-1").exists()


def test_keys_are_forgotten_after_a_day(net):
    client = token_client(net.dealer, net.dealer_user)
    _post(client, "old-1")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_expired() == 1
    assert _post(client, "old-1").status_code == 201
    assert ReturnApplication.objects.count() == 2


def test_the_schema_documents_the_header_on_every_post():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    posts = [op for item in schema["paths"].values() if (op := item.get("post"))]
    assert posts
    for operation in posts:
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in names


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_racing_retries_create_one_application_and_all_get_its_answer(net):
    _, plaintext = issue_token(net.dealer, user=net.dealer_user, name="ERP")
    clients = []
    for _i in range(20):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        clients.append(client)
    barrier = threading.Barrier(20)
    answers = []

    def retry(client):
        try:
            barrier.wait()
            response = _post(client, "race-1")
            answers.append((response.status_code, json.loads(response.content).get("number")))
        except Exception as exc:
            answers.append((repr(exc), None))
        finally:
            connection.close()

    threads = [threading.Thread(target=retry, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ReturnApplication.objects.count() == 1
    number = ReturnApplication.objects.get().number
    assert answers == [(201, number)] * 20
