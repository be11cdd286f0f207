"""The embedded shape: the in-process sweeper, and `manage.py run`, the one place that starts it."""

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.commands import runserver as core_runserver
from django.utils import autoreload

from network.choices import OrgKind
from network.models import OrgUnit, StaffProfile
from service_ops import embedded
from service_ops.deadlines.models import (
    DeadlineAction,
    DeadlinePolicy,
    DeadlineStatus,
    LimitUnit,
)
from service_ops.deadlines.services import deadline_start
from service_ops.management.commands.run import Command as RunCommand
from service_ops.notifications.models import Channel, Notification

Z = ZoneInfo("Asia/Shanghai")
TUESDAY_10AM = datetime(2026, 9, 29, 10, 0, tzinfo=Z)  # a working day, inside working hours


def _person(username="li.na"):
    hq = OrgUnit.objects.create(code="HQ-T", name="客户服务部", kind=OrgKind.HEADQUARTERS)
    user = get_user_model().objects.create_user(username, email=f"{username}@example.com")
    StaffProfile.objects.create(user=user, org_unit=hq, email_notifications=True)
    return user, hq


def _overdue_deadline(user, hq, *, started_at):
    policy = DeadlinePolicy.objects.create(
        code="embedded-test",
        name="测试时限",
        kind="test.embedded",
        unit=LimitUnit.CALENDAR_HOURS,
        limit=1,
        escalation_chain=["assignee"],
    )
    return deadline_start(
        policy=policy, owner=user, org_unit=hq, assignee=user, started_at=started_at, label="测试"
    )


@pytest.fixture
def no_sweeper_left_running():
    yield
    embedded.stop_sweeper()


class _LostNudge:
    """The on-commit nudge to the sender, lost (as when the broker is down)."""

    def delay(self):
        return None


@pytest.mark.django_db(transaction=True)
def test_one_iteration_sweeps_a_due_deadline_and_sends_the_outbox(monkeypatch):
    monkeypatch.setattr("service_ops.notifications.tasks.send_pending_notifications", _LostNudge())
    with time_machine.travel(TUESDAY_10AM, tick=False):
        user, hq = _person()
        deadline = _overdue_deadline(user, hq, started_at=TUESDAY_10AM - timedelta(hours=3))
        # an e-mail row already in the outbox whose nudge was lost
        waiting = Notification.objects.create(
            recipient=user,
            channel=Channel.EMAIL,
            subject="待发送的提醒",
            send_after=TUESDAY_10AM - timedelta(minutes=5),
        )
        report = embedded.Sweeper(interval=30).step()

    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.BREACHED
    assert DeadlineAction.objects.filter(deadline=deadline).count() == 1
    assert report["sweep-deadlines"].fired == 1
    # the breach e-mail and the row that was waiting
    assert report["send-pending-notifications"] == 2
    in_app = Notification.objects.filter(recipient=user, channel=Channel.IN_APP)
    assert [n.subject for n in in_app] == ["已超期：测试"]
    waiting.refresh_from_db()
    assert waiting.sent_at is not None
    assert "待发送的提醒" in [m.subject for m in mail.outbox]
    assert not Notification.objects.filter(channel=Channel.EMAIL, sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_iteration_does_not_fire_the_same_level_again():
    with time_machine.travel(TUESDAY_10AM, tick=False):
        user, hq = _person()
        _overdue_deadline(user, hq, started_at=TUESDAY_10AM - timedelta(hours=3))
        sweeper = embedded.Sweeper(interval=30)
        sweeper.step()
        notes = Notification.objects.count()
        second = sweeper.step()
    assert second["sweep-deadlines"].fired == 0
    assert Notification.objects.count() == notes
    assert DeadlineAction.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_logged_and_the_other_jobs_still_run(monkeypatch, caplog):
    def broken(now):
        raise RuntimeError("database went away")

    monkeypatch.setattr("service_ops.deadlines.sweep.sweep_deadlines", broken)
    with time_machine.travel(TUESDAY_10AM, tick=False):
        user, _hq = _person()
        Notification.objects.create(
            recipient=user, channel=Channel.EMAIL, subject="照常发送", send_after=TUESDAY_10AM
        )
        with caplog.at_level(logging.ERROR, logger="service_ops.embedded"):
            report = embedded.Sweeper(interval=30).step()
    assert report["sweep-deadlines"] is None
    assert report["send-pending-notifications"] == 1
    assert "sweep-deadlines failed" in caplog.text


def test_digests_go_out_once_a_day_from_the_start_of_the_working_day(monkeypatch):
    calls = []
    monkeypatch.setattr("service_ops.deadlines.sweep.sweep_deadlines", lambda now: None)
    monkeypatch.setattr("service_ops.notifications.services.send_pending", lambda now: 0)
    monkeypatch.setattr(
        "service_ops.notifications.services.send_digests", lambda now: calls.append(now) or 0
    )
    monkeypatch.setattr("repairs.tasks.review_list_build_and_tell", lambda now: 0)
    sweeper = embedded.Sweeper(interval=30)
    day = datetime(2026, 9, 29, tzinfo=Z)  # the working day starts at 08:30 (settings)
    for hour, minute in [(7, 0), (8, 29), (8, 31), (12, 0), (17, 0)]:
        sweeper.step(now=day.replace(hour=hour, minute=minute))
    sweeper.step(now=day + timedelta(days=1, hours=9))
    assert [timezone_local(c) for c in calls] == ["2026-09-29 08:31", "2026-09-30 09:00"]


def timezone_local(moment):
    return moment.astimezone(Z).strftime("%Y-%m-%d %H:%M")


def test_the_sweeper_thread_runs_until_stopped(monkeypatch, no_sweeper_left_running):
    ran = threading.Event()
    monkeypatch.setattr(embedded.Sweeper, "step", lambda self, now=None: ran.set())
    sweeper = embedded.start_sweeper(interval=1)
    assert embedded.start_sweeper() is sweeper  # once per process
    assert ran.wait(10)
    assert any(t.name == embedded.THREAD_NAME for t in threading.enumerate())
    embedded.stop_sweeper()
    assert embedded.running_sweeper() is None
    assert not any(t.name == embedded.THREAD_NAME for t in threading.enumerate())


# --- only `manage.py run` starts it --------------------------------------------------------------


def test_app_ready_starts_no_sweeper():
    """ready() also runs in runserver's reloader parent, check, migrate, gunicorn and Celery."""
    project_apps = {"service_ops", "network", "repairs", "callcenter", "complaints", "spareparts"}
    for config in apps.get_app_configs():
        if config.name in project_apps:
            config.ready()
    assert embedded.running_sweeper() is None
    assert not any(t.name == embedded.THREAD_NAME for t in threading.enumerate())


def test_nothing_but_the_run_command_calls_start_sweeper():
    root = Path(settings.BASE_DIR)
    skip = {"node_modules", "tests", "var", "build"}
    tops = [p for p in root.iterdir() if p.is_dir()]
    callers = set()
    for top in tops:
        if top.name.startswith(".") or top.name in skip:
            continue
        for path in top.rglob("*.py"):
            if "start_sweeper(" in path.read_text(encoding="utf-8"):
                callers.add(path.relative_to(root).as_posix())
    assert callers == {"service_ops/embedded.py", "service_ops/management/commands/run.py"}


@pytest.fixture
def fake_server(monkeypatch, no_sweeper_left_running):
    """runserver's own inner_run (which would serve forever) and the sweeper start, recorded."""
    served, started = [], []
    monkeypatch.setattr(
        core_runserver.Command, "inner_run", lambda self, *a, **kw: served.append(kw)
    )
    monkeypatch.setattr(embedded, "start_sweeper", lambda: started.append(1) or embedded.Sweeper())
    return served, started


def test_run_starts_the_sweeper_in_the_serving_process(fake_server):
    served, started = fake_server
    call_command("run", "127.0.0.1:8765", use_reloader=False, skip_checks=True)
    assert len(served) == 1 and started == [1]


def test_runs_reloader_parent_starts_no_sweeper(fake_server, monkeypatch):
    served, started = fake_server
    watched = []
    monkeypatch.setattr(autoreload, "run_with_reloader", lambda main, **kw: watched.append(main))
    call_command("run", use_reloader=True, skip_checks=True)
    assert len(watched) == 1 and watched[0].__func__ is RunCommand.inner_run
    assert started == [] and served == []


def test_run_without_the_sweeper_when_beat_does_the_sweeping(fake_server):
    served, started = fake_server
    call_command("run", "--no-sweeper", use_reloader=False, skip_checks=True)
    assert len(served) == 1 and started == []


def test_run_listens_on_localhost_8000_by_default():
    assert (RunCommand.default_addr, RunCommand.default_port) == ("127.0.0.1", "8000")
