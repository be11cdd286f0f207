from celery import shared_task

from . import middleware


@shared_task(name="service_ops.idempotency.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    return middleware.purge_expired()
