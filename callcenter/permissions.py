"""Who may do what in the call centre: callbacks (回访), used by the FSM transitions, views
and selectors; the activation-code pages (激活码查询, 登记号码, 激活码库, 预存款充值), run by
the network specialist (网点专员) and overseen by the head of customer service; inbound calls
and their follow-ups (来电登记, 跟进事项)."""

from __future__ import annotations

from django.utils import timezone

from network.choices import OrgKind, Role
from network.selectors import held_roles
from network.visibility import user_org_unit

# The agent desk: call agents, their lead, the expert seat, and the heads who stand in; who reads
# the call log and the follow-ups beside them (the complaint team takes hand-overs).
from .plugin import CALL_READERS as CALL_READER_ROLES
from .plugin import DESK_ROLES

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


def may_read_callbacks(user) -> bool:
    return bool(user and getattr(user, "is_superuser", False)) or bool(
        READER_ROLES & held_roles(user)
    )


def may_take_callbacks(instance=None, user=None) -> bool:
    """FSM permission (instance, user) and a plain check (user=…)."""
    return bool(AGENT_ROLES & held_roles(user if user is not None else instance))


def may_assign_callbacks(instance=None, user=None) -> bool:
    who = user if user is not None else instance
    return bool(who and getattr(who, "is_superuser", False)) or bool(
        SUPERVISOR_ROLES & held_roles(who)
    )


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
    return user.is_superuser or bool(ACTIVATION_STAFF_ROLES & held_roles(user))


def service_point_of(user):
    """The active service point a partner caller belongs to (its token's or its person's unit),
    or None: only a service point queries codes through the API and pays for them."""
    unit = user_org_unit(user)
    if unit is None or unit.kind != OrgKind.SERVICE_POINT or not unit.is_active:
        return None
    return unit


# --- inbound work (来电登记, 跟进事项) -------------------------------------------------------

# Who supervises the call centre's follow-ups (closes, cancels, calls back for anyone).
SUPERVISING_ROLES = frozenset({Role.CALL_CENTRE_LEAD, Role.HEAD_OF_CS, Role.SUPERVISOR})


def may_log_call(user) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or DESK_ROLES & held_roles(user))
    )


def may_read_calls(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and (user.is_superuser or CALL_READER_ROLES & held_roles(user))
    )


def supervises_calls(user) -> bool:
    return bool(SUPERVISING_ROLES & held_roles(user))


def may_assign(user, follow_up) -> bool:
    """Anyone at the desk may (re)name the person who replies."""
    return may_log_call(user)


def agent_on_shift(user, at=None) -> bool:
    from .services import roster

    return roster.agent_on_shift(user, at or timezone.now())


def may_call_back(user, follow_up) -> bool:
    """The agent who took the call (or holds the call-back now); any agent on shift when that
    agent is off; the call centre's lead and heads."""
    if not user or not user.is_authenticated:
        return False
    if user.pk in (follow_up.call.agent_id, follow_up.holder_id) or supervises_calls(user):
        return True
    if Role.CALL_AGENT not in held_roles(user):
        return False
    now = timezone.now()
    return agent_on_shift(user, now) and not (
        follow_up.call.agent.is_active and agent_on_shift(follow_up.call.agent, now)
    )


def may_close(user, follow_up) -> bool:
    """The agent who took the call, whoever holds it now, or a supervisor of the call centre."""
    if not user or not user.is_authenticated:
        return False
    return user.pk in (follow_up.call.agent_id, follow_up.holder_id) or supervises_calls(user)


def may_wait(user, follow_up) -> bool:
    """Pausing a follow-up until a date: whoever holds it, the call's agent, a supervisor."""
    return may_close(user, follow_up) or (user is not None and follow_up.assignee_id == user.pk)


def may_take_over(user, call) -> bool:
    """接手 a handed-over call: the expert seat, the complaint team, the office's people."""
    from .choices import CallOutcome

    if not user or not user.is_authenticated:
        return False
    roles = held_roles(user)
    if Role.HEAD_OF_CS in roles:
        return True
    if call.outcome == CallOutcome.EXPERT:
        return Role.EXPERT_AGENT in roles
    if call.outcome == CallOutcome.COMPLAINT_TEAM:
        return Role.COMPLAINT_TEAM in roles
    if call.outcome == CallOutcome.TRANSFERRED and call.transfer_office_id:
        profile = getattr(user, "profile", None)
        return profile is not None and profile.org_unit_id == call.transfer_office_id
    return False
