"""Owners register what a fired level means to them, per policy kind.

A handler receives the whole batch of fired actions of its kind, inside the sweep's transaction,
so it can act set-based (e.g. mark approval steps overdue) and add recipients. It runs in a
savepoint: a handler that raises is logged and rolled back alone; the actions still fire and the
people are still told."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from service_ops.i18n import Deferred


@dataclass
class FiredAction:
    deadline_id: int
    kind: str
    owner_type_id: int
    owner_id: int
    org_unit_id: int | None
    assignee_id: int | None
    level: int
    previous_level: int
    label: str | Deferred  # str() renders it in the active language
    due_at: datetime
    breached_now: bool  # this action crossed the due time
    cycle: int = 0  # bumped when an extension reopened a breached timer
    # A handler may add people to notify about this action (user ids).
    extra_recipient_ids: list[int] = field(default_factory=list)


class DeadlineHandler(Protocol):
    def on_fired(self, actions: list[FiredAction]) -> None: ...


_handlers: dict[str, list[DeadlineHandler]] = {}


def register(kind: str, handler: DeadlineHandler) -> None:
    """Call `handler.on_fired(actions)` with each sweep batch's fired actions of `kind` (once per
    batch; each action reaches its handlers once). Registering the same handler twice is a no-op.
    Call it from an AppConfig.ready()."""
    bucket = _handlers.setdefault(kind, [])
    if handler not in bucket:
        bucket.append(handler)


def unregister(kind: str, handler: DeadlineHandler) -> None:
    bucket = _handlers.get(kind, [])
    if handler in bucket:
        bucket.remove(handler)


def handlers_for(kind: str) -> list[DeadlineHandler]:
    return list(_handlers.get(kind, ()))
