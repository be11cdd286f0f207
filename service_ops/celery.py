"""The Celery app. Its beat schedule is the apps' declared periodic jobs (plugin.py), the same
list the embedded sweeper runs (service_ops/embedded.py).

Production runs one `celery -A service_ops beat` and any number of `celery -A service_ops worker`
processes on REDIS_URL. The embedded shape (no REDIS_URL) runs tasks eagerly and `manage.py run`
sweeps in-process instead of beat.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service_ops.settings")

app = Celery("service_ops")
app.config_from_object("django.conf:settings", namespace="CELERY")
# `<app>.tasks` of every installed app, plus the shared core's task modules, which live one level
# down (service_ops/deadlines/tasks.py, service_ops/notifications/tasks.py, …/idempotency/tasks.py,
# …/webhooks/tasks.py).
app.autodiscover_tasks()
app.autodiscover_tasks(
    [
        "service_ops.deadlines",
        "service_ops.notifications",
        "service_ops.idempotency",
        "service_ops.webhooks",
        "service_ops.dashboards",
    ]
)


@signals.import_modules.connect
def _schedule_declared_jobs(sender=None, **kwargs):
    """Beat and workers import their modules after Django is set up (Celery's Django fix-up
    connects first): read the declared jobs then, when the app registry is ready."""
    load_beat_schedule(sender or app)


def load_beat_schedule(celery_app=app) -> dict:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from service_ops.plugins import beat_schedule

    celery_app.conf.beat_schedule = beat_schedule()
    return celery_app.conf.beat_schedule
