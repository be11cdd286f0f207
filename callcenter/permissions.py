"""Who may do what in the call centre's activation-code pages (激活码查询, 登记号码, 激活码库,
预存款充值): the network specialist (网点专员) runs them, the head of customer service oversees."""

from network.choices import OrgKind, Role
from network.selectors import roles_of
from network.visibility import user_org_unit

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
