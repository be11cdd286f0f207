"""Reads of the SLA dashboard: the summary tables cut by the caller's scope (headquarters: all;
anyone else: their unit's subtree), an optional unit below it and an optional person; and the
list behind each number, straight from the timers with the same definitions.

The page costs a constant number of queries whatever the data (each round trip counts: the
summary's own SQL takes a few milliseconds): the org units of the caller's subtree (names,
paths: the roll-ups to the cut's units are done here), the refresh row with the calendar years
to confirm, the open summary by kind, unit and ball holder, the daily rows by day and kind and
by unit (one UNION ALL), the people with open items; a cut by person or by an org kind reads two
more (service_ops.dashboards.selectors._cut_rows)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import (
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import OrgKind
from network.selectors import held_roles
from network.visibility import sees_everything, user_org_unit
from service_ops import plugins
from service_ops.deadlines.models import BallHolder, Deadline
from service_ops.plugin import DASHBOARD_ROLES
from service_ops.reversing import reverse_plain
from service_ops.workcalendar import clock

from . import queries
from .models import (
    SlaDailyCount,
    SlaDailyPersonCount,
    SlaOpenCount,
    SlaPartnerDailyCount,
    SlaPartnerOpenCount,
    SlaRefresh,
)
from .refresh import (
    OPEN_BUCKETS,
    RATE_BUCKETS,
    TREND_WEEKS,
    Bounds,
    bucket_q,
    partner_in_q,
)

PEOPLE_LIMIT = 200  # the person select: the people with the most open items
CUT_LIMIT = 50  # rows of the cut's table (the most overdue first); the chart draws 20
ALL_BUCKETS = (*OPEN_BUCKETS, *RATE_BUCKETS)

# The cuts of the page's table and bar chart: "unit" is the units one level below the page's
# unit (by the timers' own org unit, each row drills down); the org kinds group every timer under
# its unit of that kind, a timer whose owner belongs to a dealer or service point (the kind's
# DeadlineKind.partner) counting there rather than at its own unit; "person" by assignee.
CUTS = (
    ("unit", gettext_lazy("下级单位")),
    (OrgKind.PROVINCE, OrgKind.PROVINCE.label),
    (OrgKind.BRANCH, OrgKind.BRANCH.label),
    (OrgKind.DEALER, OrgKind.DEALER.label),
    (OrgKind.SERVICE_POINT, OrgKind.SERVICE_POINT.label),
    ("person", gettext_lazy("责任人")),
)
KIND_CUTS = frozenset({OrgKind.PROVINCE, OrgKind.BRANCH, OrgKind.DEALER, OrgKind.SERVICE_POINT})


def can_view(user) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    unit = user_org_unit(user)
    if unit is None or unit.is_partner:
        return False
    return bool(held_roles(user) & DASHBOARD_ROLES)


# --- the scope ------------------------------------------------------------------------------


@dataclass
class Unit:
    id: int
    name: str
    kind: str
    path: str

    @property
    def ancestors(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


@dataclass
class Scope:
    """The caller's units (all of them for headquarters), the cut's root and its ids."""

    units: dict[int, Unit]
    everything: bool  # the caller sees every timer (also those without a unit)
    root: Unit | None  # the cut: the chosen unit, else the caller's own (None: above HQ)
    person_id: int | None = None

    @property
    def cut_ids(self) -> list[int] | None:
        """Ids of the units the numbers cover; None: no restriction (headquarters, no cut)."""
        if self.root is None or (self.everything and self.root.kind == OrgKind.HEADQUARTERS):
            return None
        prefix = self.root.path
        return sorted(u.id for u in self.units.values() if u.path.startswith(prefix))

    def child_of_root(self, org_unit_id: int | None) -> int | None:
        """The unit one level below the root that holds `org_unit_id` (the root itself for its
        own rows; None for rows without a unit)."""
        unit = self.units.get(org_unit_id) if org_unit_id else None
        if unit is None:
            return None
        chain = unit.ancestors
        if self.root is None:
            return chain[0]
        depth = len(self.root.ancestors)
        return chain[depth] if len(chain) > depth else self.root.id

    def cut_choices(self) -> list[Unit]:
        """Provinces and branches of the caller's subtree (and the caller's own unit first)."""
        kinds = {OrgKind.HEADQUARTERS, OrgKind.PROVINCE, OrgKind.BRANCH}
        return sorted(
            (u for u in self.units.values() if u.kind in kinds),
            key=lambda u: (u.path.count("/"), u.path),
        )

    def deepest(self, org_unit_id: int | None, partner_id: int | None) -> int | None:
        """The unit a timer counts at in the org-kind cuts: its owner's partner when that lies
        in the scope at or below the timer's own unit, else the timer's own unit."""
        partner = self.units.get(partner_id) if partner_id else None
        if partner is None:
            return org_unit_id
        if org_unit_id is None:
            return partner.id
        own = self.units.get(org_unit_id)
        return partner.id if own is not None and partner.path.startswith(own.path) else org_unit_id

    def ancestor_of_kind(self, unit_id: int | None, kind: str) -> int | None:
        """The unit of `kind` at or above `unit_id` within the scope (None: none there)."""
        unit = self.units.get(unit_id) if unit_id else None
        if unit is None:
            return None
        for pk in reversed(unit.ancestors):
            above = self.units.get(pk)
            if above is not None and above.kind == kind:
                return pk
        return None

    def cuts(self) -> list[tuple[str, str]]:
        """The cuts the page offers: the unit and person cuts, and each org kind present at or
        below the page's unit."""
        prefix = self.root.path if self.root else ""
        present = {u.kind for u in self.units.values() if u.path.startswith(prefix)}
        return [(key, str(label)) for key, label in CUTS if key not in KIND_CUTS or key in present]

    def where(self, *, person: bool = True) -> tuple[str, list]:
        """filter() as a SQL condition over a summary table's columns, with its parameters
        (service_ops.dashboards.queries)."""
        clauses, params = [], []
        ids = self.cut_ids
        if ids is not None:
            clauses.append(f"org_unit_id IN ({', '.join(['%s'] * len(ids))})" if ids else "1 = 0")
            params += ids
        elif not self.everything:
            clauses.append("1 = 0")
        if person and self.person_id:
            clauses.append("assignee_id = %s")
            params.append(self.person_id)
        return " AND ".join(clauses) or "1 = 1", params

    def filter(self, qs: QuerySet) -> QuerySet:
        ids = self.cut_ids
        if ids is not None:
            qs = qs.filter(org_unit_id__in=ids)
        elif not self.everything:
            qs = qs.none()
        if self.person_id:
            qs = qs.filter(assignee_id=self.person_id)
        return qs


def scope_for(user, *, unit_id=None, person_id=None) -> Scope:
    """The caller's scope (one query: the units of the subtree), cut to `unit_id` when that unit
    lies in it (ignored otherwise)."""
    everything = sees_everything(user)
    own = user_org_unit(user)
    rows = queries.org_units(None if everything else own.path) if everything or own else []
    units = {pk: Unit(pk, name, kind, path) for pk, name, kind, path in rows}
    root = units.get(own.pk) if own is not None else None
    if everything and root is None:
        root = next((u for u in units.values() if u.kind == OrgKind.HEADQUARTERS), None)
    chosen = units.get(_int(unit_id)) if unit_id else None
    if chosen is not None:
        root = chosen
    return Scope(units=units, everything=everything, root=root, person_id=_int(person_id))


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# --- links ------------------------------------------------------------------------------------


def timers_url(
    *, bucket: str, kind: str = "", app: str = "", unit=None, person=None, under=None,
    base: str = "",
) -> str:  # fmt: skip
    params = {"bucket": bucket}
    if kind:
        params["kind"] = kind
    elif app:
        params["app"] = app
    if unit:
        params["unit"] = unit
    if person:
        params["person"] = person
    if under:
        params["under"] = under
    return f"{base or reverse('sla_timers')}?{urlencode(params)}"


def kind_list_url(kind: plugins.DeadlineKind, bucket: str = "open") -> str:
    """The app's own list of a kind's items (declared on the kind), filtered for `bucket` where
    the kind says how; "" when it declares none."""
    if not kind.list_url:
        return ""
    try:
        url = reverse_plain(kind.list_url)
    except Exception:  # an app list that is not installed: no link
        return ""
    query = dict(kind.list_params).get(bucket, "")
    return f"{url}?{query}" if query else url


# --- the dashboard --------------------------------------------------------------------------


def _rate(met: int, late: int, missed: int) -> float | None:
    total = met + late + missed
    return round(100.0 * met / total, 1) if total else None


@dataclass
class Numbers:
    open: int = 0
    overdue: int = 0
    due_today: int = 0
    due_next_day: int = 0
    paused: int = 0
    met: int = 0
    late: int = 0
    missed_open: int = 0
    ball: dict[str, int] = field(default_factory=dict)

    def add_open(self, row: dict, sign: int = 1) -> None:
        # spelt out: a page adds a few hundred rows, and a loop of getattr/setattr cost twice this
        self.open += sign * (row["open"] or 0)
        self.overdue += sign * (row["overdue"] or 0)
        self.due_today += sign * (row["due_today"] or 0)
        self.due_next_day += sign * (row["due_next_day"] or 0)
        self.paused += sign * (row["paused"] or 0)
        holder = row.get("ball_holder")
        if row["paused"] and holder:
            self.ball[holder] = self.ball.get(holder, 0) + sign * row["paused"]

    def add_rate(self, row: dict, sign: int = 1) -> None:
        self.met += sign * (row["met"] or 0)
        self.late += sign * (row["late"] or 0)
        self.missed_open += sign * (row["missed_open"] or 0)

    @property
    def rate(self) -> float | None:
        return _rate(self.met, self.late, self.missed_open)

    @property
    def judged(self) -> int:
        return self.met + self.late + self.missed_open


@dataclass
class Tile:
    kind: str
    label: str
    numbers: Numbers
    list_url: str = ""
    links: dict[str, str] = field(default_factory=dict)
    balls: list[tuple[str, int]] = field(default_factory=list)
    trend: list[float | None] = field(default_factory=list)


@dataclass
class AppGroup:
    label: str
    name: str
    tiles: list[Tile]
    numbers: Numbers
    links: dict[str, str] = field(default_factory=dict)


@dataclass
class UnitRow:
    id: int | None
    name: str
    numbers: Numbers
    links: dict[str, str] = field(default_factory=dict)
    drill: str = ""


@dataclass
class Dashboard:
    scope: Scope
    refreshed: SlaRefresh
    bounds: Bounds
    groups: list[AppGroup]
    total: Numbers
    total_links: dict[str, str]
    units: list[UnitRow]
    people: list[tuple[int, str, int]]
    weeks: list[date]
    week_rates: list[float | None]
    calendar_years: list[int]
    person_name: str = ""
    cut: str = "unit"
    cut_more: int = 0  # rows of the cut beyond the table's CUT_LIMIT
    chosen_unit: bool = False  # the page's unit came from the request

    @property
    def cut_label(self) -> str:
        return str(dict(CUTS)[self.cut])

    def cut_links(self) -> list[tuple[str, str, str, bool]]:
        """(key, label, URL, chosen) of the cut selector, keeping the page's unit and person."""
        base = reverse("sla_dashboard")
        keep = {}
        if self.scope.root is not None and self.chosen_unit:
            keep["unit"] = self.scope.root.id
        if self.scope.person_id:
            keep["person"] = self.scope.person_id
        return [
            (key, label, f"{base}?{urlencode(keep | {'cut': key})}", key == self.cut)
            for key, label in self.scope.cuts()
        ]

    @property
    def chart(self) -> dict:
        """What the page's charts draw (json_script)."""
        return {
            "weeks": [w.strftime("%m-%d") for w in self.weeks],
            "total": self.week_rates,
            "groups": [
                {"name": str(g.name), "rates": _group_trend(g, len(self.weeks))}
                for g in self.groups
            ],
            "units": [str(u.name) for u in self.units[:20]],
            "unit_overdue": [u.numbers.overdue for u in self.units[:20]],
            "unit_open": [u.numbers.open for u in self.units[:20]],
            "unit_rate": [u.numbers.rate for u in self.units[:20]],
        }


def _group_trend(group: AppGroup, weeks: int) -> list[float | None]:
    sums = [[0, 0, 0] for _ in range(weeks)]
    for tile in group.tiles:
        for i, counts in enumerate(getattr(tile, "_weekly", [])):
            for j in range(3):
                sums[i][j] += counts[j]
    return [_rate(*s) for s in sums]


def _state_and_years() -> tuple[SlaRefresh, list[int]]:
    """The refresh row (an unsaved empty one before the periodic job's first run: a page never
    writes) and this and next year while their working-day calendar is not confirmed (the page
    warns), in one query: each round trip counts on a page whose own SQL takes a few ms."""
    this_year = clock.local_date(timezone.now()).year
    years = (this_year, this_year + 1)
    state, confirmed = queries.refresh_and_confirmed(years)
    return state, [y for y in years if y not in confirmed]


def dashboard(user, *, unit_id=None, person_id=None, cut=None) -> Dashboard:
    scope = scope_for(user, unit_id=unit_id, person_id=person_id)
    cut = cut if cut in {key for key, _label in scope.cuts()} else "unit"
    state, calendar_years = _state_and_years()
    with clock.pinned():
        bounds = Bounds.at(state.as_of or timezone.now())
    unit_arg = scope.root.id if (unit_id and scope.root) else None
    person_arg = scope.person_id

    timers_base = reverse("sla_timers")

    def links(*, kind="", app="", unit=unit_arg, person=person_arg, under=None):
        """The links of one set of numbers, as timers_url writes them (the same parameters in
        the same order), with one urlencode for the eight buckets."""
        params = {"kind": kind} if kind else {"app": app} if app else {}
        for key, value in (("unit", unit), ("person", person), ("under", under)):
            if value:
                params[key] = value
        rest = f"&{urlencode(params)}" if params else ""
        return {b: f"{timers_base}?bucket={b}{rest}" for b in ALL_BUCKETS}

    where, params = scope.where()
    open_rows = queries.open_rows(where, params)
    daily_table = (SlaDailyPersonCount if scope.person_id else SlaDailyCount)._meta.db_table
    by_day, by_unit = queries.daily_rows(
        daily_table,
        where,
        params,
        window_start=bounds.window_start,
        rate_start=bounds.rate_start,
    )
    people = _people(scope)

    # per kind
    kind_numbers: dict[str, Numbers] = defaultdict(Numbers)
    for row in open_rows:
        kind_numbers[row["kind"]].add_open(row)
    monday = bounds.today - timedelta(days=bounds.today.weekday())
    weeks = [monday - timedelta(weeks=TREND_WEEKS - 1 - i) for i in range(TREND_WEEKS)]
    weekly: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0, 0] for _ in weeks])
    rate_start = bounds.rate_start
    for row in by_day:
        if row["day"] >= rate_start:
            kind_numbers[row["kind"]].add_rate(row)
        i = (row["day"] - weeks[0]).days // 7
        if 0 <= i < len(weeks):
            counts = weekly[row["kind"]][i]
            counts[0] += row["met"] or 0
            counts[1] += row["late"] or 0
            counts[2] += row["missed_open"] or 0

    ball_labels = dict(BallHolder.choices)
    groups: list[AppGroup] = []
    declared: set[str] = set()
    total = Numbers()

    def tile_for(kind: str, label, declaration=None) -> Tile:
        numbers = kind_numbers.get(kind, Numbers())
        tile = Tile(
            kind=kind,
            label=str(label),
            numbers=numbers,
            list_url=kind_list_url(declaration) if declaration else "",
            links=links(kind=kind),
            balls=[(str(ball_labels.get(b, b)), n) for b, n in sorted(numbers.ball.items())],
            trend=[_rate(*c) for c in weekly.get(kind, [])] or [None] * len(weeks),
        )
        tile._weekly = weekly.get(kind, [])
        return tile

    for label, kinds in plugins.deadline_kinds_by_app():
        tiles = []
        for k in kinds:
            declared.add(k.kind)
            tiles.append(tile_for(k.kind, k.label, k))
        groups.append(_group(label, tiles, links(app=label)))
    strays = sorted(set(kind_numbers) - declared)  # timers of a kind no installed app declares
    if strays:
        groups.append(_group("", [tile_for(k, k) for k in strays], links(app="")))
    for g in groups:
        _merge(total, g.numbers)

    unit_rows, cut_more = _cut_rows(
        scope, cut, bounds, total, links, person_arg, open_rows=open_rows, unit_rates=by_unit
    )

    week_sums = [[0, 0, 0] for _ in weeks]
    for counts_list in weekly.values():
        for i, counts in enumerate(counts_list):
            for j in range(3):
                week_sums[i][j] += counts[j]
    person_name = next((name for pk, name, _n in people if pk == person_arg), "")
    return Dashboard(
        scope=scope,
        refreshed=state,
        bounds=bounds,
        groups=groups,
        total=total,
        total_links=links(),
        units=unit_rows,
        people=people,
        weeks=weeks,
        week_rates=[_rate(*s) for s in week_sums],
        calendar_years=calendar_years,
        person_name=person_name,
        cut=cut,
        cut_more=cut_more,
        chosen_unit=bool(unit_arg),
    )


def _sums(qs: QuerySet, keys: tuple[str, ...], buckets: tuple[str, ...]) -> list[dict]:
    return list(qs.values(*keys).annotate(**{n: Sum(n) for n in buckets}).order_by())


def _cut_rows(scope, cut, bounds, total, links, person_arg, *, open_rows, unit_rates):
    """The rows of the cut's table (the most overdue first, CUT_LIMIT of them, the rest
    counted), from the page's open rows (by kind, unit and ball holder) and last 30 days' rates
    by unit — no query of its own; by person three (open, rates, names) — and for the dealer,
    service-point, branch and province cuts two more (the partner tables), to move a partner's
    timers from their own unit to it."""
    numbers: dict[int | None, Numbers] = defaultdict(Numbers)
    if cut == "person":
        opened = scope.filter(SlaOpenCount.objects.filter(assignee__isnull=False))
        rated = scope.filter(SlaDailyPersonCount.objects.filter(day__gte=bounds.rate_start))
        for row in _sums(opened, ("assignee_id",), OPEN_BUCKETS):
            numbers[row["assignee_id"]].add_open(row)
        for row in _sums(rated, ("assignee_id",), RATE_BUCKETS):
            numbers[row["assignee_id"]].add_rate(row)
        rest = Numbers()  # the timers nobody is assigned: the total less the people's
        _merge(rest, total)
        for n in numbers.values():
            _merge(rest, n, sign=-1)
        rest.ball = {}
        if rest.open or rest.judged:
            numbers[None] = rest
    else:
        at: dict[int | None, Numbers] = defaultdict(Numbers)
        for row in open_rows:
            at[row["org_unit_id"]].add_open(row)
        for row in unit_rates:
            at[row["org_unit_id"]].add_rate(row)
        if cut in KIND_CUTS and not scope.person_id:
            # the partners' share of each unit's timers moves to the partner
            person_free = Scope(scope.units, scope.everything, scope.root)
            keys = ("org_unit_id", "partner_id")
            p_open = person_free.filter(SlaPartnerOpenCount.objects.all())
            p_rated = person_free.filter(
                SlaPartnerDailyCount.objects.filter(day__gte=bounds.rate_start)
            )
            for rows, add in ((_sums(p_open, keys, OPEN_BUCKETS), Numbers.add_open),
                              (_sums(p_rated, keys, RATE_BUCKETS), Numbers.add_rate)):  # fmt: skip
                for row in rows:
                    to = scope.deepest(row["org_unit_id"], row["partner_id"])
                    if to != row["org_unit_id"]:
                        add(at[row["org_unit_id"]], row, -1)
                        add(at[to], row)
        for uid, n in at.items():
            key = scope.child_of_root(uid) if cut == "unit" else scope.ancestor_of_kind(uid, cut)
            _merge(numbers[key], n)
    names = _person_names([k for k in numbers if k]) if cut == "person" else {}
    rows = []
    base = reverse("sla_dashboard")
    root_id = scope.root.id if scope.root else None
    for key, n in numbers.items():
        if not (n.open or n.judged):
            continue
        drill = ""
        if cut == "person":
            name = names.get(key, str(key)) if key else _("未指定责任人")
            row_links = links(person=key) if key else {}
        elif cut == "unit":
            unit = scope.units.get(key) if key else None
            name = unit.name if unit else _("未指定单位")
            row_links = links(unit=key) if key else {}
            if unit is not None and unit.id != root_id:
                params = {"unit": unit.id}
                if person_arg:
                    params["person"] = person_arg
                drill = f"{base}?{urlencode(params)}"
        else:
            unit = scope.units.get(key) if key else None
            name = unit.name if unit else _("不属于任何%(kind)s") % {"kind": OrgKind(cut).label}
            row_links = links(under=key) if key else {}
        rows.append(UnitRow(id=key, name=name, numbers=n, links=row_links, drill=drill))
    rows.sort(key=lambda r: (-r.numbers.overdue, -r.numbers.open, r.name))
    return rows[:CUT_LIMIT], max(0, len(rows) - CUT_LIMIT)


def _person_names(ids: list[int]) -> dict[int, str]:
    users = get_user_model().objects.filter(pk__in=ids)
    return {
        pk: f"{last}{first}" or username
        for pk, username, first, last in users.values_list(
            "id", "username", "first_name", "last_name"
        )
    }


def _merge(into: Numbers, other: Numbers, sign: int = 1) -> None:
    for name in ALL_BUCKETS:
        setattr(into, name, getattr(into, name) + sign * getattr(other, name))
    for b, n in other.ball.items():
        into.ball[b] = into.ball.get(b, 0) + sign * n


def _group(label: str, tiles: list[Tile], links: dict[str, str]) -> AppGroup:
    numbers = Numbers()
    for tile in tiles:
        _merge(numbers, tile.numbers)
    return AppGroup(label=label, name=app_name(label), tiles=tiles, numbers=numbers, links=links)


def app_name(label: str) -> str:
    return str(apps.get_app_config(label).verbose_name) if label else _("其他")


def _people(scope: Scope) -> list[tuple[int, str, int]]:
    """(user id, name, open items) of the people with the most open items in the scope (the
    person cut keeps the chosen one listed)."""
    return queries.people(*scope.where(person=False), PEOPLE_LIMIT)


# --- the list behind every number ----------------------------------------------------------


def kinds_of_app(label: str) -> list[str]:
    for app_label, kinds in plugins.deadline_kinds_by_app():
        if app_label == label:
            return [k.kind for k in kinds]
    return []


def timers(user, *, bucket: str, kind: str = "", app: str = "", unit_id=None, person_id=None,
           under=None, now: datetime | None = None) -> QuerySet[Deadline]:  # fmt: skip
    """The timers behind one dashboard number, live: the same bucket definitions, the same scope
    (by the timer's org unit; headquarters also sees timers without one). Met and late: closed
    in the rate's window (the last RATE_DAYS days); missed_open: due in the trend's window."""
    scope = scope_for(user, unit_id=unit_id, person_id=person_id)
    with clock.pinned():
        b = Bounds.at(now or timezone.now())
    qs = scope.filter(Deadline.objects.all()).filter(bucket_q(bucket, b))
    if under:
        qs = _under(qs, scope, under)
    if bucket in ("met", "late"):
        qs = qs.filter(closed_at__gte=clock.at_local(b.rate_start, time(0)))
    elif bucket == "missed_open":
        qs = qs.filter(due_at__gte=clock.at_local(b.rate_start, time(0)))
    kinds = [kind] if kind else kinds_of_app(app) if app else None
    if kinds is not None:
        if bucket in OPEN_BUCKETS or bucket == "missed_open":
            # Open timers are found through their partial indexes; the kind is then a filter on
            # those few thousand rows. Read as an expression, so the planner never ANDs in the
            # kind's index (a million closed repair limits: 72 of the list's 98 ms).
            qs = qs.alias(kind_text=Concat("kind", Value(""))).filter(kind_text__in=kinds)
        else:
            qs = qs.filter(kind__in=kinds)
    return qs


def _under(qs: QuerySet, scope: Scope, under) -> QuerySet:
    """The timers an org-kind cut counts at `under` or below (Scope.deepest): their own unit
    there, or their owner's partner there while their own unit is above it (or none)."""
    target = scope.units.get(_int(under) or 0)
    if target is None:
        return qs.none()
    ids = sorted(u.id for u in scope.units.values() if u.path.startswith(target.path))
    q = Q(org_unit_id__in=ids)
    partnered = partner_in_q(ids) if not scope.person_id else None
    if partnered is not None:
        above = [pk for pk in target.ancestors if pk != target.id]
        q |= (Q(org_unit_id__in=above) | Q(org_unit__isnull=True)) & partnered
    return qs.filter(q)


def person_label(user_id: int | None) -> str:
    if not user_id:
        return ""
    user = get_user_model().objects.filter(pk=user_id).first()
    return (user.get_full_name() or user.get_username()) if user else ""
