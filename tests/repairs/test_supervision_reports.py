"""The supervisors' reports (issue 21): field visits, penalties and the happy fund, and the
technicians' monthly evaluation. Each figure equals a direct count over the same rows, the
caller's scope holds (Guangzhou's manager never counts Changsha's records), the pages cost the
same queries with more rows, and Excel goes through the platform's background export."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Count, Sum
from openpyxl import load_workbook

from callcenter.choices import CallbackPurpose, CallbackState
from callcenter.models import CallbackRequest
from network.choices import Role
from repairs.choices import (
    DispatchState,
    PenaltyKind,
    PenaltyState,
    ServiceRequestState,
    VisitState,
)
from repairs.models import (
    Dispatch,
    HappyFundEntry,
    Penalty,
    RepairOrder,
    ServiceRequest,
    UnauthorisedArrival,
    Visit,
)
from repairs.selectors import supervision as s
from repairs.selectors.reports import filters_from
from service_ops import plugins
from service_ops.reports.models import ExportJob
from service_ops.reports.services import export_request
from tests.factories import make_user
from tests.repairs.test_orders import receive_lot

Z = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 7)
NOV = datetime(2026, 11, 10, 10, tzinfo=Z)
DEC = datetime(2026, 12, 3, 10, tzinfo=Z)
_n = count(1)


def F(user, start="2026-11", end="2026-12", **kw):
    return filters_from({"start": start, "end": end, **kw}, user, TODAY)


# --- the field world ----------------------------------------------------------------------------


def request_row(net, org, *, solved_at, state=ServiceRequestState.CLOSED, point=None, esc=0):
    req = ServiceRequest.objects.create(
        number=f"BX-T-{next(_n)}",
        category="repair",
        channel="call",
        contact_name="陈",
        contact_phone="138",
        address="路 1 号",
        org_unit=org,
        state=state,
    )
    ServiceRequest.objects.filter(pk=req.pk).update(
        solved_at=solved_at,
        created_at=solved_at - timedelta(hours=30),
        assigned_unit=point,
        escalation_count=esc,
    )
    return req


def offer(req, *, engineer=None, point=None, state=DispatchState.ACCEPTED, at=None, mins=60):
    at = at or datetime(2026, 11, 1, 9, tzinfo=Z)
    return Dispatch.objects.create(
        request=req,
        to_engineer=engineer,
        to_unit=point,
        state=state,
        offered_at=at,
        answered_at=at + timedelta(minutes=mins) if state != DispatchState.EXPIRED else None,
    )


def visit(req, seq, *, engineer, point=None, window_end, checked_in, state=VisitState.SOLVED,
          follows=None, finished=None):  # fmt: skip
    return Visit.objects.create(
        request=req,
        sequence=seq,
        follows=follows,
        state=state,
        engineer=engineer,
        service_unit=point,
        window_start=window_end - timedelta(hours=2),
        window_end=window_end,
        checked_in_at=checked_in,
        finished_at=finished or (checked_in + timedelta(hours=1) if checked_in else None),
    )


@pytest.fixture
def world(net):
    w = net
    eng, pt = w.gz_engineer, w.point
    # R1: Guangzhou's point, solved in November at the first visit, on time
    w.r1 = request_row(w, w.gz, solved_at=NOV, point=pt)
    offer(w.r1, point=pt, mins=30)
    visit(w.r1, 1, engineer=eng, point=pt, window_end=NOV - timedelta(hours=1),
          checked_in=NOV - timedelta(hours=2))  # fmt: skip
    # R2: escalated once, offered twice, visited twice (the first late and not solved)
    w.r2 = request_row(w, w.gz, solved_at=NOV, point=pt, esc=1)
    offer(w.r2, point=pt, state=DispatchState.WITHDRAWN, mins=90)
    offer(w.r2, point=pt, mins=30)
    first = visit(w.r2, 1, engineer=eng, point=pt, window_end=NOV - timedelta(days=2),
                  checked_in=NOV - timedelta(days=2) + timedelta(hours=1),
                  state=VisitState.INCOMPLETE)  # fmt: skip
    visit(w.r2, 2, engineer=eng, point=pt, window_end=NOV - timedelta(hours=1),
          checked_in=NOV - timedelta(hours=3), follows=first)  # fmt: skip
    # R3: own engineer, December; the first offer expired, a cancelled visit; first-time fix
    w.r3 = request_row(w, w.gz, solved_at=DEC)
    offer(w.r3, engineer=eng, state=DispatchState.EXPIRED)
    offer(w.r3, engineer=eng, mins=120)
    visit(w.r3, 1, engineer=eng, window_end=DEC, checked_in=None, state=VisitState.CANCELLED)
    visit(w.r3, 2, engineer=eng, window_end=DEC - timedelta(hours=1),
          checked_in=DEC - timedelta(hours=2))  # fmt: skip
    # R4: reopened after a dissatisfied callback and not solved again: not counted
    w.r4 = request_row(w, w.gz, solved_at=NOV, state=ServiceRequestState.ESCALATED, point=pt)
    # R5: Changsha's, never seen by Guangzhou's manager; a visit not checked in
    w.r5 = request_row(w, w.cs, solved_at=NOV)
    offer(w.r5, engineer=w.cs_engineer)
    visit(w.r5, 1, engineer=w.cs_engineer, window_end=NOV - timedelta(hours=1), checked_in=None,
          state=VisitState.PLANNED)  # fmt: skip
    return w


def direct_solved(user, **kw):
    return ServiceRequest.objects.visible_to(user).filter(
        solved_at__isnull=False,
        state__in=[ServiceRequestState.SOLVED, ServiceRequestState.CLOSED],
        **kw,
    )


def test_field_figures_equal_direct_counts_of_the_requests_and_visits(world):
    report = s.field_visits(world.head, F(world.head), now=TODAY_NOW())
    nov, dec = report.months
    solved = direct_solved(world.head, solved_at__lt=DEC)
    assert nov.solved == solved.count() == 3  # R1, R2, R5
    ftf = [
        r
        for r in solved
        if r.escalation_count == 0 and r.visits.exclude(state=VisitState.CANCELLED).count() == 1
    ]
    assert nov.first_time_fix == len(ftf) == 2  # R1 and R5
    assert nov.escalated == solved.filter(escalation_count__gte=1).count() == 1
    multi = solved.annotate(n=Count("dispatches")).filter(n__gte=2)
    assert nov.redispatched == multi.count() == 1
    assert nov.ftf_pct == 66.7
    # December: R3 is a first-time fix although offered twice and one visit was cancelled
    assert (dec.solved, dec.first_time_fix, dec.redispatched) == (1, 1, 1)
    # visits by the month their window ended: on time, late, not checked in
    due = Visit.objects.exclude(state=VisitState.CANCELLED).filter(
        window_end__lt=DEC - timedelta(days=1)
    )
    assert nov.visits_due == due.count() == 4
    assert nov.on_time == 2 and nov.late == 1 and nov.not_checked_in == 1
    # mean time from offer to acceptance of R1, R2 (both accepted offers) and R5: 30, 90, 30, 60
    assert nov.accept_hours == round((30 + 90 + 30 + 60) / 4 / 60, 1)
    assert nov.solve_hours == 30.0
    # by service point over the period: the point, and the office's own engineers
    by = {row.key: row for row in report.points}
    assert by[world.point.pk].solved == 2 and by[world.point.pk].first_time_fix == 1
    assert by[None].solved == 2  # R3 and Changsha's R5


def TODAY_NOW():
    return datetime(2026, 12, 7, 12, tzinfo=Z)


def test_field_report_is_scoped_to_the_callers_branch(world):
    report = s.field_visits(world.gz_manager, F(world.gz_manager), now=TODAY_NOW())
    nov = report.months[0]
    assert nov.solved == direct_solved(world.gz_manager, solved_at__lt=DEC).count() == 2
    assert nov.not_checked_in == 0  # Changsha's missed visit is not theirs
    hq_cs = s.field_visits(world.head, F(world.head, branch=str(world.cs.pk)), now=TODAY_NOW())
    assert hq_cs.total.solved == 1


# --- penalties and the happy fund ---------------------------------------------------------------


def arrival(w, branch, at):
    a = UnauthorisedArrival.objects.create(
        number=f"WJ-T-{next(_n)}",
        platform="operating",
        shipper_unit=branch,
        branch=branch,
        recorded_by=w.clerk,
    )
    UnauthorisedArrival.objects.filter(pk=a.pk).update(created_at=at, arrived_at=at)
    return a


def penalty(a, person, role, kind, state, amount=None, unit=None):
    lo, hi = (Decimal("20"), Decimal("20")) if kind == PenaltyKind.POINTS else (200, 500)
    return Penalty.objects.create(
        arrival=a,
        role=role,
        person=person,
        org_unit=unit or a.branch,
        kind=kind,
        amount_min=lo,
        amount_max=hi,
        amount=amount,
        state=state,
    )


@pytest.fixture
def fines(net):
    w = net
    fine, points = PenaltyKind.FINE, PenaltyKind.POINTS
    C, W, P = PenaltyState.CONFIRMED, PenaltyState.WAIVED, PenaltyState.PROPOSED
    a1 = arrival(w, w.gz, NOV)
    w.p1 = penalty(a1, w.gz_manager, Role.BRANCH_MANAGER, fine, C, Decimal("300"))
    penalty(a1, w.gz_engineer, Role.BRANCH_ENGINEER, points, C, Decimal("20"))
    penalty(a1, w.gd_manager, Role.PROVINCIAL_MANAGER, fine, W, unit=w.gd)
    a2 = arrival(w, w.cs, NOV)  # Changsha's: Guangzhou's manager never counts it
    penalty(a2, w.cs_manager, Role.BRANCH_MANAGER, fine, P)
    penalty(a2, w.hn_manager, Role.PROVINCIAL_MANAGER, fine, C, Decimal("450"), unit=w.hn)
    a3 = arrival(w, w.gz, DEC)
    penalty(a3, w.gz_manager, Role.BRANCH_MANAGER, fine, C, Decimal("500"))
    # the ledger: 200 before the period, 300 + 450 in November, 500 in, 100 out in December
    balance = Decimal("0")
    for at, amount in (
        (datetime(2026, 10, 5, tzinfo=Z), 200),
        (NOV, 300),
        (NOV, 450),
        (DEC, 500),
        (DEC + timedelta(days=1), -100),
    ):
        balance += amount
        e = HappyFundEntry.objects.create(amount=amount, balance_after=balance, note="t")
        HappyFundEntry.objects.filter(pk=e.pk).update(created_at=at)
    return w


def test_penalty_figures_equal_direct_counts(fines):
    report = s.penalties(fines.head, F(fines.head))
    nov, dec = report.months
    qs = Penalty.objects.filter(arrival__created_at__lt=DEC)
    fine = qs.filter(kind=PenaltyKind.FINE)
    assert nov.fines == fine.count() == 4
    assert nov.fines_confirmed == fine.filter(state=PenaltyState.CONFIRMED).count() == 2
    assert nov.fines_amount == fine.filter(state="confirmed").aggregate(s=Sum("amount"))["s"]
    assert nov.fines_amount == Decimal("750")
    assert (nov.fines_waived, nov.fines_pending) == (1, 1)
    assert (nov.pending_min, nov.pending_max) == (Decimal("200"), Decimal("500"))
    assert (nov.points, nov.points_confirmed, nov.points_deducted) == (1, 1, Decimal("20"))
    assert (dec.fines, dec.fines_amount) == (1, Decimal("500"))
    # by person: Guangzhou's manager 300 + 500
    by_person = {row.key: row for row in report.people}
    assert by_person[fines.gz_manager.pk].fines_amount == Decimal("800")
    assert by_person[fines.gz_manager.pk].sub == str(Role.BRANCH_MANAGER.label)
    by_unit = {row.key: row for row in report.units}
    assert by_unit[fines.hn.pk].fines_amount == Decimal("450")


def test_the_fund_by_month_reads_the_ledger(fines):
    fund = s.penalties(fines.head, F(fines.head)).fund
    assert [(r.inflow, r.outflow, r.balance) for r in fund] == [
        (Decimal("750"), Decimal("0"), Decimal("950")),
        (Decimal("500"), Decimal("100"), Decimal("1350")),
    ]
    last = HappyFundEntry.objects.order_by("-created_at", "-id").first()
    assert fund[-1].balance == last.balance_after


def test_a_branch_manager_counts_only_their_branchs_penalties_and_not_the_fund(fines):
    report = s.penalties(fines.gz_manager, F(fines.gz_manager))
    nov = report.months[0]
    visible = Penalty.objects.visible_to(fines.gz_manager).filter(
        arrival__created_at__lt=DEC, kind=PenaltyKind.FINE
    )
    assert nov.fines == visible.count() == 2
    assert nov.fines_amount == Decimal("300")
    assert fines.cs_manager.pk not in {row.key for row in report.people}
    assert report.fund is None


def test_complaints_penalties_are_shown_apart_from_the_fund(fines):
    from tests.complaints.test_penalties import investigating, propose

    fines.handler = make_user("handler", fines.hq, Role.COMPLAINT_TEAM)

    with time_machine.travel(NOV, tick=False):
        c = investigating(fines)
        propose(fines, c)
    report = s.penalties(fines.head, F(fines.head))
    assert [(row["month"], row["proposed"], row["pending"]) for row in report.complaints] == [
        (date(2026, 11, 1), 1, 1)
    ]
    assert report.fund[0].inflow == Decimal("750")  # complaints' fines are not in the fund


# --- technicians' monthly evaluation --------------------------------------------------------------


def callback(subject, *, satisfaction=None, state=CallbackState.DONE, purpose=None):
    return CallbackRequest.objects.create(
        subject=subject,
        purpose=purpose or CallbackPurpose.REPAIR_SHIPPED,
        state=state,
        is_valid=satisfaction is not None if state == CallbackState.DONE else None,
        satisfaction=satisfaction,
    )


@pytest.fixture
def techs(world):
    w = world
    receive_lot(w, ["T0", "T1", "T2", "T3"], datetime(2026, 11, 2, 9, tzinfo=Z))
    plan = [("T0", NOV, 1), ("T1", NOV, 2), ("T2", NOV, 1), ("T3", DEC, 1)]
    for serial, shipped, repairs in plan:
        RepairOrder.objects.filter(serial_number=serial).update(
            technician=w.tech, shipped_at=shipped, repair_count=repairs
        )
    RepairOrder.objects.filter(serial_number="T2").update(branch=w.gz, dealer=None)
    # T0 came back a week after shipping: a repeat return
    receive_lot(w, ["T0"], NOV + timedelta(days=7))
    orders = {o.serial_number: o for o in RepairOrder.objects.filter(shipped_at__isnull=False)}
    callback(orders["T0"], satisfaction=5)
    callback(orders["T1"], satisfaction=1)
    callback(orders["T2"], state=CallbackState.UNREACHED)
    callback(orders["T3"], state=CallbackState.PENDING)
    # the field engineer's November visits: R2's first was followed by another
    v = Visit.objects.get(request=w.r1)
    callback(v, satisfaction=4, purpose=CallbackPurpose.FIELD_VISIT)
    return w


def test_technician_figures_equal_direct_counts(techs):
    rows = {(r.month, r.person_id): r for r in s.technicians(techs.head, F(techs.head))}
    tech = rows[(date(2026, 11, 1), techs.tech.pk)]
    shipped = RepairOrder.objects.filter(technician=techs.tech, shipped_at__lt=DEC)
    assert tech.units == shipped.count() == 3
    # T1 repaired twice, T0 returned again within 90 days
    assert tech.second == 2 and tech.second_pct == 66.7
    assert (tech.callbacks_closed, tech.reached, tech.satisfied, tech.dissatisfied) == (3, 2, 1, 1)
    assert tech.score == 100 - 5 * 2 - 10 * 1
    assert rows[(date(2026, 12, 1), techs.tech.pk)].units == 1
    eng = rows[(date(2026, 11, 1), techs.gz_engineer.pk)]
    finished = Visit.objects.filter(
        engineer=techs.gz_engineer,
        finished_at__lt=datetime(2026, 12, 1, tzinfo=Z),
        state__in=[VisitState.SOLVED, VisitState.INCOMPLETE],
    )
    assert eng.units == finished.count() == 3
    followed = finished.filter(follow_ons__isnull=False).distinct()
    assert eng.second == followed.count() == 1
    assert (eng.reached, eng.satisfied) == (1, 1)


def test_technician_evaluation_is_scoped_and_counts_complaints(techs):
    from tests.complaints.test_penalties import investigating

    techs.handler = make_user("handler", techs.hq, Role.COMPLAINT_TEAM)
    with time_machine.travel(NOV, tick=False):
        investigating(techs)  # names Guangzhou's engineer the responsible person
    rows = {(r.month, r.person_id): r for r in s.technicians(techs.head, F(techs.head))}
    eng = rows[(date(2026, 11, 1), techs.gz_engineer.pk)]
    assert eng.complaints == 1 and eng.score == 100 - 5 - 10
    gz = {(r.month, r.person_id): r for r in s.technicians(techs.gz_manager, F(techs.gz_manager))}
    # Guangzhou's manager: the one order moved to Guangzhou, and the visits of Guangzhou
    assert gz[(date(2026, 11, 1), techs.tech.pk)].units == 1
    assert techs.cs_engineer.pk not in {p for _m, p in gz}


def test_without_the_call_centre_the_callback_columns_stay_empty(techs, monkeypatch):
    real = plugins.call_hook
    monkeypatch.setattr(
        plugins,
        "call_hook",
        lambda name, **kw: [] if name == "callback_outcomes" else real(name, **kw),
    )
    rows = s.technicians(techs.head, F(techs.head))
    assert rows and all(r.callbacks_closed == 0 for r in rows)


# --- pages, queries, export -----------------------------------------------------------------------


def test_the_pages_show_the_figures_and_refuse_partners(techs, fines, client):
    client.force_login(techs.head)
    for kind in s.REPORTS:
        response = client.get(
            f"/repairs/reports/supervision/?report={kind}&start=2026-11&end=2026-12"
        )
        assert response.status_code == 200, kind
        assert b'id="chart-report"' in response.content
        assert "统计口径" in response.content.decode()
    html = client.get("/repairs/reports/supervision/?report=penalties&start=2026-11&end=2026-12")
    assert "1350" in html.content.decode()  # the fund's balance
    client.force_login(techs.gz_manager)
    html = client.get(
        "/repairs/reports/supervision/?report=penalties&start=2026-11&end=2026-12"
    ).content.decode()
    assert "cs_manager" not in html and "1350" not in html
    for user in (techs.dealer_user, techs.tech):
        client.force_login(user)
        assert client.get("/repairs/reports/supervision/?report=field").status_code == 403


def test_each_page_costs_the_same_queries_with_more_rows(
    techs, fines, client, django_assert_max_num_queries
):
    client.force_login(techs.head)
    url = "/repairs/reports/supervision/?start=2026-11&end=2026-12&report="
    counts = {}
    for kind in s.REPORTS:
        with django_assert_max_num_queries(40) as ctx:
            client.get(url + kind)
        counts[kind] = len(ctx.captured_queries)
    for _i in range(3):
        req = request_row(techs, techs.gz, solved_at=NOV, point=techs.point)
        offer(req, point=techs.point)
        visit(req, 1, engineer=techs.cs_engineer, point=techs.point, window_end=NOV,
              checked_in=NOV)  # fmt: skip
        a = arrival(techs, techs.gz, NOV)
        penalty(a, techs.cs_engineer, Role.BRANCH_MANAGER, PenaltyKind.FINE, PenaltyState.PROPOSED)
    receive_lot(techs, ["M0", "M1"], datetime(2026, 11, 4, 9, tzinfo=Z))
    RepairOrder.objects.filter(serial_number__startswith="M").update(
        technician=techs.keeper, shipped_at=DEC, repair_count=1
    )
    for kind in s.REPORTS:
        with django_assert_max_num_queries(counts[kind]):
            client.get(url + kind)


def test_the_exports_run_in_the_background_scoped_like_the_pages(
    techs, fines, django_capture_on_commit_callbacks
):
    sheets = {}
    for key in ("repairs.field_visits", "repairs.penalties", "repairs.technicians"):
        with django_capture_on_commit_callbacks(execute=True):
            job = export_request(
                user=techs.gz_manager, report_key=key, params={"start": "2026-11", "end": "2026-12"}
            )
        job = ExportJob.objects.get(pk=job.pk)
        assert job.state == "done", (key, job.error)
        sheets[key] = load_workbook(job.file.open("rb"))
    field = list(sheets["repairs.field_visits"].worksheets[0].values)
    assert field[1][:2] == ("2026-11", 2)
    assert "快乐基金" not in sheets["repairs.penalties"].sheetnames  # not theirs to see
    tech = list(sheets["repairs.technicians"].worksheets[0].values)
    names = {row[1] for row in tech[1:]}
    assert techs.cs_engineer.get_username() not in names


def test_the_technician_evaluation_is_mailed_to_the_repair_supervisor_on_the_first():
    entry = plugins.report("repairs.technicians")
    (mailing,) = entry.mailings
    assert mailing.monthday == 1 and mailing.roles == {Role.REPAIR_SUPERVISOR}
    assert plugins._import(mailing.params)(today=date(2026, 12, 1)) == {
        "start": "2026-11",
        "end": "2026-11",
    }
