"""Who may do what in the call centre's inbound work (来电登记, 跟进事项)."""

from __future__ import annotations

from django.utils import timezone

from network.choices import Role
from network.selectors import roles_of

# The agent desk: call agents, their lead, the expert seat, and the heads who stand in; who reads
# the call log and the follow-ups beside them (the complaint team takes hand-overs).
from .plugin import CALL_READERS as CALL_READER_ROLES
from .plugin import DESK_ROLES

# Who supervises the call centre's follow-ups (closes, cancels, calls back for anyone).
SUPERVISING_ROLES = frozenset({Role.CALL_CENTRE_LEAD, Role.HEAD_OF_CS, Role.SUPERVISOR})


def _roles(user) -> frozenset[str]:
    if not user or not user.is_authenticated:
        return frozenset()
    return roles_of(user)


def may_log_call(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or DESK_ROLES & _roles(user)))


def may_read_calls(user) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or CALL_READER_ROLES & _roles(user))
    )


def supervises_calls(user) -> bool:
    return bool(SUPERVISING_ROLES & _roles(user))


def may_assign(user, follow_up) -> bool:
    """Anyone at the desk may (re)name the person who replies."""
    return may_log_call(user)


def agent_on_shift(user, at=None) -> bool:
    from .services import roster

    return roster.agents_on_shift(at or timezone.now()).filter(pk=user.pk).exists()


def may_call_back(user, follow_up) -> bool:
    """The agent who took the call (or holds the call-back now); any agent on shift when that
    agent is off; the call centre's lead and heads."""
    if not user or not user.is_authenticated:
        return False
    if user.pk in (follow_up.call.agent_id, follow_up.holder_id) or supervises_calls(user):
        return True
    if Role.CALL_AGENT not in _roles(user):
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
    roles = _roles(user)
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
