"""The stock ledger (issue 19 item 2): every change is a movement with who and why; on hand,
reserved and available follow from it and never go below zero, also under fifty concurrent
reservations (PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django_fsm import TransitionNotAllowed

from service_ops.transitions.models import TransitionLog
from spareparts.choices import MovementKind, ReservationState
from spareparts.models import Reservation, StockBalance, StockMovement
from spareparts.services import stock as svc

pytestmark = pytest.mark.django_db


def balance(part, warehouse):
    return StockBalance.objects.get(part=part, warehouse=warehouse)


def ledger_sums(part, warehouse):
    sums = StockMovement.objects.filter(part=part, warehouse=warehouse).aggregate(
        on_hand=Sum("on_hand_change"), reserved=Sum("reserved_change")
    )
    return sums["on_hand"] or 0, sums["reserved"] or 0


def assert_ledger_balances(part, warehouse):
    b = balance(part, warehouse)
    assert ledger_sums(part, warehouse) == (b.on_hand, b.reserved)
    last = StockMovement.objects.filter(part=part, warehouse=warehouse).order_by("-id").first()
    assert (last.on_hand_after, last.reserved_after) == (b.on_hand, b.reserved)


def test_every_kind_of_movement_keeps_the_balance_equal_to_its_ledger(parts):
    w = parts
    clerk = w.parts_clerk
    svc.stock_receive(part=w.board, warehouse=w.hq_wh, quantity=20, actor=clerk, reason="到货")
    r1 = svc.stock_reserve(part=w.board, warehouse=w.hq_wh, quantity=3, actor=clerk, reason="维修")
    r2 = svc.stock_reserve(part=w.board, warehouse=w.hq_wh, quantity=2, actor=clerk)
    svc.stock_issue(reservation_id=r1.pk, actor=clerk)
    svc.stock_release(reservation_id=r2.pk, actor=clerk, reason="不需要了")
    svc.stock_issue(part=w.board, warehouse=w.hq_wh, quantity=1, actor=clerk, reason="直接领用")
    svc.stock_transfer(
        part=w.board, from_warehouse=w.hq_wh, to_warehouse=w.office_wh, quantity=5, actor=clerk
    )
    svc.stock_sell(part=w.board, warehouse=w.hq_wh, quantity=2, actor=clerk, reason="代理商购买")
    svc.stock_return(part=w.board, warehouse=w.hq_wh, quantity=1, actor=clerk, reason="退回")
    svc.stock_scrap(part=w.board, warehouse=w.hq_wh, quantity=1, actor=clerk, reason="运输损坏")

    b = balance(w.board, w.hq_wh)
    assert (b.on_hand, b.reserved, b.available) == (20 - 3 - 1 - 5 - 2 + 1 - 1, 0, 9)
    assert balance(w.board, w.office_wh).on_hand == 5
    assert_ledger_balances(w.board, w.hq_wh)
    assert_ledger_balances(w.board, w.office_wh)
    kinds = set(StockMovement.objects.values_list("kind", flat=True))
    assert kinds == set(MovementKind.values) - {MovementKind.COUNT_ADJUST}
    assert StockMovement.objects.filter(actor__isnull=True).count() == 0
    assert Reservation.objects.get(pk=r1.pk).state == ReservationState.ISSUED
    assert Reservation.objects.get(pk=r2.pk).state == ReservationState.RELEASED
    assert TransitionLog.objects.filter(object_id__in=[r1.pk, r2.pk]).count() == 2


def test_a_transfer_writes_a_pair_with_one_transfer_id(parts):
    w = parts
    svc.stock_receive(part=w.cable, warehouse=w.hq_wh, quantity=4, actor=w.parts_clerk)
    done = svc.stock_transfer(
        part=w.cable,
        from_warehouse=w.hq_wh,
        to_warehouse=w.point_wh,
        quantity=4,
        actor=w.parts_clerk,
        reason="补货",
    )
    pair = StockMovement.objects.filter(transfer_id=done.transfer_id)
    assert sorted(pair.values_list("kind", "on_hand_change")) == [
        ("transfer_in", 4),
        ("transfer_out", -4),
    ]


def test_reserving_more_than_is_available_is_refused_and_names_what_is_available(parts):
    w = parts
    svc.stock_receive(part=w.board, warehouse=w.hq_wh, quantity=3, actor=w.parts_clerk)
    svc.stock_reserve(part=w.board, warehouse=w.hq_wh, quantity=2, actor=w.parts_clerk)
    with pytest.raises(svc.InsufficientStock) as refused:
        svc.stock_reserve(part=w.board, warehouse=w.hq_wh, quantity=2, actor=w.parts_clerk)
    assert refused.value.available == 1
    assert refused.value.message_dict == {"quantity": ["库存不足：可用 1"]}
    b = balance(w.board, w.hq_wh)
    assert (b.on_hand, b.reserved) == (3, 2)
    assert StockMovement.objects.count() == 2


@pytest.mark.parametrize("take", ["issue", "sell", "scrap", "transfer"])
def test_reserved_parts_cannot_leave_by_another_way(parts, take):
    w = parts
    clerk = w.parts_clerk
    svc.stock_receive(part=w.board, warehouse=w.hq_wh, quantity=2, actor=clerk)
    svc.stock_reserve(part=w.board, warehouse=w.hq_wh, quantity=2, actor=clerk)
    common = {"part": w.board, "quantity": 1, "actor": clerk}
    with pytest.raises(svc.InsufficientStock):
        if take == "issue":
            svc.stock_issue(warehouse=w.hq_wh, **common)
        elif take == "sell":
            svc.stock_sell(warehouse=w.hq_wh, **common)
        elif take == "scrap":
            svc.stock_scrap(warehouse=w.hq_wh, reason="坏了", **common)
        else:
            svc.stock_transfer(from_warehouse=w.hq_wh, to_warehouse=w.office_wh, **common)
    assert balance(w.board, w.hq_wh).on_hand == 2


def test_the_database_refuses_a_negative_balance_even_past_the_services(parts):
    w = parts
    svc.stock_receive(part=w.board, warehouse=w.hq_wh, quantity=1, actor=w.parts_clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(part=w.board).update(on_hand=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(part=w.board).update(reserved=2)


def test_a_reservation_is_issued_or_released_once(parts):
    w = parts
    svc.stock_receive(part=w.board, warehouse=w.hq_wh, quantity=2, actor=w.parts_clerk)
    r = svc.stock_reserve(part=w.board, warehouse=w.hq_wh, quantity=2, actor=w.parts_clerk)
    svc.stock_issue(reservation_id=r.pk, actor=w.parts_clerk)
    with pytest.raises(TransitionNotAllowed):
        svc.stock_release(reservation_id=r.pk, actor=w.parts_clerk)
    with pytest.raises(TransitionNotAllowed):
        svc.stock_issue(reservation_id=r.pk, actor=w.parts_clerk)
    b = balance(w.board, w.hq_wh)
    assert (b.on_hand, b.reserved) == (0, 0)
    assert_ledger_balances(w.board, w.hq_wh)


def test_only_the_warehouse_staff_may_move_its_stock(parts):
    w = parts
    # a service point's staff works its own warehouse, not another's nor headquarters'
    svc.stock_receive(part=w.cable, warehouse=w.point_wh, quantity=1, actor=w.point_user)
    with pytest.raises(PermissionDenied):
        svc.stock_receive(part=w.cable, warehouse=w.hq_wh, quantity=1, actor=w.point_user)
    with pytest.raises(PermissionDenied):
        svc.stock_receive(part=w.cable, warehouse=w.dealer_wh, quantity=1, actor=w.point_user)
    # the field office's people (its branch's engineer and CS supervisor) work its warehouse
    svc.stock_receive(part=w.cable, warehouse=w.office_wh, quantity=1, actor=w.gz_cs_sup)
    with pytest.raises(PermissionDenied):
        svc.stock_receive(part=w.cable, warehouse=w.office_wh, quantity=1, actor=w.cs_engineer)
    # an engineer's own stock is the engineer's
    svc.stock_receive(part=w.cable, warehouse=w.engineer_wh, quantity=1, actor=w.gz_engineer)
    with pytest.raises(PermissionDenied):
        svc.stock_receive(part=w.cable, warehouse=w.engineer_wh, quantity=1, actor=w.gz_cs_sup)
    # a dealer never moves stock it does not hold
    with pytest.raises(PermissionDenied):
        svc.stock_reserve(part=w.cable, warehouse=w.hq_wh, quantity=1, actor=w.dealer_user)
    # headquarters' technicians draw on the headquarters warehouse, but do not receive into it
    svc.stock_receive(part=w.cable, warehouse=w.hq_wh, quantity=1, actor=w.parts_clerk)
    svc.stock_reserve(part=w.cable, warehouse=w.hq_wh, quantity=1, actor=w.tech)
    with pytest.raises(PermissionDenied):
        svc.stock_receive(part=w.cable, warehouse=w.hq_wh, quantity=1, actor=w.tech)


def test_bad_quantities_and_a_scrap_without_reason_are_refused(parts):
    w = parts
    for quantity in (0, -1, 1.5, True):
        with pytest.raises(ValidationError):
            svc.stock_receive(
                part=w.board, warehouse=w.hq_wh, quantity=quantity, actor=w.parts_clerk
            )
    with pytest.raises(ValidationError) as refused:
        svc.stock_scrap(
            part=w.board, warehouse=w.hq_wh, quantity=1, actor=w.parts_clerk, reason=" "
        )
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError):
        svc.stock_transfer(
            part=w.board,
            from_warehouse=w.hq_wh,
            to_warehouse=w.hq_wh,
            quantity=1,
            actor=w.parts_clerk,
        )
    assert StockMovement.objects.count() == 0


def test_a_reservation_keeps_its_source_for_the_repair_that_asked(parts):
    w = parts
    svc.stock_receive(part=w.board, warehouse=w.hq_wh, quantity=1, actor=w.parts_clerk)
    r = svc.stock_reserve(
        part=w.board, warehouse=w.hq_wh, quantity=1, actor=w.parts_clerk, source=w.hq_wh
    )
    svc.stock_issue(reservation_id=r.pk, actor=w.parts_clerk)
    issued = StockMovement.objects.get(kind=MovementKind.ISSUE)
    assert (issued.source_type.model, issued.source_id) == ("warehouse", w.hq_wh.pk)
    assert issued.reservation_id == r.pk


def _run_at_once(n, work):
    barrier = threading.Barrier(n)
    outcomes = []

    def run(i):
        try:
            barrier.wait()
            outcomes.append(work(i))
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_reservations_against_a_stock_of_ten_exactly_ten_succeed(parts):
    w = parts
    svc.stock_receive(part=w.board, warehouse=w.hq_wh, quantity=10, actor=w.parts_clerk)

    outcomes = _run_at_once(
        50,
        lambda i: svc.stock_reserve(
            part=w.board, warehouse=w.hq_wh, quantity=1, actor=w.parts_clerk, reason=f"r{i}"
        ),
    )
    reserved = [o for o in outcomes if isinstance(o, Reservation)]
    refused = [o for o in outcomes if isinstance(o, svc.InsufficientStock)]
    assert len(reserved) == 10 and len(refused) == 40, [
        o for o in outcomes if o not in reserved + refused
    ]
    assert {r.available for r in refused} == {0}
    b = balance(w.board, w.hq_wh)
    assert (b.on_hand, b.reserved, b.available) == (10, 10, 0)
    assert Reservation.objects.filter(state=ReservationState.RESERVED).count() == 10
    assert StockMovement.objects.filter(kind=MovementKind.RESERVE).count() == 10
    assert_ledger_balances(w.board, w.hq_wh)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_receipts_into_an_empty_warehouse_make_one_balance_row(parts):
    w = parts
    outcomes = _run_at_once(
        10,
        lambda i: svc.stock_receive(
            part=w.antenna, warehouse=w.point_wh, quantity=1, actor=w.parts_clerk
        ),
    )
    assert all(isinstance(o, StockMovement) for o in outcomes), outcomes
    assert StockBalance.objects.filter(part=w.antenna, warehouse=w.point_wh).count() == 1
    assert balance(w.antenna, w.point_wh).on_hand == 10
    assert_ledger_balances(w.antenna, w.point_wh)
