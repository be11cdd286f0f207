"""Background exports: asking for one, running it (a Celery task; in the embedded shape Celery
runs eagerly, in-process, once the request's transaction commits), the periodic clean-up, and
who may download the file."""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from network.visibility import sees_everything
from service_ops import plugins
from service_ops.i18n import deferred
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from .export import Workbook
from .models import ExportJob, ExportState
from .registry import may_open

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=2)  # a running export with no end by then: its worker died
RESEND_AFTER = timedelta(minutes=2)  # a queued export nobody took (the nudge was lost)


def export_request(*, user, report_key: str, params: dict) -> ExportJob:
    """Queue an export of `report_key` for `user` with the page's query parameters; it runs in
    the background once this transaction commits."""
    entry = plugins.report(report_key)
    if entry is None or not entry.export:
        raise LookupError(report_key)
    if not may_open(user, entry):
        raise PermissionDenied
    clean = {
        str(k): str(v)[:100] for k, v in list(params.items())[:20] if k != "csrfmiddlewaretoken"
    }
    job = ExportJob.objects.create(requester=user, report=report_key, params=clean)
    _send_on_commit(job.pk)
    return job


def _send_on_commit(pk: int) -> None:
    from .tasks import run_export_job

    transaction.on_commit(lambda: run_export_job.delay(pk), robust=True)


def export_run(job_id: int) -> ExportJob | None:
    """Run one queued export (the Celery task calls this). A job already taken is left alone."""
    try:
        job = run_transition(ExportJob, job_id, transition="start", channel=ActionChannel.SYSTEM)
    except ExportJob.DoesNotExist:
        return None
    except Exception:  # TransitionNotAllowed: another worker has it, or it ended
        logger.info("export %s: not queued any more", job_id)
        return None
    entry = plugins.report(job.report)
    # A mailed report has no requester: it is written with the scope of its first recipient
    # (they are all at headquarters).
    user = job.requester or job.shared_with.order_by("pk").first()

    def on_progress(percent: int) -> None:
        ExportJob.objects.filter(pk=job.pk, state=ExportState.RUNNING).update(progress=percent)

    out = Workbook(on_progress=on_progress)
    try:
        if entry is None or not entry.export:
            raise LookupError(f"no report {job.report!r} with an export")
        if user is None or not may_open(user, entry):
            raise PermissionDenied
        result = plugins._import(entry.export)(user=user, params=dict(job.params), out=out)
        if isinstance(result, bytes):  # an app's existing one-shot workbook
            handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
            handle.write(result)
            handle.seek(0)
        else:
            handle = out.save()
    except Exception as exc:
        logger.exception("export %s (%s) failed", job.pk, job.report)
        return run_transition(
            ExportJob,
            job.pk,
            transition="fail",
            channel=ActionChannel.SYSTEM,
            kwargs={"error": f"{type(exc).__name__}: {exc}"},
        )
    name = f"{job.report.replace('.', '-')}-{timezone.localtime(job.created_at):%Y%m%d-%H%M}.xlsx"
    with handle:
        job = run_transition(
            ExportJob,
            job.pk,
            transition="finish",
            channel=ActionChannel.SYSTEM,
            kwargs={"name": name, "content": File(handle, name=name), "rows": out.rows},
            on_commit=_tell_recipients,
        )
    return job


def _tell_recipients(job: ExportJob) -> None:
    """A mailed report (service_ops.reports.scheduled): its recipients get the download link."""
    if not job.mailing:
        return
    from django.urls import reverse

    from service_ops.notifications.services import notify

    entry = plugins.report(job.report)
    people = list(job.shared_with.values_list("pk", flat=True))
    if not people:
        return
    period = " – ".join(v for v in (job.params.get("start"), job.params.get("end")) if v)
    notify(
        recipients=people,
        subject=deferred(
            gettext_noop("定期报表：%(name)s %(period)s"),
            name=str(entry.name) if entry else job.report,
            period=period,
        ),
        body=deferred(
            gettext_noop("报表已生成，点击链接下载 Excel；文件保留 %(days)d 天。"),
            days=keep_days(),
        ),
        url=reverse("report_export", args=[job.pk]),
        category="report",
    )


def may_download(user, job: ExportJob) -> bool:
    """Only the requester, the recipients of a mailed report, and headquarters."""
    if not user or not user.is_authenticated:
        return False
    if job.requester_id == user.pk or sees_everything(user):
        return True
    return job.shared_with.filter(pk=user.pk).exists()


def keep_days() -> int:
    return int(settings.SERVICE_OPS["EXPORT_KEEP_DAYS"])


def exports_tidy(*, now: datetime | None = None) -> dict:
    """The periodic job: files older than EXPORT_KEEP_DAYS are deleted with their rows; queued
    exports nobody took are sent again; running ones whose worker died are marked failed."""
    now = now or timezone.now()
    old = ExportJob.objects.filter(
        state__in=[ExportState.DONE, ExportState.FAILED],
        finished_at__lt=now - timedelta(days=keep_days()),
    )
    removed = 0
    for job in old.only("pk", "file")[:500]:
        if job.file:
            job.file.delete(save=False)
        job.delete()
        removed += 1
    stale = list(
        ExportJob.objects.filter(
            state=ExportState.RUNNING, started_at__lt=now - STALE_AFTER
        ).values_list("pk", flat=True)[:100]
    )
    for pk in stale:
        try:
            run_transition(
                ExportJob,
                pk,
                transition="fail",
                channel=ActionChannel.SYSTEM,
                kwargs={"error": "stalled"},
            )
        except Exception:
            logger.exception("export %s: could not mark failed", pk)
    waiting = list(
        ExportJob.objects.filter(
            state=ExportState.QUEUED, created_at__lt=now - RESEND_AFTER
        ).values_list("pk", flat=True)[:20]
    )
    from .tasks import run_export_job

    for pk in waiting:
        run_export_job.delay(pk)
    return {"removed": removed, "stalled": len(stale), "resent": len(waiting)}
