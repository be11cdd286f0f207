"""Thin Celery tasks of the network's periodic jobs (declared in plugin.py)."""

from celery import shared_task


@shared_task(name="network.tasks.warn_expiring_documents")
def warn_expiring_documents() -> int:
    from .life.services import documents_warn_expiring

    return documents_warn_expiring()


@shared_task(name="network.tasks.evaluate_last_quarter")
def evaluate_last_quarter() -> int:
    from .life.services import evaluations_compute_last_quarter

    return evaluations_compute_last_quarter()
