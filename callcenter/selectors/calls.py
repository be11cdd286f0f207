"""Reads of the inbound call log: who is calling (by their number, among customers, partners'
units, registered senders and staff), the caller's history beside the desk form, the lists of
calls and follow-ups, and the follow-ups waiting in 我的工作. Constant queries each."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, Value
from django.db.models.functions import Replace, Reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import OrgKind
from network.models import OrgUnit, StaffProfile
from service_ops import plugins
from service_ops.deadlines.models import OPEN_STATUSES, Deadline
from service_ops.work import WorkItem

from ..choices import OPEN_FOLLOW_UP_STATES, CallCategory, CallerKind, CallOutcome, FollowUpState
from ..models import CallbackRequest, Customer, FollowUp, InboundCall, RegisteredNumber
from ..models.activation import normalise_serial
from ..phones import phone_display, split_phone

User = get_user_model()

LOOKUP_MIN_DIGITS = 3  # fewer digits match too much to be of use
SUFFIX_MIN_DIGITS = 4  # "the last four digits" (尾号)
LOOKUP_LIMIT = 9  # numbered 1–9 on the desk
# From this many digits a number is whole (a landline with its area code, a mobile): only then
# are the customers' other numbers searched (a trigram search of a few digits reads too much)
WHOLE_NUMBER_DIGITS = 10
HISTORY_LIMIT = 8

UNIT_KINDS = {
    OrgKind.DEALER: CallerKind.DEALER,
    OrgKind.SERVICE_POINT: CallerKind.SERVICE_POINT,
    OrgKind.FIELD_OFFICE: CallerKind.FIELD_OFFICE,
}


@dataclass
class CallerMatch:
    key: str  # what the desk form carries: customer:<id>, unit:<id>, staff:<id>
    kind: str
    name: str
    phone: str
    extension: str = ""
    where: str = ""
    exact: bool = False

    @property
    def kind_label(self):
        return CallerKind(self.kind).label

    @property
    def phone_text(self) -> str:
        return phone_display(self.phone, self.extension)


def _digits_only(expression):
    """A stored phone as digits in SQL (the network's phone fields keep what was typed)."""
    for char in (" ", "-", "(", ")", ".", "+"):
        expression = Replace(expression, Value(char), Value(""))
    return expression


def find_callers(text: str, *, limit: int = LOOKUP_LIMIT) -> list[CallerMatch]:
    """Everyone whose number is, starts with or ends with the digits typed (exact matches first).
    Customers by their indexed normal form (prefix: the LIKE-pattern index of `phone`; suffix:
    the index of reverse(phone); other numbers: trigram); partners' units, registered senders
    and staff by their own, smaller tables. At most 6 queries."""
    number, extension = split_phone(text)
    if not number.isdigit() or len(number) < LOOKUP_MIN_DIGITS:
        return []
    found: OrderedDict[str, CallerMatch] = OrderedDict()

    def add(match: CallerMatch):
        if match.key not in found or (match.exact and not found[match.key].exact):
            found[match.key] = match

    customers = Customer.objects.select_related("org_unit").only(
        "name", "phone", "phone_extension", "other_phones", "company", "city", "org_unit__name"
    )
    q = Q(phone=number)
    if len(number) >= WHOLE_NUMBER_DIGITS:  # a whole number: the customers' other numbers too
        q |= Q(other_phones__contains=number)
    exact_rows = list(customers.filter(q)[:limit])
    partial_rows: list[Customer] = []
    if len(exact_rows) < limit:
        partial_rows += list(
            customers.filter(phone__startswith=number).exclude(phone=number)[:limit]
        )
        if len(number) >= SUFFIX_MIN_DIGITS:
            partial_rows += list(
                customers.annotate(phone_reversed=Reverse("phone"))
                .filter(phone_reversed__startswith=number[::-1])
                .exclude(phone=number)[:limit]
            )
    for c in exact_rows + partial_rows:
        exact = c.phone == number or number in (c.other_phones or "").split(",")
        add(
            CallerMatch(
                key=f"customer:{c.pk}",
                kind=CallerKind.CUSTOMER,
                name=c.name,
                phone=c.phone,
                extension=c.phone_extension,
                where=" ".join(
                    x for x in (c.company, c.city, c.org_unit.name if c.org_unit else "") if x
                ),
                exact=exact,
            )
        )

    units = (
        OrgUnit.objects.filter(is_active=True)
        .exclude(phone="")
        .annotate(digits=_digits_only("phone"))
        .filter(digits__contains=number)
        .select_related("parent")[:limit]
    )
    for unit in units:
        unit_number, unit_ext = split_phone(unit.phone)
        add(
            CallerMatch(
                key=f"unit:{unit.pk}",
                kind=UNIT_KINDS.get(unit.kind, CallerKind.ORG_UNIT),
                name=unit.name,
                phone=unit_number,
                extension=unit_ext,
                where=unit.parent.name if unit.parent else "",
                exact=unit_number == number,
            )
        )
    senders = (
        RegisteredNumber.objects.filter(is_active=True)
        .filter(Q(phone__startswith=number) | Q(phone__endswith=number))
        .select_related("org_unit__parent")[:limit]
    )
    for row in senders:
        add(
            CallerMatch(
                key=f"unit:{row.org_unit_id}",
                kind=UNIT_KINDS.get(row.org_unit.kind, CallerKind.ORG_UNIT),
                name=row.org_unit.name,
                phone=row.phone,
                where=row.note or (row.org_unit.parent.name if row.org_unit.parent else ""),
                exact=row.phone == number,
            )
        )
    staff = (
        StaffProfile.objects.filter(user__is_active=True)
        .exclude(phone="")
        .annotate(digits=_digits_only("phone"))
        .filter(digits__contains=number)
        .select_related("user", "org_unit")[:limit]
    )
    for profile in staff:
        staff_number, staff_ext = split_phone(profile.phone)
        add(
            CallerMatch(
                key=f"staff:{profile.user_id}",
                kind=CallerKind.STAFF,
                name=profile.user.get_full_name() or profile.user.get_username(),
                phone=staff_number,
                extension=staff_ext,
                where=" ".join(x for x in (profile.org_unit.name, profile.title) if x),
                exact=staff_number == number,
            )
        )
    if extension:  # the extension typed picks among a switchboard's people
        for match in found.values():
            match.exact = match.exact and (not match.extension or match.extension == extension)
    matches = sorted(found.values(), key=lambda m: (not m.exact, m.phone, m.name))
    return matches[:limit]


# --- the caller's history beside the desk form ---------------------------------------------------


@dataclass
class History:
    phone: str
    serial: str
    calls: list = field(default_factory=list)
    callbacks: list = field(default_factory=list)
    groups: list[tuple[str, list[dict]]] = field(default_factory=list)  # (kind label, items)
    customer: Customer | None = None

    @property
    def empty(self) -> bool:
        return not (self.calls or self.callbacks or self.groups)


def caller_history(
    user, *, phone: str = "", serial: str = "", customer_id: int | None = None,
    limit: int = HISTORY_LIMIT,
) -> History:  # fmt: skip
    """Previous calls (by number, customer and serial), callbacks owed to the number, and what
    other apps answer to the `caller_history` hook (repair applications and orders), grouped
    by kind. Bounded by `limit` per kind; the call centre's own part is 3 queries."""
    number, _ext = split_phone(phone)
    serial = normalise_serial(serial)
    history = History(phone=number, serial=serial)
    q = Q()
    if number and len(number) >= LOOKUP_MIN_DIGITS:
        q |= Q(caller_phone=number)
    if serial:
        q |= Q(serial_number=serial)
    if customer_id:
        q |= Q(customer_id=customer_id)
    if not q:
        return history
    history.calls = list(
        InboundCall.objects.visible_to(user)
        .filter(q)
        .select_related("agent", "follow_up")
        .order_by("-id")[:limit]
    )
    if number:
        history.callbacks = list(
            CallbackRequest.objects.filter(contact_phone=number).order_by("-id")[:limit]
        )
    grouped: OrderedDict[str, list[dict]] = OrderedDict()
    for answer in plugins.call_hook(
        "caller_history", phone=number, serial=serial, limit=limit, user=user
    ):
        for item in answer or ():
            if not isinstance(item, dict):
                continue
            grouped.setdefault(str(item.get("kind") or _("其他")), []).append(item)
    history.groups = [(kind, items[:limit]) for kind, items in grouped.items()]
    return history


# --- lists ------------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def call_list(
    user,
    *,
    category: str = "",
    outcome: str = "",
    agent_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    q: str = "",
):
    """Newest first (keyset on the id), scoped by InboundCall.visible_to."""
    qs = InboundCall.objects.visible_to(user).select_related("agent", "follow_up")
    if category in CallCategory.values:
        qs = qs.filter(category=category)
    if outcome in CallOutcome.values:
        qs = qs.filter(outcome=outcome)
    if agent_id:
        qs = qs.filter(agent_id=agent_id)
    if since:
        qs = qs.filter(ended_at__gte=_day_start(since))
    if until:
        qs = qs.filter(ended_at__lt=_day_start(until) + timezone.timedelta(days=1))
    q = (q or "").strip()
    if q:
        qs = qs.filter(search_q(q))
    return qs.order_by("-id")


def search_q(text: str) -> Q:
    """The search box: a call's number, or the start of a phone number or of a serial."""
    upper = text.upper()
    if upper.startswith("LD-") or upper.startswith("LD2"):
        return Q(number__startswith=upper)
    number, _ext = split_phone(text)
    if number.isdigit() and len(number) >= LOOKUP_MIN_DIGITS:
        return Q(caller_phone__startswith=number) | Q(
            serial_number__startswith=normalise_serial(text)
        )
    return Q(serial_number__startswith=normalise_serial(text))


def follow_up_list(user, *, mine: bool = False, state: str = ""):
    qs = FollowUp.objects.visible_to(user).select_related("call", "assignee", "holder")
    if mine:
        qs = qs.filter(Q(holder=user) | Q(assignee=user))
    if state == "active":
        qs = qs.filter(state__in=OPEN_FOLLOW_UP_STATES)
    elif state in FollowUpState.values:
        qs = qs.filter(state=state)
    return qs.order_by("-id")


def open_timers_by_owner(follow_ups) -> dict[int, Deadline]:
    """{follow-up id: its open timer} in one query."""
    ids = [f.pk for f in follow_ups]
    if not ids:
        return {}
    rows = Deadline.objects.filter(
        owner_type=ContentType.objects.get_for_model(FollowUp),
        owner_id__in=ids,
        status__in=OPEN_STATUSES,
    ).order_by("id")
    return {d.owner_id: d for d in rows}


class FollowUpProvider:
    """我的工作: the follow-ups whose ball is with me — a reply I owe (assigned), a person to find
    (open), a customer to call back (answered), one to close (called back) — with their timer."""

    name = "callcenter.follow_ups"
    label = gettext_lazy("跟进事项")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        rows = list(
            FollowUp.objects.filter(holder=user, state__in=OPEN_FOLLOW_UP_STATES)
            .select_related("call")
            .order_by("due_at", "id")[:limit]
        )
        timers = open_timers_by_owner(rows)
        what = {
            FollowUpState.OPEN: _("找人回复 %(no)s：%(q)s"),
            FollowUpState.ASSIGNED: _("回复客户问题 %(no)s：%(q)s"),
            FollowUpState.ANSWERED: _("回电客户 %(no)s：%(who)s %(phone)s"),
            FollowUpState.CALLED_BACK: _("关闭跟进 %(no)s：%(who)s"),
        }
        items = []
        for f in rows:
            timer = timers.get(f.pk)
            note = ""
            if f.waiting_until:
                note = _("等待至 %(d)s：%(r)s") % {
                    "d": timezone.localtime(f.waiting_until).strftime("%Y-%m-%d %H:%M"),
                    "r": f.waiting_reason,
                }
            items.append(
                WorkItem(
                    key=f"callcenter.follow_up:{f.pk}",
                    kind=self.name,
                    kind_label=self.label,
                    what=what[f.state]
                    % {
                        "no": f.call.number,
                        "q": f.question[:60],
                        "who": f.call.caller_label,
                        "phone": f.call.caller_phone,
                    },
                    url=f.get_absolute_url(),
                    since=f.assigned_at or f.created_at,
                    due_at=timer.due_at if timer else None,
                    deadline=timer,
                    where=f.call.caller_label,
                    note=note,
                )
            )
        return items


def state_choices_with_open() -> list[tuple[str, Any]]:
    return [("active", gettext_lazy("未完成")), *FollowUpState.choices]
