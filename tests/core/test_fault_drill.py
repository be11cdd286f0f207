"""The fault drill's checks (manage.py fault_drill runs on demand, not in the suite): they must
pass what the product does and catch what it must never do — a level fired twice or not at all, a
recipient told twice, an e-mail delivered twice, a webhook delivery lost or sent twice without
a crash."""

import shutil
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from network.choices import OrgKind
from network.models import OrgUnit, StaffProfile
from service_ops.bench.drill import (
    ArmedTimer,
    HookReceiver,
    sending_when_killed,
    verify_notifications,
    verify_timers,
    verify_webhooks,
)
from service_ops.deadlines.models import DeadlinePolicy, LimitUnit
from service_ops.deadlines.services import deadline_start
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Channel, Notification
from service_ops.notifications.services import notify, send_pending
from service_ops.webhooks import services as webhooks
from service_ops.webhooks.models import DeliveryState, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    hq = OrgUnit.objects.create(code="HQ-D", name="客户服务部", kind=OrgKind.HEADQUARTERS)
    user = get_user_model().objects.create_user("drill", email="drill@example.com")
    StaffProfile.objects.create(user=user, org_unit=hq)
    return user, hq


def _timer(person, started_at):
    user, hq = person
    policy = DeadlinePolicy.objects.create(
        code="drill",
        name="演练时限",
        kind="test.drill",
        unit=LimitUnit.CALENDAR_HOURS,
        limit=Decimal(1),
        warn_before=Decimal("0.5"),
        escalation_chain=["assignee"],
    )
    d = deadline_start(
        policy=policy, owner=user, org_unit=hq, assignee=user, started_at=started_at, label="演练"
    )
    return d, [ArmedTimer(d.pk, d.cycle, d.level, d.warn_at, d.due_at, d.policy_snapshot)]


def test_a_level_overtaken_by_a_later_one_is_accepted_a_second_notification_is_not(person):
    now = timezone.now()
    deadline, armed = _timer(person, now - timedelta(hours=2))  # warning and breach both past
    sweep_deadlines(now=now)  # fires the breach only: people get one message, not a burst

    verdict = verify_timers(armed, now=now)
    assert verdict.passed, verdict
    assert "1 levels legitimately skipped" in verdict.line

    told = Notification.objects.filter(url=f"/deadlines/{deadline.pk}/", channel=Channel.IN_APP)
    copy = told.first()
    copy.pk = None
    copy.save()
    verdict = verify_timers(armed, now=now)
    assert not verdict.passed
    assert "told 2 times" in str(verdict)


def test_a_level_that_came_due_and_never_fired_fails(person):
    now = timezone.now()
    _deadline, armed = _timer(person, now - timedelta(minutes=40))  # warned 10 minutes ago
    sweep_deadlines(now=now)  # the warning

    assert verify_timers(armed, now=now).passed
    later = now + timedelta(minutes=30)  # the breach is due, and no sweep came
    verdict = verify_timers(armed, now=later)
    assert not verdict.passed
    assert "level 2 due, fired [1]" in str(verdict)


def test_each_email_delivered_once_passes_a_second_copy_fails(person, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    user, _hq = person
    notify(recipients=[user], subject="返修单 RMA-0001 待您签字", urgent=True)
    notify(recipients=[user], subject="返修单 RMA-0002 待您签字", urgent=True)
    assert send_pending() == 2

    verdict = verify_notifications(mail_dir=tmp_path / "mail", now=timezone.now())
    assert verdict.passed, verdict
    assert "2 messages for 2 rows, 0 delivered more than once" in verdict.line

    first = sorted((tmp_path / "mail").glob("*.log"))[0]
    shutil.copy(first, tmp_path / "mail" / "resent.log")
    verdict = verify_notifications(mail_dir=tmp_path / "mail", now=timezone.now())
    assert not verdict.passed
    assert "delivered 2 times" in str(verdict)


@pytest.fixture
def hook():
    dealer = OrgUnit.objects.create(code="D-DRILL", name="演练代理商", kind=OrgKind.DEALER)
    receiver = HookReceiver().start()
    endpoint, _secret = webhooks.endpoint_create(org_unit=dealer, url=receiver.url)
    yield endpoint, receiver
    receiver.close()


def _verdict(endpoint, receiver, *, sender_killed=False):
    seen, events = receiver.seen()
    return verify_webhooks(
        endpoint_id=endpoint.pk, seen=seen, events_seen=events, sender_killed=sender_killed
    )


def test_each_webhook_delivered_and_received_passes_a_missing_one_fails(hook):
    endpoint, receiver = hook
    webhooks.send_ping(endpoint=endpoint)
    webhooks.send_ping(endpoint=endpoint)
    assert webhooks.send_due() == 2

    verdict = _verdict(endpoint, receiver)
    assert verdict.passed, verdict
    assert "2 deliveries to the drill's endpoint (ping 2): 2 delivered, 0 not" in verdict.line
    assert "2 requests for 2 delivery ids, 0 never received, 0 received more than once" in (
        verdict.line
    )

    # one still pending (never sent): not delivered, and never received
    webhooks.send_ping(endpoint=endpoint)
    verdict = _verdict(endpoint, receiver)
    assert not verdict.passed
    assert "pending after 0 attempts" in str(verdict)
    assert "never reached the receiver" in str(verdict)

    # marked delivered, yet the receiver never got it (the POST was lost): fails too
    WebhookDelivery.objects.filter(state=DeliveryState.PENDING).update(
        state=DeliveryState.DELIVERED
    )
    verdict = _verdict(endpoint, receiver)
    assert not verdict.passed
    assert "never reached the receiver" in str(verdict)
    assert "pending" not in str(verdict)


def test_a_delivery_received_twice_fails_unless_a_sender_was_killed_while_sending(hook):
    endpoint, receiver = hook
    delivery = webhooks.send_ping(endpoint=endpoint)
    assert webhooks.send_due() == 1
    # the lease ran out and it went out again (as after a sender died before recording it)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.FAILED, next_attempt_at=timezone.now()
    )
    assert webhooks.send_due() == 1
    seen, _events = receiver.seen()
    assert seen[str(delivery.uuid)] == 2

    verdict = _verdict(endpoint, receiver)
    assert not verdict.passed
    assert "received 2 times, and no worker was killed while sending" in str(verdict)

    verdict = _verdict(endpoint, receiver, sender_killed=True)
    assert verdict.passed, verdict
    assert "1 received more than once (allowed: a worker was killed while sending" in verdict.line
    assert "1 event ids seen more than once" in verdict.line


def test_a_worker_log_tells_whether_it_was_killed_while_sending():
    task = "service_ops.webhooks.tasks.send_webhooks"
    done = (
        f"[2026-01-01 10:00:00,000: INFO/MainProcess] Task {task}[0a1b-2c] received\n"
        f"[2026-01-01 10:00:00,100: INFO/ForkPoolWorker-1] Task {task}[0a1b-2c] succeeded in "
        "0.1s: 3\n"
    )
    assert not sending_when_killed(done)
    sweep = "service_ops.deadlines.tasks.sweep_deadlines"
    assert not sending_when_killed(done + f"[…] Task {sweep}[3d4e] received\n")
    assert sending_when_killed(done + f"[…] Task {task}[5f6a] received\n")
