"""Intake on behalf (issue 15, item 10): an application that came by fax or e-mail is entered by
the logistics clerk for its sender with the scanned form; the chain runs as usual and who entered
it is recorded."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from repairs.choices import ApplicationState, IntakeChannel, Platform
from repairs.models import ReturnApplication
from repairs.services import returns as rma
from service_ops.notifications.models import Notification
from service_ops.transitions.models import TransitionLog
from tests.factories import header, lines, pending_step, sign_all
from tests.repairs.test_web_returns import form_data


def scan(name="fax.pdf", size=None):
    return SimpleUploadedFile(
        name, b"%PDF-1.4 fax" if size is None else b"x" * size, "application/pdf"
    )


def _intake(net, unit, **kwargs):
    values = {
        "actor": net.clerk,
        "sender_unit": unit,
        "channel": IntakeChannel.FAX,
        "scanned_form": scan(),
        "header": header(),
        "lines": lines("F1"),
    }
    values.update(kwargs)
    return rma.rma_intake(**values)


def test_a_fax_from_a_dealer_runs_the_managed_chain_with_the_dealer_as_applicant(net):
    app = _intake(net, net.dealer)
    assert app.applicant == net.dealer_user and app.applicant_unit == net.dealer
    assert app.platform == Platform.MANAGED and app.branch == net.cs and app.dealer == net.dealer
    assert app.entered_by == net.clerk and app.intake_channel == IntakeChannel.FAX
    assert app.intake_scan.read() == b"%PDF-1.4 fax"
    assert Notification.objects.filter(
        recipient=net.dealer_user, subject__contains="代为录入返厂申请 " + app.number
    ).exists()

    # the clerk submits it for the sender; the first signer is the dealer's local engineer
    rma.rma_submit(application_id=app.pk, actor=net.clerk)
    app.refresh_from_db()
    assert app.state == ApplicationState.IN_APPROVAL
    assert pending_step(app).role == "local_engineer"
    submitted = TransitionLog.objects.get(object_id=app.pk, transition="submit")
    assert submitted.actor == net.clerk  # who entered and submitted it is on the record
    app = sign_all(app, net.cs_engineer, net.hn_manager, net.head)
    assert app.state == ApplicationState.APPROVED
    # the dealer sees it as its own; another dealer does not
    assert ReturnApplication.objects.visible_to(net.dealer_user).filter(pk=app.pk).exists()
    assert not ReturnApplication.objects.visible_to(net.dealer2_user).filter(pk=app.pk).exists()


def test_an_e_mail_from_an_operating_branch_names_its_engineer(net):
    app = _intake(net, net.gz, channel=IntakeChannel.EMAIL)
    assert app.applicant == net.gz_engineer and app.platform == Platform.OPERATING
    rma.rma_submit(application_id=app.pk, actor=net.clerk)
    assert pending_step(app).role == "field_cs_supervisor"


def test_intake_refuses_what_it_cannot_stand_behind(net):
    with pytest.raises(PermissionDenied):
        _intake(net, net.dealer, actor=net.tech)
    with pytest.raises(ValidationError) as refused:
        _intake(net, net.cs, channel=IntakeChannel.WEB, scanned_form=None)
    # a managed branch does not file itself (its dealer does); the scan and the channel are needed
    assert set(refused.value.message_dict) == {"sender_unit", "channel", "scanned_form"}
    with pytest.raises(ValidationError) as too_big:
        _intake(net, net.dealer, scanned_form=scan(size=rma.MAX_SCAN_BYTES + 1))
    assert "10 MB" in str(too_big.value)
    with pytest.raises(ValidationError):  # the application's own rules still hold
        _intake(net, net.dealer, header=header(freight_terms="collect"))
    assert not ReturnApplication.objects.exists()


def test_the_clerk_enters_and_submits_a_fax_in_the_browser_and_the_detail_shows_it(client, net):
    client.force_login(net.clerk)
    url = reverse("repairs:return_intake")
    assert "代为录入（传真/邮件）" in client.get(reverse("repairs:return_list")).text
    page = client.get(url)
    assert page.status_code == 200 and "收到的申请表" in page.text
    assert 'enctype="multipart/form-data"' in page.text

    data = form_data(rows=[{"serial_number": "FX1"}])
    missing = client.post(url, {**data, "sender_unit": net.dealer.pk, "channel": "fax"})
    assert missing.status_code == 400 and "invalid-feedback" in missing.text
    assert "FX1" in missing.text  # what was typed is kept
    assert not ReturnApplication.objects.exists()

    response = client.post(
        url, {**data, "sender_unit": net.dealer.pk, "channel": "fax", "scanned_form": scan()}
    )
    app = ReturnApplication.objects.get()
    assert response.status_code == 302 and response.url == app.get_absolute_url()
    assert app.state == ApplicationState.IN_APPROVAL and app.entered_by == net.clerk
    detail = client.get(app.get_absolute_url()).text
    assert "传真收到，由" in detail and "代为录入" in detail
    scan_url = reverse("repairs:intake_scan", args=[app.pk])
    assert scan_url in detail
    assert b"".join(client.get(scan_url).streaming_content) == b"%PDF-1.4 fax"

    client.force_login(net.dealer2_user)
    assert client.get(scan_url).status_code == 404
    client.force_login(net.dealer_user)
    assert client.get(scan_url).status_code == 200
    # only the clerk enters on behalf
    assert client.get(url).status_code == 403


def test_a_managed_branch_is_not_offered_as_a_sender(client, net):
    client.force_login(net.clerk)
    page = client.get(reverse("repairs:return_intake")).text
    assert net.dealer.name in page and net.gz.name in page
    assert f'value="{net.cs.pk}"' not in page
