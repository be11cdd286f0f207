"""Audit of master data (who changed what and when): django-auditlog's LogEntry rows, filled in
by model signals, plus what this platform adds around them.

- Each app declares its audited models in its `plugin.py` (`Plugin.audited`); the platform
  registers them when the app is ready (`registry.register_declared`), so the platform names no
  business model.
- The actor: the request's user (`AuditActorMiddleware`, read when the row is written, so a
  partner authenticated by its API token counts too), or the actor a service was handed
  (`acting_as`); none means the system (a Celery task, a management command).
- Bulk writes (`QuerySet.update`, `bulk_create`) fire no signal: code that writes master data in
  bulk records it with `record_bulk` in the same transaction.
- `history_for` / `history_for_many` read the rows shown on each object's admin history page and
  staff page.
"""

from .context import acting_as, current_actor
from .services import CREATE, DELETE, UPDATE, history_for, history_for_many, record_bulk

__all__ = [
    "CREATE",
    "DELETE",
    "UPDATE",
    "acting_as",
    "current_actor",
    "history_for",
    "history_for_many",
    "record_bulk",
]
