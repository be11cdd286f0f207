"""Partner API of the parts (issue 19 item 7, first half): the catalogue without the cost, the
headquarters warehouse as a level, each partner's own warehouses' figures, keyset pages of
constant cost, another partner's stock never."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from spareparts.services.stock import stock_receive, stock_reserve
from tests.factories import bearer, issue_token

from .conftest import make_part

pytestmark = pytest.mark.django_db


def api(unit, user=None):
    _token, plaintext = issue_token(unit, user=user) if user else issue_token(unit)
    client = APIClient()
    client.credentials(**bearer(plaintext))
    return client


def test_the_catalogue_shows_hq_availability_as_a_level_and_never_the_cost(parts):
    w = parts
    stock_receive(part=w.board, warehouse=w.hq_wh, quantity=50, actor=w.parts_clerk)
    stock_receive(part=w.antenna, warehouse=w.hq_wh, quantity=2, actor=w.parts_clerk)
    body = api(w.dealer).get("/api/v1/parts/").json()
    by_number = {p["number"]: p for p in body["results"]}
    assert by_number["GPS-MB-01"]["hq_availability"] == "in_stock"
    assert by_number["GPS-ANT-02"]["hq_availability"] == "low"  # 2 ≤ its safety stock of 2
    assert by_number["PWR-CBL-03"]["hq_availability"] == "out"
    assert all("cost" not in p and "on_hand" not in p for p in body["results"])


def test_the_catalogue_filters_by_model_and_number(parts):
    client = api(parts.point)
    numbers = [p["number"] for p in client.get("/api/v1/parts/?model=GPS-X2").json()["results"]]
    assert numbers == ["GPS-MB-01"]
    numbers = [p["number"] for p in client.get("/api/v1/parts/?number=gps").json()["results"]]
    assert sorted(numbers) == ["GPS-ANT-02", "GPS-MB-01"]
    detail = client.get(f"/api/v1/parts/{parts.board.pk}/").json()
    assert detail["fits"] == ["GPS-X1", "GPS-X2"]


def test_an_inactive_part_is_not_found_for_partners(parts):
    parts.cable.is_active = False
    parts.cable.save()
    assert api(parts.dealer).get(f"/api/v1/parts/{parts.cable.pk}/").status_code == 404


def test_availability_is_the_callers_own_warehouses_only(parts):
    w = parts
    stock_receive(part=w.board, warehouse=w.dealer_wh, quantity=7, actor=w.parts_clerk)
    stock_reserve(part=w.board, warehouse=w.dealer_wh, quantity=2, actor=w.parts_clerk)
    stock_receive(part=w.board, warehouse=w.dealer2_wh, quantity=3, actor=w.parts_clerk)
    stock_receive(part=w.board, warehouse=w.hq_wh, quantity=30, actor=w.parts_clerk)
    rows = api(w.dealer).get("/api/v1/parts/availability/").json()["results"]
    assert [
        (r["warehouse"]["code"], r["on_hand"], r["reserved"], r["available"]) for r in rows
    ] == [("W-D-XJ", 7, 2, 5)]
    other = api(w.dealer2)
    rows = other.get("/api/v1/parts/availability/?number=GPS").json()["results"]
    assert [(r["warehouse"]["code"], r["available"]) for r in rows] == [("W-D-ZZ", 3)]
    rows = other.get(f"/api/v1/parts/availability/?warehouse={w.dealer_wh.pk}").json()["results"]
    assert rows == []


def test_the_lists_cost_the_same_queries_whatever_the_page_size(
    parts, django_assert_max_num_queries
):
    w = parts
    for i in range(40):
        part = make_part(f"API-{i:03d}", models=("M1",))
        stock_receive(part=part, warehouse=w.point_wh, quantity=1, actor=w.parts_clerk)
        stock_receive(part=part, warehouse=w.hq_wh, quantity=5, actor=w.parts_clerk)
    client = api(w.point)
    client.get("/api/v1/parts/?page_size=5")
    for size in (5, 40):
        with django_assert_max_num_queries(8):
            assert len(client.get(f"/api/v1/parts/?page_size={size}").json()["results"]) == size
        with django_assert_max_num_queries(8):
            body = client.get(f"/api/v1/parts/availability/?page_size={size}").json()
            assert len(body["results"]) == size


def test_the_web_pages_hide_another_partners_warehouse(client, parts):
    w = parts
    stock_receive(part=w.board, warehouse=w.dealer_wh, quantity=7, actor=w.parts_clerk)
    client.force_login(w.dealer2_user)
    assert (
        client.get(reverse("spareparts:warehouse_detail", args=[w.dealer_wh.pk])).status_code == 404
    )
    assert client.get(reverse("spareparts:warehouse_detail", args=[w.hq_wh.pk])).status_code == 404
    ledger = client.get(reverse("spareparts:movement_list")).content.decode()
    assert "湘江代理商仓" not in ledger
    client.force_login(w.dealer_user)
    page = client.get(reverse("spareparts:warehouse_detail", args=[w.dealer_wh.pk]))
    assert page.status_code == 200 and "GPS-MB-01" in page.content.decode()


def test_the_warehouse_and_ledger_pages_cost_constant_queries(
    client, parts, django_assert_max_num_queries
):
    w = parts
    for i in range(40):
        part = make_part(f"WEB-{i:03d}")
        stock_receive(part=part, warehouse=w.hq_wh, quantity=i + 1, actor=w.parts_clerk)
    client.force_login(w.parts_clerk)
    client.get(reverse("spareparts:movement_list"))
    for url in (
        reverse("spareparts:warehouse_detail", args=[w.hq_wh.pk]),
        reverse("spareparts:movement_list"),
        reverse("spareparts:movement_list") + f"?warehouse={w.hq_wh.pk}&kind=receive",
    ):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200


def test_the_stock_forms_receive_and_refuse_with_the_available_quantity(client, parts):
    w = parts
    client.force_login(w.parts_clerk)
    response = client.post(
        reverse("spareparts:receive"),
        {"warehouse": w.hq_wh.pk, "part": "gps-mb-01", "quantity": 3, "reason": "到货"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("spareparts:transfer"),
        {
            "warehouse": w.hq_wh.pk,
            "to_warehouse": w.point_wh.pk,
            "part": "GPS-MB-01",
            "quantity": 5,
        },
    )
    assert response.status_code == 400 and "库存不足：可用 3" in response.content.decode()
    client.force_login(w.dealer_user)
    assert client.get(reverse("spareparts:receive")).status_code == 200  # its own warehouse
    response = client.post(
        reverse("spareparts:receive"),
        {"warehouse": w.hq_wh.pk, "part": "GPS-MB-01", "quantity": 3},
    )
    assert response.status_code == 400  # headquarters is not among its warehouses
