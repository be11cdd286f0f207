"""The admin's 历史 (history) page of an audited object shows its audit rows — who changed which
field from what to what, bulk writes included — above Django's own admin action list."""

from __future__ import annotations

from .services import display_rows, history_for


class AuditHistoryAdminMixin:
    """Mix into the ModelAdmin of an audited model (before admin.ModelAdmin). Override
    `audit_entries(obj)` to add the rows of what is edited with it (inlines, children)."""

    object_history_template = "admin/audit_object_history.html"
    audit_history_limit = 50

    def audit_entries(self, obj):
        return history_for(obj, limit=self.audit_history_limit)

    def history_view(self, request, object_id, extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and self.has_view_or_change_permission(request, obj):
            extra_context["audit_rows"] = display_rows(self.audit_entries(obj))
        return super().history_view(request, object_id, extra_context=extra_context)
