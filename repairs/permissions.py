"""Who may do what to return applications and repairs. Used by FSM transition permissions,
views (to show buttons) and the API alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from network.choices import Role
from network.selectors import acting_units, acts_as, held_roles
from network.visibility import sees_everything, user_org_unit

from .choices import Platform, StatementState

if TYPE_CHECKING:
    from .models import MonthlyStatement

SUBMITTER_ROLES = {Role.BRANCH_ENGINEER, Role.DEALER_STAFF}


def has_role(user, role: str) -> bool:
    return role in held_roles(user)


def is_applicant_side(user, application) -> bool:
    """The applicant, a colleague in the applying unit who may submit applications, or the clerk
    who entered it from a fax or an e-mail (they submit, correct and resubmit it for the sender)."""
    if not user or not user.is_authenticated:
        return False
    if user.pk in (application.applicant_id, application.entered_by_id):
        return True
    unit = user_org_unit(user)
    return (
        unit is not None
        and unit.pk == application.applicant_unit_id
        and any(has_role(user, r) for r in SUBMITTER_ROLES)
    )


def may_enter_on_behalf(user) -> bool:
    """The logistics clerk enters the applications that arrive by fax or e-mail."""
    return has_role(user, Role.LOGISTICS_CLERK)


def may_create_application(user) -> bool:
    return any(has_role(user, r) for r in SUBMITTER_ROLES)


def may_handle_logistics(user) -> bool:
    return has_role(user, Role.LOGISTICS_CLERK)


def may_receive(user) -> bool:
    return has_role(user, Role.LOGISTICS_CLERK) or has_role(user, Role.WAREHOUSE_KEEPER)


def may_file_returned_stock(user) -> bool:
    return has_role(user, Role.MARKETING)


# --- returned stock (呆滞/退货产品处理申请) -------------------------------------------------------


def may_handle_stock_logistics(user) -> bool:
    """The clerk books the driver's collection, sets the limit and issues the task order."""
    return has_role(user, Role.LOGISTICS_CLERK)


def may_check_stock(user) -> bool:
    """仓管验货核对 / 后勤专员核对返修产品清单: the warehouse keeper or the clerk."""
    return has_role(user, Role.WAREHOUSE_KEEPER) or has_role(user, Role.LOGISTICS_CLERK)


def stock_handler_role(application) -> str:
    """Who takes the goods over and does the work: PMC for 10 units or more, else the repair
    team (its supervisor sends someone to the warehouse to sign for them)."""
    from .choices import ReturnedStockRoute

    return Role.PMC if application.route == ReturnedStockRoute.PMC else Role.REPAIR_SUPERVISOR


def may_take_stock(user, application) -> bool:
    return has_role(user, stock_handler_role(application))


def may_finish_stock(user, application) -> bool:
    return has_role(user, stock_handler_role(application))


def may_see_ranking(user) -> bool:
    return sees_everything(user) or has_role(user, Role.HEAD_OF_CS)


def may_decide_penalties(user) -> bool:
    return has_role(user, Role.HEAD_OF_CS)


def may_answer_quote(user, order) -> bool:
    """The shipper answers a quote: the applicant's side, or anyone of the dealer that shipped
    it (an API service account included); the clerk records an answer given by phone or fax."""
    if not user or not user.is_authenticated:
        return False
    unit_id = getattr(getattr(user, "profile", None), "org_unit_id", None)
    # the clerk first: the roles are read once a request, where the branch manager's check
    # reads the branch's role holders (three queries for each card of the clerk's board)
    return (
        has_role(user, Role.LOGISTICS_CLERK)
        or is_applicant_side(user, order.lot.application)
        or (order.dealer_id is not None and unit_id == order.dealer_id)
        # operating platform: the seed mails the quote to the 分公司经理, who signs, stamps and
        # returns it (on the managed platform the dealer answers)
        or (
            order.lot.application.platform == Platform.OPERATING
            # the units where the user acts as manager, read once a request (acts_as read
            # the branch's role holders for each card)
            and order.branch_id in acting_units(user).get(Role.BRANCH_MANAGER, ())
        )
    )


def answers_on_behalf(user, order) -> bool:
    """The clerk records an answer the customer gave by phone, fax or mail."""
    return is_clerk(user) and not is_applicant_side(user, order.lot.application)


def may_record_contact(user) -> bool:
    return any(
        has_role(user, r) for r in (Role.LOGISTICS_CLERK, Role.REPAIR_SUPERVISOR, Role.HEAD_OF_CS)
    )


def may_handle_loaners(user) -> bool:
    return has_role(user, Role.REPAIR_SUPERVISOR) or has_role(user, Role.LOGISTICS_CLERK)


def may_build_statements(user) -> bool:
    return has_role(user, Role.LOGISTICS_CLERK) or has_role(user, Role.HEAD_OF_CS)


# --- repair orders (for buttons; the services check again) ----------------------------------


def is_technician(user) -> bool:
    return has_role(user, Role.TECHNICIAN) or has_role(user, Role.REPAIR_SUPERVISOR)


def is_repair_supervisor(user) -> bool:
    return has_role(user, Role.REPAIR_SUPERVISOR) or has_role(user, Role.HEAD_OF_CS)


def is_clerk(user) -> bool:
    return has_role(user, Role.LOGISTICS_CLERK)


def may_post_delay_notice(user) -> bool:
    return is_clerk(user) or is_repair_supervisor(user)


def may_see_board(user) -> bool:
    return is_clerk(user) or is_repair_supervisor(user)


def may_see_loaners(user) -> bool:
    return may_handle_loaners(user) or has_role(user, Role.HEAD_OF_CS)


def may_review(user) -> bool:
    return is_clerk(user) or is_repair_supervisor(user)


def may_build_review(user) -> bool:
    return has_role(user, Role.REPAIR_SUPERVISOR)


may_build_statement = may_build_statements


def may_confirm_statement(user, statement: MonthlyStatement) -> bool:
    return statement.state == StatementState.DRAFT and acts_as(
        user, Role.BRANCH_MANAGER, statement.branch
    )


def may_hand_over_statement(user, statement: MonthlyStatement) -> bool:
    """将确认结果提交销售调度部: customer service (the clerk, the head of CS)."""
    return statement.state == StatementState.CONFIRMED and may_build_statements(user)


def may_settle_statement(user, statement: MonthlyStatement) -> bool:
    """The dispatcher responsible for the branch records the transfer agreed with finance."""
    return statement.state == StatementState.HANDED_OVER and acts_as(
        user, Role.SALES_DISPATCHER, statement.branch
    )


def system_only(instance, user) -> bool:
    """A transition the services run on behalf of the process (the chain's last signature, a
    quote answer, a timeout): never offered to a person as an action of their own."""
    return False


# --- field service: installed base, service requests, dispatch (issue 20) -------------------------

# Who answers an offer made to their unit (a service point's staff, a field office's engineers).
FIELD_ANSWER_ROLES = frozenset(
    {Role.SERVICE_POINT_STAFF, Role.LOCAL_ENGINEER, Role.BRANCH_ENGINEER}
)
# Who files a service request on the web (a customer's call, a dealer's phone call, a visit).
REQUEST_FILER_ROLES = frozenset(
    {
        Role.SERVICE_DISPATCHER,
        Role.CALL_AGENT,
        Role.EXPERT_AGENT,
        Role.CALL_CENTRE_LEAD,
        Role.HEAD_OF_CS,
        Role.FIELD_CS_SUPERVISOR,
        Role.BRANCH_ENGINEER,
        Role.LOCAL_ENGINEER,
        Role.NETWORK_SPECIALIST,
        Role.DEALER_STAFF,
    }
)
# Who keeps the installed base (装机档案).
UNIT_KEEPER_ROLES = frozenset(
    {
        Role.SERVICE_DISPATCHER,
        Role.HEAD_OF_CS,
        Role.FIELD_CS_SUPERVISOR,
        Role.BRANCH_ENGINEER,
        Role.LOCAL_ENGINEER,
        Role.NETWORK_SPECIALIST,
        Role.CALL_AGENT,
        Role.EXPERT_AGENT,
    }
)


def may_dispatch(user) -> bool:
    """派单员 (and the head of customer service above them) dispatch, override and cancel."""
    return has_role(user, Role.SERVICE_DISPATCHER) or has_role(user, Role.HEAD_OF_CS)


def may_file_service_request(user) -> bool:
    return any(has_role(user, r) for r in REQUEST_FILER_ROLES)


def may_keep_units(user) -> bool:
    return any(has_role(user, r) for r in UNIT_KEEPER_ROLES)


def may_answer_offer(user, offer) -> bool:
    """The engineer an offer names, or a person of the unit it was made to who answers for it."""
    if not user or not user.is_authenticated:
        return False
    if offer.to_engineer_id:
        return offer.to_engineer_id == user.pk
    unit = user_org_unit(user)
    return (
        unit is not None
        and unit.pk == offer.to_unit_id
        and any(has_role(user, r) for r in FIELD_ANSWER_ROLES)
    )


def may_schedule_visit(user, visit) -> bool:
    """The appointment is agreed by the visit's engineer, its unit's people or a dispatcher."""
    if not user or not user.is_authenticated:
        return False
    if visit.engineer_id == user.pk or may_dispatch(user):
        return True
    unit = user_org_unit(user)
    return (
        unit is not None
        and unit.pk == visit.service_unit_id
        and any(has_role(user, r) for r in FIELD_ANSWER_ROLES)
    )


# --- field visits (上门服务, issue 20) ------------------------------------------------------------
# Who confirms the fault of an escalated service request (故障确认) and hears of escalations: the
# dispatcher and the field CS supervisor of the request's office (or above it).
FAULT_CONFIRMER_ROLES = (Role.SERVICE_DISPATCHER, Role.FIELD_CS_SUPERVISOR)


def works_visit(user, visit) -> bool:
    """The visit's own engineer, or anyone of the service point it was given to (its staff on
    the web, its system's service account through the API)."""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser or (visit.engineer_id and visit.engineer_id == user.pk):
        return True
    unit = user_org_unit(user)
    return bool(visit.service_unit_id and unit is not None and unit.pk == visit.service_unit_id)


def may_confirm_fault(user, service_request) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser or has_role(user, Role.HEAD_OF_CS):
        return True
    return any(acts_as(user, role, service_request.org_unit) for role in FAULT_CONFIRMER_ROLES)


# --- settlement with service points (网点结算, issue 20 item 7) ---------------------------------


def may_manage_settlement(user) -> bool:
    """The network specialist (网点专员) keeps the fee rules, builds and issues the points'
    statements, adds rewards and penalties and resolves disputed lines."""
    return has_role(user, Role.NETWORK_SPECIALIST)


def may_read_fee_rules(user) -> bool:
    """The fee rules: the network specialist, finance and the head of customer service."""
    return may_manage_settlement(user) or any(
        has_role(user, r) for r in (Role.FINANCE, Role.HEAD_OF_CS)
    )


def may_approve_settlement(user) -> bool:
    """A statement the point confirmed is approved for payment by the head of customer service
    (not by the specialist who made it)."""
    return has_role(user, Role.HEAD_OF_CS)


def may_export_settlement(user) -> bool:
    """Finance exports approved statements for payment."""
    return has_role(user, Role.FINANCE)


def may_answer_settlement(user, statement) -> bool:
    """The point's own staff confirm or dispute its statement's lines."""
    return acts_as(user, Role.SERVICE_POINT_STAFF, statement.point)


# Supervisors who read the repairs reports (issue 21); each sees the units of their own scope.
REPORT_ROLES = frozenset(
    {
        Role.HEAD_OF_CS,
        Role.SENIOR_MANAGEMENT,
        Role.SUPERVISOR,
        Role.BRANCH_MANAGER,
        Role.PROVINCIAL_MANAGER,
        Role.REPAIR_SUPERVISOR,
    }
)


def may_read_reports(user) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    unit = user_org_unit(user)
    if unit is None or unit.is_partner:
        return False
    return bool(REPORT_ROLES & held_roles(user))


# --- car-factory units (车厂回购机流程: 回购机, 江淮备用机; issue 22 items 4 and 5) ---------------
# Headquarters' customer service only; the car factory's own people do not sign in (out of scope).
# The OEM coordinator (车厂对接) is the logistics clerk: the one who already receives goods, lends
# loaners and builds the month-end statements.
OEM_ROLES = frozenset(
    {
        Role.LOGISTICS_CLERK,
        Role.WAREHOUSE_KEEPER,
        Role.TECHNICIAN,
        Role.REPAIR_SUPERVISOR,
        Role.HEAD_OF_CS,
    }
)


def may_see_oem(user) -> bool:
    return sees_everything(user) and bool(OEM_ROLES & held_roles(user))


def may_intake_buyback(user) -> bool:
    """The clerk (or the warehouse keeper) books a batch in with its serials."""
    return has_role(user, Role.LOGISTICS_CLERK) or has_role(user, Role.WAREHOUSE_KEEPER)


def may_inspect_buyback(user) -> bool:
    return is_technician(user)


def may_decide_buyback(user) -> bool:
    """Refurbish, repair or scrap: the repair supervisor (or the head of customer service)."""
    return is_repair_supervisor(user)


def may_finish_buyback(user) -> bool:
    """The workshop records the work done and its costs; the clerk may add freight."""
    return is_technician(user) or is_clerk(user)


def may_close_buyback(user) -> bool:
    return is_clerk(user) or is_repair_supervisor(user)


def may_handle_oem_backups(user) -> bool:
    """Lends, takes back and sends backups to repair: the coordinator and the repair supervisor."""
    return is_clerk(user) or has_role(user, Role.REPAIR_SUPERVISOR)


def may_reconcile_oem(user) -> bool:
    """Builds the monthly reconciliation, sends it and records the car factory's answer."""
    return is_clerk(user) or has_role(user, Role.HEAD_OF_CS)


# --- collections (收款, issue 22 item 3) --------------------------------------------------------
# Finance records payments, confirms transfers and writes off; the head of customer service and
# the dispatchers read the desk; partners (dealer staff, the branch manager) read their own.
COLLECTION_DESK_ROLES = frozenset({Role.FINANCE, Role.HEAD_OF_CS, Role.SALES_DISPATCHER})
COLLECTION_PARTNER_ROLES = frozenset({Role.DEALER_STAFF, Role.BRANCH_MANAGER})


def _internal(user) -> bool:
    unit = user_org_unit(user)
    return unit is not None and not unit.is_partner


def may_collect(user) -> bool:
    """Finance (a company unit, never a partner) records payments, confirms or rejects transfers,
    reverses payments and writes receivables off."""
    if not user or not user.is_authenticated:
        return False
    return has_role(user, Role.FINANCE) and _internal(user)


def may_see_collection_desk(user) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(COLLECTION_DESK_ROLES & held_roles(user)) and _internal(user)


def may_see_own_account(user) -> bool:
    """The partner's own view (我的往来账): dealer staff, the branch manager."""
    if not user or not user.is_authenticated:
        return False
    return bool(COLLECTION_PARTNER_ROLES & held_roles(user)) and user_org_unit(user) is not None


def may_propose_transfer(user, receivable) -> bool:
    """The sales dispatcher responsible for the receivable's branch proposes a 划账."""
    return acts_as(user, Role.SALES_DISPATCHER, receivable.branch)
