"""Who is on shift (排班, seed 004): the call centre hands callbacks and follow-ups to the agents
on shift at the moment, evenly.

PROVISIONAL: until the roster lands (issue 17 item 5), every active call agent counts as on
shift. The roster replaces the body of `agents_on_shift`; its callers do not change."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from network.choices import Role


def agents_on_shift(at: datetime | None = None):
    """The call agents working at `at` (default now), as a User queryset ordered by id."""
    at = at or timezone.now()
    return (
        get_user_model()
        .objects.filter(is_active=True, role_assignments__role=Role.CALL_AGENT)
        .distinct()
        .order_by("id")
    )
