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
    limit_working_days: int | None = None,
) -> CallbackRequest:
    """Idempotent per (subject, purpose): the second call returns the first request and starts
    no second timer. The timer belongs to the call centre (the root org unit) unless `org_unit`
    says otherwise; the task counts for the subject's department (its branch) in the reports.
    `preferred_from`/`preferred_to`: the time of day the customer said suits them, if asked.
    `limit_working_days`: the asking process's own callback limit (else the policy's 3).

    When the task closes, the asking app hears the verdict through the hook
    `callback_verdict(subject=…, verdict="satisfied" | "dissatisfied" | "unreached", task=…)`
    (callcenter.services.callbacks.tell_verdict)."""
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
        limit_working_days=limit_working_days,
    )
    return task


# How many of a serial's newest calls the index lookup brings before the visibility filter.
SERIAL_CANDIDATES = 200


def serial_timeline(*, serial: str, user, limit: int = 20, **_ignored):
    """The calls about one serial number, for the per-serial timeline (the `serial_timeline`
    hook), as the caller may see them (partners see no call), newest first, at most `limit`.
    Calls store the serial in its normal form (upper case): the plain serial_number index
    finds the candidates first, then the visibility rule narrows them."""
    from django.utils.text import Truncator
    from django.utils.translation import gettext as _

    from .models import InboundCall
    from .models.activation import normalise_serial

    serial = normalise_serial(serial)
    if not serial or user is None:
        return []
    ids = list(
        InboundCall.objects.filter(serial_number=serial)
        .order_by("-id")
        .values_list("pk", flat=True)[:SERIAL_CANDIDATES]
    )
    if not ids:
        return []
    calls = InboundCall.objects.visible_to(user).filter(pk__in=ids).order_by("-id")[:limit]
    return [
        {
            "kind": _("来电"),
            "at": call.ended_at,
            "number": call.number,
            "label": f"{call.get_category_display()}：{Truncator(call.summary).chars(80)}",
            "state": call.get_outcome_display(),
            "url": call.get_absolute_url(),
        }
        for call in calls
    ]


def callback_outcomes(*, model, **_ignored):
    """Another app's report asks how the callbacks on its records ended (hook
    `callback_outcomes`): the callback tasks whose subject is a `model` row (a supervisor's list
    and the second callback after dissatisfaction left out), each with `subject_id` and
    `verdict`: "satisfied" or "dissatisfied" (reached, a valid answer, by the rules' threshold),
    "invalid" (reached, the answer not valid), "unreached" (given up), "open" (still to call) or
    "cancelled" (skipped, cancelled). A lazy queryset: the asking app uses it as a subquery on
    `subject_id` and counts in its own query."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Case, CharField, Q, Value, When

    from .choices import CallbackPurpose, CallbackState
    from .models import CallbackRules

    threshold = CallbackRules.current().dissatisfied_at_most
    done = Q(state=CallbackState.DONE)
    valid = done & Q(is_valid=True, satisfaction__isnull=False)
    return (
        CallbackRequest.objects.filter(subject_type=ContentType.objects.get_for_model(model))
        .exclude(purpose__in=[CallbackPurpose.SUPERVISOR_LIST, CallbackPurpose.DISSATISFIED])
        .annotate(
            verdict=Case(
                When(valid & Q(satisfaction__gt=threshold), then=Value("satisfied")),
                When(valid, then=Value("dissatisfied")),
                When(done, then=Value("invalid")),
                When(state=CallbackState.UNREACHED, then=Value("unreached")),
                When(state=CallbackState.CANCELLED, then=Value("cancelled")),
                default=Value("open"),
                output_field=CharField(),
            )
        )
    )
