"""Reports mailed on a schedule (plugin.py `Report.mailings`): each morning the periodic job
queues an export of every mailing due today (its weekday, or its day of the month) for the holders
of its roles at headquarters; when the file is ready they are told through the notification
outbox (in-app and e-mail) with its download link (services._tell_recipients).

A mailing is queued once per day: the ExportJob row of (mailing, day) is the record, so a second
run the same day (two sweepers, a retry) queues nothing new."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from network.models import OrgUnit
from network.selectors import role_holders_map
from service_ops import plugins
from service_ops.workcalendar import clock

from .models import ExportJob

logger = logging.getLogger(__name__)


def due_on(mailing: plugins.ReportMailing, day) -> bool:
    if mailing.monthday is not None:
        return day.day == mailing.monthday
    return day.weekday() in mailing.weekdays


def mail_due(*, now: datetime | None = None) -> int:
    """Queue today's mailings; returns how many exports were queued."""
    from .services import _send_on_commit

    now = now or timezone.now()
    today = clock.local_date(now)
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    if root is None:
        return 0
    queued = 0
    for _label, entries in plugins.reports_by_app():
        for entry in entries:
            if not entry.export:
                continue
            for mailing in entry.mailings:
                if not due_on(mailing, today):
                    continue
                key = f"{mailing.name}@{today:%Y-%m-%d}"
                if ExportJob.objects.filter(mailing=key).exists():
                    continue
                holders = role_holders_map([(role, root) for role in mailing.roles])
                people = {u.pk: u for users in holders.values() for u in users}
                if not people:
                    continue
                params = plugins._import(mailing.params)(today=today)
                try:
                    with transaction.atomic():
                        job = ExportJob.objects.create(
                            requester=None, report=entry.key, params=params, mailing=key
                        )
                        job.shared_with.set(list(people))
                        _send_on_commit(job.pk)
                except IntegrityError:  # another sweeper queued it a moment ago
                    continue
                queued += 1
                logger.info("mailed report %s queued for %d people", key, len(people))
    return queued
