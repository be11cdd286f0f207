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


def subtree_ids(unit) -> list[int]:
    """Ids of `unit` and every unit below it: one indexed query on OrgUnit.path, remembered on
    the unit instance (a request's user keeps the same instance)."""
    from .models import OrgUnit

    cached = getattr(unit, "_subtree_ids", None)
    if cached is None or cached[0] != unit.path:
        ids = list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))
        cached = (unit.path, ids)
        unit._subtree_ids = cached
    return cached[1]


def org_scope_q(user, *org_fields: str) -> Q | None:
    """A Q that keeps rows whose org unit (the foreign key `org_fields`, e.g. "branch", "dealer";
    "" for OrgUnit itself) lies in the user's subtree. None means no restriction; Q(pk__in=[])
    means nothing.

    The subtree is turned into a list of unit ids first, so the filter is `branch_id IN (…)` on
    the scoped table itself: no join to OrgUnit, no DISTINCT, and its cost follows the caller's
    rows (the planner reads each id's frequency), not the size of the table."""
    if sees_everything(user):
        return None
    unit = user_org_unit(user)
    if unit is None:
        return Q(pk__in=[])
    if org_fields == ("",):  # OrgUnit itself: its own indexed path
        return Q(path__startswith=unit.path)
    ids = subtree_ids(unit)
    q = Q()
    for field in org_fields:
        q |= Q(**{f"{field}_id__in": ids})
    return q


def scope_by_org(qs: QuerySet, user, *org_fields: str) -> QuerySet:
    q = org_scope_q(user, *org_fields)
    return qs if q is None else qs.filter(q)
