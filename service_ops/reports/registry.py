"""Who may open which declared report (plugin.py `reports`), for the index and the exports."""

from __future__ import annotations

from django.urls import NoReverseMatch

from network.selectors import held_roles
from network.visibility import sees_everything
from service_ops import plugins
from service_ops.plugins import Report
from service_ops.reversing import reverse_plain


def may_open(user, entry: Report) -> bool:
    if not user or not user.is_authenticated:
        return False
    if entry.allowed:
        return bool(plugins._import(entry.allowed)(user))
    if user.is_superuser:
        return True
    if entry.roles and held_roles(user) & entry.roles:
        return True
    return entry.hq_too and sees_everything(user)


def open_to(user) -> list[tuple[str, list[dict]]]:
    """(app verbose name, its reports the user may open: {entry, url}) in app order; apps with
    none left out."""
    from django.apps import apps

    groups = []
    for label, entries in plugins.reports_by_app():
        rows = []
        for entry in entries:
            if not may_open(user, entry):
                continue
            try:
                url = reverse_plain(entry.url_name)
            except NoReverseMatch:
                continue
            if entry.query:
                url = f"{url}?{entry.query}"
            rows.append({"entry": entry, "url": url})
        if rows:
            groups.append((apps.get_app_config(label).verbose_name, rows))
    return groups


def may_use_reports(user) -> bool:
    return any(rows for _name, rows in open_to(user))
