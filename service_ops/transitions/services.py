"""The one way a process object changes state (DESIGN §3, §3.1).

`run_transition` locks a fresh row, checks the transition is allowed now and that the actor holds
its permission (django-fsm runs a transition even when its permission is false), runs it, saves,
writes the TransitionLog entry in the same transaction (post_transition fires before save()), writes
the webhook deliveries of the change (service_ops.webhooks: the partners the app names), and
schedules side effects with on_commit. HTML views, API views, tasks and commands all call it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _
from django_fsm import FSMFieldMixin, TransitionNotAllowed, can_proceed, has_transition_perm

from service_ops.i18n import Deferred, split
from service_ops.notifications.services import tasks_done
from service_ops.webhooks.events import transition_happened as webhook_events

from .models import ActionChannel, TransitionLog


def state_field_of(model: type[models.Model]) -> FSMFieldMixin:
    fields = [f for f in model._meta.concrete_fields if isinstance(f, FSMFieldMixin)]
    if len(fields) != 1:
        raise TypeError(f"{model.__name__} must have exactly one FSM field")
    return fields[0]


def available_actions(instance: models.Model, user=None) -> list[str]:
    """Names of the transitions the user may run on the instance now (for 409 answers, buttons)."""
    field = state_field_of(type(instance))
    getter = (
        f"get_available_user_{field.name}_transitions"
        if user is not None
        else f"get_available_{field.name}_transitions"
    )
    args = (user,) if user is not None else ()
    return [t.name for t in getattr(instance, getter)(*args)]


def run_transition(
    instance_or_model: models.Model | type[models.Model],
    pk: Any = None,
    *,
    transition: str,
    actor=None,
    channel: str = ActionChannel.WEB,
    comment: str | Deferred = "",
    check_permission: bool = True,
    kwargs: dict | None = None,
    before: Callable[[models.Model], None] | None = None,
    on_commit: Callable[[models.Model], None] | None = None,
) -> models.Model:
    """Run one FSM transition under a row lock and log it. Raises TransitionNotAllowed (→ 409)
    when the state does not allow it now, PermissionDenied (→ 403) when the actor may not.

    `before(instance)` runs on the locked instance before the transition (for re-checks under the
    lock); `on_commit(instance)` runs after the transaction commits. `comment` is what a person
    typed, or a Deferred (service_ops.i18n) when the system writes it: shown in the reader's
    language."""
    model = instance_or_model if isinstance(instance_or_model, type) else type(instance_or_model)
    pk = pk if pk is not None else instance_or_model.pk
    field = state_field_of(model)
    comment_text, comment_data = split(comment)
    with transaction.atomic():
        instance = model._default_manager.select_for_update().get(pk=pk)
        method = getattr(instance, transition)
        if before is not None:
            before(instance)
        if not can_proceed(method):
            raise TransitionNotAllowed(
                f"'{transition}' is not allowed from '{getattr(instance, field.name)}'",
                object=instance,
                method=method,
            )
        needs_permission = check_permission and channel != ActionChannel.SYSTEM
        if needs_permission and (actor is None or not has_transition_perm(method, actor)):
            raise PermissionDenied(_("您没有权限执行此操作"))
        from_state = getattr(instance, field.name)
        method(**(kwargs or {}))
        instance.save()
        TransitionLog.objects.create(
            object_type=ContentType.objects.get_for_model(model),
            object_id=instance.pk,
            transition=transition,
            from_state=from_state,
            to_state=getattr(instance, field.name),
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            channel=channel,
            comment=comment_text,
            comment_i18n=comment_data,
        )
        # The 待办 notifications about this object asked for what has now been done.
        tasks_done(instance, state=getattr(instance, field.name))
        # Partners hear of it by webhook: rows in this transaction (the outbox), sent on commit.
        webhook_events(
            instance,
            transition=transition,
            from_state=from_state,
            to_state=getattr(instance, field.name),
        )
        if on_commit is not None:
            transaction.on_commit(lambda: on_commit(instance), robust=True)
    return instance


def log_of(instance: models.Model):
    return (
        TransitionLog.objects.filter(
            object_type=ContentType.objects.get_for_model(type(instance)), object_id=instance.pk
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )
