"""Repair orders: lot limits in working days, the consent pause, quote timeouts, the QC loop,
warranty, loaners, the overdue review, shipping back and the month-end statement."""

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django_fsm import TransitionNotAllowed

from callcenter.models import CallbackRequest
from repairs.choices import OrderState, QuoteState, ReviewDecision, ServiceType
from repairs.models import LoanerUnit, RepairOrder
from repairs.services import orders as ro
from repairs.services import returns as rma
from service_ops.deadlines.models import DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification

Z = ZoneInfo("Asia/Shanghai")


IN_WARRANTY = object()


def receive_lot(net, serials, at, purchase_date=IN_WARRANTY, scanned=None):
    """Walk an application from the dealer through the chain to receipt at `at`. The units were
    bought two months before (free repairs) unless `purchase_date` says otherwise (None: no
    date, a paid repair that needs a quote)."""
    if purchase_date is IN_WARRANTY:
        purchase_date = (at - timedelta(days=60)).date()
    with time_machine.travel(at, tick=False):
        app = rma.rma_create(
            applicant=net.dealer_user,
            header=rma.HeaderInput(
                contact_name="王经理", contact_phone="139", shipping_method="logistics"
            ),
            lines=[
                rma.LineInput(
                    product_model="GPS-X1",
                    serial_number=s,
                    fault_description="不定位",
                    purchase_date=purchase_date,
                )
                for s in serials
            ],
        )
        rma.rma_submit(application_id=app.pk, actor=net.dealer_user)
        for signer in (net.cs_engineer, net.hn_manager, net.head):
            app.refresh_from_db()
            step = app.steps.get(round=app.round, state="pending")
            rma.rma_decide(step_id=step.pk, actor=signer, approve=True)
        rma.rma_book_pickup(
            application_id=app.pk, actor=net.clerk, pickup_date=at.date(), driver_name="李师傅"
        )
        rma.rma_record_pickup(
            application_id=app.pk,
            actor=net.clerk,
            counted_units=len(serials),
            shipper_count=len(serials),
        )
        rma.rma_receive(
            application_id=app.pk,
            actor=net.clerk,
            units=scanned or [("GPS-X1", s) for s in serials],
        )
    app.refresh_from_db()
    return app.lot


def test_a_one_unit_lot_received_before_national_day_is_due_on_the_make_up_saturday(net):
    lot = receive_lot(net, ["N1"], datetime(2026, 9, 30, 15, tzinfo=Z))
    (order,) = lot.orders.all()
    assert lot.size == 1 and lot.policy_code == "repair-lot-1"
    assert ro.limit_deadline(order).due_at == datetime(2026, 10, 10, 18, tzinfo=Z)


def test_a_four_unit_lot_received_in_mid_december_is_due_in_2027(net):
    lot = receive_lot(net, ["B1", "B2", "B3", "B4"], datetime(2026, 12, 15, 11, tzinfo=Z))
    assert lot.policy_code == "repair-lot-batch" and lot.orders.count() == 4
    due = {ro.limit_deadline(o).due_at for o in lot.orders.all()}
    # Dec 16–31 gives 12 working days, Jan 1 is a holiday, Jan 4, 5, 6 make 15.
    assert due == {datetime(2027, 1, 6, 18, tzinfo=Z)}


@pytest.mark.parametrize(
    ("size", "code"),
    [
        (1, "repair-lot-1"),
        (2, "repair-lot-2-3"),
        (3, "repair-lot-2-3"),
        (4, "repair-lot-batch"),
        (40, "repair-lot-batch"),
    ],
)
@pytest.mark.django_db
def test_lot_size_selects_the_limit_rule(size, code):
    assert ro.rule_for(size).policy.code == code


def _picked_and_quoted(net, lot, at):
    order = lot.orders.get()
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
    return order, quote


def test_a_consent_pause_of_two_working_days_moves_the_due_time_by_two_working_days(net):
    lot = receive_lot(net, ["P1"], datetime(2026, 11, 23, 9, tzinfo=Z))  # Monday
    order = lot.orders.get()
    due_before = ro.limit_deadline(order).due_at
    assert due_before == datetime(2026, 11, 26, 18, tzinfo=Z)
    order, quote = _picked_and_quoted(net, lot, datetime(2026, 11, 23, 10, tzinfo=Z))
    with time_machine.travel(datetime(2026, 11, 23, 11, tzinfo=Z), tick=False):
        ro.quote_send(quote_id=quote.pk, actor=net.clerk)
    limit = ro.limit_deadline(order)
    assert limit.status == DeadlineStatus.PAUSED and limit.ball_holder == "customer"
    with time_machine.travel(datetime(2026, 11, 25, 11, tzinfo=Z), tick=False):  # Wednesday
        ro.quote_answer(quote_id=quote.pk, actor=net.dealer_user, consent=True, signature="王经理")
    limit.refresh_from_db()
    assert limit.status == DeadlineStatus.RUNNING
    assert limit.due_at == datetime(2026, 11, 30, 18, tzinfo=Z)  # Thu 26 → Mon 30
    order.refresh_from_db()
    assert order.state == OrderState.REPAIRING


def test_an_unanswered_quote_without_a_recorded_contact_escalates_to_the_clerk(net):
    lot = receive_lot(net, ["T1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order, quote = _picked_and_quoted(net, lot, datetime(2026, 11, 23, 10, tzinfo=Z))
    with time_machine.travel(datetime(2026, 11, 23, 11, tzinfo=Z), tick=False):
        ro.quote_send(quote_id=quote.pk, actor=net.clerk)
    sweep_deadlines(now=datetime(2026, 11, 25, 18, 5, tzinfo=Z))  # 2 working days passed
    order.refresh_from_db()
    quote.refresh_from_db()
    assert order.state == OrderState.WAITING_CONSENT and quote.state == QuoteState.SENT
    assert Notification.objects.filter(
        recipient=net.clerk, channel="in_app", subject__contains="请先联系客户"
    ).exists()
    # The clerk reaches the customer afterwards: now the unit goes back unrepaired.
    with time_machine.travel(datetime(2026, 11, 26, 9, tzinfo=Z), tick=False):
        ro.order_record_contact(order_id=order.pk, actor=net.clerk, summary="客户电话未决定")
    order.refresh_from_db()
    assert order.state == OrderState.RETURN_UNREPAIRED


def test_an_unanswered_quote_after_a_recorded_contact_goes_back_unrepaired(net):
    lot = receive_lot(net, ["T2"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order, quote = _picked_and_quoted(net, lot, datetime(2026, 11, 23, 10, tzinfo=Z))
    with time_machine.travel(datetime(2026, 11, 23, 11, tzinfo=Z), tick=False):
        ro.quote_send(quote_id=quote.pk, actor=net.clerk)
    with time_machine.travel(datetime(2026, 11, 24, 15, tzinfo=Z), tick=False):
        ro.order_record_contact(order_id=order.pk, actor=net.clerk, summary="已电话提醒确认")
    order.refresh_from_db()
    assert order.state == OrderState.WAITING_CONSENT  # still within the 2 days
    sweep_deadlines(now=datetime(2026, 11, 25, 18, 5, tzinfo=Z))
    order.refresh_from_db()
    quote.refresh_from_db()
    assert order.state == OrderState.RETURN_UNREPAIRED and quote.state == QuoteState.NO_ANSWER
    assert ro.limit_deadline(order).status == DeadlineStatus.RUNNING  # clock resumed
    with time_machine.travel(datetime(2026, 11, 26, 10, tzinfo=Z), tick=False):
        ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="顺丰", tracking_number="SF9")
    order.refresh_from_db()
    assert order.state == OrderState.SHIPPED


def test_a_declined_quote_returns_the_unit_unrepaired(net):
    lot = receive_lot(net, ["D1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order, quote = _picked_and_quoted(net, lot, datetime(2026, 11, 23, 10, tzinfo=Z))
    ro.quote_send(quote_id=quote.pk, actor=net.clerk)
    with pytest.raises(PermissionDenied):
        ro.quote_answer(quote_id=quote.pk, actor=net.dealer2_user, consent=True, signature="李经理")
    ro.quote_answer(quote_id=quote.pk, actor=net.dealer_user, consent=False, note="太贵")
    order.refresh_from_db()
    assert order.state == OrderState.RETURN_UNREPAIRED


def test_the_qc_loop_counts_second_repairs(net):
    lot = receive_lot(net, ["Q1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order = lot.orders.get()
    ro.order_pick_up(order_id=order.pk, actor=net.tech)
    ro.order_start_repair(order_id=order.pk, actor=net.tech, diagnosis="电源模块")
    ro.order_finish_repair(order_id=order.pk, actor=net.tech)
    ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
    with pytest.raises(ValidationError):
        ro.order_qc(order_id=order.pk, actor=net.tech, passed=False)
    ro.order_qc(order_id=order.pk, actor=net.tech, passed=False, note="老化后死机")
    order.refresh_from_db()
    assert order.state == OrderState.REPAIRING
    assert (order.repair_count, order.qc_failures) == (2, 1)
    ro.order_finish_repair(order_id=order.pk, actor=net.tech)
    ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
    ro.order_qc(order_id=order.pk, actor=net.tech, passed=True)
    order.refresh_from_db()
    assert order.state == OrderState.PACKING and order.repair_count == 2


def test_waiting_for_parts_records_why_and_until_when(net):
    lot = receive_lot(net, ["W1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order = lot.orders.get()
    ro.order_pick_up(order_id=order.pk, actor=net.tech)
    ro.order_start_repair(order_id=order.pk, actor=net.tech)
    with pytest.raises(ValidationError):
        ro.order_wait_for_parts(order_id=order.pk, actor=net.tech, reason=" ")
    ro.order_wait_for_parts(
        order_id=order.pk, actor=net.tech, reason="缺 GPS 模块", until=date(2026, 12, 1)
    )
    order.refresh_from_db()
    assert order.state == OrderState.WAITING_PARTS
    assert order.waiting_parts_until == date(2026, 12, 1)
    ro.order_parts_arrived(order_id=order.pk, actor=net.tech)
    order.refresh_from_db()
    assert order.state == OrderState.REPAIRING and order.waiting_parts_reason == ""


def test_shipping_back_notifies_the_shipper_and_asks_the_call_centre_for_a_callback(net):
    lot = receive_lot(net, ["S1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order = lot.orders.get()
    for step in ("pick_up", "start_repair", "finish_repair", "finish_burn_in"):
        getattr(ro, f"order_{step}")(order_id=order.pk, actor=net.tech)
    ro.order_qc(order_id=order.pk, actor=net.tech, passed=True)
    with pytest.raises(TransitionNotAllowed):  # not boxed yet
        ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="德邦", tracking_number="DB1")
    ro.order_pack(order_id=order.pk, actor=net.tech, packing_list="主机 ×1")
    with pytest.raises(ValidationError):
        ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="", tracking_number="")
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=Z), tick=False):
        ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="德邦", tracking_number="DB1")
    callback = CallbackRequest.objects.get()
    assert callback.subject == order and callback.contact_name == "王经理"
    assert callback.due_at == datetime(2026, 11, 30, 18, tzinfo=Z)
    assert Notification.objects.filter(
        recipient=net.dealer_user, subject__contains="维修机已发回"
    ).exists()
    assert ro.limit_deadline(order) is None  # the limit closed (met)


def test_warranty_is_one_year_from_purchase_with_the_seeds_exclusions():
    day = date(2026, 11, 23)
    fresh = ro.assess_warranty(purchase_date=date(2026, 1, 5), on=day, exclusions=[])
    assert fresh.in_warranty and fresh.service_type == ServiceType.FREE
    old = ro.assess_warranty(purchase_date=date(2025, 11, 1), on=day, exclusions=[])
    assert not old.in_warranty and old.service_type == ServiceType.PAID
    dropped = ro.assess_warranty(
        purchase_date=date(2026, 6, 1), on=day, exclusions=["transport_damage", "no_seller_stamp"]
    )
    assert not dropped.in_warranty and len(dropped.reasons) == 2
    contract = ro.assess_warranty(purchase_date=None, on=day, exclusions=[], under_contract=True)
    assert contract.service_type == ServiceType.CONTRACT
    with pytest.raises(ValidationError):
        ro.assess_warranty(purchase_date=day, on=day, exclusions=["bogus"])


def test_the_first_warranty_reading_comes_from_the_application(net):
    lot = receive_lot(
        net, ["G1"], datetime(2026, 11, 23, 9, tzinfo=Z), purchase_date=date(2026, 3, 1)
    )
    order = lot.orders.get()
    assert order.in_warranty is True and order.service_type == ServiceType.FREE


def test_a_supervisor_extends_a_special_case_but_never_beyond_fifteen_days(net):
    lot = receive_lot(net, ["E1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order = lot.orders.get()
    with pytest.raises(PermissionDenied):
        ro.order_extend(order_id=order.pk, actor=net.tech, working_days=2, reason="缺料")
    ro.order_extend(order_id=order.pk, actor=net.repair_sup, working_days=12, reason="缺料")
    with pytest.raises(ValidationError):
        ro.order_extend(order_id=order.pk, actor=net.repair_sup, working_days=1, reason="再等")


def test_a_loaner_is_lent_tracked_and_returned(net):
    lot = receive_lot(net, ["L1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order = lot.orders.get()
    loaner = LoanerUnit.objects.create(serial_number="BY-001", product_model="GPS-X1")
    loan = ro.loan_lend(
        order_id=order.pk,
        loaner_id=loaner.pk,
        actor=net.repair_sup,
        carrier="顺丰",
        tracking_number="SF2",
    )
    with pytest.raises(ValidationError):
        ro.loan_lend(order_id=order.pk, loaner_id=loaner.pk, actor=net.repair_sup)
    assert loan.due_back > date(2026, 11, 23)
    assert Notification.objects.filter(
        recipient=net.dealer_user, subject__contains="备用机"
    ).exists()
    ro.loan_return(loan_id=loan.pk, actor=net.clerk)
    loaner.refresh_from_db()
    assert loaner.is_available


def test_the_review_lists_overdue_units_and_records_a_decision(net):
    lot = receive_lot(net, ["R1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order = lot.orders.get()
    sweep_deadlines(now=datetime(2026, 11, 26, 18, 30, tzinfo=Z))  # past the 3-day limit
    meeting = ro.review_build(
        held_on=date(2026, 11, 28), now=datetime(2026, 11, 28, 8, 30, tzinfo=Z)
    )
    assert [i.order for i in meeting.items.all()] == [order]
    assert ro.review_build(held_on=date(2026, 11, 28)).items.count() == 1  # idempotent
    item = meeting.items.get()
    with time_machine.travel(datetime(2026, 11, 28, 9, tzinfo=Z), tick=False):
        ro.review_decide(
            item_id=item.pk,
            actor=net.repair_sup,
            decision=ReviewDecision.MORE_TIME,
            wait_reason="parts",
            new_wait_until=date(2026, 12, 2),
            customer_contacted=True,
            note="等配件",
        )
    waiting = ro.waiting_deadline(order)
    assert waiting.due_at == datetime(2026, 12, 2, 18, tzinfo=Z)
    assert waiting.status == DeadlineStatus.RUNNING
    # the original limit keeps its breach for the statistics
    assert ro.limit_deadline(order).status == DeadlineStatus.BREACHED
    order.refresh_from_db()
    assert order.customer_contacted_at is not None


def _ship_with_quote(net, serial, labour, parts, at):
    lot = receive_lot(net, [serial], at)
    order, quote = _picked_and_quoted(net, lot, at)
    quote.lines.all().delete()
    from repairs.models import QuoteLine

    QuoteLine.objects.create(quote=quote, kind="labour", amount=labour)
    QuoteLine.objects.create(quote=quote, kind="parts", amount=parts)
    with time_machine.travel(at, tick=False):
        ro.quote_send(quote_id=quote.pk, actor=net.clerk)
        ro.quote_answer(quote_id=quote.pk, actor=net.dealer_user, consent=True, signature="王经理")
        ro.order_finish_repair(order_id=order.pk, actor=net.tech)
        ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
        ro.order_qc(order_id=order.pk, actor=net.tech, passed=True)
        ro.order_pack(order_id=order.pk, actor=net.tech, packing_list="主机 ×1")
        ro.order_ship(order_id=order.pk, actor=net.clerk, carrier="顺丰", tracking_number=serial)
    return order


def test_the_month_end_statement_sums_the_orders_and_locks_once_confirmed(net):
    _ship_with_quote(
        net, "M1", Decimal("80"), Decimal("120.50"), datetime(2026, 11, 10, 10, tzinfo=Z)
    )
    _ship_with_quote(net, "M2", Decimal("50"), Decimal("30"), datetime(2026, 11, 20, 10, tzinfo=Z))
    _ship_with_quote(
        net, "M3", Decimal("999"), Decimal("1"), datetime(2026, 12, 2, 10, tzinfo=Z)
    )  # next month
    statement = ro.statement_build(branch=net.cs, month=date(2026, 11, 1), actor=net.clerk)
    assert (statement.repair_fees, statement.parts_fees, statement.total) == (
        Decimal("130"),
        Decimal("150.50"),
        Decimal("280.50"),
    )
    assert statement.lines.count() == 2
    with pytest.raises(PermissionDenied):
        ro.statement_confirm(statement_id=statement.pk, actor=net.gz_manager)
    ro.statement_confirm(statement_id=statement.pk, actor=net.cs_manager)
    with pytest.raises(ValidationError):
        ro.statement_build(branch=net.cs, month=date(2026, 11, 1), actor=net.clerk)
    statement.refresh_from_db()
    assert statement.total == Decimal("280.50") and statement.state == "confirmed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_technicians_picking_up_the_same_unit_at_once_one_wins(net):
    from tests.factories import make_user

    other = make_user("tech2", net.hq, "technician", email=True)
    lot = receive_lot(net, ["C1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    order = lot.orders.get()
    barrier = threading.Barrier(2)
    results = {}

    def pick(tech):
        try:
            barrier.wait()
            ro.order_pick_up(order_id=order.pk, actor=tech)
            results[tech.username] = "won"
        except TransitionNotAllowed:
            results[tech.username] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=pick, args=(t,)) for t in (net.tech, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["conflict", "won"]
    order.refresh_from_db()
    assert order.technician.username == next(k for k, v in results.items() if v == "won")
    assert ro.limit_deadline(order).assignee == order.technician


def test_repair_orders_are_scoped_like_their_applications(net):
    lot = receive_lot(net, ["V1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    assert RepairOrder.objects.visible_to(net.dealer_user).count() == 1
    assert RepairOrder.objects.visible_to(net.dealer2_user).count() == 0
    assert RepairOrder.objects.visible_to(net.head).count() == lot.orders.count()


def test_statement_exports_carry_the_same_sums(net):
    from io import BytesIO

    from openpyxl import load_workbook

    from repairs.statement_exports import statement_pdf, statement_xlsx

    _ship_with_quote(net, "X1", Decimal("80"), Decimal("20"), datetime(2026, 11, 10, 10, tzinfo=Z))
    statement = ro.statement_build(branch=net.cs, month=date(2026, 11, 1), actor=net.clerk)
    sheet = load_workbook(BytesIO(statement_xlsx(statement))).active
    rows = [list(row) for row in sheet.iter_rows()]
    (total,) = [r for r in rows if r[0].value == "合计"]
    assert total[-1].value == 100 and total[4].value == 80
    assert total[4].number_format == "#,##0.00"
    (line,) = [r for r in rows if r[0].value == statement.lines.get().order.number]
    assert line[3].is_date and line[4].number_format == "#,##0.00"  # (issue 15, item 17)
    texts = [r[0].value for r in rows if isinstance(r[0].value, str)]
    assert "合计金额（大写）：人民币壹佰元整" in texts
    assert any(t.startswith("分公司经理确认（签字）") for t in texts)
    assert any(t.startswith("财务审核") for t in texts)
    pdf = statement_pdf(statement)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_the_review_task_builds_the_list_and_tells_the_supervisor(net):
    from repairs.tasks import build_review_list

    receive_lot(net, ["K1"], datetime(2026, 11, 23, 9, tzinfo=Z))
    sweep_deadlines(now=datetime(2026, 11, 26, 18, 30, tzinfo=Z))
    with time_machine.travel(datetime(2026, 11, 28, 8, 30, tzinfo=Z), tick=False):
        assert build_review_list() == 1
    assert Notification.objects.filter(
        recipient=net.repair_sup, subject__contains="超期评审会"
    ).exists()


def test_a_unit_nobody_picked_up_warns_the_repair_supervisor(net):
    receive_lot(net, ["U1"], datetime(2026, 11, 23, 9, tzinfo=Z))  # due Thu 26 18:00
    sweep_deadlines(now=datetime(2026, 11, 25, 18, 5, tzinfo=Z))  # warning, no assignee yet
    assert Notification.objects.filter(
        recipient=net.repair_sup, channel="in_app", subject__contains="即将到期"
    ).exists()


def test_a_paid_unit_reaches_the_bench_only_through_a_consented_quote(net):
    # bought in 2024: out of warranty, so the repair is paid (issue 15, item 2)
    lot = receive_lot(net, ["PAID1"], datetime(2026, 11, 23, 9, tzinfo=Z), date(2024, 3, 1))
    order = lot.orders.get()
    assert order.in_warranty is False and not order.is_free_repair()
    with time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=Z), tick=False):
        ro.order_pick_up(order_id=order.pk, actor=net.tech)
        with pytest.raises(ValidationError, match="请先提出报价"):
            ro.order_start_repair(order_id=order.pk, actor=net.tech, diagnosis="主板")
        order.refresh_from_db()
        assert order.state == OrderState.DIAGNOSING
        assert "start_repair" not in ro_actions(order, net.tech)
        quote = ro.order_raise_quote(
            order_id=order.pk,
            actor=net.tech,
            diagnosis="主板损坏",
            lines=[ro.QuoteLineInput("labour", Decimal("80"))],
        )
        ro.quote_send(quote_id=quote.pk, actor=net.clerk)
        ro.quote_answer(quote_id=quote.pk, actor=net.dealer_user, consent=True, signature="王经理")
    order.refresh_from_db()
    assert order.state == OrderState.REPAIRING


def ro_actions(order, user):
    from service_ops.transitions.services import available_actions

    return available_actions(order, user)


def test_units_nobody_approved_are_refused_and_do_not_size_the_lot(net):
    from repairs.choices import DiscrepancyKind
    from repairs.models import Discrepancy, UnauthorisedArrival

    scanned = [("GPS-X1", "OK1"), ("GPS-X1", "EXTRA1"), ("GPS-Z3", "EXTRA2")]
    lot = receive_lot(net, ["OK1"], datetime(2026, 11, 23, 9, tzinfo=Z), scanned=scanned)
    assert lot.size == 1 and [o.serial_number for o in lot.orders.all()] == ["OK1"]
    # one authorised unit: 3 working days, not the 7 of a lot of three
    assert ro.limit_deadline(lot.orders.get()).due_at == datetime(2026, 11, 26, 18, tzinfo=Z)
    arrival = UnauthorisedArrival.objects.get()
    assert (
        arrival.units == 2 and "EXTRA1" in arrival.description and "EXTRA2" in arrival.description
    )
    assert arrival.penalties.exists()  # proposed by platform
    extra = Discrepancy.objects.filter(kind=DiscrepancyKind.EXTRA_UNIT)
    assert sorted(extra.values_list("actual", flat=True)) == ["GPS-X1 EXTRA1", "GPS-Z3 EXTRA2"]


def test_a_receipt_of_only_unapproved_units_is_refused(net):
    with pytest.raises(ValidationError, match="都不在批准的申请上"):
        receive_lot(
            net, ["OK2"], datetime(2026, 11, 23, 9, tzinfo=Z), scanned=[("GPS-Z9", "OTHER")]
        )


def test_the_shipper_hears_of_a_breach_and_of_the_new_waiting_limit(net):
    # issue 15, item 7
    lot = receive_lot(net, ["T1"], datetime(2026, 11, 23, 9, tzinfo=Z))  # due Thu 26th 18:00
    order = lot.orders.get()
    sweep_deadlines(now=datetime(2026, 11, 27, 9, tzinfo=Z))
    assert ro.limit_deadline(order).status == DeadlineStatus.BREACHED
    told = Notification.objects.filter(
        recipient=net.dealer_user, channel="in_app", subject__startswith="维修超期"
    )
    assert told.count() == 1 and order.number in told.get().subject
    meeting = ro.review_build(held_on=date(2026, 11, 28))
    with time_machine.travel(datetime(2026, 11, 28, 9, tzinfo=Z), tick=False):
        ro.review_decide(
            item_id=meeting.items.get().pk,
            actor=net.repair_sup,
            decision=ReviewDecision.MORE_TIME,
            wait_reason="parts",
            new_wait_until=date(2026, 12, 4),
            note="等主板",
        )
    told = Notification.objects.filter(
        recipient=net.dealer_user, channel="in_app", subject__contains="新的等待时限"
    )
    assert told.count() == 1 and "2026-12-04" in told.get().subject


def test_an_in_warranty_unit_is_charged_only_for_added_parts_or_an_upgrade_with_the_reason(net):
    # issue 15, item 2: an in-warranty unit was quoted ¥100 of labour
    order = receive_lot(net, ["W1"], datetime(2026, 11, 23, 9, tzinfo=Z)).orders.get()
    assert order.is_free_repair()
    with time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=Z), tick=False):
        ro.order_pick_up(order_id=order.pk, actor=net.tech)
        with pytest.raises(ValidationError, match="只能收取增补配件费或升级费"):
            ro.order_raise_quote(
                order_id=order.pk, actor=net.tech, lines=[ro.QuoteLineInput("labour", 100)]
            )
        with pytest.raises(ValidationError, match="须写明原因"):
            ro.order_raise_quote(
                order_id=order.pk, actor=net.tech, lines=[ro.QuoteLineInput("upgrade", 100)]
            )
        quote = ro.order_raise_quote(
            order_id=order.pk,
            actor=net.tech,
            lines=[ro.QuoteLineInput("upgrade", Decimal("100"), "客户要求升级到 4G 模块")],
        )
    assert quote.lines.get().description == "客户要求升级到 4G 模块"


def test_materials_are_billed_with_parts_not_as_labour(net):
    from repairs.models import QuoteLine

    order = _ship_with_quote(
        net, "MAT1", Decimal("80"), Decimal("420.50"), datetime(2026, 11, 10, 10, tzinfo=Z)
    )
    QuoteLine.objects.filter(quote__order=order, kind="parts").update(kind="materials")
    statement = ro.statement_build(branch=net.cs, month=date(2026, 11, 1), actor=net.clerk)
    assert (statement.repair_fees, statement.parts_fees) == (Decimal("80"), Decimal("420.50"))
