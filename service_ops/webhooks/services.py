"""Endpoints (register, change, rotate the secret, disable) and deliveries (write, send, resend).

Sending (`send_due`): a sender claims a batch of due rows under `SELECT … FOR UPDATE SKIP LOCKED`
and, in the same short transaction, moves their `next_attempt_at` a lease ahead and counts the
attempt; it commits, then POSTs outside any transaction (no row lock or connection held across a
slow partner), then writes the outcome only if the row is still the one it claimed (same attempt
number). So two senders never send one row at the same time, and a sender that dies mid-send
leaves the row to be tried again when its lease runs out (at-least-once: partners deduplicate by
the event id, as the README says).

Back-off after the n-th failed attempt: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h (±10 %
jitter); the 8th failure (≈ 45 hours after the event) makes the row dead. An endpoint is disabled
once DISABLE_AFTER_DEAD deliveries in a row have died; any delivered row resets the count. Its
partner's staff are told (notifications), and re-enabling it (API PATCH is_active=true, or staff)
starts the count afresh; what was still pending is sent then."""

from __future__ import annotations

import json
import logging
import random
import uuid
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from service_ops.i18n import deferred

from . import signing, transport
from .events import PING, build_payload
from .models import OPEN_STATES, DeliveryState, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.10
DISABLE_AFTER_DEAD = 3
PREVIOUS_SECRET_VALID_FOR = timedelta(hours=24)
MAX_ENDPOINTS_PER_PARTNER = 10
BATCH_SIZE = 20
USER_AGENT = "ServiceOps-Webhooks/1"


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """How long after the `attempts`-th failed attempt the next one is due (with jitter, so the
    retries of many rows that failed together do not all come back at the same second)."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    spread = (rng or random).uniform(-JITTER, JITTER)
    return base * (1 + spread)


def lease() -> timedelta:
    """How long a claimed batch stays away from other senders: every row timing out, and more."""
    return timedelta(seconds=BATCH_SIZE * transport.timeout() + 60)


# --- endpoints --------------------------------------------------------------------------------


def _check_url(url: str) -> None:
    problem = transport.url_problem(url)
    if problem:
        raise ValidationError({"url": [problem]})


def _check_event_types(event_types: list[str]) -> list[str]:
    from .events import event_types as known

    names = {name for name, _label in known()}
    unknown = sorted(set(event_types) - names)
    if unknown:
        raise ValidationError(
            {"event_types": [_("未知事件类型：%(t)s") % {"t": ", ".join(unknown)}]}
        )
    return sorted(set(event_types))


@transaction.atomic
def endpoint_create(
    *, org_unit, url: str, event_types=(), description: str = "", actor=None
) -> tuple[WebhookEndpoint, str]:
    """Register a partner's endpoint. Returns it and its secret (shown this once)."""
    if not org_unit.is_partner:
        raise ValidationError(_("只有代理商和特约维修网点可以登记 Webhook。"))
    _check_url(url)
    types = _check_event_types(list(event_types))
    # the partner's row serialises concurrent registrations: the limit holds under races
    type(org_unit)._default_manager.select_for_update().filter(pk=org_unit.pk).first()
    if WebhookEndpoint.objects.filter(org_unit=org_unit).count() >= MAX_ENDPOINTS_PER_PARTNER:
        raise ValidationError(
            _("每个合作方最多登记 %(n)d 个接收地址。") % {"n": MAX_ENDPOINTS_PER_PARTNER}
        )
    secret = signing.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        org_unit=org_unit,
        url=url,
        description=description,
        event_types=types,
        secret=secret,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return endpoint, secret


@transaction.atomic
def endpoint_update(*, endpoint_id: int, **changes) -> WebhookEndpoint:
    """Change url, description, event_types or is_active. Enabling a disabled endpoint clears its
    failure count and reason."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if "url" in changes:
        _check_url(changes["url"])
        endpoint.url = changes["url"]
    if "description" in changes:
        endpoint.description = changes["description"]
    if "event_types" in changes:
        endpoint.event_types = _check_event_types(list(changes["event_types"]))
    if "is_active" in changes:
        active = bool(changes["is_active"])
        if active and not endpoint.is_active:
            endpoint.consecutive_dead = 0
            endpoint.failing_since = None
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
        elif not active and endpoint.is_active:
            endpoint.disabled_at = timezone.now()
            endpoint.disabled_reason = gettext_noop("由合作方停用")  # stored in zh-hans
        endpoint.is_active = active
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint_id: int, now: datetime | None = None) -> tuple:
    """A new secret (returned, shown once). The previous one keeps signing beside it for
    PREVIOUS_SECRET_VALID_FOR, so no event fails verification while the partner switches."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    secret = signing.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_VALID_FOR
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint, secret


def endpoint_delete(*, endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).delete()


def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str, now: datetime) -> bool:
    """Disable automatically (in the caller's transaction) and tell the partner's staff. False
    when it was already disabled."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:200]
    )
    if not changed:
        return False
    from service_ops.notifications.services import notify

    staff = get_user_model().objects.filter(
        is_active=True, profile__org_unit_id=endpoint.org_unit_id
    )
    notify(
        recipients=list(staff.values_list("pk", flat=True)),
        subject=deferred(gettext_noop("Webhook 接收地址已自动停用：%(url)s"), url=endpoint.url),
        body=deferred(
            gettext_noop(
                "连续 %(n)d 个事件重试后仍未送达，已停止向 %(url)s 发送。"
                "修复接收端后，请通过 API 重新启用（PATCH is_active=true），未送达的事件可重发。"
            ),
            n=endpoint.consecutive_dead,
            url=endpoint.url,
        ),
        urgent=True,
        category="webhook",
    )
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)
    return True


# --- writing deliveries -----------------------------------------------------------------------


def _json_safe(payload: dict) -> dict:
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False))


def enqueue(endpoints, payload: dict, *, resend_of=None, requested_by=None) -> int:
    """One pending row per endpoint, in the caller's transaction; the sender is nudged when it
    commits."""
    if not endpoints:
        return 0
    payload = _json_safe(payload)
    now = timezone.now()
    rows = [
        WebhookDelivery(
            endpoint_id=endpoint.pk,
            event_id=payload["id"],
            event_type=payload["type"],
            payload=payload,
            next_attempt_at=now,
            created_at=now,
            resend_of=resend_of,
            requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
        )
        for endpoint in endpoints
    ]
    WebhookDelivery.objects.bulk_create(rows)
    transaction.on_commit(nudge, robust=True)
    return len(rows)


def nudge() -> None:
    """Ask a worker to send now. Under eager Celery (the embedded shape) nothing is sent in the
    committing request: the in-process sweeper's periodic job sends within its interval."""
    from service_ops.celery import app

    if app.conf.task_always_eager:
        return
    from .tasks import send_webhooks

    send_webhooks.delay()


def send_ping(*, endpoint: WebhookEndpoint, actor=None) -> WebhookDelivery:
    """A `ping` event to one endpoint (the API's and the staff page's test button)."""
    payload = build_payload(
        event_id=uuid.uuid4(),
        event_type=PING,
        occurred_at=timezone.now(),
        summary={"endpoint": endpoint.pk, "message": "ping"},
    )
    enqueue([endpoint], payload, requested_by=actor)
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id").first()


def delivery_resend(*, delivery_id: int, actor=None) -> WebhookDelivery:
    """Send a delivery's event again, as a new row (same event id and body: the partner
    deduplicates), whatever became of the first."""
    original = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    enqueue([original.endpoint], original.payload, resend_of=original, requested_by=actor)
    return WebhookDelivery.objects.filter(resend_of=original).order_by("-id").first()


# --- sending ----------------------------------------------------------------------------------


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


def headers_of(delivery: WebhookDelivery, body: bytes, *, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-ServiceOps-Event": delivery.event_type,
        "X-ServiceOps-Event-Id": str(delivery.event_id),
        "X-ServiceOps-Delivery": str(delivery.uuid),
        "X-ServiceOps-Attempt": str(delivery.attempts),
        "X-ServiceOps-Timestamp": str(timestamp),
        "X-ServiceOps-Signature": signing.signature_header(
            delivery.endpoint.signing_secrets(now), timestamp, body
        ),
    }


def _claim(now: datetime, batch_size: int) -> list[WebhookDelivery]:
    with transaction.atomic():
        batch = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state__in=OPEN_STATES, next_attempt_at__lte=now, endpoint__is_active=True)
            .select_related("endpoint")
            .order_by("next_attempt_at", "id")[:batch_size]
        )
        if batch:
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in batch]).update(
                attempts=F("attempts") + 1, next_attempt_at=now + lease(), last_attempt_at=now
            )
        for delivery in batch:
            delivery.attempts += 1
    return batch


def _record(delivery: WebhookDelivery, result: transport.Result, now: datetime) -> str:
    """Write the outcome of one attempt; returns the row's new state."""
    claimed = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts)
    common = {
        "last_status_code": result.status,
        "last_response": result.body[: transport.RESPONSE_KEEP],
        "last_attempt_at": now,
    }
    endpoint = delivery.endpoint
    with transaction.atomic():
        if result.ok:
            claimed.update(
                state=DeliveryState.DELIVERED,
                delivered_at=now,
                next_attempt_at=None,
                last_error="",
                **common,
            )
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                consecutive_dead=0, failing_since=None, last_success_at=now
            )
            return DeliveryState.DELIVERED
        error = result.error or (f"HTTP {result.status}" if result.status else _("无响应"))
        if delivery.attempts < MAX_ATTEMPTS:
            claimed.update(
                state=DeliveryState.FAILED,
                next_attempt_at=now + retry_delay(delivery.attempts),
                last_error=error[:300],
                **common,
            )
            WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                failing_since=now
            )
            return DeliveryState.FAILED
        if not claimed.update(
            state=DeliveryState.DEAD, next_attempt_at=None, last_error=error[:300], **common
        ):
            return DeliveryState.DEAD
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.consecutive_dead += 1
        locked.save(update_fields=["consecutive_dead"])
        if locked.is_active and locked.consecutive_dead >= DISABLE_AFTER_DEAD:
            endpoint_disable(
                endpoint=locked,
                # stored in zh-hans whatever the sender's language (the msgid is the text)
                reason=gettext_noop("连续 %(n)d 个事件重试后仍未送达")
                % {"n": locked.consecutive_dead},
                now=now,
            )
        return DeliveryState.DEAD


def attempt(delivery: WebhookDelivery, *, now: datetime | None = None) -> str:
    """POST one claimed delivery and record the outcome."""
    now = now or timezone.now()
    body = body_of(delivery)
    headers = headers_of(delivery, body, now=now)
    try:
        result = transport.post(delivery.endpoint.url, body, headers, timeout=transport.timeout())
    except Exception as exc:  # a bug in the transport must not leave the row claimed
        logger.exception("webhook delivery %s: transport failed", delivery.pk)
        result = transport.Result(None, error=(str(exc) or type(exc).__name__)[:300])
    return _record(delivery, result, now)


def send_due(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE, max_batches: int = 25
) -> int:
    """Send every due delivery of an active endpoint, batch by batch. Returns rows delivered.
    `now` (time-machine's or the caller's) decides what is due and stamps the outcome."""
    fixed_now = now
    delivered = 0
    for _batch in range(max_batches):
        now = fixed_now or timezone.now()
        batch = _claim(now, batch_size)
        for delivery in batch:
            if attempt(delivery, now=fixed_now) == DeliveryState.DELIVERED:
                delivered += 1
        if len(batch) < batch_size:
            break
    return delivered
