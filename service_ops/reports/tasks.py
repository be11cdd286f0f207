from celery import shared_task


@shared_task(name="service_ops.reports.tasks.run_export_job")
def run_export_job(job_id: int) -> str:
    from .services import export_run

    job = export_run(job_id)
    return job.state if job is not None else "skipped"


@shared_task(name="service_ops.reports.tasks.tidy_exports")
def tidy_exports() -> dict:
    from .services import exports_tidy

    return exports_tidy()


@shared_task(name="service_ops.reports.tasks.mail_scheduled_reports")
def mail_scheduled_reports() -> int:
    from .scheduled import mail_due

    return mail_due()
