"""Reading complaints, always scoped by the caller's visibility (Complaint.objects.visible_to)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Subquery

from service_ops.deadlines.models import OPEN_STATUSES, Deadline

from ..choices import ComplaintState, Severity
from ..models import Complaint
from ..plugin import STAGE_KIND

S = ComplaintState
VIEWS = ("open", "mine", "escalated", "closed")


def _next_due():
    return Subquery(
        Deadline.objects.filter(
            owner_type=ContentType.objects.get_for_model(Complaint),
            owner_id=OuterRef("pk"),
            kind=STAGE_KIND,
            status__in=OPEN_STATUSES,
        )
        .order_by("due_at")
        .values("due_at")[:1]
    )


def desk_list(user, *, view: str = "", severity: str = ""):
    """The desk's keyset list: newest first, filtered by view and severity."""
    qs = Complaint.objects.visible_to(user).select_related("handler", "org_unit")
    if view == "open":
        qs = qs.open()
    elif view == "mine":
        qs = qs.open().filter(handler=user)
    elif view == "escalated":
        qs = qs.open().filter(escalation_level__gt=0)
    elif view == "closed":
        qs = qs.filter(state__in=[S.CLOSED, S.INVALID])
    if severity in Severity.values:
        qs = qs.filter(severity=severity)
    return qs


def my_by_time_left(user, *, limit: int = 20) -> list[Complaint]:
    """My open complaints, the one whose next stage limit comes first on top (one query)."""
    return list(
        Complaint.objects.visible_to(user)
        .open()
        .filter(handler=user)
        .annotate(next_due=_next_due())
        .order_by("next_due", "pk")[:limit]
    )


def unassigned(user, *, limit: int = 20) -> list[Complaint]:
    return list(
        Complaint.objects.visible_to(user)
        .open()
        .filter(handler__isnull=True)
        .annotate(next_due=_next_due())
        .order_by("next_due", "pk")[:limit]
    )


def complaint_for(user, pk: int) -> Complaint | None:
    return (
        Complaint.objects.visible_to(user)
        .select_related(
            "customer",
            "complainant_unit",
            "org_unit",
            "handler",
            "accepted_by",
            "responsible_unit",
            "responsible_person",
            "chosen_option",
        )
        .filter(pk=pk)
        .first()
    )


def page_parts(complaint: Complaint) -> dict:
    """What the complaint page shows beside the record: a constant number of queries."""
    timers = list(
        Deadline.objects.filter(
            owner_type=ContentType.objects.get_for_model(Complaint),
            owner_id=complaint.pk,
            kind=STAGE_KIND,
        )
        .exclude(status="cancelled")
        .select_related("assignee")
        .order_by("started_at", "pk")
    )
    return {
        "timers": timers,
        "options": list(complaint.options.select_related("created_by")),
        "approvals": list(complaint.approvals.select_related("actor", "option")),
        "actions": list(complaint.actions.select_related("actor")),
        "attachments": list(complaint.attachments.all()),
    }
