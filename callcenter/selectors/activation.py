from network.choices import Role
from network.selectors import roles_of
from network.visibility import scope_by_org

from ..choices import ActivationOutcome
from ..models import ActivationQuery

# 网点专员 follow the service points' queries and top-ups; the head of customer service oversees.
VIEWER_ROLES = frozenset({Role.NETWORK_SPECIALIST, Role.HEAD_OF_CS})


def may_view_activation_queries(user) -> bool:
    if not user or not user.is_authenticated:
        return False
    return user.is_superuser or bool(VIEWER_ROLES & roles_of(user))


def activation_queries_visible_to(user, *, outcome: str = ""):
    """Newest first, scoped by the sender's unit (an unknown sender's query has none: seen only by
    those who see everything)."""
    qs = scope_by_org(ActivationQuery.objects.select_related("sender"), user, "sender")
    if outcome in ActivationOutcome.values:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-id")
