"""What other processes call, through the platform's hook `request_callback`, to ask the call
centre for a callback (回访 within 3 working days). The promise is a timer of the deadline engine:
it warns, breaches and escalates like every other, and it moves when the calendar is edited."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from network.models import OrgUnit
from service_ops.deadlines.services import deadline_start
from service_ops.i18n import deferred
from service_ops.plugins import default_policy

from .models import CallbackRequest
from .phones import normalise_phone
from .plugin import CALLBACK_POLICY


@transaction.atomic
def request_callback(
    *,
    subject,
    purpose: str,
    contact_name: str = "",
    contact_phone: str = "",
    at=None,
    org_unit=None,
) -> CallbackRequest:
    """Idempotent per (subject, purpose): the second call returns the first request and starts
    no second timer. The timer belongs to the call centre (the root org unit) unless told."""
    at = at or timezone.now()
    request, created = CallbackRequest.objects.get_or_create(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        purpose=purpose,
        defaults={
            "contact_name": contact_name,
            "contact_phone": normalise_phone(contact_phone),
            "created_at": at,
        },
    )
    if created:
        deadline_start(
            policy=default_policy(CALLBACK_POLICY),
            owner=request,
            org_unit=org_unit or OrgUnit.objects.filter(parent__isnull=True).first(),
            started_at=at,
            label=deferred(
                gettext_noop("回访：%(purpose)s %(name)s")
                if contact_name.strip()
                else gettext_noop("回访：%(purpose)s"),
                purpose=purpose,
                name=contact_name.strip(),
            ),
        )
    return request
