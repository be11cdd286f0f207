"""The embedded shape's in-process sweeper: what Celery beat and a worker do in production.

A daemon thread that, every SERVICE_OPS["SWEEP_INTERVAL_SECONDS"], runs the apps' declared
periodic jobs (plugin.py; beat reads the same list): an `every` job each tick (or once its period
has passed, when that is longer than the tick), an `at` job once a day from its local time on its
weekdays. Each job runs on its own: a failure is logged and the next job and the next iteration
still run, and the thread closes its database connections around every job.

Only `manage.py run` starts it, from its serving process (runserver's `inner_run`). Never from
`AppConfig.ready()`: that also runs in runserver's reloader parent, `manage.py check`, `migrate`,
gunicorn and Celery, each of which would then sweep as well.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from service_ops.plugins import PeriodicJob, periodic_jobs

logger = logging.getLogger(__name__)

THREAD_NAME = "service-ops-sweeper"


class Sweeper:
    """One loop; `step()` is one iteration (tests call it directly)."""

    def __init__(self, interval: float | None = None, jobs: list[PeriodicJob] | None = None):
        if interval is None:
            interval = float(settings.SERVICE_OPS["SWEEP_INTERVAL_SECONDS"])
        self.interval = max(1.0, float(interval))
        self.jobs = list(jobs) if jobs is not None else periodic_jobs()
        self.last_run: dict[str, datetime] = {}
        self.ran_on: dict[str, date] = {}
        self.iterations = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one iteration ------------------------------------------------------------------------
    def step(self, now: datetime | None = None) -> dict[str, Any]:
        """Run every job that is due. Returns {job name: its result, or None when it failed
        (already logged)}; jobs not due are absent."""
        now = now or timezone.now()
        report: dict[str, Any] = {}
        for job in self.jobs:
            if not self._due(job, now):
                continue
            result = report[job.name] = self._guarded(job, now)
            if job.every is not None:
                self.last_run[job.name] = now
            elif result is not None:  # a failed daily job is tried again next tick
                self.ran_on[job.name] = timezone.localdate(now)
        self.iterations += 1
        return report

    def _due(self, job: PeriodicJob, now: datetime) -> bool:
        if job.every is not None:
            every = job.seconds()
            last = self.last_run.get(job.name)
            return last is None or every <= self.interval or (now - last).total_seconds() >= every
        local = timezone.localtime(now)
        if job.weekdays and local.weekday() not in job.weekdays:
            return False
        return self.ran_on.get(job.name) != local.date() and local.time() >= job.local_time()

    @staticmethod
    def _guarded(job: PeriodicJob, now: datetime) -> Any:
        close_old_connections()
        try:
            return import_string(job.run)(now=now)
        except Exception:
            logger.exception("embedded sweeper: %s failed; retrying next interval", job.name)
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
