from celery import shared_task

from .sweep import sweep_deadlines as run_sweep


@shared_task(name="service_ops.deadlines.tasks.sweep_deadlines")
def sweep_deadlines() -> dict:
    result = run_sweep()
    return {"claimed": result.claimed, "fired": result.fired, "batches": result.batches}
