"""The Celery app. Every periodic schedule of the project is declared here, in one place."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service_ops.settings")

app = Celery("service_ops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One beat instance runs these. Deadlines are swept, never scheduled as long ETA tasks
# (Redis redelivers those after the visibility timeout).
app.conf.beat_schedule = {
    "sweep-deadlines": {
        "task": "service_ops.deadlines.tasks.sweep_deadlines",
        "schedule": float(os.environ.get("SWEEP_INTERVAL_SECONDS", "30")),
    },
    "send-pending-notifications": {
        "task": "service_ops.notifications.tasks.send_pending_notifications",
        "schedule": 60.0,
    },
    "send-daily-digests": {
        "task": "service_ops.notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=8, minute=30),
    },
}
