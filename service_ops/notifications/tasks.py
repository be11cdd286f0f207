from celery import shared_task

from . import services


@shared_task(name="service_ops.notifications.tasks.send_pending_notifications")
def send_pending_notifications() -> int:
    return services.send_pending()


@shared_task(name="service_ops.notifications.tasks.send_daily_digests")
def send_daily_digests() -> int:
    return services.send_digests()
