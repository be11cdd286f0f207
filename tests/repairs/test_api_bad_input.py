"""What broke when the partner API was fed bad input (issue 15, items 20–22): every case is a
4xx in JSON with field errors, and nothing is half-created."""

import json
from datetime import date

import pytest
from django.test import override_settings

from repairs.models import ReturnApplication
from repairs.services.orders import assess_warranty
from tests.repairs.test_api_returns import APPS, make_application, payload, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def dealer_api(net):
    return token_client(net.dealer, net.dealer_user)


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def test_a_post_without_the_trailing_slash_creates(dealer_api):
    response = post(dealer_api, APPS, payload())
    assert response.status_code == 201, response.content
    assert ReturnApplication.objects.filter(pk=response.json()["id"]).exists()


def test_unknown_fields_are_refused_not_dropped(dealer_api):
    response = post(dealer_api, f"{APPS}/", payload(remark="写错了字段名"))
    assert response.status_code == 400
    assert "remark" in response.json()
    body = payload()
    body["lines"][0]["colour"] = "red"
    response = post(dealer_api, f"{APPS}/", body)
    assert response.status_code == 400 and "colour" in json.dumps(response.json())
    assert not ReturnApplication.objects.exists()


def test_text_fields_have_maximum_lengths(dealer_api):
    response = post(dealer_api, f"{APPS}/", payload(remarks="备" * 2001))
    assert response.status_code == 400 and "remarks" in response.json()
    body = payload()
    body["lines"][0]["fault_description"] = "坏" * 1001
    response = post(dealer_api, f"{APPS}/", body)
    assert response.status_code == 400
    assert "fault_description" in json.dumps(response.json())
    assert not ReturnApplication.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=64 * 1024)
def test_an_oversized_body_is_a_json_413(dealer_api):
    response = post(dealer_api, f"{APPS}/", payload(remarks="x" * 100_000))
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]
    assert not ReturnApplication.objects.exists()


def test_a_body_nested_50000_deep_is_a_400(dealer_api):
    body = "[" * 50_000 + "]" * 50_000
    response = dealer_api.post(f"{APPS}/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"]


def test_a_patch_with_an_incomplete_line_names_the_missing_fields(net, dealer_api):
    app = make_application(net, "P1", submit=False)
    response = dealer_api.patch(
        f"{APPS}/{app.pk}/", {"lines": [{"serial_number": "P2"}]}, format="json"
    )
    assert response.status_code == 400, response.content
    errors = json.dumps(response.json(), ensure_ascii=False)
    assert "product_model" in errors and "fault_description" in errors
    assert list(app.lines.values_list("serial_number", flat=True)) == ["P1"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1989-12-31", "2999-01-01"])
def test_absurd_purchase_dates_are_refused(dealer_api, day):
    body = payload()
    body["lines"][0]["purchase_date"] = day
    response = post(dealer_api, f"{APPS}/", body)
    assert response.status_code == 400, (day, response.content)
    assert "purchase_date" in json.dumps(response.json())
    assert not ReturnApplication.objects.exists()


def test_a_stored_absurd_purchase_date_does_not_stop_the_receipt():
    # A row written before the check existed: the warranty reading still answers.
    result = assess_warranty(purchase_date=date(9999, 12, 31), on=date(2026, 12, 1), exclusions=[])
    assert result.in_warranty


def test_api_errors_are_json(dealer_api):
    response = dealer_api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]


DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
    }
}


def test_with_the_cache_down_the_partner_api_reads_and_writes(dealer_api):
    with override_settings(CACHES=DEAD_REDIS):
        assert dealer_api.get("/api/v1/me").status_code == 200
        assert dealer_api.get(f"{APPS}/").status_code == 200
        response = post(dealer_api, f"{APPS}/", payload())
        assert response.status_code == 201, response.content


# --- found by the API fuzz test (tests/core/test_api_fuzz.py, issue 16 item 3) ----------------


def test_a_time_filter_with_an_offset_postgresql_refuses_still_filters(net, dealer_api):
    # Python reads offsets up to ±23:59, PostgreSQL refuses beyond ±15:59: this was a 500
    app = make_application(net, "TZ1")
    for name, found in (("created_after", []), ("created_before", [app.pk])):
        response = dealer_api.get(f"{APPS}/", {name: "2999-02-13T11:24:40.542227-20:23"})
        assert response.status_code == 200, (name, response.content[:200])
        assert [a["id"] for a in response.json()["results"]] == found
    response = dealer_api.get(f"{APPS}/", {"created_after": "0207-02-13T11:24:40-20:23"})
    assert [a["id"] for a in response.json()["results"]] == [app.pk]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-05:00"])
def test_a_time_filter_outside_years_1_to_9999_in_utc_is_a_field_error(dealer_api, moment):
    for name in ("created_after", "created_before"):
        response = dealer_api.get(f"{APPS}/", {name: moment})
        assert response.status_code == 400, (name, moment, response.content[:200])
        assert name in response.json()


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-20:00"])
def test_a_working_day_sum_from_a_moment_out_of_range_is_a_field_error(dealer_api, start):
    response = dealer_api.get("/api/v1/calendar/add-working-days/", {"start": start, "days": 1})
    assert response.status_code == 400 and "start" in response.json()
