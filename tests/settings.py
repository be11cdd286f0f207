"""Test settings: the project's settings with the test database chosen by what the machine has.

PostgreSQL (TEST_DATABASE_URL, else DATABASE_URL, else the local server at 127.0.0.1:5432) when it
answers; otherwise SQLite, and tests marked `postgres` skip with a reason. Likewise Redis for the
tests marked `celery_worker`, and Chromium (with playwright and axe-core) for those marked
`browser`. Under CI=true an unreachable service or a missing browser is an error, never a skip.
"""

import os

from service_ops.settings import *  # noqa: F403
from service_ops.settings import BASE_DIR, SERVICE_OPS


def _pg_reachable(url: str) -> bool:
    try:
        import psycopg2

        cfg = dj_database_url.parse(url)  # noqa: F405
        conn = psycopg2.connect(
            dbname="postgres",
            user=cfg["USER"] or "postgres",
            password=cfg["PASSWORD"] or None,
            host=cfg["HOST"] or "127.0.0.1",
            port=cfg["PORT"] or 5432,
            connect_timeout=3,
        )
        conn.close()
        return True
    except Exception:
        return False


def _redis_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = (
    os.environ.get("TEST_DATABASE_URL")
    or os.environ.get("DATABASE_URL")
    or "postgres://postgres@127.0.0.1:5432/service_ops"
)
WANT_SQLITE = os.environ.get("TEST_DB", "").lower() == "sqlite"
TESTS_ON_POSTGRES = not WANT_SQLITE and _pg_reachable(PG_URL)
if not TESTS_ON_POSTGRES and IN_CI and not WANT_SQLITE:
    raise RuntimeError(f"CI: PostgreSQL is not reachable at {PG_URL}")

if TESTS_ON_POSTGRES:
    DATABASES = {"default": dj_database_url.parse(PG_URL, conn_max_age=0)}  # noqa: F405
    # One test database per run, so parallel runs on one machine never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_service_ops_{os.getpid()}"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "var" / "test.sqlite3"),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            "TEST": {"NAME": str(BASE_DIR / "var" / "test.sqlite3")},
        }
    }

TEST_REDIS_URL = (
    os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or ("redis://127.0.0.1:6379/15")
)
# Under pytest-xdist each worker process takes a Redis database of its own (the base one counting
# down), so no worker sees another's cache keys or queues.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER.startswith("gw"):
    _base, _, _db = TEST_REDIS_URL.rpartition("/")
    if _db.isdigit():
        TEST_REDIS_URL = f"{_base}/{(int(_db) - int(_XDIST_WORKER[2:])) % 16}"
REDIS_AVAILABLE = _redis_reachable(TEST_REDIS_URL)
if not REDIS_AVAILABLE and IN_CI:
    raise RuntimeError(f"CI: Redis is not reachable at {TEST_REDIS_URL}")

# The browser journeys (tests/browser) need Debian's chromium, the playwright package and
# node_modules/axe-core; without them they skip with the reason, under CI=true that is an error.
from tests.browser.support import missing_reason as _browser_missing_reason  # noqa: E402

BROWSER_MISSING = _browser_missing_reason()
if BROWSER_MISSING and IN_CI:
    raise RuntimeError(f"CI: the browser journeys cannot run: {BROWSER_MISSING}")

# Ordinary tests run tasks eagerly; tests marked `celery_worker` switch to the real broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "service_ops.notifications.sms.LocmemSmsBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SILENCED_SYSTEM_CHECKS = ["staticfiles.W004"]
# Webhook tests post to a local HTTP server on 127.0.0.1 (production allows public https only).
SERVICE_OPS = {**SERVICE_OPS, "CALENDAR_VERSION_TTL": 0.0, "WEBHOOK_ALLOW_PRIVATE": True}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}  # noqa: F405
