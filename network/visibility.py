"""The one visibility rule of the service network: headquarters sees everything, every other unit
sees its own subtree (a dealer or service point therefore sees only itself)."""

from django.db.models import Q, QuerySet

from .choices import PARTNER_KINDS, OrgKind


def user_org_unit(user):
    if not user or not user.is_authenticated:
        return None
    profile = _profile_with_unit(user)
    return profile.org_unit if profile else None


def _profile_with_unit(user):
    """The user's staff profile with its org unit, read in one query the first time and kept on
    the user instance as `user.profile` is (None: the user has none, and `user.profile` raises
    without asking the database again)."""
    from .models import StaffProfile

    related = StaffProfile.user.field.remote_field  # the reverse side: user.profile
    if related.is_cached(user):
        return related.get_cached_value(user)
    profile = StaffProfile.objects.select_related("org_unit").filter(user_id=user.pk).first()
    related.set_cached_value(user, profile)
    if profile is not None:
        related.field.set_cached_value(profile, user)  # profile.user: this instance
    return profile


def sees_everything(user) -> bool:
    if user and user.is_authenticated and user.is_superuser:
        return True
    unit = user_org_unit(user)
    return unit is not None and unit.kind == OrgKind.HEADQUARTERS


def units_below(paths) -> list[tuple[int, str, str]]:
    """(id, path, kind) of the units with any of `paths` and every unit below them: one
    indexed query on OrgUnit.path."""
    from .models import OrgUnit

    q = Q()
    for path in set(paths):
        q |= Q(path__startswith=path)
    return list(OrgUnit.objects.filter(q).values_list("id", "path", "kind")) if q else []


def subtree_kinds(unit) -> dict[str, list[int]]:
    """Ids of `unit` and every unit below it, by kind, remembered on the unit instance (a
    request's user keeps the same instance)."""
    cached = getattr(unit, "_subtree_kinds", None)
    if cached is None or cached[0] != unit.path:
        by_kind: dict[str, list[int]] = {}
        for pk, _path, kind in units_below([unit.path]):
            by_kind.setdefault(kind, []).append(pk)
        cached = unit._subtree_kinds = (unit.path, by_kind)
    return cached[1]


def subtree_ids(unit) -> list[int]:
    return sorted(pk for ids in subtree_kinds(unit).values() for pk in ids)


def units_under(paths) -> dict[str, list[int]]:
    """{path: ids of the unit with that path and every unit below it}, one query for all."""
    found: dict[str, list[int]] = {path: [] for path in set(paths)}
    for pk, unit_path, _kind in units_below(found):
        for path, ids in found.items():
            if unit_path.startswith(path):
                ids.append(pk)
    return found


def org_scope_q(user, *org_fields) -> Q | None:
    """A Q that keeps rows whose org unit (the foreign key `org_fields`, e.g. "shipper_unit";
    "" for OrgUnit itself) lies in the user's subtree. None means no restriction; Q(pk__in=[])
    means nothing.

    The subtree becomes a list of unit ids first, so the filter is `shipper_unit_id IN (…)` on
    the scoped table itself: no join to OrgUnit, no DISTINCT, and its cost follows the caller's
    rows (the planner reads each id's frequency), not the size of the table.

    Nested fields, given as (field, kinds) pairs from the outside in — ("branch", {BRANCH}),
    ("dealer", PARTNER_KINDS) — name a row's units where each inner one lies under the outer one
    (the services enforce it: a dealer applies under its own branch). The first field whose kinds
    occur in the caller's subtree then decides alone: a branch or a province by `branch_id`, a
    dealer by `dealer_id`. One column, so one composite (field, id) index serves the list in
    key order."""
    if sees_everything(user):
        return None
    unit = user_org_unit(user)
    if unit is None:
        return Q(pk__in=[])
    if org_fields == ("",):  # OrgUnit itself: its own indexed path
        return Q(path__startswith=unit.path)
    if all(isinstance(f, tuple) for f in org_fields):
        by_kind = subtree_kinds(unit)
        for field, kinds in org_fields:
            ids = sorted(pk for kind in kinds for pk in by_kind.get(kind, ()))
            if ids:
                return Q(**{f"{field}_id__in": ids})
        return Q(pk__in=[])
    ids = subtree_ids(unit)
    q = Q()
    for field in org_fields:
        q |= Q(**{f"{field}_id__in": ids})
    return q


def scope_by_org(qs: QuerySet, user, *org_fields) -> QuerySet:
    q = org_scope_q(user, *org_fields)
    return qs if q is None else qs.filter(q)


BRANCH_THEN_PARTNER = (("branch", (OrgKind.BRANCH,)), ("dealer", tuple(PARTNER_KINDS)))
