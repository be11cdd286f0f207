"""The fault drill's checks (manage.py fault_drill runs on demand, not in the suite): they must
pass what the product does and catch what it must never do — a level fired twice or not at all, a
recipient told twice, an e-mail delivered twice."""

import shutil
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from network.choices import OrgKind
from network.models import OrgUnit, StaffProfile
from service_ops.bench.drill import ArmedTimer, verify_notifications, verify_timers
from service_ops.deadlines.models import DeadlinePolicy, LimitUnit
from service_ops.deadlines.services import deadline_start
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Channel, Notification
from service_ops.notifications.services import notify, send_pending

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
