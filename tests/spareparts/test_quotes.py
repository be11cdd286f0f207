"""Dealer quotes (代理商购配件的报价): priced from the list price less the dealer's discount,
accepted by the dealer, paid or invoiced, shipped as sales out of the headquarters warehouse;
a dealer never sees another dealer's quote; an unaccepted quote expires."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from service_ops.deadlines.sweep import sweep_deadlines
from spareparts.choices import MovementKind, QuoteState
from spareparts.models import DealerDiscount, DealerQuote, StockBalance, StockMovement
from spareparts.selectors.requests import DealerQuoteProvider
from spareparts.services import quotes as qs
from spareparts.services.stock import stock_receive

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 9, 10, tzinfo=Z)


@pytest.fixture
def stocked(parts):
    stock_receive(part=parts.board, warehouse=parts.hq_wh, quantity=4, actor=parts.parts_clerk)
    stock_receive(part=parts.antenna, warehouse=parts.hq_wh, quantity=10, actor=parts.parts_clerk)
    return parts


def ask(p, user=None, dealer=None, lines=None):
    return qs.quote_ask(
        dealer=dealer or p.dealer,
        lines=lines or [(p.board, 2), (p.antenna, 3)],
        actor=user or p.dealer_user,
    )


def test_a_quote_is_priced_from_the_list_less_the_dealer_s_own_discount_or_the_default(stocked):
    p = stocked
    assert qs.discount_for(p.dealer) == Decimal("0")  # no rule row: no discount
    DealerDiscount.objects.create(dealer=None, percent=Decimal("5"))
    DealerDiscount.objects.create(dealer=p.dealer, percent=Decimal("12.5"))
    quote = ask(p)
    lines = {line.part_id: line for line in quote.lines.all()}
    # 380.00 × 87.5 % = 332.50; 45.00 × 87.5 % = 39.375 → 39.38 (half up)
    assert lines[p.board.pk].unit_price == Decimal("332.50")
    assert lines[p.antenna.pk].unit_price == Decimal("39.38")
    quote.refresh_from_db()
    assert quote.total == Decimal("332.50") * 2 + Decimal("39.38") * 3
    other = ask(p, user=p.dealer2_user, dealer=p.dealer2, lines=[(p.board, 1)])
    other.refresh_from_db()
    assert other.discount_percent == Decimal("5") and other.total == Decimal("361.00")


def test_accepted_paid_and_shipped_the_parts_leave_headquarters_as_sales(stocked):
    p = stocked
    quote = ask(p)
    with pytest.raises(PermissionDenied):
        qs.quote_send(quote_id=quote.pk, actor=p.dealer_user)
    qs.quote_send(quote_id=quote.pk, actor=p.parts_clerk)
    quote.refresh_from_db()
    assert quote.state == QuoteState.QUOTED and quote.valid_until > quote.quoted_at
    with pytest.raises(PermissionDenied):
        qs.quote_accept(quote_id=quote.pk, actor=p.dealer2_user)
    qs.quote_accept(quote_id=quote.pk, actor=p.dealer_user)
    with pytest.raises(TransitionNotAllowed):
        qs.quote_ship(quote_id=quote.pk, actor=p.parts_clerk)  # not paid yet
    with pytest.raises(ValidationError):
        qs.quote_settle(quote_id=quote.pk, actor=p.parts_clerk, how="paid", reference="")
    qs.quote_settle(quote_id=quote.pk, actor=p.parts_clerk, how="paid", reference="TT-889")
    qs.quote_ship(quote_id=quote.pk, actor=p.parts_clerk)
    quote.refresh_from_db()
    assert quote.state == QuoteState.SHIPPED and quote.settlement_reference == "TT-889"
    sales = StockMovement.objects.filter(kind=MovementKind.SALE, source_id=quote.pk)
    assert sorted(sales.values_list("part_id", "on_hand_change")) == sorted(
        [(p.board.pk, -2), (p.antenna.pk, -3)]
    )
    assert StockBalance.objects.get(part=p.board, warehouse=p.hq_wh).on_hand == 2


def test_an_invoiced_quote_ships_too_and_shipping_more_than_in_stock_changes_nothing(stocked):
    p = stocked
    quote = ask(p, lines=[(p.board, 5)])
    qs.quote_send(quote_id=quote.pk, actor=p.parts_clerk)
    qs.quote_accept(quote_id=quote.pk, actor=p.dealer_user)
    qs.quote_settle(quote_id=quote.pk, actor=p.parts_clerk, how="invoiced", reference="INV-1")
    before = StockMovement.objects.count()
    with pytest.raises(ValidationError, match="库存不足"):
        qs.quote_ship(quote_id=quote.pk, actor=p.parts_clerk)
    quote.refresh_from_db()
    assert quote.state == QuoteState.INVOICED and StockMovement.objects.count() == before


def test_a_quote_not_accepted_in_time_expires(stocked):
    p = stocked
    with time_machine.travel(MONDAY, tick=False):
        quote = ask(p)
        qs.quote_send(quote_id=quote.pk, actor=p.parts_clerk)
    sweep_deadlines(now=MONDAY + timedelta(days=8))
    quote.refresh_from_db()
    assert quote.state == QuoteState.EXPIRED
    with pytest.raises(TransitionNotAllowed):
        qs.quote_accept(quote_id=quote.pk, actor=p.dealer_user)


def test_another_dealer_gets_404_on_a_dealer_s_quote(stocked, client):
    p = stocked
    quote = ask(p)
    client.force_login(p.dealer2_user)
    assert client.get(reverse("spareparts:quote_detail", args=[quote.pk])).status_code == 404
    assert (
        client.post(reverse("spareparts:quote_act", args=[quote.pk, "decline"])).status_code == 404
    )
    assert quote.number not in client.get(reverse("spareparts:quote_list")).content.decode()
    client.force_login(p.dealer_user)
    assert client.get(reverse("spareparts:quote_detail", args=[quote.pk])).status_code == 200


def test_the_quote_pages_walk_ask_send_accept_settle_ship(stocked, client):
    p = stocked
    client.force_login(p.dealer_user)
    response = client.post(
        reverse("spareparts:quote_new"),
        {"dealer": p.dealer.pk, "part_1": p.antenna.number, "quantity_1": "2"},
    )
    assert response.status_code == 302
    quote = DealerQuote.objects.get()
    assert client.post(reverse("spareparts:quote_new"), {"dealer": p.dealer.pk}).status_code == 400
    act = lambda a: reverse("spareparts:quote_act", args=[quote.pk, a])  # noqa: E731
    assert client.post(act("accept")).status_code == 409  # not quoted yet
    client.force_login(p.parts_clerk)
    assert [i.key for i in DealerQuoteProvider().items(p.parts_clerk, now=MONDAY, limit=5)] == [
        f"spareparts.quote:{quote.pk}"
    ]
    assert client.post(act("send")).status_code == 302
    client.force_login(p.dealer_user)
    assert client.post(act("accept")).status_code == 302
    client.force_login(p.parts_clerk)
    assert client.post(act("settle"), {"how": "paid"}).status_code == 400
    assert client.post(act("settle"), {"how": "paid", "reference": "TT-1"}).status_code == 302
    assert client.post(act("ship")).status_code == 302
    quote.refresh_from_db()
    assert quote.state == QuoteState.SHIPPED


def test_the_quote_list_costs_the_same_queries_whatever_its_length(
    stocked, client, django_assert_max_num_queries
):
    p = stocked
    client.force_login(p.dealer_user)
    ask(p)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("spareparts:quote_list"))
    for _ in range(6):
        ask(p)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("spareparts:quote_list"))


def test_a_dealer_asks_and_accepts_by_api_and_another_dealer_gets_404(stocked):
    from rest_framework.test import APIClient

    p = stocked
    DealerDiscount.objects.create(dealer=p.dealer, percent=Decimal("10"))
    api = APIClient()
    api.force_authenticate(p.dealer_user)
    asked = api.post(
        "/api/v1/parts/quotes/",
        {"lines": [{"part": p.antenna.number, "quantity": 2}]},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    body = asked.json()
    assert body["state"] == "asked" and body["total"] == "81.00"  # 45.00 less 10 %, twice
    pk = body["id"]
    assert api.post(f"/api/v1/parts/quotes/{pk}/accept/").status_code == 409  # not quoted yet
    qs.quote_send(quote_id=pk, actor=p.parts_clerk)

    api.force_authenticate(p.dealer2_user)
    assert api.get(f"/api/v1/parts/quotes/{pk}/").status_code == 404
    assert api.post(f"/api/v1/parts/quotes/{pk}/accept/").status_code == 404
    assert api.get("/api/v1/parts/quotes/").json()["results"] == []

    api.force_authenticate(p.dealer_user)
    accepted = api.post(f"/api/v1/parts/quotes/{pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    api.force_authenticate(p.point_user)
    refused = api.post(
        "/api/v1/parts/quotes/",
        {"lines": [{"part": p.antenna.number, "quantity": 1}]},
        format="json",
    )
    assert refused.status_code == 403
