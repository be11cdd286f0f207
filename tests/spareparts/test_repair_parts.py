"""Repairs use parts (issue 19, items 3 and 4): a repair order's part lines are reserved in the
headquarters parts warehouse while diagnosing, issued when the repair starts and released when the
unit goes back unrepaired; a missing part puts the order on the waiting-for-parts hold and its
arrival, first come first served, takes it off; the month-end statement lists each issued line at
its price (a warranty line free with its cost, a paid line charged); a part replaced under
warranty keeps both serials and the faulty part is owed back by a due date."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from repairs.choices import OrderState, PartLineState
from repairs.models import StatementPartLine
from repairs.services import orders as ro
from repairs.services import parts as rp
from service_ops.deadlines.models import Deadline
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from spareparts.choices import FaultyState, ReservationState, WarehouseKind
from spareparts.models import FaultyPartReturn, StockBalance
from spareparts.services import faulty as sf
from spareparts.services.stock import stock_receive, stock_transfer
from tests.repairs.test_orders import receive_lot

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 9, 10, tzinfo=Z)


def at(moment):
    return time_machine.travel(moment, tick=False)


def balance(part, warehouse):
    return StockBalance.objects.get(part=part, warehouse=warehouse)


def picked_order(parts, serial, *, paid=False, when=MONDAY):
    """A unit received and picked up by the technician: in warranty unless `paid`."""
    lot = receive_lot(parts, [serial], when, purchase_date=None if paid else date(2026, 9, 1))
    order = lot.orders.get()
    with at(when):
        ro.order_pick_up(order_id=order.pk, actor=parts.tech)
        if not paid:
            ro.order_assess_warranty(order_id=order.pk, actor=parts.tech, exclusions=[])
    order.refresh_from_db()
    return order


def stock(parts, part, quantity):
    stock_receive(part=part, warehouse=parts.hq_wh, quantity=quantity, actor=parts.parts_clerk)


def test_a_free_repairs_parts_are_reserved_while_diagnosing_and_issued_when_the_repair_starts(
    parts,
):
    stock(parts, parts.board, 3)
    order = picked_order(parts, "P1")
    line = rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.board, quantity=2)
    assert line.state == PartLineState.RESERVED and line.in_warranty is True
    assert line.unit_price == Decimal("380.00") and line.unit_cost == Decimal("6.00")
    assert (
        balance(parts.board, parts.hq_wh).on_hand,
        balance(parts.board, parts.hq_wh).reserved,
    ) == (3, 2)

    ro.order_start_repair(order_id=order.pk, actor=parts.tech)
    line.refresh_from_db()
    assert line.state == PartLineState.ISSUED
    assert line.reservation.state == ReservationState.ISSUED
    b = balance(parts.board, parts.hq_wh)
    assert (b.on_hand, b.reserved) == (1, 0)


def test_a_repair_returned_unrepaired_releases_its_reservation(parts):
    stock(parts, parts.board, 1)
    order = picked_order(parts, "P2", paid=True)
    line = rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.board)
    assert line.in_warranty is False and line.state == PartLineState.RESERVED
    with at(MONDAY):
        quote = ro.order_raise_quote(
            order_id=order.pk,
            actor=parts.tech,
            lines=[ro.QuoteLineInput("labour", Decimal("80"))],
        )
        # the paid part is on the quote at its price
        assert sorted(quote.lines.values_list("kind", "amount")) == [
            ("labour", Decimal("80.00")),
            ("parts", Decimal("380.00")),
        ]
        assert quote.total == Decimal("460")
        ro.quote_send(quote_id=quote.pk, actor=parts.clerk)
        ro.quote_answer(quote_id=quote.pk, actor=parts.dealer_user, consent=False)
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.state == OrderState.RETURN_UNREPAIRED
    assert line.state == PartLineState.RELEASED
    assert line.reservation.state == ReservationState.RELEASED
    b = balance(parts.board, parts.hq_wh)
    assert (b.on_hand, b.reserved) == (1, 0)


def test_a_missing_part_puts_the_order_on_hold_naming_it_and_its_arrival_releases_the_hold(
    parts, django_capture_on_commit_callbacks
):
    order = picked_order(parts, "P3")
    line = rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.board)
    assert line.state == PartLineState.WAITING
    ro.order_start_repair(order_id=order.pk, actor=parts.tech)
    order.refresh_from_db()
    assert order.state == OrderState.WAITING_PARTS
    assert "GPS-MB-01" in order.waiting_parts_reason

    with django_capture_on_commit_callbacks(execute=True):
        stock(parts, parts.board, 1)
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.state == OrderState.REPAIRING and order.waiting_parts_reason == ""
    assert line.state == PartLineState.ISSUED
    assert Notification.objects.filter(
        recipient=parts.tech, subject__contains=order.number
    ).exists()
    # the same arrival told twice changes nothing
    assert rp.parts_stock_arrived(part_id=parts.board.pk, warehouse_id=parts.hq_wh.pk) == 0


def test_arriving_stock_serves_the_orders_waiting_for_it_first_come_first_served(
    parts, django_capture_on_commit_callbacks
):
    first, second = picked_order(parts, "F1"), picked_order(parts, "F2")
    for order in (first, second):
        rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.antenna)
        ro.order_start_repair(order_id=order.pk, actor=parts.tech)
    with django_capture_on_commit_callbacks(execute=True):
        stock(parts, parts.antenna, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (OrderState.REPAIRING, OrderState.WAITING_PARTS)
    # the second one arrives by a transfer from the field office back to headquarters
    stock_receive(
        part=parts.antenna, warehouse=parts.office_wh, quantity=1, actor=parts.parts_clerk
    )
    with django_capture_on_commit_callbacks(execute=True):
        stock_transfer(
            part=parts.antenna,
            from_warehouse=parts.office_wh,
            to_warehouse=parts.hq_wh,
            quantity=1,
            actor=parts.parts_clerk,
        )
    second.refresh_from_db()
    assert second.state == OrderState.REPAIRING


def test_the_statement_shows_issued_parts_at_their_price_a_warranty_line_free_a_paid_one_charged(
    parts,
):
    stock(parts, parts.board, 5)
    stock(parts, parts.cable, 5)
    when = datetime(2026, 11, 10, 10, tzinfo=Z)
    # a free repair: its board under warranty
    free = picked_order(parts, "S1", when=when)
    rp.part_line_add(order_id=free.pk, actor=parts.tech, part=parts.board)
    # a paid repair: its cable charged through the quote
    paid = picked_order(parts, "S2", paid=True, when=when)
    rp.part_line_add(order_id=paid.pk, actor=parts.tech, part=parts.cable, quantity=2)
    with at(when):
        ro.order_start_repair(order_id=free.pk, actor=parts.tech)
        quote = ro.order_raise_quote(
            order_id=paid.pk, actor=parts.tech, lines=[ro.QuoteLineInput("labour", Decimal("50"))]
        )
        ro.quote_send(quote_id=quote.pk, actor=parts.clerk)
        ro.quote_answer(
            quote_id=quote.pk, actor=parts.dealer_user, consent=True, signature="王经理"
        )
        (board_line,) = free.part_lines.all()
        rp.part_line_record_serials(
            line_id=board_line.pk, actor=parts.tech, faulty_serial="OLD-1", new_serial="NEW-1"
        )
        for order in (free, paid):
            ro.order_finish_repair(order_id=order.pk, actor=parts.tech)
            ro.order_finish_burn_in(order_id=order.pk, actor=parts.tech)
            ro.order_qc(order_id=order.pk, actor=parts.tech, passed=True)
            ro.order_pack(order_id=order.pk, actor=parts.tech, packing_list="主机 ×1")
            ro.order_ship(
                order_id=order.pk, actor=parts.clerk, carrier="顺丰", tracking_number=order.number
            )
    with at(datetime(2026, 12, 1, 9, tzinfo=Z)):
        statement = ro.statement_build(branch=parts.cs, month=date(2026, 11, 1), actor=parts.clerk)
    rows = {
        r.part_number: (r.quantity, r.unit_price, r.in_warranty, r.charged, r.cost)
        for r in StatementPartLine.objects.filter(statement=statement)
    }
    assert rows == {
        "GPS-MB-01": (1, Decimal("380.00"), True, Decimal("0.00"), Decimal("6.00")),
        "PWR-CBL-03": (2, Decimal("12.00"), False, Decimal("24.00"), Decimal("12.00")),
    }
    # the paid line is billed once, in the parts fee of the consented quote
    assert (statement.repair_fees, statement.parts_fees, statement.total) == (
        Decimal("50"),
        Decimal("24"),
        Decimal("74"),
    )
    assert statement.warranty_parts_cost == Decimal("6.00")
    # the exports for finance carry the part lines too
    from io import BytesIO

    from openpyxl import load_workbook

    from repairs.statement_exports import statement_pdf, statement_xlsx

    sheet = load_workbook(BytesIO(statement_xlsx(statement)))["配件明细"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[1][1:7] == ["GPS-MB-01", "GPS 主板", 1, 380, "保修免费", 0]
    assert cells[-1][-1] == 6
    assert statement_pdf(statement).startswith(b"%PDF")
    page = parts_client(parts, parts.clerk).get(statement.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and "GPS-MB-01" in html and "OLD-1" not in html


def parts_client(parts, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_warranty_replacement_keeps_both_serials_on_the_order_and_the_faulty_part_goes_back(
    parts,
):
    parts.board.serialised = True
    parts.board.save()
    stock(parts, parts.board, 1)
    order = picked_order(parts, "W1")
    line = rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.board)
    ro.order_start_repair(order_id=order.pk, actor=parts.tech)
    with pytest.raises(ValidationError, match="序列号"):
        ro.order_finish_repair(order_id=order.pk, actor=parts.tech)
    with pytest.raises(ValidationError):
        rp.part_line_record_serials(
            line_id=line.pk, actor=parts.tech, faulty_serial="SN-A", new_serial="SN-A"
        )
    rp.part_line_record_serials(
        line_id=line.pk, actor=parts.tech, faulty_serial="SN-OLD", new_serial="SN-NEW"
    )
    line.refresh_from_db()
    assert (line.faulty_serial, line.new_serial) == ("SN-OLD", "SN-NEW")
    (owed,) = FaultyPartReturn.objects.all()
    assert (owed.faulty_serial, owed.new_serial, owed.part_id) == (
        "SN-OLD",
        "SN-NEW",
        parts.board.pk,
    )
    assert owed.source_label == order.number and owed.unit_cost == Decimal("6.00")
    # the workshop at headquarters hands it in at once: into the faulty stock, not the parts
    assert owed.state == FaultyState.RECEIVED
    faulty_wh = sf.faulty_warehouse()
    assert faulty_wh.kind == WarehouseKind.FAULTY
    assert balance(parts.board, faulty_wh).on_hand == 1
    assert balance(parts.board, parts.hq_wh).on_hand == 0
    ro.order_finish_repair(order_id=order.pk, actor=parts.tech)
    order.refresh_from_db()
    assert order.state == OrderState.BURN_IN
    # the order page shows both serials and the warranty claim's parts cost
    html = parts_client(parts, parts.tech).get(order.get_absolute_url()).content.decode()
    assert "SN-OLD" in html and "SN-NEW" in html and "6.00" in html


def test_a_service_point_owes_its_faulty_part_back_by_a_due_date_and_is_chased_when_late(parts):
    with at(MONDAY):
        owed = sf.faulty_part_record(
            part=parts.board,
            faulty_serial="SP-OLD",
            new_serial="SP-NEW",
            owed_by_unit=parts.point,
            owed_by=parts.point_user,
            actor=parts.point_user,
        )
    assert owed.state == FaultyState.OWED
    assert owed.due_on == date(2026, 11, 30)  # 15 working days after Monday 9 November
    deadline = Deadline.objects.get(owner_id=owed.pk, policy__code=sf.FAULTY_POLICY)
    sweep_deadlines(now=datetime(2026, 12, 3, 10, tzinfo=Z))
    deadline.refresh_from_db()
    assert deadline.breached_at is not None
    assert Notification.objects.filter(recipient=parts.parts_sup).exists()
    assert owed.is_overdue(date(2026, 12, 3))

    with pytest.raises(PermissionDenied):
        sf.faulty_part_receive(return_id=owed.pk, actor=parts.point_user)
    sf.faulty_part_receive(return_id=owed.pk, actor=parts.parts_clerk)
    owed.refresh_from_db()
    deadline.refresh_from_db()
    assert owed.state == FaultyState.RECEIVED and not deadline.is_open  # closed, late


def test_a_faulty_part_written_off_keeps_its_reason(parts):
    owed = sf.faulty_part_record(
        part=parts.antenna,
        faulty_serial="X1",
        new_serial="X2",
        owed_by_unit=parts.point,
        actor=parts.point_user,
    )
    with pytest.raises(ValidationError):
        sf.faulty_part_write_off(return_id=owed.pk, actor=parts.parts_sup, reason=" ")
    sf.faulty_part_write_off(return_id=owed.pk, actor=parts.parts_sup, reason="现场报废")
    owed.refresh_from_db()
    assert owed.state == FaultyState.WRITTEN_OFF and owed.write_off_reason == "现场报废"


def test_warranty_is_decided_per_line_and_a_different_decision_needs_a_reason(parts):
    stock(parts, parts.cable, 2)
    order = picked_order(parts, "R1")
    with pytest.raises(ValidationError, match="原因"):
        rp.part_line_add(order_id=order.pk, actor=parts.tech, part=parts.cable, in_warranty=False)
    line = rp.part_line_add(
        order_id=order.pk,
        actor=parts.tech,
        part=parts.cable,
        in_warranty=False,
        warranty_note="客户要求增补",
    )
    assert line.in_warranty is False and line.charged == Decimal("12.00")
    # a free repair with a paid part waits for the customer's consent
    with pytest.raises(ValidationError, match="报价"):
        ro.order_start_repair(order_id=order.pk, actor=parts.tech)
    rp.part_line_set_warranty(
        line_id=line.pk, actor=parts.repair_sup, in_warranty=True, note="判定为质量问题"
    )
    line.refresh_from_db()
    assert line.in_warranty is True and line.charged == 0
    with pytest.raises(PermissionDenied):
        rp.part_line_add(order_id=order.pk, actor=parts.parts_clerk, part=parts.cable)


def test_the_faulty_parts_list_shows_a_unit_only_its_own(parts, django_assert_max_num_queries):
    for unit, user, serial in [
        (parts.point, parts.point_user, "MINE"),
        (parts.dealer, parts.dealer_user, "THEIRS"),
    ]:
        sf.faulty_part_record(
            part=parts.board,
            faulty_serial=serial,
            new_serial=serial + "-N",
            owed_by_unit=unit,
            owed_by=user,
            actor=user,
        )
    url = reverse("spareparts:faulty_list")
    mine = parts_client(parts, parts.point_user).get(url).content.decode()
    assert "MINE" in mine and "THEIRS" not in mine
    staff = parts_client(parts, parts.parts_clerk)
    with django_assert_max_num_queries(16):
        html = staff.get(url).content.decode()
    assert "MINE" in html and "THEIRS" in html
    overdue = staff.get(url, {"overdue": "1"}).content.decode()
    assert "MINE" not in overdue
    by_unit = staff.get(url, {"unit": parts.dealer.pk}).content.decode()
    assert "THEIRS" in by_unit and "MINE" not in by_unit


def test_a_service_point_reads_its_own_faulty_parts_owed_through_the_api(parts):
    from rest_framework.test import APIClient

    for unit, serial in [(parts.point, "API-MINE"), (parts.dealer, "API-THEIRS")]:
        sf.faulty_part_record(
            part=parts.board,
            faulty_serial=serial,
            new_serial=serial + "-N",
            owed_by_unit=unit,
            actor=parts.parts_clerk,
        )
    client = APIClient()
    client.force_authenticate(parts.point_user)
    answer = client.get("/api/v1/parts/faulty/", {"state": "owed"})
    assert answer.status_code == 200
    assert [r["faulty_serial"] for r in answer.json()["results"]] == ["API-MINE"]
    assert "unit_cost" not in answer.json()["results"][0]


def test_the_order_page_adds_a_part_and_refuses_an_unknown_number_on_the_form(parts):
    stock(parts, parts.cable, 1)
    order = picked_order(parts, "WEB-1")
    url = reverse("repairs:order_act", args=[order.pk, "add_part"])
    tech = parts_client(parts, parts.tech)
    bad = tech.post(url, {"part_number": "NO-SUCH", "quantity": 1})
    assert bad.status_code == 400 and "没有编号为 NO-SUCH 的启用配件" in bad.content.decode()
    ok = tech.post(url, {"part_number": "pwr-cbl-03", "quantity": 1})
    assert ok.status_code == 302
    (line,) = order.part_lines.all()
    assert line.part == parts.cable and line.state == PartLineState.RESERVED
    # a dealer following the order may not add parts
    dealer = parts_client(parts, parts.dealer_user)
    assert dealer.post(url, {"part_number": "PWR-CBL-03", "quantity": 1}).status_code == 403
    # the dealer's view of the order shows the line without its cost
    html = dealer.get(order.get_absolute_url()).content.decode()
    assert "PWR-CBL-03" in html and "保修索赔配件成本" not in html
