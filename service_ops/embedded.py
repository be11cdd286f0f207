"""The embedded shape's in-process sweeper: what Celery beat and a worker do in production.

A daemon thread that, every SERVICE_OPS["SWEEP_INTERVAL_SECONDS"], sweeps due deadlines, sends the
outbox's pending e-mail and SMS, and once a day (from the start of the working day) the digests.
Each job runs on its own: a failure is logged and the next job and the next iteration still run,
and the thread closes its database connections around every job.

Only `manage.py run` starts it, from its serving process (runserver's `inner_run`). Never from
`AppConfig.ready()`: that also runs in runserver's reloader parent, `manage.py check`, `migrate`,
gunicorn and Celery, each of which would then sweep as well.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

THREAD_NAME = "service-ops-sweeper"


def _sweep(now: datetime):
    from service_ops.deadlines.sweep import sweep_deadlines

    return sweep_deadlines(now=now)


def _send_pending(now: datetime):
    from service_ops.notifications.services import send_pending

    return send_pending(now=now)


def _send_digests(now: datetime):
    from service_ops.notifications.services import send_digests

    return send_digests(now=now)


def _review_list(now: datetime):
    """Wednesday and Saturday (beat's build-review-list); idempotent per day."""
    if timezone.localtime(now).weekday() not in (2, 5):
        return None
    from repairs.tasks import build_review_list

    return build_review_list()


class Sweeper:
    """One loop; `step()` is one iteration (tests call it directly)."""

    def __init__(self, interval: float | None = None):
        if interval is None:
            interval = float(settings.SERVICE_OPS["SWEEP_INTERVAL_SECONDS"])
        self.interval = max(1.0, float(interval))
        self.digests_sent_on: date | None = None
        self.iterations = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one iteration ------------------------------------------------------------------------
    def step(self, now: datetime | None = None) -> dict[str, Any]:
        """Sweep, send, and (once a day) send digests. Returns each job's result, or None for a job
        that failed (already logged)."""
        now = now or timezone.now()
        report: dict[str, Any] = {
            "sweep": self._guarded("sweep_deadlines", _sweep, now),
            "sent": self._guarded("send_pending", _send_pending, now),
        }
        if self._digests_due(now):
            report["digests"] = self._guarded("send_digests", _send_digests, now)
            report["review"] = self._guarded("build_review_list", _review_list, now)
            if report["digests"] is not None:
                self.digests_sent_on = timezone.localdate(now)
        self.iterations += 1
        return report

    def _digests_due(self, now: datetime) -> bool:
        """Daily, like beat's 08:30 crontab: the first iteration on a new day at or after the
        start of the working day (the digest rows themselves wait for that moment too)."""
        from service_ops.workcalendar import clock

        local = timezone.localtime(now)
        if self.digests_sent_on == local.date():
            return False
        return local.time() >= clock.workday_start()

    @staticmethod
    def _guarded(name: str, job: Callable[[datetime], Any], now: datetime) -> Any:
        close_old_connections()
        try:
            return job(now)
        except Exception:
            logger.exception("embedded sweeper: %s failed; retrying next interval", name)
            return None
        finally:
            close_old_connections()

    # --- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        logger.info("embedded sweeper started (every %g s)", self.interval)
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # never let the thread die: the next interval tries again
                logger.exception("embedded sweeper: iteration failed")
            self._stop.wait(self.interval)
        close_old_connections()
        logger.info("embedded sweeper stopped")

    def start(self) -> Sweeper:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


_lock = threading.Lock()
_sweeper: Sweeper | None = None


def start_sweeper(interval: float | None = None) -> Sweeper:
    """Start the process's sweeper (once; a second call returns the running one)."""
    global _sweeper
    with _lock:
        if _sweeper is None or not _sweeper.is_alive:
            _sweeper = Sweeper(interval).start()
        return _sweeper


def stop_sweeper(timeout: float = 10.0) -> None:
    global _sweeper
    with _lock:
        if _sweeper is not None:
            _sweeper.stop(timeout)
            _sweeper = None


def running_sweeper() -> Sweeper | None:
    with _lock:
        return _sweeper if _sweeper is not None and _sweeper.is_alive else None
