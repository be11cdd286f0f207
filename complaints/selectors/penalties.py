"""Reading penalties: the ledger list with its filters, one person's ledger with its totals per
year, and the head of customer service's pending decisions in 我的工作. Always scoped by
ComplaintPenalty.objects.visible_to(user)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from service_ops.reversing import reverse_id
from service_ops.work import WorkItem
from service_ops.workcalendar.clock import ZONE

from .. import permissions as perms
from ..choices import MONEY_KINDS, PenaltyCapacity, PenaltyKind, PenaltyState
from ..models import ComplaintPenalty

P = PenaltyState
RELATED = ("complaint", "person", "person_unit", "manager", "decided_by")


def penalties(user):
    return ComplaintPenalty.objects.visible_to(user).select_related(*RELATED)


def parse_month(value: str) -> date | None:
    try:
        return datetime.strptime((value or "").strip(), "%Y-%m").date()
    except ValueError:
        return None


def month_range(month: date) -> tuple[datetime, datetime]:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return datetime.combine(month, time(0), tzinfo=ZONE), datetime.combine(nxt, time(0), ZONE)


def penalty_list(user, *, person_id=None, unit_id=None, state: str = "", month: date | None = None):
    """The ledger list (台账): newest first, filtered by person, the person's unit, state and the
    month the penalty was proposed in."""
    qs = penalties(user)
    if person_id:
        qs = qs.filter(person_id=person_id)
    if unit_id:
        qs = qs.filter(person_unit_id=unit_id)
    if state in P.values:
        qs = qs.filter(state=state)
    if month is not None:
        start, end = month_range(month)
        qs = qs.filter(proposed_at__gte=start, proposed_at__lt=end)
    return qs


def may_see_ledger(user, person) -> bool:
    return bool(user and user.is_authenticated) and (
        user.pk == person.pk or perms.may_read_ledgers(user)
    )


@dataclass
class YearTotal:
    year: int
    confirmed_amount: Decimal
    pending_amount: Decimal
    waived_amount: Decimal
    confirmed: int
    pending: int
    waived: int
    administrative: int  # confirmed administrative penalties (警告、记过、降职、解雇)


def ledger_totals(rows) -> list[YearTotal]:
    """Per year of proposal, newest first: the money confirmed, pending and waived, and the
    counts. One query."""
    money = Q(kind__in=sorted(MONEY_KINDS))
    found = (
        rows.order_by()
        .annotate(year=ExtractYear("proposed_at"))
        .values("year")
        .annotate(
            confirmed_amount=Sum("amount", filter=Q(state=P.CONFIRMED) & money),
            pending_amount=Sum("amount", filter=Q(state=P.PROPOSED) & money),
            waived_amount=Sum("amount", filter=Q(state=P.WAIVED) & money),
            confirmed=Count("id", filter=Q(state=P.CONFIRMED)),
            pending=Count("id", filter=Q(state=P.PROPOSED)),
            waived=Count("id", filter=Q(state=P.WAIVED)),
            administrative=Count("id", filter=Q(state=P.CONFIRMED) & ~money),
        )
        .order_by("-year")
    )
    zero = Decimal("0.00")
    return [
        YearTotal(
            year=r["year"],
            confirmed_amount=r["confirmed_amount"] or zero,
            pending_amount=r["pending_amount"] or zero,
            waived_amount=r["waived_amount"] or zero,
            confirmed=r["confirmed"],
            pending=r["pending"],
            waived=r["waived"],
            administrative=r["administrative"],
        )
        for r in found
    ]


def penalty_for(user, pk: int) -> ComplaintPenalty | None:
    return (
        penalties(user).select_related("complaint__org_unit", "proposed_by").filter(pk=pk).first()
    )


def penalties_of_complaint(user, complaint) -> list[ComplaintPenalty]:
    return list(penalties(user).filter(complaint=complaint).order_by("id"))


class PenaltyDecisionProvider:
    """我的工作: penalties waiting for the head of customer service's decision, oldest first."""

    name = "complaints.penalties"
    label = gettext_lazy("客诉处罚待确认")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not perms.may_decide_penalty(user):
            return []
        rows = (
            ComplaintPenalty.objects.visible_to(user)
            .filter(state=P.PROPOSED)
            .select_related("complaint", "person")
            .order_by("proposed_at", "pk")[:limit]
        )
        # labels and the sentence translated once, not per row (a page lists up to `limit`)
        what = _("客诉 %(no)s：%(who)s（%(capacity)s）%(kind)s，确认或免除")
        capacities = {key: str(label) for key, label in PenaltyCapacity.choices}
        kinds = {key: str(label) for key, label in PenaltyKind.choices}
        return [
            WorkItem(
                key=f"complaints.penalty:{p.pk}",
                kind=self.name,
                kind_label=self.label,
                what=what
                % {
                    "no": p.complaint.number,
                    "who": p.person.get_full_name() or p.person.username,
                    "capacity": capacities.get(p.capacity, p.capacity),
                    "kind": kinds.get(p.kind, p.kind),
                },
                url=reverse_id("complaints:penalty_detail", p.pk),
                since=p.proposed_at,
            )
            for p in rows
        ]
