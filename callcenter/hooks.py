"""What other processes call, through the platform's hook `request_callback`, to ask the call
centre for a callback (回访 within 3 working days). The promise is a timer of the deadline engine:
it warns, breaches and escalates like every other, and it moves when the calendar is edited. The
callback itself is a worked task (callcenter.services.callbacks)."""

from datetime import time

from django.db import transaction

from .models import CallbackRequest


@transaction.atomic
def request_callback(
    *,
    subject,
    purpose: str,
    contact_name: str = "",
    contact_phone: str = "",
    at=None,
    org_unit=None,
    preferred_from: time | None = None,
    preferred_to: time | None = None,
) -> CallbackRequest:
    """Idempotent per (subject, purpose): the second call returns the first request and starts
    no second timer. The timer belongs to the call centre (the root org unit) unless `org_unit`
    says otherwise; the task counts for the subject's department (its branch) in the reports.
    `preferred_from`/`preferred_to`: the time of day the customer said suits them, if asked."""
    from .services.callbacks import callback_create

    task, _created = callback_create(
        subject=subject,
        purpose=purpose,
        contact_name=contact_name,
        contact_phone=contact_phone,
        at=at,
        timer_org_unit=org_unit,
        org_unit=None,
        preferred_from=preferred_from,
        preferred_to=preferred_to,
    )
    return task
