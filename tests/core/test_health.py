"""Liveness and readiness (issue 16 item 7): /healthz answers while the process is up; /readyz
answers 200 only when the database, the migrations, Redis (when configured), the cache and the
media directory are all fine, and 503 with the failing check otherwise; `manage.py health` is the
healthcheck of the worker and beat containers."""

import json
import os
import time

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from service_ops.celery import app as celery_app


def test_healthz_answers_without_a_session_and_touches_no_database(client):
    # no `db` fixture: a query would raise here
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_readyz_is_200_with_every_check_passing(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "redis", "cache", "media"}
    assert all(check["ok"] for check in body["checks"].values())
    assert list(tmp_path.joinpath("media").iterdir()) == []  # the probe file is gone


def test_readyz_is_503_while_a_migration_is_not_applied(client, db):
    """As after deploying code with a new migration before `migrate` ran: the newest migration
    of an app is not recorded as applied."""
    from django.db.migrations.loader import MigrationLoader

    ((app, name),) = MigrationLoader(connection).graph.leaf_nodes("auditlog")
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", [app, name])
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["migrations"]["ok"] is False
    assert f"auditlog.{name}" in body["checks"]["migrations"]["detail"]
    assert body["checks"]["database"]["ok"] is True


def test_readyz_is_503_when_redis_does_not_answer_and_does_not_show_its_password(
    client, db, settings
):
    settings.REDIS_URL = "redis://:s3cret-pass@127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"]["ok"] is False
    assert "s3cret-pass" not in response.content.decode()


@pytest.mark.skipif(not django_settings.REDIS_AVAILABLE, reason="needs Redis")
def test_readyz_pings_redis_when_it_is_configured(client, db, settings):
    settings.REDIS_URL = django_settings.TEST_REDIS_URL
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert "detail" not in response.json()["checks"]["redis"]


def test_readyz_is_503_when_the_media_directory_is_not_writable(client, db, settings, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["media"]["ok"] is False


# --- manage.py health: the worker and beat healthchecks -----------------------------------------


def run_health(*args, capsys):
    try:
        call_command("health", *args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_health_web_passes_when_ready(db, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    code, report = run_health("web", capsys=capsys)
    assert (code, report["ok"]) == (0, True)


def test_health_worker_asks_this_hosts_worker(db, monkeypatch, capsys):
    asked = []

    def ping(destination, timeout):
        asked.append(destination)
        return [{destination[0]: {"ok": "pong"}}]

    monkeypatch.setattr(celery_app.control, "ping", ping)
    code, report = run_health("worker", "--hostname=box1", capsys=capsys)
    assert (code, asked) == (0, [["celery@box1"]])
    assert report["checks"]["worker_ping"]["ok"] is True

    monkeypatch.setattr(celery_app.control, "ping", lambda destination, timeout: [])
    code, report = run_health("worker", "--hostname=box1", capsys=capsys)
    assert code == 1
    assert "did not answer" in report["checks"]["worker_ping"]["detail"]


def test_health_beat_fails_on_a_stale_schedule_file(db, tmp_path, capsys):
    schedule = tmp_path / "celerybeat-schedule"
    code, report = run_health("beat", f"--schedule={schedule}", capsys=capsys)
    assert code == 1  # no file yet: beat never ticked
    schedule.write_bytes(b"x")
    code, _report = run_health("beat", f"--schedule={schedule}", capsys=capsys)
    assert code == 0
    old = time.time() - 600
    os.utime(schedule, (old, old))
    code, report = run_health("beat", f"--schedule={schedule}", "--max-age=300", capsys=capsys)
    assert code == 1
    assert "not rewritten" in report["checks"]["beat_schedule"]["detail"]
