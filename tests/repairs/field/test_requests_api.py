"""Partner API of field service (issue 20 item 9, dealer and service point half): a dealer files
a service request (Idempotency-Key: once), sees its own and never another's (404); a service
point lists its offers and accepts or declines one (409 once answered)."""

import pytest
from rest_framework.test import APIClient

from repairs.choices import DispatchState, ServiceRequestState
from repairs.models import ServiceRequest
from tests.factories import bearer, issue_token

pytestmark = pytest.mark.django_db
BODY = {
    "category": "install",
    "serial_number": "gx-2026-0001",
    "contact_name": "王经理",
    "contact_phone": "13873100000",
    "province": "广东省",
    "city": "广州市",
    "district": "天河区",
    "address": "天河路 1 号",
    "description": "新机安装",
}


def api(unit, user):
    _token, plaintext = issue_token(unit, user=user)
    client = APIClient()
    client.credentials(**bearer(plaintext))
    return client


def test_a_dealer_files_once_per_key_and_never_sees_another_dealer_s(field):
    dealer = api(field.dealer, field.dealer_user)
    first = dealer.post("/api/v1/service-requests/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = dealer.post("/api/v1/service-requests/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and ServiceRequest.objects.count() == 1
    request = ServiceRequest.objects.get()
    assert (request.channel, request.dealer, request.unit) == ("dealer", field.dealer, field.unit)
    assert request.state == ServiceRequestState.DISPATCHED
    assert dealer.post("/api/v1/service-requests/", {**BODY, "state": "closed"}, format="json")\
        .status_code == 400  # fmt: skip
    assert dealer.post("/api/v1/service-requests/", {**BODY, "contact_phone": "x"}, format="json")\
        .status_code == 400  # fmt: skip
    other = api(field.dealer2, field.dealer2_user)
    assert other.get(f"/api/v1/service-requests/{request.pk}/").status_code == 404
    assert other.get("/api/v1/service-requests/").json()["results"] == []
    assert dealer.get("/api/v1/service-requests/").json()["results"][0]["number"] == request.number
    point = api(field.tianhe, field.tianhe_staff)
    assert point.post("/api/v1/service-requests/", BODY, format="json").status_code == 403


def test_a_point_lists_its_offers_declines_one_and_accepts_the_next(field):
    dealer = api(field.dealer, field.dealer_user)
    created = dealer.post("/api/v1/service-requests/", BODY, format="json").json()
    tianhe = api(field.tianhe, field.tianhe_staff)
    gzcity = api(field.gzcity, field.gzcity_staff)
    [offer] = tianhe.get("/api/v1/service-offers/?state=offered").json()["results"]
    assert offer["request"]["id"] == created["id"]
    assert gzcity.get(f"/api/v1/service-offers/{offer['id']}/").status_code == 404
    assert tianhe.post(f"/api/v1/service-offers/{offer['id']}/decline/", {}, format="json")\
        .status_code == 400  # fmt: skip
    answer = tianhe.post(
        f"/api/v1/service-offers/{offer['id']}/decline/", {"reason": "不做安装"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["state"] == DispatchState.DECLINED
    again = tianhe.post(f"/api/v1/service-offers/{offer['id']}/accept/", {}, format="json")
    assert again.status_code == 409
    [nxt] = gzcity.get("/api/v1/service-offers/?state=offered").json()["results"]
    accepted = gzcity.post(f"/api/v1/service-offers/{nxt['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["state"] == DispatchState.ACCEPTED
    mine = gzcity.get(f"/api/v1/service-requests/{created['id']}/").json()
    assert mine["state"] == "accepted" and mine["assigned_unit"] == field.gzcity.pk
    assert tianhe.get(f"/api/v1/service-requests/{created['id']}/").status_code == 404
