"""The Celery app. Every periodic schedule of the project is declared here, in one place.

Production runs one `celery -A service_ops beat` and any number of `celery -A service_ops worker`
processes on REDIS_URL. The embedded shape (no REDIS_URL) runs tasks eagerly and `manage.py run`
sweeps in-process instead of beat (service_ops/embedded.py).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service_ops.settings")

app = Celery("service_ops")
app.config_from_object("django.conf:settings", namespace="CELERY")
# `<app>.tasks` of every installed app, plus the shared core's task modules, which live one level
# down (service_ops/deadlines/tasks.py, service_ops/notifications/tasks.py).
app.autodiscover_tasks()
app.autodiscover_tasks(["service_ops.deadlines", "service_ops.notifications"])

# One beat instance runs these. Deadlines are swept, never scheduled as long ETA tasks
# (Redis redelivers those after the visibility timeout). The on-commit nudge to the sender may be
# lost (broker down); send-pending-notifications picks up what the outbox still holds.
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
    # 每周三、六: the list of units not shipped within their limit, for the review meeting.
    "build-review-list": {
        "task": "repairs.tasks.build_review_list",
        "schedule": crontab(hour=8, minute=30, day_of_week="wed,sat"),
    },
}
