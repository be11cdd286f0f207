"""The SLA dashboard (service_ops.dashboards): every number on it equals a direct count of the
timers on the same data, the refresh gives the same summary incrementally as in full, a branch
manager sees their branch only, and the page costs the same number of queries however many
timers there are.

The timers are made by the engine's own services across kinds (declared by three apps, and one
kind nobody declares), org units, people and states, with explicit moments (time-machine for the
refresh's `now`); the expected counts are written here from the bucket definitions, not read
from the code under test."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from network.models import OrgUnit
from service_ops.dashboards import refresh, selectors
from service_ops.dashboards.models import (
    SlaDailyCount,
    SlaDailyPersonCount,
    SlaOpenCount,
    SlaPartnerDailyCount,
    SlaPartnerOpenCount,
)
from service_ops.dashboards.refresh import refresh_sla_summary
from service_ops.deadlines.models import BallHolder, Deadline, DeadlinePolicy
from service_ops.deadlines.services import (
    deadline_cancel,
    deadline_close,
    deadline_pause,
    deadline_start,
)
from service_ops.deadlines.sweep import sweep_deadlines

pytestmark = [pytest.mark.django_db]

SH = ZoneInfo("Asia/Shanghai")
# A Friday: today ends at Saturday 00:00, the next working day is Monday 2026-11-23.
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SH)
TODAY_END = datetime(2026, 11, 21, 0, 0, tzinfo=SH)
NEXT_DAY_END = datetime(2026, 11, 24, 0, 0, tzinfo=SH)
RATE_START = datetime(2026, 10, 22, 0, 0, tzinfo=SH)  # the 30 days 10-22 … 11-20
KINDS = ("repair.quote_send", "callcenter.callback", "complaints.stage", "test.undeclared")
OPEN = ("running", "paused", "breached")
TICKING = ("running", "breached")


def _policy(kind: str, unit: str, limit: int) -> DeadlinePolicy:
    return DeadlinePolicy.objects.create(
        code=f"t-{kind.replace('.', '-')}-{unit}", name=kind, kind=kind, unit=unit, limit=limit
    )


def build_timers(net, *, n: int, seed: int = 7) -> None:
    """`n` timers of every kind, unit and state, started between 40 days and a few hours before
    NOW, some closed (on time or late), cancelled, paused (with a ball holder) or breached by the
    sweep."""
    rnd = random.Random(seed)
    policies = [
        _policy(kind, unit, limit)
        for kind in KINDS
        for unit, limit in (("working_days", 3), ("calendar_hours", 30))
    ]
    units = [net.gz, net.cs, net.dealer, net.point, net.hq, net.gd, None]
    people = [net.tech, net.gz_engineer, net.cs_engineer, None]
    for i in range(n):
        started = NOW - timedelta(hours=rnd.randint(2, 40 * 24))
        d = deadline_start(
            policy=rnd.choice(policies),
            owner=net.hq,
            org_unit=rnd.choice(units),
            assignee=rnd.choice(people),
            started_at=started,
            label=f"t{i}",
        )
        fate = rnd.random()
        end = started + timedelta(hours=rnd.randint(1, 10 * 24))
        if fate < 0.45 and end < NOW:
            deadline_close(deadline=d, at=end)  # met or late by the engine's verdict
        elif fate < 0.55 and end < NOW:
            deadline_cancel(deadline=d, at=end)
        elif fate < 0.75:
            pause_at = min(end, NOW - timedelta(minutes=5))
            if pause_at > started:
                if pause_at > d.due_at:  # breached first, then paused: still missed
                    sweep_deadlines(now=pause_at)
                holder = rnd.choice([BallHolder.CUSTOMER, BallHolder.DEALER, BallHolder.SUPPLIER])
                deadline_pause(deadline=d, reason="等客户", ball_holder=holder, at=pause_at)
    # Most overdue timers are marked breached by the sweep; a few are left for the next sweep
    # (running, past due): the dashboard counts them overdue all the same.
    sweep_deadlines(now=NOW - timedelta(hours=3))


def expected(qs) -> dict[str, int]:
    """The dashboard's numbers counted directly on the timers, from the definitions."""
    ticking = Q(status__in=TICKING)
    return {
        "open": qs.filter(status__in=OPEN).count(),
        "overdue": qs.filter(ticking, due_at__lte=NOW).count(),
        "due_today": qs.filter(ticking, due_at__gt=NOW, due_at__lt=TODAY_END).count(),
        "due_next_day": qs.filter(ticking, due_at__gte=TODAY_END, due_at__lt=NEXT_DAY_END).count(),
        "paused": qs.filter(status="paused").count(),
        "met": qs.filter(status="met", closed_at__gte=RATE_START).count(),
        "late": qs.filter(status="late", closed_at__gte=RATE_START).count(),
        "missed_open": qs.filter(
            (ticking & Q(due_at__lte=NOW)) | Q(status="paused", breached_at__isnull=False),
            due_at__gte=RATE_START,
        ).count(),
    }


def numbers(n: selectors.Numbers) -> dict[str, int]:
    return {name: getattr(n, name) for name in selectors.ALL_BUCKETS}


def _tile(board, kind):
    return next(t for g in board.groups for t in g.tiles if t.kind == kind)


@pytest.fixture
def world(net):
    build_timers(net, n=160)
    with time_machine.travel(NOW, tick=False):
        refresh_sla_summary(now=NOW, full=True)
    return net


def test_every_number_equals_a_direct_count_on_the_timers(world):
    net = world
    all_timers = Deadline.objects.all()
    with time_machine.travel(NOW, tick=False):
        board = selectors.dashboard(net.head)
    assert numbers(board.total) == expected(all_timers)
    assert board.total.open > 40 and board.total.overdue > 5 and board.total.paused > 5
    assert board.total.met > 5 and board.total.late > 5 and board.total.missed_open > 5
    for kind in KINDS:
        assert numbers(_tile(board, kind).numbers) == expected(all_timers.filter(kind=kind)), kind
    # The undeclared kind still shows, under 其他; declared kinds under their app.
    assert {g.label for g in board.groups} >= {"repairs", "callcenter", "complaints", ""}
    # By unit, one level below headquarters: the provinces, HQ itself, and timers with no unit.
    rows = {row.id: row for row in board.units}
    assert numbers(rows[world.gd.pk].numbers) == expected(
        all_timers.filter(org_unit__in=[net.gd, net.gz, net.point])
    )
    assert numbers(rows[world.hn.pk].numbers) == expected(
        all_timers.filter(org_unit__in=[net.cs, net.dealer])
    )
    assert numbers(rows[world.hq.pk].numbers) == expected(all_timers.filter(org_unit=net.hq))
    assert numbers(rows[None].numbers) == expected(all_timers.filter(org_unit__isnull=True))
    # Paused timers by who holds the ball.
    for holder, label in BallHolder.choices:
        counted = all_timers.filter(status="paused", ball_holder=holder).count()
        assert board.total.ball.get(holder, 0) == counted, label


def test_the_cuts_by_unit_and_person_equal_direct_counts(world):
    net = world
    with time_machine.travel(NOW, tick=False):
        by_branch = selectors.dashboard(net.head, unit_id=net.cs.pk)
        by_person = selectors.dashboard(net.head, person_id=net.tech.pk)
        both = selectors.dashboard(net.head, unit_id=net.gd.pk, person_id=net.gz_engineer.pk)
    assert numbers(by_branch.total) == expected(
        Deadline.objects.filter(org_unit__in=[net.cs, net.dealer])
    )
    assert numbers(by_person.total) == expected(Deadline.objects.filter(assignee=net.tech))
    assert numbers(both.total) == expected(
        Deadline.objects.filter(org_unit__in=[net.gd, net.gz, net.point], assignee=net.gz_engineer)
    )
    # below a branch the units are the branch itself and its dealer
    assert {row.id for row in by_branch.units} <= {net.cs.pk, net.dealer.pk}


def test_the_list_behind_every_number_holds_that_many_timers(world, client):
    net = world
    client.force_login(net.head)
    with time_machine.travel(NOW, tick=False):
        board = selectors.dashboard(net.head)
        tile = _tile(board, "callcenter.callback")
        for bucket, url in tile.links.items():
            qs = selectors.timers(net.head, bucket=bucket, kind=tile.kind, now=NOW)
            assert qs.count() == getattr(tile.numbers, bucket), bucket
            response = client.get(url)
            assert response.status_code == 200
            page = response.context["page"]
            assert page.count == getattr(tile.numbers, bucket), (bucket, url)
        row = next(r for r in board.units if r.id == net.hn.pk)
        response = client.get(row.links["overdue"])
        assert response.context["page"].count == row.numbers.overdue


def test_the_page_shows_the_counted_numbers_with_their_links(world, client):
    """The HTML (written by service_ops.dashboards.markup, not a template loop): each tile's
    figures are the direct counts and link to their list; names are escaped."""
    import html
    import re

    net = world
    OrgUnit.objects.filter(pk=net.gd.pk).update(name="广东<省区> & 分部")
    client.force_login(net.head)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("sla_dashboard")).content.decode()
    all_timers = Deadline.objects.all()
    for kind in KINDS:
        tile = page.split(f'data-kind="{kind}"', 1)[1].split("sla-tile", 1)[0]
        shown = dict(re.findall(r'data-figure="(\w+)">(\d+)<', tile))
        counted = expected(all_timers.filter(kind=kind))
        assert {k: int(v) for k, v in shown.items()} == {k: counted[k] for k in shown}, kind
        assert set(shown) == set(selectors.ALL_BUCKETS), kind
        links = {}
        for href, attrs, inner in re.findall(r'<a [^>]*?href="([^"]+)"([^>]*)>(.*?)</a>', tile):
            figure = re.search(r'data-figure="(\w+)"', attrs + inner)
            if figure:
                links[figure.group(1)] = html.unescape(href)
        assert set(links) == set(shown), kind
        for bucket, url in links.items():
            assert f"bucket={bucket}" in url and f"kind={kind}" in url, (kind, url)
    total = page.split('id="sla-total"', 1)[1].split('id="sla-trend-title"', 1)[0]
    shown = {k: int(v) for k, v in re.findall(r'data-figure="(\w+)">(\d+)<', total)}
    assert shown == expected(all_timers)
    assert "广东&lt;省区&gt; &amp; 分部" in page and "广东<省区>" not in page


def test_the_weekly_trend_is_the_on_time_rate_of_each_week(world):
    with time_machine.travel(NOW, tick=False):
        board = selectors.dashboard(world.head)
    monday = datetime(2026, 11, 16, tzinfo=SH)
    week = Deadline.objects.filter(closed_at__gte=monday)
    met = week.filter(status="met").count()
    late = week.filter(status="late").count()
    missed = Deadline.objects.filter(
        (Q(status__in=TICKING) & Q(due_at__lte=NOW))
        | Q(status="paused", breached_at__isnull=False),
        due_at__gte=monday,
    ).count()
    assert board.weeks[-1] == monday.date()
    expected_rate = round(100.0 * met / (met + late + missed), 1) if met + late + missed else None
    assert board.week_rates[-1] == expected_rate


def test_an_incremental_refresh_ends_where_a_full_one_does(partnered):
    net = partnered
    later = NOW + timedelta(days=3, hours=2)  # Monday 12:00
    for d in Deadline.objects.filter(status__in=OPEN).order_by("pk")[:25]:
        deadline_close(deadline=d, at=later - timedelta(hours=1))
    deadline_start(policy=DeadlinePolicy.objects.first(), owner=net.hq, org_unit=net.gz,
                   started_at=later - timedelta(hours=1))  # fmt: skip
    with time_machine.travel(later, tick=False):
        refresh_sla_summary(now=later)
        inc_open = _open()
        inc_daily = _daily()
        refresh_sla_summary(now=later, full=True)
    assert _open() == inc_open
    assert _daily() == inc_daily
    assert SlaPartnerOpenCount.objects.exists() and SlaPartnerDailyCount.objects.exists()


def _open():
    partner = Counter(
        SlaPartnerOpenCount.objects.values_list(
            "org_unit", "partner", "open", "overdue", "due_today", "due_next_day", "paused"
        )
    )
    return partner + Counter(
        SlaOpenCount.objects.values_list(
            "kind",
            "org_unit",
            "assignee",
            "ball_holder",
            "open",
            "overdue",
            "due_today",
            "due_next_day",
            "paused",
        )
    )


def _daily():
    rows = {}
    for model, keys in (
        (SlaDailyCount, ("kind", "org_unit")),
        (SlaDailyPersonCount, ("kind", "org_unit", "assignee")),
        (SlaPartnerDailyCount, ("org_unit", "partner")),
    ):
        for row in model.objects.values_list("day", *keys, "met", "late", "missed_open"):
            key = (model.__name__, *row[:-3])
            old = rows.get(key, (0, 0, 0))
            rows[key] = tuple(a + b for a, b in zip(old, row[-3:], strict=True))
    return rows


def test_a_branch_manager_sees_their_branch_only(world, client):
    net = world
    with time_machine.travel(NOW, tick=False):
        board = selectors.dashboard(net.gz_manager)
        # asking for another branch is ignored: the scope stays the own branch
        other = selectors.dashboard(net.gz_manager, unit_id=net.cs.pk)
    own = Deadline.objects.filter(org_unit__in=[net.gz, net.point])
    assert numbers(board.total) == expected(own)
    assert numbers(other.total) == expected(own)
    assert {u.id for u in board.scope.cut_choices()} == {net.gz.pk}
    assert {row.id for row in board.units} <= {net.gz.pk, net.point.pk}

    client.force_login(net.gz_manager)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("sla_timers"), {"bucket": "open", "unit": net.cs.pk})
        html = client.get(reverse("sla_dashboard")).content.decode()
    shown = {d.org_unit_id for d in page.context["page"].object_list}
    assert shown and shown <= {net.gz.pk, net.point.pk}
    assert net.cs.name not in html and net.dealer.name not in html


def test_partners_and_people_without_a_supervisor_role_are_refused(world, client):
    for user in (world.dealer_user, world.tech):
        client.force_login(user)
        assert client.get(reverse("sla_dashboard")).status_code == 403
        assert client.get(reverse("sla_timers")).status_code == 403


def test_the_page_costs_the_same_queries_with_three_times_the_timers(net, client):
    build_timers(net, n=30, seed=1)
    client.force_login(net.head)
    with time_machine.travel(NOW, tick=False):
        refresh_sla_summary(now=NOW, full=True)
        client.get(reverse("sla_dashboard"))  # warm the per-process caches
        with CaptureQueriesContext(connection) as few:
            assert client.get(reverse("sla_dashboard")).status_code == 200
    Deadline.objects.all().delete()
    DeadlinePolicy.objects.filter(code__startswith="t-").delete()
    build_timers(net, n=90, seed=2)
    with time_machine.travel(NOW, tick=False):
        refresh_sla_summary(now=NOW, full=True)
        with CaptureQueriesContext(connection) as many:
            response = client.get(reverse("sla_dashboard"), {"unit": net.gd.pk})
            assert response.status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 16


def test_the_panel_refreshes_alone_and_warns_of_an_unconfirmed_calendar(world, client):
    from service_ops.workcalendar.models import CalendarYear
    from service_ops.workcalendar.services import calendar_seed_year

    client.force_login(world.head)
    with time_machine.travel(NOW, tick=False):
        calendar_seed_year(2027)
        page = client.get(reverse("sla_dashboard")).content.decode()
        panel = client.get(
            reverse("sla_dashboard"), headers={"HX-Request": "true", "HX-Target": "sla-panel"}
        ).content.decode()
    assert 'hx-trigger="every 60s"' in page
    assert "<html" not in panel and 'id="sla-panel"' in panel
    assert CalendarYear.objects.get(year=2027).provisional
    assert 'data-calendar-year="2027"' in page
    CalendarYear.objects.filter(year=2027).update(provisional=False)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("sla_dashboard")).content.decode()
    assert 'data-calendar-year="2027"' not in page


def test_the_menu_offers_the_dashboard_to_supervisors_only(world, client):
    client.force_login(world.gz_manager)
    assert reverse("sla_dashboard") in client.get(reverse("my_work")).content.decode()
    client.force_login(world.tech)
    assert reverse("sla_dashboard") not in client.get(reverse("my_work")).content.decode()


def test_the_page_never_writes_and_shows_nothing_before_the_first_refresh(net, client):
    build_timers(net, n=10)
    client.force_login(net.head)
    html = client.get(reverse("sla_dashboard")).content.decode()
    assert 'id="sla-not-yet"' in html
    assert not SlaOpenCount.objects.exists()


# --- the cuts by province, branch, dealer, service point and person ---------------------------

PARTNERED = "test.partnered"


@pytest.fixture
def partnered(net, monkeypatch):
    """The world's timers, and as many of a kind whose owner is a partner: its owner is an org
    unit (a dealer, the service point, or a branch), declared as DeadlineKind.partner declares a
    repair order's dealer; their own org unit is the branch, the province, the partner itself or
    none, as the apps set it."""
    declared = refresh.partner_kinds()
    monkeypatch.setattr(
        refresh, "partner_kinds", lambda: declared | {PARTNERED: ("network.OrgUnit", "pk")}
    )
    build_timers(net, n=120)
    rnd = random.Random(11)
    policy = _policy(PARTNERED, "working_days", 2)
    owners = [net.dealer, net.dealer2, net.point, net.gz]
    for i in range(120):
        owner = rnd.choice(owners)
        parent = OrgUnit.objects.get(pk=owner.parent_id)
        started = NOW - timedelta(hours=rnd.randint(2, 30 * 24))
        d = deadline_start(
            policy=policy,
            owner=owner,
            org_unit=rnd.choice([parent, parent, owner, net.hq, None]),
            assignee=rnd.choice([net.tech, net.cs_engineer, None]),
            started_at=started,
            label=f"p{i}",
        )
        end = started + timedelta(hours=rnd.randint(1, 6 * 24))
        if rnd.random() < 0.5 and end < NOW:
            deadline_close(deadline=d, at=end)
    sweep_deadlines(now=NOW - timedelta(hours=3))
    with time_machine.travel(NOW, tick=False):
        refresh_sla_summary(now=NOW, full=True)
    return net


def _counted_at(net, unit, within=None):
    """The timers a cut counts at `unit`, written from the definition: their own unit at or
    below it, or — a partnered kind's — their owner (the partner) at or below it while their own
    unit is above it or none; within `within`'s subtree of own units when given."""
    below = [u.pk for u in OrgUnit.objects.filter(path__startswith=unit.path)]
    above = [int(pk) for pk in unit.path.strip("/").split("/") if int(pk) != unit.pk]
    qs = Deadline.objects.filter(
        Q(org_unit__in=below)
        | (
            Q(kind=PARTNERED, owner_id__in=below)
            & (Q(org_unit__in=above) | Q(org_unit__isnull=True))
        )
    )
    if within is not None:
        qs = qs.filter(org_unit__in=OrgUnit.objects.filter(path__startswith=within.path))
    return qs


def test_the_dealer_and_service_point_cuts_equal_direct_counts(partnered):
    net = partnered
    with time_machine.travel(NOW, tick=False):
        dealers = selectors.dashboard(net.head, cut="dealer")
        points = selectors.dashboard(net.head, cut="service_point")
        branches = selectors.dashboard(net.head, cut="branch")
        provinces = selectors.dashboard(net.head, cut="province")
    assert dealers.cut == "dealer" and points.cut == "service_point"
    for board, units in (
        (dealers, [net.dealer, net.dealer2]),
        (points, [net.point]),
        (branches, [net.gz, net.cs]),
        (provinces, [net.gd, net.hn]),
    ):
        rows = {row.id: row for row in board.units}
        for unit in units:
            assert numbers(rows[unit.pk].numbers) == expected(_counted_at(net, unit)), unit.name
        # the rows add up to the page's total: every timer counted once
        added = Counter()
        for row in board.units:
            added.update(numbers(row.numbers))
        assert {k: added[k] for k in selectors.ALL_BUCKETS} == numbers(board.total)
    # a dealer's timer kept at its branch (as a repair limit is) counts at the dealer
    moved = Deadline.objects.filter(kind=PARTNERED, owner_id=net.dealer.pk, org_unit=net.cs)
    assert moved.exists() and rows_named(dealers, net.dealer.name)


def rows_named(board, name):
    return [row for row in board.units if row.name == name]


def test_the_person_cut_equals_direct_counts(partnered):
    net = partnered
    with time_machine.travel(NOW, tick=False):
        board = selectors.dashboard(net.head, cut="person")
    rows = {row.id: row for row in board.units}
    for person in (net.tech, net.cs_engineer, net.gz_engineer):
        assert numbers(rows[person.pk].numbers) == expected(
            Deadline.objects.filter(assignee=person)
        )
    assert numbers(rows[None].numbers) == expected(Deadline.objects.filter(assignee__isnull=True))


def test_the_list_behind_every_cut_number_holds_that_many_timers(partnered, client):
    net = partnered
    client.force_login(net.head)
    with time_machine.travel(NOW, tick=False):
        for cut in ("dealer", "service_point", "branch", "person"):
            board = selectors.dashboard(net.head, cut=cut)
            for row in board.units:
                for bucket, url in row.links.items():
                    response = client.get(url)
                    assert response.status_code == 200
                    assert response.context["page"].count == getattr(row.numbers, bucket), (
                        cut,
                        row.name,
                        bucket,
                    )


def test_a_branch_manager_never_sees_another_branchs_dealer(partnered, client):
    net = partnered
    with time_machine.travel(NOW, tick=False):
        cs = selectors.dashboard(net.cs_manager, cut="dealer")
        gz = selectors.dashboard(net.gz_manager, cut="dealer")
        gz_points = selectors.dashboard(net.gz_manager, cut="service_point")
    assert {row.id for row in cs.units} <= {net.dealer.pk, net.dealer2.pk, None}
    rows = {row.id: row for row in cs.units}
    assert numbers(rows[net.dealer.pk].numbers) == expected(
        _counted_at(net, net.dealer, within=net.cs)
    )
    # no dealer under 广州分公司: the cut is not offered, the page falls back to its units
    assert gz.cut == "unit" and "dealer" not in dict(gz.scope.cuts())
    assert not {row.id for row in gz.units} & {net.dealer.pk, net.dealer2.pk}
    assert {row.id for row in gz_points.units} <= {net.point.pk, None}
    assert numbers(rows_named(gz_points, net.point.name)[0].numbers) == expected(
        _counted_at(net, net.point, within=net.gz)
    )

    client.force_login(net.gz_manager)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("sla_dashboard"), {"cut": "dealer"}).content.decode()
        listed = client.get(reverse("sla_timers"), {"bucket": "open", "under": net.dealer.pk})
    assert 'data-cut="dealer"' not in html and net.dealer.name not in html
    assert net.dealer2.name not in html
    assert listed.context["page"].count == 0  # another branch's dealer: nothing behind it


def test_a_cut_costs_the_same_queries_whatever_the_cut(partnered, client):
    client.force_login(partnered.head)
    counts = {}
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("sla_dashboard"))
        for cut in ("unit", "province", "branch", "dealer", "service_point", "person"):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("sla_dashboard"), {"cut": cut})
            assert response.status_code == 200
            assert f'data-cut-row="{cut}"' in response.content.decode()
            counts[cut] = len(queries)
    assert max(counts.values()) <= 16, counts
