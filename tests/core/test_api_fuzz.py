"""API fuzzing (issue 16, item 3): Schemathesis over every operation of the published schema
(/api/v1/schema/), in-process against the Django WSGI application on the test database,
authenticated once as a dealer and once as a service point (partner tokens, as partners call it).

Every operation, reads and writes, with the schema's examples, the coverage phase's boundary and
negative cases and a bounded number of generated cases (positive and negative). The checks: no
server error, the status code is documented, the content type is the documented one and the body
validates against the documented schema.

Bounded and reproducible: a fixed seed (FUZZ_SEED, printed in pytest's header) and
FUZZ_MAX_EXAMPLES generated cases per operation and identity (defaults in tests/conftest.py), no
example database, a 10-second deadline per request and a timeout per operation. Longer runs
locally: `FUZZ_MAX_EXAMPLES=500 FUZZ_SEED=$RANDOM .venv/bin/pytest -m fuzz`.

Seeded once for the module, so the operations with an id reach real objects: the dealer's draft,
submitted and received applications, their approval steps, repair orders and quotes (one sent,
waiting for the dealer's answer), both partners' prepaid ledgers, and another dealer's objects
(outside the caller's scope). Half of the generated path ids are drawn from those. The seed lives
in a transaction rolled back after the module; each operation's test runs in a savepoint inside
it (the `db` fixture), so nothing is left for the other tests.

No operation or check is excluded."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from callcenter.models import ActivationCode
from complaints.services.complaints import complaint_file_by_partner
from network.choices import Role
from repairs.models import ApprovalStep, Quote, RepairOrder
from repairs.services import orders as ro
from tests.conftest import FUZZ_MAX_EXAMPLES, FUZZ_SEED, build_net
from tests.factories import issue_token, make_user, top_up
from tests.repairs.test_api_returns import make_application
from tests.repairs.test_orders import receive_lot
from tests.repairs.test_web_orders import quoted

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

Z = ZoneInfo("Asia/Shanghai")
SEED, MAX_EXAMPLES = FUZZ_SEED, FUZZ_MAX_EXAMPLES  # tests/conftest.py: from the environment
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
IDENTITIES = ["dealer", "service_point"]
# One request answering in more than this is a failure in itself (they take milliseconds); the
# examples of one operation together are stopped after OPERATION_TIMEOUT seconds.
DEADLINE = timedelta(seconds=10)
OPERATION_TIMEOUT = 120 + 2 * MAX_EXAMPLES


def fuzz_config() -> SchemathesisConfig:
    config = SchemathesisConfig(seed=SEED)
    project = config.projects.default
    project.generation.update(
        max_examples=MAX_EXAMPLES,
        database="none",  # no example database: the same cases on every machine
        with_security_parameters=False,  # the token is the test's, sent on every call
    )
    project.phases.update(phases=["examples", "coverage", "fuzzing"])
    return config


def published_schema() -> dict:
    """What /api/v1/schema/ serves (test_the_fuzzed_schema_is_the_published_one)."""
    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(published_schema(), config=fuzz_config())
schema.app = get_wsgi_application()  # in-process: no server, the test database


def seed_data(net) -> dict[str, list[int]]:
    """What the fuzzer's ids point at, by the path's first segment."""
    with time_machine.travel(datetime(2026, 11, 16, 9, tzinfo=Z), tick=False):
        submitted = make_application(net, "FZ-P1")
        draft = make_application(net, "FZ-D1", submit=False)
        other = make_application(net, "FZ-O1", applicant=net.dealer2_user)
    lot = receive_lot(net, ["FZ-Q1", "FZ-Q2", "FZ-Q3"], datetime(2026, 11, 23, 9, tzinfo=Z))
    q1, q2, q3 = lot.orders.order_by("pk")
    with time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=Z), tick=False):
        quoted(net, q1)
        quoted(net, q2, send=True)
        ro.order_pick_up(order_id=q3.pk, actor=net.tech)
    top_up(net.dealer, "500")
    top_up(net.point, "200")
    # the activation-code query's example serial: answered (and charged) until the balance runs out
    ActivationCode.objects.create(serial_number="SN20260001", code="7F3K-92QX")
    apps = [submitted.pk, draft.pk, other.pk, lot.application_id]
    complaints = [
        complaint_file_by_partner(
            actor=user,
            serial_number=serial,
            product_model="GPS-X1",
            category="repair_time",
            content="维修超期",
            expected_outcome="尽快寄回",
        ).pk
        for user, serial in ((net.dealer_user, "FZ-C1"), (net.dealer2_user, "FZ-C2"))
    ]
    return {
        "complaints": complaints,
        "return-applications": apps,
        "approval-steps": list(
            ApprovalStep.objects.filter(application_id__in=apps).values_list("pk", flat=True)
        ),
        "repair-orders": list(RepairOrder.objects.values_list("pk", flat=True)),
        "quotes": list(Quote.objects.values_list("pk", flat=True)),
        "org-units": [net.dealer.pk, net.dealer2.pk, net.point.pk, net.cs.pk, net.hq.pk],
    }


KNOWN_IDS: dict[str, list[int]] = {}


@schema.hook
def before_generate_path_parameters(context, strategy):
    """Half of the ids are the seeded objects' (visible or not to the caller)."""
    path = context.operation.path if context.operation else ""
    if "{id}" not in path:
        return strategy
    segment = path.removeprefix("/api/v1/").split("/", 1)[0]
    known = st.sampled_from(KNOWN_IDS[segment]) if KNOWN_IDS.get(segment) else st.nothing()
    return st.one_of(strategy, st.fixed_dictionaries({"id": known}))


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The network, its objects and one partner token per identity, made once for the module in
    a transaction rolled back after it; each operation's test runs in a savepoint inside."""
    # The WSGI handler closes the connection after each request (it is inside a transaction, so
    # "unusable"); Django's own test client disconnects these the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            try:
                net = build_net()
                KNOWN_IDS.update(seed_data(net))
                _, dealer = issue_token(net.dealer, user=net.dealer_user, name="fuzz dealer")
                point_user = make_user("point_user", net.point, Role.SERVICE_POINT_STAFF)
                _, point = issue_token(net.point, user=point_user, name="fuzz service point")
                yield {"dealer": dealer, "service_point": point}
            finally:
                KNOWN_IDS.clear()
                transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", params=IDENTITIES)
def partner(request, seeded) -> dict:
    print(f"\nAPI fuzz as {request.param}: seed {SEED} (FUZZ_SEED), {MAX_EXAMPLES} generated cases")
    return {"Authorization": f"Bearer {seeded[request.param]}"}


def test_the_fuzzed_schema_is_the_one_served(client):
    served = client.get("/api/v1/schema/", {"format": "json"}, HTTP_ACCEPT="application/json")
    assert served.status_code == 200
    assert served.json() == published_schema()
    operations = [
        (method, path, operation)
        for path, item in schema.raw_schema["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 24
    # the platform's own answers are documented on every operation (service_ops/api/schema.py)
    for method, path, operation in operations:
        assert {"401", "429"} <= set(operation["responses"]), (method, path)


def test_the_common_error_answers_are_documented_where_they_can_happen():
    paths = schema.raw_schema["paths"]

    def codes(path, method):
        return set(paths[f"/api/v1/{path}"][method]["responses"])

    assert {"400", "409", "413", "415", "422"} <= codes("return-applications/", "post")
    assert {"400", "409", "422"} <= codes("return-applications/{id}/submit/", "post")
    assert "413" not in codes("return-applications/{id}/submit/", "post")  # no body
    assert {"400", "404"} <= codes("repair-orders/", "get")  # filters; a cursor not ours
    assert "404" not in codes("my-work/", "get")  # its page falls back to the last one
    assert "400" not in codes("org-units/{id}/prepaid/", "get")  # paging only
    assert "400" not in codes("me/", "get") and "404" not in codes("me/", "get")
    assert "Error" in schema.raw_schema["components"]["schemas"]


@schema.parametrize()
@settings(
    # the examples of one operation share its test's savepoint (the `db` fixture), by design
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    deadline=DEADLINE,
)
@pytest.mark.timeout(OPERATION_TIMEOUT)
def test_every_operation_answers_as_documented(case, partner):
    case.call_and_validate(headers=partner, checks=CHECKS)
