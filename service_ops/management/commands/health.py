"""`manage.py health [web|worker|beat]`: the docker-compose healthcheck of each process.

Exit 0 when healthy, 1 when not, with one JSON line saying why. Every process checks what it
needs to do its work (service_ops/health.py): the database with every migration applied and
Redis; web also the cache and the media directory. Then:
- worker: this host's Celery worker answers a ping through the broker
  (`celery@<hostname>`, as `celery inspect ping --destination` would);
- beat: its schedule file was rewritten within --max-age seconds (beat rewrites it as it ticks;
  a stale file is a stuck beat)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from service_ops import health

PROCESS_CHECKS = {
    "web": ("database", "migrations", "redis", "cache", "media"),
    "worker": ("database", "migrations", "redis", "media"),
    "beat": ("database", "migrations", "redis"),
}


class Command(BaseCommand):
    help = "Health of this process for a container healthcheck (exit 0 healthy, 1 not)."

    def add_arguments(self, parser):
        parser.add_argument("process", nargs="?", default="web", choices=sorted(PROCESS_CHECKS))
        parser.add_argument("--timeout", type=float, default=5.0, help="worker ping, seconds")
        parser.add_argument("--schedule", default="/tmp/celerybeat-schedule")  # noqa: S108
        parser.add_argument("--max-age", type=float, default=300.0, help="beat, seconds")
        parser.add_argument("--hostname", default=None, help="worker node name (celery@HOST)")

    def handle(self, *args, process, timeout, schedule, max_age, hostname, **options):
        checks = {name: health.CHECKS[name] for name in PROCESS_CHECKS[process]}
        if process == "worker":
            checks["worker_ping"] = lambda: _ping_worker(hostname, timeout)
        if process == "beat":
            checks["beat_schedule"] = lambda: _beat_fresh(schedule, max_age)
        ready, results = health.readiness(checks)
        self.stdout.write(json.dumps({"process": process, "ok": ready, "checks": results}))
        if not ready:
            raise SystemExit(1)


def _ping_worker(hostname: str | None, timeout: float) -> str:
    from service_ops.celery import app

    node = f"celery@{hostname or socket.gethostname()}"
    replies = app.control.ping(destination=[node], timeout=timeout)
    if not any(node in reply for reply in replies):
        raise RuntimeError(f"{node} did not answer within {timeout:g} s")
    return node


def _beat_fresh(schedule: str, max_age: float) -> str:
    files = [p for p in Path(schedule).parent.glob(Path(schedule).name + "*") if p.is_file()]
    if not files:
        raise RuntimeError(f"no schedule file {schedule}*")
    age = time.time() - max(p.stat().st_mtime for p in files)
    if age > max_age:
        raise RuntimeError(f"schedule file not rewritten for {age:.0f} s")
    return f"rewritten {age:.0f} s ago"
