"""The partner repair-order list is served from values() rows (service_ops.api.rows), not model
instances: its body must be RepairOrderSerializer's byte for byte — through the serializer as the
view used it before, and through DRF's own ListSerializer — over orders made to cover every
state, choice and empty field, in both languages and two timezones; a dealer still sees its own
orders only, and a page costs the same queries whatever its size. (The demo-data comparison of
every partner list is tests/core/test_compiled_serializers.py; it needs its own module, the
demo's organisation and the `net` fixture's cannot live side by side.)"""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from repairs.api.serializers import orders as order_serializers
from repairs.api.views.orders import RepairOrderViewSet
from repairs.choices import OrderState, QuoteState, ServiceType
from repairs.models import RepairOrder
from service_ops.api import compiled
from service_ops.deadlines.models import DeadlineStatus
from tests.core.test_compiled_serializers import _drf_nested, _serializer_list

User = get_user_model()


# --- the repair-order list from values() rows -----------------------------------------------------
Z = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, tzinfo=Z)
ORDERS = "/api/v1/repair-orders/"


@pytest.fixture
def every_kind_of_order(net):
    """Orders of the dealer in every state, with every service type, urgency and warranty
    answer; repair limits in every status (one order without any), extended and paused; quotes
    in every state with lines of every kind (one order with two); technicians with and without
    a full name; empty dates, counts and texts beside filled ones."""
    from repairs.choices import QuoteLineKind, QuoteState, ServiceType, Urgency
    from repairs.models import Quote, QuoteLine
    from repairs.services import orders as ro
    from service_ops.deadlines.models import BallHolder, DeadlineStatus
    from service_ops.i18n import deferred
    from tests.repairs.test_api_orders import quote_sent
    from tests.repairs.test_orders import receive_lot

    states = list(OrderState.values)
    lot = receive_lot(net, [f"RP{i:02d}" for i in range(len(states) + 3)], MONDAY)
    orders = list(lot.orders.order_by("id"))
    # a real walk for two: warranty reasons written by the service, a sent quote waiting
    quote_sent(net, orders[0], MONDAY + timedelta(hours=2))
    quote_sent(net, orders[1], MONDAY + timedelta(hours=3))
    named = User.objects.create(username="li.tech", first_name="李", last_name="师傅")
    service_types = ["", *ServiceType.values]
    ball_holders = BallHolder.values
    stamp_missing = deferred("保修卡没有销售店印章").to_dict()
    for i, order in enumerate(orders[2:], start=2):
        state = states[i % len(states)]
        shipped = state in (OrderState.SHIPPED, OrderState.CLOSED)
        RepairOrder.objects.filter(pk=order.pk).update(
            state=state,
            service_type=service_types[i % len(service_types)],
            urgency=Urgency.values[i % 2],
            in_warranty=[None, True, False][i % 3],
            warranty_reasons=[] if i % 2 else ["misuse", stamp_missing],
            technician=[None, net.tech, named][i % 3],
            picked_up_at=None if i % 3 == 0 else MONDAY + timedelta(hours=i),
            purchase_date=None if i % 4 == 0 else date(2026, 9, i),
            serial_number="" if i == 3 else order.serial_number,
            fault_description="" if i == 4 else "不定位，重启无效",
            waiting_parts_reason="主板缺货" if state == OrderState.WAITING_PARTS else "",
            waiting_parts_until=date(2026, 12, 1) if state == OrderState.WAITING_PARTS else None,
            burn_in_started_at=MONDAY + timedelta(days=1, microseconds=123456) if i % 2 else None,
            burn_in_ended_at=MONDAY + timedelta(days=2) if i % 4 == 1 else None,
            parcels=2 if shipped else None,
            packing_list="主机 ×1，电源 ×1" if shipped else "",
            packed_at=MONDAY + timedelta(days=3) if shipped else None,
            carrier="顺丰" if shipped else "",
            tracking_number=f"SF100{i}" if shipped else "",
            shipped_on=date(2026, 11, 27) if shipped else None,
            shipped_at=MONDAY + timedelta(days=4) if shipped else None,
            closed_at=MONDAY + timedelta(days=5) if state == OrderState.CLOSED else None,
            repair_count=i % 3,
            qc_failures=i % 2,
        )
        limit = ro.limit_deadline(order)
        if i == 2:
            limit.delete()
            continue
        status = DeadlineStatus.values[i % len(DeadlineStatus.values)]
        paused = status == DeadlineStatus.PAUSED
        closed = status in (DeadlineStatus.MET, DeadlineStatus.LATE, DeadlineStatus.CANCELLED)
        type(limit).objects.filter(pk=limit.pk).update(
            status=status,
            extension=Decimal("2.50") if i % 5 == 0 else Decimal(0),
            paused_at=MONDAY + timedelta(hours=30) if paused else None,
            pause_reason="等待客户确认报价" if paused else "",
            ball_holder=ball_holders[i % len(ball_holders)] if paused else "",
            paused_seconds=3600 * i,
            breached_at=MONDAY + timedelta(days=20) if status == DeadlineStatus.BREACHED else None,
            closed_at=MONDAY + timedelta(days=4) if closed else None,
        )
    # an older quote of the same order: the list shows the newest only
    Quote.objects.create(order=orders[3], state=QuoteState.DECLINED, raised_by=net.tech)
    for i, state in enumerate(QuoteState.values):
        order = orders[3 + i]
        quote = Quote.objects.create(
            order=order,
            state=state,
            total=Decimal("123.40") + i,
            raised_by=net.tech,
            sent_at=None if state == QuoteState.RAISED else MONDAY + timedelta(hours=5),
        )
        for j, kind in enumerate(QuoteLineKind.values[: i + 1]):
            QuoteLine.objects.create(
                quote=quote, kind=kind, description="" if j else "主板", amount=Decimal(j + 1)
            )
    return orders


def _bytes_both_ways(client, url):
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=Z), tick=False):
        served = client.get(url)
        with pytest.MonkeyPatch.context() as m:
            m.setattr(RepairOrderViewSet, "list", _serializer_list)
            by_serializer = client.get(url)
            m.setattr(
                compiled.CompiledListSerializer,
                "to_representation",
                serializers.ListSerializer.to_representation,
            )
            m.setattr(order_serializers, "nested", _drf_nested)
            by_drf = client.get(url)
    assert served.status_code == by_serializer.status_code == by_drf.status_code == 200
    return served.content, by_serializer.content, by_drf.content


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_order_list_rows_are_the_serializers_json_byte_for_byte(
    net, every_kind_of_order, language, zone
):
    from tests.repairs.test_api_returns import session_client, token_client

    dealer = token_client(net.dealer, net.dealer_user)
    dealer.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    head = session_client(net.head)
    head.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    with timezone.override(ZoneInfo(zone)):
        for client, url in [
            (dealer, f"{ORDERS}?page_size=200"),
            (dealer, f"{ORDERS}?page_size=5"),
            (dealer, f"{ORDERS}?state=waiting_consent&state=shipped"),
            (head, f"{ORDERS}?page_size=200"),
        ]:
            served, by_serializer, by_drf = _bytes_both_ways(client, url)
            assert served == by_serializer == by_drf, url
    body = json.loads(served)
    rows = body["results"]
    assert len(rows) == len(every_kind_of_order)
    assert {row["state"] for row in rows} == set(OrderState.values)
    assert any(row["limit"] is None for row in rows)
    assert {row["limit"]["status"] for row in rows if row["limit"]} == set(DeadlineStatus.values)
    assert {row["quote"]["state"] for row in rows if row["quote"]} == set(QuoteState.values)
    assert {row["service_type"] for row in rows} == {"", *ServiceType.values}
    assert {row["technician_name"] for row in rows} >= {None, "tech", "李 师傅"}
    assert any(row["shipment"] for row in rows) and any(row["quote"] for row in rows)


def test_a_dealer_sees_only_its_own_orders_on_the_row_path(net, every_kind_of_order):
    from tests.repairs.test_api_returns import token_client

    mine = token_client(net.dealer, net.dealer_user).get(f"{ORDERS}?page_size=200").json()
    assert {row["id"] for row in mine["results"]} == {o.pk for o in every_kind_of_order}
    other = token_client(net.dealer2, net.dealer2_user).get(f"{ORDERS}?page_size=200").json()
    assert other["results"] == []


@pytest.mark.parametrize("page_size", [2, 200])
def test_the_order_list_costs_the_same_queries_whatever_the_page_size(
    net, every_kind_of_order, page_size, django_assert_max_num_queries
):
    from tests.repairs.test_api_returns import token_client

    dealer = token_client(net.dealer, net.dealer_user)
    dealer.get(ORDERS)  # the token's last-used write, cached content types
    # the token, the dealer's units, the orders, their limits (and the calendar's version),
    # quotes with their lines, answer times: a page of 2 or of every order alike
    with django_assert_max_num_queries(7):
        response = dealer.get(f"{ORDERS}?page_size={page_size}")
    assert len(response.json()["results"]) == min(page_size, len(every_kind_of_order))
