"""Registers with django-auditlog the models the apps declare (`Plugin.audited`)."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps

# Never in a log row, whatever a declaration says: secrets and their digests.
ALWAYS_EXCLUDED = ("password", "digest", "secret", "token_hash")


def register_declared(declared) -> None:
    for item in declared:
        model = apps.get_model(item.model)
        exclude = list(dict.fromkeys((*item.exclude, *ALWAYS_EXCLUDED)))
        exclude = [name for name in exclude if _has_field(model, name)]
        # Only the model's own columns: on a create or delete auditlog otherwise walks every
        # reverse relation too (a query each, and a reverse one-to-one miss left cached on the
        # instance — `user.profile` then raised after the profile was created).
        include = [f.name for f in model._meta.concrete_fields if f.name not in exclude]
        auditlog.unregister(model)
        auditlog.register(
            model, include_fields=include, exclude_fields=exclude, m2m_fields=set(item.m2m)
        )


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:
        return False
    return True


def audited_models() -> list:
    return auditlog.get_models()
