"""Celery with a real broker and a real worker, not eager mode (DESIGN §3.1 "Outbox").

Eager Celery hides what matters here: that a task sent on commit reaches a worker only after the
commit, that the worker sees the committed rows, and that a broker outage loses nothing because
the notification rows were written in the same transaction as the change. The worker runs in a
thread of this process (celery.contrib.testing), consuming from Redis (settings.TEST_REDIS_URL) on
a queue of its own; the tests use committed transactions so the worker thread sees their rows.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import kombu.pools
import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.utils import timezone

from network.choices import OrgKind
from network.models import OrgUnit, StaffProfile
from service_ops.celery import app as celery_app
from service_ops.deadlines.models import (
    DeadlineAction,
    DeadlinePolicy,
    DeadlineStatus,
    LimitUnit,
)
from service_ops.deadlines.services import deadline_start
from service_ops.deadlines.tasks import sweep_deadlines as sweep_deadlines_task
from service_ops.notifications.models import Channel, Notification
from service_ops.notifications.services import notify, send_pending

WAIT_SECONDS = 20.0
SEND_PENDING = "service_ops.notifications.tasks.send_pending_notifications"
SWEEP = "service_ops.deadlines.tasks.sweep_deadlines"


def wait_for(predicate, *, what: str, timeout: float = WAIT_SECONDS):
    """Poll until `predicate()` is truthy, failing after `timeout` seconds."""
    give_up = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > give_up:
            pytest.fail(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


# --- configuring the app for a real broker, and back ---------------------------------------------

_AMQP_CACHES = ("queues", "default_queue", "router", "default_exchange", "send_task_message")


def _drop_broker_connections(app) -> None:
    """Forget pooled connections and cached routing, so the next send reads the current config."""
    kombu.pools.reset()
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    amqp = app.amqp
    amqp._producer_pool = None
    amqp._rtable = None
    for name in _AMQP_CACHES:
        amqp.__dict__.pop(name, None)


@contextmanager
def celery_config(**overrides):
    app = celery_app
    saved = {key: app.conf.get(key) for key in overrides}
    _drop_broker_connections(app)
    app.conf.update(overrides)
    try:
        yield app
    finally:
        _drop_broker_connections(app)
        app.conf.update(saved)


class WorkerProbe:
    """What the worker thread ran: (task name, task id, thread name), from task_postrun."""

    def __init__(self):
        self.ran: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def on_postrun(self, sender=None, task_id=None, **kwargs):
        with self._lock:
            self.ran.append((sender.name, task_id, threading.current_thread().name))

    def names(self) -> list[str]:
        with self._lock:
            return [name for name, _id, _thread in self.ran]

    def finished(self, task_id: str) -> bool:
        with self._lock:
            return any(tid == task_id for _name, tid, _thread in self.ran)

    def threads(self) -> set[str]:
        with self._lock:
            return {thread for _name, _id, thread in self.ran}


@pytest.fixture
def worker(transactional_db):
    """A real worker thread consuming from Redis on a queue of its own."""
    queue = f"service-ops-test-{uuid.uuid4().hex[:12]}"
    probe = WorkerProbe()
    signals.task_postrun.connect(probe.on_postrun, weak=False)
    try:
        with celery_config(
            broker_url=settings.TEST_REDIS_URL,
            task_always_eager=False,
            task_default_queue=queue,
            worker_hijack_root_logger=False,
        ) as app:
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
                yield probe
            with app.connection_for_write() as conn:
                client = conn.default_channel.client
                client.delete(queue, f"_kombu.binding.{queue}")
    finally:
        signals.task_postrun.disconnect(probe.on_postrun)


# --- data ---------------------------------------------------------------------------------------


def _person(username="li.na"):
    hq = OrgUnit.objects.create(code="HQ-W", name="客户服务部", kind=OrgKind.HEADQUARTERS)
    user = get_user_model().objects.create_user(username, email=f"{username}@example.com")
    StaffProfile.objects.create(user=user, org_unit=hq, email_notifications=True)
    return user, hq


def _overdue_deadline(user, hq):
    policy = DeadlinePolicy.objects.create(
        code="worker-test",
        name="测试时限",
        kind="test.worker",
        unit=LimitUnit.CALENDAR_HOURS,
        limit=1,
        escalation_chain=["assignee"],
    )
    return deadline_start(
        policy=policy,
        owner=user,
        org_unit=hq,
        assignee=user,
        started_at=timezone.now() - timedelta(hours=3),
        label="返修单 RMA-0001 审批",
    )


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.celery_worker
def test_a_due_deadline_swept_through_the_broker_fires_once_and_writes_its_notifications(worker):
    user, hq = _person()
    deadline = _overdue_deadline(user, hq)

    first = sweep_deadlines_task.delay()
    wait_for(lambda: worker.finished(first.id), what="the worker to run the sweep")
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.BREACHED
    assert DeadlineAction.objects.filter(deadline=deadline).count() == 1
    in_app = Notification.objects.filter(recipient=user, channel=Channel.IN_APP)
    assert [n.subject for n in in_app] == ["已超期：返修单 RMA-0001 审批"]
    rows = Notification.objects.count()

    second = sweep_deadlines_task.delay()
    wait_for(lambda: worker.finished(second.id), what="the worker to run the second sweep")
    assert DeadlineAction.objects.filter(deadline=deadline).count() == 1
    assert Notification.objects.count() == rows
    assert threading.current_thread().name not in worker.threads()


@pytest.mark.celery_worker
def test_a_notification_written_in_a_transaction_is_sent_by_the_worker_after_commit(worker):
    user, _hq = _person()
    with transaction.atomic():
        notify(recipients=[user], subject="返修单 RMA-0002 待您签字", urgent=True)
        row = Notification.objects.get(recipient=user, channel=Channel.EMAIL)
        assert row.sent_at is None  # the nudge to the sender waits for the commit

    wait_for(
        lambda: Notification.objects.filter(pk=row.pk, sent_at__isnull=False).exists(),
        what="the worker to send the committed notification",
    )
    assert [m.subject for m in mail.outbox] == ["返修单 RMA-0002 待您签字"]
    assert mail.outbox[0].to == [user.email]
    # task_postrun fires after the task's own commit, so the row can be seen a moment before it.
    wait_for(lambda: SEND_PENDING in worker.names(), what="the worker to report the send task")
    assert threading.current_thread().name not in worker.threads()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_loses_no_notification(caplog):
    """With Redis down, on_commit(task.delay) alone would lose the message after the data was
    saved. The row is the message: it stays unsent until a later sender run delivers it."""
    user, _hq = _person()
    with celery_config(
        broker_url=f"redis://127.0.0.1:{_closed_port()}/0",
        task_always_eager=False,
        broker_connection_timeout=2,
    ):
        started = time.monotonic()
        with caplog.at_level(logging.ERROR), transaction.atomic():
            notify(recipients=[user], subject="客诉 KS-0003 已升级", urgent=True)
        assert time.monotonic() - started < WAIT_SECONDS  # the failed nudge does not hang a request

    assert "on_commit" in caplog.text  # the nudge failed, was logged, and raised nothing
    row = Notification.objects.get(recipient=user, channel=Channel.EMAIL)
    assert row.sent_at is None and row.attempts == 0
    assert mail.outbox == []

    assert send_pending() == 1  # what beat's send-pending-notifications (or the sweeper) runs
    row.refresh_from_db()
    assert row.sent_at is not None
    assert [m.subject for m in mail.outbox] == ["客诉 KS-0003 已升级"]
