"""Who may do what with the parts.

- The catalogue: everyone signed in reads it (partners without the cost); the parts warehouse's
  supervisor and clerks (配件仓主管, 配件仓管员) keep it and import it.
- A warehouse's stock (receive, transfer out of it, scrap, count): the parts warehouse's staff for
  every warehouse; at a field office its supervisor and engineers (驻外客服主管, 分公司维修工程师,
  当地维修工程师) acting for that unit; at a service point its own staff; an engineer's own stock
  the engineer.
- Drawing on a warehouse (reserve, issue, release — the repairs of the next slice): whoever may
  operate it, and headquarters' repair people on the headquarters warehouse.
- Approving a count: the parts warehouse's supervisor, never the person who counted it."""

from __future__ import annotations

from network.choices import OrgKind, Role
from network.selectors import acting_units, held_roles
from network.visibility import user_org_unit

from .choices import WarehouseKind

PARTS_STAFF = frozenset({Role.PARTS_SUPERVISOR, Role.PARTS_CLERK})
FIELD_STOCK_ROLES = frozenset({Role.FIELD_CS_SUPERVISOR, Role.BRANCH_ENGINEER, Role.LOCAL_ENGINEER})
# a partner (service point, or a dealer that keeps parts) works its own unit's warehouse
POINT_STOCK_ROLES = frozenset({Role.SERVICE_POINT_STAFF, Role.DEALER_STAFF})
HQ_REPAIR_ROLES = frozenset({Role.TECHNICIAN, Role.REPAIR_SUPERVISOR})


def _superuser(user) -> bool:
    return bool(user and getattr(user, "is_superuser", False))


def is_parts_staff(user) -> bool:
    return _superuser(user) or bool(PARTS_STAFF & held_roles(user))


def may_manage_catalogue(user) -> bool:
    return is_parts_staff(user)


def may_see_cost(user) -> bool:
    """Company people see the cost; partners (dealers, service points) never."""
    if _superuser(user):
        return True
    unit = user_org_unit(user)
    return unit is not None and not unit.is_partner


def _acts_for(user, roles, unit_id: int) -> bool:
    units = acting_units(user)
    return any(unit_id in units.get(role, ()) for role in roles)


def may_operate(user, warehouse) -> bool:
    """Receive into, transfer out of, scrap from and count the warehouse."""
    if not user or not getattr(user, "is_authenticated", False) or not warehouse.is_active:
        return False
    if is_parts_staff(user):
        return True
    if warehouse.kind == WarehouseKind.ENGINEER:
        return warehouse.engineer_id == user.pk
    if warehouse.kind == WarehouseKind.FIELD_OFFICE:
        return _acts_for(user, FIELD_STOCK_ROLES, warehouse.org_unit_id)
    if warehouse.kind == WarehouseKind.SERVICE_POINT:
        return _acts_for(user, POINT_STOCK_ROLES, warehouse.org_unit_id)
    return False


def may_draw(user, warehouse) -> bool:
    """Reserve, issue and release: a repair takes parts out."""
    if may_operate(user, warehouse):
        return True
    if warehouse.kind == WarehouseKind.HQ and warehouse.is_active:
        return bool(HQ_REPAIR_ROLES & held_roles(user))
    return False


def may_operate_any(user) -> bool:
    """Whether the stock forms are offered at all (the service checks the warehouse)."""
    if is_parts_staff(user):
        return True
    roles = held_roles(user)
    return bool((FIELD_STOCK_ROLES | POINT_STOCK_ROLES) & roles) or _has_own_stock(user)


def _has_own_stock(user) -> bool:
    from .models import Warehouse

    return (
        bool(user and user.is_authenticated)
        and Warehouse.objects.filter(engineer_id=user.pk, is_active=True).exists()
    )


def may_approve_count(user, count=None) -> bool:
    if not (_superuser(user) or Role.PARTS_SUPERVISOR in held_roles(user)):
        return False
    # four eyes: who counted does not approve
    return count is None or count.counted_by_id != user.pk or _superuser(user)


def sees_hq_figures(user) -> bool:
    """Headquarters' people see the headquarters warehouse's figures; everyone else a level."""
    if _superuser(user):
        return True
    unit = user_org_unit(user)
    return unit is not None and unit.kind == OrgKind.HEADQUARTERS


# --- part requests and dealer quotes (issue 19, third slice) ---------------------------------
# Who approves a part request is the parts warehouse's supervisor (配件仓主管: seed 000 gives the
# 物料计划 to that post); a request not approved within the policy's time escalates to the same
# role (spareparts.plugin, deadline kind parts.request).
REQUEST_APPROVER_ROLES = frozenset({Role.PARTS_SUPERVISOR})


def may_request_for(user, warehouse) -> bool:
    """Ask headquarters for parts for a warehouse: whoever operates it, never for headquarters'
    own warehouses (they receive from suppliers)."""
    if warehouse.kind in (WarehouseKind.HQ, WarehouseKind.FAULTY):
        return False
    return may_operate(user, warehouse)


def may_approve_request(user) -> bool:
    return _superuser(user) or bool(REQUEST_APPROVER_ROLES & held_roles(user))


def may_ask_quote(user, dealer_unit) -> bool:
    """A dealer's own staff ask for a quote; the parts staff may enter one for any dealer."""
    if dealer_unit is None or dealer_unit.kind != OrgKind.DEALER:
        return False
    if is_parts_staff(user):
        return True
    return _acts_for(user, frozenset({Role.DEALER_STAFF}), dealer_unit.pk)


def may_answer_quote(user, quote) -> bool:
    """Accept or decline: the dealer's own staff (and the parts staff, on the dealer's word)."""
    return may_ask_quote(user, quote.dealer)


def is_dealer_staff(user) -> bool:
    return Role.DEALER_STAFF in held_roles(user)


def requestable_warehouses(user):
    """The active warehouses the user may ask headquarters' parts for, read in one query after
    the user's acting units (the list page's button and the new request's choices)."""
    from django.db.models import Q

    from .models import Warehouse

    if not user or not user.is_authenticated:
        return Warehouse.objects.none()
    units = acting_units(user)
    field = {u for role in FIELD_STOCK_ROLES for u in units.get(role, ())}
    point = {u for role in POINT_STOCK_ROLES for u in units.get(role, ())}
    return Warehouse.objects.filter(is_active=True).filter(
        Q(kind=WarehouseKind.FIELD_OFFICE, org_unit_id__in=field)
        | Q(kind=WarehouseKind.SERVICE_POINT, org_unit_id__in=point)
        | Q(kind=WarehouseKind.ENGINEER, engineer_id=user.pk)
    )
