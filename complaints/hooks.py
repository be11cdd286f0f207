"""What other apps call, through the platform's hook `open_complaint`: the call centre's inbound
call form hands a complaint over to the complaint team (and gets the created complaint back)."""

from __future__ import annotations

from django.db import transaction

from .choices import Category, Channel
from .models import Complaint
from .services.complaints import create_complaint


@transaction.atomic
def open_complaint(
    *,
    customer_id=None,
    phone: str = "",
    name: str = "",
    serial: str = "",
    product_model: str = "",
    content: str = "",
    channel: str = Channel.CALL,
    source=None,
    actor=None,
    category: str = Category.OTHER,
) -> Complaint:
    """Accept a complaint for the caller (a Customer by id, or a name and phone). `source` is the
    object it came from (a call): its reference is kept on the complaint. The category defaults
    to 其他 until the handler judges it; the filer's permission is the caller's business (an
    agent on a call may always hand a complaint over)."""
    from callcenter.models import Customer

    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    call_ref = ""
    if source is not None:
        call_ref = str(getattr(source, "number", "") or f"{source._meta.model_name}:{source.pk}")
    return create_complaint(
        actor=actor,
        customer=customer,
        complainant_name=(name or (customer.name if customer else "")).strip() or phone,
        complainant_phone=phone or (customer.phone if customer else ""),
        serial_number=serial,
        product_model=product_model,
        content=content,
        category=category if category in Category.values else Category.OTHER,
        channel=channel if channel in Channel.values else Channel.CALL,
        call_ref=call_ref[:40],
        check_permission=False,
    )


# How many of a serial's newest complaints the index lookup brings before the visibility filter.
CANDIDATES = 200


def _serial_ids(serial: str) -> list[int]:
    """The newest complaints of a serial (upper-cased), by the UPPER(serial_number) index alone:
    the visibility rule narrows these few ids afterwards (OR-ing it into the same filter with
    ORDER BY -id LIMIT makes PostgreSQL walk the whole table backwards)."""
    from django.db.models.functions import Upper

    return list(
        Complaint.objects.annotate(s=Upper("serial_number"))
        .filter(s=serial)
        .order_by("-id")
        .values_list("pk", flat=True)[:CANDIDATES]
    )


def serial_timeline(*, serial: str, user, limit: int = 20, **_ignored):
    """The complaints about one serial number (the `serial_timeline` hook), as the caller may see
    them (a dealer only those it filed), newest first, at most `limit`."""
    from django.utils.text import Truncator
    from django.utils.translation import gettext as _

    if not serial or user is None:
        return []
    ids = _serial_ids(serial)
    if not ids:
        return []
    found = Complaint.objects.visible_to(user).filter(pk__in=ids).order_by("-id")[:limit]
    return [
        {
            "kind": _("客诉"),
            "at": c.accepted_at,
            "number": c.number,
            "label": f"{c.get_category_display()}：{Truncator(c.content).chars(80)}",
            "state": c.get_state_display(),
            "url": c.get_absolute_url(),
            "escalation_level": c.escalation_level,
        }
        for c in found
    ]


def caller_history(*, serial: str = "", limit: int = 8, user=None, **_ignored):
    """The call centre's desk asks what complaints knows of a caller: the serial's complaints as
    the agent may see them, and a link to the serial's whole timeline (calls, returns, repairs,
    complaints, visits) when the agent may open it."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from . import permissions as perms

    if not serial or user is None or not perms.may_use_desk(user):
        return []
    items = [
        {
            "kind": _("设备时间线"),
            "number": serial,
            "label": _("来电、返厂、维修、客诉、上门记录"),
            "url": reverse("complaints:serial_timeline", args=[serial]),
        }
    ]
    for item in serial_timeline(serial=serial, user=user, limit=limit):
        at = item.pop("at")
        items.append({**item, "date": timezone.localdate(at).isoformat()})
    return items


def service_point_facts(*, unit_ids, start, end, **_ignored):
    """The network's evaluation (考核) asks how many complaints were held against some service
    points in [start, end): {unit_id: {"complaints_against": n}}. A complaint is against a point
    when its investigation named the point the responsible unit (责任部门); one judged invalid
    (不成立) does not count. Complaints a point filed itself (complainant_unit) are not against
    it."""
    from django.db.models import Count

    from .choices import ComplaintState

    ids = [int(pk) for pk in unit_ids]
    if not ids:
        return {}
    rows = (
        Complaint.objects.filter(
            responsible_unit_id__in=ids, accepted_at__gte=start, accepted_at__lt=end
        )
        .exclude(state=ComplaintState.INVALID)
        .values("responsible_unit_id")
        .annotate(n=Count("pk"))
    )
    return {r["responsible_unit_id"]: {"complaints_against": r["n"]} for r in rows}


def person_complaints(*, person_ids, start, end, user=None, **_ignored):
    """Another app's evaluation of people (the technicians' monthly evaluation) asks how many
    complaints named some people the responsible person (责任人) in [start, end), by the month
    they were accepted: {(person_id, first day of the month): n}. Invalid complaints (不成立)
    do not count; with `user`, only the complaints that user may see."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from service_ops.workcalendar import clock

    from .choices import ComplaintState

    ids = [int(pk) for pk in person_ids]
    if not ids:
        return {}
    qs = Complaint.objects.visible_to(user) if user is not None else Complaint.objects.all()
    rows = (
        qs.filter(responsible_person_id__in=ids, accepted_at__gte=start, accepted_at__lt=end)
        .exclude(state=ComplaintState.INVALID)
        .annotate(m=TruncMonth("accepted_at"))
        .values("responsible_person_id", "m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out = {}
    for r in rows:
        m = r["m"]
        month = (clock.local_date(m) if hasattr(m, "tzinfo") and m.tzinfo else m).replace(day=1)
        if hasattr(month, "date"):
            month = month.date()
        out[(r["responsible_person_id"], month)] = r["n"]
    return out


def penalty_summary(*, user, start, end, **_ignored):
    """Another app's penalty report asks what complaints' penalties were proposed in
    [start, end) as `user` may see them, by the month proposed: a list of {month (first day),
    proposed, confirmed, waived, pending, money_confirmed (the confirmed fines and bonus
    deductions, 元)}. Complaints' penalties are not paid into the repairs happy fund."""
    from decimal import Decimal

    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncMonth

    from service_ops.workcalendar import clock

    from .choices import MONEY_KINDS, PenaltyState
    from .models import ComplaintPenalty

    rows = (
        ComplaintPenalty.objects.visible_to(user)
        .filter(proposed_at__gte=start, proposed_at__lt=end)
        .annotate(m=TruncMonth("proposed_at"))
        .values("m")
        .annotate(
            proposed=Count("pk"),
            confirmed=Count("pk", filter=Q(state=PenaltyState.CONFIRMED)),
            waived=Count("pk", filter=Q(state=PenaltyState.WAIVED)),
            pending=Count("pk", filter=Q(state=PenaltyState.PROPOSED)),
            money_confirmed=Sum(
                "amount", filter=Q(state=PenaltyState.CONFIRMED, kind__in=sorted(MONEY_KINDS))
            ),
        )
        .order_by()
    )
    out = []
    for r in rows:
        m = r.pop("m")
        month = (clock.local_date(m) if hasattr(m, "tzinfo") and m.tzinfo else m).replace(day=1)
        if hasattr(month, "date"):
            month = month.date()
        out.append({**r, "month": month, "money_confirmed": r["money_confirmed"] or Decimal("0")})
    return out
