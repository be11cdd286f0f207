"""Settings for service_ops, read from environment variables.

With nothing set, the project runs in its embedded shape: SQLite in WAL mode, Celery tasks
executed in-process, the deadline sweeper started by `manage.py run`. Production sets DATABASE_URL,
REDIS_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS (see docker-compose.yml).
"""

import contextlib
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "django-insecure-embedded-only-do-not-use-in-production" if DEBUG else ""
)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "auditlog",  # django-auditlog: the audit of master data (service_ops/audit)
    "service_ops",
    "network",
    "repairs",
    "callcenter",
    "complaints",
    "spareparts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "service_ops.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "service_ops.memo.RequestMemoMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "service_ops.audit.context.AuditActorMiddleware",
    "service_ops.idempotency.middleware.IdempotencyKeyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "service_ops.urls"
WSGI_APPLICATION = "service_ops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "service_ops.context_processors.shell",
            ],
            # {% url %} through service_ops.reversing (an id or no argument: parts reversed once)
            "builtins": ["service_ops.templatetags.fast_url", "service_ops.templatetags.people"],
        },
    },
]

# Django's form renderer, with <select> written in Python (the filter forms' long selects).
FORM_RENDERER = "service_ops.form_renderer.FormRenderer"

# --- database -------------------------------------------------------------------------------
# Embedded: SQLite with WAL, a 20 s busy timeout and IMMEDIATE transactions (without them 6 of 20
# concurrent writes failed with "database is locked").
# No ATOMIC_REQUESTS: the services own their transactions.
VAR_DIR = BASE_DIR / "var"  # local state of a checkout: the SQLite file, collected static files
# A read-only image may refuse: production points DATABASE_URL and STATIC_ROOT elsewhere.
with contextlib.suppress(OSError):
    VAR_DIR.mkdir(exist_ok=True)
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(VAR_DIR / "service_ops.sqlite3"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Persistent connections (60 s), each checked before its first use in a request or task: after
    # a PostgreSQL restart a worker reconnects instead of answering 500 on its dead connection
    # (manage.py fault_drill restarts the server under load).
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The embedded shape (SQLite) builds covering indexes without their INCLUDE columns: the index
# still works, only PostgreSQL can answer from it alone. Nothing to act on, so no warning.
SILENCED_SYSTEM_CHECKS = (
    ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []
)

# --- auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# ModelBackend whose session user comes with its profile and org unit in one query
AUTHENTICATION_BACKENDS = ["network.backends.StaffModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my_work"
LOGOUT_REDIRECT_URL = "login"

# --- i18n: Chinese first, English second; Asia/Shanghai ----------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files: installed by npm into node_modules, never a CDN -----------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
with contextlib.suppress(OSError):  # WhiteNoise warns on every start when it is missing
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]  # service_ops/static/ and every app's static/ are found by the app-directories finder
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# --- e-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Seconds; a stuck mail server must not hang the sender.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "service-ops@localhost")
# Where EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend writes (the fault drill).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# SMS goes through one interface; the console backend prints, a gateway backend plugs in here.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "service_ops.notifications.sms.ConsoleSmsBackend")
# The inbound SMS gateway signs each push with this shared secret (HMAC-SHA256 of the body); empty:
# every push is refused. The activation-code query fee (激活码查询费) charged to service points.
SMS_GATEWAY_SECRET = os.environ.get("SMS_GATEWAY_SECRET", "")
ACTIVATION_QUERY_FEE = os.environ.get("ACTIVATION_QUERY_FEE", "30.00")

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # embedded shape: tasks run in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True  # tasks report through the database, never through results
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep the LOGGING below
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule")
)

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- the business clock -----------------------------------------------------------------------
SERVICE_OPS = {
    # Working day cut-off: "N working days" ends at this local time on the Nth working day.
    "WORKDAY_START": os.environ.get("WORKDAY_START", "08:30"),
    "WORKDAY_END": os.environ.get("WORKDAY_END", "18:00"),
    # Years up to this one are seeded from the library as official; later ones are provisional
    # until an admin pastes the published 调休 schedule.
    "CALENDAR_OFFICIAL_THROUGH": int(os.environ.get("CALENDAR_OFFICIAL_THROUGH", "2026")),
    # How often a process re-reads the calendar version (seconds).
    "CALENDAR_VERSION_TTL": float(os.environ.get("CALENDAR_VERSION_TTL", "2")),
    "SWEEP_BATCH_SIZE": int(os.environ.get("SWEEP_BATCH_SIZE", "1000")),
    "SWEEP_INTERVAL_SECONDS": int(os.environ.get("SWEEP_INTERVAL_SECONDS", "30")),
    # The SLA dashboard's summary tables are refreshed this often (service_ops.dashboards).
    "DASHBOARD_REFRESH_SECONDS": int(os.environ.get("DASHBOARD_REFRESH_SECONDS", "60")),
    # Background report exports (service_ops/reports): files are kept this many days.
    "EXPORT_KEEP_DAYS": int(os.environ.get("EXPORT_KEEP_DAYS", "7")),
    # Webhooks (service_ops/webhooks): whether endpoints may be http:// or on private and
    # loopback addresses (development and the embedded shape only: in production a partner must
    # not make this server call into the intranet), and the timeout of one POST.
    "WEBHOOK_ALLOW_PRIVATE": env_bool("WEBHOOK_ALLOW_PRIVATE", DEBUG),
    "WEBHOOK_TIMEOUT_SECONDS": float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5")),
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "network.api.authentication.PartnerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "service_ops.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "service_ops.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "service_ops.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "service_ops.api.robust.FailOpenAnonThrottle",
        "service_ops.api.robust.FailOpenUserThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "service_ops.api.robust.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "30/min"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "service_ops.idempotency.middleware.schema_header",
        "service_ops.api.schema.document_common_errors",
    ],
    "TITLE": "service_ops API",
    "DESCRIPTION": "After-sales service operations: partner and browser API (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set, whatever field it appears under (several models have a
    # `kind`), so partners' generated clients get stable enum names.
    "ENUM_NAME_OVERRIDES": {
        "OrgKindEnum": "network.choices.OrgKind",
        "BranchKindEnum": "network.choices.BranchKind",
        "RoleEnum": "network.choices.Role",
        "LedgerEntryKindEnum": "network.choices.LedgerEntryKind",
        "RepairOrderStateEnum": "repairs.choices.OrderState",
        "QuoteStateEnum": "repairs.choices.QuoteState",
        "DeadlineStatusEnum": "service_ops.deadlines.models.DeadlineStatus",
        # field service (issue 20)
        "VisitStateEnum": "repairs.choices.VisitState",
        "ServiceRequestStateEnum": "repairs.choices.ServiceRequestState",
        "ServiceCategoryEnum": "repairs.choices.ServiceCategory",
        "PhotoKindEnum": "repairs.choices.PhotoKind",
        "CallbackVerdictEnum": "repairs.choices.CallbackVerdict",
        "CategoryEnum": "complaints.choices.Category",  # its name before field service came
    },
}

# --- production hardening (manage.py check --deploy is clean with DEBUG=0) ---------------------
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto. SECURE_SSL_REDIRECT=0 only where the
# proxy itself redirects http to https.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # the healthchecks ask over plain http from inside the container
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default config gives "django" a console handler of its own in DEBUG; with the
        # root handler that printed every message twice. One handler (the root's), and runserver's
        # request lines keep their own format.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
