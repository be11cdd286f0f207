"""Who is acting: the request's user or the actor a service was handed; None is the system."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import pre_save

# A callable, so the request's user is read when a log row is written: DRF authenticates a
# partner's API token inside the view, after every middleware has run.
_actor: ContextVar[Callable[[], object] | None] = ContextVar("audit_actor", default=None)
_remote_addr: ContextVar[str | None] = ContextVar("audit_remote_addr", default=None)


def _real_user(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def current_actor():
    """The acting user, or None for the system."""
    getter = _actor.get()
    return _real_user(getter()) if getter else None


@contextmanager
def acting_as(actor):
    """Attribute the audit rows written inside the block to `actor` (a service's `actor=`
    argument). None or an anonymous user changes nothing: a request's user stays the actor."""
    if _real_user(actor) is None:
        yield
        return
    token = _actor.set(lambda: actor)
    try:
        yield
    finally:
        _actor.reset(token)


class AuditActorMiddleware:
    """Makes the request's user the actor of every audit row the request writes. Placed after
    AuthenticationMiddleware; the user is read lazily (see `_actor`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _actor.set(lambda: getattr(request, "user", None))
        addr = _remote_addr.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            _remote_addr.reset(addr)
            _actor.reset(token)


def _fill_actor(sender, instance, **kwargs):
    if instance.actor_id is None:
        user = current_actor()
        if user is not None:
            instance.actor = user
            instance.actor_email = getattr(user, "email", None) or None
    if instance.remote_addr is None:
        instance.remote_addr = _remote_addr.get()


def connect() -> None:
    from auditlog.models import LogEntry

    pre_save.connect(_fill_actor, sender=LogEntry, dispatch_uid="service_ops-audit-actor")
