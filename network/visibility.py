"""The one visibility rule of the service network: headquarters sees everything, every other unit
sees its own subtree (a dealer or service point therefore sees only itself)."""

from django.db.models import Q, QuerySet

from .choices import OrgKind


def user_org_unit(user):
    if not user or not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return profile.org_unit if profile else None


def sees_everything(user) -> bool:
    if user and user.is_authenticated and user.is_superuser:
        return True
    unit = user_org_unit(user)
    return unit is not None and unit.kind == OrgKind.HEADQUARTERS


def org_scope_q(user, *org_paths: str) -> Q | None:
    """A Q that keeps rows whose org unit (reached through any of `org_paths`, e.g. "branch",
    "dealer") lies in the user's subtree. None means no restriction; Q(pk__in=[]) means nothing."""
    if sees_everything(user):
        return None
    unit = user_org_unit(user)
    if unit is None:
        return Q(pk__in=[])
    q = Q()
    for org_path in org_paths:
        prefix = f"{org_path}__" if org_path else ""
        q |= Q(**{f"{prefix}path__startswith": unit.path})
    return q


def scope_by_org(qs: QuerySet, user, *org_paths: str) -> QuerySet:
    q = org_scope_q(user, *org_paths)
    return qs if q is None else qs.filter(q)
