"""The supervisors' reports read through their monthly roll-ups (repairs.models.reports): the
technicians' evaluation and the field visits give the same figures as the live computation over
the same rows — across a month boundary in local time, with the current month's part after the
roll-up computed live, for headquarters, a branch filter and a branch manager — and a later
refresh picks up what changed in a rolled-up month."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from callcenter.choices import CallbackState
from callcenter.models import CallbackRequest
from repairs.choices import ServiceRequestState, VisitState
from repairs.models import (
    FieldRequestMonth,
    FieldVisitMonth,
    RepairOrder,
    ReportRollup,
    ServiceRequest,
    TechnicianMonth,
    Visit,
)
from repairs.selectors import supervision as s
from repairs.services.rollups import refresh_report_rollups
from tests.repairs.test_orders import receive_lot
from tests.repairs.test_supervision_reports import (  # noqa: F401  (fixtures)
    DEC,
    NOV,
    F,
    offer,
    request_row,
    techs,
    visit,
    world,
)

Z = ZoneInfo("Asia/Shanghai")
ROLLED_AT = datetime(2026, 12, 5, 12, tzinfo=Z)  # rolls up everything before Dec 5, 00:00
NOW = datetime(2026, 12, 7, 12, tzinfo=Z)
LATE_NOV = datetime(2026, 11, 30, 23, 30, tzinfo=Z)  # still November in Shanghai, not in UTC
DEC_6 = datetime(2026, 12, 6, 10, tzinfo=Z)  # after the roll-up: the live part


def callers(w):
    return {
        "hq": (w.head, {}),
        "hq, Guangzhou": (w.head, {"branch": str(w.gz.pk)}),
        "hq, Changsha": (w.head, {"branch": str(w.cs.pk)}),
        "Guangzhou's manager": (w.gz_manager, {}),
        "Hunan's manager": (w.hn_manager, {}),
    }


def by_key(rows):
    return {(r.month, r.person_id): r for r in rows}


def refresh(at=ROLLED_AT):
    with time_machine.travel(at, tick=False):
        call_command("refresh_report_rollups", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def more_work(techs):  # noqa: F811  (the fixture imported above)
    """Shipments and visits on both sides of the month boundary and of the roll-up's end."""
    w = techs
    receive_lot(w, ["B0", "B1", "L0"], datetime(2026, 11, 4, 9, tzinfo=Z))
    for serial, shipped in (("B0", LATE_NOV), ("B1", LATE_NOV + timedelta(hours=1)),
                            ("L0", DEC_6)):  # fmt: skip
        RepairOrder.objects.filter(serial_number=serial).update(
            technician=w.tech, shipped_at=shipped, repair_count=1
        )
    RepairOrder.objects.filter(serial_number="B1").update(repair_count=2)
    # a Guangzhou request solved in the live part, its visit finished then
    late = request_row(w, w.gz, solved_at=DEC_6, point=w.point)
    offer(late, point=w.point, at=DEC_6 - timedelta(hours=5))
    visit(late, 1, engineer=w.gz_engineer, point=w.point, window_end=DEC_6 - timedelta(hours=1),
          checked_in=DEC_6 - timedelta(hours=2))  # fmt: skip
    # one solved and visited at the month boundary
    edge = request_row(w, w.gz, solved_at=LATE_NOV + timedelta(minutes=20))
    visit(edge, 1, engineer=w.gz_engineer, window_end=LATE_NOV + timedelta(minutes=10),
          checked_in=LATE_NOV + timedelta(minutes=15))  # fmt: skip
    return w


def test_the_technicians_evaluation_through_the_rollup_equals_the_live_one(more_work):
    w = more_work
    live = {name: by_key(s.technicians(u, F(u, **kw))) for name, (u, kw) in callers(w).items()}
    refresh()
    state = ReportRollup.objects.get()
    assert state.rolled_until == datetime(2026, 12, 5, tzinfo=Z)
    rolled = TechnicianMonth.objects.filter(person=w.tech, kind="workshop")
    # November's orders (the two at 23:30 and 00:30 on the 30th/1st in Shanghai included) and
    # December's before the 5th are rolled up; the one shipped on the 6th is not
    first, last = datetime(2026, 12, 1, tzinfo=Z), state.rolled_until
    mine = RepairOrder.objects.filter(technician=w.tech)
    # November's orders (B0 at 23:30 on the 30th in Shanghai, 15:30 UTC, included; B1 an hour
    # later is December's) and December's before the 5th are rolled up, not the 6th's
    nov_rolled = sum(r.units for r in rolled if r.month == date(2026, 11, 1))
    assert nov_rolled == mine.filter(shipped_at__lt=first).count() == 4
    dec_rolled = sum(r.units for r in rolled if r.month == date(2026, 12, 1))
    assert dec_rolled == mine.filter(shipped_at__gte=first, shipped_at__lt=last).count() == 2
    for name, (user, kw) in callers(w).items():
        assert by_key(s.technicians(user, F(user, **kw))) == live[name], name
    hq = by_key(s.technicians(w.head, F(w.head)))
    dec = hq[(date(2026, 12, 1), w.tech.pk)]
    shipped = RepairOrder.objects.filter(
        technician=w.tech, shipped_at__gte=datetime(2026, 12, 1, tzinfo=Z)
    )
    assert dec.units == shipped.count() == 3  # T3 and B1 (rolled up) and L0 (live)
    assert dec.second == 1  # B1 repaired twice
    nov = hq[(date(2026, 11, 1), w.tech.pk)]
    assert nov.units == 4 and nov.second == 2  # T0 returned again, T1 repaired twice
    field = hq[(date(2026, 12, 1), w.gz_engineer.pk)]
    finished = Visit.objects.filter(
        engineer=w.gz_engineer,
        finished_at__gte=first,
        state__in=[VisitState.SOLVED, VisitState.INCOMPLETE],
    )
    assert field.units == finished.count() == 3  # R3's and the boundary's, and the 6th's
    # the branch manager sees their branch's rows only, as without the roll-up
    gz = by_key(s.technicians(w.gz_manager, F(w.gz_manager)))
    assert w.cs_engineer.pk not in {p for _m, p in gz}


def test_a_refresh_picks_up_a_callback_reached_after_the_month_was_rolled_up(more_work):
    w = more_work
    refresh()
    t3 = RepairOrder.objects.get(serial_number="T3")
    CallbackRequest.objects.filter(subject_id=t3.pk, state=CallbackState.PENDING).update(
        state=CallbackState.DONE, is_valid=True, satisfaction=5
    )
    key = (date(2026, 12, 1), w.tech.pk)
    assert by_key(s.technicians(w.head, F(w.head)))[key].satisfied == 0  # as rolled up
    refresh()  # the nightly job re-rolls the months still open to late changes
    assert by_key(s.technicians(w.head, F(w.head)))[key].satisfied == 1
    ReportRollup.objects.all().delete()  # all live again
    assert by_key(s.technicians(w.head, F(w.head)))[key].satisfied == 1


def field_by_key(report):
    return (
        report.months,
        {row.key: row for row in report.points},
        report.total,
    )


def test_the_field_report_through_the_rollup_equals_the_live_one(more_work):
    w = more_work
    live = {
        name: field_by_key(s.field_visits(u, F(u, **kw), now=NOW))
        for name, (u, kw) in callers(w).items()
    }
    refresh()
    assert FieldRequestMonth.objects.filter(month=date(2026, 11, 1)).exists()
    assert FieldVisitMonth.objects.filter(month=date(2026, 12, 1)).exists()
    for name, (user, kw) in callers(w).items():
        assert field_by_key(s.field_visits(user, F(user, **kw), now=NOW)) == live[name], name
    report = s.field_visits(w.head, F(w.head), now=NOW)
    nov, dec = report.months
    solved = ServiceRequest.objects.filter(
        state__in=[ServiceRequestState.SOLVED, ServiceRequestState.CLOSED]
    )
    first = datetime(2026, 12, 1, tzinfo=Z)
    assert nov.solved == solved.filter(solved_at__lt=first).count() == 4  # R1, R2, R5, edge
    assert dec.solved == solved.filter(solved_at__gte=first).count() == 2  # R3 and the 6th's
    due = Visit.objects.exclude(state=VisitState.CANCELLED).filter(window_end__gte=first)
    assert dec.visits_due == due.count() == 2
    gz = s.field_visits(w.gz_manager, F(w.gz_manager), now=NOW)
    assert gz.total.solved == solved.filter(org_unit=w.gz).count() == 5


def test_a_caller_scoped_by_dealer_reads_the_live_rows(more_work):
    """A unit with no branch below it is scoped by dealer, a column the workshop's roll-up rows
    do not keep: its evaluation is computed live, the same as before."""
    from network.choices import OrgKind, Role
    from network.models import OrgUnit
    from repairs.selectors.rollups import NotRolled, order_scope
    from tests.factories import make_user

    office = OrgUnit.objects.create(
        code="FO-1", name="株洲办事处", kind=OrgKind.FIELD_OFFICE, parent=more_work.cs
    )
    point = OrgUnit.objects.create(
        code="SP-2", name="株洲网点", kind=OrgKind.SERVICE_POINT, parent=office
    )
    RepairOrder.objects.filter(serial_number="T2").update(dealer=point)
    someone = make_user("office_head", office, Role.FIELD_CS_SUPERVISOR)
    with pytest.raises(NotRolled):
        order_scope(someone)
    live = by_key(s.technicians(someone, F(someone)))
    refresh()
    assert by_key(s.technicians(someone, F(someone))) == live


def test_the_pages_cost_the_same_queries_through_the_rollups_with_more_rows(
    more_work, client, django_assert_max_num_queries
):
    w = more_work
    refresh()
    client.force_login(w.head)
    url = "/repairs/reports/supervision/?start=2026-11&end=2026-12&report="
    counts = {}
    for kind in ("field", "technicians"):
        with django_assert_max_num_queries(40) as ctx:
            assert client.get(url + kind).status_code == 200
        counts[kind] = len(ctx.captured_queries)
    receive_lot(w, ["M0", "M1", "M2"], datetime(2026, 11, 4, 9, tzinfo=Z))
    RepairOrder.objects.filter(serial_number__startswith="M").update(
        technician=w.keeper, shipped_at=NOV, repair_count=1
    )
    RepairOrder.objects.filter(serial_number="M2").update(shipped_at=DEC_6)
    for i in range(3):
        req = request_row(w, w.gz, solved_at=NOV if i else DEC_6, point=w.point)
        offer(req, point=w.point)
        visit(req, 1, engineer=w.cs_engineer, point=w.point, window_end=NOV, checked_in=NOV)
    refresh()
    for kind in ("field", "technicians"):
        with django_assert_max_num_queries(counts[kind]):
            client.get(url + kind)


def test_a_refresh_rebuilds_every_month_since_the_previous_one(more_work):
    """The nightly refresh re-rolls the last months; one after a long pause every month since."""
    refresh_report_rollups(now=datetime(2026, 11, 20, 12, tzinfo=Z))
    assert not TechnicianMonth.objects.filter(month=date(2026, 12, 1)).exists()
    refresh_report_rollups(now=datetime(2027, 6, 2, 12, tzinfo=Z))  # months later
    rolled = TechnicianMonth.objects.filter(person=more_work.tech, kind="workshop")
    assert {r.month for r in rolled} == {date(2026, 11, 1), date(2026, 12, 1)}
    assert (
        sum(r.units for r in rolled)
        == RepairOrder.objects.filter(technician=more_work.tech, shipped_at__isnull=False).count()
    )


def test_a_report_read_while_a_refresh_commits_is_read_again(more_work, monkeypatch):
    """The roll-up rows and the live part must meet at the same moment: when the refresh's end
    moved between the two reads of it, the report is computed again."""
    from repairs.selectors import rollups

    ends = iter([datetime(2026, 12, 4, tzinfo=Z), datetime(2026, 12, 5, tzinfo=Z)])
    last = [None]

    def moving():
        last[0] = next(ends, last[0])
        return last[0]

    monkeypatch.setattr(rollups, "rolled_until", moving)
    seen = []
    rollups.consistent(seen.append)
    assert seen == [datetime(2026, 12, 4, tzinfo=Z), datetime(2026, 12, 5, tzinfo=Z)]
