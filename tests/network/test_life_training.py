"""Training sessions (驻外技术员培训): enrolment within one's scope, attendance and scores with
the pass mark, the session held (logged) or cancelled, a person's record."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from network.choices import Role
from network.life import services as svc
from network.life.choices import Attendance, TrainingMode, TrainingState
from network.life.selectors import training_record_of
from service_ops.transitions.services import log_of
from tests.factories import make_user

from .life_support import point, specialist

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 10, 9, 30, tzinfo=TZ)


@pytest.fixture
def sp(net):
    return specialist(net)


def _session(net, sp, **kw):
    return svc.training_create(
        actor=sp,
        topic="GPS 终端安装",
        starts_at=START,
        mode=TrainingMode.ON_SITE,
        place="培训室",
        org_unit=net.hq,
        trainer=net.repair_sup,
        **kw,
    )


def test_a_session_runs_from_enrolment_to_scores(net, sp):
    unit = point(net, "SP-T")
    staff = make_user("sp_staff", unit, Role.SERVICE_POINT_STAFF)
    session = _session(net, sp, pass_score=70)
    assert session.number.startswith("PX-")
    assert (
        svc.training_add_attendees(actor=sp, session=session, users=[net.gz_engineer, staff]) == 2
    )
    assert svc.training_add_attendees(actor=sp, session=session, users=[staff]) == 0
    rows = {a.user_id: a for a in session.attendees.all()}
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        session = svc.training_record(
            actor=sp,
            session=session,
            results={
                rows[net.gz_engineer.pk].pk: {"attendance": Attendance.PRESENT, "score": 82},
                rows[staff.pk].pk: {"attendance": Attendance.PRESENT, "score": 60},
            },
        )
    assert session.state == TrainingState.HELD
    assert [e.transition for e in log_of(session)] == ["hold"]
    record = training_record_of(staff)
    assert [(r.attendance, r.score, r.passed, r.org_unit_id) for r in record] == [
        (Attendance.PRESENT, 60, False, unit.pk)
    ]
    assert training_record_of(net.gz_engineer)[0].passed is True


def test_scores_are_checked(net, sp):
    session = _session(net, sp)
    svc.training_add_attendees(actor=sp, session=session, users=[net.gz_engineer])
    row = session.attendees.get()
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        with pytest.raises(ValidationError):
            svc.training_record(
                actor=sp, session=session, results={row.pk: {"attendance": "absent", "score": 50}}
            )
        with pytest.raises(ValidationError):
            svc.training_record(
                actor=sp, session=session, results={row.pk: {"attendance": "present", "score": 101}}
            )
    with time_machine.travel(START - timedelta(days=1), tick=False), pytest.raises(ValidationError):
        svc.training_record(
            actor=sp, session=session, results={row.pk: {"attendance": "present", "score": 90}}
        )


def test_enrolment_stays_inside_the_organisers_scope(net):
    gz_sup = make_user("gz_trainer", net.gz, Role.SUPERVISOR)
    session = svc.training_create(
        actor=gz_sup,
        topic="区域培训",
        starts_at=START,
        mode=TrainingMode.ONLINE,
        place="https://meet.example.com/x",
        org_unit=net.gz,
        trainer_name="外聘讲师",
    )
    with pytest.raises(ValidationError):
        svc.training_add_attendees(actor=gz_sup, session=session, users=[net.cs_engineer])
    with pytest.raises(PermissionDenied):
        svc.training_create(
            actor=net.gz_engineer,
            topic="x",
            starts_at=START,
            mode=TrainingMode.ONLINE,
            place="x",
            org_unit=net.gz,
            trainer_name="x",
        )


def test_a_cancelled_session_takes_no_attendance(net, sp):
    session = _session(net, sp)
    svc.training_cancel(actor=sp, session=session, reason="讲师出差")
    with pytest.raises(ValidationError):
        svc.training_add_attendees(actor=sp, session=session, users=[net.gz_engineer])
