"""Reads of the repair-order screens: the technician's queue, the clerk's board, the order, the
lot, loaners, the overdue review and the month-end statements.

Every list runs a constant number of queries whatever its length: orders come with their lot,
branch, dealer and technician joined; the open timers of a page's orders (repair limit, quote
send / consent) are read with one query each into a dict by owner id; lists are ordered in the
database, overdue first (breached, then due time). Working-day arithmetic runs under one pinned
calendar version per page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Count,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.deadlines.models import OPEN_STATUSES, Deadline, DeadlineStatus
from service_ops.memo import once_per_request
from service_ops.selectors import annotate_time_left
from service_ops.transitions.services import available_actions
from service_ops.workcalendar import clock

from ..choices import LoanState, OrderState, QuoteState, Urgency
from ..models import (
    Loan,
    LoanerUnit,
    LotLimitRule,
    MonthlyStatement,
    Quote,
    RepairLot,
    RepairOrder,
    ReturnPolicy,
    ReviewItem,
    ReviewMeeting,
)
from ..permissions import (
    is_repair_supervisor,
    is_technician,
    may_answer_quote,
    may_handle_loaners,
    may_record_contact,
)
from ..services.orders import LIMIT_KIND, QUOTE_CONSENT_KIND, WAITING_KIND

QUOTE_SEND_KIND = "repair.quote_send"
QUOTE_KINDS = (QUOTE_CONSENT_KIND, QUOTE_SEND_KIND)
LIST_LIMIT = 10  # cards a board column or the waiting list draws; the order list has the rest
OPEN_QUOTE_STATES = (QuoteState.RAISED, QuoteState.SENT)
FINISHED_STATES = (OrderState.SHIPPED, OrderState.CLOSED)

CONTACT_CHANNELS = [
    ("phone", gettext_lazy("电话")),
    ("fax", gettext_lazy("传真")),
    ("email", gettext_lazy("邮件")),
    ("sms", gettext_lazy("短信")),
    ("wechat", gettext_lazy("微信")),
]

# The technician's own units, in the order the queue shows their groups (closest to done first).
TECHNICIAN_STATES = (
    OrderState.PACKING,
    OrderState.QC,
    OrderState.BURN_IN,
    OrderState.REPAIRING,
    OrderState.WAITING_PARTS,
    OrderState.DIAGNOSING,
    OrderState.QUOTING,
    OrderState.WAITING_CONSENT,
)


def return_policy() -> ReturnPolicy:
    """The rule numbers (burn-in minimum, fines…), read once per request for every card."""
    return once_per_request("repairs.return_policy", ReturnPolicy.current)


def order_actions(order: RepairOrder, user) -> set[str]:
    """The actions of the order screens the user may take now (names of forms/orders.py ACTIONS)."""
    transitions = set(available_actions(order, user))
    actions = transitions & {
        "pick_up",
        "start_repair",
        "raise_quote",
        "wait_for_parts",
        "parts_arrived",
        "finish_repair",
        "finish_burn_in",
        "pack",
        "ship",
        "close",
    }
    if order.state == OrderState.REPAIRING:
        # a supplementary quote (issue 19) is offered on the order page only, when a paid part
        # waits for the customer's consent (views/orders.py): never on a card of the queue
        actions.discard("raise_quote")
    if {"pass_qc", "fail_qc"} & transitions:
        actions.add("qc")
    if "send_quote" in transitions:
        actions.add("send_quote")
    if order.state not in FINISHED_STATES:
        if is_technician(user):
            actions.add("warranty")
        if may_record_contact(user):
            actions.add("contact")
        if may_handle_loaners(user):
            actions.add("lend")
        if is_repair_supervisor(user) and getattr(order, "limit", None) is not None:
            actions.add("extend")
    if order.state == OrderState.WAITING_CONSENT and may_answer_quote(user, order):
        actions.add("answer_quote")
    if is_technician(user) and order.state not in FINISHED_STATES:
        # issue 19: the part lines (the services check each line's state)
        actions |= {"part_warranty", "part_serials", "remove_part"}
        if order.state in PART_ADD_STATES:
            actions.add("add_part")
    return actions


# issue 19: a part line is added while diagnosing, repairing or waiting for parts (a paid one
# after the repair started through a supplementary quote)
PART_ADD_STATES = (OrderState.DIAGNOSING, OrderState.REPAIRING, OrderState.WAITING_PARTS)


def offers_supplementary_quote(order: RepairOrder, user, part_lines) -> bool:
    """While repairing, the order page offers a supplementary quote (补充报价) when a paid part
    line waits for the customer's consent (no quote carries it yet)."""
    from ..choices import PartLineState

    if order.state != OrderState.REPAIRING or "raise_quote" not in available_actions(order, user):
        return False
    return any(
        not line.in_warranty
        and line.quote_id is None
        and line.state in (PartLineState.WAITING, PartLineState.RESERVED)
        for line in part_lines
    )


def order_part_lines(order: RepairOrder) -> tuple[list, dict]:
    """The order's part lines with their part and reservation (one query), and their totals."""
    from ..services.parts import parts_summary

    lines = list(order.part_lines.select_related("part").order_by("id"))
    return lines, parts_summary(lines)


# --- timers of many orders at once -----------------------------------------------------------


def _content_type(model) -> ContentType:
    return ContentType.objects.get_for_model(model)


def open_timers(model, owner_ids, kinds) -> QuerySet:
    """The open timers of `kinds` owned by `owner_ids` (ids or a subquery), newest first, so a
    dict built from them keeps each owner's oldest (it is written last)."""
    return Deadline.objects.filter(
        owner_type=_content_type(model),
        owner_id__in=owner_ids,
        kind__in=list(kinds),
        status__in=OPEN_STATUSES,
    ).order_by("-id")


def open_timers_by_owner(model, owner_ids, kinds) -> dict[int, Deadline]:
    """{owner id: its open timer of one of `kinds`} in one query (the oldest, if several)."""
    ids = list(owner_ids)
    if not ids:
        return {}
    return {d.owner_id: d for d in open_timers(model, ids, kinds)}


def _open_timer_summary(owner_model, kinds, params: list, *, join: str = "") -> str:
    """SQL of (oid, breached, due) per owner: whether any of its open timers of `kinds` is
    breached and the earliest due time. `params` receives the placeholders' values."""
    d = Deadline._meta.db_table
    params += [DeadlineStatus.BREACHED, _content_type(owner_model).pk, *kinds, *OPEN_STATUSES]
    return (
        "SELECT d.owner_id AS oid, MAX(CASE WHEN d.status = %s THEN 1 ELSE 0 END) AS b, "  # noqa: S608
        f"MIN(d.due_at) AS due FROM {d} d {join} WHERE d.owner_type_id = %s "
        f"AND d.kind IN ({', '.join(['%s'] * len(kinds))}) "
        f"AND d.status IN ({', '.join(['%s'] * len(OPEN_STATUSES))})"
    )


def _ranked_ids(
    qs: QuerySet, *, limit: int, quotes: bool, per_state: bool, urgent_first: bool = False
) -> list[int]:
    """The ids of the `limit` most urgent orders of `qs` (per state with `per_state`), in order:
    (with `urgent_first`, units marked 紧急 first,) overdue first, then by due time — with
    `quotes`, the open quote's timer (send or consent) before the repair limit — then by id; an
    order without an open timer after those with one.

    One statement: the candidates are joined to the summaries of their open timers (the
    partial index deadline_open_owner) and ranked by the database. Reading the candidates and
    their timers into Python and sorting there cost 30–40 ms a board column at 3,000 units."""
    try:
        cand_sql, cand_params = (
            qs.order_by().values_list("pk", "state", "urgency").query.sql_with_params()
        )
    except EmptyResultSet:  # qs.none(): a caller who sees nothing
        return []
    params: list = list(cand_params)
    # a join, not IN: the planner may hash all open limits when the candidates are many
    lim = _open_timer_summary(
        RepairOrder, (LIMIT_KIND,), params, join="JOIN c ON c.id = d.owner_id"
    )
    ctes = [
        f"c(id, state, urgency) AS ({cand_sql})",
        f"lim AS ({lim} GROUP BY d.owner_id)",
    ]
    # (expression, descending) in rank order
    key = [("COALESCE(lim.b, 0)", True), ("(lim.due IS NULL)", False), ("lim.due", False)]
    joins = "LEFT JOIN lim ON lim.oid = c.id"
    if quotes:
        # Open quotes are few whatever the candidates (a unit has one at most, and only while
        # it is quoted): all of them, not a semi-join the planner misjudges on 13,000 units.
        q = Quote._meta.db_table
        timers = _open_timer_summary(Quote, QUOTE_KINDS, params)
        params += list(OPEN_QUOTE_STATES)
        ctes.append(
            f"qt AS (SELECT q.order_id AS oid, MAX(t.b) AS b, MIN(t.due) AS due FROM {q} q "  # noqa: S608
            f"JOIN ({timers} GROUP BY d.owner_id) t ON t.oid = q.id "
            f"WHERE q.state IN ({', '.join(['%s'] * len(OPEN_QUOTE_STATES))}) GROUP BY q.order_id)"
        )
        key = [("COALESCE(qt.b, 0)", True), key[0], ("(qt.due IS NULL)", False),
               ("qt.due", False), *key[1:]]  # fmt: skip
        joins += " LEFT JOIN qt ON qt.oid = c.id"
    if urgent_first:  # a constant of ours, not input
        key.insert(0, (f"(CASE WHEN c.urgency = '{Urgency.URGENT}' THEN 1 ELSE 0 END)", True))
    key.append(("c.id", False))
    order = ", ".join(f"{expr}{' DESC' if desc else ''}" for expr, desc in key)
    params.append(limit)
    if per_state:  # the first `limit` of each state, then all of them in rank order
        columns = ", ".join(f"{expr} AS k{i}" for i, (expr, _d) in enumerate(key))
        outer = ", ".join(f"k{i}{' DESC' if desc else ''}" for i, (_e, desc) in enumerate(key))
        sql = (
            f"WITH {', '.join(ctes)} SELECT k{len(key) - 1} FROM (SELECT {columns}, "  # noqa: S608
            f"ROW_NUMBER() OVER (PARTITION BY c.state ORDER BY {order}) AS rn FROM c {joins}) r "
            f"WHERE rn <= %s ORDER BY {outer}"
        )
    else:
        sql = f"WITH {', '.join(ctes)} SELECT c.id FROM c {joins} ORDER BY {order} LIMIT %s"  # noqa: S608
    # table names and constants only; the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def most_urgent(
    qs: QuerySet,
    *,
    limit: int,
    quotes: bool = False,
    per_state: bool = False,
    urgent_first: bool = False,
):
    """The `limit` most urgent orders of `qs` (per state with `per_state`), overdue first, as
    rows ready for a card (order_rows, open quotes prefetched). Two queries and a prefetch."""
    chosen = _ranked_ids(
        qs, limit=limit, quotes=quotes, per_state=per_state, urgent_first=urgent_first
    )
    rows = order_rows(RepairOrder.objects.filter(pk__in=chosen)).prefetch_related(_open_quotes())
    by_pk = {order.pk: order for order in rows}
    return [by_pk[pk] for pk in chosen if pk in by_pk]


def attach_timers(orders, *, now: datetime | None = None, quotes: bool = False) -> list:
    """Give each order `.limit` (its open repair limit, time left attached), `.overdue`
    and, with `quotes`, `.open_quote` (from a prefetched `open_quotes`) and `.quote_timer`.
    Two queries at most, whatever the number of orders."""
    rows = list(orders)
    now = now or timezone.now()
    limits = open_timers_by_owner(RepairOrder, (o.pk for o in rows), (LIMIT_KIND,))
    quote_timers = {}
    if quotes:
        quote_ids = [q.pk for o in rows for q in getattr(o, "open_quotes", [])]
        quote_timers = open_timers_by_owner(Quote, quote_ids, QUOTE_KINDS)
    with clock.pinned():
        for order in rows:
            order.limit = limits.get(order.pk)
            if order.limit is not None:
                annotate_time_left(order.limit, now)
            order.open_quote = next(iter(getattr(order, "open_quotes", [])), None)
            order.quote_timer = (
                quote_timers.get(order.open_quote.pk) if order.open_quote is not None else None
            )
            if order.quote_timer is not None:
                annotate_time_left(order.quote_timer, now)
            order.overdue = any(
                t is not None and (t.status == DeadlineStatus.BREACHED or t.left.overdue)
                for t in (order.limit, order.quote_timer)
            )
    return rows


def order_rows(qs: QuerySet) -> QuerySet:
    return qs.select_related("lot__application", "branch", "dealer", "technician")


def _open_quotes() -> Prefetch:
    return Prefetch(
        "quotes",
        queryset=Quote.objects.filter(state__in=OPEN_QUOTE_STATES).order_by("-id"),
        to_attr="open_quotes",
    )


def visible_orders(user) -> QuerySet:
    return order_rows(RepairOrder.objects.visible_to(user))


# --- the technician's queue ------------------------------------------------------------------


@dataclass
class StateGroup:
    state: str
    label: str
    rows: list = field(default_factory=list)
    count: int = 0  # all of the group's units; `rows` holds the GROUP_LIMIT most urgent

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


@dataclass
class TechnicianQueue:
    waiting: list
    waiting_count: int
    groups: list[StateGroup]
    everyone: bool = False

    @property
    def mine_count(self) -> int:
        return sum(g.count for g in self.groups)


GROUP_LIMIT = 5  # cards per state: the queue shows the most urgent, the order list the rest
# The supervisor's view of every technician: an overview of what burns in each state (the
# order list, one click away per state, has the rest).
EVERYONE_GROUP_LIMIT = 3


def technician_queue(user, *, everyone: bool = False, now: datetime | None = None):
    """Units waiting to be picked up (overdue first) and the technician's own units by state
    (with `everyone`, a supervisor sees every technician's): the LIST_LIMIT / GROUP_LIMIT most
    urgent of each, with the counts of all. Constant queries, bounded rows whatever the load."""
    visible = RepairOrder.objects.visible_to(user)
    waiting_qs = visible.filter(state=OrderState.WAITING_PICKUP)
    # the workshop takes units 按紧重或先后顺序: urgent ones first, then by their limits
    waiting = attach_timers(most_urgent(waiting_qs, limit=LIST_LIMIT, urgent_first=True), now=now)
    mine_qs = visible.filter(state__in=TECHNICIAN_STATES)
    if not everyone:
        mine_qs = mine_qs.filter(technician=user)
    counts = dict(mine_qs.order_by().values_list("state").annotate(n=Count("pk")))
    per_state = EVERYONE_GROUP_LIMIT if everyone else GROUP_LIMIT
    ranked = most_urgent(mine_qs, limit=per_state, quotes=True, per_state=True, urgent_first=True)
    mine = attach_timers(ranked, now=now, quotes=True)
    labels = dict(OrderState.choices)
    groups = [
        StateGroup(state, labels[state], count=counts.get(state, 0)) for state in TECHNICIAN_STATES
    ]
    by_state = {g.state: g for g in groups}
    for order in mine:
        by_state[order.state].rows.append(order)
    return TechnicianQueue(
        waiting=waiting,
        waiting_count=waiting_qs.count(),
        groups=[g for g in groups if g.count],
        everyone=everyone,
    )


# --- the clerk's board -----------------------------------------------------------------------


@dataclass
class BoardColumn:
    key: str
    label: str
    states: tuple[str, ...]
    count: int = 0
    rows: list = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(1 for r in self.rows if r.overdue)


def clerk_board(user, *, now: datetime | None = None, columns=()) -> list[BoardColumn]:
    """The clerk's columns (quotes to send, quotes waiting for an answer, units to ship back,
    shipped units to close), each overdue first and capped at LIST_LIMIT rows, with counts.
    A constant number of queries whatever the number of orders."""
    visible = RepairOrder.objects.visible_to(user)
    states = [s for c in columns for s in c.states]
    counts = dict(
        visible.filter(state__in=states).order_by().values_list("state").annotate(n=Count("pk"))
    )
    rows_by_key = {}
    for column in columns:
        qs = visible.filter(state__in=column.states)
        if column.key == "close":  # shipped: oldest shipment first, straight from the table
            rows = list(order_rows(qs).order_by("shipped_at", "id")[:LIST_LIMIT])
        else:
            quotes = column.key in ("send", "consent")
            rows = most_urgent(qs, limit=LIST_LIMIT, quotes=quotes)
        rows_by_key[column.key] = rows
        column.count = sum(counts.get(s, 0) for s in column.states)
    attach_timers([o for rows in rows_by_key.values() for o in rows], now=now, quotes=True)
    for column in columns:
        column.rows = rows_by_key[column.key]
    return list(columns)


def duration_text(seconds: float) -> str:
    """A length of time as people say it: "2 天 3 小时", "5 小时 20 分", "12 分钟"."""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    return _("%(m)d 分钟") % {"m": minutes}


# --- one order -------------------------------------------------------------------------------


@dataclass
class OrderPage:
    order: RepairOrder
    quotes: list
    contacts: list
    loans: list
    reviews: list
    limit_timer: Deadline | None  # the latest repair limit, open or closed
    pauses: list
    available_loaners: list
    waiting_timer: Deadline | None = None  # the open waiting limit a review gave (给出等待时限)


def order_for(user, pk: int) -> RepairOrder:
    """One visible order with what its page shows joined (DoesNotExist outside the scope)."""
    order = (
        RepairOrder.objects.visible_to(user)
        .select_related(
            "lot__application__applicant",
            "branch",
            "dealer",
            "technician",
            "packed_by",
            "received_unit",
        )
        .prefetch_related(_open_quotes())
        .get(pk=pk)
    )
    attach_timers([order], quotes=True)
    return order


def order_page(order: RepairOrder, *, with_loaners: bool = False) -> OrderPage:
    now = timezone.now()
    quotes = list(
        order.quotes.select_related("raised_by", "sent_by", "answered_by")
        .prefetch_related("lines")
        .order_by("-id")
    )
    quote_timers = open_timers_by_owner(Quote, (q.pk for q in quotes), QUOTE_KINDS)
    limit_timer = order.limit or (
        Deadline.objects.filter(
            owner_type=_content_type(RepairOrder), owner_id=order.pk, kind=LIMIT_KIND
        )
        .select_related("policy")
        .order_by("-id")
        .first()
    )
    waiting_timer = (
        open_timers(RepairOrder, [order.pk], (WAITING_KIND,)).select_related("policy").first()
    )
    with clock.pinned():
        if waiting_timer is not None:
            annotate_time_left(waiting_timer, now)
        for quote in quotes:
            quote.timer = quote_timers.get(quote.pk)
            if quote.timer is not None:
                annotate_time_left(quote.timer, now)
        if limit_timer is not None and limit_timer.is_open and not hasattr(limit_timer, "left"):
            annotate_time_left(limit_timer, now)
    pauses = list(limit_timer.pauses.select_related("actor")) if limit_timer else []
    for pause in pauses:
        end = pause.resumed_at or now
        pause.duration = duration_text((end - pause.paused_at).total_seconds())
    if limit_timer is not None:
        seconds = limit_timer.paused_seconds
        if limit_timer.status == DeadlineStatus.PAUSED and limit_timer.paused_at:
            seconds += max(0, (now - limit_timer.paused_at).total_seconds())
        limit_timer.paused_total = duration_text(seconds) if seconds else ""
    contacts = list(order.contacts.select_related("recorded_by"))
    channels = dict(CONTACT_CHANNELS)
    for contact in contacts:
        contact.channel_label = channels.get(contact.channel, contact.channel)
    loans = list(order.loans.select_related("loaner", "responsible").order_by("-id"))
    today = timezone.localdate()
    for loan in loans:
        loan.overdue = loan.state == LoanState.LENT and loan.due_back < today
    return OrderPage(
        order=order,
        quotes=quotes,
        contacts=contacts,
        loans=loans,
        reviews=list(order.reviews.select_related("meeting", "decided_by").order_by("-id")),
        limit_timer=limit_timer,
        pauses=pauses,
        available_loaners=available_loaners() if with_loaners else [],
        waiting_timer=waiting_timer,
    )


# --- lots ------------------------------------------------------------------------------------


def visible_lots(user) -> QuerySet:
    return RepairLot.objects.visible_to(user).select_related("application", "branch", "dealer")


@dataclass
class LotPage:
    lot: RepairLot
    orders: list
    rules: list
    rule: LotLimitRule | None


def lot_page(lot: RepairLot) -> LotPage:
    orders = attach_timers(order_rows(lot.orders.all()).order_by("number"))
    rules = list(LotLimitRule.objects.select_related("policy"))
    rule = next(
        (
            r
            for r in sorted(rules, key=lambda r: -r.min_units)
            if r.min_units <= lot.size and (r.max_units is None or lot.size <= r.max_units)
        ),
        None,
    )
    return LotPage(lot=lot, orders=orders, rules=rules, rule=rule)


# --- loaners ---------------------------------------------------------------------------------


def available_loaners() -> list:
    return list(LoanerUnit.objects.filter(is_available=True))


def loaner_pool() -> list:
    """Every loaner unit with its open loan (order, responsible person, due date, overdue flag)
    in two queries."""
    today = timezone.localdate()
    units = list(
        LoanerUnit.objects.prefetch_related(
            Prefetch(
                "loans",
                queryset=Loan.objects.filter(state=LoanState.LENT).select_related(
                    "order", "responsible"
                ),
                to_attr="open_loans",
            )
        )
    )
    for unit in units:
        unit.loan = next(iter(unit.open_loans), None)
        if unit.loan is not None:
            unit.loan.overdue = unit.loan.due_back < today
    return units


def open_loans(units) -> list:
    loans = [u.loan for u in units if u.loan is not None]
    return sorted(loans, key=lambda loan: (not loan.overdue, loan.due_back, loan.pk))


# --- the Wednesday / Saturday review ---------------------------------------------------------


REVIEW_MEETING_ORDER = ("-held_on",)


def review_meetings() -> QuerySet:
    """The meetings, newest first; a page's rows get their counts from with_review_counts."""
    return ReviewMeeting.objects.order_by(*REVIEW_MEETING_ORDER)


def with_review_counts(qs: QuerySet) -> QuerySet:
    return qs.annotate(
        item_count=Count("items"),
        decided_count=Count("items", filter=~Q(items__decision="")),
    )


def review_items(meeting: ReviewMeeting, user) -> list:
    """The meeting's units the user may see, most overdue first, with the current limit."""
    items = list(
        meeting.items.visible_to(user)
        .select_related(
            "order__lot",
            "order__branch",
            "order__dealer",
            "order__technician",
            "decided_by",
            "loan__loaner",
        )
        .order_by("-overdue_days", "order__number")
    )
    attach_timers([item.order for item in items])
    # what earlier meetings decided (or left undecided) for the same units, newest first
    earlier: dict[int, list] = {}
    for prior in (
        ReviewItem.objects.filter(
            order_id__in=[item.order_id for item in items], meeting__held_on__lt=meeting.held_on
        )
        .select_related("meeting")
        .order_by("-meeting__held_on")
    ):
        earlier.setdefault(prior.order_id, []).append(prior)
    for item in items:
        item.earlier = earlier.get(item.order_id, [])
    return items


# --- month-end statements --------------------------------------------------------------------


STATEMENT_ORDER = ("-month", "branch__code")


def statements(user, *, month: date | None = None, branch_id: int | None = None) -> QuerySet:
    """The statements the user may see, newest month first; a page's rows get their line counts
    from with_line_counts (counting a year's lines for every statement only to show 25)."""
    qs = MonthlyStatement.objects.visible_to(user).select_related("branch", "confirmed_by")
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    return qs.order_by(*STATEMENT_ORDER)


def with_line_counts(qs: QuerySet) -> QuerySet:
    return qs.annotate(line_count=Count("lines"))


def statement_lines(statement: MonthlyStatement) -> list:
    lines = list(statement.lines.select_related("order").order_by("order__number"))
    for line in lines:
        line.total = line.repair_fee + line.parts_fee
    return lines


def visible_branches(user) -> QuerySet:
    return (
        OrgUnit.objects.visible_to(user)
        .filter(kind=OrgKind.BRANCH, is_active=True)
        .order_by("code")
    )
