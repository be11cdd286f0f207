"""Thin Celery tasks of the call centre's periodic jobs (declared in plugin.py)."""

from celery import shared_task

from .services import callbacks


@shared_task(name="callcenter.tasks.installation_callbacks")
def installation_callbacks() -> int:
    return callbacks.installation_callbacks_due()


@shared_task(name="callcenter.tasks.weekly_callback_report")
def weekly_callback_report() -> int:
    return callbacks.weekly_report_send()
