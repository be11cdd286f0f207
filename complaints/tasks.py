"""Thin Celery tasks of the complaints' periodic jobs (declared in plugin.py)."""

from celery import shared_task


@shared_task(name="complaints.tasks.detect_repair_patterns")
def detect_repair_patterns() -> int:
    from .services.feedback import feedback_detect_repair_patterns

    return feedback_detect_repair_patterns()
