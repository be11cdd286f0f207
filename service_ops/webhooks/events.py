"""From a state change to delivery rows, in the transaction of the change (the outbox).

run_transition calls `transition_happened` after it has saved the object and written the
transition log. For a model no app declared as a webhook source this is a dictionary lookup and
nothing else; for a declared one, the app names the partners concerned (from columns the object
already holds), one indexed query finds their active endpoints, and only when one of them
subscribes is the payload built (once) and one row per endpoint inserted. No HTTP here: the
sender is nudged when the transaction commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.module_loading import import_string

from service_ops import plugins

PING = "ping"


@cache
def _sources() -> dict[str, list[plugins.WebhookSource]]:
    return plugins.webhook_sources()


@cache
def _function(path: str):
    return import_string(path)


def reset_cache() -> None:
    _sources.cache_clear()


def event_types() -> list[tuple[str, Any]]:
    """(type, label) of every event a partner may subscribe to."""
    return plugins.webhook_event_types()


def sources_of(model: type[models.Model]) -> list[plugins.WebhookSource]:
    return _sources().get(model._meta.label_lower, [])


def object_type_of(event_type: str) -> str:
    return event_type.split(".", 1)[0]


def build_payload(
    *,
    event_id: uuid.UUID,
    event_type: str,
    occurred_at: datetime,
    instance: models.Model | None = None,
    summary: dict | None = None,
    transition: str = "",
    from_state: str = "",
    to_state: str = "",
) -> dict:
    summary = dict(summary or {})
    payload: dict[str, Any] = {
        "id": str(event_id),
        "type": event_type,
        "occurred_at": occurred_at.isoformat(),
    }
    if instance is not None:
        payload["object"] = {
            "type": object_type_of(event_type),
            "id": instance.pk,
            "number": summary.get("number", ""),
        }
        payload["transition"] = transition
        payload["from_state"] = from_state
        payload["to_state"] = to_state
    payload["data"] = summary
    return payload


def transition_happened(
    instance: models.Model,
    *,
    transition: str,
    from_state: str,
    to_state: str,
    occurred_at: datetime | None = None,
) -> int:
    """Write the deliveries of this state change. Returns the number of rows written."""
    sources = sources_of(type(instance))
    if not sources:
        return 0
    from .models import WebhookEndpoint
    from .services import enqueue

    written = 0
    for source in sources:
        partner_ids = {pk for pk in _function(source.partners)(instance) if pk}
        if not partner_ids:
            continue
        endpoints = [
            endpoint
            for endpoint in WebhookEndpoint.objects.filter(
                org_unit_id__in=partner_ids, is_active=True
            ).only("pk", "event_types")
            if endpoint.subscribes_to(source.event)
        ]
        if not endpoints:
            continue
        payload = build_payload(
            event_id=uuid.uuid4(),
            event_type=source.event,
            occurred_at=occurred_at or timezone.now(),
            instance=instance,
            summary=_function(source.payload)(instance),
            transition=transition,
            from_state=str(from_state),
            to_state=str(to_state),
        )
        written += enqueue(endpoints, payload)
    return written
