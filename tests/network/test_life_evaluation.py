"""The quarterly evaluation (考核): facts from repairs and complaints through the platform hook
`service_point_facts`, rates and score, the suggested grade, the specialist's confirmation and
the grade change it records."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django_fsm import TransitionNotAllowed

from network.choices import PointGrade, PointStatus
from network.life import services as svc
from network.life.choices import EvaluationState
from network.life.models import GradeChange, LifeRules, PointEvaluation
from network.models import ServicePointProfile
from service_ops import plugins

from .life_support import point, specialist

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def sp(net):
    return specialist(net)


def _request(net, unit, n, *, solved_at=None, verdict="pending"):
    from repairs.models import ServiceRequest

    return ServiceRequest.objects.create(
        number=f"BX-T-{unit.code}-{n}",
        category="repair",
        channel="call",
        contact_name="客户",
        contact_phone="13800000000",
        address="某路 1 号",
        org_unit=net.gz,
        assigned_unit=unit,
        state="solved" if solved_at else "accepted",
        solved_at=solved_at,
        callback_verdict=verdict,
    )


def _field_history(net, unit):
    """In 2026Q2 the point: 4 offers (3 accepted in time, 1 accepted late), a withdrawn one
    (not counted); 4 visits due (3 on time, 1 late), a cancelled one; 4 callbacks reached
    (3 satisfied), 1 not reached (not counted). One offer in Q3 (outside the period)."""
    from repairs.models import Dispatch, Visit

    t = at(2026, 5, 12, 9)
    for n in range(6):
        req = _request(
            net,
            unit,
            n,
            solved_at=t + timedelta(days=1) if n < 5 else None,
            verdict=["satisfied", "satisfied", "satisfied", "dissatisfied", "unreached", "pending"][
                n
            ],
        )
        if n < 4:
            Dispatch.objects.create(
                request=req,
                to_unit=unit,
                state="accepted",
                offered_at=t,
                respond_by=t + timedelta(hours=2),
                answered_at=t + timedelta(hours=1 if n < 3 else 3),
            )
            Visit.objects.create(
                request=req,
                service_unit=unit,
                state="solved",
                window_start=t + timedelta(hours=4),
                window_end=t + timedelta(hours=6),
                checked_in_at=t + timedelta(hours=5 if n < 3 else 7),
            )
        elif n == 4:
            Dispatch.objects.create(request=req, to_unit=unit, state="withdrawn", offered_at=t)
            Visit.objects.create(
                request=req,
                service_unit=unit,
                state="cancelled",
                window_start=t,
                window_end=t + timedelta(hours=2),
            )
        else:
            Dispatch.objects.create(
                request=req, to_unit=unit, state="accepted", offered_at=at(2026, 7, 2, 9)
            )


def _complaint(net, unit, n, state="closed"):
    from complaints.models import Complaint

    return Complaint.objects.create(
        number=f"KS-T-{n}",
        complainant_name="客户",
        channel="call",
        category="service_attitude",
        content="上门迟到",
        org_unit=net.hq,
        responsible_unit=unit,
        accepted_at=at(2026, 6, 1, 10),
        state=state,
    )


def test_repairs_and_complaints_answer_the_facts_hook(net):
    unit = point(net, "SP-EV")
    other = point(net, "SP-OTHER")
    _field_history(net, unit)
    _complaint(net, unit, 1)
    _complaint(net, unit, 2, state="invalid")  # judged invalid: not against the point
    facts = svc.collect_facts([unit.pk, other.pk], at(2026, 4, 1), at(2026, 7, 1))
    assert facts[unit.pk] == {
        "dispatches": 4,
        "dispatches_accepted_in_time": 3,
        "visits_due": 4,
        "visits_on_time": 3,
        "callbacks": 4,
        "callbacks_satisfied": 3,
        "complaints_against": 1,
    }
    assert facts[other.pk] == {}
    names = {fn.__module__ for fn in plugins.hook("service_point_facts")}
    assert names == {"repairs.hooks", "complaints.hooks"}


@time_machine.travel(at(2026, 7, 1, 6, 40), tick=False)
def test_the_quarter_is_scored_and_a_grade_suggested(net, sp):
    unit = point(net, "SP-EV", grade=PointGrade.A)
    _field_history(net, unit)
    _complaint(net, unit, 1)
    assert svc.evaluations_compute_last_quarter() == 1
    ev = PointEvaluation.objects.get(org_unit=unit)
    assert ev.period == "2026Q2"
    assert (ev.period_start, ev.period_end) == (date(2026, 4, 1), date(2026, 7, 1))
    assert ev.dispatch_rate == Decimal("75.0")
    assert ev.visit_rate == Decimal("75.0")
    assert ev.satisfaction_rate == Decimal("75.0")
    assert ev.complaints == 1
    # (25·0.75 + 25·0.75 + 35·0.75 + (15 − 5)) / 100
    assert ev.score == Decimal("73.8")
    assert (ev.grade_before, ev.suggested_grade) == ("A", "C")
    assert ev.state == EvaluationState.PROPOSED
    # run again the same quarter: nothing new
    assert svc.evaluations_compute_last_quarter() == 0


@time_machine.travel(at(2026, 7, 1, 6, 40), tick=False)
def test_no_activity_means_no_score_and_the_grade_stays(net):
    unit = point(net, "SP-IDLE", grade=PointGrade.B)
    svc.evaluations_compute_last_quarter()
    ev = PointEvaluation.objects.get(org_unit=unit)
    assert ev.score is None and ev.suggested_grade == "B"


@time_machine.travel(at(2026, 7, 1, 6, 40), tick=False)
def test_suspended_points_are_evaluated_terminated_ones_not(net):
    point(net, "SP-SUS", status=PointStatus.SUSPENDED)
    point(net, "SP-END", status=PointStatus.TERMINATED)
    svc.evaluations_compute_last_quarter()
    assert list(PointEvaluation.objects.values_list("org_unit__code", flat=True)) == ["SP-SUS"]


def test_rules_are_data(net):
    rules = LifeRules.current()
    facts = {"dispatches": 10, "dispatches_accepted_in_time": 10, "complaints_against": 0}
    assert svc.score_facts(facts, rules)["score"] == Decimal("100.0")
    rules.grade_a = 101
    assert rules.grade_for(Decimal("100")) == "B"


@time_machine.travel(at(2026, 7, 1, 6, 40), tick=False)
def test_confirming_a_different_grade_needs_a_reason_and_records_the_change(net, sp):
    unit = point(net, "SP-EV", grade=PointGrade.A)
    _field_history(net, unit)
    svc.evaluations_compute_last_quarter()
    ev = PointEvaluation.objects.get(org_unit=unit)
    assert (ev.score, ev.suggested_grade) == (Decimal("78.8"), "C")  # no complaint
    with pytest.raises(ValidationError) as err:
        svc.evaluation_confirm(evaluation=ev, actor=sp, grade="D")
    assert "note" in err.value.error_dict
    ev = svc.evaluation_confirm(evaluation=ev, actor=sp, grade="D", note="多次客户反映服务态度")
    assert ev.state == EvaluationState.CONFIRMED and ev.confirmed_grade == "D"
    assert ServicePointProfile.objects.get(org_unit=unit).grade == "D"
    change = GradeChange.objects.get(org_unit=unit)
    assert (change.from_grade, change.to_grade, change.evaluation_id) == ("A", "D", ev.pk)
    with pytest.raises(TransitionNotAllowed):
        svc.evaluation_confirm(evaluation=ev, actor=sp, grade="C")


@time_machine.travel(at(2026, 7, 1, 6, 40), tick=False)
def test_confirming_the_suggestion_that_keeps_the_grade_records_no_change(net, sp):
    unit = point(net, "SP-IDLE", grade=PointGrade.B)
    svc.evaluations_compute_last_quarter()
    ev = PointEvaluation.objects.get(org_unit=unit)
    svc.evaluation_confirm(evaluation=ev, actor=sp, grade="B")
    assert not GradeChange.objects.exists()


@time_machine.travel(at(2026, 6, 20, 9), tick=False)
def test_an_unfinished_quarter_is_not_evaluated_unless_asked(net, sp):
    point(net, "SP-EV")
    with pytest.raises(ValidationError):
        svc.evaluations_compute(period="2026Q2")
    assert svc.evaluations_compute(period="2026Q2", actor=sp, recompute=True) == 1


def test_only_managers_confirm(net, sp):
    from django.core.exceptions import PermissionDenied

    unit = point(net, "SP-EV")
    ev = PointEvaluation.objects.create(
        org_unit=unit,
        period="2026Q1",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 4, 1),
        grade_before="B",
        suggested_grade="B",
    )
    with pytest.raises(PermissionDenied):
        svc.evaluation_confirm(evaluation=ev, actor=net.gz_manager, grade="B")
