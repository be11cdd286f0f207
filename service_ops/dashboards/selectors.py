"""Reads of the SLA dashboard: the summary tables cut by the caller's scope (headquarters: all;
anyone else: their unit's subtree), an optional unit below it and an optional person; and the
list behind each number, straight from the timers with the same definitions.

The page costs a constant number of queries whatever the data: the org units of the caller's
subtree (names, paths: the roll-up to the units one level below the cut is done here), the open
summary by kind, unit and ball holder, the daily rows by day and kind and by unit, the people
with open items, the refresh row and the calendar year to confirm."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import QuerySet, Sum, Value
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
from service_ops.workcalendar import clock
from service_ops.workcalendar.models import CalendarYear

from .models import SlaDailyCount, SlaDailyPersonCount, SlaOpenCount, SlaRefresh
from .refresh import (
    OPEN_BUCKETS,
    RATE_BUCKETS,
    TREND_WEEKS,
    Bounds,
    bucket_q,
)

PEOPLE_LIMIT = 200  # the person select: the people with the most open items
ALL_BUCKETS = (*OPEN_BUCKETS, *RATE_BUCKETS)


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
    from network.models import OrgUnit

    everything = sees_everything(user)
    own = user_org_unit(user)
    qs = OrgUnit.objects.all()
    if not everything:
        qs = qs.filter(path__startswith=own.path) if own else qs.none()
    units = {
        pk: Unit(pk, name, kind, path)
        for pk, name, kind, path in qs.values_list("id", "name", "kind", "path")
    }
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
    *, bucket: str, kind: str = "", app: str = "", unit=None, person=None, base: str = ""
) -> str:
    params = {"bucket": bucket}
    if kind:
        params["kind"] = kind
    elif app:
        params["app"] = app
    if unit:
        params["unit"] = unit
    if person:
        params["person"] = person
    return f"{base or reverse('sla_timers')}?{urlencode(params)}"


def kind_list_url(kind: plugins.DeadlineKind, bucket: str = "open") -> str:
    """The app's own list of a kind's items (declared on the kind), filtered for `bucket` where
    the kind says how; "" when it declares none."""
    if not kind.list_url:
        return ""
    try:
        url = reverse(kind.list_url)
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

    def add_open(self, row: dict) -> None:
        for name in OPEN_BUCKETS:
            setattr(self, name, getattr(self, name) + (row[name] or 0))
        if row["paused"] and row["ball_holder"]:
            self.ball[row["ball_holder"]] = self.ball.get(row["ball_holder"], 0) + row["paused"]

    def add_rate(self, row: dict) -> None:
        for name in RATE_BUCKETS:
            setattr(self, name, getattr(self, name) + (row[name] or 0))

    @property
    def rate(self) -> float | None:
        return _rate(self.met, self.late, self.missed_open)

    @property
    def judged(self) -> int:
        return self.met + self.late + self.missed_open


CELLS = (  # a tile's six cells: bucket, label, colour when not zero
    ("open", gettext_lazy("未结"), ""),
    ("overdue", gettext_lazy("已超期"), "danger"),
    ("due_today", gettext_lazy("今日到期"), "warning"),
    ("due_next_day", gettext_lazy("下一工作日"), ""),
    ("paused", gettext_lazy("暂停中"), ""),
    ("late", gettext_lazy("30天超期完成"), ""),
)


@dataclass
class Tile:
    kind: str
    label: str
    numbers: Numbers
    list_url: str = ""
    links: dict[str, str] = field(default_factory=dict)
    balls: list[tuple[str, int]] = field(default_factory=list)
    trend: list[float | None] = field(default_factory=list)

    @property
    def cells(self) -> list[tuple[str, str, int, str, str]]:
        """(bucket, label, number, link, colour) of the tile's cells."""
        return [
            (name, label, n := getattr(self.numbers, name), self.links[name], tone if n else "")
            for name, label, tone in CELLS
        ]


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


def refresh_state() -> SlaRefresh:
    """The refresh row (an unsaved empty one before the periodic job's first run: a page never
    writes, the job fills the tables within DASHBOARD_REFRESH_SECONDS)."""
    return SlaRefresh.objects.filter(pk=1).first() or SlaRefresh(pk=1)


def dashboard(user, *, unit_id=None, person_id=None) -> Dashboard:
    scope = scope_for(user, unit_id=unit_id, person_id=person_id)
    state = refresh_state()
    with clock.pinned():
        bounds = Bounds.at(state.as_of or timezone.now())
    unit_arg = scope.root.id if (unit_id and scope.root) else None
    person_arg = scope.person_id

    timers_base = reverse("sla_timers")

    def links(**kw) -> dict[str, str]:
        return {b: timers_url(bucket=b, unit=kw.get("unit", unit_arg), person=person_arg,
                              kind=kw.get("kind", ""), app=kw.get("app", ""), base=timers_base)
                for b in ALL_BUCKETS}  # fmt: skip

    open_rows = list(
        scope.filter(SlaOpenCount.objects.all())
        .values("kind", "org_unit_id", "ball_holder")
        .annotate(**{name: Sum(name) for name in OPEN_BUCKETS})
        .order_by()
    )
    daily_model = SlaDailyPersonCount if scope.person_id else SlaDailyCount
    daily = scope.filter(daily_model.objects.filter(day__gte=bounds.window_start))
    by_day = list(
        daily.values("day", "kind")
        .annotate(**{name: Sum(name) for name in RATE_BUCKETS})
        .order_by()
    )
    by_unit = list(
        daily.filter(day__gte=bounds.rate_start)
        .values("org_unit_id")
        .annotate(**{name: Sum(name) for name in RATE_BUCKETS})
        .order_by()
    )
    people = _people(scope)

    # per kind
    kind_numbers: dict[str, Numbers] = defaultdict(Numbers)
    for row in open_rows:
        kind_numbers[row["kind"]].add_open(row)
    monday = bounds.today - timedelta(days=bounds.today.weekday())
    weeks = [monday - timedelta(weeks=TREND_WEEKS - 1 - i) for i in range(TREND_WEEKS)]
    weekly: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0, 0] for _ in weeks])
    for row in by_day:
        if row["day"] >= bounds.rate_start:
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

    # by unit one level below the cut
    unit_numbers: dict[int | None, Numbers] = defaultdict(Numbers)
    for row in open_rows:
        unit_numbers[scope.child_of_root(row["org_unit_id"])].add_open(row)
    for row in by_unit:
        unit_numbers[scope.child_of_root(row["org_unit_id"])].add_rate(row)
    unit_rows = []
    base = reverse("sla_dashboard")
    for uid, numbers in unit_numbers.items():
        unit = scope.units.get(uid) if uid else None
        drill = ""
        if unit is not None and unit.id != (scope.root.id if scope.root else None):
            params = {"unit": unit.id}
            if person_arg:
                params["person"] = person_arg
            drill = f"{base}?{urlencode(params)}"
        unit_rows.append(
            UnitRow(
                id=uid,
                name=unit.name if unit else _("未指定单位"),
                numbers=numbers,
                links=links(unit=uid) if uid else {},
                drill=drill,
            )
        )
    unit_rows.sort(key=lambda r: (-r.numbers.overdue, -r.numbers.open, r.name))

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
        calendar_years=years_to_confirm(),
        person_name=person_name,
    )


def _merge(into: Numbers, other: Numbers) -> None:
    for name in ALL_BUCKETS:
        setattr(into, name, getattr(into, name) + getattr(other, name))
    for b, n in other.ball.items():
        into.ball[b] = into.ball.get(b, 0) + n


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
    qs = Scope(scope.units, scope.everything, scope.root).filter(
        SlaOpenCount.objects.filter(assignee__isnull=False)
    )
    rows = list(
        qs.values(
            "assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name"
        )
        .annotate(n=Sum("open"))
        .order_by("-n", "assignee_id")[:PEOPLE_LIMIT]
    )
    return [
        (
            r["assignee_id"],
            f"{r['assignee__last_name']}{r['assignee__first_name']}" or r["assignee__username"],
            r["n"],
        )
        for r in rows
    ]


def years_to_confirm(*, now: datetime | None = None) -> list[int]:
    """This year and the coming one, where their working-day calendar is not confirmed (seeded
    provisional, or not seeded at all): the dashboard warns until an admin confirms them."""
    this_year = clock.local_date(now or timezone.now()).year
    confirmed = set(
        CalendarYear.objects.filter(
            year__in=[this_year, this_year + 1], provisional=False
        ).values_list("year", flat=True)
    )
    return [y for y in (this_year, this_year + 1) if y not in confirmed]


# --- the list behind every number ----------------------------------------------------------


def kinds_of_app(label: str) -> list[str]:
    for app_label, kinds in plugins.deadline_kinds_by_app():
        if app_label == label:
            return [k.kind for k in kinds]
    return []


def timers(user, *, bucket: str, kind: str = "", app: str = "", unit_id=None, person_id=None,
           now: datetime | None = None) -> QuerySet[Deadline]:  # fmt: skip
    """The timers behind one dashboard number, live: the same bucket definitions, the same scope
    (by the timer's org unit; headquarters also sees timers without one). Met and late: closed
    in the rate's window (the last RATE_DAYS days); missed_open: due in the trend's window."""
    scope = scope_for(user, unit_id=unit_id, person_id=person_id)
    with clock.pinned():
        b = Bounds.at(now or timezone.now())
    qs = scope.filter(Deadline.objects.all()).filter(bucket_q(bucket, b))
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


def person_label(user_id: int | None) -> str:
    if not user_id:
        return ""
    user = get_user_model().objects.filter(pk=user_id).first()
    return (user.get_full_name() or user.get_username()) if user else ""
