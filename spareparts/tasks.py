"""Thin Celery task of the parts' periodic job (declared in plugin.py)."""

from celery import shared_task


@shared_task(name="spareparts.tasks.check_reorder_points")
def check_reorder_points() -> int:
    from .services.planning import planning_check_reorder

    return planning_check_reorder()


@shared_task(name="spareparts.tasks.rollup_consumption")
def rollup_consumption() -> int:
    from .services.planning import planning_rollup_consumption

    return planning_rollup_consumption()
