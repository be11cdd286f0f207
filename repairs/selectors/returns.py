"""Reads of return applications: lists, signature queues, progress, the clerk's board, the
year-end ranking of returned units."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.selectors import annotate_time_left
from service_ops.workcalendar import clock

from ..choices import ApplicationState, Platform, StepState
from ..models import (
    ApprovalChainTemplate,
    ApprovalStep,
    Discrepancy,
    ReceivedUnit,
    ReturnApplication,
    ReturnLine,
    ReturnPolicy,
    UnauthorisedArrival,
)


def application_list(user, *, filters: dict | None = None) -> QuerySet:
    """Applications the user may see, with what a list row shows in a constant number of
    queries (branch, dealer, applicant joined; line count and overdue flag annotated)."""
    qs = (
        ReturnApplication.objects.visible_to(user)
        .select_related("branch", "dealer", "applicant", "applicant_unit")
        .annotate(
            # per shown row (a subquery), not a GROUP BY over every visible application
            unit_count=Coalesce(
                Subquery(
                    ReturnLine.objects.filter(application=OuterRef("pk"))
                    .order_by()
                    .values("application")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
            overdue=Exists(
                Deadline.objects.filter(
                    owner_type__app_label="repairs",
                    owner_type__model="approvalstep",
                    owner_id__in=ApprovalStep.objects.filter(
                        application=OuterRef(OuterRef("pk"))
                    ).values("pk"),
                    status=DeadlineStatus.BREACHED,
                )
            ),
        )
    )
    return qs


def signature_queue(user) -> QuerySet:
    """Pending steps the user may sign now: exactly those where network.selectors.acts_as would
    allow it (the nearest holder of the step's role, or an active deputy of that holder), one
    query (ApprovalStep.objects.signable_by, the same rule visible_to uses)."""
    return (
        ApprovalStep.objects.signable_by(user)
        .select_related(
            "application__branch", "application__dealer", "application__applicant", "org_unit"
        )
        .order_by("application__submitted_at", "pk")
    )


def step_deadlines(steps) -> dict[int, Deadline]:
    """Open deadline per step id, one query."""
    return step_deadlines_by_id([s.pk for s in steps])


def step_deadlines_by_id(ids) -> dict[int, Deadline]:
    from django.contrib.contenttypes.models import ContentType

    qs = Deadline.objects.filter(
        owner_type=ContentType.objects.get_for_model(ApprovalStep),
        owner_id__in=ids,
        status__in=[DeadlineStatus.RUNNING, DeadlineStatus.PAUSED, DeadlineStatus.BREACHED],
    )
    return {d.owner_id: d for d in qs}


@dataclass
class RankingRow:
    unit: OrgUnit
    units: int
    rank: int  # 1 + the number of units with more: units tied share a rank ("1, 2, 2, 4")
    flagged: bool  # rank within the policy's top N: every unit tied at the cut-off is flagged
    tied: bool = False
    arrivals: int = 0  # units that came without an approved application (refused), beside


RANKING_CACHE_SECONDS = 600  # tests/conftest.py sets 0 (each test's data is its own)


def year_end_ranking(year: int) -> dict:
    """year_end_ranking_now, remembered for RANKING_CACHE_SECONDS until the next receipt: it
    counts a whole year of received units (a million rows at a large department's volume,
    ~0.4 s). The result says when it was counted (`as_of`)."""
    if RANKING_CACHE_SECONDS <= 0:
        return {**year_end_ranking_now(year), "as_of": timezone.now()}
    latest = ReceivedUnit.objects.aggregate(latest=Max("pk"))["latest"]  # a new receipt recounts
    key = f"repairs:ranking:{year}:{ReturnPolicy.current().pk}:{latest}"
    data = cache.get(key)
    if data is None:
        data = {**year_end_ranking_now(year), "as_of": timezone.now()}
        cache.set(key, data, RANKING_CACHE_SECONDS)
    return data


def rank_units(counter: Counter, units: dict, top: int, refused: Counter) -> list[RankingRow]:
    """Rows by units, most first (then by code): units tied share the rank of the first of them,
    and the top N flags every unit whose rank is within N, so a tie at the cut-off flags all of
    the tied ones (the flags feed bonuses and credit terms: none may be dropped by chance)."""
    counts = Counter(counter.values())
    ordered = sorted(counter.items(), key=lambda item: (-item[1], units[item[0]].code))
    rows, rank_of = [], {}
    for position, (pk, n) in enumerate(ordered, start=1):
        rank_ = rank_of.setdefault(n, position)  # the first position of its count
        rows.append(
            RankingRow(
                unit=units[pk],
                units=n,
                rank=rank_,
                flagged=rank_ <= top,
                tied=counts[n] > 1,
                arrivals=refused.get(pk, 0),
            )
        )
    return rows


def year_end_ranking_now(year: int) -> dict[str, list[RankingRow]]:
    """Returned units received in `year`: provinces ranked on the managed platform (top N lose
    credit terms), branches on the operating platform (top N: branch manager's bonus withheld).
    The system ranks and flags; people decide the money."""
    policy = ReturnPolicy.current()
    counts = (
        ReceivedUnit.objects.filter(received_at__year=year)
        .values("application__branch_id", "application__platform")
        .annotate(n=Count("id"))
    )
    branch_ids = {row["application__branch_id"] for row in counts}
    branches = OrgUnit.objects.in_bulk(branch_ids)
    province_of = {}
    ancestor_ids = {i for b in branches.values() for i in b.ancestor_ids()}
    provinces = {
        u.pk: u for u in OrgUnit.objects.filter(pk__in=ancestor_ids, kind=OrgKind.PROVINCE)
    }
    for b in branches.values():
        province_of[b.pk] = next((provinces[i] for i in b.ancestor_ids() if i in provinces), None)
    by_branch: Counter = Counter()
    by_province: Counter = Counter()
    for row in counts:
        branch = branches[row["application__branch_id"]]
        if row["application__platform"] == Platform.OPERATING:
            by_branch[branch.pk] += row["n"]
        elif province_of.get(branch.pk):
            by_province[province_of[branch.pk].pk] += row["n"]

    arrivals_by_branch: Counter = Counter()
    arrivals_by_province: Counter = Counter()
    arrivals = (
        UnauthorisedArrival.objects.filter(arrived_at__year=year)
        .values("branch_id", "platform")
        .annotate(n=Sum("units"))
    )
    for row in arrivals:
        if row["platform"] == Platform.OPERATING:
            arrivals_by_branch[row["branch_id"]] += row["n"]
        elif (branch := branches.get(row["branch_id"])) and province_of.get(branch.pk):
            arrivals_by_province[province_of[branch.pk].pk] += row["n"]

    return {
        "provinces": rank_units(
            by_province, provinces, policy.province_ranking_top, arrivals_by_province
        ),
        "branches": rank_units(by_branch, branches, policy.branch_ranking_top, arrivals_by_branch),
    }


OPEN_STATES = [
    ApplicationState.IN_APPROVAL,
    ApplicationState.APPROVED,
    ApplicationState.PICKUP_BOOKED,
    ApplicationState.PICKED_UP,
]


# --- pages of the return screens (moved from views: reads live here) ---------------------------
BOARD_LIMIT = 15  # rows a logistics column draws; the return list has the rest
BOARD_COLUMNS = (
    (ApplicationState.APPROVED, gettext_lazy("已批准，待约提货")),
    (ApplicationState.PICKUP_BOOKED, gettext_lazy("已约提货，待提货清点")),
    (ApplicationState.PICKED_UP, gettext_lazy("已提货，待收货")),
    (ApplicationState.RECEIVED, gettext_lazy("已收货，待关闭")),
)


def with_time_left(deadlines) -> None:
    """Attach the time left to each open deadline under one calendar version check."""
    now = timezone.now()
    with clock.pinned():
        for deadline in deadlines:
            if deadline is not None:
                annotate_time_left(deadline, now)


@dataclass
class Progress:
    """The approval chain of the current submission round: step k of n."""

    steps: list
    pending: ApprovalStep | None

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def signed(self) -> int:
        return sum(1 for s in self.steps if s.state == StepState.APPROVED)

    @property
    def position(self) -> int:
        return self.pending.position if self.pending else self.signed

    @property
    def percent(self) -> int:
        return round(100 * self.signed / self.total) if self.total else 0


def application_steps(application: ReturnApplication) -> tuple[Progress, list[tuple[int, list]]]:
    """(progress of the current round with each open step's deadline, earlier rounds newest
    first), in two queries."""
    steps = list(
        application.steps.select_related("decided_by", "org_unit").order_by("-round", "position")
    )
    current = [s for s in steps if s.round == application.round]
    deadlines = step_deadlines([s for s in current if s.state == StepState.PENDING])
    with_time_left(deadlines.values())
    for step in current:
        step.deadline = deadlines.get(step.pk)
    pending = next((s for s in current if s.state == StepState.PENDING), None)
    earlier: dict[int, list] = {}
    for step in steps:
        if step.round != application.round:
            earlier.setdefault(step.round, []).append(step)
    return Progress(steps=current, pending=pending), sorted(earlier.items(), reverse=True)


def chain_template_steps(application: ReturnApplication):
    template = ApprovalChainTemplate.objects.filter(platform=application.platform).first()
    return list(template.steps.order_by("position")) if template else []


def logistics_board(user) -> list[dict]:
    """The clerk's columns with their counts; each column lists its oldest BOARD_LIMIT rows."""
    counts = dict(
        ReturnApplication.objects.visible_to(user)
        .filter(state__in=[state for state, _label in BOARD_COLUMNS])
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    discrepancies = (
        Discrepancy.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # per shown row (subqueries), not a GROUP BY over the whole column
    line_quantities = (
        ReturnLine.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    columns = []
    for state, label in BOARD_COLUMNS:
        rows = (
            application_list(user)
            .filter(state=state)
            .annotate(
                units=Coalesce(Subquery(line_quantities), 0),
                discrepancy_count=Coalesce(Subquery(discrepancies), 0),
            )
            .order_by("approved_at", "pk")[:BOARD_LIMIT]
        )
        columns.append(
            {"state": state, "label": label, "count": counts.get(state, 0), "rows": rows}
        )
    return columns
