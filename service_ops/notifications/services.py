"""Writing notifications (the outbox) and delivering the e-mail and SMS rows."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMessage, send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.functional import Promise

from service_ops.i18n import Deferred, of_lazy
from service_ops.rawsql import fetch_rows
from service_ops.workcalendar import clock

from .models import Channel, Notification, OutboundSms
from .sms import get_sms_backend

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
NOTIFICATION_HEADER = "X-Service-Ops-Notification"
IN_APP, EMAIL, SMS = Channel.IN_APP.value, Channel.EMAIL.value, Channel.SMS.value


@dataclass
class NotificationSpec:
    recipient_id: int
    # Plain text (typed by a person) or a Deferred (written by the system: stored as msgid and
    # parameters beside its zh-hans rendering, shown in the reader's language).
    subject: str | Deferred
    body: str | Deferred = ""
    url: str = ""
    category: str = "system"
    urgent: bool = False
    escalation: bool = False  # an escalation may go to the recipient's daily digest instead
    source_type_id: int | None = None
    source_id: int | None = None
    # 待办: asks the recipient to act on the source (the task) while it is in `task_state`; done
    # when the task moves on (tasks_done). Otherwise 知会, for information.
    needs_action: bool = False
    task_state: str = ""


def next_working_moment(now: datetime) -> datetime:
    """`now` if it falls inside working hours (08:30–18:00 by default) on a working day, else the
    next opening of a working day."""
    day = clock.local_date(now)
    if clock.is_working_day(day):
        if now < clock.opening(day):
            return clock.opening(day)
        if now < clock.cutoff(day):
            return now
    return clock.opening(clock.nth_working_day_after(day, 1))


def next_digest_moment(now: datetime) -> datetime:
    """The next daily digest: the opening of today (if still ahead and a working day) or of the
    next working day."""
    day = clock.local_date(now)
    if clock.is_working_day(day) and now < clock.opening(day):
        return clock.opening(day)
    return clock.opening(clock.nth_working_day_after(day, 1))


@dataclass(frozen=True, slots=True)
class Reach:
    """How an active recipient is reached besides in-app: e-mail, SMS, and whether escalations
    go to the daily digest. `profiled` is False for a user without a staff profile (in-app only)."""

    profiled: bool
    email: bool
    sms: bool
    digest: bool


def reach_of(user_ids) -> dict[int, Reach]:
    """{user id: Reach} of the active users among `user_ids`, in one query."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .values_list(
            "pk",
            "email",
            "profile__pk",
            "profile__email_notifications",
            "profile__sms_notifications",
            "profile__phone",
            "profile__escalation_digest",
        )
    )
    return {
        pk: Reach(
            profiled=profile is not None,
            email=bool(profile is not None and by_email and email),
            sms=bool(profile is not None and by_sms and phone),
            digest=bool(profile is not None and digest),
        )
        for pk, email, profile, by_email, by_sms, phone, digest in rows
    }


def notify_many(
    specs: list[NotificationSpec],
    *,
    now: datetime | None = None,
    reach: dict[int, Reach] | None = None,
) -> int:
    """Write in-app rows for every spec and e-mail/SMS rows per the recipient's preferences, in
    the caller's transaction (the outbox); nudge the sender when it commits. E-mail and SMS wait
    for working hours unless urgent; an escalation to someone who takes the daily digest becomes
    a digest row (no SMS). Returns rows written. `reach` (reach_of of every recipient, e.g. kept
    by the sweep across its batches) saves the query; a recipient missing from it is inactive."""
    if not specs:
        return 0
    now = now or timezone.now()
    if reach is None:
        reach = reach_of({s.recipient_id for s in specs})
    with clock.pinned():
        office_time = next_working_moment(now)
        digest_time = next_digest_moment(now)
    # Every timestamp of a call is one of three moments: rows carry an index into `moments`.
    moments = (now, office_time, digest_time)
    when = NOW if office_time <= now else OFFICE
    rows: list[tuple] = []
    append = rows.append
    sendable_now = False
    # Deferred texts are rendered in zh-hans once per distinct (subject, body) pair: the sweep
    # shares one pair among a fired action's recipients.
    texts: dict[tuple[int, int], tuple[str, str, str]] = {}
    for spec in specs:
        how = reach.get(spec.recipient_id)
        if how is None:  # inactive or unknown
            continue
        subject, body = spec.subject, spec.body
        if type(subject) is str and type(body) is str:
            stored = None
        else:
            key = (id(subject), id(body))
            pair = texts.get(key)
            if pair is None:
                pair = texts[key] = _stored_texts(subject, body)
            subject, body, stored = pair
        common = (
            spec.recipient_id,
            spec.category,
            subject[:200],
            body,
            spec.url[:300],
            spec.urgent,
            spec.source_type_id,
            spec.source_id,
            spec.needs_action,
            spec.task_state[:32],
            stored,
        )
        append((*common, IN_APP, False, NOW))
        if not how.profiled:
            continue
        to_digest = spec.escalation and how.digest and not spec.urgent
        if how.email:
            if to_digest:
                append((*common, EMAIL, True, DIGEST))
            else:
                append((*common, EMAIL, False, NOW if spec.urgent else when))
                sendable_now = sendable_now or spec.urgent or when == NOW
        if how.sms and not to_digest:
            append((*common, SMS, False, NOW if spec.urgent else when))
            sendable_now = sendable_now or spec.urgent or when == NOW
    _insert_rows(rows, moments)
    if sendable_now:
        from .tasks import send_pending_notifications

        transaction.on_commit(send_pending_notifications.delay, robust=True)
    return len(rows)


NOW, OFFICE, DIGEST = 0, 1, 2  # index into the moments of a notify_many call
# Per row: recipient_id, category, subject, body, url, urgent, source_type_id, source_id,
# needs_action, task_state, texts (JSON text or None), channel, digest, and which moment is its
# send_after; created_at is the call's `now`, and an in-app row is sent (delivered) then.
_COLUMNS = (
    "recipient_id",
    "category",
    "subject",
    "body",
    "url",
    "urgent",
    "source_type_id",
    "source_id",
    "needs_action",
    "task_state",
    "texts",
    "channel",
    "digest",
)
_PG_TYPES = (
    "integer",
    "varchar",
    "varchar",
    "text",
    "varchar",
    "boolean",
    "integer",
    "bigint",
    "boolean",
    "varchar",
    "jsonb",
    "varchar",
    "boolean",
    "smallint",
)
_CHANNEL = _COLUMNS.index("channel")
_PG_CHUNK = 5000
_CHUNK = 500


def _stored_texts(subject, body) -> tuple[str, str, str | None]:
    """(zh-hans subject, zh-hans body, JSON of the deferred ones) of one notification."""
    if isinstance(subject, Promise):
        subject = of_lazy(subject)
    if isinstance(body, Promise):
        body = of_lazy(body)
    data = {}
    if isinstance(subject, Deferred):
        data["s"] = subject.to_dict()
    if isinstance(body, Deferred):
        data["b"] = body.to_dict()
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = str(subject or ""), str(body or "")
    if not data:
        return subject, body, None
    return subject, body, json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _insert_rows(rows: list[tuple], moments: tuple) -> None:
    """Write the rows with a few statements: the sweep writes thousands of notifications a batch,
    and bulk_create spends ~0.5 ms a row building and preparing model instances. PostgreSQL gets
    one INSERT ... SELECT FROM unnest(<one array per column>) per 5,000 rows, with the three
    timestamps passed once (adapting a datetime per row cost more than inserting it); other
    databases a multi-row VALUES per 500 rows."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(Notification._meta.db_table)
    names = (*_COLUMNS, "send_after", "created_at", "sent_at", "attempts", "last_error")
    columns = ", ".join(ops.quote_name(c) for c in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            aliases = [f"c{i}" for i in range(len(_PG_TYPES))]
            arrays = ", ".join(f"%s::{kind}[]" for kind in _PG_TYPES)
            channel, moment = aliases[_COLUMNS.index("channel")], aliases[-1]
            sql = (
                f"INSERT INTO {table} ({columns}) "  # noqa: S608
                f"SELECT {', '.join(aliases[:-1])}, (%s::timestamptz[])[{moment} + 1], "
                f"%s::timestamptz, CASE WHEN {channel} = '{IN_APP}' THEN %s::timestamptz END, "
                f"0, '' FROM unnest({arrays}) AS x({', '.join(aliases)})"
            )
            for first in range(0, len(rows), _PG_CHUNK):
                chunk = rows[first : first + _PG_CHUNK]
                columns_of_chunk = [list(column) for column in zip(*chunk, strict=True)]
                cursor.execute(sql, [list(moments), moments[NOW], moments[NOW], *columns_of_chunk])
            return
        adapted = [ops.adapt_datetimefield_value(m) for m in moments]
        placeholder = "(" + ", ".join(["%s"] * (len(_COLUMNS) + 3)) + ", 0, '')"
        for first in range(0, len(rows), _CHUNK):
            chunk = rows[first : first + _CHUNK]
            params: list = []
            for row in chunk:
                sent_at = adapted[NOW] if row[_CHANNEL] == IN_APP else None
                params += [*row[:-1], adapted[row[-1]], adapted[NOW], sent_at]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(chunk)),
                params,
            )


def notify(
    *,
    recipients,
    subject: str | Deferred,
    body: str | Deferred = "",
    url: str = "",
    urgent=False,
    category="system",
    source=None,
    action: bool = False,
) -> int:
    """Tell people something. With `action=True` the notification asks them to act on `source`
    (待办): it is done, and leaves the unread count, once `source` moves on from the state it is
    in now (any transition through run_transition) or its service calls tasks_done."""
    from django.contrib.contenttypes.models import ContentType

    source_type_id = ContentType.objects.get_for_model(source).pk if source is not None else None
    task_state = _state_of(source) if action and source is not None else ""
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
                needs_action=action and source is not None,
                task_state=task_state,
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
        if not user.email:
            raise ValueError("recipient has no e-mail address")
        EmailMessage(
            note.subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
            # Which outbox row this is: a resend after a crash between the mail server's answer
            # and the commit carries the same id, so a receiver (or the fault drill) can tell.
            headers={NOTIFICATION_HEADER: str(note.pk)},
        ).send()
    elif note.channel == Channel.SMS:
        profile = getattr(user, "profile", None)
        if profile is None or not profile.phone:
            raise ValueError("recipient has no mobile number")
        get_sms_backend().send(profile.phone, note.subject)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt: 2, 4, 8 … minutes, at most 4 hours."""
    return timedelta(minutes=min(2**attempts, 240))


# A row delivered but not yet marked sent (the database went away before the commit) is
# remembered in the cache (Redis in production) for a week: the next sender marks it sent instead
# of delivering it again.
DELIVERED_KEY = "notification-delivered:{}"
DELIVERED_FOR = 7 * 24 * 3600


def _delivered_before(pk: int) -> bool:
    try:
        return bool(cache.get(DELIVERED_KEY.format(pk)))
    except Exception:  # the cache down: deliver (a rare second copy beats a lost message)
        logger.warning("cache unavailable: cannot tell whether notification %s went out", pk)
        return False


def _remember_delivered(pk: int) -> None:
    try:
        cache.set(DELIVERED_KEY.format(pk), 1, timeout=DELIVERED_FOR)
    except Exception:
        logger.warning("cache unavailable: notification %s delivered, not remembered", pk)


def send_pending(
    *, now: datetime | None = None, batch_size: int = 200, max_batches: int = 50
) -> int:
    """Send unsent e-mail/SMS rows that are due, at most batch_size × max_batches a run. Each row
    is claimed with SKIP LOCKED (two senders never send the same row), delivered and marked sent
    in a transaction of its own, so a sender that dies mid-run sends again at most the message it
    had in flight, not its batch. A delivered row is remembered in the cache before the commit: if
    the database goes away before "sent" is recorded (a restart: the fault drill), whichever
    sender claims the row next marks it sent without delivering it again. What is left is a
    sender killed between the mail server's answer and that cache write, and the cache down as
    well: then the row goes out twice, with the same X-Service-Ops-Notification id. A failure is
    retried with back-off until MAX_ATTEMPTS. The queued SMS to phone numbers (queue_sms) go
    out after them. Returns rows sent."""
    now = now or timezone.now()
    sent = 0
    due = (
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(sent_at__isnull=True, digest=False, send_after__lte=now, attempts__lt=MAX_ATTEMPTS)
        .exclude(channel=Channel.IN_APP)
        .select_related("recipient__profile")
        .order_by("send_after", "id")
    )
    for _row in range(batch_size * max_batches):
        with transaction.atomic():
            note = due.first()
            if note is None:
                break
            note.attempts += 1
            if _delivered_before(note.pk):
                logger.info(
                    "notification %s went out before its commit was lost: marked sent", note.pk
                )
            else:
                try:
                    _deliver(note)
                except Exception as exc:
                    note.last_error = str(exc)[:300]
                    note.send_after = now + retry_delay(note.attempts)
                    note.save(update_fields=["attempts", "last_error", "send_after"])
                    continue
                _remember_delivered(note.pk)
            note.sent_at = now
            note.last_error = ""
            note.save(update_fields=["sent_at", "attempts", "last_error"])
            sent += 1
    return sent + send_pending_sms(now=now)


def queue_sms(
    *, phone: str, text: str, source=None, category: str = "system", send_after=None
) -> OutboundSms:
    """Queue an SMS to a phone number that is nobody's account (a customer, a registered number)
    in the caller's transaction; the sender is nudged when it commits. Use notify() for people
    with an account: it honours their channel preferences."""
    from django.contrib.contenttypes.models import ContentType

    row = OutboundSms.objects.create(
        phone=phone,
        text=text,
        category=category,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=getattr(source, "pk", None),
        send_after=send_after or timezone.now(),
    )
    if row.send_after <= timezone.now():
        from .tasks import send_pending_notifications

        transaction.on_commit(send_pending_notifications.delay, robust=True)
    return row


def send_pending_sms(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Send the queued SMS that are due, one row a transaction with the same claim, cache
    guard and back-off as send_pending. Returns rows sent."""
    now = now or timezone.now()
    sent = 0
    due = (
        OutboundSms.objects.select_for_update(skip_locked=True)
        .filter(sent_at__isnull=True, send_after__lte=now, attempts__lt=MAX_ATTEMPTS)
        .order_by("send_after", "id")
    )
    for _row in range(limit):
        with transaction.atomic():
            sms = due.first()
            if sms is None:
                break
            sms.attempts += 1
            key = f"sms-{sms.pk}"
            if not _delivered_before(key):
                try:
                    get_sms_backend().send(sms.phone, sms.text)
                except Exception as exc:
                    sms.last_error = str(exc)[:300]
                    sms.send_after = now + retry_delay(sms.attempts)
                    sms.save(update_fields=["attempts", "last_error", "send_after"])
                    continue
                _remember_delivered(key)
            sms.sent_at = now
            sms.last_error = ""
            sms.save(update_fields=["sent_at", "attempts", "last_error"])
            sent += 1
    return sent


def send_digests(*, now: datetime | None = None) -> int:
    """One e-mail per recipient with all their digest rows that are due. A recipient whose e-mail
    fails keeps the rows for the next run (with back-off); the others are sent. Returns the number
    of e-mails sent."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                digest=True, sent_at__isnull=True, send_after__lte=now, attempts__lt=MAX_ATTEMPTS
            )
            .select_related("recipient")
            .order_by("recipient_id", "created_at", "id")
        )
        by_user: dict[int, list[Notification]] = {}
        for row in rows:
            by_user.setdefault(row.recipient_id, []).append(row)
        for items in by_user.values():
            user = items[0].recipient
            lines = [
                f"- {timezone.localtime(n.created_at):%m-%d %H:%M} {n.subject} {n.url}".rstrip()
                for n in items
            ]
            ids = [n.pk for n in items]
            try:
                if not user.email:
                    raise ValueError("recipient has no e-mail address")
                send_mail(
                    f"每日升级汇总（{len(items)} 条）",
                    "\n".join(lines),
                    settings.DEFAULT_FROM_EMAIL,
                    [user.email],
                )
            except Exception as exc:
                attempts = max(n.attempts for n in items) + 1
                Notification.objects.filter(pk__in=ids).update(
                    attempts=attempts,
                    last_error=str(exc)[:300],
                    send_after=now + retry_delay(attempts),
                )
                continue
            Notification.objects.filter(pk__in=ids).update(sent_at=now, attempts=F("attempts") + 1)
            sent += 1
    return sent


def _state_of(source) -> str:
    from service_ops.transitions.services import state_field_of

    try:
        name = state_field_of(type(source)).name
    except TypeError:  # not a state machine: done only when its service says so
        return ""
    # The stored state: a caller may hold an instance from before its own transition.
    stored = type(source)._default_manager.filter(pk=source.pk).values_list(name, flat=True)
    return str(stored.first() or getattr(source, name))


def tasks_done(
    source,
    *,
    state: str | None = None,
    category: str | None = None,
    at: datetime | None = None,
    source_type_id: int | None = None,
) -> int:
    """Mark the open 待办 notifications about `source` (an object, or its pk with
    `source_type_id`) done, whoever did the task. With `state`, only those asked in another
    state: a transition into the state they wait in (a resubmission, say) leaves them open.
    Returns rows marked."""
    from django.contrib.contenttypes.models import ContentType

    if source_type_id is None:
        source_type_id = ContentType.objects.get_for_model(type(source)).pk
    qs = Notification.objects.filter(
        source_type_id=source_type_id,
        source_id=getattr(source, "pk", source),
        needs_action=True,
        done_at__isnull=True,
    )
    if state is not None:
        qs = qs.exclude(task_state=state)
    if category is not None:
        qs = qs.filter(category=category)
    return qs.update(done_at=at or timezone.now())


def mark_read(*, user, ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


BADGE_CAP = 99


def unread_count(user) -> int:
    """The bell: in-app notifications neither read nor done, counted up to BADGE_CAP + 1 (the
    bell then says "99+"). Every page asks, so a statement of fixed shape: the ORM took six
    times as long to build this one as the database to answer it."""
    table = Notification._meta.db_table
    sql = (  # the model's own table; every value is a parameter
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE recipient_id = %s AND channel = %s"  # noqa: S608
        " AND read_at IS NULL AND done_at IS NULL LIMIT %s) unread"
    )
    return fetch_rows(sql, [user.pk, Channel.IN_APP.value, BADGE_CAP + 1])[0][0]
