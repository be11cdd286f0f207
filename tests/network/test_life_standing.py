"""A point's standing (suspend, reinstate, terminate), its qualification documents with the
daily expiry watch, and the GPS-upgrade qualification as a recorded decision."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed

from network.choices import PointStatus
from network.life import services as svc
from network.life.choices import DocumentKind
from network.life.models import GpsQualificationDecision, QualificationDocument
from network.models import OrgUnit, ServicePointProfile
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of
from tests.factories import make_user

from .life_support import pdf, point, specialist

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def sp(net):
    return specialist(net)


def test_suspend_and_reinstate_are_logged_with_their_reason(net, sp):
    unit = point(net, "SP-A")
    staff = make_user("sp_a_staff", unit, "service_point_staff")
    profile = svc.point_suspend(org_unit=unit, actor=sp, reason="投诉整改")
    assert profile.status == PointStatus.SUSPENDED
    # the dispatch rules read status=active: a suspended point is not among them
    active = ServicePointProfile.objects.filter(status=PointStatus.ACTIVE)
    assert not active.filter(org_unit=unit).exists()
    assert Notification.objects.filter(recipient=staff).exists()
    svc.point_reinstate(org_unit=unit, actor=sp, reason="整改完成")
    entries = list(log_of(profile))
    assert [(e.transition, e.comment) for e in entries] == [
        ("suspend", "投诉整改"),
        ("reinstate", "整改完成"),
    ]
    assert all(e.actor == sp for e in entries)


def test_a_reason_is_required_and_only_managers_may(net, sp):
    unit = point(net, "SP-A")
    with pytest.raises(ValidationError):
        svc.point_suspend(org_unit=unit, actor=sp, reason="  ")
    with pytest.raises(PermissionDenied):
        svc.point_suspend(org_unit=unit, actor=net.gz_manager, reason="x")
    with pytest.raises(TransitionNotAllowed):
        svc.point_reinstate(org_unit=unit, actor=sp, reason="not suspended")


def test_termination_switches_the_unit_off_and_is_final(net, sp):
    unit = point(net, "SP-A")
    svc.point_suspend(org_unit=unit, actor=sp, reason="合同纠纷")
    svc.point_terminate(org_unit=unit, actor=sp, reason="合同到期不续")
    assert not OrgUnit.objects.get(pk=unit.pk).is_active
    with pytest.raises(TransitionNotAllowed):
        svc.point_reinstate(org_unit=unit, actor=sp, reason="again")


def test_the_status_cannot_be_set_directly(net):
    unit = point(net, "SP-A")
    profile = ServicePointProfile.objects.get(org_unit=unit)
    with pytest.raises(AttributeError):
        profile.status = PointStatus.SUSPENDED


def test_documents_validate_their_dates_and_holder(net, sp):
    unit = point(net, "SP-A")
    with pytest.raises(ValidationError) as err:
        svc.document_add(
            actor=sp,
            org_unit=unit,
            kind=DocumentKind.TECHNICIAN_CERTIFICATE,
            issued_on=date(2026, 5, 1),
            expires_on=date(2026, 4, 1),
            file=pdf(),
        )
    assert {"holder_name", "expires_on"} <= set(err.value.error_dict)
    with pytest.raises(PermissionDenied):
        svc.document_add(actor=net.gz_engineer, org_unit=unit, kind="other", file=pdf())


def _doc(unit, sp, expires, **kw):
    return svc.document_add(
        actor=sp,
        org_unit=unit,
        kind=kw.pop("kind", DocumentKind.BUSINESS_LICENCE),
        expires_on=expires,
        file=pdf(),
        **kw,
    )


def test_the_daily_watch_warns_once_before_and_once_after_expiry(net, sp):
    unit = point(net, "SP-A")
    staff = make_user("sp_a_staff", unit, "service_point_staff")
    doc = _doc(unit, sp, date(2026, 8, 20))
    _doc(unit, sp, date(2027, 8, 20), kind=DocumentKind.AUTHORISATION)  # far away
    with time_machine.travel(datetime(2026, 8, 1, 7, 10, tzinfo=TZ), tick=False):
        assert svc.documents_warn_expiring() == 1
        assert svc.documents_warn_expiring() == 0  # once
    in_app = Notification.objects.filter(channel="in_app")
    assert in_app.filter(recipient=sp).count() == 1
    assert in_app.filter(recipient=staff).count() == 1
    with time_machine.travel(datetime(2026, 8, 21, 7, 10, tzinfo=TZ), tick=False):
        assert svc.documents_warn_expiring() == 1  # expired now
        assert svc.documents_warn_expiring() == 0
    doc.refresh_from_db()
    assert (doc.warned_level, doc.warned_for) == (2, date(2026, 8, 20))


def test_a_renewed_document_stops_the_warnings(net, sp):
    unit = point(net, "SP-A")
    _doc(unit, sp, date(2026, 8, 20))
    _doc(unit, sp, date(2029, 8, 20))  # the renewed licence
    with time_machine.travel(datetime(2026, 8, 1, 7, 10, tzinfo=TZ), tick=False):
        assert svc.documents_warn_expiring() == 0


def test_a_terminated_point_is_not_watched(net, sp):
    unit = point(net, "SP-A", status=PointStatus.TERMINATED)
    QualificationDocument.objects.create(
        org_unit=unit, kind="other", expires_on=date(2026, 8, 2), file="x.pdf"
    )
    with time_machine.travel(datetime(2026, 8, 1, 7, 10, tzinfo=TZ), tick=False):
        assert svc.documents_warn_expiring() == 0


def test_gps_qualification_is_a_decision_with_evidence(net, sp):
    unit = point(net, "SP-A")
    with pytest.raises(ValidationError) as err:
        svc.gps_qualification_decide(actor=sp, org_unit=unit, granted=True, reason="培训合格")
    assert "evidence" in err.value.error_dict
    svc.gps_qualification_decide(
        actor=sp, org_unit=unit, granted=True, reason="培训合格", evidence=pdf("cert.pdf")
    )
    assert OrgUnit.objects.get(pk=unit.pk).gps_upgrade
    with pytest.raises(ValidationError):  # already granted
        svc.gps_qualification_decide(
            actor=sp, org_unit=unit, granted=True, reason="again", evidence=pdf()
        )
    svc.gps_qualification_decide(actor=sp, org_unit=unit, granted=False, reason="设备不达标")
    assert not OrgUnit.objects.get(pk=unit.pk).gps_upgrade
    assert [d.granted for d in GpsQualificationDecision.objects.order_by("pk")] == [True, False]
    with pytest.raises(PermissionDenied):
        svc.gps_qualification_decide(
            actor=net.gz_manager, org_unit=unit, granted=True, reason="x", evidence=pdf()
        )
