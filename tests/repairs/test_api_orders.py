"""The partner API of repair orders and quotes (/api/v1/repair-orders/, /api/v1/quotes/): a
dealer's token follows its units (state, the working-day limit paused while a quote waits for it,
the current quote, shipping back) and answers quotes; scope is 404, a caller who is not the
shipper 403, a quote already answered 409 with the allowed actions, bad input 400."""

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from repairs.api import examples
from repairs.choices import OrderState, QuoteState
from repairs.models import Quote, RepairOrder
from repairs.services import orders as ro
from service_ops.deadlines.models import DeadlineStatus
from tests.repairs.test_api_returns import same_shape, session_client, token_client
from tests.repairs.test_orders import receive_lot

Z = ZoneInfo("Asia/Shanghai")
API = "/api/v1"
ORDERS = f"{API}/repair-orders"
QUOTES = f"{API}/quotes"

MONDAY = datetime(2026, 11, 23, 9, tzinfo=Z)  # a plain working week: due dates are easy to read


@pytest.fixture
def dealer_api(net):
    return token_client(net.dealer, net.dealer_user)


@pytest.fixture
def dealer2_api(net):
    return token_client(net.dealer2, net.dealer2_user)


def quote_sent(net, order, at):
    """The technician picks the unit up and raises a 200 CNY quote; the clerk sends it."""
    with time_machine.travel(at, tick=False):
        ro.order_pick_up(order_id=order.pk, actor=net.tech)
        ro.order_assess_warranty(order_id=order.pk, actor=net.tech, exclusions=["misuse"])
        quote = ro.order_raise_quote(
            order_id=order.pk,
            actor=net.tech,
            diagnosis="主板损坏，过保",
            lines=[
                ro.QuoteLineInput("labour", Decimal("80")),
                ro.QuoteLineInput("parts", Decimal("120"), "主板"),
            ],
        )
        ro.quote_send(quote_id=quote.pk, actor=net.clerk)
    return quote


@pytest.fixture
def waiting(net):
    """One unit received Monday 09:00 (3 working days: due Thursday 18:00), quoted and sent
    Monday 11:00: the limit is paused while the dealer decides."""
    lot = receive_lot(net, ["XJ001"], MONDAY, purchase_date=None)  # no date: a paid repair
    order = lot.orders.get()
    quote = quote_sent(net, order, datetime(2026, 11, 23, 11, tzinfo=Z))
    return order, quote


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=Z), tick=False)


# --- following units ------------------------------------------------------------------------------


def test_a_dealer_token_lists_its_units_with_the_due_time_and_the_paused_limit(
    net, dealer_api, waiting
):
    order, quote = waiting
    with at(2026, 11, 24, 10):
        response = dealer_api.get(f"{ORDERS}/")
    assert response.status_code == 200, response.json()
    (row,) = response.json()["results"]
    assert row["id"] == order.pk and row["number"] == order.number
    assert row["application"]["number"] == order.lot.application.number
    assert row["lot"]["size"] == 1 and row["lot"]["number"] == order.lot.number
    assert (row["product_model"], row["serial_number"]) == ("GPS-X1", "XJ001")
    assert (row["state"], row["state_display"]) == ("waiting_consent", "待客户确认")
    assert row["service_type"] == "paid" and row["in_warranty"] is False
    assert row["warranty_reasons"]
    assert row["technician_name"] == "tech"
    assert (row["repair_count"], row["qc_failures"]) == (0, 0)
    limit = row["limit"]
    assert limit["policy"] == "repair-lot-1" and limit["limit_working_days"] == 3
    assert limit["started_at"] == "2026-11-23T09:00:00+08:00"
    assert limit["due_at"] == "2026-11-26T18:00:00+08:00"
    assert limit["status"] == "paused" and limit["paused"] is True
    assert limit["paused_at"] == "2026-11-23T11:00:00+08:00"
    assert limit["pause_reason"] == "等待客户确认报价"
    assert limit["ball_holder"] == "customer"
    assert limit["paused_seconds"] == 23 * 3600  # Monday 11:00 → Tuesday 10:00
    # frozen at the pause: Tuesday, Wednesday, Thursday were still ahead
    assert limit["time_left"] == "剩余 3 个工作日" and limit["working_days_left"] == 3
    assert limit["overdue"] is False
    assert row["quote"]["id"] == quote.pk
    assert row["quote"]["state"] == "sent" and row["quote"]["total"] == "200.00"
    assert row["quote"]["answer_due_at"] == "2026-11-25T18:00:00+08:00"
    assert [(ln["kind"], ln["amount"]) for ln in row["quote"]["lines"]] == [
        ("labour", "80.00"),
        ("parts", "120.00"),
    ]
    assert row["shipment"] is None


def test_consenting_through_the_api_starts_the_repair_and_resumes_the_limit(
    net, dealer_api, waiting
):
    order, quote = waiting
    with at(2026, 11, 25, 11):  # Wednesday: the pause covered Monday's and Tuesday's cut-offs
        response = dealer_api.post(f"{QUOTES}/{quote.pk}/consent/", {"note": "同意，尽快修"})
        assert response.status_code == 200, response.json()
        data = response.json()
        assert data["state"] == "consented" and data["answer_note"] == "同意，尽快修"
        assert data["order"]["state"] == "repairing"
        detail = dealer_api.get(f"{ORDERS}/{order.pk}/").json()
    assert detail["state"] == "repairing" and detail["repair_count"] == 1
    limit = detail["limit"]
    assert limit["status"] == "running" and limit["paused"] is False
    assert limit["due_at"] == "2026-11-30T18:00:00+08:00"  # Thursday 26 → Monday 30
    assert limit["ball_holder"] == "" and limit["paused_at"] is None
    assert limit["paused_seconds"] == 48 * 3600
    assert detail["quote"]["state"] == "consented" and detail["quote"]["answer_due_at"] is None
    assert [(e["transition"], e["channel"]) for e in detail["history"]] == [
        ("pick_up", "web"),
        ("raise_quote", "web"),
        ("send_quote", "web"),
        ("consent", "api"),
    ]
    assert detail["history"][-1]["actor"] == "dealer_user"
    order.refresh_from_db()
    assert order.state == OrderState.REPAIRING
    assert ro.limit_deadline(order).status == DeadlineStatus.RUNNING


def test_declining_through_the_api_sends_the_unit_back_unrepaired(net, dealer_api, waiting):
    order, quote = waiting
    response = dealer_api.post(f"{QUOTES}/{quote.pk}/decline/", {"note": "太贵"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "declined"
    assert response.json()["order"]["state"] == "return_unrepaired"
    order.refresh_from_db()
    assert order.state == OrderState.RETURN_UNREPAIRED
    assert ro.limit_deadline(order).status == DeadlineStatus.RUNNING
    assert dealer_api.get(f"{ORDERS}/{order.pk}/").json()["history"][-1]["channel"] == "api"


def test_a_note_is_optional_and_a_too_long_note_is_400(net, dealer_api, waiting):
    _order, quote = waiting
    response = dealer_api.post(f"{QUOTES}/{quote.pk}/consent/", {"note": "长" * 201})
    assert response.status_code == 400 and "note" in response.json()
    assert Quote.objects.get(pk=quote.pk).state == QuoteState.SENT
    assert dealer_api.post(f"{QUOTES}/{quote.pk}/consent/").status_code == 200


def test_the_quote_detail_shows_lines_and_the_answer_time(net, dealer_api, waiting):
    order, quote = waiting
    data = dealer_api.get(f"{QUOTES}/{quote.pk}/").json()
    assert data["order"] == {
        "id": order.pk,
        "number": order.number,
        "product_model": "GPS-X1",
        "serial_number": "XJ001",
        "state": "waiting_consent",
        "state_display": "待客户确认",
    }
    assert data["total"] == "200.00" and len(data["lines"]) == 2
    assert data["answer_due_at"] == "2026-11-25T18:00:00+08:00"
    assert data["answered_at"] is None


# --- scope, permission, conflict --------------------------------------------------------------


def test_another_dealers_order_and_quote_are_404(net, dealer2_api, waiting):
    order, quote = waiting
    assert dealer2_api.get(f"{ORDERS}/").json()["results"] == []
    assert dealer2_api.get(f"{ORDERS}/", {"serial": "XJ001"}).json()["results"] == []
    for method, url in [
        ("get", f"{ORDERS}/{order.pk}/"),
        ("get", f"{QUOTES}/{quote.pk}/"),
        ("post", f"{QUOTES}/{quote.pk}/consent/"),
        ("post", f"{QUOTES}/{quote.pk}/decline/"),
    ]:
        response = getattr(dealer2_api, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.json() == {"detail": "未找到，或不在您的可见范围内。"}
    assert Quote.objects.get(pk=quote.pk).state == QuoteState.SENT


def test_someone_who_sees_the_order_but_is_not_the_shipper_is_403(net, waiting):
    order, quote = waiting
    manager = session_client(net.cs_manager)  # the branch sees its units
    assert manager.get(f"{ORDERS}/{order.pk}/").status_code == 200
    response = manager.post(f"{QUOTES}/{quote.pk}/consent/")
    assert response.status_code == 403 and "detail" in response.json()
    assert Quote.objects.get(pk=quote.pk).state == QuoteState.SENT


def test_consenting_twice_is_409_with_the_allowed_actions(net, dealer_api, waiting):
    _order, quote = waiting
    assert dealer_api.post(f"{QUOTES}/{quote.pk}/consent/").status_code == 200
    for verb in ("consent", "decline"):
        response = dealer_api.post(f"{QUOTES}/{quote.pk}/{verb}/")
        assert response.status_code == 409, response.json()
        data = response.json()
        assert data["code"] == "transition_not_allowed" and data["action"] == verb
        assert data["state"] == "consented" and data["allowed_actions"] == []
    assert RepairOrder.objects.get(pk=quote.order_id).repair_count == 1


def test_a_quote_not_yet_sent_cannot_be_answered(net, dealer_api):
    order = receive_lot(net, ["R1"], MONDAY, purchase_date=None).orders.get()  # paid
    ro.order_pick_up(order_id=order.pk, actor=net.tech)
    quote = ro.order_raise_quote(
        order_id=order.pk, actor=net.tech, lines=[ro.QuoteLineInput("labour", Decimal("50"))]
    )
    response = dealer_api.post(f"{QUOTES}/{quote.pk}/consent/")
    assert response.status_code == 409 and response.json()["state"] == "raised"


def test_orders_are_read_only(net, dealer_api, waiting):
    order, quote = waiting
    assert dealer_api.post(f"{ORDERS}/", {"state": "shipped"}).status_code == 405
    for method in ("put", "patch", "delete"):
        response = getattr(dealer_api, method)(f"{ORDERS}/{order.pk}/", {"state": "shipped"})
        assert response.status_code == 405, method
        response = getattr(dealer_api, method)(f"{QUOTES}/{quote.pk}/", {"state": "consented"})
        assert response.status_code == 405, method
    assert RepairOrder.objects.get(pk=order.pk).state == OrderState.WAITING_CONSENT


# --- filters and pagination ---------------------------------------------------------------------


def test_filters_by_state_application_serial_overdue_and_shipping_date(net, dealer_api):
    late = receive_lot(net, ["OLD1"], datetime(2026, 11, 2, 9, tzinfo=Z)).orders.get()  # due 5th
    fresh = receive_lot(net, ["NEW1"], MONDAY).orders.get()
    back = receive_lot(net, ["BACK1"], MONDAY).orders.get()
    quote = quote_sent(net, back, datetime(2026, 11, 23, 11, tzinfo=Z))
    ro.quote_answer(quote_id=quote.pk, actor=net.dealer_user, consent=False)
    ro.order_ship(
        order_id=back.pk,
        actor=net.clerk,
        carrier="顺丰",
        tracking_number="SF1001",
        shipped_on=date(2026, 11, 24),
    )

    def ids(**params):
        with at(2026, 11, 24, 10):
            response = dealer_api.get(f"{ORDERS}/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(state="waiting_pickup") == [fresh.pk, late.pk]
    assert ids(state=["shipped", "waiting_pickup"]) == [back.pk, fresh.pk, late.pk]
    assert ids(application_number=late.lot.application.number.lower()) == [late.pk]
    assert ids(serial="new1") == [fresh.pk]
    assert ids(number=back.number) == [back.pk]
    assert ids(overdue="true") == [late.pk]
    assert ids(overdue="false") == [back.pk, fresh.pk]
    assert ids(shipped_after="2026-11-24") == [back.pk]
    assert ids(shipped_before="2026-11-24") == []
    assert ids(shipped_before="2026-11-25") == [back.pk]

    with at(2026, 11, 24, 10):
        rows = {row["id"]: row for row in dealer_api.get(f"{ORDERS}/").json()["results"]}
    assert rows[late.pk]["limit"]["overdue"] is True
    assert rows[late.pk]["limit"]["time_left"] == "超期 12 个工作日"
    assert rows[late.pk]["limit"]["working_days_left"] == -12
    shipped = rows[back.pk]
    assert shipped["shipment"] == {
        "carrier": "顺丰",
        "tracking_number": "SF1001",
        "shipped_on": "2026-11-24",
        "shipped_at": shipped["shipment"]["shipped_at"],
    }
    assert shipped["limit"]["status"] in ("met", "late")
    assert shipped["limit"]["time_left"] is None and shipped["limit"]["overdue"] is False

    for params, field in [
        ({"state": "lost"}, "state"),
        ({"shipped_after": "yesterday"}, "shipped_after"),
        ({"overdue": "maybe"}, "overdue"),
    ]:
        response = dealer_api.get(f"{ORDERS}/", params)
        assert response.status_code == 400 and field in response.json(), params


def test_cursor_pagination_returns_next_links_newest_first(net, dealer_api):
    lot = receive_lot(net, [f"P{i}" for i in range(5)], MONDAY)
    expected = list(lot.orders.order_by("-id").values_list("pk", flat=True))
    first = dealer_api.get(f"{ORDERS}/", {"page_size": 2}).json()
    assert set(first) == {"next", "previous", "results"}
    assert first["previous"] is None
    assert first["next"] and "cursor=" in first["next"]
    seen = [r["id"] for r in first["results"]]
    url, pages = first["next"], 1
    while url:
        split = urlsplit(url)
        assert split.path == f"{ORDERS}/"
        page = dealer_api.get(f"{split.path}?{split.query}").json()
        seen += [r["id"] for r in page["results"]]
        url, pages = page["next"], pages + 1
    assert seen == expected and pages == 3


def test_the_list_costs_the_same_queries_for_3_and_12_orders(
    net, dealer_api, django_assert_max_num_queries
):
    small = receive_lot(net, ["S1", "S2", "S3"], MONDAY)
    quote_sent(net, small.orders.order_by("id").first(), datetime(2026, 11, 23, 10, tzinfo=Z))
    with at(2026, 11, 24, 10):
        dealer_api.get(f"{ORDERS}/")  # warm caches; the token's last-used write
        with CaptureQueriesContext(connection) as three:
            response = dealer_api.get(f"{ORDERS}/", {"page_size": 50})
    assert len(response.json()["results"]) == 3

    big = receive_lot(net, [f"B{i}" for i in range(9)], MONDAY)
    orders = list(big.orders.order_by("id"))
    for i, order in enumerate(orders[:4]):
        quote = quote_sent(net, order, datetime(2026, 11, 23, 10 + i, tzinfo=Z))
        if i == 0:
            ro.quote_answer(
                quote_id=quote.pk, actor=net.dealer_user, consent=True, signature="王经理"
            )
        if i == 1:
            ro.quote_answer(quote_id=quote.pk, actor=net.dealer_user, consent=False)
            ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="顺丰", tracking_number="S")
    with at(2026, 11, 24, 10), django_assert_max_num_queries(len(three.captured_queries)):
        response = dealer_api.get(f"{ORDERS}/", {"page_size": 50})
    rows = response.json()["results"]
    assert len(rows) == 12
    assert sum(1 for r in rows if r["quote"]) == 5
    assert sum(1 for r in rows if r["limit"]["paused"]) == 3
    assert sum(1 for r in rows if r["shipment"]) == 1


# --- schema -----------------------------------------------------------------------------------


def test_the_schema_documents_the_repair_order_and_quote_endpoints(net):
    response = session_client(net.head).get(f"{API}/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(paths["/api/v1/repair-orders/"]) == {"get"}
    assert set(paths["/api/v1/repair-orders/{id}/"]) == {"get"}
    assert set(paths["/api/v1/quotes/{id}/"]) == {"get"}
    for verb in ("consent", "decline"):
        operation = paths[f"/api/v1/quotes/{{id}}/{verb}/"]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    listed = {p["name"] for p in paths["/api/v1/repair-orders/"]["get"]["parameters"]}
    assert {
        "state",
        "application_number",
        "serial",
        "overdue",
        "shipped_after",
        "shipped_before",
        "cursor",
        "page_size",
    } <= listed
    components = schema["components"]["schemas"]
    assert components["RepairOrderStateEnum"]["enum"] == [s.value for s in OrderState]
    assert components["QuoteStateEnum"]["enum"] == [s.value for s in QuoteState]
    assert all(p.get("readOnly") for p in components["RepairOrder"]["properties"].values())


def test_the_documented_examples_have_the_shape_of_real_answers(net, dealer_api, waiting):
    order, quote = waiting
    (row,) = dealer_api.get(f"{ORDERS}/").json()["results"]
    same_shape(row, examples.ORDER_WAITING_CONSENT)
    same_shape(dealer_api.get(f"{QUOTES}/{quote.pk}/").json(), examples.QUOTE_SENT)
    consented = dealer_api.post(f"{QUOTES}/{quote.pk}/consent/", {"note": "同意"})
    same_shape(consented.json(), examples.QUOTE_CONSENTED)
    same_shape(dealer_api.get(f"{ORDERS}/{order.pk}/").json(), examples.ORDER_DETAIL_REPAIRING)
    conflict = dealer_api.post(f"{QUOTES}/{quote.pk}/consent/")
    same_shape(conflict.json(), examples.QUOTE_CONFLICT)
    too_long = dealer_api.post(f"{QUOTES}/{quote.pk}/decline/", {"note": "长" * 201})
    same_shape(too_long.json(), examples.QUOTE_BAD_INPUT)


# --- one FilterSet for the HTML list and the API ----------------------------------------------


def test_the_return_application_api_also_takes_the_html_lists_filters(net, dealer_api):
    from repairs.filtersets.returns import ApiReturnApplicationFilterSet as ApiFilterSet
    from repairs.filtersets.returns import ReturnApplicationFilterSet as HtmlFilterSet
    from service_ops.deadlines.sweep import sweep_deadlines
    from tests.repairs.test_api_returns import make_application

    assert issubclass(ApiFilterSet, HtmlFilterSet)
    waiting = make_application(net, "H1")
    draft = make_application(net, "H2", submit=False)
    sweep_deadlines(now=datetime(2027, 3, 1, 9, tzinfo=Z))  # the engineer never signed

    def ids(**params):
        response = dealer_api.get("/api/v1/return-applications/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(q="h2") == [draft.pk]
    assert ids(q=waiting.number[-4:]) == [waiting.pk]
    assert ids(dealer=net.dealer.pk) == [draft.pk, waiting.pk]
    head = session_client(net.head)  # a dealer sees no branch or province to pick
    rows = head.get("/api/v1/return-applications/", {"branch": net.cs.pk, "province": net.hn.pk})
    assert [r["id"] for r in rows.json()["results"]] == [draft.pk, waiting.pk]
    assert head.get("/api/v1/return-applications/", {"branch": net.gz.pk}).json()["results"] == []
    assert ids(overdue="true") == [waiting.pk]
    assert ids(overdue="false") == [draft.pk]
    response = dealer_api.get("/api/v1/return-applications/", {"overdue": "maybe"})
    assert response.status_code == 400 and "overdue" in response.json()
    response = dealer_api.get("/api/v1/return-applications/", {"dealer": net.dealer2.pk})
    assert response.status_code == 400 and "dealer" in response.json()  # outside its scope


def test_a_due_time_in_a_year_without_a_published_schedule_is_marked_provisional(
    client, net, dealer_api, settings
):
    # issue 15, item 13: 2027's 调休 is not published in 2026; a limit due then may still move
    settings.SERVICE_OPS = {**settings.SERVICE_OPS, "CALENDAR_OFFICIAL_THROUGH": 2026}
    late = receive_lot(
        net, ["P1", "P2", "P3", "P4"], datetime(2026, 12, 21, 9, tzinfo=Z)
    ).orders.first()  # four units: 15 working days, due in January 2027
    early = receive_lot(net, ["E1"], datetime(2026, 11, 23, 9, tzinfo=Z)).orders.get()
    assert ro.limit_deadline(late).due_at.year == 2027
    with at(2026, 12, 22, 10):
        rows = {r["id"]: r for r in dealer_api.get(f"{ORDERS}/").json()["results"]}
        client.force_login(net.head)
        late_page = client.get(late.get_absolute_url()).content.decode()
        early_page = client.get(early.get_absolute_url()).content.decode()
    assert rows[late.pk]["limit"]["due_at_provisional"] is True
    assert rows[early.pk]["limit"]["due_at_provisional"] is False
    assert "暂定" in late_page and "暂定" not in early_page
