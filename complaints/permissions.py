"""Who may do what to a complaint. Used by the FSM transition permissions, the views (to show
buttons) and the hook alike.

The seed's people mapped to the platform's roles (our decision, see the report):
- handler (投诉处理专员): a member of the complaint team (`complaint_team`);
- complaint supervisor (客诉主管), the first escalation: `supervisor` (主管);
- executive manager (执行经理, seed 004: 对投诉处理方案一一过目，选择最佳解决方案): the head of
  customer service (`head_of_cs`, 客服部部长), who is also the second escalation;
- senior management (公司高层, seed 003: 情节重大的投诉由公司高层解决): `senior_management`, who
  signs a major complaint's solution after the executive manager and is its last escalation."""

from __future__ import annotations

from network.choices import Role
from network.selectors import held_roles

HANDLER = Role.COMPLAINT_TEAM.value
COMPLAINT_SUPERVISOR = Role.SUPERVISOR.value
EXECUTIVE_MANAGER = Role.HEAD_OF_CS.value
SENIOR_MANAGEMENT = Role.SENIOR_MANAGEMENT.value

# Who files a complaint: the complaint team, the call centre's agents and leads, supervisors.
FILER_ROLES = frozenset(
    {
        HANDLER,
        Role.CALL_AGENT.value,
        Role.CALL_CENTRE_LEAD.value,
        Role.EXPERT_AGENT.value,
        COMPLAINT_SUPERVISOR,
        EXECUTIVE_MANAGER,
    }
)
# Who works on complaints (the desk): handlers and the people above them.
DESK_ROLES = frozenset({HANDLER, COMPLAINT_SUPERVISOR, EXECUTIVE_MANAGER, SENIOR_MANAGEMENT})


def has_role(user, role: str) -> bool:
    return role in held_roles(user)


def any_role(user, roles) -> bool:
    return any(has_role(user, r) for r in roles)


def may_file(user) -> bool:
    return any_role(user, FILER_ROLES)


def may_use_desk(user) -> bool:
    return any_role(user, DESK_ROLES | FILER_ROLES)


def may_handle(complaint, user) -> bool:
    """The handler of the complaint, or any complaint-team member while nobody holds it; the
    supervisor and the head of customer service may step in."""
    if not user or not user.is_authenticated:
        return False
    if has_role(user, COMPLAINT_SUPERVISOR) or has_role(user, EXECUTIVE_MANAGER):
        return True
    if not has_role(user, HANDLER):
        return False
    return complaint.handler_id in (None, user.pk)


def may_approve(complaint, user) -> bool:
    return has_role(user, EXECUTIVE_MANAGER)


def may_approve_senior(complaint, user) -> bool:
    """Senior management signs a major complaint's solution, after the executive manager: the
    head of customer service cannot sign both levels."""
    return has_role(user, SENIOR_MANAGEMENT)


def system_only(instance, user) -> bool:
    return False


# FSM permission callables (instance, user)
def handler_perm(instance, user) -> bool:
    return may_handle(instance, user)


def approver_perm(instance, user) -> bool:
    return may_approve(instance, user)


def senior_perm(instance, user) -> bool:
    return may_approve_senior(instance, user)


def approver_or_senior_perm(instance, user) -> bool:
    return may_approve(instance, user) or may_approve_senior(instance, user)


# --- penalties and product feedback (issue 18 items 4 and 5) ---------------------------------
# Ledger readers: the complaint supervisor, the head of customer service and senior management
# (within their org scope); everyone else reads only their own ledger.
LEDGER_ROLES = frozenset({COMPLAINT_SUPERVISOR, EXECUTIVE_MANAGER, SENIOR_MANAGEMENT})
# The development department (开发部) has no role on the platform (adding one to network's Role
# would need a network migration): the complaint supervisor, or the head of customer service,
# records its reply on its behalf, with the name of the developer who answered.
FEEDBACK_RECORDER_ROLES = frozenset({COMPLAINT_SUPERVISOR, EXECUTIVE_MANAGER})


def may_propose_penalty(complaint, user) -> bool:
    return may_handle(complaint, user)


def may_decide_penalty(user) -> bool:
    """Seed 003/004: the head of customer service (客服部部长) confirms or waives a penalty."""
    return has_role(user, EXECUTIVE_MANAGER)


def may_read_ledgers(user) -> bool:
    return any_role(user, LEDGER_ROLES)


def may_record_feedback_reply(user) -> bool:
    return any_role(user, FEEDBACK_RECORDER_ROLES)


def may_track_feedback(user) -> bool:
    """The complaint team follows the development department's answer up and verifies it."""
    return any_role(user, FEEDBACK_RECORDER_ROLES | {HANDLER})


def penalty_decider_perm(instance, user) -> bool:
    return may_decide_penalty(user)


def feedback_reply_perm(instance, user) -> bool:
    return may_record_feedback_reply(user)


def feedback_track_perm(instance, user) -> bool:
    return may_track_feedback(user)


# Who reads the complaint statistics (客诉统计): the complaint supervisors, the head of customer
# service and senior management.
STATISTICS_ROLES = frozenset({COMPLAINT_SUPERVISOR, EXECUTIVE_MANAGER, SENIOR_MANAGEMENT})


def may_read_statistics(user) -> bool:
    return any_role(user, STATISTICS_ROLES)


def may_file_as_partner(user) -> bool:
    """Anyone of a dealer or service point (its staff, its systems' service users) files that
    unit's complaints through the partner API (the complaint team files theirs on the desk)."""
    from network.choices import PARTNER_KINDS
    from network.visibility import user_org_unit

    unit = user_org_unit(user)
    return unit is not None and unit.kind in PARTNER_KINDS
