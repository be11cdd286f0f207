"""Live responses of the partner API validate against the OpenAPI schema the API publishes
(issue 15, item 23: `branch_kind` was "" where the schema allowed two values; `due_at` and
`answer_due_at` were null where it said non-nullable). Data with every shape a field takes:
units with and without a branch kind, steps signed and pending, quotes raised and sent."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft7Validator

from repairs.services import orders as ro
from tests.repairs.test_api_returns import make_application, session_client, token_client
from tests.repairs.test_orders import receive_lot
from tests.repairs.test_web_orders import quoted

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")


def json_schema(node):
    """OpenAPI 3.0 to JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def published():
    return SchemaGenerator().get_schema(request=None, public=True)


def validate(published, path: str, body):
    template = next(
        p for p in published["paths"] if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", p), path)
    )
    schema = published["paths"][template]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    root = {"components": json_schema(published["components"]), **json_schema(schema)}
    errors = sorted(Draft7Validator(root).iter_errors(body), key=lambda e: list(e.path))
    return [f"{path} {list(e.path)}: {e.message}" for e in errors[:10]]


def test_live_responses_match_the_published_schema(net, published):
    with time_machine.travel(datetime(2026, 11, 16, 9, tzinfo=Z), tick=False):
        make_application(net, "PENDING1")  # a pending step: due_at set; signed steps: null
    lot = receive_lot(net, ["Q1", "Q2", "Q3"], datetime(2026, 11, 23, 9, tzinfo=Z))
    q1, q2, q3 = lot.orders.order_by("pk")
    with time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=Z), tick=False):
        quoted(net, q1)  # raised: answer_due_at null
        quoted(net, q2, send=True)  # sent: answer_due_at set
        ro.order_pick_up(order_id=q3.pk, actor=net.tech)
    dealer = token_client(net.dealer, net.dealer_user)
    staff = session_client(net.head)
    problems = []
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=Z), tick=False):
        for client, path in [
            (dealer, "/api/v1/me/"),
            (dealer, "/api/v1/return-applications/"),
            (dealer, "/api/v1/approval-steps/"),
            (dealer, "/api/v1/repair-orders/"),
            (dealer, f"/api/v1/repair-orders/{q2.pk}/"),
            (dealer, f"/api/v1/quotes/{q2.quotes.get().pk}/"),
            (dealer, "/api/v1/my-work/"),
            (staff, "/api/v1/org-units/"),  # HQ, provinces (no branch kind), branches, dealers
            (staff, "/api/v1/approval-steps/"),
            (staff, f"/api/v1/return-applications/{lot.application_id}/"),
        ]:
            response = client.get(path)
            assert response.status_code == 200, (path, response.content[:300])
            problems += validate(published, path, response.json())
    assert problems == []
