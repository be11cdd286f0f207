"""Burn-in (老化) with the policy's minimum and packing (包装) with its list and labels: the steps
between the repair and the clerk's shipment (issue 15, item 16)."""

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from repairs.choices import OrderState
from repairs.models import ReturnPolicy
from repairs.services import orders as ro
from tests.repairs.test_orders import receive_lot
from tests.repairs.test_web_orders import MONDAY, Z, act, at, state_of


@pytest.fixture
def four_hours(net):
    """The seeded default (the `net` fixture zeroes it for the other tests)."""
    policy = ReturnPolicy.current()
    policy.burn_in_minimum_hours = ReturnPolicy._meta.get_field("burn_in_minimum_hours").default
    policy.save()
    assert policy.burn_in_minimum_hours == 4


def _repaired(net, serial, when):
    order = receive_lot(net, [serial], MONDAY).orders.get()
    with at(*when):
        ro.order_pick_up(order_id=order.pk, actor=net.tech)
        ro.order_start_repair(order_id=order.pk, actor=net.tech, diagnosis="电源模块")
        ro.order_finish_repair(order_id=order.pk, actor=net.tech)
    order.refresh_from_db()
    return order


def test_burn_in_records_its_start_and_end_and_refuses_an_end_before_the_minimum(net, four_hours):
    order = _repaired(net, "B1", (2026, 11, 23, 10))
    assert order.state == OrderState.BURN_IN
    assert order.burn_in_started_at == datetime(2026, 11, 23, 10, tzinfo=Z)
    with at(2026, 11, 23, 13, 59), pytest.raises(ValidationError) as refused:
        ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
    assert "老化至少 4 小时" in str(refused.value)
    assert state_of(order) == OrderState.BURN_IN
    # overnight burn-in counts wall-clock hours, not working time
    with at(2026, 11, 23, 14, 0):
        ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
    order.refresh_from_db()
    assert order.state == OrderState.QC
    assert order.burn_in_ended_at == datetime(2026, 11, 23, 14, tzinfo=Z)


def test_a_second_repair_restarts_the_burn_in(net, four_hours):
    order = _repaired(net, "B2", (2026, 11, 23, 9))
    with at(2026, 11, 23, 13, 30):
        ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
        ro.order_qc(order_id=order.pk, actor=net.tech, passed=False, note="老化后死机")
    with at(2026, 11, 24, 9):
        ro.order_finish_repair(order_id=order.pk, actor=net.tech)
    with at(2026, 11, 24, 12), pytest.raises(ValidationError):
        ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
    order.refresh_from_db()
    assert order.burn_in_started_at == datetime(2026, 11, 24, 9, tzinfo=Z)
    assert order.burn_in_ended_at is None


def test_the_card_shows_when_the_burn_in_may_end(client, net, four_hours):
    order = _repaired(net, "B3", (2026, 11, 23, 10))
    client.force_login(net.tech)
    with at(2026, 11, 23, 11):
        html = client.get(reverse("repairs:technician_queue")).text
        assert "老化开始 11-23 10:00，至少 4 小时，11-23 14:00 起可结束" in html
        card = act(client, order, "finish_burn_in")
        assert "老化至少 4 小时" in card.text
    assert state_of(order) == OrderState.BURN_IN


def _passed_qc(net, serial):
    order = _repaired(net, serial, (2026, 11, 23, 9))
    with at(2026, 11, 23, 10):
        ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
        ro.order_qc(order_id=order.pk, actor=net.tech, passed=True)
    return order


def test_packing_records_the_list_and_parcels_and_only_then_may_the_clerk_ship(net):
    order = _passed_qc(net, "P1")
    assert state_of(order) == OrderState.PACKING
    with pytest.raises(TransitionNotAllowed):
        ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="顺丰", tracking_number="SF1")
    with pytest.raises(ValidationError) as refused:
        ro.order_pack(order_id=order.pk, actor=net.tech, packing_list=" \n ", parcels=0)
    assert set(refused.value.message_dict) == {"packing_list", "parcels"}
    with pytest.raises(PermissionDenied):  # the clerk ships; a technician packs
        ro.order_pack(order_id=order.pk, actor=net.clerk, packing_list="主机 ×1")
    assert state_of(order) == OrderState.PACKING

    with at(2026, 11, 23, 11):
        ro.order_pack(
            order_id=order.pk, actor=net.tech, packing_list="主机 ×1\n\n 电源线 ×1 ", parcels=2
        )
    order.refresh_from_db()
    assert order.state == OrderState.PACKED
    assert order.packing_list == "主机 ×1\n电源线 ×1" and order.parcels == 2
    assert order.packed_by == net.tech and order.packed_at == datetime(2026, 11, 23, 11, tzinfo=Z)
    with pytest.raises(TransitionNotAllowed):  # packed once
        ro.order_pack(order_id=order.pk, actor=net.tech, packing_list="主机 ×1")
    ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="顺丰", tracking_number="SF1")
    assert state_of(order) == OrderState.SHIPPED


def test_the_packing_slip_prints_a_label_per_parcel_and_stays_in_scope(client, net):
    order = _passed_qc(net, "P2")
    ro.order_pack(order_id=order.pk, actor=net.tech, packing_list="主机 ×1\n电源线 ×1", parcels=3)
    url = reverse("repairs:order_packing_label", args=[order.pk])
    client.force_login(net.tech)
    html = client.get(url).text
    assert "装箱单" in html and order.number in html and "电源线 ×1" in html
    assert html.count('class="label"') == 3
    assert "第 1/3 件" in html and "第 3/3 件" in html
    assert "湘江代理商" in html  # goes back to the unit that shipped it
    client.force_login(net.dealer2_user)
    assert client.get(url).status_code == 404
    client.force_login(net.dealer_user)
    assert client.get(url).status_code == 200


def test_the_order_page_shows_the_burn_in_and_the_packing(client, net):
    order = _passed_qc(net, "P3")
    client.force_login(net.tech)
    page = client.get(order.get_absolute_url()).text
    assert "装箱清单" in page and "打印装箱单和标签" in page
    ro.order_pack(order_id=order.pk, actor=net.tech, packing_list="主机 ×1", parcels=1)
    page = client.get(order.get_absolute_url()).text
    assert "2026-11-23 09:00 → 2026-11-23 10:00" in page
    assert "主机 ×1" in page and "装箱单和标签" in page
