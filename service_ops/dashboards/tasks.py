from celery import shared_task

from .refresh import refresh_sla_summary, refresh_sla_summary_full


@shared_task(name="service_ops.dashboards.tasks.refresh_sla_dashboard")
def refresh_sla_dashboard() -> dict:
    state = refresh_sla_summary()
    return {"open_rows": state.open_rows, "daily_rows": state.daily_rows, "ms": state.duration_ms}


@shared_task(name="service_ops.dashboards.tasks.rebuild_sla_dashboard")
def rebuild_sla_dashboard() -> dict:
    state = refresh_sla_summary_full()
    return {"open_rows": state.open_rows, "daily_rows": state.daily_rows, "ms": state.duration_ms}
