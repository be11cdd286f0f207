"""The sweep's mechanics (DESIGN §3.1): a constant number of queries per batch, one SELECT when
nothing is due, once-only actions when sweepers overlap, the outbox written in the sweep's own
transaction, and the partial index."""

import random
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from network.choices import BranchKind, OrgKind, Role
from network.models import OrgUnit, RoleAssignment, StaffProfile
from service_ops.deadlines import registry, timing
from service_ops.deadlines.models import (
    Deadline,
    DeadlineAction,
    DeadlineLog,
    DeadlinePolicy,
    DeadlineStatus,
    LimitUnit,
)
from service_ops.deadlines.services import deadline_pause, deadline_start
from service_ops.deadlines.sweep import _Policy, sweep_deadlines
from service_ops.notifications.models import Channel, Notification
from service_ops.workcalendar import clock

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
KIND = "test.repair"


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


# Friday Oct 9 18:00 is the cut-off at which a 3-working-day timer started on ... reaches level:
STARTS = {
    1: at(2026, 9, 30, 10),  # warning (due Oct 10)
    2: at(2026, 9, 29, 10),  # breach (due Oct 9)
    3: at(2026, 9, 28, 10),  # first escalation (due Oct 8): the repair supervisor
    4: at(2026, 9, 25, 10),  # second escalation (due Sep 30): the head of customer service
}
NOW = at(2026, 10, 9, 18)


class Org:
    pass


def person(username, unit, *roles):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@x.cn")
    StaffProfile.objects.create(user=user, org_unit=unit)
    for role in roles:
        RoleAssignment.objects.create(user=user, role=role, org_unit=unit)
    return user


@pytest.fixture
def org():
    o = Org()
    hq = OrgUnit.objects.create(code="HQ", name="总部", kind=OrgKind.HEADQUARTERS)
    o.branch = OrgUnit.objects.create(
        code="GZ",
        name="广州分公司",
        kind=OrgKind.BRANCH,
        branch_kind=BranchKind.OPERATING,
        parent=hq,
    )
    o.tech = person("tech", o.branch, Role.TECHNICIAN)
    o.supervisor = person("supervisor", hq, Role.REPAIR_SUPERVISOR)
    o.head = person("head", hq, Role.HEAD_OF_CS)
    o.policy = DeadlinePolicy.objects.create(
        code="repair-1",
        name="维修时限",
        kind=KIND,
        unit=LimitUnit.WORKING_DAYS,
        limit=Decimal(3),
        escalation_chain=["assignee", "repair_supervisor", "head_of_cs"],
    )
    clock.is_working_day(NOW.date())  # seed the calendar before anything is counted
    return o


def start(org, started_at, the_policy=None):
    return deadline_start(
        policy=the_policy or org.policy,
        owner=org.tech,
        org_unit=org.branch,
        assignee=org.tech,
        started_at=started_at,
        label="返修单",
    )


def in_app(user):
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP).count()


def statements(captured):
    """The captured SQL without transaction control (savepoints of the test's transaction)."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO", "BEGIN"))
    ]


# --- cost -------------------------------------------------------------------------------------


def test_a_sweep_with_nothing_due_runs_one_select_and_writes_nothing(org):
    """Thousands of paused, future, fully escalated and closed timers are not even looked at."""
    running = start(org, at(2026, 10, 8, 10))  # warns Oct 10
    paused = start(org, STARTS[4])  # long overdue, were it running
    deadline_pause(deadline=paused, reason="等配件", at=at(2026, 9, 28, 9))
    paused.refresh_from_db()
    fields = {
        f.attname: getattr(paused, f.attname)
        for f in Deadline._meta.concrete_fields
        if not f.primary_key
    }
    rows = []
    for i in range(6000):
        row = Deadline(**fields)
        if i % 3 == 1:  # running, next action ahead
            row.status, row.next_action_at = DeadlineStatus.RUNNING, running.next_action_at
        elif i % 3 == 2:  # breached and escalated as far as the chain goes
            row.status, row.level, row.next_action_at = DeadlineStatus.BREACHED, 4, None
        rows.append(row)
    Deadline.objects.bulk_create(rows)

    with CaptureQueriesContext(connection) as captured:
        result = sweep_deadlines(now=NOW)

    assert (result.claimed, result.fired, result.batches) == (0, 0, 1)
    sql = statements(captured)
    assert len(sql) == 1
    assert sql[0].startswith("SELECT")
    assert "FOR UPDATE" in sql[0] or connection.vendor != "postgresql"


@pytest.mark.postgres
def test_one_batch_costs_the_same_queries_for_10_and_for_100_due_timers(
    org, django_assert_max_num_queries
):
    for i in range(10):
        start(org, STARTS[i % 4 + 1])
    with CaptureQueriesContext(connection) as ten:
        result = sweep_deadlines(now=NOW)
    assert (result.claimed, result.fired, result.batches) == (10, 10, 1)
    assert len(ten) <= 16

    for i in range(100):
        start(org, STARTS[i % 4 + 1])
    with django_assert_max_num_queries(len(ten)), CaptureQueriesContext(connection) as hundred:
        result = sweep_deadlines(now=NOW)
    assert (result.claimed, result.fired, result.batches) == (100, 100, 1)
    assert len(hundred) == len(ten)
    # Every kind of recipient was resolved: warnings, breaches and both escalation levels.
    assert set(DeadlineAction.objects.values_list("level", flat=True)) == {1, 2, 3, 4}
    assert in_app(org.supervisor) == 2 + 25
    assert in_app(org.head) == 2 + 25


def test_a_sweep_works_through_everything_due_in_batches(org):
    for _ in range(25):
        start(org, STARTS[1])

    result = sweep_deadlines(now=NOW, batch_size=10)

    assert (result.claimed, result.fired, result.batches) == (25, 25, 3)
    assert in_app(org.tech) == 25


@pytest.mark.postgres
def test_the_claim_query_can_use_the_partial_index_on_open_timers(org):
    start(org, STARTS[1])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    claim = Deadline.objects.filter(
        status__in=[DeadlineStatus.RUNNING, DeadlineStatus.BREACHED], next_action_at__lte=NOW
    ).order_by("next_action_at")

    assert "deadline_due_open" in claim.explain()


# --- once only --------------------------------------------------------------------------------


def test_sweeping_again_at_the_same_or_a_later_time_fires_nothing_new(org):
    for level in (1, 2, 3, 4):
        start(org, STARTS[level])

    first = sweep_deadlines(now=NOW)
    again = sweep_deadlines(now=NOW)
    later = sweep_deadlines(now=at(2026, 10, 9, 23))

    assert (first.fired, again.fired, later.fired) == (4, 0, 0)
    assert DeadlineAction.objects.count() == 4
    assert Notification.objects.filter(channel=Channel.IN_APP).count() == 1 + 1 + 2 + 2


def test_a_level_whose_action_row_exists_is_not_fired_again_but_the_timer_moves_on(org):
    deadline = start(org, STARTS[1])
    # As if another sweeper had fired the warning (e.g. SQLite, where SKIP LOCKED is dropped).
    DeadlineAction.objects.create(deadline=deadline, cycle=0, level=1, fired_at=NOW)

    result = sweep_deadlines(now=NOW)

    assert (result.claimed, result.fired) == (1, 0)
    assert not Notification.objects.exists()
    deadline.refresh_from_db()
    assert (deadline.level, deadline.next_action_at) == (1, deadline.due_at)


class Rendezvous:
    """A handler that holds each sweeper's first batch open until the other sweeper has claimed
    a batch too: both transactions then hold their row locks at the same time."""

    def __init__(self):
        self.barrier = threading.Barrier(2, timeout=30)
        self.waited: set[str] = set()
        self.met: set[str] = set()

    def on_fired(self, actions):
        name = threading.current_thread().name
        if name in self.waited:
            return
        self.waited.add(name)
        self.barrier.wait()
        self.met.add(name)


def sweep_in_parallel(now):
    rendezvous = Rendezvous()
    registry.register(KIND, rendezvous)
    results, errors = {}, []

    def sweeper():
        try:
            results[threading.current_thread().name] = sweep_deadlines(now=now, batch_size=10)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper, name=name) for name in ("one", "two")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        registry.unregister(KIND, rendezvous)
    assert errors == []
    assert rendezvous.met == {"one", "two"}, "the two sweeps did not overlap"
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_escalates_each_level_once_when_two_sweeps_overlap(org):
    timers = [start(org, STARTS[1]) for _ in range(120)]
    rounds = [
        (at(2026, 10, 9, 18), org.tech),  # warning
        (at(2026, 10, 10, 18), org.tech),  # breach
        (at(2026, 10, 12, 18), org.supervisor),  # level 3
        (at(2026, 10, 13, 18), org.head),  # level 4
    ]
    expected = {org.tech.pk: 0, org.supervisor.pk: 0, org.head.pk: 0}

    for number, (now, told) in enumerate(rounds, start=1):
        results = sweep_in_parallel(now)

        assert sum(r.fired for r in results.values()) == 120
        assert all(r.fired > 0 for r in results.values())
        assert DeadlineAction.objects.count() == 120 * number
        assert DeadlineAction.objects.filter(level=number).count() == 120
        expected[told.pk] += 120
        for user in (org.tech, org.supervisor, org.head):
            assert in_app(user) == expected[user.pk]

    assert set(Deadline.objects.values_list("level", "status")) == {(4, "breached")}
    assert len({t.pk for t in timers}) == 120


# --- the outbox -------------------------------------------------------------------------------


def test_actions_and_notifications_commit_together_or_not_at_all(org, monkeypatch):
    deadline = start(org, STARTS[1])

    def broken(*args):
        raise RuntimeError("database went away")

    monkeypatch.setattr("service_ops.notifications.services._insert_rows", broken)
    with pytest.raises(RuntimeError):
        sweep_deadlines(now=NOW)

    assert not DeadlineAction.objects.exists()
    deadline.refresh_from_db()
    assert (deadline.level, deadline.next_action_at) == (0, deadline.warn_at)


def test_the_sender_is_nudged_once_per_batch_when_the_sweep_commits(
    org, time_machine, django_capture_on_commit_callbacks
):
    hours = DeadlinePolicy.objects.create(
        code="diagnose-16h",
        name="诊断时限",
        kind=KIND,
        unit=LimitUnit.WORKING_HOURS,
        limit=Decimal(16),
    )
    for _ in range(3):
        start(org, at(2026, 11, 23, 9), hours)  # warns Tuesday 11:30, inside working hours
    time_machine.move_to(at(2026, 11, 24, 11, 30), tick=False)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sweep_deadlines()

    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["tech@x.cn"]] * 3
    assert not Notification.objects.filter(channel=Channel.EMAIL, sent_at__isnull=True).exists()


def test_a_warning_at_the_cut_off_is_mailed_at_the_next_opening(org):
    start(org, STARTS[1])

    sweep_deadlines(now=NOW)  # Friday Oct 9 18:00

    email = Notification.objects.get(channel=Channel.EMAIL)
    assert email.send_after == at(2026, 10, 10, 8, 30)  # the make-up Saturday


def test_later_batches_of_a_sweep_look_up_no_one_again(org):
    """Recipients (role holders, deputies, how each person is reached) are looked up once per
    sweep for the people and units a batch adds: a batch of known people costs five statements
    (claim, actions, advance, log, outbox)."""
    for _ in range(30):
        start(org, STARTS[3])  # first escalation: the supervisor and, breached now, the tech

    with CaptureQueriesContext(connection) as captured:
        result = sweep_deadlines(now=NOW, batch_size=10)

    assert (result.claimed, result.fired, result.batches) == (30, 30, 4)
    per_batch = [q for q in statements(captured) if "service_ops_calendarversion" not in q]
    claims = [i for i, q in enumerate(per_batch) if 'FROM "service_ops_deadline" WHERE' in q]
    assert len(claims) == 4
    second, third = claims[1], claims[2]
    assert third - second == 5
    assert in_app(org.supervisor) == 30


# --- the log ----------------------------------------------------------------------------------


def test_each_fired_level_leaves_one_log_row_with_what_people_were_told(org):
    timers = {level: start(org, STARTS[level]) for level in (1, 2, 3, 4)}

    sweep_deadlines(now=NOW)
    sweep_deadlines(now=NOW)  # nothing new: no new rows

    fired = DeadlineLog.objects.exclude(kind=DeadlineLog.Kind.START)
    assert sorted(fired.values_list("deadline_id", "kind", "detail")) == sorted(
        [
            (timers[1].pk, "warn", "即将到期：返修单"),
            (timers[2].pk, "breach", "已超期：返修单"),
            (timers[3].pk, "escalate", "超期升级（第 1 级）：返修单"),
            (timers[4].pk, "escalate", "超期升级（第 2 级）：返修单"),
        ]
    )
    assert set(fired.values_list("at", flat=True)) == {NOW}
    assert all(log.due_after == log.deadline.due_at for log in fired.select_related("deadline"))


def test_a_level_another_sweeper_fired_leaves_no_second_log_row(org):
    deadline = start(org, STARTS[1])
    DeadlineAction.objects.create(deadline=deadline, cycle=0, level=1, fired_at=NOW)

    sweep_deadlines(now=NOW)

    assert not DeadlineLog.objects.exclude(kind=DeadlineLog.Kind.START).exists()


def test_the_sweeps_one_walk_matches_level_reached_and_next_action_at(org):
    """The sweep computes the reached level and the next action in one walk (_Policy.advance);
    it must agree with timing.level_reached and timing.next_action_at."""
    rng = random.Random(5)
    snapshots = [
        {"escalation_chain": ["assignee", "repair_supervisor", "head_of_cs"]},
        {"escalation_chain": ["assignee", "head_of_cs"], "escalation_interval": 2},
        {"escalation_chain": ["call_agent"]},
        {"escalation_chain": []},
    ]
    for _ in range(2000):
        snapshot = rng.choice(snapshots)
        policy = _Policy(snapshot)
        due = datetime(2026, 3, 2, 18, tzinfo=SH) + timedelta(hours=rng.randrange(24 * 120))
        warn = due - timedelta(hours=rng.randrange(0, 72))
        now = due + timedelta(hours=rng.randrange(-96, 24 * 20))
        level = rng.randrange(0, timing.max_level(snapshot) + 1)

        reached, new_level, nxt = policy.advance(level, warn, due, now)

        assert reached == timing.level_reached(snapshot, level, warn, due, now)
        assert new_level == (reached or level)
        assert nxt == timing.next_action_at(snapshot, new_level, warn, due)
