"""Signed webhooks for partners (issue 16 item 1): a state change writes one delivery per
subscribed endpoint of the partner concerned, in the change's transaction; the sender signs it
(HMAC-SHA256 over the timestamp and the body), retries a failure with back-off until it is dead,
and disables an endpoint whose deliveries keep dying; a delivery is sent once under concurrent
senders; the partner API is scoped to the caller's own endpoints."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from network.choices import Role
from repairs.models import ReturnApplication
from repairs.services import returns as rma
from service_ops.notifications.models import Channel, Notification
from service_ops.plugins import periodic_jobs
from service_ops.webhooks import services, signing, transport
from service_ops.webhooks.events import transition_happened
from service_ops.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from tests.core.test_api_schema_conformance import published, validate  # noqa: F401
from tests.core.test_celery_worker import wait_for, worker  # noqa: F401
from tests.factories import make_user
from tests.repairs.test_api_returns import make_application, session_client, token_client

Z = ZoneInfo("Asia/Shanghai")
APP_EVENT = "return_application.state_changed"
API = "/api/v1"


# --- a local partner server -----------------------------------------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread: records every request, answers `status`."""

    def __init__(self, status: int = 200):
        self.status = status
        self.requests: list[tuple] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((self.headers, body))  # case-insensitive names
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def endpoint_for(unit, url="http://127.0.0.1:9/hooks", **kw) -> tuple[WebhookEndpoint, str]:
    return services.endpoint_create(org_unit=unit, url=url, **kw)


class FakeTransport:
    """transport.post replaced: answers `status` (or raises nothing and returns no answer)."""

    def __init__(self, status: int | None = 503, delay: float = 0.0):
        self.status = status
        self.delay = delay
        self.calls: list[tuple[str, bytes, dict]] = []
        self._lock = threading.Lock()

    def __call__(self, url, body, headers, *, timeout):
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.calls.append((url, body, headers))
        if self.status is None:
            return transport.Result(None, error="Connection refused")
        return transport.Result(self.status, body="")


# --- events: which rows a state change writes -----------------------------------------------------


@pytest.mark.django_db
def test_a_submission_writes_one_delivery_per_subscribed_endpoint_of_that_dealer_and_none_elsewhere(
    net,
):
    everything, _ = endpoint_for(net.dealer, url="http://127.0.0.1:9/a")
    subscribed, _ = endpoint_for(net.dealer, url="http://127.0.0.1:9/b", event_types=[APP_EVENT])
    quotes_only, _ = endpoint_for(
        net.dealer, url="http://127.0.0.1:9/c", event_types=["quote.state_changed"]
    )
    other_dealer, _ = endpoint_for(net.dealer2, url="http://127.0.0.1:9/d")
    disabled, _ = endpoint_for(net.dealer, url="http://127.0.0.1:9/e")
    services.endpoint_update(endpoint_id=disabled.pk, is_active=False)

    app = make_application(net, "WH1")  # draft → in_approval through run_transition

    rows = WebhookDelivery.objects.order_by("endpoint_id")
    assert [r.endpoint_id for r in rows] == [everything.pk, subscribed.pk]
    first, second = rows
    assert first.event_id == second.event_id  # one event, one row per endpoint
    assert first.state == DeliveryState.PENDING and first.attempts == 0
    payload = first.payload
    assert payload["type"] == APP_EVENT
    assert payload["object"] == {"type": "return_application", "id": app.pk, "number": app.number}
    assert (payload["transition"], payload["from_state"], payload["to_state"]) == (
        "submit",
        "draft",
        "in_approval",
    )
    assert payload["data"]["state_display"] == "审批中"
    assert payload["data"]["api_path"] == f"/api/v1/return-applications/{app.pk}/"
    assert not WebhookDelivery.objects.filter(endpoint__in=[quotes_only, other_dealer, disabled])


@pytest.mark.django_db
def test_a_change_rolled_back_leaves_no_delivery(net):
    endpoint_for(net.dealer)
    app = make_application(net, "WH2", submit=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        rma.rma_submit(application_id=app.pk, actor=net.dealer_user)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the caller fails after the transition")
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.django_db
def test_without_endpoints_a_transition_costs_one_query_and_an_unknown_model_none(net):
    app = make_application(net, "WH3")
    with CaptureQueriesContext(connection) as queries:
        written = transition_happened(
            app, transition="submit", from_state="draft", to_state="in_approval"
        )
    assert written == 0
    assert len(queries.captured_queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert transition_happened(net.dealer, transition="x", from_state="a", to_state="b") == 0
    assert queries.captured_queries == []


def test_the_sender_is_a_declared_periodic_job():
    jobs = {job.name: job for job in periodic_jobs()}
    assert jobs["send-webhooks"].run == "service_ops.webhooks.services.send_due"
    assert jobs["send-webhooks"].task == "service_ops.webhooks.tasks.send_webhooks"


# --- signing and sending --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_delivery_is_signed_with_the_endpoints_secret_and_verifies_with_it_only(net, receiver):
    endpoint, secret = endpoint_for(net.dealer, url=receiver.url)
    make_application(net, "WH4")
    assert services.send_due() == 1

    [(headers, body)] = receiver.requests
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert headers["X-ServiceOps-Event"] == APP_EVENT
    assert headers["X-ServiceOps-Delivery"] == str(delivery.uuid)
    assert json.loads(body) == delivery.payload
    signature = headers["X-ServiceOps-Signature"]
    t = headers["X-ServiceOps-Timestamp"]
    assert signature.startswith(f"t={t},v1=")

    assert signing.verify(signature, body, secret)
    assert not signing.verify(signature, body, signing.new_secret())
    assert not signing.verify(signature, body.replace(b"WH4", b"WH5") + b" ", secret)
    assert not signing.verify(signature, body, secret, now=int(t) + 301)  # a replay, later
    endpoint.refresh_from_db()
    assert endpoint.last_success_at is not None and endpoint.failing_since is None


@pytest.mark.django_db
def test_after_a_rotation_both_secrets_sign_for_a_day(net, monkeypatch):
    fake = FakeTransport(status=200)
    monkeypatch.setattr(transport, "post", fake)
    endpoint, old = endpoint_for(net.dealer)
    start = datetime(2026, 11, 24, 10, tzinfo=Z)
    with time_machine.travel(start, tick=False):
        _, new = services.endpoint_rotate_secret(endpoint_id=endpoint.pk)
        services.send_ping(endpoint=endpoint)
        services.send_due()
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        services.send_ping(endpoint=endpoint)
        services.send_due()
    (_, body1, h1), (_, body2, h2) = fake.calls
    now1, now2 = int(start.timestamp()), int((start + timedelta(hours=25)).timestamp())
    assert signing.verify(h1["X-ServiceOps-Signature"], body1, new, now=now1)
    assert signing.verify(h1["X-ServiceOps-Signature"], body1, old, now=now1)
    assert signing.verify(h2["X-ServiceOps-Signature"], body2, new, now=now2)
    assert not signing.verify(h2["X-ServiceOps-Signature"], body2, old, now=now2)


@pytest.mark.django_db
def test_a_failing_endpoint_is_retried_with_back_off_then_dead_and_disabled(net, monkeypatch):
    fake = FakeTransport(status=503)
    monkeypatch.setattr(transport, "post", fake)
    endpoint, _ = endpoint_for(net.dealer)
    start = datetime(2026, 11, 24, 10, tzinfo=Z)
    with time_machine.travel(start, tick=False):
        for _i in range(services.DISABLE_AFTER_DEAD):
            services.send_ping(endpoint=endpoint)
    first = WebhookDelivery.objects.order_by("id").first()

    attempts_at = []
    now = start
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        with time_machine.travel(now, tick=False):
            assert services.send_due() == 0
        attempts_at.append(now)
        first.refresh_from_db()
        assert first.attempts == attempt
        if attempt < services.MAX_ATTEMPTS:
            assert first.state == DeliveryState.FAILED
            assert first.last_status_code == 503 and first.last_error == "HTTP 503"
            due = [d.next_attempt_at for d in WebhookDelivery.objects.filter(state="failed")]
            # nothing is sent before a row is due again
            with time_machine.travel(min(due) - timedelta(seconds=1), tick=False):
                services.send_due()
            assert len(fake.calls) == attempt * services.DISABLE_AFTER_DEAD
            now = max(due)
    assert first.state == DeliveryState.DEAD and first.next_attempt_at is None

    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    for gap, base in zip(gaps, services.RETRY_DELAYS, strict=True):
        # the latest of the rows' jittered times: at least the base less 10 %, at most plus 10 %
        assert base * (1 - services.JITTER) <= gap <= base * (1 + services.JITTER), (gap, base)
    assert [d.seconds for d in services.RETRY_DELAYS[:3]] == [60, 300, 1800]

    endpoint.refresh_from_db()
    assert WebhookDelivery.objects.filter(state=DeliveryState.DEAD).count() == 3
    assert not endpoint.is_active
    assert endpoint.consecutive_dead == services.DISABLE_AFTER_DEAD
    assert "连续 3 个事件" in endpoint.disabled_reason
    told = Notification.objects.filter(recipient=net.dealer_user, channel=Channel.IN_APP)
    assert [n.subject for n in told] == [f"Webhook 接收地址已自动停用：{endpoint.url}"]

    # a disabled endpoint gets nothing; enabled again, its pending rows go out
    services.send_ping(endpoint=endpoint)
    calls = len(fake.calls)
    services.send_due()
    assert len(fake.calls) == calls
    fake.status = 204
    services.endpoint_update(endpoint_id=endpoint.pk, is_active=True)
    assert services.send_due() == 1
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_dead == 0 and endpoint.disabled_at is None


@pytest.mark.django_db
def test_a_success_between_dead_deliveries_keeps_the_endpoint_enabled(net, monkeypatch):
    fake = FakeTransport(status=500)
    monkeypatch.setattr(transport, "post", fake)
    endpoint, _ = endpoint_for(net.dealer)
    services.send_ping(endpoint=endpoint)
    row = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=row.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_dead=2)
    fake.status = 200
    services.send_due()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_dead == 0 and endpoint.is_active


@pytest.mark.django_db
def test_a_resend_is_a_new_delivery_of_the_same_event(net, monkeypatch):
    fake = FakeTransport(status=200)
    monkeypatch.setattr(transport, "post", fake)
    endpoint_for(net.dealer)
    make_application(net, "WH6")
    services.send_due()
    original = WebhookDelivery.objects.get()
    again = services.delivery_resend(delivery_id=original.pk, actor=net.dealer_user)
    assert again.pk != original.pk and again.uuid != original.uuid
    assert again.event_id == original.event_id and again.payload == original.payload
    assert again.resend_of_id == original.pk and again.state == DeliveryState.PENDING
    assert services.send_due() == 1
    (_, body1, h1), (_, body2, h2) = fake.calls
    assert body1 == body2
    assert h1["X-ServiceOps-Delivery"] != h2["X-ServiceOps-Delivery"]


@pytest.mark.django_db(transaction=True)
def test_the_embedded_shape_sends_from_the_periodic_job_not_in_the_request(net, monkeypatch):
    """Eager Celery: the commit hook does not POST inside the committing request; the sweeper's
    job does."""
    fake = FakeTransport(status=200)
    monkeypatch.setattr(transport, "post", fake)
    endpoint_for(net.dealer)
    make_application(net, "WH7")  # commits: the nudge runs, eagerly, and sends nothing itself
    assert fake.calls == []
    from service_ops.embedded import Sweeper

    report = Sweeper(jobs=[j for j in periodic_jobs() if j.name == "send-webhooks"]).step()
    assert report == {"send-webhooks": 1}
    assert len(fake.calls) == 1


def test_urls_are_https_and_public_in_production(settings):
    settings.SERVICE_OPS = {**settings.SERVICE_OPS, "WEBHOOK_ALLOW_PRIVATE": False}
    assert transport.url_problem("http://erp.example.com/hooks", resolve=False)
    assert transport.url_problem("https://127.0.0.1/hooks")
    assert transport.url_problem("https://10.1.2.3/hooks")
    assert transport.url_problem("https://localhost/hooks")
    assert transport.url_problem("https://user:pw@8.8.8.8/hooks")
    assert transport.url_problem("https://8.8.8.8/hooks") is None
    assert transport.url_problem("https://erp.example.com/hooks", resolve=False) is None
    settings.SERVICE_OPS = {**settings.SERVICE_OPS, "WEBHOOK_ALLOW_PRIVATE": True}
    assert transport.url_problem("http://127.0.0.1:8080/hooks") is None
    assert transport.url_problem("ftp://127.0.0.1/hooks")


@pytest.mark.django_db
def test_a_redirect_or_a_refused_connection_is_a_failure(net):
    with Receiver(status=302) as moved:
        endpoint, _ = endpoint_for(net.dealer, url=moved.url)
        services.send_ping(endpoint=endpoint)
        services.send_due()
    row = WebhookDelivery.objects.get()
    assert (row.state, row.last_status_code) == (DeliveryState.FAILED, 302)
    # the server is gone now: the connection is refused
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    services.send_due()
    row.refresh_from_db()
    assert row.state == DeliveryState.FAILED and row.last_status_code is None
    assert row.last_error and row.attempts == 2


# --- exactly once under concurrent senders --------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_send_every_delivery_exactly_once(net, monkeypatch):
    fake = FakeTransport(status=200, delay=0.005)
    monkeypatch.setattr(transport, "post", fake)
    endpoint, _ = endpoint_for(net.dealer)
    for _i in range(60):
        services.send_ping(endpoint=endpoint)
    start = threading.Barrier(2)
    sent = []

    def sender():
        try:
            start.wait()
            sent.append(services.send_due(batch_size=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    uuids = [headers["X-ServiceOps-Delivery"] for _url, _body, headers in fake.calls]
    assert len(uuids) == 60 and len(set(uuids)) == 60
    assert sum(sent) == 60
    assert all(s > 0 for s in sent), sent  # both took part
    assert WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED, attempts=1).count() == 60


# --- the partner API ------------------------------------------------------------------------------


@pytest.fixture
def dealer_api(net):
    return token_client(net.dealer, net.dealer_user)


@pytest.fixture
def dealer2_api(net):
    return token_client(net.dealer2, net.dealer2_user)


def register(client, **body):
    body = {"url": "http://127.0.0.1:9/hooks", **body}
    return client.post(f"{API}/webhooks/", body, format="json")


@pytest.mark.django_db
def test_a_dealer_registers_an_endpoint_and_sees_its_secret_once(net, dealer_api):
    created = register(dealer_api, description="ERP", event_types=[APP_EVENT])
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == [APP_EVENT] and body["is_active"] is True
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.org_unit == net.dealer and endpoint.secret == body["secret"]

    read = dealer_api.get(f"{API}/webhooks/{endpoint.pk}/").json()
    assert "secret" not in read and read["secret_hint"] == "…" + body["secret"][-4:]
    assert [e["id"] for e in dealer_api.get(f"{API}/webhooks/").json()["results"]] == [endpoint.pk]

    rotated = dealer_api.post(f"{API}/webhooks/{endpoint.pk}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != body["secret"]


@pytest.mark.django_db
def test_bad_input_is_a_400_naming_the_field(net, dealer_api, settings):
    assert register(dealer_api, colour="red").json() == {"colour": ["未知字段。"]}
    assert "event_types" in register(dealer_api, event_types=["nope"]).json()
    settings.SERVICE_OPS = {**settings.SERVICE_OPS, "WEBHOOK_ALLOW_PRIVATE": False}
    answer = register(dealer_api, url="http://erp.example.com/hooks")
    assert answer.status_code == 400 and "url" in answer.json()


@pytest.mark.django_db
def test_a_dealer_never_reaches_another_dealers_endpoint(net, dealer_api, dealer2_api):
    endpoint, _ = endpoint_for(net.dealer)
    delivery = services.send_ping(endpoint=endpoint)
    base = f"{API}/webhooks/{endpoint.pk}"
    assert dealer2_api.get(f"{API}/webhooks/").json()["results"] == []
    for method, path in [
        ("get", f"{base}/"),
        ("patch", f"{base}/"),
        ("delete", f"{base}/"),
        ("post", f"{base}/rotate-secret/"),
        ("post", f"{base}/test/"),
        ("get", f"{base}/deliveries/"),
        ("get", f"{API}/webhook-deliveries/{delivery.pk}/"),
        ("post", f"{API}/webhook-deliveries/{delivery.pk}/resend/"),
    ]:
        answer = getattr(dealer2_api, method)(path, {}, format="json")
        assert answer.status_code == 404, (method, path, answer.status_code)
    assert WebhookDelivery.objects.count() == 1
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).exists()
    staff = session_client(net.head)  # headquarters registers nothing: partners only
    assert register(staff).status_code == 403


@pytest.mark.django_db
def test_test_resend_and_the_delivery_log_through_the_api(net, dealer_api, published):  # noqa: F811
    endpoint, _ = endpoint_for(net.dealer)
    ping = dealer_api.post(f"{API}/webhooks/{endpoint.pk}/test/")
    assert ping.status_code == 202 and ping.json()["event_type"] == "ping"
    for serial in ("WA1", "WA2", "WA3"):
        make_application(net, serial)
    resent = dealer_api.post(f"{API}/webhook-deliveries/{ping.json()['id']}/resend/")
    assert resent.status_code == 202
    assert resent.json()["resend_of"] == ping.json()["id"]

    page = dealer_api.get(f"{API}/webhooks/{endpoint.pk}/deliveries/?page_size=2").json()
    assert [d["id"] for d in page["results"]] == list(
        WebhookDelivery.objects.order_by("-id").values_list("id", flat=True)[:2]
    )
    rest = dealer_api.get(page["next"]).json()
    assert len(rest["results"]) == 2 and rest["next"] is not None
    assert not {d["id"] for d in rest["results"]} & {d["id"] for d in page["results"]}
    pending = dealer_api.get(f"{API}/webhooks/{endpoint.pk}/deliveries/?state=pending").json()
    assert len(pending["results"]) == 5  # the ping, three submissions, the resend
    assert dealer_api.get(f"{API}/webhooks/{endpoint.pk}/deliveries/?state=x").status_code == 400

    disabled = dealer_api.patch(f"{API}/webhooks/{endpoint.pk}/", {"is_active": False})
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False

    problems = []
    for path in [
        f"{API}/webhooks/",
        f"{API}/webhooks/{endpoint.pk}/",
        f"{API}/webhooks/{endpoint.pk}/deliveries/",
        f"{API}/webhook-deliveries/{ping.json()['id']}/",
    ]:
        answer = dealer_api.get(path)
        assert answer.status_code == 200, path
        problems += validate(published, path, answer.json())
    assert problems == []

    assert dealer_api.delete(f"{API}/webhooks/{endpoint.pk}/").status_code == 204
    assert not WebhookDelivery.objects.exists()


# --- the staff page -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_network_specialist_sees_endpoints_and_resends_from_the_page(net, client):
    specialist = make_user("network", net.hq, Role.NETWORK_SPECIALIST)
    endpoint, _ = endpoint_for(net.dealer, description="ERP 对接")
    delivery = services.send_ping(endpoint=endpoint)
    client.force_login(specialist)
    listing = client.get("/webhooks/")
    assert listing.status_code == 200 and endpoint.url in listing.content.decode()
    detail = client.get(f"/webhooks/{endpoint.pk}/")
    assert detail.status_code == 200 and "ping" in detail.content.decode()
    answer = client.post(f"/webhooks/deliveries/{delivery.pk}/resend/")
    assert answer.status_code == 302
    assert WebhookDelivery.objects.filter(resend_of=delivery).count() == 1
    assert client.post(f"/webhooks/{endpoint.pk}/test/").status_code == 302

    client.force_login(net.dealer_user)
    assert client.get("/webhooks/").status_code == 403
    assert client.post(f"/webhooks/deliveries/{delivery.pk}/resend/").status_code == 403


# --- with a real worker ---------------------------------------------------------------------------


@pytest.mark.celery_worker
def test_a_real_worker_delivers_a_committed_event_to_the_partners_server(net, worker, receiver):  # noqa: F811
    _endpoint, secret = endpoint_for(net.dealer, url=receiver.url)
    app = make_application(net, "WH9")  # commits: the nudge reaches the worker through Redis

    wait_for(lambda: receiver.requests, what="the worker to POST the event")
    wait_for(
        lambda: WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).exists(),
        what="the delivery to be marked delivered",
    )
    [(headers, body)] = receiver.requests
    assert signing.verify(headers["X-ServiceOps-Signature"], body, secret)
    assert json.loads(body)["object"]["number"] == app.number
    assert "service_ops.webhooks.tasks.send_webhooks" in worker.names()
    assert threading.current_thread().name not in worker.threads()
    assert ReturnApplication.objects.get(pk=app.pk).state == "in_approval"


def test_the_readme_verification_snippet_accepts_our_signature_only():
    from pathlib import Path

    from django.conf import settings

    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    snippet = readme.split("## Webhooks (for integrators)", 1)[1].split("```python\n", 1)[1]
    namespace: dict = {}
    exec(snippet.split("```", 1)[0], namespace)  # noqa: S102 - our own README
    verify = namespace["verify"]
    secret, previous = signing.new_secret(), signing.new_secret()
    body = '{"type":"ping","data":{"message":"审批中"}}'.encode()
    header = signing.signature_header([secret, previous], int(time.time()), body)
    assert verify(header, body, secret) and verify(header, body, previous)
    assert not verify(header, body, signing.new_secret())
    assert not verify(header, body + b" ", secret)
    old = signing.signature_header([secret], int(time.time()) - 600, body)
    assert not verify(old, body, secret)
