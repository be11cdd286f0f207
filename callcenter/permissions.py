"""Who may do what to callbacks (回访). Used by the FSM transitions, views and selectors."""

from __future__ import annotations

from network.choices import Role
from network.selectors import roles_of

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
