"""The deadline engine, driven through time with time-machine: warnings, breaches and the
escalation chain (resolved through the org tree and delegations), pause and resume, extensions,
and the owners' handlers. The sweep's mechanics under load and concurrency are in
test_deadline_sweep.py."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from network.choices import BranchKind, OrgKind, Role
from network.models import Delegation, OrgUnit, RoleAssignment, StaffProfile
from service_ops.deadlines import registry
from service_ops.deadlines.models import (
    DeadlineAction,
    DeadlineLog,
    DeadlinePause,
    DeadlinePolicy,
    DeadlineStatus,
    LimitUnit,
)
from service_ops.deadlines.services import (
    deadline_cancel,
    deadline_close,
    deadline_extend,
    deadline_pause,
    deadline_resume,
    deadline_start,
)
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Channel, Notification

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
KIND = "test.repair"
CHAIN = ["assignee", "repair_supervisor", "head_of_cs"]


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


class Org:
    """HQ → 广东省区 → 广州分公司, and 长沙分公司 elsewhere, with the people of the chain."""


def person(username, unit, *roles, role_unit=None):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@x.cn")
    StaffProfile.objects.create(user=user, org_unit=unit)
    for role in roles:
        RoleAssignment.objects.create(user=user, role=role, org_unit=role_unit or unit)
    return user


@pytest.fixture
def org():
    o = Org()
    o.hq = OrgUnit.objects.create(code="HQ", name="总部", kind=OrgKind.HEADQUARTERS)
    o.gd = OrgUnit.objects.create(code="GD", name="广东省区", kind=OrgKind.PROVINCE, parent=o.hq)
    o.gz = OrgUnit.objects.create(
        code="GZ",
        name="广州分公司",
        kind=OrgKind.BRANCH,
        branch_kind=BranchKind.OPERATING,
        parent=o.gd,
    )
    o.cs = OrgUnit.objects.create(
        code="CS",
        name="长沙分公司",
        kind=OrgKind.BRANCH,
        branch_kind=BranchKind.MANAGED,
        parent=o.hq,
    )
    o.tech = person("tech", o.gz, Role.TECHNICIAN)
    o.supervisor = person("supervisor", o.hq, Role.REPAIR_SUPERVISOR)
    o.cs_supervisor = person("cs_supervisor", o.cs, Role.REPAIR_SUPERVISOR)
    o.head = person("head", o.hq, Role.HEAD_OF_CS)
    return o


def policy(
    *,
    code="repair-1",
    unit=LimitUnit.WORKING_DAYS,
    limit=3,
    max_total=15,
    chain=CHAIN,
    warn_before=None,
):
    return DeadlinePolicy.objects.get_or_create(
        code=code,
        defaults={
            "name": "维修时限",
            "kind": KIND,
            "unit": unit,
            "limit": Decimal(limit),
            "max_total": Decimal(max_total) if max_total is not None else None,
            "warn_before": warn_before,
            "escalation_chain": list(chain),
        },
    )[0]


def start(org, the_policy=None, *, started_at=None, label="返修单 R-1"):
    """A repair timer of the technician at 广州分公司, by default received Wed Sep 30 10:00."""
    return deadline_start(
        policy=the_policy or policy(),
        owner=org.tech,
        org_unit=org.gz,
        assignee=org.tech,
        started_at=started_at or at(2026, 9, 30, 10),
        label=label,
    )


def told(user, **filters):
    """Subjects of the in-app notifications a user received, oldest first."""
    rows = Notification.objects.filter(recipient=user, channel=Channel.IN_APP, **filters)
    return list(rows.order_by("created_at", "id").values_list("subject", flat=True))


def sweep_at(time_machine, moment):
    """Travel to `moment` and run the sweep as beat would (it reads the clock itself)."""
    time_machine.move_to(moment, tick=False)
    return sweep_deadlines()


# --- starting ---------------------------------------------------------------------------------


def test_a_timer_started_before_national_day_is_due_on_the_make_up_saturday(org):
    deadline = start(org)

    assert deadline.due_at == at(2026, 10, 10, 18)
    assert deadline.warn_at == at(2026, 10, 9, 18)  # one working day left
    assert deadline.next_action_at == deadline.warn_at
    assert deadline.status == DeadlineStatus.RUNNING
    assert DeadlineLog.objects.get(deadline=deadline).kind == DeadlineLog.Kind.START


def test_a_later_policy_edit_never_moves_a_running_timer(org):
    the_policy = policy()
    deadline = start(org, the_policy)

    the_policy.limit = Decimal(7)
    the_policy.save()
    deadline_pause(deadline=deadline, reason="等配件", at=at(2026, 10, 8, 9))
    deadline = deadline_resume(deadline=deadline, at=at(2026, 10, 8, 10))

    assert Decimal(deadline.policy_snapshot["limit"]) == 3
    assert deadline.due_at == at(2026, 10, 10, 18)


def test_an_hour_limit_warns_when_a_quarter_of_it_is_left(org):
    complaint = policy(code="complaint-72h", unit=LimitUnit.CALENDAR_HOURS, limit=72)

    deadline = start(org, complaint, started_at=at(2026, 11, 23, 9))

    assert deadline.due_at == at(2026, 11, 26, 9)
    assert deadline.warn_at == at(2026, 11, 25, 15)  # 18 hours before


# --- warning, breach, escalation ----------------------------------------------------------------


def test_the_warning_and_the_breach_each_fire_once(org, time_machine):
    deadline = start(org)

    assert sweep_at(time_machine, at(2026, 10, 9, 17, 59)).fired == 0
    assert sweep_at(time_machine, at(2026, 10, 9, 18)).fired == 1
    assert sweep_at(time_machine, at(2026, 10, 9, 18)).fired == 0
    assert sweep_at(time_machine, at(2026, 10, 10, 12)).fired == 0
    assert sweep_at(time_machine, at(2026, 10, 10, 18)).fired == 1
    assert sweep_at(time_machine, at(2026, 10, 10, 18, 5)).fired == 0

    assert told(org.tech) == ["即将到期：返修单 R-1", "已超期：返修单 R-1"]
    actions = DeadlineAction.objects.filter(deadline=deadline)
    assert sorted(actions.values_list("cycle", "level")) == [(0, 1), (0, 2)]
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.BREACHED
    assert deadline.breached_at == at(2026, 10, 10, 18)
    assert deadline.next_action_at == at(2026, 10, 12, 18)  # the first escalation


def test_the_escalation_chain_reaches_role_holders_through_the_org_tree(org, time_machine):
    deadline = start(org)
    sweep_at(time_machine, at(2026, 10, 9, 18))
    sweep_at(time_machine, at(2026, 10, 10, 18))

    # Level 3, one working day after the breach: the repair supervisor, assigned at HQ, an
    # ancestor of 广州分公司 (Sunday Oct 11 is not a working day).
    assert sweep_at(time_machine, at(2026, 10, 11, 18)).fired == 0
    assert sweep_at(time_machine, at(2026, 10, 12, 18)).fired == 1
    assert told(org.supervisor) == ["超期升级（第 1 级）：返修单 R-1"]
    assert told(org.head) == []
    # Level 4, one more working day: the head of customer service.
    assert sweep_at(time_machine, at(2026, 10, 13, 18)).fired == 1
    assert told(org.head) == ["超期升级（第 2 级）：返修单 R-1"]
    # The chain is exhausted: nothing more, ever.
    assert sweep_at(time_machine, at(2026, 11, 30, 18)).fired == 0

    assert told(org.cs_supervisor) == []  # another branch's supervisor is not in this chain
    assert told(org.tech) == ["即将到期：返修单 R-1", "已超期：返修单 R-1"]
    deadline.refresh_from_db()
    assert (deadline.level, deadline.next_action_at) == (4, None)
    assert DeadlineAction.objects.filter(deadline=deadline).count() == 4


def test_the_nearest_role_holder_up_the_tree_is_the_one_told(org, time_machine):
    provincial_supervisor = person(
        "gd_supervisor", org.gd, Role.REPAIR_SUPERVISOR, role_unit=org.gd
    )
    start(org, started_at=at(2026, 9, 29, 10))  # due Oct 9, level 3 on Oct 10

    sweep_at(time_machine, at(2026, 10, 10, 18))

    assert told(provincial_supervisor) == ["超期升级（第 1 级）：返修单 R-1"]
    assert told(org.supervisor) == []


def test_an_active_deputy_is_told_as_well_and_an_expired_one_is_not(org, time_machine):
    deputy = person("deputy", org.hq)
    former_deputy = person("former_deputy", org.hq)
    Delegation.objects.create(
        principal=org.supervisor,
        deputy=deputy,
        role=Role.REPAIR_SUPERVISOR,
        starts_on=date(2026, 10, 12),
        ends_on=date(2026, 10, 16),
    )
    Delegation.objects.create(
        principal=org.supervisor,
        deputy=former_deputy,
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 10, 11),
    )
    start(org)

    sweep_at(time_machine, at(2026, 10, 12, 18))  # level 3, after a sweeper outage

    assert told(org.supervisor) == ["超期升级（第 1 级）：返修单 R-1"]
    assert told(deputy) == ["超期升级（第 1 级）：返修单 R-1"]
    assert told(former_deputy) == []


def test_the_deputy_of_an_absent_assignee_hears_of_the_warning(org, time_machine):
    deputy = person("deputy", org.gz)
    Delegation.objects.create(
        principal=org.tech, deputy=deputy, starts_on=date(2026, 10, 9), ends_on=date(2026, 10, 9)
    )
    start(org)

    sweep_at(time_machine, at(2026, 10, 9, 18))

    assert told(deputy) == ["即将到期：返修单 R-1"]


def test_a_sweep_that_was_down_fires_only_the_highest_level_reached(org, time_machine):
    deadline = start(org)

    assert sweep_at(time_machine, at(2026, 10, 12, 18, 30)).fired == 1

    assert list(DeadlineAction.objects.filter(deadline=deadline).values_list("level")) == [(3,)]
    assert told(org.supervisor) == ["超期升级（第 1 级）：返修单 R-1"]
    # The assignee still hears of the breach, in the one message the sweep sends.
    assert told(org.tech) == ["超期升级（第 1 级）：返修单 R-1"]
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.BREACHED
    assert deadline.breached_at == at(2026, 10, 10, 18)


def test_a_paused_timer_fires_nothing(org, time_machine):
    deadline = start(org)
    deadline_pause(deadline=deadline, reason="等客户确认报价", at=at(2026, 10, 8, 10))

    assert sweep_at(time_machine, at(2026, 10, 20, 18)).claimed == 0
    assert not DeadlineAction.objects.exists()


def test_a_closed_timer_is_met_before_its_due_time_and_late_after_it(org):
    on_time = start(org)
    late = start(org)

    assert deadline_close(deadline=on_time, at=at(2026, 10, 10, 17)).status == DeadlineStatus.MET
    assert deadline_close(deadline=late, at=at(2026, 10, 10, 19)).status == DeadlineStatus.LATE
    assert deadline_close(deadline=late, at=at(2026, 10, 11, 9)).closed_at == at(2026, 10, 10, 19)


def test_a_timer_closed_while_paused_is_judged_against_its_due_time_moved_by_the_pause(org):
    deadline = start(org)  # due Oct 10 18:00
    deadline_pause(deadline=deadline, reason="等客户确认报价", at=at(2026, 10, 8, 10))

    deadline = deadline_close(deadline=deadline, at=at(2026, 10, 12, 9))

    assert deadline.status == DeadlineStatus.MET
    assert deadline.due_at == at(2026, 10, 14, 18)  # Oct 8, 9 and 10 were credited
    assert DeadlinePause.objects.get(deadline=deadline).credited == 3


def test_a_cancelled_paused_timer_closes_its_pause(org):
    deadline = start(org)
    deadline_pause(deadline=deadline, reason="等配件", at=at(2026, 10, 8, 10))

    deadline = deadline_cancel(deadline=deadline, reason="申请撤回", at=at(2026, 10, 9, 10))

    assert (deadline.status, deadline.next_action_at) == (DeadlineStatus.CANCELLED, None)
    assert DeadlinePause.objects.get(deadline=deadline).resumed_at == at(2026, 10, 9, 10)


# --- pause and resume -------------------------------------------------------------------------


def test_a_pause_from_monday_to_wednesday_moves_the_due_time_by_two_working_days(org):
    deadline = start(org, started_at=at(2026, 11, 20, 10))  # Friday; due Wednesday Nov 25
    assert deadline.due_at == at(2026, 11, 25, 18)

    deadline_pause(deadline=deadline, reason="等客户确认报价", at=at(2026, 11, 23, 10))
    deadline = deadline_resume(deadline=deadline, at=at(2026, 11, 25, 10))

    assert deadline.due_at == at(2026, 11, 27, 18)
    assert deadline.warn_at == at(2026, 11, 26, 18)
    assert deadline.status == DeadlineStatus.RUNNING
    pause = DeadlinePause.objects.get(deadline=deadline)
    assert (pause.credited, pause.ball_holder) == (Decimal(2), "customer")
    log = DeadlineLog.objects.get(deadline=deadline, kind=DeadlineLog.Kind.RESUME)
    assert (log.due_before, log.due_after) == (at(2026, 11, 25, 18), at(2026, 11, 27, 18))


def test_a_pause_inside_one_working_day_moves_nothing(org):
    deadline = start(org, started_at=at(2026, 11, 20, 10))

    deadline_pause(deadline=deadline, reason="等配件", at=at(2026, 11, 23, 10))
    deadline = deadline_resume(deadline=deadline, at=at(2026, 11, 23, 17))

    assert deadline.due_at == at(2026, 11, 25, 18)


def test_a_pause_of_a_working_hours_timer_moves_it_by_the_paused_working_hours(org):
    hours = policy(code="diagnose-16h", unit=LimitUnit.WORKING_HOURS, limit=16)
    deadline = start(org, hours, started_at=at(2026, 11, 23, 9))  # Mon 9 h + Tue 7 h
    assert deadline.due_at == at(2026, 11, 24, 15, 30)

    # Monday 10:00 to Wednesday 10:00 is 8 + 9.5 + 1.5 = 19 working hours.
    deadline_pause(deadline=deadline, reason="等配件", at=at(2026, 11, 23, 10))
    deadline = deadline_resume(deadline=deadline, at=at(2026, 11, 25, 10))

    assert deadline.due_at == at(2026, 11, 26, 15, 30)
    assert deadline.paused_credit == Decimal(19)


def test_a_short_pause_of_an_hour_limit_moves_it_to_the_second(org):
    hours = policy(code="diagnose-16h", unit=LimitUnit.WORKING_HOURS, limit=16)
    deadline = start(org, hours, started_at=at(2026, 11, 23, 9))

    deadline_pause(deadline=deadline, reason="等配件", at=at(2026, 11, 23, 10))
    deadline = deadline_resume(deadline=deadline, at=at(2026, 11, 23, 10, 10, 7))
    deadline_pause(deadline=deadline, reason="等配件", at=at(2026, 11, 23, 11))
    deadline = deadline_resume(deadline=deadline, at=at(2026, 11, 23, 11, 0, 1))

    assert deadline.due_at == at(2026, 11, 24, 15, 40, 8)


def test_a_pause_of_a_calendar_hours_timer_moves_it_by_the_paused_time(org):
    complaint = policy(code="complaint-72h", unit=LimitUnit.CALENDAR_HOURS, limit=72)
    deadline = start(org, complaint, started_at=at(2026, 11, 23, 9))

    deadline_pause(deadline=deadline, reason="等客户回复", at=at(2026, 11, 24, 10))
    deadline = deadline_resume(deadline=deadline, at=at(2026, 11, 24, 22, 45))

    assert deadline.due_at == at(2026, 11, 26, 21, 45)


def test_a_resumed_breached_timer_stays_breached(org, time_machine):
    deadline = start(org)
    sweep_at(time_machine, at(2026, 10, 10, 18))

    deadline_pause(deadline=deadline, reason="等配件", at=at(2026, 10, 12, 9))
    deadline = deadline_resume(deadline=deadline, at=at(2026, 10, 13, 9))

    assert deadline.status == DeadlineStatus.BREACHED
    assert deadline.level == 2


# --- extensions -------------------------------------------------------------------------------


def test_an_extension_may_reach_fifteen_working_days_but_never_more(org):
    deadline = start(org)

    deadline = deadline_extend(deadline=deadline, amount=Decimal(12), reason="等进口配件")
    assert deadline.due_at == at(2026, 10, 27, 18)  # 15 working days after Sep 30

    with pytest.raises(ValidationError) as refused:
        deadline_extend(deadline=deadline, amount=Decimal(1), reason="再等一天")
    assert "15 个工作日" in str(refused.value)
    deadline.refresh_from_db()
    assert deadline.extension == Decimal(12)
    assert DeadlineLog.objects.filter(deadline=deadline, kind="extend").count() == 1


def test_an_extension_beyond_the_maximum_at_once_is_refused(org):
    deadline = start(org)

    with pytest.raises(ValidationError):
        deadline_extend(deadline=deadline, amount=Decimal(13), reason="等进口配件")


def test_an_extension_needs_a_reason_and_whole_working_days(org):
    deadline = start(org)

    with pytest.raises(ValidationError):
        deadline_extend(deadline=deadline, amount=Decimal(2), reason="  ")
    with pytest.raises(ValidationError):
        deadline_extend(deadline=deadline, amount=Decimal("1.5"), reason="等配件")


def test_paused_time_does_not_count_against_the_maximum(org):
    deadline = start(org)
    deadline_pause(deadline=deadline, reason="等客户", at=at(2026, 10, 8, 10))
    deadline_resume(deadline=deadline, at=at(2026, 10, 14, 10))  # Oct 8, 9, 10, 12, 13

    deadline = deadline_extend(deadline=deadline, amount=Decimal(12), reason="等进口配件")

    assert deadline.paused_credit == Decimal(5)
    assert deadline.due_at == at(2026, 11, 3, 18)  # 20 working days after Sep 30


def test_extending_a_breached_timer_reopens_it_and_it_can_breach_again(org, time_machine):
    deadline = start(org)
    sweep_at(time_machine, at(2026, 10, 10, 18))

    deadline = deadline_extend(deadline=deadline, amount=Decimal(2), reason="等进口配件")

    assert (deadline.status, deadline.level, deadline.cycle) == (DeadlineStatus.RUNNING, 0, 1)
    assert deadline.breached_at is None
    assert deadline.due_at == at(2026, 10, 13, 18)
    assert sweep_at(time_machine, at(2026, 10, 12, 18)).fired == 1  # the new warning
    assert sweep_at(time_machine, at(2026, 10, 13, 18)).fired == 1  # the new breach
    actions = DeadlineAction.objects.filter(deadline=deadline)
    assert sorted(actions.values_list("cycle", "level")) == [(0, 2), (1, 1), (1, 2)]
    assert told(org.tech) == [
        "已超期：返修单 R-1",
        "即将到期：返修单 R-1",
        "已超期：返修单 R-1",
    ]


def test_extending_a_paused_breached_timer_reopens_it_too(org, time_machine):
    deadline = start(org)
    sweep_at(time_machine, at(2026, 10, 10, 18))
    deadline_pause(deadline=deadline, reason="等配件", at=at(2026, 10, 12, 9))

    deadline = deadline_extend(deadline=deadline, amount=Decimal(5), reason="等进口配件")
    deadline = deadline_resume(deadline=deadline, at=at(2026, 10, 12, 10))

    assert (deadline.status, deadline.cycle, deadline.breached_at) == ("running", 1, None)
    assert deadline.due_at == at(2026, 10, 16, 18)


# --- owners' handlers ---------------------------------------------------------------------------


class Recorder:
    def __init__(self, fail=False):
        self.calls = []
        self.fail = fail

    def on_fired(self, actions):
        self.calls.append([(a.deadline_id, a.cycle, a.level, a.breached_now) for a in actions])
        if self.fail:  # what it wrote is rolled back with its savepoint
            DeadlineLog.objects.create(deadline_id=actions[0].deadline_id, kind="cancel")
            raise RuntimeError("handler bug")


@pytest.fixture
def recorder():
    handler = Recorder()
    registry.register(KIND, handler)
    yield handler
    registry.unregister(KIND, handler)


def test_registered_handlers_receive_their_fired_actions_once(org, recorder, time_machine):
    first = start(org)
    second = start(org, started_at=at(2026, 9, 29, 10))  # due Oct 9
    registry.register(KIND, recorder)  # registering twice changes nothing

    sweep_at(time_machine, at(2026, 10, 9, 18))
    sweep_at(time_machine, at(2026, 10, 9, 18))
    sweep_at(time_machine, at(2026, 10, 9, 20))

    assert len(recorder.calls) == 1
    assert sorted(recorder.calls[0]) == [(first.pk, 0, 1, False), (second.pk, 0, 2, True)]


def test_a_handler_of_another_kind_hears_nothing(org, time_machine):
    other = Recorder()
    registry.register("test.other", other)
    try:
        start(org)
        sweep_at(time_machine, at(2026, 10, 9, 18))
    finally:
        registry.unregister("test.other", other)

    assert other.calls == []


def test_a_failing_handler_is_rolled_back_alone_and_the_people_are_still_told(
    org, recorder, time_machine
):
    failing = Recorder(fail=True)
    registry.register(KIND, failing)
    try:
        start(org)
        result = sweep_at(time_machine, at(2026, 10, 9, 18))
    finally:
        registry.unregister(KIND, failing)

    assert result.fired == 1
    assert len(failing.calls) == len(recorder.calls) == 1
    assert told(org.tech) == ["即将到期：返修单 R-1"]
    assert DeadlineAction.objects.count() == 1
    assert not DeadlineLog.objects.filter(kind="cancel").exists()


def test_a_handler_may_add_recipients(org, time_machine):
    class CopyToHead:
        def on_fired(self, actions):
            for action in actions:
                action.extra_recipient_ids.append(org.head.pk)

    handler = CopyToHead()
    registry.register(KIND, handler)
    try:
        start(org)
        sweep_at(time_machine, at(2026, 10, 9, 18))
    finally:
        registry.unregister(KIND, handler)

    assert told(org.head) == ["即将到期：返修单 R-1"]


def test_the_sweep_runs_on_the_moment_it_is_given_not_the_database_clock(org, time_machine):
    start(org)
    time_machine.move_to(at(2026, 10, 9, 12), tick=False)

    assert sweep_deadlines(now=at(2026, 10, 9, 18) + timedelta(seconds=1)).fired == 1
    assert DeadlineAction.objects.get().fired_at == at(2026, 10, 9, 18, 0, 1)
