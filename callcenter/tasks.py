"""Thin Celery tasks of the call centre: fetch, call the service."""

from celery import shared_task


@shared_task(name="callcenter.tasks.run_code_import")
def run_code_import(import_id: int) -> bool:
    from .services.codes import code_import_run

    return code_import_run(import_id=import_id)


@shared_task(name="callcenter.tasks.resume_code_imports")
def resume_code_imports() -> int:
    from .services.codes import code_import_resume

    return code_import_resume()
