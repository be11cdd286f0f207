"""Reads about people and roles: who holds a role for an org unit, who may act for whom."""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from service_ops.memo import per_request
from service_ops.rawsql import fetch_rows

from .choices import PARTNER_KINDS, Role
from .models import (
    Delegation,
    OrgUnit,
    PartnerToken,
    PrepaidAccount,
    RoleAssignment,
    StaffProfile,
)
from .visibility import scope_by_org, units_below

User = get_user_model()


def _today() -> date:
    return timezone.localdate()


def role_holders(role: str, org_unit: OrgUnit, *, on: date | None = None) -> list:
    """Holders of `role` for `org_unit`: those assigned at the unit itself, else at the nearest
    ancestor that has any. Active deputies of those holders are included after them."""
    holders = role_holders_map([(role, org_unit)], on=on)
    return holders.get((role, org_unit.pk), [])


def role_holders_map(pairs: Iterable[tuple[str, OrgUnit]], *, on: date | None = None) -> dict:
    """Batch form of role_holders: {(role, org_unit_id): [users]} with a constant number of
    queries, for the deadline sweep and lists."""
    pairs = list(pairs)
    if not pairs:
        return {}
    on = on or _today()
    roles = {role for role, _ in pairs}
    unit_ids = {i for _, unit in pairs for i in unit.ancestor_ids()}
    assignments = RoleAssignment.objects.filter(role__in=roles, org_unit_id__in=unit_ids)
    by_role_unit: dict[tuple[str, int], list[int]] = {}
    for a in assignments.values_list("role", "org_unit_id", "user_id").order_by("user_id"):
        by_role_unit.setdefault((a[0], a[1]), []).append(a[2])
    principal_ids = {u for users in by_role_unit.values() for u in users}
    deputies: dict[tuple[int, str], list[int]] = {}
    for principal, deputy, role in Delegation.objects.filter(
        principal_id__in=principal_ids, starts_on__lte=on, ends_on__gte=on
    ).values_list("principal_id", "deputy_id", "role"):
        deputies.setdefault((principal, role), []).append(deputy)
    result_ids: dict[tuple[str, int], list[int]] = {}
    for role, unit in pairs:
        found: list[int] = []
        for uid in unit.ancestor_ids():
            if (role, uid) in by_role_unit:
                found = list(by_role_unit[(role, uid)])
                break
        for principal in list(found):
            for dep in deputies.get((principal, role), []) + deputies.get((principal, ""), []):
                if dep not in found:
                    found.append(dep)
        result_ids[(role, unit.pk)] = found
    users = User.objects.in_bulk({u for ids in result_ids.values() for u in ids})
    return {key: [users[i] for i in ids if i in users] for key, ids in result_ids.items()}


def acts_as(user, role: str, org_unit: OrgUnit, *, on: date | None = None) -> bool:
    """Whether `user` may act in `role` for `org_unit` (holder or active deputy of a holder)."""
    if not user or not user.is_authenticated:
        return False
    return any(u.pk == user.pk for u in role_holders(role, org_unit, on=on))


@per_request
def acting_units(user, *, on: date | None = None) -> dict[str, list[int]]:
    """{role: ids of the units where `user` acts in that role}: exactly the units for which
    acts_as(user, role, unit) holds, for every role at once, in three queries. A holder's
    assignment at A covers every unit under A (A included) that has no other holder of the role
    on the way up to A; a deputy acts where their principal does (for the delegated role, or
    for all of the principal's roles)."""
    if not user or not user.is_authenticated:
        return {}
    on = on or _today()
    principal_roles: dict[int, set[str] | None] = {user.pk: None}  # None: every role held
    for principal, role in Delegation.objects.filter(
        deputy=user, starts_on__lte=on, ends_on__gte=on
    ).values_list("principal_id", "role"):
        if principal in principal_roles and principal_roles[principal] is None:
            continue
        if role:
            principal_roles.setdefault(principal, set()).add(role)
        else:
            principal_roles[principal] = None
    held = [
        (role, path)
        for principal, role, path in RoleAssignment.objects.filter(
            user_id__in=principal_roles
        ).values_list("user_id", "role", "org_unit__path")
        if principal_roles[principal] is None or role in principal_roles[principal]
    ]
    if not held:
        return {}
    roles = {role for role, _path in held}
    holder_units: dict[str, set[int]] = {}
    for role, unit_id in RoleAssignment.objects.filter(role__in=roles).values_list(
        "role", "org_unit_id"
    ):
        holder_units.setdefault(role, set()).add(unit_id)
    units = units_below(path for _role, path in held)
    result: dict[str, set[int]] = {}
    for role, top in held:
        top_id = int(top.strip("/").split("/")[-1])
        holders = holder_units.get(role, set())
        for unit_id, path, _kind in units:
            if not path.startswith(top):
                continue
            # the ids from the unit up to (not including) the assignment's unit
            between = [int(p) for p in path[len(top) :].strip("/").split("/") if p]
            if not any(i in holders and i != top_id for i in between):
                result.setdefault(role, set()).add(unit_id)
    return {role: sorted(ids) for role, ids in result.items()}


@per_request
def roles_of(user) -> frozenset[str]:
    """The roles a user holds anywhere, plus those delegated to them today (a delegation without
    a role lends all of the principal's). One statement of a fixed shape: every page asks."""
    if not user or not user.is_authenticated:
        return frozenset()
    rows = _fetch_roles(user.pk, _today())
    return frozenset(role for (role,) in rows if role)  # memoised for the request


def _fetch_roles(user_id: int, today: date) -> list[tuple]:
    ra, dl = RoleAssignment._meta.db_table, Delegation._meta.db_table
    sql = (  # the tables' own names; every value is a parameter
        f"SELECT role FROM {ra} WHERE user_id = %s "  # noqa: S608
        f"UNION SELECT CASE WHEN d.role = '' THEN p.role ELSE d.role END FROM {dl} d "
        f"LEFT JOIN {ra} p ON d.role = '' AND p.user_id = d.principal_id "
        f"WHERE d.deputy_id = %s AND d.starts_on <= %s AND d.ends_on >= %s"
    )
    return fetch_rows(sql, [user_id, user_id, today, today])


def held_roles(user) -> frozenset[str]:
    """roles_of, kept on the user object too: permission checks called many times outside a
    request (services, tasks, FSM conditions) ask the database once per user object."""
    if not user or not getattr(user, "is_authenticated", False):
        return frozenset()
    cache = getattr(user, "_roles_cache", None)
    if cache is None:
        cache = user._roles_cache = roles_of(user)
    return cache


def staff_directory(user, *, search: str = ""):
    """Staff the user may see (own subtree; HQ sees all), with their roles, for the directory."""
    qs = (
        User.objects.filter(is_active=True, profile__isnull=False)
        .select_related("profile__org_unit")
        .prefetch_related("role_assignments__org_unit")
    )
    qs = scope_by_org(qs, user, "profile__org_unit")
    if search:
        qs = qs.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(profile__phone__icontains=search)
            | Q(profile__org_unit__name__icontains=search)
        )
    return qs.order_by("profile__org_unit__path", "username")


RECENT_ENTRIES = 20


# --- reads of the network pages ------------------------------------------------------------


def visible_org_units(user):
    return OrgUnit.objects.visible_to(user).select_related("parent").order_by("path")


def unit_staff(unit: OrgUnit):
    return (
        User.objects.filter(is_active=True, profile__org_unit=unit)
        .select_related("profile")
        .prefetch_related("role_assignments__org_unit")
        .order_by("username")
    )


def unit_prepaid(unit: OrgUnit):
    """(account or None, its most recent entries) of a dealer or service point."""
    if unit.kind not in PARTNER_KINDS:
        return None, []
    account = PrepaidAccount.objects.filter(org_unit=unit).first()
    if account is None:
        return None, []
    entries = account.entries.select_related("created_by").order_by("-created_at", "-id")
    return account, list(entries[:RECENT_ENTRIES])


__all__ = [
    "Role",
    "acting_units",
    "acts_as",
    "role_holders",
    "role_holders_map",
    "roles_of",
    "staff_directory",
    "unit_prepaid",
    "unit_staff",
    "visible_org_units",
]


def unit_changes(unit: OrgUnit, *, limit: int = 15):
    """The newest audit rows of an org unit and of what hangs on it: its role holders (removed
    ones too), its staff profiles and its API tokens."""
    from service_ops.audit.services import changes_of

    return changes_of(
        unit,
        children=[
            (RoleAssignment, "org_unit"),
            (StaffProfile, "org_unit"),
            (PartnerToken, "org_unit"),
        ],
        limit=limit,
    )


def user_changes(user, *, limit: int = 50):
    """The newest audit rows of a person: the account, their staff profile, their roles and the
    delegations they gave or took."""
    from service_ops.audit.services import changes_of

    return changes_of(
        user,
        children=[
            (StaffProfile, "user"),
            (RoleAssignment, "user"),
            (Delegation, "principal"),
            (Delegation, "deputy"),
        ],
        limit=limit,
    )
