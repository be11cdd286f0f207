"""The notification outbox: in-app rows always, e-mail and SMS within the recipient's working
hours unless urgent, a daily digest for supervisors who want one, and a sender that sends each
row once and retries failures with back-off."""

import threading
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from smtplib import SMTPException
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from network.choices import OrgKind, Role
from network.models import OrgUnit, RoleAssignment, StaffProfile
from service_ops.deadlines.models import DeadlinePolicy, LimitUnit
from service_ops.deadlines.services import deadline_start
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications import tasks
from service_ops.notifications.models import Channel, Notification, OutboundSms
from service_ops.notifications.services import (
    MAX_ATTEMPTS,
    NOTIFICATION_HEADER,
    NotificationSpec,
    mark_read,
    notify,
    notify_many,
    queue_sms,
    retry_delay,
    send_digests,
    send_pending,
    unread_count,
)
from service_ops.notifications.sms import LocmemSmsBackend

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


MONDAY_10 = at(2026, 11, 23, 10)


class FailingEmailBackend(LocmemEmailBackend):
    """An SMTP server that refuses mail to addresses starting with "bad" (all, if ALL)."""

    ALL = True

    def send_messages(self, messages):
        for message in messages:
            if self.ALL or any(to.startswith("bad") for to in message.to):
                raise SMTPException("451 try again later")
        return super().send_messages(messages)


class FailingSmsBackend:
    def send(self, phone, text):
        raise ConnectionError("SMS gateway timeout")


@pytest.fixture
def office():
    return OrgUnit.objects.create(code="HQ", name="总部", kind=OrgKind.HEADQUARTERS)


@pytest.fixture
def staff(office):
    def make(username, *, email=True, phone="", sms=False, digest=False, mail_on=True):
        user = get_user_model().objects.create_user(
            username=username, email=f"{username}@x.cn" if email else ""
        )
        StaffProfile.objects.create(
            user=user,
            org_unit=office,
            phone=phone,
            sms_notifications=sms,
            email_notifications=mail_on,
            escalation_digest=digest,
        )
        return user

    return make


def rows(user, channel):
    return list(Notification.objects.filter(recipient=user, channel=channel).order_by("id"))


# --- writing ----------------------------------------------------------------------------------


def test_everyone_gets_an_in_app_row_even_without_a_staff_profile():
    user = get_user_model().objects.create_user(username="nobody", email="nobody@x.cn")

    assert notify(recipients=[user], subject="新的返修申请") == 1

    (row,) = Notification.objects.all()
    assert (row.channel, row.recipient, row.subject) == (Channel.IN_APP, user, "新的返修申请")
    assert row.sent_at is not None
    assert unread_count(user) == 1
    assert mark_read(user=user) == 1
    assert unread_count(user) == 0


def test_the_bell_counts_to_one_past_its_cap_and_only_unread_in_app_rows(client):
    from service_ops.notifications.services import BADGE_CAP

    user = get_user_model().objects.create_user(username="busy", email="busy@x.cn")
    other = get_user_model().objects.create_user(username="other", email="other@x.cn")
    rows = [
        Notification(recipient=user, channel=Channel.IN_APP, subject=f"n{i}")
        for i in range(BADGE_CAP + 5)
    ]
    Notification.objects.bulk_create(rows)
    Notification.objects.create(recipient=other, channel=Channel.IN_APP, subject="not mine")
    assert unread_count(user) == BADGE_CAP + 1
    client.force_login(user)
    assert ">99+<" in client.get(reverse("inbox")).content.decode()
    Notification.objects.filter(recipient=user).exclude(subject__in=["n0", "n1"]).update(
        read_at=timezone.now()
    )
    Notification.objects.filter(recipient=user, subject="n1").update(done_at=timezone.now())
    assert unread_count(user) == 1 and unread_count(other) == 1


def test_an_inactive_user_is_not_notified(staff):
    user = staff("gone")
    user.is_active = False
    user.save()

    assert notify(recipients=[user], subject="x") == 0


@pytest.mark.parametrize(
    ("now", "sent_from"),
    [
        (MONDAY_10, MONDAY_10),
        (at(2026, 11, 23, 7), at(2026, 11, 23, 8, 30)),  # before the opening
        (at(2026, 11, 23, 18), at(2026, 11, 24, 8, 30)),  # at the cut-off: tomorrow
        (at(2026, 11, 28, 10), at(2026, 11, 30, 8, 30)),  # Saturday: Monday
        (at(2026, 9, 30, 19), at(2026, 10, 8, 8, 30)),  # before National Day: after it
        (at(2026, 10, 10, 7), at(2026, 10, 10, 8, 30)),  # the make-up Saturday is a working day
    ],
)
def test_email_and_sms_wait_for_the_recipients_working_hours(staff, now, sent_from):
    user = staff("clerk", phone="13800000000", sms=True)

    assert notify_many([NotificationSpec(recipient_id=user.pk, subject="请报价")], now=now) == 3

    assert rows(user, Channel.IN_APP)[0].send_after == now
    assert rows(user, Channel.EMAIL)[0].send_after == sent_from
    assert rows(user, Channel.SMS)[0].send_after == sent_from


def test_an_urgent_notification_goes_out_at_once_whatever_the_hour(staff):
    user = staff("head", phone="13800000000", sms=True)
    saturday_night = at(2026, 11, 28, 23)

    notify_many(
        [NotificationSpec(recipient_id=user.pk, subject="重大客诉", urgent=True)],
        now=saturday_night,
    )

    assert rows(user, Channel.EMAIL)[0].send_after == saturday_night
    assert rows(user, Channel.SMS)[0].send_after == saturday_night


def test_the_staff_profile_decides_the_channels(staff):
    no_mail = staff("no_mail", mail_on=False)
    no_address = staff("no_address", email=False)
    sms_without_phone = staff("sms_without_phone", sms=True)

    notify(recipients=[no_mail, no_address, sms_without_phone], subject="x")

    channels = set(Notification.objects.values_list("recipient__username", "channel"))
    assert channels == {
        ("no_mail", Channel.IN_APP),
        ("no_address", Channel.IN_APP),
        ("sms_without_phone", Channel.IN_APP),
        ("sms_without_phone", Channel.EMAIL),
    }


# --- digest -----------------------------------------------------------------------------------


def escalation(user, subject):
    return NotificationSpec(recipient_id=user.pk, subject=subject, escalation=True)


def test_a_supervisor_who_takes_the_digest_gets_escalations_in_one_daily_email(staff):
    supervisor = staff("supervisor", phone="13900000000", sms=True, digest=True)
    notify_many([escalation(supervisor, "超期升级：R-1")], now=MONDAY_10)
    notify_many([escalation(supervisor, "超期升级：R-2")], now=at(2026, 11, 23, 15))
    notify_many([escalation(supervisor, "超期升级：R-3")], now=at(2026, 11, 23, 20))
    notify_many([NotificationSpec(recipient_id=supervisor.pk, subject="月结单待签")], now=MONDAY_10)

    assert len(rows(supervisor, Channel.IN_APP)) == 4  # seen in the app at once
    assert [r.subject for r in rows(supervisor, Channel.SMS)] == ["月结单待签"]
    digest_rows = Notification.objects.filter(recipient=supervisor, digest=True)
    assert {r.send_after for r in digest_rows} == {at(2026, 11, 24, 8, 30)}

    assert send_pending(now=MONDAY_10) == 2  # the ordinary e-mail and SMS only
    assert send_digests(now=at(2026, 11, 24, 8, 29)) == 0
    assert send_digests(now=at(2026, 11, 24, 8, 30)) == 1
    assert send_digests(now=at(2026, 11, 24, 9)) == 0

    digest = mail.outbox[-1]
    assert digest.subject == "每日升级汇总（3 条）"
    assert digest.to == ["supervisor@x.cn"]
    assert [line.split(" ", 3)[-1] for line in digest.body.splitlines()] == [
        "超期升级：R-1",
        "超期升级：R-2",
        "超期升级：R-3",
    ]
    assert len(mail.outbox) == 2


def test_an_urgent_escalation_skips_the_digest(staff):
    supervisor = staff("supervisor", digest=True)

    notify_many(
        [NotificationSpec(recipient_id=supervisor.pk, subject="x", escalation=True, urgent=True)],
        now=MONDAY_10,
    )

    assert not Notification.objects.filter(digest=True).exists()
    assert send_pending(now=MONDAY_10) == 1


def test_escalations_from_the_sweep_reach_a_digest_supervisor_through_the_digest(staff, office):
    tech = staff("tech")
    supervisor = staff("supervisor", digest=True)
    RoleAssignment.objects.create(user=supervisor, role=Role.REPAIR_SUPERVISOR, org_unit=office)
    policy = DeadlinePolicy.objects.create(
        code="repair-1",
        name="维修时限",
        kind="test.repair",
        unit=LimitUnit.WORKING_DAYS,
        limit=Decimal(3),
        escalation_chain=["assignee", "repair_supervisor"],
    )
    deadline_start(
        policy=policy,
        owner=tech,
        org_unit=office,
        assignee=tech,
        started_at=at(2026, 9, 30, 10),
        label="返修单 R-1",
    )

    sweep_deadlines(now=at(2026, 10, 12, 18))  # level 3: the repair supervisor

    (row,) = rows(supervisor, Channel.EMAIL)
    assert (row.digest, row.send_after) == (True, at(2026, 10, 13, 8, 30))
    assert send_digests(now=at(2026, 10, 13, 8, 30)) == 1
    assert "返修单 R-1" in mail.outbox[0].body


# --- sending ----------------------------------------------------------------------------------


def test_send_pending_sends_each_due_row_once(staff):
    user = staff("clerk", phone="13800000000", sms=True)
    notify(recipients=[user], subject="请报价")  # real time: sent from whenever that is
    Notification.objects.exclude(channel=Channel.IN_APP).update(send_after=MONDAY_10)
    notify_many(
        [NotificationSpec(recipient_id=user.pk, subject="明天的")], now=at(2026, 11, 23, 19)
    )

    assert send_pending(now=MONDAY_10) == 2
    assert send_pending(now=MONDAY_10) == 0
    assert send_pending(now=at(2026, 11, 24, 8, 30)) == 2
    assert send_pending(now=at(2026, 11, 25, 8, 30)) == 0

    assert [m.subject for m in mail.outbox] == ["请报价", "明天的"]
    assert LocmemSmsBackend.outbox == [("13800000000", "请报价"), ("13800000000", "明天的")]
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


def test_an_sms_to_a_phone_number_goes_through_the_outbox(settings):
    """queue_sms: nothing leaves for a change that rolls back; a gateway failure after the
    commit is retried with back-off instead of lost; a sent row is never sent again."""
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_sms(phone="13900000000", text="回滚了")
        raise RuntimeError
    assert not OutboundSms.objects.exists()

    settings.SMS_BACKEND = "tests.core.test_notifications.FailingSmsBackend"
    queue_sms(phone="13900000000", text="您的激活码", send_after=MONDAY_10)
    assert send_pending(now=MONDAY_10) == 0
    row = OutboundSms.objects.get()
    assert (row.attempts, row.sent_at, row.last_error) == (1, None, "SMS gateway timeout")
    assert row.send_after == MONDAY_10 + retry_delay(1)

    settings.SMS_BACKEND = "service_ops.notifications.sms.LocmemSmsBackend"
    assert send_pending(now=MONDAY_10 + timedelta(minutes=1)) == 0  # not due again yet
    assert send_pending(now=MONDAY_10 + timedelta(hours=1)) == 1
    assert send_pending(now=MONDAY_10 + timedelta(hours=2)) == 0
    assert LocmemSmsBackend.outbox == [("13900000000", "您的激活码")]


def test_a_failing_mail_server_is_retried_with_back_off(staff, settings):
    settings.EMAIL_BACKEND = "tests.core.test_notifications.FailingEmailBackend"
    user = staff("clerk")
    notify_many([NotificationSpec(recipient_id=user.pk, subject="请报价")], now=MONDAY_10)

    def email_row():
        return Notification.objects.get(channel=Channel.EMAIL)

    assert send_pending(now=MONDAY_10) == 0
    assert (email_row().attempts, email_row().send_after) == (1, MONDAY_10 + timedelta(minutes=2))
    assert "451" in email_row().last_error

    assert send_pending(now=MONDAY_10 + timedelta(minutes=1)) == 0
    assert email_row().attempts == 1  # not before its time

    assert send_pending(now=MONDAY_10 + timedelta(minutes=2)) == 0
    assert (email_row().attempts, email_row().send_after) == (2, MONDAY_10 + timedelta(minutes=6))

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_pending(now=MONDAY_10 + timedelta(minutes=6)) == 1
    assert (email_row().attempts, email_row().last_error) == (3, "")
    assert email_row().sent_at == MONDAY_10 + timedelta(minutes=6)
    assert send_pending(now=MONDAY_10 + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1


def test_a_row_that_keeps_failing_is_given_up_after_the_last_attempt(staff, settings):
    settings.EMAIL_BACKEND = "tests.core.test_notifications.FailingEmailBackend"
    user = staff("clerk")
    notify_many([NotificationSpec(recipient_id=user.pk, subject="请报价")], now=MONDAY_10)

    moment = MONDAY_10
    for _ in range(MAX_ATTEMPTS + 3):
        send_pending(now=moment)
        moment += timedelta(days=1)

    row = Notification.objects.get(channel=Channel.EMAIL)
    assert (row.attempts, row.sent_at) == (MAX_ATTEMPTS, None)


def test_a_failing_sms_gateway_does_not_hold_back_the_emails(staff, settings):
    settings.SMS_BACKEND = "tests.core.test_notifications.FailingSmsBackend"
    user = staff("clerk", phone="13800000000", sms=True)
    notify_many([NotificationSpec(recipient_id=user.pk, subject="请报价")], now=MONDAY_10)

    assert send_pending(now=MONDAY_10) == 1

    assert [m.subject for m in mail.outbox] == ["请报价"]
    sms = Notification.objects.get(channel=Channel.SMS)
    assert (sms.sent_at, sms.attempts, sms.last_error) == (None, 1, "SMS gateway timeout")


def test_a_digest_that_fails_for_one_supervisor_still_reaches_the_others(staff, settings):
    settings.EMAIL_BACKEND = "tests.core.test_notifications.FailingEmailBackend"
    FailingEmailBackend.ALL = False
    try:
        good = staff("good", digest=True)
        bad = staff("bad", digest=True)
        notify_many([escalation(good, "升级 1"), escalation(bad, "升级 1")], now=MONDAY_10)

        assert send_digests(now=at(2026, 11, 24, 8, 30)) == 1
    finally:
        FailingEmailBackend.ALL = True

    assert [m.to for m in mail.outbox] == [["good@x.cn"]]
    failed = Notification.objects.get(recipient=bad, digest=True)
    assert (failed.sent_at, failed.attempts) == (None, 1)
    assert failed.send_after == at(2026, 11, 24, 8, 32)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_digests(now=at(2026, 11, 24, 8, 32)) == 1


def test_the_sender_is_nudged_when_the_writing_transaction_commits(
    staff, time_machine, django_capture_on_commit_callbacks
):
    user = staff("clerk")
    time_machine.move_to(MONDAY_10, tick=False)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(recipients=[user], subject="请报价")

    assert len(callbacks) == 1
    assert [m.subject for m in mail.outbox] == ["请报价"]


def test_nothing_is_nudged_outside_working_hours(staff, django_capture_on_commit_callbacks):
    user = staff("clerk")

    with django_capture_on_commit_callbacks() as callbacks:
        notify_many([NotificationSpec(recipient_id=user.pk, subject="x")], now=at(2026, 11, 23, 20))

    assert callbacks == []


def test_the_beat_tasks_send_what_is_due(staff, time_machine):
    clerk = staff("clerk")
    supervisor = staff("supervisor", digest=True)
    notify_many(
        [NotificationSpec(recipient_id=clerk.pk, subject="请报价"), escalation(supervisor, "升级")],
        now=at(2026, 11, 23, 7),
    )
    time_machine.move_to(at(2026, 11, 23, 8, 30), tick=False)

    assert tasks.send_pending_notifications() == 1
    assert tasks.send_daily_digests() == 1


class Rendezvous(LocmemEmailBackend):
    """Each sender's first e-mail waits until the other sender is sending too."""

    barrier = threading.Barrier(2, timeout=30)
    met: set = set()

    def send_messages(self, messages):
        name = threading.current_thread().name
        if name not in type(self).met:
            type(self).met.add(name)
            type(self).barrier.wait()
        return super().send_messages(messages)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_row_once(staff, settings):
    settings.EMAIL_BACKEND = "tests.core.test_notifications.Rendezvous"
    users = [staff(f"user{i}") for i in range(40)]
    early = at(2026, 11, 23, 7)  # written before the opening: no nudge, the senders do it all
    notify_many(
        [NotificationSpec(recipient_id=u.pk, subject=f"通知 {u.pk}") for u in users], now=early
    )
    results, errors = {}, []

    def sender():
        try:
            results[threading.current_thread().name] = send_pending(now=MONDAY_10, batch_size=5)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, name=n) for n in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert Rendezvous.met == {"one", "two"}
    assert results["one"] + results["two"] == 40
    assert sorted(m.subject for m in mail.outbox) == sorted(f"通知 {u.pk}" for u in users)
    assert Notification.objects.filter(channel=Channel.EMAIL, attempts=1).count() == 40


class ProcessDied(BaseException):
    """What kill -9 (or a dropped database connection) does to a sender: nothing after this point
    runs, nothing it has not committed stays."""


class DiesOnTheThirdMessage(LocmemEmailBackend):
    def send_messages(self, messages):
        if len(mail.outbox) == 2:
            raise ProcessDied
        return super().send_messages(messages)


def test_a_sender_that_dies_mid_run_sends_again_none_of_what_it_delivered(staff, settings):
    """Each row is claimed, delivered and marked sent in a transaction of its own: the window for
    a second copy is the one message between the mail server's answer and the commit, not a
    batch. (With one transaction a batch, the two delivered rows rolled back to unsent and went
    out twice.) Each message names its outbox row, so a receiver can tell a resend."""
    settings.EMAIL_BACKEND = "tests.core.test_notifications.DiesOnTheThirdMessage"
    users = [staff(f"user{i}") for i in range(5)]
    notify_many(
        [NotificationSpec(recipient_id=u.pk, subject="请报价") for u in users], now=MONDAY_10
    )

    with pytest.raises(ProcessDied):
        send_pending(now=MONDAY_10)
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(channel=Channel.EMAIL, sent_at__isnull=False).count() == 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_pending(now=MONDAY_10) == 3
    per_row = Counter(m.extra_headers[NOTIFICATION_HEADER] for m in mail.outbox)
    email_rows = Notification.objects.filter(channel=Channel.EMAIL)
    assert per_row == {str(pk): 1 for pk in email_rows.values_list("pk", flat=True)}


def test_a_row_delivered_whose_sent_mark_was_lost_is_not_delivered_again(staff, monkeypatch):
    """The database goes away between the delivery and the commit (a restart): the row is still
    unsent, but the cache remembers it went out, so the next sender marks it sent instead."""
    user = staff("clerk")
    notify_many([NotificationSpec(recipient_id=user.pk, subject="请报价")], now=MONDAY_10)
    save = Notification.save

    def connection_lost(self, *args, **kwargs):
        if self.sent_at is not None:
            raise OperationalError("server closed the connection unexpectedly")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Notification, "save", connection_lost)
    with pytest.raises(OperationalError):
        send_pending(now=MONDAY_10)
    assert len(mail.outbox) == 1
    assert Notification.objects.get(channel=Channel.EMAIL).sent_at is None

    monkeypatch.setattr(Notification, "save", save)
    assert send_pending(now=MONDAY_10) == 1
    assert len(mail.outbox) == 1
    assert Notification.objects.get(channel=Channel.EMAIL).sent_at == MONDAY_10
