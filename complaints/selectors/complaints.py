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


# --- the per-serial timeline -----------------------------------------------------------------

TIMELINE_LIMIT = 20  # newest records per source


def normal_serial(value: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", value or "").strip().upper()[:60]


def serial_timeline(user, serial: str, *, limit: int = TIMELINE_LIMIT) -> list[dict]:
    """Everything the apps know of one serial number, newest first: each app answers the
    platform's `serial_timeline` hook with its own records (calls, return applications, repair
    orders, complaints; on-site visits once field service answers too), at most `limit` each,
    scoped by what the caller may see. An answer is a dict with kind, at (an aware datetime),
    number, label, state and url."""
    from service_ops import plugins

    serial = normal_serial(serial)
    if not serial:
        return []
    items = [
        item
        for answer in plugins.call_hook("serial_timeline", serial=serial, user=user, limit=limit)
        for item in (answer or ())
        if isinstance(item, dict) and item.get("at") is not None
    ]
    items.sort(key=lambda item: item["at"], reverse=True)
    return items


# --- the partner API ----------------------------------------------------------------------------


def open_stages_of(complaint_ids) -> dict[int, list[Deadline]]:
    """The open stage timers of the given complaints, earliest due first, by complaint id: one
    query whatever the number of complaints (the partial open-owner index answers it)."""
    found: dict[int, list[Deadline]] = {pk: [] for pk in complaint_ids}
    if not found:
        return found
    timers = Deadline.objects.filter(
        owner_type=ContentType.objects.get_for_model(Complaint),
        owner_id__in=list(found),
        kind=STAGE_KIND,
        status__in=OPEN_STATUSES,
    ).order_by("due_at", "pk")
    for timer in timers:
        found[timer.owner_id].append(timer)
    return found


def current_stage(timers: list[Deadline]) -> Deadline | None:
    """The stage the complaint waits on now: the earliest due running (or breached) timer; a
    paused one (the solution clock while the approvers or the customer hold the ball) only when
    nothing else runs."""
    running = [t for t in timers if t.status != "paused"]
    return (running or timers or [None])[0]
