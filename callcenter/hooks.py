"""What other processes call to ask the call centre for a callback (回访 within 3 working days)."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from service_ops.workcalendar.clock import add_working_days

from .models import CallbackRequest

CALLBACK_WITHIN_WORKING_DAYS = 3


def request_callback(
    *, subject, purpose: str, contact_name: str = "", contact_phone: str = "", at=None
) -> CallbackRequest:
    """Idempotent per (subject, purpose)."""
    at = at or timezone.now()
    request, _created = CallbackRequest.objects.get_or_create(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        purpose=purpose,
        defaults={
            "contact_name": contact_name,
            "contact_phone": contact_phone,
            "due_at": add_working_days(at, CALLBACK_WITHIN_WORKING_DAYS),
        },
    )
    return request
