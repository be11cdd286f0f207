"""The settlement's pages and partner API: the statements list (keyset, filters, constant
queries), a statement with its lines and the gates of its month's unpaid visits, the point's
answer line by line (web and API), 409 when the state does not allow it, 400 for bad input,
another point's statement a 404 everywhere, the fee rules' screen, the Excel and PDF exports."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from repairs.choices import PhotoKind, SettlementLineState, SettlementState
from repairs.models import FeeRule, SettlementStatement
from repairs.services import settlement as svc
from tests.repairs.test_api_returns import token_client

from .settlement_fixtures import at, finished_visit, rule, settlement_people

pytestmark = pytest.mark.django_db

JUNE = date(2026, 6, 1)
NOW = at(2026, 7, 2, 9)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def world(net):
    n = settlement_people(net)
    rule(100, category="repair")
    for d in (3, 4, 5):
        finished_visit(n, at(2026, 6, d))
    n.missing = finished_visit(n, at(2026, 6, 6), photos=(PhotoKind.BEFORE,), signed=False)
    finished_visit(n, at(2026, 6, 7), point=n.point2)
    with time_machine.travel(NOW, tick=False):
        n.statement, n.other = svc.settlement_batch(month=JUNE, actor=n.specialist)
        for s in (n.statement, n.other):
            svc.settlement_issue(statement_id=s.pk, actor=n.specialist)
    n.statement.refresh_from_db()
    n.lines = list(n.statement.lines.order_by("id"))
    return n


def test_the_list_filters_and_pages_in_constant_queries(world, django_assert_max_num_queries):
    n = world
    for m in range(26):  # more statements of the point (made later: newer ids), to page through
        SettlementStatement.objects.create(
            point=n.point, month=date(2024 + m // 12, m % 12 + 1, 1), number=f"JS-OLD-{m:02d}",
            state="exported",
        )  # fmt: skip
    url = reverse("repairs:settlement_list")
    c = client_for(n.specialist)
    c.get(url)
    with django_assert_max_num_queries(14):
        page = c.get(url, {"point": n.point2.pk})
    body = page.content.decode()
    assert n.other.number in body and n.statement.number not in body and "JS-OLD" not in body
    with django_assert_max_num_queries(14):
        page = c.get(url, {"month": "2026-06", "state": "issued"})
    body = page.content.decode()
    assert n.statement.number in body and n.other.number in body and "JS-OLD-01" not in body
    first = c.get(url).content.decode()
    assert "JS-OLD-25" in first and n.other.number not in first and 'rel="next"' in first
    newest_old = SettlementStatement.objects.get(number="JS-OLD-01")
    with django_assert_max_num_queries(14):
        older = c.get(url, {"after": newest_old.pk})
    older = older.content.decode()
    assert "JS-OLD-00" in older and n.other.number in older and "JS-OLD-01" not in older


def test_a_point_sees_its_own_statements_only(world):
    n = world
    c = client_for(n.point_user)
    body = c.get(reverse("repairs:settlement_list")).content.decode()
    assert n.statement.number in body and n.other.number not in body
    assert c.get(n.other.get_absolute_url()).status_code == 404
    other_line = n.other.lines.first()
    url = reverse("repairs:settlement_line_act", args=[other_line.pk, "confirm"])
    assert c.post(url).status_code == 404
    assert c.get(reverse("repairs:settlement_xlsx", args=[n.other.pk])).status_code == 404
    other_line.refresh_from_db()
    assert other_line.state == SettlementLineState.PENDING


def test_the_point_confirms_and_disputes_on_its_phone_page(world):
    n = world
    c = client_for(n.point_user)
    page = c.get(n.statement.get_absolute_url())
    body = page.content.decode()
    assert page.status_code == 200
    assert "缺必传照片" in body and "客户未签字" in body  # the unpaid visit's gates
    first, second, _third = n.lines
    url = reverse("repairs:settlement_line_act", args=[first.pk, "confirm"])
    assert c.post(url).status_code == 302
    bad = c.post(reverse("repairs:settlement_line_act", args=[second.pk, "dispute"]), {})
    assert bad.status_code == 400 and "请填写异议原因" in bad.content.decode()
    ok = c.post(
        reverse("repairs:settlement_line_act", args=[second.pk, "dispute"]),
        {f"l{second.pk}-reason": "路程不对"},
    )
    assert ok.status_code == 302
    again = c.post(url)  # answered already
    assert again.status_code == 409
    c.post(reverse("repairs:settlement_act", args=[n.statement.pk, "confirm_rest"]))
    n.statement.refresh_from_db()
    assert n.statement.state == SettlementState.DISPUTED

    staff = client_for(n.specialist)
    resolve = reverse("repairs:settlement_line_act", args=[second.pk, "resolve"])
    p = f"r{second.pk}"
    bad = staff.post(resolve, {f"{p}-decision": "adjust", f"{p}-note": "补贴"})
    assert bad.status_code == 400 and "请填写调整后的金额" in bad.content.decode()
    ok = staff.post(resolve, {f"{p}-decision": "adjust", f"{p}-amount": "120", f"{p}-note": "补贴"})
    assert ok.status_code == 302
    n.statement.refresh_from_db()
    assert (n.statement.state, n.statement.total) == (SettlementState.CONFIRMED, Decimal("320"))
    assert client_for(n.point_user).post(
        reverse("repairs:settlement_act", args=[n.statement.pk, "approve"])
    ).status_code in (403, 409)
    assert (
        client_for(n.head)
        .post(reverse("repairs:settlement_act", args=[n.statement.pk, "approve"]))
        .status_code
        == 302
    )
    xlsx = client_for(n.finance).get(reverse("repairs:settlement_xlsx", args=[n.statement.pk]))
    sheet = load_workbook(BytesIO(xlsx.content)).active
    amounts = [r[8] for r in sheet.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert sum(amounts) == 320
    pdf = client_for(n.finance).get(reverse("repairs:settlement_pdf", args=[n.statement.pk]))
    assert pdf.content.startswith(b"%PDF") and b"NotoSansSC" in pdf.content


def test_a_draft_takes_rewards_and_penalties_with_a_reason(net):
    n = settlement_people(net)
    rule(100, category="repair")
    finished_visit(n, at(2026, 6, 3))
    with time_machine.travel(NOW, tick=False):
        c = client_for(n.specialist)
        built = c.post(reverse("repairs:settlement_build"), {"month": "2026-06"})
        statement = SettlementStatement.objects.get(point=n.point)
        assert built.status_code == 302
        url = reverse("repairs:settlement_act", args=[statement.pk, "add_line"])
        bad = c.post(url, {"kind": "penalty", "amount": "20", "reason": ""})
        assert bad.status_code == 400
        assert c.post(url, {"kind": "penalty", "amount": "20", "reason": "迟到"}).status_code == 302
        assert c.get(statement.get_absolute_url()).status_code == 200
        early = c.post(reverse("repairs:settlement_build"), {"month": "2026-07"})
        assert early.status_code == 400  # July has not ended
    statement.refresh_from_db()
    assert statement.total == Decimal("80.00")
    assert client_for(n.point_user).get(statement.get_absolute_url()).status_code == 404  # draft


def test_the_fee_rules_screen_adds_and_ends_rules(net):
    n = settlement_people(net)
    c = client_for(n.specialist)
    assert c.get(reverse("repairs:fee_rule_list")).status_code == 200
    new = reverse("repairs:fee_rule_new")
    bad = c.post(new, {"amount": "-1", "effective_from": "2026-06-01", "warranty": "any",
                       "km_from": "0"})  # fmt: skip
    assert bad.status_code == 400
    ok = c.post(new, {"category": "repair", "grade": "B", "amount": "88", "km_from": "0",
                      "effective_from": "2026-06-01", "warranty": "any"})  # fmt: skip
    assert ok.status_code == 302
    made = FeeRule.objects.get()
    end = c.post(reverse("repairs:fee_rule_end", args=[made.pk]), {"last_day": "2026-05-01"})
    assert end.status_code == 400
    c.post(reverse("repairs:fee_rule_end", args=[made.pk]), {"last_day": "2026-12-31"})
    made.refresh_from_db()
    assert made.effective_to == date(2026, 12, 31)
    assert client_for(n.point_user).get(reverse("repairs:fee_rule_list")).status_code == 403
    assert client_for(n.point_user).post(new, {}).status_code == 403


def test_the_partner_api_lists_answers_and_hides_other_points(world, django_assert_max_num_queries):
    n = world
    api = token_client(n.point, n.point_user)
    with django_assert_max_num_queries(10):
        listed = api.get("/api/v1/settlement/statements/")
    assert [s["number"] for s in listed.json()["results"]] == [n.statement.number]
    assert listed.json()["results"][0]["month"] == "2026-06"
    assert api.get(f"/api/v1/settlement/statements/{n.other.pk}/").status_code == 404
    other_line = n.other.lines.first()
    assert api.get(f"/api/v1/settlement/lines/{other_line.pk}/").status_code == 404
    assert api.post(f"/api/v1/settlement/lines/{other_line.pk}/confirm/").status_code == 404
    with django_assert_max_num_queries(10):
        lines = api.get("/api/v1/settlement/lines/", {"statement": n.statement.pk, "page_size": 2})
    body = lines.json()
    assert len(body["results"]) == 2 and body["next"]
    assert body["results"][0]["request_number"].startswith("BX-TEST-")
    rest = api.get(body["next"]).json()["results"]
    assert len(rest) == 1

    first, second, _third = n.lines
    ok = api.post(f"/api/v1/settlement/lines/{first.pk}/confirm/")
    assert ok.status_code == 200 and ok.json()["state"] == "confirmed"
    again = api.post(f"/api/v1/settlement/lines/{first.pk}/confirm/")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    bad = api.post(f"/api/v1/settlement/lines/{second.pk}/dispute/", {"reason": ""}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()
    disputed = api.post(
        f"/api/v1/settlement/lines/{second.pk}/dispute/", {"reason": "路程不对"}, format="json"
    )
    assert disputed.json()["dispute_reason"] == "路程不对"
    assert api.get("/api/v1/settlement/statements/", {"month": "2026-06"}).json()["results"]
    assert api.get("/api/v1/settlement/statements/", {"month": "x"}).status_code == 400
