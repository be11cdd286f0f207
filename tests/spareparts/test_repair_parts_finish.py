"""Repairs use parts, the finishing slice of issue 19: a unit given up after its parts were
issued puts them back in stock through the ledger (and bills none of them), its waiting lines
released; a paid part found during the repair is charged by a supplementary quote and issued only
on its consent; the same part twice on an order, or a quote line repeating a part line, is
refused with a clear error; the field form records a warranty replacement's two serials on the
line and leaves the faulty part owed back by its due date."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from repairs.choices import OrderState, PartLineState, ReviewDecision
from repairs.models import StatementPartLine
from repairs.services import orders as ro
from repairs.services import parts as rp
from service_ops.deadlines.models import Deadline
from service_ops.deadlines.sweep import sweep_deadlines
from spareparts.choices import FaultyState, MovementKind, ReservationState
from spareparts.models import FaultyPartReturn, StockMovement
from tests.spareparts.test_repair_parts import Z, at, balance, parts_client, picked_order, stock

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 9, 10, tzinfo=Z)


def test_a_repair_given_up_after_its_parts_were_issued_puts_them_back_in_stock(parts):
    stock(parts, parts.board, 3)
    order = picked_order(parts, "G1")  # one unit: due Thursday 12 November 18:00
    board = rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.board, quantity=2)
    with at(MONDAY):
        ro.order_start_repair(order_id=order.pk, actor=parts.tech)
        # found while repairing, not in stock: the order goes on the hold waiting for it
        antenna = rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.antenna)
    board.refresh_from_db()
    order.refresh_from_db()
    assert board.state == PartLineState.ISSUED and antenna.state == PartLineState.WAITING
    assert order.state == OrderState.WAITING_PARTS
    assert (
        balance(parts.board, parts.hq_wh).on_hand,
        balance(parts.board, parts.hq_wh).reserved,
    ) == (1, 0)

    # overdue, and the Saturday review decides: no solution, back unrepaired
    sweep_deadlines(now=datetime(2026, 11, 13, 9, tzinfo=Z))
    meeting = ro.review_build(held_on=date(2026, 11, 14), now=datetime(2026, 11, 14, 9, tzinfo=Z))
    item = meeting.items.get(order=order)
    with at(datetime(2026, 11, 14, 10, tzinfo=Z)):
        ro.review_decide(
            item_id=item.pk, actor=parts.repair_sup, decision=ReviewDecision.RETURN, note="无方案"
        )
    order.refresh_from_db()
    board.refresh_from_db()
    antenna.refresh_from_db()
    assert order.state == OrderState.RETURN_UNREPAIRED
    assert board.state == PartLineState.RETURNED and board.returned_at is not None
    assert antenna.state == PartLineState.RELEASED
    b = balance(parts.board, parts.hq_wh)
    assert (b.on_hand, b.reserved) == (3, 0)  # both boards back
    back = StockMovement.objects.get(kind=MovementKind.RETURN, part=parts.board)
    assert back.on_hand_change == 2 and back.source_id == board.pk
    assert order.number in back.reason and "不修退回" in back.reason
    # the ledger still balances: the sum of the movements is the balance
    moves = StockMovement.objects.filter(part=parts.board, warehouse=parts.hq_wh)
    assert sum(m.on_hand_change for m in moves) == b.on_hand

    # shipped back, the month-end statement bills none of the returned parts
    with at(datetime(2026, 11, 16, 10, tzinfo=Z)):
        ro.order_ship(order_id=order.pk, actor=parts.clerk, carrier="顺丰", tracking_number="G1")
    with at(datetime(2026, 12, 1, 9, tzinfo=Z)):
        statement = ro.statement_build(branch=parts.cs, month=date(2026, 11, 1), actor=parts.clerk)
    assert not StatementPartLine.objects.filter(statement=statement).exists()
    html = parts_client(parts, parts.tech).get(order.get_absolute_url()).content.decode()
    assert "已退库" in html


def test_a_paid_part_found_during_the_repair_is_charged_by_a_supplementary_quote(parts):
    stock(parts, parts.board, 2)
    stock(parts, parts.cable, 2)
    order = picked_order(parts, "Q1")  # a free repair
    rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.cable)
    with at(MONDAY):
        ro.order_start_repair(order_id=order.pk, actor=parts.tech)
        # the customer wants the board changed too: a paid line, reserved, not issued
        paid = rp.part_line_add(
            order_id=order.pk,
            actor=parts.tech,
            part=parts.board,
            in_warranty=False,
            warranty_note="客户要求更换外壳损坏的主板",
        )
    assert paid.state == PartLineState.RESERVED and paid.quote_id is None
    with pytest.raises(ValidationError, match="补充报价"):
        ro.order_finish_repair(order_id=order.pk, actor=parts.tech)

    tech = parts_client(parts, parts.tech)
    page = tech.get(order.get_absolute_url())
    assert "提出补充报价" in page.content.decode() and "raise_quote" in page.context["actions"]

    with at(MONDAY):
        # a hand-typed parts line naming the board would charge it twice
        with pytest.raises(ValidationError, match="GPS-MB-01 已作为收费配件"):
            ro.order_raise_quote(
                order_id=order.pk,
                actor=parts.tech,
                lines=[ro.QuoteLineInput("parts", Decimal("380"), "更换 GPS-MB-01 主板")],
            )
        quote = ro.order_raise_quote(order_id=order.pk, actor=parts.tech, lines=[])
        assert list(quote.lines.values_list("kind", "amount")) == [("parts", Decimal("380.00"))]
        paid.refresh_from_db()
        assert paid.quote_id == quote.pk and paid.state == PartLineState.RESERVED
        ro.quote_send(quote_id=quote.pk, actor=parts.clerk)
        ro.quote_answer(
            quote_id=quote.pk, actor=parts.dealer_user, consent=True, signature="王经理"
        )
    order.refresh_from_db()
    paid.refresh_from_db()
    assert order.state == OrderState.REPAIRING
    assert paid.state == PartLineState.ISSUED
    assert paid.reservation.state == ReservationState.ISSUED
    with at(MONDAY):
        ro.order_finish_repair(order_id=order.pk, actor=parts.tech)
    order.refresh_from_db()
    assert order.state == OrderState.BURN_IN


def test_the_same_part_twice_and_a_repeated_quote_line_are_refused_with_a_clear_error(parts):
    stock(parts, parts.cable, 5)
    order = picked_order(parts, "D1", paid=True)
    rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.cable, quantity=2)
    with pytest.raises(ValidationError) as refused:
        rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.cable)
    assert "PWR-CBL-03 已在本单配件中（数量 2）" in str(refused.value.message_dict["part"])
    # on the order page the form says it
    url = reverse("repairs:order_act", args=[order.pk, "add_part"])
    bad = parts_client(parts, parts.tech).post(url, {"part_number": "PWR-CBL-03", "quantity": 1})
    assert bad.status_code == 400 and "已在本单配件中" in bad.content.decode()
    assert order.part_lines.count() == 1
    # the same charge typed twice on a quote
    with at(MONDAY), pytest.raises(ValidationError, match="第 2 项与第 1 项重复"):
        ro.order_raise_quote(
            order_id=order.pk,
            actor=parts.tech,
            lines=[
                ro.QuoteLineInput("labour", Decimal("80"), "board labour"),
                ro.QuoteLineInput("labour", Decimal("80"), " Board  labour "),
            ],
        )


def test_the_field_form_records_a_warranty_replacement_and_the_faulty_part_is_owed(parts):
    parts.board.serialised = True
    parts.board.save()
    stock(parts, parts.board, 1)
    order = picked_order(parts, "F1")
    line = rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.board)
    url = reverse("repairs:order_replacement", args=[order.pk])
    tech = parts_client(parts, parts.tech)
    assert "没有待登记的保修更换配件" in tech.get(url).content.decode()  # not issued yet
    with at(MONDAY):
        ro.order_start_repair(order_id=order.pk, actor=parts.tech)
        page = tech.get(url)
        assert page.status_code == 200 and "GPS-MB-01" in page.content.decode()
        same = tech.post(url, {"line": line.pk, "faulty_serial": "SN-9", "new_serial": "SN-9"})
        assert same.status_code == 400 and "新件序列号不能与旧件相同" in same.content.decode()
        done = tech.post(
            url, {"line": line.pk, "faulty_serial": "sn-old-1", "new_serial": "SN-NEW-1"}
        )
    assert done.status_code == 302
    line.refresh_from_db()
    assert (line.faulty_serial, line.new_serial) == ("sn-old-1", "SN-NEW-1")
    owed = FaultyPartReturn.objects.get()
    assert owed.state == FaultyState.OWED and owed.owed_by == parts.tech
    assert (owed.faulty_serial, owed.new_serial, owed.source_id) == (
        "sn-old-1",
        "SN-NEW-1",
        line.pk,
    )
    assert owed.due_on == date(2026, 11, 30)  # 15 working days after Monday 9 November
    assert Deadline.objects.filter(owner_id=owed.pk, policy__code="faulty-part-return").exists()
    # the order page and the form show both serials; the form has nothing left to record
    html = tech.get(order.get_absolute_url()).content.decode()
    assert "sn-old-1" in html and "SN-NEW-1" in html
    after = tech.get(url).content.decode()
    assert "应于 2026-11-30 前返还" in after and "没有待登记的保修更换配件" in after
    # once recorded it cannot be recorded again
    again = tech.post(url, {"line": line.pk, "faulty_serial": "X", "new_serial": "Y"})
    assert again.status_code == 400
    # the dealer following the order may not record; another dealer does not see the order
    assert parts_client(parts, parts.dealer_user).get(url).status_code == 403
    assert parts_client(parts, parts.dealer2_user).get(url).status_code == 404
