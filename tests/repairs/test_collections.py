"""Collections (收款, issue 22 item 3): a confirmed month-end statement becomes the branch's
receivable exactly once; a parts sale invoiced on account becomes the dealer's; finance records
payments against them (partial too) and reverses them; the dispatcher's 划账 is confirmed by
finance; the ageing equals a direct sum; an overdue receivable escalates; the statement of
account adds up; the partner sees only its own."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from network.choices import Role
from repairs.choices import (
    PaymentMethod,
    PaymentState,
    ReceivableSource,
    ReceivableState,
    StatementState,
    TransferState,
)
from repairs.models import MonthlyStatement, Payment, Receivable, Transfer
from repairs.selectors import collections as sel
from repairs.services import collections as svc
from repairs.services import orders as ro
from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of
from spareparts.choices import QuoteState, WarehouseKind
from spareparts.models import DealerQuote, Warehouse
from spareparts.services import quotes as qs
from tests.factories import make_user

Z = ZoneInfo("Asia/Shanghai")
NOVEMBER = date(2026, 11, 1)
D = Decimal


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=Z), tick=False)


def statement_of(net, branch, total, month=NOVEMBER, state=StatementState.CONFIRMED):
    """A month-end statement as confirmed (built, signed): the figures only."""
    return MonthlyStatement.objects.create(
        branch=branch,
        month=month,
        total=D(total),
        repair_fees=D(total),
        state=state,
        generated_at=datetime(2026, 12, 1, 9, tzinfo=Z),
    )


def parts_sale(net, dealer, total, number):
    """A dealer's parts quote accepted, then invoiced on account by the parts clerk."""
    warehouse = Warehouse.objects.get_or_create(
        code="W-HQ", defaults={"name": "总部配件仓", "kind": WarehouseKind.HQ, "org_unit": net.hq}
    )[0]
    quote = DealerQuote.objects.create(
        number=number,
        dealer=dealer,
        warehouse=warehouse,
        state=QuoteState.ACCEPTED,
        total=D(total),
        asked_by=net.dealer_user,
    )
    qs.quote_settle(
        quote_id=quote.pk, actor=net.parts_clerk, how="invoiced", reference="INV-" + number
    )
    return quote


@pytest.fixture
def world(net):
    net.finance = make_user("finance", net.hq, Role.FINANCE, email=True)
    net.dispatcher = make_user("dispatcher", net.hq, Role.SALES_DISPATCHER, email=True)
    net.parts_clerk = make_user("parts_clerk", net.hq, Role.PARTS_CLERK)
    return net


def receivable_for(net, branch=None, total="1000.00", month=NOVEMBER):
    with at(2026, 12, 2, 10):
        statement = statement_of(net, branch or net.cs, total, month=month)
        return svc.receivable_for_statement(statement=statement, actor=net.cs_manager)


def pay(net, partner, amount, allocations=None, **kw):
    data = {
        "partner_id": partner.pk,
        "actor": net.finance,
        "amount": D(amount),
        "received_on": kw.pop("received_on", date(2026, 12, 10)),
        "reference": kw.pop("reference", "BANK-1"),
        "method": kw.pop("method", PaymentMethod.BANK),
        "allocations": allocations,
    }
    data.update(kw)
    with at(2026, 12, 10, 11):
        return svc.payment_record(**data)


# --- receivables ---------------------------------------------------------------------------------


def test_a_confirmed_month_end_statement_becomes_the_branch_s_receivable_exactly_once(world):
    from tests.repairs.test_orders import _ship_with_quote

    net = world
    _ship_with_quote(net, "S1", D("80"), D("120.50"), datetime(2026, 11, 10, tzinfo=Z))
    with at(2026, 12, 1, 9):
        statement = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
        ro.statement_confirm(statement_id=statement.pk, actor=net.cs_manager)
        with pytest.raises(TransitionNotAllowed):
            ro.statement_confirm(statement_id=statement.pk, actor=net.cs_manager)
        again = svc.receivable_for_statement(statement=statement, actor=net.cs_manager)
    receivable = Receivable.objects.get()
    assert again == receivable
    assert receivable.source == ReceivableSource.STATEMENT
    assert (receivable.partner, receivable.branch) == (net.cs, net.cs)
    assert receivable.amount == D("200.50") == statement.total
    assert receivable.state == ReceivableState.OPEN
    assert receivable.number.startswith("AR-202612-")
    assert receivable.issued_on == date(2026, 12, 1)
    assert receivable.due_on == date(2026, 12, 31)  # 30 days (CollectionPolicy)
    timer = Deadline.objects.get(kind="collection.due", owner_id=receivable.pk)
    assert timer.due_at == datetime(2027, 1, 1, tzinfo=Z)


def test_a_statement_confirmation_that_fails_leaves_no_receivable(world):
    net = world
    statement = statement_of(net, net.cs, "500", state=StatementState.DRAFT)
    with at(2026, 11, 20, 9), pytest.raises(ValidationError):  # the month has not ended
        ro.statement_confirm(statement_id=statement.pk, actor=net.cs_manager)
    assert not Receivable.objects.exists()


def test_a_parts_sale_invoiced_on_account_becomes_the_dealer_s_receivable(world):
    net = world
    with at(2026, 12, 3, 10):
        quote = parts_sale(net, net.dealer, "415.00", "PQ-1")
    receivable = Receivable.objects.get(parts_quote=quote)
    assert receivable.source == ReceivableSource.PARTS_SALE
    assert (receivable.partner, receivable.branch) == (net.dealer, net.cs)
    assert receivable.amount == D("415.00")
    assert "INV-PQ-1" in receivable.description
    assert Notification.objects.filter(recipient=net.dealer_user, source_id=receivable.pk).exists()


def test_a_parts_sale_paid_up_front_owes_nothing(world):
    net = world
    warehouse = Warehouse.objects.create(
        code="W-HQ", name="总部配件仓", kind=WarehouseKind.HQ, org_unit=net.hq
    )
    quote = DealerQuote.objects.create(
        number="PQ-2",
        dealer=net.dealer,
        warehouse=warehouse,
        state=QuoteState.ACCEPTED,
        total=D("90"),
        asked_by=net.dealer_user,
    )
    qs.quote_settle(quote_id=quote.pk, actor=net.parts_clerk, how="paid", reference="TT-1")
    assert not Receivable.objects.exists()


# --- payments ------------------------------------------------------------------------------------


def test_a_partial_payment_leaves_the_right_balance(world):
    net = world
    receivable = receivable_for(net, total="1000.10")
    pay(net, net.cs, "333.37")
    receivable.refresh_from_db()
    assert receivable.state == ReceivableState.PARTIALLY_PAID
    assert receivable.paid_amount == D("333.37")
    assert receivable.balance == D("666.73")
    pay(net, net.cs, "666.73", reference="BANK-2")
    receivable.refresh_from_db()
    assert (receivable.state, receivable.balance) == (ReceivableState.PAID, D("0.00"))
    assert not Deadline.objects.filter(
        owner_id=receivable.pk, kind="collection.due", status=DeadlineStatus.RUNNING
    ).exists()
    assert [e.transition for e in log_of(receivable)] == ["apply_payment", "apply_payment"]


def test_a_payment_is_allocated_oldest_due_first_across_several_receivables(world):
    net = world
    october = receivable_for(net, total="100.00", month=date(2026, 10, 1))
    with at(2026, 12, 20, 10):
        later = svc.receivable_for_statement(
            statement=statement_of(net, net.cs, "50.00"), actor=net.cs_manager
        )
    with at(2026, 12, 21, 10):
        payment = svc.payment_record(
            partner_id=net.cs.pk,
            actor=net.finance,
            amount=D("120.00"),
            received_on=date(2026, 12, 21),
            reference="B-9",
        )
    october.refresh_from_db()
    later.refresh_from_db()
    assert (october.balance, later.balance) == (D("0.00"), D("30.00"))
    assert sorted((a.receivable_id, a.amount) for a in payment.allocations.all()) == sorted(
        [(october.pk, D("100.00")), (later.pk, D("20.00"))]
    )


def test_an_overpayment_and_an_allocation_over_the_balance_are_refused(world):
    net = world
    receivable = receivable_for(net, total="100.00")
    with pytest.raises(ValidationError) as exc:
        pay(net, net.cs, "100.01")
    assert "amount" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        pay(net, net.cs, "150", allocations=[(receivable.pk, D("150"))])
    assert "allocations" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        pay(net, net.cs, "10.001")
    assert "amount" in exc.value.message_dict
    assert not Payment.objects.exists()


def test_a_payment_cannot_touch_another_partner_s_receivable(world):
    net = world
    theirs = receivable_for(net, branch=net.gz, total="100")
    with pytest.raises(ValidationError):
        pay(net, net.cs, "10", allocations=[(theirs.pk, D("10"))])


def test_only_finance_records_payments(world):
    net = world
    receivable_for(net)
    for someone in (net.dispatcher, net.cs_manager, net.dealer_user):
        with pytest.raises(PermissionDenied):
            pay(net, net.cs, "10", actor=someone)


def test_a_reversed_payment_reopens_the_balance_and_restarts_the_timer(world):
    net = world
    receivable = receivable_for(net, total="200.00")
    payment = pay(net, net.cs, "200.00")
    receivable.refresh_from_db()
    assert receivable.state == ReceivableState.PAID
    with pytest.raises(ValidationError):
        svc.payment_reverse(payment_id=payment.pk, actor=net.finance, reason="")
    with at(2026, 12, 12, 10):
        svc.payment_reverse(payment_id=payment.pk, actor=net.finance, reason="承兑汇票退票")
    payment.refresh_from_db()
    receivable.refresh_from_db()
    assert payment.state == PaymentState.REVERSED
    assert (receivable.state, receivable.balance) == (ReceivableState.OPEN, D("200.00"))
    assert Deadline.objects.filter(
        owner_id=receivable.pk, kind="collection.due", status=DeadlineStatus.RUNNING
    ).exists()
    with at(2026, 12, 12, 11), pytest.raises(TransitionNotAllowed):
        svc.payment_reverse(payment_id=payment.pk, actor=net.finance, reason="再来一次")


def test_finance_writes_a_balance_off_with_the_reason(world):
    net = world
    receivable = receivable_for(net, total="300")
    pay(net, net.cs, "120")
    with pytest.raises(PermissionDenied):
        svc.receivable_write_off(receivable_id=receivable.pk, actor=net.head, reason="x")
    with at(2027, 3, 1, 10):
        svc.receivable_write_off(receivable_id=receivable.pk, actor=net.finance, reason="无法收回")
    receivable.refresh_from_db()
    assert receivable.state == ReceivableState.WRITTEN_OFF
    assert (receivable.written_off_amount, receivable.balance) == (D("180.00"), D("0.00"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_finance_clerks_paying_the_same_balance_at_once_never_double_apply(world):
    net = world
    receivable = receivable_for(net, total="100.00")
    barrier = threading.Barrier(2)
    results = []

    def one(reference):
        try:
            barrier.wait()
            svc.payment_record(
                partner_id=net.cs.pk,
                actor=net.finance,
                amount=D("70.00"),
                received_on=date(2026, 12, 1),
                reference=reference,
            )
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(f"B-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    receivable.refresh_from_db()
    assert sorted(results) == ["ok", "refused"]
    assert receivable.paid_amount == D("70.00")


# --- 划账 ---------------------------------------------------------------------------------------


def test_the_dispatcher_proposes_a_transfer_and_finance_confirms_it_as_a_payment(world):
    net = world
    receivable = receivable_for(net, total="500.00")
    with pytest.raises(PermissionDenied):
        svc.transfer_propose(
            receivable_id=receivable.pk,
            actor=net.finance,
            amount=D("100"),
            settled_on=date(2026, 12, 5),
            reference="DD-1",
        )
    with at(2026, 12, 5, 10):
        with pytest.raises(ValidationError) as exc:
            svc.transfer_propose(
                receivable_id=receivable.pk,
                actor=net.dispatcher,
                amount=D("600"),
                settled_on=date(2026, 12, 6),
                reference="",
            )
        assert set(exc.value.message_dict) == {"amount", "settled_on", "reference"}
        transfer = svc.transfer_propose(
            receivable_id=receivable.pk,
            actor=net.dispatcher,
            amount=D("500.00"),
            settled_on=date(2026, 12, 5),
            reference="DD-1",
        )
        with pytest.raises(ValidationError):  # the balance is already proposed
            svc.transfer_propose(
                receivable_id=receivable.pk,
                actor=net.dispatcher,
                amount=D("1"),
                settled_on=date(2026, 12, 5),
                reference="DD-2",
            )
    assert Notification.objects.filter(recipient=net.finance, source_id=transfer.pk).exists()
    with at(2026, 12, 6, 10):
        svc.transfer_confirm(transfer_id=transfer.pk, actor=net.finance)
        with pytest.raises(TransitionNotAllowed):
            svc.transfer_confirm(transfer_id=transfer.pk, actor=net.finance)
    transfer.refresh_from_db()
    receivable.refresh_from_db()
    assert transfer.state == TransferState.CONFIRMED
    assert transfer.payment.method == PaymentMethod.DISPATCH
    assert transfer.payment.reference == "DD-1"
    assert transfer.payment.received_on == date(2026, 12, 5)
    assert receivable.state == ReceivableState.PAID


def test_a_rejected_transfer_frees_the_balance_for_another(world):
    net = world
    receivable = receivable_for(net, total="50.00")
    with at(2026, 12, 5, 10):
        first = svc.transfer_propose(
            receivable_id=receivable.pk,
            actor=net.dispatcher,
            amount=D("50"),
            settled_on=date(2026, 12, 5),
            reference="DD-1",
        )
        svc.transfer_reject(transfer_id=first.pk, actor=net.finance, reason="凭证号不符")
        second = svc.transfer_propose(
            receivable_id=receivable.pk,
            actor=net.dispatcher,
            amount=D("50"),
            settled_on=date(2026, 12, 5),
            reference="DD-9",
        )
    first.refresh_from_db()
    assert first.state == TransferState.REJECTED and first.rejection_reason == "凭证号不符"
    assert second.state == TransferState.PROPOSED


def test_the_statement_s_own_transfer_record_is_proposed_against_its_receivable(world):
    from tests.repairs.test_orders import _ship_with_quote

    net = world
    _ship_with_quote(net, "S1", D("80"), D("20"), datetime(2026, 11, 10, tzinfo=Z))
    with at(2026, 12, 1, 9):
        statement = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
        ro.statement_confirm(statement_id=statement.pk, actor=net.cs_manager)
        ro.statement_hand_over(statement_id=statement.pk, actor=net.clerk)
        ro.statement_settle(
            statement_id=statement.pk,
            actor=net.dispatcher,
            settled_on=date(2026, 12, 1),
            amount=D("100"),
            reference="HZ-77",
        )
    transfer = Transfer.objects.get()
    assert (transfer.amount, transfer.reference, transfer.state) == (
        D("100.00"),
        "HZ-77",
        TransferState.PROPOSED,
    )
    assert transfer.receivable.statement_id == statement.pk


# --- ageing --------------------------------------------------------------------------------------


def _spread(net):
    """Receivables of both branches and both dealers, due across every bucket, some paid."""
    made = []
    for i, (days_ago, unit) in enumerate(
        [
            (-5, net.cs),
            (0, net.gz),
            (10, net.dealer),
            (31, net.cs),
            (45, net.dealer2),
            (75, net.gz),
            (91, net.dealer),
            (200, net.cs),
        ]
    ):
        issued = date(2026, 12, 15) - timedelta(days=30 + days_ago)
        with time_machine.travel(datetime(issued.year, issued.month, issued.day, 10, tzinfo=Z)):
            if unit in (net.dealer, net.dealer2):
                parts_sale(net, unit, f"{100 + i}.{i}5", f"PQ-{i}")
            else:
                svc.receivable_for_statement(
                    statement=statement_of(
                        net, unit, f"{1000 + i}.{i}0", month=date(2025, 1 + i, 1)
                    ),
                )
        made.append(unit)
    pay(net, net.cs, "123.45")
    return made


def test_the_ageing_equals_a_direct_sum_of_the_open_balances(world):
    net = world
    _spread(net)
    today = date(2026, 12, 15)
    ageing = sel.ageing(net.finance, today=today, by="partner")
    expected: dict = {}
    for r in Receivable.objects.filter(state__in=("open", "partially_paid")):
        bucket = sel.bucket_of((today - r.due_on).days)
        expected.setdefault(r.partner_id, {}).setdefault(bucket, D("0"))
        expected[r.partner_id][bucket] += r.amount - r.paid_amount - r.written_off_amount
    got = {row.unit_id: {b: v for b, v in row.amounts.items() if v} for row in ageing.rows}
    assert got == expected
    assert ageing.totals.total == sum((r.balance for r in Receivable.objects.all()), D("0"))
    by_branch = sel.ageing(net.finance, today=today, by="branch")
    assert {r.unit_id for r in by_branch.rows} == {net.cs.pk, net.gz.pk}
    assert by_branch.totals.amounts == ageing.totals.amounts
    every_bucket = {b for row in ageing.rows for b, v in row.amounts.items() if v}
    assert len(every_bucket) == 5


def test_a_dealer_s_ageing_holds_only_its_own(world):
    net = world
    _spread(net)
    ageing = sel.ageing(net.dealer_user, today=date(2026, 12, 15), by="partner")
    assert [r.unit_id for r in ageing.rows] == [net.dealer.pk]


# --- reminders ---------------------------------------------------------------------------------


def test_an_overdue_receivable_warns_the_partner_and_escalates_to_finance_then_the_branch_manager(
    world,
):
    net = world
    with at(2026, 12, 3, 10):
        parts_sale(net, net.dealer, "415.00", "PQ-1")
    receivable = Receivable.objects.get()
    assert receivable.due_on == date(2027, 1, 2)

    def told(user, text):
        return Notification.objects.filter(
            recipient=user, channel="in_app", subject__contains=text
        ).exists()

    with at(2026, 12, 28, 10):  # inside the warning margin (25 % of 30 days)
        sweep_deadlines(now=datetime(2026, 12, 28, 10, tzinfo=Z))
    assert told(net.dealer_user, "即将到期")
    assert not told(net.finance, "超期")
    with at(2027, 1, 4, 10):
        sweep_deadlines(now=datetime(2027, 1, 4, 10, tzinfo=Z))
    assert told(net.dealer_user, "已超期")
    assert told(net.finance, "已超期")
    assert not told(net.dealer2_user, "超期")
    with at(2027, 1, 5, 10):  # one working day after the breach (Monday 4th, 18:00)
        sweep_deadlines(now=datetime(2027, 1, 5, 10, tzinfo=Z))
    assert told(net.cs_manager, "超期升级")
    # paid: the timer is closed and nothing more is said
    pay(net, net.dealer, "415.00")
    assert not Deadline.objects.filter(
        owner_id=receivable.pk, kind="collection.due", status__in=("running", "breached")
    ).exists()


# --- statement of account ------------------------------------------------------------------------


def test_the_statement_of_account_runs_from_the_opening_to_the_closing_balance(world):
    net = world
    october = receivable_for(net, total="100.00", month=date(2026, 10, 1))  # issued 12-02
    pay(net, net.cs, "40.00", received_on=date(2026, 12, 10))
    with at(2027, 1, 5, 10):
        svc.receivable_for_statement(
            statement=statement_of(net, net.cs, "250.50", month=date(2026, 12, 1)),
        )
        payment = svc.payment_record(
            partner_id=net.cs.pk,
            actor=net.finance,
            amount=D("60.00"),
            received_on=date(2027, 1, 5),
            reference="B-2",
            allocations=[(october.pk, D("60.00"))],
        )
    with at(2027, 1, 9, 10):
        svc.payment_reverse(payment_id=payment.pk, actor=net.finance, reason="退票")
    account = sel.account_statement(net.cs, start=date(2027, 1, 1), end=date(2027, 1, 31))
    assert account.opening == D("60.00")
    assert [(e.kind, e.debit, e.credit) for e in account.entries] == [
        ("invoice", D("250.50"), D("0")),
        ("payment", D("0"), D("60.00")),
        ("reversal", D("60.00"), D("0")),
    ]
    assert account.closing == D("310.50") == sel.balance_of(net.cs.pk)
    assert account.entries[-1].balance == account.closing


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def two_dealers(world):
    """Dealer A's and dealer B's parts sales on account, and 长沙's statement receivable."""
    net = world
    with at(2026, 12, 3, 10):
        parts_sale(net, net.dealer, "415.00", "PQ-A1")
        parts_sale(net, net.dealer2, "777.00", "PQ-B1")
    net.a = Receivable.objects.get(parts_quote__number="PQ-A1")
    net.b = Receivable.objects.get(parts_quote__number="PQ-B1")
    net.cs_receivable = receivable_for(net, total="900.00")
    return net


def test_finance_records_a_partial_payment_on_the_page(two_dealers, client):
    net = two_dealers
    client.force_login(net.finance)
    url = reverse("repairs:payment_new")
    page = client.get(f"{url}?partner={net.dealer.pk}")
    assert page.status_code == 200 and net.a.number in page.content.decode()
    bad = client.post(
        url,
        {"partner": net.dealer.pk, "method": "bank", "amount": "500.00",
         "received_on": "2026-12-05", "reference": "B-1"},
    )  # fmt: skip
    assert bad.status_code == 400 and "不接受预收款" in bad.content.decode()
    with at(2026, 12, 5, 10):
        done = client.post(
            url,
            {"partner": net.dealer.pk, "method": "bank", "amount": "100.25",
             "received_on": "2026-12-05", "reference": "B-1", f"r{net.a.pk}": "100.25"},
        )  # fmt: skip
    assert done.status_code == 302
    net.a.refresh_from_db()
    assert net.a.balance == D("314.75")
    assert client.get(done.url).status_code == 200


def test_only_finance_opens_the_payment_form_and_the_desk_is_for_the_desk_roles(
    two_dealers, client
):
    net = two_dealers
    client.force_login(net.dealer_user)
    assert client.get(reverse("repairs:payment_new")).status_code == 403
    assert client.get(reverse("repairs:collection_desk")).status_code == 403
    client.force_login(net.dispatcher)
    assert client.get(reverse("repairs:collection_desk")).status_code == 200
    assert client.get(reverse("repairs:payment_new")).status_code == 403


def test_the_partner_sees_only_its_own_on_the_web(two_dealers, client):
    net = two_dealers
    client.force_login(net.dealer_user)
    mine = client.get(reverse("repairs:my_account")).content.decode()
    assert net.a.number in mine and net.b.number not in mine
    assert net.cs_receivable.number not in mine
    listed = client.get(reverse("repairs:receivable_list")).content.decode()
    assert net.a.number in listed and net.b.number not in listed
    assert client.get(net.b.get_absolute_url()).status_code == 404
    assert client.get(net.a.get_absolute_url()).status_code == 200
    theirs = reverse("repairs:partner_account", args=[net.dealer2.pk])
    assert client.get(theirs).status_code == 404
    ageing = client.get(reverse("repairs:collection_ageing")).content.decode()
    assert net.dealer.name in ageing and net.dealer2.name not in ageing
    export = client.get(reverse("repairs:receivable_export"))
    from openpyxl import load_workbook

    rows = [
        r[0]
        for r in load_workbook(BytesIO(export.content)).worksheets[0].iter_rows(values_only=True)
    ]
    assert net.a.number in rows and net.b.number not in rows


def test_the_branch_manager_sees_the_branch_and_its_dealers_but_not_another_branch(
    two_dealers, client
):
    net = two_dealers
    gz = receivable_for(net, branch=net.gz, total="10")
    client.force_login(net.cs_manager)
    page = client.get(reverse("repairs:my_account")).content.decode()
    assert net.cs_receivable.number in page and gz.number not in page
    assert client.get(gz.get_absolute_url()).status_code == 404


def test_the_dispatcher_proposes_and_finance_confirms_on_the_receivable_page(two_dealers, client):
    net = two_dealers
    client.force_login(net.dispatcher)
    url = reverse("repairs:transfer_propose", args=[net.cs_receivable.pk])
    with at(2026, 12, 6, 10):
        bad = client.post(url, {"amount": "2000", "settled_on": "2026-12-06", "reference": "D-1"})
        assert bad.status_code == 400 and "超过应收余额" in bad.content.decode()
        ok = client.post(url, {"amount": "900", "settled_on": "2026-12-06", "reference": "D-1"})
    assert ok.status_code == 302
    transfer = Transfer.objects.get()
    client.force_login(net.finance)
    with at(2026, 12, 6, 11):
        done = client.post(reverse("repairs:transfer_act", args=[transfer.pk, "confirm"]))
        assert done.status_code == 302
        again = client.post(
            reverse("repairs:transfer_act", args=[transfer.pk, "confirm"]),
            HTTP_HX_REQUEST="true",
        )
    assert again.status_code == 409
    net.cs_receivable.refresh_from_db()
    assert net.cs_receivable.state == ReceivableState.PAID


def test_the_receivables_list_costs_the_same_queries_whatever_its_length(
    world, client, django_assert_max_num_queries
):
    net = world
    receivable_for(net, total="10")
    client.force_login(net.finance)
    url = reverse("repairs:receivable_list")
    client.get(url)  # warm caches (menus, the calendar)
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    for month in range(1, 10):
        receivable_for(net, total="10", month=date(2025, month, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count("AR-") >= 10


def test_the_statement_of_account_page_and_its_excel(two_dealers, client):
    net = two_dealers
    client.force_login(net.finance)
    url = reverse("repairs:partner_account", args=[net.dealer.pk])
    page = client.get(f"{url}?start=2026-12-01&end=2026-12-31")
    assert page.status_code == 200 and net.a.number in page.content.decode()
    export = client.get(
        reverse("repairs:partner_account_export", args=[net.dealer.pk])
        + "?start=2026-12-01&end=2026-12-31"
    )
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert net.a.number in values and 415 in values


# --- 我的工作 ------------------------------------------------------------------------------------


def test_finance_is_given_receivables_past_due_and_the_dispatcher_receivables_to_settle(world):
    net = world
    receivable = receivable_for(net, total="100")  # its statement is not settled yet
    with at(2026, 12, 3, 10):
        parts_sale(net, net.dealer, "50.00", "PQ-W1")
    sale = Receivable.objects.get(parts_quote__number="PQ-W1")
    finance = sel.OverdueReceivableProvider()
    propose = sel.TransferToProposeProvider()
    now = datetime(2026, 12, 20, 10, tzinfo=Z)
    assert finance.items(net.finance, now=now, limit=10) == []
    # the statement's receivable is the statement's own 划账 step (listed there, once)
    assert [i.url for i in propose.items(net.dispatcher, now=now, limit=10)] == [
        sale.get_absolute_url()
    ]
    later = datetime(2027, 1, 5, 10, tzinfo=Z)
    assert [i.url for i in finance.items(net.finance, now=later, limit=10)] == [
        receivable.get_absolute_url(),
        sale.get_absolute_url(),
    ]
    assert propose.items(net.dealer_user, now=later, limit=10) == []


# --- demo ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_has_a_statement_receivable_partly_paid_and_a_parts_sale_on_account():
    from tests.core.test_demo_data import _load

    _load()
    statement = Receivable.objects.get(source=ReceivableSource.STATEMENT)
    assert statement.state == ReceivableState.PARTIALLY_PAID
    assert D("0") < statement.balance < statement.amount
    sale = Receivable.objects.get(source=ReceivableSource.PARTS_SALE)
    assert sale.partner.code == "D-CS-01" and sale.state == ReceivableState.OPEN
