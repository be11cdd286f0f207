"""Writing the rows signals cannot see (bulk writes) and reading an object's history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext

from .context import _remote_addr, current_actor

CREATE, UPDATE, DELETE = LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE


def _text(value) -> str:
    return "None" if value is None else str(value)


def record_bulk(
    model,
    changes: Mapping[object, Mapping[str, tuple[object, object]]],
    *,
    action: int = UPDATE,
    reason: str = "",
    reprs: Mapping[object, str] | None = None,
    actor=None,
) -> int:
    """Record a bulk write the signals did not see: one row per object, `changes` mapping its
    primary key to {field: (before, after)}. Same actor rule as the signals (the given actor,
    else the request's or the service's, else the system). Returns the rows written."""
    if not changes or not auditlog.contains(model):
        return 0
    excluded = set(auditlog.get_model_fields(model)["exclude_fields"])
    actor = actor or current_actor()
    content_type = ContentType.objects.get_for_model(model)
    now = timezone.now()
    rows = []
    for pk, fields in changes.items():
        diff = {
            name: [_text(before), _text(after)]
            for name, (before, after) in fields.items()
            if name not in excluded and before != after
        }
        if not diff and action == UPDATE:
            continue
        rows.append(
            LogEntry(
                content_type=content_type,
                object_pk=str(pk),
                object_id=pk if isinstance(pk, int) else None,
                object_repr=(reprs or {}).get(pk, str(pk)),
                action=action,
                changes=diff,
                changes_text="",
                actor=actor,
                actor_email=getattr(actor, "email", None) or None,
                remote_addr=_remote_addr.get(),
                timestamp=now,
                additional_data={"bulk": True, "reason": reason} if reason else {"bulk": True},
            )
        )
    LogEntry.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def history_for(obj, *, limit: int = 20):
    """The newest audit rows of one object."""
    return history_for_many([obj], limit=limit)


def history_for_many(objects: Iterable, *, limit: int = 20):
    """The newest audit rows of several objects (e.g. an org unit, its role holders and its
    API tokens), newest first."""
    by_type: dict[int, list[str]] = {}
    for obj in objects:
        if obj is None or obj.pk is None:
            continue
        ct = ContentType.objects.get_for_model(type(obj))
        by_type.setdefault(ct.pk, []).append(str(obj.pk))
    if not by_type:
        return LogEntry.objects.none()
    condition = Q()
    for ct_id, pks in by_type.items():
        condition |= Q(content_type_id=ct_id, object_pk__in=pks)
    return (
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")[:limit]
    )


# Names of what a bulk row records that is no model field (record_bulk's callers).
BULK_LABELS = {
    "calendar_days": gettext_lazy("日历天数"),
    "working_days": gettext_lazy("其中工作日"),
}


def display_rows(entries) -> list[dict]:
    """What a page shows of each audit row: when, who (None = the system), what happened to
    which object, and each changed field as (label, before, after) in the reader's language."""
    labels = {
        CREATE: pgettext("audit action", "新建"),
        UPDATE: pgettext("audit action", "修改"),
        DELETE: pgettext("audit action", "删除"),
    }
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        try:
            changes = entry.changes_display_dict
        except Exception:  # a model or field gone since: show the stored text
            changes = entry.changes_dict
        extra = entry.additional_data or {}
        rows.append(
            {
                "entry": entry,
                "timestamp": entry.timestamp,
                "actor": entry.actor,
                "action": labels.get(entry.action, entry.get_action_display()),
                "model": model._meta.verbose_name if model else entry.content_type.model,
                "object": entry.object_repr,
                "bulk": bool(extra.get("bulk")),
                "fields": [
                    (str(BULK_LABELS.get(label, label)), _none(values[0]), _none(values[1]))
                    for label, values in changes.items()
                    if isinstance(values, list | tuple) and len(values) == 2
                ],
            }
        )
    return rows


def _none(value) -> str:
    return "—" if value in (None, "None", "") else str(value)


def _children_condition(parent, model, fk_name: str) -> Q:
    """Rows of `model` objects that point at `parent` through `fk_name`: the current ones by
    primary key, removed (or moved) ones by the parent their create/delete row named."""
    ct = ContentType.objects.get_for_model(model)
    pk = str(parent.pk)
    current = [
        str(i)
        for i in model._default_manager.filter(**{fk_name: parent}).values_list("pk", flat=True)
    ]
    return (
        Q(content_type=ct, object_pk__in=current)
        | Q(content_type=ct, **{f"changes__{fk_name}__0": pk})
        | Q(content_type=ct, **{f"changes__{fk_name}__1": pk})
    )


def changes_of(obj, *, children=(), extra: Q | None = None, limit: int = 20):
    """The newest audit rows of `obj` and of its children, given as (model, fk name) pairs."""
    condition = Q(content_type=ContentType.objects.get_for_model(type(obj)), object_pk=str(obj.pk))
    for model, fk_name in children:
        condition |= _children_condition(obj, model, fk_name)
    if extra is not None:
        condition |= extra
    return (
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")[:limit]
    )


def related_changes(obj, child_model, fk_name: str, *, limit: int = 20):
    return changes_of(obj, children=[(child_model, fk_name)], limit=limit)


def calendar_year_changes(cal_year, *, limit: int = 50):
    """A calendar year's rows and those of its days (seeding, confirmation, overrides)."""
    from service_ops.workcalendar.models import CalendarDay

    days = Q(
        content_type=ContentType.objects.get_for_model(CalendarDay),
        object_pk__startswith=f"{cal_year.year:04d}-",
    )
    return changes_of(cal_year, extra=days, limit=limit)
