"""Notifications that close: a 待办 notification is done once its task is done, by anyone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from network.models import Delegation
from repairs.services import returns as rma
from service_ops.notifications.models import Notification
from service_ops.notifications.services import unread_count
from service_ops.work import work_of
from tests.factories import header, lines, make_user, pending_step


@pytest.mark.django_db
def test_please_sign_is_done_and_leaves_the_unread_count_once_anyone_signs(net):
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("SN-1"))
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    ask = Notification.objects.get(
        channel="in_app", recipient=net.gz_cs_sup, subject__startswith="待您签字"
    )
    assert ask.needs_action and ask.done_at is None
    before = unread_count(net.gz_cs_sup)
    # a deputy in Changsha signs for the Guangzhou field CS supervisor
    deputy = make_user("deputy", net.cs, email=True)
    today = timezone.localdate()
    Delegation.objects.create(
        principal=net.gz_cs_sup,
        deputy=deputy,
        role="field_cs_supervisor",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=3),
    )
    rma.rma_decide(step_id=pending_step(app).pk, actor=deputy, approve=True, comment="同意")
    ask.refresh_from_db()
    assert ask.done_at is not None
    assert unread_count(net.gz_cs_sup) == before - 1
    assert ask not in Notification.objects.filter(recipient=net.gz_cs_sup, done_at__isnull=True)
    # the next signer's request is open: a new task
    nxt = Notification.objects.get(
        channel="in_app", recipient=net.gz_manager, subject__startswith="待您签字"
    )
    assert nxt.done_at is None and unread_count(net.gz_manager) >= 1


@pytest.mark.django_db
def test_a_rejection_asks_the_applicant_until_they_resubmit(net):
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("SN-2"))
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    rma.rma_decide(
        step_id=pending_step(app).pk, actor=net.gz_cs_sup, approve=False, comment="照片不清"
    )
    fix = Notification.objects.get(
        channel="in_app", recipient=net.gz_engineer, subject__startswith="返厂申请被驳回"
    )
    assert fix.needs_action and fix.done_at is None
    assert "repairs.rejected" in {k for k, _l, _c in work_of(net.gz_engineer).kinds}
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    fix.refresh_from_db()
    assert fix.done_at is not None
    assert "repairs.rejected" not in {k for k, _l, _c in work_of(net.gz_engineer).kinds}


@pytest.mark.django_db
def test_the_inbox_separates_action_from_information(net, client):
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("SN-3"))
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    client.force_login(net.gz_cs_sup)
    assert "待您签字" in client.get(reverse("inbox"), {"box": "action"}).text
    assert "待您签字" not in client.get(reverse("inbox"), {"box": "info"}).text
    rma.rma_decide(step_id=pending_step(app).pk, actor=net.gz_cs_sup, approve=True, comment="")
    html = client.get(reverse("inbox")).text
    assert "已办结" in html
    assert "待您签字" not in client.get(reverse("inbox"), {"box": "action"}).text
