"""The API shell under /api/v1/: partner tokens, /me, org units in scope, prepaid ledgers, the
working-day calendar, the schema and docs, and the error handler."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext, isolate_apps
from django.utils import timezone, translation
from django_fsm import ConcurrentTransition, FSMField, TransitionNotAllowed, transition
from rest_framework.test import APIClient

from network.choices import LedgerEntryKind, OrgKind
from network.models import PartnerToken
from network.services import prepaid_post, token_revoke
from service_ops.api.exceptions import exception_handler
from tests.factories import bearer, issue_token, make_unit, top_up


@pytest.fixture(autouse=True)
def _chinese_ui():
    """Messages are asserted in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


API = "/api/v1"


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def dealer_token(net):
    """A token of 湘江代理商's staff account (role dealer_staff)."""
    return issue_token(net.dealer, user=net.dealer_user, name="湘江 ERP")


@pytest.fixture
def dealer_client(dealer_token):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {dealer_token[1]}")
    return c


@pytest.fixture
def hq_client(net):
    c = APIClient()
    c.force_login(net.head)
    return c


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- partner token authentication --------------------------------------------------------------


def test_a_valid_token_authenticates_and_records_when_it_was_used(client, dealer_token):
    token, plaintext = dealer_token
    assert token.last_used_at is None
    response = client.get(f"{API}/me", **bearer(plaintext))
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


def test_the_token_scheme_word_is_case_insensitive_and_token_is_accepted(client, dealer_token):
    plaintext = dealer_token[1]
    for scheme in ("bearer", "BEARER", "Token"):
        response = client.get(f"{API}/me", HTTP_AUTHORIZATION=f"{scheme} {plaintext}")
        assert response.status_code == 200, scheme


def test_no_credentials_answer_401_with_a_bearer_challenge(client, db):
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer so_0000000000_secret",  # unknown prefix
        "Bearer so_{prefix}_wrong-secret",  # right prefix, wrong secret
        "Bearer so_{prefix}_",  # no secret
        "Bearer {plaintext}x",  # secret with one more character
        "Bearer not-a-token",
        "Bearer",
        "Bearer {plaintext} extra",
    ],
)
def test_bad_tokens_answer_401(client, dealer_token, header):
    token, plaintext = dealer_token
    value = header.format(prefix=token.prefix, plaintext=plaintext)
    response = client.get(f"{API}/me", HTTP_AUTHORIZATION=value)
    assert response.status_code == 401
    token.refresh_from_db()
    assert token.last_used_at is None


def test_an_expired_token_answers_401(client, net):
    token, plaintext = issue_token(
        net.dealer, "expiring", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert client.get(f"{API}/me", **bearer(plaintext)).status_code == 200
    PartnerToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    response = client.get(f"{API}/me", **bearer(plaintext))
    assert response.status_code == 401
    assert "过期" in response.json()["detail"]


def test_a_revoked_token_answers_401(client, dealer_token):
    token, plaintext = dealer_token
    token_revoke(token=token)
    assert client.get(f"{API}/me", **bearer(plaintext)).status_code == 401


def test_the_token_of_an_inactive_user_answers_401(client, net, dealer_token):
    net.dealer_user.is_active = False
    net.dealer_user.save()
    response = client.get(f"{API}/me", **bearer(dealer_token[1]))
    assert response.status_code == 401
    assert response.json()["detail"] == "账号已停用"


# --- /me ---------------------------------------------------------------------------------------


def test_me_with_a_partner_token_names_the_partner_and_the_token(dealer_client, net):
    body = dealer_client.get(f"{API}/me").json()
    assert body["user"]["username"] == "dealer_user"
    assert body["org_unit"] == {
        "id": net.dealer.pk,
        "code": "D-XJ",
        "name": "湘江代理商",
        "kind": "dealer",
        "kind_display": "代理商",
        "branch_kind": "",
    }
    assert body["roles"] == ["dealer_staff"]
    assert body["role_assignments"][0]["role"] == "dealer_staff"
    assert body["is_partner"] is True
    assert body["sees_everything"] is False
    assert body["token"]["name"] == "湘江 ERP"
    assert body["token"]["expires_at"] is None


def test_me_with_a_session_has_no_token(hq_client, net):
    response = hq_client.get(f"{API}/me/")  # the trailing slash is optional
    body = response.json()
    assert response.status_code == 200
    assert body["org_unit"]["kind"] == "headquarters"
    assert body["roles"] == ["head_of_cs"]
    assert body["is_partner"] is False
    assert body["sees_everything"] is True
    assert body["token"] is None


def test_me_of_a_user_without_a_profile(client, django_user_model):
    user = django_user_model.objects.create_user("loose")
    client.force_authenticate(user)
    body = client.get(f"{API}/me").json()
    assert body["org_unit"] is None
    assert body["is_partner"] is False
    assert body["roles"] == []


# --- org units in scope ------------------------------------------------------------------------


def test_a_dealer_sees_only_its_own_org_unit(dealer_client, net):
    response = dealer_client.get(f"{API}/org-units/")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert ids(response) == {net.dealer.pk}
    assert dealer_client.get(f"{API}/org-units/{net.dealer.pk}/").status_code == 200
    missing = dealer_client.get(f"{API}/org-units/999999/").json()
    for other in (net.dealer2, net.cs, net.hq, net.point):
        response = dealer_client.get(f"{API}/org-units/{other.pk}/")
        assert response.status_code == 404
        assert response.json() == missing  # out of scope looks exactly like nonexistent
    assert "OrgUnit" not in str(missing)


def test_headquarters_sees_every_org_unit(hq_client, net):
    response = hq_client.get(f"{API}/org-units")
    assert response.json()["count"] == 8
    assert hq_client.get(f"{API}/org-units/{net.dealer2.pk}").status_code == 200


def test_a_branch_sees_its_subtree(client, net):
    client.force_login(net.cs_manager)
    response = client.get(f"{API}/org-units/")
    assert ids(response) == {net.cs.pk, net.dealer.pk, net.dealer2.pk}


def test_org_units_filter_by_kind_branch_kind_parent_and_search(hq_client, net):
    def get(query):
        return ids(hq_client.get(f"{API}/org-units/?{query}"))

    assert get("kind=dealer") == {net.dealer.pk, net.dealer2.pk}
    assert get("branch_kind=managed") == {net.cs.pk}
    assert get(f"parent={net.hq.pk}") == {net.gd.pk, net.hn.pk}
    assert get("search=湘江") == {net.dealer.pk}
    assert get("search=d-zz") == {net.dealer2.pk}


def test_org_units_bad_filter_values_answer_400(hq_client, net):
    response = hq_client.get(f"{API}/org-units/?kind=planet&parent=abc")
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "parent"}


def test_a_parent_outside_the_callers_scope_is_a_bad_filter_value(dealer_client, net):
    response = dealer_client.get(f"{API}/org-units/?parent={net.cs.pk}")
    assert response.status_code == 400
    assert set(response.json()) == {"parent"}


def test_org_units_are_paginated_by_page_number(hq_client, net):
    body = hq_client.get(f"{API}/org-units/?page_size=3&ordering=code").json()
    assert body["count"] == 8
    assert [row["code"] for row in body["results"]] == ["CS", "D-XJ", "D-ZZ"]
    assert "page=2" in body["next"]


def test_the_org_unit_list_takes_the_same_queries_for_5_and_50_units(
    client, db, django_assert_max_num_queries
):
    hq = make_unit("HQ", OrgKind.HEADQUARTERS)
    region = make_unit("R", OrgKind.PROVINCE, hq)
    branch = make_unit("B", OrgKind.BRANCH, region, branch_kind="managed")
    dealer = make_unit("D-0", OrgKind.DEALER, branch)
    make_unit("D-1", OrgKind.DEALER, branch)
    _, plaintext = issue_token(dealer, "erp")
    staff = issue_token(make_unit("SP-0", OrgKind.SERVICE_POINT, branch), "sp")[0].user
    staff.profile.org_unit = hq  # the service user is moved to HQ: sees all units
    staff.profile.save()
    client.force_authenticate(staff)
    with CaptureQueriesContext(connection) as small:
        response = client.get(f"{API}/org-units/?page_size=200")
    assert response.json()["count"] == 6
    for i in range(2, 46):
        make_unit(f"D-{i}", OrgKind.DEALER, branch)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"{API}/org-units/?page_size=200")
    assert response.json()["count"] == 50
    # a partner token costs one query more (the token row) and one write a minute (last used)
    partner = APIClient(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    with CaptureQueriesContext(connection) as by_token:
        assert partner.get(f"{API}/org-units/").json()["count"] == 1
    assert len(by_token.captured_queries) <= len(small.captured_queries) + 2


# --- prepaid ledger ----------------------------------------------------------------------------


def test_a_dealer_reads_its_balance_and_ledger_newest_first(dealer_client, net):
    top_up(net.dealer, "200")
    prepaid_post(
        org_unit=net.dealer, kind=LedgerEntryKind.CHARGE, amount=Decimal("50"), reference="ACT-1"
    )
    body = dealer_client.get(f"{API}/org-units/{net.dealer.pk}/prepaid/").json()
    assert body["org_unit"]["code"] == "D-XJ"
    assert body["balance"] == "150.00"
    assert body["currency"] == "CNY"
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in body["results"]] == [
        ("charge", "50.00", "150.00"),
        ("top_up", "200.00", "200.00"),
    ]
    assert body["results"][0]["reference"] == "ACT-1"


def test_the_ledger_pages_by_cursor(dealer_client, net):
    for i in range(5):
        top_up(net.dealer, str(i + 1))
    first = dealer_client.get(f"{API}/org-units/{net.dealer.pk}/prepaid/?page_size=2").json()
    assert [e["amount"] for e in first["results"]] == ["5.00", "4.00"]
    assert "cursor=" in first["next"]
    assert first["previous"] is None
    second = dealer_client.get(first["next"]).json()
    assert [e["amount"] for e in second["results"]] == ["3.00", "2.00"]
    assert second["balance"] == "15.00"


def test_a_partner_without_entries_has_a_zero_balance(dealer_client, net):
    body = dealer_client.get(f"{API}/org-units/{net.dealer.pk}/prepaid").json()
    assert body["balance"] == "0.00"
    assert body["results"] == []
    assert body["updated_at"] is None


def test_another_partners_ledger_and_a_non_partner_unit_answer_404(dealer_client, hq_client, net):
    top_up(net.dealer2, "10")
    assert dealer_client.get(f"{API}/org-units/{net.dealer2.pk}/prepaid/").status_code == 404
    assert hq_client.get(f"{API}/org-units/{net.dealer2.pk}/prepaid/").json()["balance"] == "10.00"
    response = hq_client.get(f"{API}/org-units/{net.cs.pk}/prepaid/")
    assert response.status_code == 404
    assert response.json()["detail"] == "该组织没有预存款账户"


def test_the_api_is_read_only(dealer_client, net):
    url = f"{API}/org-units/{net.dealer.pk}/"
    assert dealer_client.patch(url, {"name": "x"}, format="json").status_code == 405
    assert dealer_client.post(f"{API}/org-units/", {}, format="json").status_code == 405
    assert dealer_client.post(f"{url}prepaid/", {"amount": "1"}, format="json").status_code == 405


# --- working-day calendar ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [("2026-10-10", True), ("2026-10-01", False), ("2026-09-30", True), ("2026-10-11", False)],
)
def test_working_day(dealer_client, day, working):
    response = dealer_client.get(f"{API}/calendar/working-day?date={day}")
    assert response.status_code == 200
    assert response.json() == {"date": day, "is_working_day": working, "provisional": False}


def test_a_year_after_the_official_schedule_is_provisional(dealer_client):
    body = dealer_client.get(f"{API}/calendar/working-day?date=2027-03-01").json()
    assert body == {"date": "2027-03-01", "is_working_day": True, "provisional": True}


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2026-09-30", "2026-10-10T18:00:00+08:00"),
        ("2026-09-30T10:00:00+08:00", "2026-10-10T18:00:00+08:00"),
        ("2026-09-30T10:00:00", "2026-10-10T18:00:00+08:00"),  # no offset: Asia/Shanghai
        # 15:00 UTC on Sep 29 is 23:00 on Sep 29 in Shanghai: Sep 30, Oct 8, Oct 9
        ("2026-09-29T15:00:00Z", "2026-10-09T18:00:00+08:00"),
        # 16:00 UTC on Sep 29 is already Sep 30 in Shanghai
        ("2026-09-29T16:00:00Z", "2026-10-10T18:00:00+08:00"),
    ],
)
def test_add_working_days(dealer_client, start, due):
    response = dealer_client.get(f"{API}/calendar/add-working-days", {"start": start, "days": 3})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["due"] == due
    assert body["days"] == 3
    assert body["provisional"] is False
    assert body["start"].endswith("+08:00")


def test_add_working_days_into_an_unconfirmed_year_is_provisional(dealer_client):
    body = dealer_client.get(
        f"{API}/calendar/add-working-days", {"start": "2026-12-30", "days": 5}
    ).json()
    assert body["due"].startswith("2027-01-")
    assert body["provisional"] is True


@pytest.mark.parametrize(
    ("path", "query", "fields"),
    [
        ("add-working-days", {"start": "2026-09-30", "days": 0}, {"days"}),
        ("add-working-days", {"start": "2026-09-30", "days": 366}, {"days"}),
        ("add-working-days", {"start": "2026-09-30", "days": "three"}, {"days"}),
        ("add-working-days", {"start": "yesterday", "days": 3}, {"start"}),
        ("add-working-days", {"start": "2026-02-30", "days": 3}, {"start"}),
        ("add-working-days", {"start": "1990-01-01", "days": 3}, {"start"}),
        ("add-working-days", {}, {"start", "days"}),
        ("working-day", {"date": "2026-13-01"}, {"date"}),
        ("working-day", {"date": "2026-10-10T10:00"}, {"date"}),
        ("working-day", {"date": "2999-01-01"}, {"date"}),
        ("working-day", {}, {"date"}),
    ],
)
def test_bad_calendar_input_answers_400_with_field_errors(dealer_client, path, query, fields):
    response = dealer_client.get(f"{API}/calendar/{path}", query)
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_the_calendar_needs_authentication(client, db):
    assert client.get(f"{API}/calendar/working-day?date=2026-10-10").status_code == 401


# --- schema and docs ---------------------------------------------------------------------------


def test_the_schema_is_served(client, db):
    response = client.get(f"{API}/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/v1/me/", "/api/v1/org-units/{id}/prepaid/", "/calendar/add-working-days/"):
        assert path in text
    assert "partnerToken" in text


def test_the_docs_page_loads_its_assets_from_our_static_files_not_a_cdn(client, db):
    response = client.get(f"{API}/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar" in html
    external = re.findall(r"""(?:src|href)=["'](?:https?:)?//[^"']+""", html)
    assert external == []
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis"):
        assert cdn not in html


# --- the error handler -------------------------------------------------------------------------


@isolate_apps("service_ops")
def test_a_transition_not_allowed_answers_409_with_the_allowed_actions():
    class Parcel(models.Model):
        state = FSMField(default="draft", protected=True)

        class Meta:
            app_label = "service_ops"

        @transition(field=state, source="draft", target="submitted")
        def submit(self):
            pass

        @transition(field=state, source="submitted", target="shipped")
        def ship(self):
            pass

        @transition(field=state, source="draft", target="cancelled", permission=lambda i, u: False)
        def cancel(self):
            pass

    parcel = Parcel()
    exc = TransitionNotAllowed("no", object=parcel, method=parcel.ship)
    response = exception_handler(exc, {"request": None})
    assert response.status_code == 409
    assert response.data["code"] == "transition_not_allowed"
    assert response.data["state"] == "draft"
    assert response.data["action"] == "ship"
    assert sorted(response.data["allowed_actions"]) == ["cancel", "submit"]


def test_a_transition_not_allowed_on_a_plain_object_still_answers_409():
    class Plain:
        state = "draft"

        def ship(self):
            pass

    plain = Plain()
    response = exception_handler(
        TransitionNotAllowed("no", object=plain, method=plain.ship), {"request": None}
    )
    assert response.status_code == 409
    assert response.data["allowed_actions"] == []
    assert response.data["state"] is None


def test_a_concurrent_transition_answers_409():
    response = exception_handler(ConcurrentTransition("changed"), {})
    assert response.status_code == 409
    assert response.data["code"] == "concurrent_transition"
    assert response.data["allowed_actions"] == []


def test_a_django_validation_error_answers_400_with_field_errors():
    response = exception_handler(
        DjangoValidationError({"amount": ["余额不足"], "__all__": ["整体错误"]}), {}
    )
    assert response.status_code == 400
    assert response.data == {"amount": ["余额不足"], "non_field_errors": ["整体错误"]}
    response = exception_handler(DjangoValidationError("只是一句话"), {})
    assert response.data == {"non_field_errors": ["只是一句话"]}
