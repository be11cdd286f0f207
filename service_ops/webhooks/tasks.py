from celery import shared_task

from . import services


@shared_task(name="service_ops.webhooks.tasks.send_webhooks")
def send_webhooks() -> int:
    return services.send_due()
