"""Thin Celery tasks of the call centre's periodic jobs (declared in plugin.py)."""

from celery import shared_task

from .services import callbacks


@shared_task(name="callcenter.tasks.installation_callbacks")
def installation_callbacks() -> int:
    return callbacks.installation_callbacks_due()


@shared_task(name="callcenter.tasks.weekly_callback_report")
def weekly_callback_report() -> int:
    return callbacks.weekly_report_send()


@shared_task(name="callcenter.tasks.run_code_import")
def run_code_import(import_id: int) -> bool:
    from .services.codes import code_import_run

    return code_import_run(import_id=import_id)


@shared_task(name="callcenter.tasks.resume_code_imports")
def resume_code_imports() -> int:
    from .services.codes import code_import_resume

    return code_import_resume()


@shared_task(name="callcenter.tasks.resume_follow_ups")
def resume_follow_ups() -> int:
    from .services.followups import follow_ups_resume_due

    return follow_ups_resume_due()
