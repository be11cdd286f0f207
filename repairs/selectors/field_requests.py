"""Reads of field service's front half (issue 20 items 1–5): the installed base, service requests
and their dispatch offers, always scoped by the viewer; the dispatch rules' candidates; the
unit's timeline; and the 我的工作 providers of the dispatcher and of the people who answer offers.

The dispatch rule is data: the service areas (network.ServiceArea) and the service point
profiles (network.ServicePointProfile). A unit is a candidate for a request when it is active
(never suspended, terminated or still onboarding), one of its areas covers the address, its
skills include the request's category (no skills listed: every category) and its product models
the unit's model (none listed: every model), and it has not declined or let lapse an offer of this
request. Candidates are ranked, best first, by:

1. under capacity before at or over it (open work = accepted or on-site requests + open offers);
2. the unit that served this installed unit last;
3. how closely an area covers the address: district, then city, then province;
4. grade, A first;
5. the lower share of its capacity in use;
6. the older unit (its id), so the order is stable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Upper
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import PointStatus, Role
from network.models import ServiceArea, ServicePointProfile
from network.visibility import sees_everything, user_org_unit
from service_ops.work import WorkItem

from ..choices import DispatchState, ServiceCategory, ServiceRequestState
from ..models import Dispatch, InstalledUnit, ServiceRequest, Visit
from ..permissions import FIELD_ANSWER_ROLES, has_role, may_dispatch

R = ServiceRequestState
D = DispatchState
GRADE_RANK = {"A": 0, "B": 1, "C": 2, "D": 3}
BUSY_STATES = (R.ACCEPTED, R.ON_SITE)
SOON = timedelta(minutes=30)  # an offer this close to its limit is "about to expire"


# --- the installed base ------------------------------------------------------------------------


def installed_units(
    user,
    *,
    serial: str = "",
    model: str = "",
    dealer_id: int | None = None,
    org_unit_id: int | None = None,
    warranty: str = "",
    today=None,
) -> QuerySet:
    """The units the user may see, filtered. `warranty`: "in" or "out" (by the purchase date and
    the months of warranty: a unit without a purchase date is neither)."""
    qs = InstalledUnit.objects.visible_to(user).select_related("dealer", "org_unit")
    serial = (serial or "").strip().upper()
    if serial:
        qs = qs.filter(serial_number__startswith=serial)
    model = (model or "").strip()
    if model:
        qs = qs.annotate(m=Upper("product_model")).filter(m__startswith=model.upper())
    if dealer_id:
        qs = qs.filter(dealer_id=dealer_id)
    if org_unit_id:
        qs = qs.filter(org_unit_id=org_unit_id)
    if warranty in ("in", "out"):
        qs = _by_warranty(qs, warranty == "in", today)
    return qs


def _by_warranty(qs: QuerySet, inside: bool, today=None) -> QuerySet:
    """In warranty on `today`: purchase_date + warranty_months months > today. Said in SQL
    without the months arithmetic per row: bought after (today − months) for each months value
    present (a handful: 12, 24, 36…)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    q = Q()
    for months in (
        InstalledUnit.objects.order_by().values_list("warranty_months", flat=True).distinct()
    ):
        total = today.year * 12 + (today.month - 1) - months
        year, month = divmod(total, 12)
        day = min(today.day, 28)
        # warranty_until = purchase + months − 1 day (day capped at 28) ≥ today
        since = today.replace(year=year, month=month + 1, day=day)
        q |= Q(warranty_months=months, purchase_date__gt=since - timedelta(days=1))
    inside_q = Q(purchase_date__isnull=False) & q if q else Q(pk__in=[])
    return qs.filter(inside_q) if inside else qs.filter(purchase_date__isnull=False).exclude(q)


def unit_timeline(user, unit: InstalledUnit, *, limit: int = 20) -> list[dict]:
    """Everything the apps know of this unit's serial (the platform's `serial_timeline` hook:
    calls, return applications, repair orders, complaints, service requests and visits), as the
    viewer may see it, newest first."""
    from service_ops import plugins

    items = [
        item
        for answer in plugins.call_hook(
            "serial_timeline", serial=unit.serial_number.upper(), user=user, limit=limit
        )
        for item in (answer or ())
        if isinstance(item, dict) and item.get("at") is not None
    ]
    items.sort(key=lambda item: item["at"], reverse=True)
    return items


# --- service requests and offers ---------------------------------------------------------------


def _with_own(qs: QuerySet, user, own_q: Q) -> QuerySet:
    """A visible_to queryset widened by the rows that name the user themselves (the engineer an
    offer or a request names, who may sit in a unit outside the request's owner). Whoever sees
    every row has nothing to add: `pk IN (every row)` made PostgreSQL read the whole table."""
    if sees_everything(user):
        return qs
    return qs.model.objects.filter(Q(pk__in=qs.values("pk")) | own_q)


def service_requests(
    user,
    *,
    state: str = "",
    category: str = "",
    serial: str = "",
    number: str = "",
    assigned_unit_id: int | None = None,
) -> QuerySet:
    qs = ServiceRequest.objects.visible_to(user)
    engineer = has_role(user, Role.LOCAL_ENGINEER) or has_role(user, Role.BRANCH_ENGINEER)
    if engineer and not may_dispatch(user):
        qs = _with_own(qs, user, Q(engineer=user))
    if state in R.values:
        qs = qs.filter(state=state)
    if category in ServiceCategory.values:
        qs = qs.filter(category=category)
    serial = (serial or "").strip().upper()
    if serial:
        qs = qs.annotate(s=Upper("serial_number")).filter(s=serial)
    number = (number or "").strip().upper()
    if number:
        qs = qs.filter(number=number)
    if assigned_unit_id:
        qs = qs.filter(assigned_unit_id=assigned_unit_id)
    return qs.select_related("org_unit", "assigned_unit", "engineer", "dealer")


def offers(user, *, state: str = "") -> QuerySet:
    """The offers the user sees: made to their unit or to them, or of requests in their
    subtree (a dispatcher's)."""
    qs = Dispatch.objects.visible_to(user)
    if user is not None and user.is_authenticated:
        qs = _with_own(qs, user, Q(to_engineer=user))
    if state in D.values:
        qs = qs.filter(state=state)
    return qs.select_related("request", "to_unit", "to_engineer")


def offers_to_answer(user) -> QuerySet:
    """Open offers this person answers: made to them, or to their unit when they answer for it."""
    q = Q(to_engineer=user)
    unit = user_org_unit(user)
    if unit is not None and any(has_role(user, r) for r in FIELD_ANSWER_ROLES):
        q |= Q(to_unit=unit, to_engineer__isnull=True)
    return Dispatch.objects.filter(q, state=D.OFFERED)


def request_history(request: ServiceRequest) -> tuple[list[Dispatch], list[Visit]]:
    dispatches = list(
        request.dispatches.select_related("to_unit", "to_engineer", "dispatched_by").order_by("id")
    )
    visits = list(
        request.visits.select_related("engineer", "service_unit")
        .prefetch_related("reschedules__actor")
        .order_by("sequence")
    )
    return dispatches, visits


# --- the dispatch rules ------------------------------------------------------------------------


@dataclass
class Candidate:
    profile: ServicePointProfile
    match: int  # 3 district, 2 city, 1 province
    served_before: bool
    load: int

    @property
    def unit(self):
        return self.profile.org_unit

    @property
    def full(self) -> bool:
        return self.load >= max(self.profile.capacity, 0)

    def key(self):
        capacity = max(self.profile.capacity, 1)
        return (
            self.full,
            not self.served_before,
            -self.match,
            GRADE_RANK.get(self.profile.grade, 9),
            self.load / capacity,
            self.unit.pk,
        )

    def reason(self) -> str:
        level = {3: _("区县"), 2: _("城市"), 1: _("省")}[self.match]
        parts = [
            _("覆盖%(level)s") % {"level": level},
            _("%(grade)s级") % {"grade": self.profile.grade},
            _("在办 %(load)d/%(cap)d") % {"load": self.load, "cap": self.profile.capacity},
        ]
        if self.served_before:
            parts.insert(0, _("曾服务该设备"))
        return "，".join(parts)


def _skill_ok(skills, category: str) -> bool:
    if not skills:
        return True
    label = str(ServiceCategory(category).label) if category in ServiceCategory.values else ""
    from django.utils import translation

    with translation.override("zh-hans"):
        zh = str(ServiceCategory(category).label) if category in ServiceCategory.values else ""
    wanted = {category, label, zh} - {""}
    return any(str(s).strip() in wanted for s in skills)


def _model_ok(models, product_model: str) -> bool:
    if not models:
        return True
    return (product_model or "").strip().upper() in {str(m).strip().upper() for m in models}


def dispatch_candidates(request: ServiceRequest, *, exclude_unit_ids=()) -> list[Candidate]:
    """The units the rules would offer `request` to, best first (see the module's docstring).
    A constant number of queries: areas, profiles, loads, the unit's last server."""
    if not request.province:
        return []
    areas = ServiceArea.objects.filter(province=request.province).filter(
        Q(city="", district="")
        | Q(city=request.city, district="")
        | Q(city=request.city, district=request.district)
    )
    if not request.city:
        areas = areas.filter(city="")
    elif not request.district:
        areas = areas.filter(district="")
    match: dict[int, int] = {}
    for unit_id, city, district in areas.values_list("org_unit_id", "city", "district"):
        level = 3 if district else 2 if city else 1
        match[unit_id] = max(match.get(unit_id, 0), level)
    for unit_id in exclude_unit_ids:
        match.pop(unit_id, None)
    if not match:
        return []
    profiles = [
        p
        for p in ServicePointProfile.objects.filter(
            org_unit_id__in=list(match), status=PointStatus.ACTIVE, org_unit__is_active=True
        ).select_related("org_unit")
        if _skill_ok(p.skills, request.category)
        and _model_ok(p.product_models, request.product_model)
    ]
    if not profiles:
        return []
    ids = [p.org_unit_id for p in profiles]
    load: dict[int, int] = dict.fromkeys(ids, 0)
    for unit_id, n in (
        ServiceRequest.objects.filter(assigned_unit_id__in=ids, state__in=BUSY_STATES)
        .order_by()
        .values_list("assigned_unit_id")
        .annotate(n=Count("pk"))
    ):
        load[unit_id] += n
    for unit_id, n in (
        Dispatch.objects.filter(to_unit_id__in=ids, state=D.OFFERED)
        .exclude(request_id=request.pk)
        .order_by()
        .values_list("to_unit_id")
        .annotate(n=Count("pk"))
    ):
        load[unit_id] += n
    previous = None
    if request.unit_id:
        previous = (
            ServiceRequest.objects.filter(unit_id=request.unit_id, assigned_unit__isnull=False)
            .exclude(pk=request.pk)
            .order_by("-id")
            .values_list("assigned_unit_id", flat=True)
            .first()
        )
    found = [
        Candidate(
            profile=p,
            match=match[p.org_unit_id],
            served_before=p.org_unit_id == previous,
            load=load[p.org_unit_id],
        )
        for p in profiles
    ]
    found.sort(key=Candidate.key)
    return found


def tried_unit_ids(request: ServiceRequest) -> list[int]:
    """Units that declined this request or let its offer lapse: never offered it again by the
    rules (a dispatcher may still choose one by hand)."""
    return list(
        Dispatch.objects.filter(
            request=request, state__in=[D.DECLINED, D.EXPIRED], to_unit__isnull=False
        ).values_list("to_unit_id", flat=True)
    )


# --- 我的工作 ---------------------------------------------------------------------------------


class DispatcherProvider:
    """我的工作 of the 派单员: requests waiting to be dispatched (new, or escalated after a visit
    that did not solve the fault) and offers about to run out, oldest first."""

    name = "repairs.field_dispatch"
    label = gettext_lazy("派单")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not may_dispatch(user):
            return []
        rows = list(
            ServiceRequest.objects.visible_to(user)
            # an escalated request comes back here once its fault is confirmed (until then it
            # waits in FaultConfirmationProvider)
            .filter(Q(state=R.NEW) | (Q(state=R.ESCALATED) & ~Q(fault_confirmed="")))
            .select_related("org_unit")
            .order_by("id")[:limit]
        )
        what = {
            R.NEW: _("报修单 %(no)s 待派单"),
            R.ESCALATED: _("报修单 %(no)s 故障已确认，待再次派单"),
        }
        items = [
            WorkItem(
                key=f"repairs.service_request:{r.pk}",
                kind=self.name,
                kind_label=self.label,
                what=what[r.state] % {"no": r.number},
                url=r.get_absolute_url(),
                since=r.created_at,
                where=r.org_unit.name,
            )
            for r in rows
        ]
        soon = (
            Dispatch.objects.visible_to(user)
            .filter(state=D.OFFERED, respond_by__lte=now + SOON)
            .select_related("request", "to_unit", "to_engineer")
            .order_by("respond_by", "id")[: max(0, limit - len(items))]
        )
        items += [
            WorkItem(
                key=f"repairs.dispatch:{d.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("报修单 %(no)s 的派单即将超时未接") % {"no": d.request.number},
                url=d.request.get_absolute_url(),
                since=d.offered_at,
                due_at=d.respond_by,
                where=str(d.to_engineer or d.to_unit),
            )
            for d in soon
        ]
        return items


class OfferProvider:
    """我的工作 of a service point's staff or an engineer: offers to accept or decline."""

    name = "repairs.field_offers"
    label = gettext_lazy("待接派单")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        rows = offers_to_answer(user).select_related("request").order_by("respond_by", "id")[:limit]
        from django.urls import reverse

        return [
            WorkItem(
                key=f"repairs.offer:{d.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("派单 %(no)s 待接单：%(cat)s，%(place)s")
                % {
                    "no": d.request.number,
                    "cat": d.request.get_category_display(),
                    "place": f"{d.request.city}{d.request.district}",
                },
                url=reverse("repairs:offer_detail", args=[d.pk]),
                since=d.offered_at,
                due_at=d.respond_by,
            )
            for d in rows
        ]
