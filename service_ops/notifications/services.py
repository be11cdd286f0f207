"""Writing notifications (the outbox) and delivering the e-mail and SMS rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from service_ops.workcalendar import clock

from .models import Channel, Notification
from .sms import get_sms_backend

MAX_ATTEMPTS = 8


@dataclass
class NotificationSpec:
    recipient_id: int
    subject: str
    body: str = ""
    url: str = ""
    category: str = "system"
    urgent: bool = False
    escalation: bool = False  # an escalation may go to the recipient's daily digest instead
    source_type_id: int | None = None
    source_id: int | None = None


def next_working_moment(now: datetime) -> datetime:
    """`now` if it falls inside working hours on a working day, else the next day's opening."""
    day = clock.local_date(now)
    if clock.is_working_day(day):
        start = clock.at_local(day, clock.workday_start())
        if now < start:
            return start
        if now < clock.cutoff(day):
            return now
    return clock.at_local(clock.nth_working_day_after(day, 1), clock.workday_start())


def next_digest_moment(now: datetime) -> datetime:
    day = clock.local_date(now)
    opening = clock.at_local(day, clock.workday_start())
    if clock.is_working_day(day) and now < opening:
        return opening
    return clock.at_local(clock.nth_working_day_after(day, 1), clock.workday_start())


def notify_many(specs: list[NotificationSpec], *, now: datetime | None = None) -> int:
    """Write in-app rows for every spec and e-mail/SMS rows per the recipient's preferences, in
    the caller's transaction; nudge the sender when it commits. Returns rows written."""
    if not specs:
        return 0
    now = now or timezone.now()
    users = (
        get_user_model().objects.select_related("profile").in_bulk({s.recipient_id for s in specs})
    )
    office_time = next_working_moment(now)
    digest_time = None
    rows = []
    for spec in specs:
        user = users.get(spec.recipient_id)
        if user is None or not user.is_active:
            continue
        common = {
            "recipient_id": user.pk,
            "category": spec.category,
            "subject": spec.subject[:200],
            "body": spec.body,
            "url": spec.url,
            "urgent": spec.urgent,
            "source_type_id": spec.source_type_id,
            "source_id": spec.source_id,
            "created_at": now,
        }
        rows.append(Notification(channel=Channel.IN_APP, sent_at=now, send_after=now, **common))
        profile = getattr(user, "profile", None)
        if profile is None:
            continue
        when = now if spec.urgent else office_time
        if profile.email_notifications and user.email:
            if spec.escalation and profile.escalation_digest:
                digest_time = digest_time or next_digest_moment(now)
                rows.append(
                    Notification(
                        channel=Channel.EMAIL, digest=True, send_after=digest_time, **common
                    )
                )
            else:
                rows.append(Notification(channel=Channel.EMAIL, send_after=when, **common))
        if (
            profile.sms_notifications
            and profile.phone
            and not (spec.escalation and profile.escalation_digest)
        ):
            rows.append(Notification(channel=Channel.SMS, send_after=when, **common))
    Notification.objects.bulk_create(rows)
    if any(r.channel != Channel.IN_APP and r.send_after <= now for r in rows):
        from .tasks import send_pending_notifications

        transaction.on_commit(send_pending_notifications.delay, robust=True)
    return len(rows)


def notify(
    *,
    recipients,
    subject: str,
    body: str = "",
    url: str = "",
    urgent=False,
    category="system",
    source=None,
) -> int:
    from django.contrib.contenttypes.models import ContentType

    source_type_id = ContentType.objects.get_for_model(source).pk if source is not None else None
    return notify_many(
        [
            NotificationSpec(
                recipient_id=getattr(r, "pk", r),
                subject=subject,
                body=body,
                url=url,
                urgent=urgent,
                category=category,
                source_type_id=source_type_id,
                source_id=getattr(source, "pk", None),
            )
            for r in recipients
        ]
    )


def _deliver(note: Notification) -> None:
    user = note.recipient
    text = f"{note.subject}\n\n{note.body}".strip()
    if note.url:
        text += f"\n\n{note.url}"
    if note.channel == Channel.EMAIL:
        send_mail(note.subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    elif note.channel == Channel.SMS:
        get_sms_backend().send(user.profile.phone, note.subject)


def send_pending(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Send unsent e-mail/SMS rows that are due. Rows are claimed with SKIP LOCKED, so two senders
    never send the same row; a failure is retried with back-off."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        batch = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                sent_at__isnull=True, digest=False, send_after__lte=now, attempts__lt=MAX_ATTEMPTS
            )
            .exclude(channel=Channel.IN_APP)
            .select_related("recipient__profile")
            .order_by("send_after")[:batch_size]
        )
        for note in batch:
            try:
                _deliver(note)
            except Exception as exc:
                note.attempts += 1
                note.last_error = str(exc)[:300]
                note.send_after = now + timedelta(minutes=2**note.attempts)
                note.save(update_fields=["attempts", "last_error", "send_after"])
                continue
            note.sent_at = now
            note.attempts += 1
            note.save(update_fields=["sent_at", "attempts"])
            sent += 1
    return sent


def send_digests(*, now: datetime | None = None) -> int:
    """One e-mail per recipient with all digest rows that are due."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(digest=True, sent_at__isnull=True, send_after__lte=now)
            .select_related("recipient")
            .order_by("recipient_id", "created_at")
        )
        by_user: dict[int, list[Notification]] = {}
        for row in rows:
            by_user.setdefault(row.recipient_id, []).append(row)
        for items in by_user.values():
            user = items[0].recipient
            lines = [
                f"- {timezone.localtime(n.created_at):%m-%d %H:%M} {n.subject} {n.url}"
                for n in items
            ]
            send_mail(
                f"每日升级汇总 ({len(items)})",
                "\n".join(lines),
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
            )
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(sent_at=now)
            sent += 1
    return sent


def mark_read(*, user, ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.filter(
        recipient=user, channel=Channel.IN_APP, read_at__isnull=True
    ).count()
