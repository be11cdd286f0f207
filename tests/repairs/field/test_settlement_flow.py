"""The statement's way (网点结算): draft → issued → the point confirms or disputes each line →
the network specialist adjusts or upholds the disputed ones → approved → exported; rewards and
penalties on a draft; the fee rules' life (end, replace, never back past a priced day); a visit
payable late goes on the next statement; the 我的工作 providers; the periodic job."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed

from repairs.choices import (
    CallbackVerdict,
    SettlementLineKind,
    SettlementLineState,
    SettlementState,
)
from repairs.models import FeeRule, ServiceRequest, SettlementLine, SettlementStatement
from repairs.selectors import settlement as sel
from repairs.services import settlement as svc
from service_ops.plugins import periodic_jobs
from service_ops.transitions.services import log_of

from .settlement_fixtures import at, finished_visit, rule, settlement_people

pytestmark = pytest.mark.django_db

JUNE = date(2026, 6, 1)
NOW = at(2026, 7, 2, 9)


@pytest.fixture
def built(net):
    n = settlement_people(net)
    n.rule = rule(100, category="repair")
    n.visits = [finished_visit(n, at(2026, 6, d)) for d in (3, 4, 5)]
    with time_machine.travel(NOW, tick=False):
        n.statement = svc.settlement_build(point=n.point, month=JUNE, actor=n.specialist)
    n.lines = list(n.statement.lines.order_by("id"))
    return n


def _issue(n):
    with time_machine.travel(NOW, tick=False):
        svc.settlement_issue(statement_id=n.statement.pk, actor=n.specialist)
    n.statement.refresh_from_db()


def test_a_statement_goes_from_draft_to_exported_with_a_dispute_on_the_way(built):
    n = built
    reward = svc.settlement_add_line(
        statement_id=n.statement.pk, actor=n.specialist, kind="reward", amount=Decimal("50"),
        reason="好评奖励",
    )  # fmt: skip
    penalty = svc.settlement_add_line(
        statement_id=n.statement.pk, actor=n.specialist, kind="penalty", amount=Decimal("30"),
        reason="超时上门",
    )  # fmt: skip
    n.statement.refresh_from_db()
    assert penalty.amount == Decimal("-30.00")
    assert n.statement.total == Decimal("320.00")  # 3 × 100 + 50 − 30
    _issue(n)
    assert n.statement.state == SettlementState.ISSUED

    first, second, third = n.lines
    svc.line_confirm(line_id=first.pk, actor=n.point_user)
    svc.line_dispute(line_id=second.pk, actor=n.point_user, reason="实际路程 80 公里")
    for line in (third, reward, penalty):
        svc.line_confirm(line_id=line.pk, actor=n.point_user)
    n.statement.refresh_from_db()
    assert n.statement.state == SettlementState.DISPUTED

    svc.line_resolve(
        line_id=second.pk, actor=n.specialist, adjust=True, amount=Decimal("130"),
        note="按远程补贴调整",
    )  # fmt: skip
    n.statement.refresh_from_db()
    second.refresh_from_db()
    assert second.state == SettlementLineState.ADJUSTED
    assert (second.original_amount, second.amount) == (Decimal("100.00"), Decimal("130.00"))
    assert n.statement.state == SettlementState.CONFIRMED
    assert n.statement.total == Decimal("350.00")

    with pytest.raises(PermissionDenied):
        svc.settlement_approve(statement_id=n.statement.pk, actor=n.specialist)
    svc.settlement_approve(statement_id=n.statement.pk, actor=n.head)
    svc.settlement_export(statement_id=n.statement.pk, actor=n.finance)
    n.statement.refresh_from_db()
    assert n.statement.state == SettlementState.EXPORTED
    steps = [e.transition for e in log_of(n.statement)]
    assert steps == ["issue", "disputes_raised", "disputes_resolved", "approve", "export"]
    assert [e.transition for e in log_of(second)] == ["dispute", "adjust"]


def test_the_point_answers_only_an_issued_statement_and_each_line_once(built):
    n = built
    line = n.lines[0]
    with pytest.raises(TransitionNotAllowed):  # still a draft
        svc.line_confirm(line_id=line.pk, actor=n.point_user)
    _issue(n)
    with pytest.raises(PermissionDenied):  # another point's staff
        svc.line_confirm(line_id=line.pk, actor=n.point2_user)
    svc.line_confirm(line_id=line.pk, actor=n.point_user)
    with pytest.raises(TransitionNotAllowed):  # answered already
        svc.line_dispute(line_id=line.pk, actor=n.point_user, reason="再议")
    with pytest.raises(ValidationError):
        svc.line_dispute(line_id=n.lines[1].pk, actor=n.point_user, reason="  ")
    assert svc.statement_confirm_rest(statement_id=n.statement.pk, actor=n.point_user) == 2
    n.statement.refresh_from_db()
    assert n.statement.state == SettlementState.CONFIRMED
    with pytest.raises(TransitionNotAllowed):  # an issued statement takes no reward any more
        svc.settlement_add_line(
            statement_id=n.statement.pk, actor=n.specialist, kind="reward",
            amount=Decimal("10"), reason="x",
        )  # fmt: skip
    with pytest.raises(TransitionNotAllowed):
        svc.settlement_export(statement_id=n.statement.pk, actor=n.finance)  # not approved yet


def test_an_upheld_dispute_keeps_the_amount_and_completes_the_statement(built):
    n = built
    _issue(n)
    svc.line_dispute(line_id=n.lines[0].pk, actor=n.point_user, reason="金额不对")
    svc.statement_confirm_rest(statement_id=n.statement.pk, actor=n.point_user)
    with pytest.raises(ValidationError):
        svc.line_resolve(line_id=n.lines[0].pk, actor=n.specialist, adjust=False, note="")
    svc.line_resolve(line_id=n.lines[0].pk, actor=n.specialist, adjust=False, note="按规则")
    n.statement.refresh_from_db()
    assert n.statement.state == SettlementState.CONFIRMED
    assert n.statement.total == Decimal("300.00")


def test_an_issued_statement_is_never_rebuilt_and_a_late_visit_goes_on_the_next_one(built):
    n = built
    _issue(n)
    late = finished_visit(n, at(2026, 6, 20), verdict=CallbackVerdict.PENDING)
    with time_machine.travel(NOW, tick=False):
        again = svc.settlement_build(point=n.point, month=JUNE)
    assert again.pk == n.statement.pk and again.lines.count() == 3
    # the callback comes in satisfied in July: July's statement pays it at June's price
    ServiceRequest.objects.filter(pk=late.request_id).update(
        callback_verdict=CallbackVerdict.SATISFIED
    )
    with time_machine.travel(at(2026, 8, 1, 9), tick=False):
        july = svc.settlement_build(point=n.point, month=date(2026, 7, 1))
    line = july.lines.get()
    assert (line.visit, line.fee_date, line.amount) == (late, date(2026, 6, 20), Decimal("100.00"))


def test_a_draft_is_refreshed_a_visit_that_no_longer_passes_leaves_it(built):
    n = built
    dropped = n.visits[0]
    ServiceRequest.objects.filter(pk=dropped.request_id).update(
        callback_verdict=CallbackVerdict.DISSATISFIED
    )
    with time_machine.travel(NOW, tick=False):
        svc.settlement_build(point=n.point, month=JUNE)
    assert not SettlementLine.objects.filter(visit=dropped).exists()
    n.statement.refresh_from_db()
    assert n.statement.total == Decimal("200.00")


def test_a_month_is_built_only_after_it_ended_and_only_by_the_specialist(built):
    n = built
    with time_machine.travel(at(2026, 6, 30, 23), tick=False), pytest.raises(ValidationError):
        svc.settlement_build(point=n.point, month=JUNE, actor=n.specialist)
    with pytest.raises(PermissionDenied):
        svc.settlement_build(point=n.point, month=JUNE, actor=n.point_user)


def test_fee_rules_are_ended_and_replaced_never_rewritten_under_a_priced_day(built):
    n = built
    with pytest.raises(ValidationError):  # the same conditions, overlapping
        svc.fee_rule_add(
            actor=n.specialist,
            rule=FeeRule(category="repair", amount=Decimal("110"), effective_from=date(2026, 7, 1)),
        )
    with pytest.raises(ValidationError):  # priced 5 June: cannot end on 4 June
        svc.fee_rule_end(rule_id=n.rule.pk, actor=n.specialist, last_day=date(2026, 6, 4))
    new = svc.fee_rule_add(
        actor=n.specialist,
        rule=FeeRule(category="repair", amount=Decimal("110"), effective_from=date(2026, 7, 1)),
        replaces=n.rule,
    )
    n.rule.refresh_from_db()
    assert n.rule.effective_to == date(2026, 6, 30)
    assert new.pk and new.created_by == n.specialist
    with pytest.raises(PermissionDenied):
        svc.fee_rule_end(rule_id=new.pk, actor=n.point_user, last_day=date(2026, 12, 31))


def test_the_most_specific_rule_wins_in_the_documented_order(net):
    settlement_people(net)
    base = rule(10)
    band = rule(20, km_from=Decimal(0), km_to=Decimal(50))
    narrow = rule(25, km_from=Decimal(10), km_to=Decimal(20))
    warranty = rule(30, warranty="in")
    grade = rule(40, grade="B")
    category = rule(50, category="repair")
    model = rule(60, product_model="GPS")
    longer = rule(70, product_model="GPS-X")
    rules = list(FeeRule.objects.all())
    visit = {"category": "repair", "grade": "B", "km": Decimal(15), "in_warranty": True}
    day = date(2026, 6, 1)
    assert FeeRule.objects.count() == 8
    pick = [
        ("GPS-X1", rules),
        ("GPS-Y", [r for r in rules if r != longer]),
        ("K1", [r for r in rules if r not in (longer, model)]),
        ("K1", [r for r in rules if r not in (longer, model, category)]),
        ("K1", [base, band, narrow, warranty]),
        ("K1", [base, band, narrow]),
        ("K1", [base, band]),
        ("K1", [base]),
    ]
    found = [sel.best_rule(rs, day=day, model=m, **visit) for m, rs in pick]
    assert found == [longer, model, category, grade, warranty, narrow, band, base]


def test_the_work_inbox_asks_the_right_people(built):
    n = built
    point_items = sel.PointStatementProvider().items
    staff_items = sel.SettlementStaffProvider().items
    assert point_items(n.point_user, now=NOW, limit=10) == []
    assert [i.url for i in staff_items(n.specialist, now=NOW, limit=10)] == [
        n.statement.get_absolute_url()
    ]  # a draft of an ended month: to issue
    _issue(n)
    assert len(point_items(n.point_user, now=NOW, limit=10)) == 1
    assert point_items(n.point2_user, now=NOW, limit=10) == []
    svc.line_dispute(line_id=n.lines[0].pk, actor=n.point_user, reason="金额不对")
    svc.statement_confirm_rest(statement_id=n.statement.pk, actor=n.point_user)
    assert len(staff_items(n.specialist, now=NOW, limit=10)) == 1
    assert staff_items(n.head, now=NOW, limit=10) == []
    svc.line_resolve(line_id=n.lines[0].pk, actor=n.specialist, adjust=False, note="按规则")
    assert len(staff_items(n.head, now=NOW, limit=10)) == 1
    svc.settlement_approve(statement_id=n.statement.pk, actor=n.head)
    assert len(staff_items(n.finance, now=NOW, limit=10)) == 1


def test_the_monthly_batch_is_a_declared_periodic_job_building_last_month(net):
    n = settlement_people(net)
    rule(100, category="repair")
    finished_visit(n, at(2026, 6, 8))
    finished_visit(n, at(2026, 6, 9), point=n.point2)
    job = next(j for j in periodic_jobs() if j.name == "settlement-monthly-batch")
    assert job.run == "repairs.services.settlement.settlement_monthly_run"
    assert svc.settlement_monthly_run(now=NOW) == 2
    assert svc.settlement_monthly_run(now=NOW) == 2
    assert SettlementStatement.objects.filter(month=JUNE).count() == 2
    assert SettlementLine.objects.filter(kind=SettlementLineKind.VISIT).count() == 2
