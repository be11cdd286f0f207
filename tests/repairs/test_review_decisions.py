"""The Wednesday/Saturday review's decisions start their flows (issue 15, item 6): a waiting limit
is its own timer while the breach stays recorded, even for a batch at the 15-day ceiling; a loaner
is lent; "return" sends the unit back unrepaired; undecided units carry over; an overdue unit whose
clock is paused for a quote stays on the list."""

from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from repairs.choices import LoanState, OrderState, ReviewDecision
from repairs.models import LoanerUnit, ReviewItem
from repairs.services import orders as ro
from service_ops.deadlines.models import DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from tests.repairs.test_orders import Z, _picked_and_quoted, receive_lot

MONDAY = datetime(2026, 11, 23, 9, tzinfo=Z)


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=Z), tick=False)


def _overdue_batch(net):
    """Four units received on Monday 23 November: a batch, 15 working days (due Mon 14 Dec)."""
    lot = receive_lot(net, ["B1", "B2", "B3", "B4"], MONDAY)
    sweep_deadlines(now=datetime(2026, 12, 15, 9, tzinfo=Z))
    return list(lot.orders.order_by("pk"))


def _decide(net, item, **kwargs):
    return ro.review_decide(item_id=item.pk, actor=net.repair_sup, **kwargs)


def test_a_batch_at_the_ceiling_gets_a_waiting_limit_as_its_own_timer(net):
    orders = _overdue_batch(net)
    limit = ro.limit_deadline(orders[0])
    assert limit.status == DeadlineStatus.BREACHED
    assert limit.due_at == datetime(2026, 12, 14, 18, tzinfo=Z)  # already the 15-day ceiling
    meeting = ro.review_build(held_on=date(2026, 12, 16), now=datetime(2026, 12, 16, 9, tzinfo=Z))
    assert {i.order for i in meeting.items.all()} == set(orders)
    item = meeting.items.get(order=orders[0])
    assert item.overdue_days == 1  # 15 December, counted from the original limit

    with at(2026, 12, 16, 10):
        _decide(
            net,
            item,
            decision=ReviewDecision.MORE_TIME,
            wait_reason="technical",
            new_wait_until=date(2026, 12, 22),
            note="主板方案待研发确认",
        )
    waiting = ro.waiting_deadline(orders[0])
    assert waiting.due_at == datetime(2026, 12, 22, 18, tzinfo=Z)
    assert waiting.status == DeadlineStatus.RUNNING and "技术问题" in waiting.label
    limit.refresh_from_db()
    assert limit.status == DeadlineStatus.BREACHED  # the breach stays recorded
    assert limit.due_at == datetime(2026, 12, 14, 18, tzinfo=Z)
    assert Notification.objects.filter(
        recipient=net.dealer_user, subject__contains="新的等待时限"
    ).exists()

    # Saturday: the promised unit is off the list; the three undecided ones carry over
    saturday = ro.review_build(held_on=date(2026, 12, 19), now=datetime(2026, 12, 19, 9, tzinfo=Z))
    assert {i.order for i in saturday.items.all()} == set(orders[1:])

    # the promise broken: its own timer breaches and the unit is back on the next list
    sweep_deadlines(now=datetime(2026, 12, 23, 9, tzinfo=Z))
    waiting.refresh_from_db()
    assert waiting.status == DeadlineStatus.BREACHED
    wednesday = ro.review_build(held_on=date(2026, 12, 23), now=datetime(2026, 12, 23, 9, tzinfo=Z))
    assert orders[0] in {i.order for i in wednesday.items.all()}
    assert wednesday.items.get(order=orders[0]).overdue_days == 6


def test_a_waiting_limit_is_checked_and_a_decision_is_recorded_once(net):
    (order, *_rest) = _overdue_batch(net)
    meeting = ro.review_build(held_on=date(2026, 12, 16), now=datetime(2026, 12, 16, 9, tzinfo=Z))
    item = meeting.items.get(order=order)
    with at(2026, 12, 16, 10):
        with pytest.raises(ValidationError) as refused:
            _decide(net, item, decision=ReviewDecision.MORE_TIME)
        assert set(refused.value.message_dict) == {"wait_reason", "new_wait_until"}
        for day, message in (
            (date(2026, 12, 16), "须晚于今天"),
            (date(2026, 12, 19), "应为工作日"),  # a Saturday
            (date(2027, 6, 1), "不能超过 90 天"),
        ):
            with pytest.raises(ValidationError, match=message):
                _decide(
                    net,
                    item,
                    decision=ReviewDecision.MORE_TIME,
                    wait_reason="parts",
                    new_wait_until=day,
                )
        assert ro.waiting_deadline(order) is None
        _decide(net, item, decision=ReviewDecision.ESCALATE, note="请部长协调研发")
        with pytest.raises(ValidationError, match="已记录决定「上报客服部长」"):
            _decide(net, item, decision=ReviewDecision.RETURN)
    assert Notification.objects.filter(
        recipient=net.head, subject__contains="超期维修上报"
    ).exists()


def test_loaner_lends_one_and_return_sends_the_unit_back_unrepaired(net):
    orders = _overdue_batch(net)
    meeting = ro.review_build(held_on=date(2026, 12, 16), now=datetime(2026, 12, 16, 9, tzinfo=Z))
    loaner = LoanerUnit.objects.create(serial_number="BY-1", product_model="GPS-X1")
    with at(2026, 12, 16, 10):
        first = meeting.items.get(order=orders[0])
        with pytest.raises(ValidationError, match="请选择借出的备用机"):
            _decide(net, first, decision=ReviewDecision.LOANER)
        _decide(net, first, decision=ReviewDecision.LOANER, loaner_id=loaner.pk)
        first.refresh_from_db()
        assert first.loan.loaner == loaner and first.loan.state == LoanState.LENT
        loaner.refresh_from_db()
        assert not loaner.is_available

        # "return" needs a unit on the bench: picked up, not yet boxed
        second = meeting.items.get(order=orders[1])
        with pytest.raises(ValidationError, match="不能直接不修退回"):
            _decide(net, second, decision=ReviewDecision.RETURN)  # still waiting for pickup
        ro.order_pick_up(order_id=orders[1].pk, actor=net.tech)
        _decide(net, second, decision=ReviewDecision.RETURN, note="公司暂无解决方案")
    orders[1].refresh_from_db()
    assert orders[1].state == OrderState.RETURN_UNREPAIRED
    assert Notification.objects.filter(
        recipient=net.dealer_user, subject__contains="将不修退回"
    ).exists()
    # the clerk ships it back; shipping closes its limit (and any waiting limit)
    ro.order_ship(order_id=orders[1].pk, actor=net.clerk, carrier="顺丰", tracking_number="SF")
    assert ro.limit_deadline(orders[1]) is None


def test_an_overdue_unit_paused_for_a_quote_stays_on_the_list(net):
    lot = receive_lot(net, ["Q1"], MONDAY)  # due Thu 26 Nov
    sweep_deadlines(now=datetime(2026, 11, 27, 9, tzinfo=Z))
    order, quote = _picked_and_quoted(net, lot, datetime(2026, 11, 27, 10, tzinfo=Z))
    with at(2026, 11, 27, 11):
        ro.quote_send(quote_id=quote.pk, actor=net.clerk)
    limit = ro.limit_deadline(order)
    assert limit.status == DeadlineStatus.PAUSED and limit.breached_at is not None
    meeting = ro.review_build(held_on=date(2026, 11, 28), now=datetime(2026, 11, 28, 9, tzinfo=Z))
    assert [i.order for i in meeting.items.all()] == [order]


def test_the_review_page_shows_each_decision_and_what_the_last_meeting_left(client, net):
    orders = _overdue_batch(net)
    ro.review_build(held_on=date(2026, 12, 16), now=datetime(2026, 12, 16, 9, tzinfo=Z))
    saturday = ro.review_build(held_on=date(2026, 12, 19), now=datetime(2026, 12, 19, 9, tzinfo=Z))
    item = saturday.items.get(order=orders[0])
    client.force_login(net.repair_sup)
    with at(2026, 12, 19, 10):
        page = client.get(saturday.get_absolute_url()).text
        assert "12-16 评审：未决定，顺延本次" in page
        response = client.post(
            reverse("repairs:review_decide", args=[item.pk]),
            {"decision": "escalate", "note": "请部长协调"},
            follow=True,
        )
    assert f"已记录 {orders[0].number} 的评审决定：上报客服部长" in response.text
    item.refresh_from_db()
    assert item.decision == ReviewDecision.ESCALATE
    assert ReviewItem.objects.filter(order=orders[0], decision="").count() == 1  # Wednesday's
