"""Liveness and readiness of the processes in docker-compose.yml.

- `/healthz` (liveness): the process answers; touches nothing else, so a database outage does not
  make the orchestrator restart every web process.
- `/readyz` (readiness): the database answers, every migration is applied, Redis answers when it
  is configured (broker and cache), the cache stores and reads back, and the media directory is
  writable. JSON with one entry per check; 503 when one fails.
- `readiness()` is also what `manage.py health` runs for the worker and beat healthchecks.

Both are open to anyone (a load balancer or Docker asks without a session) and say nothing about
records: the error text names the failing check, not a secret (no URL with its password)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations() -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        raise RuntimeError(f"{len(plan)} unapplied migration(s): {names}")


def check_redis() -> str | None:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return "not configured (embedded shape)"
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        if not client.ping():
            raise RuntimeError("no PONG")
    finally:
        client.close()
    return None


def check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    try:
        if cache.get(key) != "1":
            raise RuntimeError("the cache did not keep a value")
    finally:
        cache.delete(key)


def check_media() -> None:
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    probe = root / f".readyz-{uuid.uuid4().hex}"
    probe.write_bytes(b"ok")
    probe.unlink()


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "redis": check_redis,
    "cache": check_cache,
    "media": check_media,
}


def readiness(checks: dict[str, Callable] | None = None) -> tuple[bool, dict[str, dict]]:
    """Run every check; (all passed, {name: {"ok", "ms", "detail"?}})."""
    results: dict[str, dict] = {}
    for name, check in (checks or CHECKS).items():
        started = time.perf_counter()
        try:
            note = check()
            entry = {"ok": True}
            if note:
                entry["detail"] = note
        except Exception as exc:  # any failure means "not ready", never a 500
            entry = {"ok": False, "detail": f"{type(exc).__name__}: {_safe(exc)}"}
        entry["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = entry
    return all(entry["ok"] for entry in results.values()), results


def _safe(exc: Exception) -> str:
    """The message without a connection URL's password."""
    text = str(exc)[:300]
    for secret_url in (getattr(settings, "REDIS_URL", ""),):
        if secret_url:
            text = text.replace(secret_url, "<redis>")
    return text


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    ready, checks = readiness()
    response = JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
    if not ready:
        # a warning naming the failing checks, not django.request's ERROR with a traceback-less
        # "Service Unavailable" every time the healthcheck asks
        failing = {name: c.get("detail", "") for name, c in checks.items() if not c["ok"]}
        logger.warning("not ready: %s", failing)
        response._has_been_logged = True
    return response
