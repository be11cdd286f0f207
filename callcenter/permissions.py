"""Who may do what in the call centre: callbacks (回访), used by the FSM transitions, views
and selectors; the activation-code pages (激活码查询, 登记号码, 激活码库, 预存款充值), run by
the network specialist (网点专员) and overseen by the head of customer service."""

from __future__ import annotations

from network.choices import OrgKind, Role
from network.selectors import roles_of
from network.visibility import user_org_unit

# Agents work the queue (an expert agent and a team lead take calls too).
AGENT_ROLES = frozenset({Role.CALL_AGENT, Role.CALL_CENTRE_LEAD, Role.EXPERT_AGENT})
# Supervisors build lists, assign them, cancel tasks and read the reports.
SUPERVISOR_ROLES = frozenset({Role.CALL_CENTRE_LEAD, Role.HEAD_OF_CS, Role.SUPERVISOR})
# Whoever may open the callback pages: the call centre, its supervisors, and the people a
# dissatisfied answer is sent to (the repair team, the complaint team).
READER_ROLES = (
    AGENT_ROLES
    | SUPERVISOR_ROLES
    | frozenset({Role.REPAIR_SUPERVISOR, Role.COMPLAINT_TEAM, Role.BRANCH_MANAGER})
)


def _roles(user) -> frozenset[str]:
    if not user or not getattr(user, "is_authenticated", False):
        return frozenset()
    cache = getattr(user, "_roles_cache", None)
    if cache is None:
        cache = roles_of(user)
        user._roles_cache = cache
    return cache


def may_read_callbacks(user) -> bool:
    return bool(user and getattr(user, "is_superuser", False)) or bool(READER_ROLES & _roles(user))


def may_take_callbacks(instance=None, user=None) -> bool:
    """FSM permission (instance, user) and a plain check (user=…)."""
    return bool(AGENT_ROLES & _roles(user if user is not None else instance))


def may_assign_callbacks(instance=None, user=None) -> bool:
    who = user if user is not None else instance
    return bool(who and getattr(who, "is_superuser", False)) or bool(SUPERVISOR_ROLES & _roles(who))


def may_enter_installations(user) -> bool:
    return may_take_callbacks(user=user) or may_assign_callbacks(user=user)


def is_assignee(instance, user) -> bool:
    return bool(user and instance.assignee_id and instance.assignee_id == user.pk)


def system_only(instance, user) -> bool:
    """A transition the process runs itself (never offered to a person)."""
    return False


ACTIVATION_STAFF_ROLES = frozenset({Role.NETWORK_SPECIALIST, Role.HEAD_OF_CS})


def is_activation_staff(user) -> bool:
    if not user or not user.is_authenticated:
        return False
    return user.is_superuser or bool(ACTIVATION_STAFF_ROLES & roles_of(user))


def service_point_of(user):
    """The active service point a partner caller belongs to (its token's or its person's unit),
    or None: only a service point queries codes through the API and pays for them."""
    unit = user_org_unit(user)
    if unit is None or unit.kind != OrgKind.SERVICE_POINT or not unit.is_active:
        return None
    return unit
