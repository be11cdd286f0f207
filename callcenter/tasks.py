from celery import shared_task

from .services.followups import follow_ups_resume_due


@shared_task(name="callcenter.tasks.resume_follow_ups")
def resume_follow_ups() -> int:
    return follow_ups_resume_due()
