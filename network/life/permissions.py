"""Who may do what in the network's life. Used by the FSM transition permissions, the services
(which check again under the row lock), the views (to show buttons) and the menu.

- 网点专员 (network specialist) and 客服部部长 (head of customer service) run the network: review
  applications, confirm evaluations and grades, suspend, reinstate and terminate points, decide
  GPS-upgrade qualification, file documents.
- The people in the field (branch and provincial managers, field CS supervisors, branch and local
  engineers) develop points (seed 000: 维修网点开发): they file an application for a candidate.
- Training (seed 000: 驻外技术员的培训资料并指导实施) is organised by the network specialist, the
  head of customer service and the supervisors."""

from __future__ import annotations

from ..choices import Role
from ..selectors import held_roles

MANAGERS = frozenset({Role.NETWORK_SPECIALIST.value, Role.HEAD_OF_CS.value})
APPLICANTS = MANAGERS | frozenset(
    {
        Role.BRANCH_MANAGER.value,
        Role.PROVINCIAL_MANAGER.value,
        Role.FIELD_CS_SUPERVISOR.value,
        Role.BRANCH_ENGINEER.value,
        Role.LOCAL_ENGINEER.value,
    }
)
TRAINERS = MANAGERS | frozenset({Role.SUPERVISOR.value, Role.REPAIR_SUPERVISOR.value})
# Who reads the points' pages (their own subtree's points): the above, and the dispatcher.
READERS = APPLICANTS | TRAINERS | frozenset({Role.SERVICE_DISPATCHER.value})


def _any(user, roles) -> bool:
    if not user or not getattr(user, "is_authenticated", False):
        return False
    return bool(held_roles(user) & roles)


def may_manage_points(user) -> bool:
    return _any(user, MANAGERS)


def may_review(user) -> bool:
    return _any(user, MANAGERS)


def may_apply(user) -> bool:
    return _any(user, APPLICANTS)


def may_manage_training(user) -> bool:
    return _any(user, TRAINERS)


def may_read_points(user) -> bool:
    return _any(user, READERS)
