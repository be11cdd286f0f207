"""Joining the network (申请入网): submit → review → approve (the point, its profile, areas and
prepaid account; its documents move over) or reject; each step logged, who may do what."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed

from network.choices import OrgKind, PointStatus
from network.life import services as svc
from network.life.choices import ApplicationState, DocumentKind
from network.life.models import PointApplication, QualificationDocument
from network.models import OrgUnit, PrepaidAccount, ServiceArea, ServicePointProfile
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of

from .life_support import application_data, pdf, specialist

pytestmark = pytest.mark.django_db


@pytest.fixture
def sp(net):
    return specialist(net)


def test_a_branch_manager_files_an_application_and_the_specialist_is_asked(net, sp):
    app = svc.application_submit(actor=net.gz_manager, **application_data(net))
    assert app.state == ApplicationState.SUBMITTED
    assert app.number.startswith("RW-")
    assert app.areas == [["广东省", "广州市", "番禺区"], ["广东省", "广州市", "南沙区"]]
    assert Notification.objects.filter(recipient=sp, needs_action=True).exists()


def test_an_application_outside_ones_branch_is_refused(net):
    with pytest.raises(ValidationError) as err:
        svc.application_submit(actor=net.cs_manager, **application_data(net))
    assert "parent" in err.value.error_dict


def test_a_dealer_may_not_file_an_application(net):
    with pytest.raises(PermissionDenied):
        svc.application_submit(actor=net.dealer_user, **application_data(net))


def test_bad_input_is_a_field_error(net):
    data = application_data(net, areas=[], contract_end=date(2026, 1, 1), phone=" ")
    with pytest.raises(ValidationError) as err:
        svc.application_submit(actor=net.gz_manager, **data)
    assert {"areas", "contract_end", "phone"} <= set(err.value.error_dict)


def test_approval_creates_the_point_with_profile_areas_account_and_documents(net, sp):
    app = svc.application_submit(actor=net.gz_manager, **application_data(net))
    svc.document_add(
        actor=net.gz_manager,
        application=app,
        kind=DocumentKind.BUSINESS_LICENCE,
        number="9144",
        expires_on=date(2030, 1, 1),
        file=pdf(),
    )
    svc.application_start_review(application=app, actor=sp)
    app = svc.application_approve(application=app, actor=sp, note="资质齐全")
    assert app.state == ApplicationState.APPROVED
    unit = app.org_unit
    assert unit.kind == OrgKind.SERVICE_POINT and unit.parent == net.gz
    assert unit.code == "S-GZ-02"  # the branch's second point (SP-1 is the first)
    profile = ServicePointProfile.objects.get(org_unit=unit)
    assert profile.status == PointStatus.ACTIVE
    assert profile.grade == "C"
    assert profile.contract_end == date(2028, 6, 30)
    assert ServiceArea.objects.filter(org_unit=unit).count() == 2
    assert PrepaidAccount.objects.filter(org_unit=unit).exists()
    assert QualificationDocument.objects.get(application=app).org_unit == unit
    # the profile's onboarding → active is logged, as are the application's steps
    assert [e.transition for e in log_of(profile)] == ["activate"]
    assert [e.transition for e in log_of(app)] == ["start_review", "approve"]


def test_approval_needs_the_review_started_and_the_right_role(net, sp):
    app = svc.application_submit(actor=net.gz_manager, **application_data(net))
    with pytest.raises(TransitionNotAllowed):
        svc.application_approve(application=app, actor=sp)
    assert (
        not OrgUnit.objects.filter(kind=OrgKind.SERVICE_POINT, parent=net.gz)
        .exclude(pk=net.point.pk)
        .exists()
    )
    with pytest.raises(PermissionDenied):
        svc.application_start_review(application=app, actor=net.gz_manager)


def test_a_code_already_taken_refuses_the_approval_and_creates_nothing(net, sp):
    app = svc.application_submit(actor=net.gz_manager, **application_data(net))
    svc.application_start_review(application=app, actor=sp)
    with pytest.raises(ValidationError):
        svc.application_approve(application=app, actor=sp, code=net.point.code)
    app.refresh_from_db()
    assert app.state == ApplicationState.UNDER_REVIEW and app.org_unit_id is None


def test_rejection_needs_a_reason_and_ends_the_application(net, sp):
    app = svc.application_submit(actor=net.gz_manager, **application_data(net))
    with pytest.raises(ValidationError):
        svc.application_reject(application=app, actor=sp, note=" ")
    app = svc.application_reject(application=app, actor=sp, note="区域已有网点覆盖")
    assert app.state == ApplicationState.REJECTED
    with pytest.raises(TransitionNotAllowed):
        svc.application_start_review(application=app, actor=sp)


def test_the_state_cannot_be_written_directly(net):
    app = svc.application_submit(actor=net.gz_manager, **application_data(net))
    with pytest.raises(AttributeError):
        app.state = ApplicationState.APPROVED
    assert PointApplication.objects.get(pk=app.pk).state == ApplicationState.SUBMITTED
