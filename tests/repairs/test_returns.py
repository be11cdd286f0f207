"""Return-to-factory applications: both approval chains, rejection and resubmission, logistics,
receiving discrepancies, unauthorised arrivals, returned stock and the year-end ranking."""

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django_fsm import TransitionNotAllowed

from network.models import Delegation
from repairs.choices import (
    ApplicationState,
    DiscrepancyKind,
    FreightTerms,
    PenaltyKind,
    StepState,
)
from repairs.models import (
    ApprovalStep,
    HappyFundEntry,
    ReturnApplication,
)
from repairs.selectors.returns import application_list, signature_queue, year_end_ranking
from repairs.services import arrivals as pen
from repairs.services import returns as rma
from service_ops.deadlines.models import Deadline, DeadlineAction, DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from service_ops.transitions.models import TransitionLog
from tests.factories import header, lines, pending_step, sign_all

Z = ZoneInfo("Asia/Shanghai")


def test_operating_chain_runs_from_engineer_to_head_of_cs_and_through_receipt(net):
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("SN1", "SN2"))
    assert app.number.startswith("RMA-") and app.platform == "operating" and app.dealer is None
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    app.refresh_from_db()
    assert app.state == ApplicationState.IN_APPROVAL
    assert [s.role for s in app.steps.order_by("position")] == [
        "field_cs_supervisor",
        "branch_manager",
        "head_of_cs",
    ]
    assert pending_step(app).org_unit == net.gz

    app = sign_all(app, net.gz_cs_sup, net.gz_manager, net.head)
    assert app.state == ApplicationState.APPROVED
    assert Notification.objects.filter(recipient=net.clerk, subject__contains="请安排提货").exists()

    rma.rma_book_pickup(
        application_id=app.pk,
        actor=net.clerk,
        pickup_date=date(2026, 11, 25),
        driver_name="李师傅",
        vehicle_plate="粤A12345",
    )
    rma.rma_record_pickup(application_id=app.pk, actor=net.clerk, counted_units=2, shipper_count=2)
    rma.rma_receive(
        application_id=app.pk, actor=net.clerk, units=[("GPS-X1", "SN1"), ("GPS-X1", "SN2")]
    )
    app.refresh_from_db()
    assert app.state == ApplicationState.RECEIVED and not app.has_discrepancies
    assert app.received_units.count() == 2
    rma.rma_close(application_id=app.pk, actor=net.clerk)
    app.refresh_from_db()
    assert app.state == ApplicationState.CLOSED
    transitions = list(
        TransitionLog.objects.filter(
            object_id=app.pk, object_type__model="returnapplication"
        ).values_list("transition", flat=True)
    )
    assert transitions == ["submit", "approve", "book_pickup", "record_pickup", "receive", "close"]


def test_managed_chain_rejected_by_provincial_manager_restarts_with_fresh_steps(net):
    app = rma.rma_create(applicant=net.dealer_user, header=header(), lines=lines("M1"))
    assert app.platform == "managed" and app.dealer == net.dealer and app.branch == net.cs
    rma.rma_submit(application_id=app.pk, actor=net.dealer_user)
    app = sign_all(app, net.cs_engineer)
    step = pending_step(app)
    assert step.role == "provincial_manager" and step.org_unit == net.hn

    with pytest.raises(ValidationError):
        rma.rma_decide(step_id=step.pk, actor=net.hn_manager, approve=False, comment="")
    rma.rma_decide(step_id=step.pk, actor=net.hn_manager, approve=False, comment="照片不清楚")
    app.refresh_from_db()
    assert app.state == ApplicationState.REJECTED and app.reject_reason == "照片不清楚"
    assert not app.steps.filter(state__in=[StepState.PENDING, StepState.WAITING]).exists()
    assert (
        not Deadline.objects.filter(status__in=["running", "breached"])
        .exclude(owner_id__in=[])
        .filter(kind="rma.approval_step")
        .exists()
    )

    rma.rma_update(
        application_id=app.pk, actor=net.dealer_user, header=header(), lines=lines("M1", "M2")
    )
    rma.rma_submit(application_id=app.pk, actor=net.dealer_user)
    app.refresh_from_db()
    assert app.round == 2
    assert app.steps.filter(round=2).count() == 3
    assert Deadline.objects.filter(kind="rma.approval_step", status="running").count() == 1
    app = sign_all(app, net.cs_engineer, net.hn_manager, net.head)
    assert app.state == ApplicationState.APPROVED


def test_only_the_holder_of_the_steps_role_may_sign_and_a_dealer_never(net):
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("S1"))
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    step = pending_step(app)
    for outsider in (net.gz_manager, net.dealer_user, net.gz_engineer):
        with pytest.raises(PermissionDenied):
            rma.rma_decide(step_id=step.pk, actor=outsider, approve=True)
    step.refresh_from_db()
    assert step.state == StepState.PENDING


def test_a_deputy_signs_for_an_absent_approver(net):
    from tests.factories import make_user

    deputy = make_user("deputy", net.gz, email=True)
    Delegation.objects.create(
        principal=net.gz_cs_sup, deputy=deputy, starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1)
    )
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("S1"))
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    assert list(signature_queue(deputy)) == [pending_step(app)]
    rma.rma_decide(step_id=pending_step(app).pk, actor=deputy, approve=True)
    assert ApprovalStep.objects.get(application=app, position=1).decided_by == deputy


def test_a_signed_step_cannot_be_signed_again(net):
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("S1"))
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    step = pending_step(app)
    rma.rma_decide(step_id=step.pk, actor=net.gz_cs_sup, approve=True)
    with pytest.raises(TransitionNotAllowed):
        rma.rma_decide(step_id=step.pk, actor=net.gz_cs_sup, approve=True)


def test_the_applicant_may_withdraw_before_approval_and_the_timers_stop(net):
    app = rma.rma_create(applicant=net.dealer_user, header=header(), lines=lines("S1"))
    rma.rma_submit(application_id=app.pk, actor=net.dealer_user)
    rma.rma_withdraw(application_id=app.pk, actor=net.dealer_user, reason="客户自行处理")
    app.refresh_from_db()
    assert app.state == ApplicationState.WITHDRAWN
    assert not Deadline.objects.filter(status="running").exists()
    with pytest.raises(PermissionDenied):
        other = rma.rma_create(applicant=net.dealer_user, header=header(), lines=lines("S2"))
        rma.rma_withdraw(application_id=other.pk, actor=net.dealer2_user)


def test_cash_on_delivery_is_refused_where_entered_when_booking_and_when_receiving(net):
    with pytest.raises(ValidationError) as refused:
        rma.rma_create(
            applicant=net.gz_engineer, header=header(freight_terms="collect"), lines=lines("S1")
        )
    assert "到付" in str(refused.value.message_dict["freight_terms"])
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("S1"))
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    sign_all(app, net.gz_cs_sup, net.gz_manager, net.head)
    # a row stored before the check at entry: the booking still refuses it
    ReturnApplication.objects.filter(pk=app.pk).update(freight_terms="collect")
    with pytest.raises(ValidationError) as refused:
        rma.rma_book_pickup(
            application_id=app.pk,
            actor=net.clerk,
            pickup_date=date(2026, 11, 25),
            driver_name="李师傅",
        )
    assert "到付" in str(refused.value)

    ok = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("S9"))
    rma.rma_submit(application_id=ok.pk, actor=net.gz_engineer)
    sign_all(ok, net.gz_cs_sup, net.gz_manager, net.head)
    rma.rma_book_pickup(
        application_id=ok.pk, actor=net.clerk, pickup_date=date(2026, 11, 25), driver_name="李师傅"
    )
    rma.rma_record_pickup(application_id=ok.pk, actor=net.clerk, counted_units=1, shipper_count=1)
    with pytest.raises(ValidationError) as refused:
        rma.rma_receive(
            application_id=ok.pk,
            actor=net.clerk,
            units=[("GPS-X1", "S9")],
            freight_terms=FreightTerms.COLLECT,
        )
    assert "到付" in str(refused.value)
    ok.refresh_from_db()
    assert ok.state == ApplicationState.PICKED_UP  # nothing lost, can be received properly


def _approved_and_picked_up(net, serials, counted=None):
    app = rma.rma_create(applicant=net.dealer_user, header=header(), lines=lines(*serials))
    rma.rma_submit(application_id=app.pk, actor=net.dealer_user)
    sign_all(app, net.cs_engineer, net.hn_manager, net.head)
    rma.rma_book_pickup(
        application_id=app.pk, actor=net.clerk, pickup_date=date(2026, 11, 25), driver_name="王师傅"
    )
    count = len(serials) if counted is None else counted
    rma.rma_record_pickup(
        application_id=app.pk, actor=net.clerk, counted_units=count, shipper_count=len(serials)
    )
    return app


def test_receiving_with_a_missing_unit_and_a_wrong_serial_records_both_and_tells_the_shipper(
    net,
):
    app = _approved_and_picked_up(net, ["A1", "A2", "A3"])
    rma.rma_receive(
        application_id=app.pk, actor=net.clerk, units=[("GPS-X1", "A1"), ("GPS-X1", "ZZ9")]
    )
    app.refresh_from_db()
    assert app.has_discrepancies
    found = {(d.kind, d.expected, d.actual) for d in app.discrepancies.all()}
    assert (DiscrepancyKind.WRONG_SERIAL, "GPS-X1 A2", "GPS-X1 ZZ9") in found
    assert (DiscrepancyKind.MISSING_UNIT, "GPS-X1 A3", "") in found
    assert len(found) == 2
    assert all(d.shipper_notified_at for d in app.discrepancies.all())
    told = Notification.objects.filter(subject__contains="收货差异", channel="in_app")
    assert {n.recipient for n in told} == {net.dealer_user}
    assert "A3" in told.first().body


def test_a_count_mismatch_at_pickup_is_recorded(net):
    app = _approved_and_picked_up(net, ["B1", "B2"], counted=1)
    assert app.discrepancies.get().kind == DiscrepancyKind.COUNT_MISMATCH


def test_match_units_tells_wrong_model_extra_and_unserialised_lines_apart():
    from repairs.models import ReturnLine

    expected = [
        ReturnLine(product_model="X1", serial_number="S1", quantity=1),
        ReturnLine(product_model="Y2", serial_number="", quantity=2),
    ]
    received, issues = rma.match_units(expected, [("Z9", "S1"), ("Y2", ""), ("Q1", "E1")])
    kinds = sorted(kind for kind, *_ in issues)
    assert kinds == sorted(
        [DiscrepancyKind.WRONG_MODEL, DiscrepancyKind.EXTRA_UNIT, DiscrepancyKind.MISSING_UNIT]
    )
    assert len(received) == 3


def test_a_stalled_approval_step_warns_then_escalates_once_each(net):
    start = datetime(2026, 11, 23, 10, tzinfo=Z)  # Monday
    with time_machine.travel(start, tick=False):
        app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("S1"))
        rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    deadline = Deadline.objects.get(kind="rma.approval_step", status="running")
    assert deadline.due_at == datetime(2026, 11, 24, 18, tzinfo=Z)
    assert deadline.assignee == net.gz_cs_sup

    warn_time = datetime(2026, 11, 23, 18, 1, tzinfo=Z)
    for _ in range(2):
        sweep_deadlines(now=warn_time)
    assert list(DeadlineAction.objects.values_list("level", flat=True)) == [1]
    breach_time = datetime(2026, 11, 24, 18, 1, tzinfo=Z)
    for _ in range(2):
        sweep_deadlines(now=breach_time)
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.BREACHED
    escalate_time = datetime(2026, 11, 25, 18, 1, tzinfo=Z)
    for _ in range(2):
        sweep_deadlines(now=escalate_time)
    assert sorted(DeadlineAction.objects.values_list("level", flat=True)) == [1, 2, 3]
    to_head = Notification.objects.filter(
        recipient=net.head, channel="in_app", subject__contains="超期升级"
    )
    assert to_head.count() == 1
    assert Notification.objects.filter(recipient=net.gz_cs_sup, channel="in_app").count() >= 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_approvals_of_one_step_succeed_once(net):
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("C1"))
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    step_id = pending_step(app).pk
    barrier = threading.Barrier(50)
    outcomes = []

    def sign():
        try:
            barrier.wait()
            rma.rma_decide(step_id=step_id, actor=net.gz_cs_sup, approve=True)
            outcomes.append("ok")
        except TransitionNotAllowed:
            outcomes.append("conflict")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert outcomes.count("conflict") == 49
    assert (
        TransitionLog.objects.filter(
            object_type__model="approvalstep", object_id=step_id, transition="approve"
        ).count()
        == 1
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_document_numbers_stay_unique_under_concurrent_creation(net):
    numbers = []

    def create():
        try:
            numbers.append(
                rma.rma_create(
                    applicant=net.gz_engineer, header=header(), lines=lines()[:0] or lines("X")
                ).number
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(numbers) == 20 and len(set(numbers)) == 20


def test_a_dealer_sees_only_its_own_applications(net):
    mine = rma.rma_create(applicant=net.dealer_user, header=header(), lines=lines("D1"))
    rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("D2"))
    assert list(ReturnApplication.objects.visible_to(net.dealer2_user)) == []
    assert list(ReturnApplication.objects.visible_to(net.dealer_user)) == [mine]
    assert ReturnApplication.objects.visible_to(net.head).count() == 2
    assert list(ReturnApplication.objects.visible_to(net.cs_manager)) == [mine]


def test_the_list_uses_a_constant_number_of_queries(net, django_assert_max_num_queries):
    for i in range(12):
        rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines(f"Q{i}"))
    with django_assert_max_num_queries(3):
        rows = [
            (a.number, a.branch.name, a.applicant.username, a.unit_count, a.overdue)
            for a in application_list(net.head)
        ]
    assert len(rows) == 12


def test_unauthorised_arrival_from_an_operating_branch_proposes_a_branch_manager_fine(net):
    arrival = pen.arrival_record(
        actor=net.clerk, shipper_unit=net.gz, units=3, return_carrier="顺丰", return_tracking="SF1"
    )
    (penalty,) = arrival.penalties.all()
    assert (penalty.role, penalty.person, penalty.kind) == (
        "branch_manager",
        net.gz_manager,
        PenaltyKind.FINE,
    )
    assert (penalty.amount_min, penalty.amount_max) == (Decimal("200"), Decimal("500"))


def test_unauthorised_arrival_from_a_dealer_penalises_engineer_points_and_provincial_manager(net):
    arrival = pen.arrival_record(actor=net.clerk, shipper_unit=net.dealer, units=1)
    got = {(p.role, p.person, p.kind, p.amount_min) for p in arrival.penalties.all()}
    assert got == {
        ("local_engineer", net.cs_engineer, PenaltyKind.POINTS, Decimal("20")),
        ("provincial_manager", net.hn_manager, PenaltyKind.FINE, Decimal("200")),
    }


def test_confirmed_fines_enter_the_happy_fund_within_the_range(net):
    arrival = pen.arrival_record(actor=net.clerk, shipper_unit=net.dealer, units=1)
    fine = arrival.penalties.get(kind=PenaltyKind.FINE)
    points = arrival.penalties.get(kind=PenaltyKind.POINTS)
    with pytest.raises(ValidationError):
        pen.penalty_confirm(penalty_id=fine.pk, actor=net.head, amount=Decimal("800"))
    with pytest.raises(PermissionDenied):
        pen.penalty_confirm(penalty_id=fine.pk, actor=net.clerk, amount=Decimal("300"))
    pen.penalty_confirm(penalty_id=fine.pk, actor=net.head, amount=Decimal("300"))
    pen.penalty_confirm(penalty_id=points.pk, actor=net.head, amount=Decimal("20"))
    assert pen.fund_balance() == Decimal("300")
    assert HappyFundEntry.objects.count() == 1
    arrival.refresh_from_db()
    assert arrival.state == "penalties_confirmed"


def test_year_end_ranking_flags_top_provinces_and_branches(net):
    app = _approved_and_picked_up(net, ["R1", "R2"])
    rma.rma_receive(
        application_id=app.pk, actor=net.clerk, units=[("GPS-X1", "R1"), ("GPS-X1", "R2")]
    )
    year = app.created_at.year
    op = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("O1"))
    rma.rma_submit(application_id=op.pk, actor=net.gz_engineer)
    sign_all(op, net.gz_cs_sup, net.gz_manager, net.head)
    rma.rma_book_pickup(
        application_id=op.pk, actor=net.clerk, pickup_date=date(2026, 11, 25), driver_name="李"
    )
    rma.rma_record_pickup(application_id=op.pk, actor=net.clerk, counted_units=1, shipper_count=1)
    rma.rma_receive(application_id=op.pk, actor=net.clerk, units=[("GPS-X1", "O1")])
    ranking = year_end_ranking(year)
    assert [(r.unit, r.units, r.flagged) for r in ranking["provinces"]] == [(net.hn, 2, True)]
    assert [(r.unit, r.units, r.flagged) for r in ranking["branches"]] == [(net.gz, 1, True)]


def test_the_ranking_is_remembered_until_the_next_receipt(net, monkeypatch):
    from django.core.cache.backends.locmem import LocMemCache

    from repairs.selectors import returns as selectors

    monkeypatch.setattr(selectors, "RANKING_CACHE_SECONDS", 600)
    monkeypatch.setattr(selectors, "cache", LocMemCache("ranking-test", {}))  # this test's own
    app = _approved_and_picked_up(net, ["K1"])
    year = app.created_at.year
    rma.rma_receive(application_id=app.pk, actor=net.clerk, units=[("GPS-X1", "K1")])
    first = year_end_ranking(year)
    assert year_end_ranking(year)["as_of"] == first["as_of"]  # the cached count
    second = _approved_and_picked_up(net, ["K2"])
    rma.rma_receive(application_id=second.pk, actor=net.clerk, units=[("GPS-X1", "K2")])
    recounted = year_end_ranking(year)
    assert [r.units for r in recounted["provinces"]] == [r.units + 1 for r in first["provinces"]]


def test_an_engineer_cannot_file_for_another_branchs_dealer(net):
    with pytest.raises(ValidationError):
        rma.rma_create(
            applicant=net.gz_engineer, header=header(dealer=net.dealer), lines=lines("X1")
        )


def test_the_signature_queue_shows_only_steps_the_user_may_sign(net):
    from tests.factories import make_user

    # A second field CS supervisor at HQ level is not the nearest holder for 广州分公司.
    make_user("hq_cs_sup", net.hq, "field_cs_supervisor", email=True)
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("Q1"))
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    from django.contrib.auth import get_user_model

    hq_sup = get_user_model().objects.get(username="hq_cs_sup")
    assert list(signature_queue(hq_sup)) == []
    assert list(signature_queue(net.gz_cs_sup)) == [pending_step(app)]


def test_every_unit_tied_at_the_cut_off_is_flagged():
    # issue 15, item 8: the top 3 of 6 branches, two of them tied for third place
    from collections import Counter
    from types import SimpleNamespace

    from repairs.selectors.returns import rank_units

    units = {i: SimpleNamespace(code=f"B{i}") for i in range(1, 7)}
    counts = Counter({1: 40, 2: 30, 3: 20, 4: 20, 5: 10, 6: 10})
    rows = rank_units(counts, units, 3, Counter({4: 2}))
    got = [(r.unit.code, r.rank, r.flagged, r.tied, r.arrivals) for r in rows]
    assert got == [
        ("B1", 1, True, False, 0),
        ("B2", 2, True, False, 0),
        ("B3", 3, True, True, 0),
        ("B4", 3, True, True, 2),  # tied for third: flagged too, refused arrivals beside
        ("B5", 5, False, True, 0),
        ("B6", 5, False, True, 0),
    ]


def test_the_ranking_counts_refused_arrivals_beside_the_returns(net):
    from repairs.services.arrivals import arrival_record

    test_year_end_ranking_flags_top_provinces_and_branches(net)
    arrival_record(actor=net.clerk, shipper_unit=net.gz, units=3, description="无申请")
    year = ReturnApplication.objects.latest("pk").created_at.year
    (gz,) = year_end_ranking(year)["branches"]
    assert (gz.unit, gz.units, gz.arrivals) == (net.gz, 1, 3)
