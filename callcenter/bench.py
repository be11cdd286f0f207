"""The call centre's part of the volume benchmark: a year of activation-code queries from the
bench's service points (most answered and charged, some refused), and their staff list; a year
of a large call centre's shifts (60 agents in six groups, two leads): the roster, leave requests,
swaps and hand-overs, and the shift pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

from network.models import OrgUnit
from service_ops.bench import BenchPart, Context, Probe

from .choices import ActivationOutcome
from .models import ActivationQuery

MIX = (
    [ActivationOutcome.ANSWERED] * 14
    + [ActivationOutcome.INSUFFICIENT_BALANCE] * 3
    + [
        ActivationOutcome.INCOMPLETE,
        ActivationOutcome.NO_SUCH_CODE,
        ActivationOutcome.UNKNOWN_SENDER,
    ]
)


def generate(ctx: Context) -> None:
    n = ctx.scale.get("activation_queries", ctx.scale.get("orders", 20_000) // 4)
    points = list(OrgUnit.objects.filter(code__startswith="BENCH-S").values_list("pk", flat=True))
    rows = []
    for i in range(n):
        outcome = MIX[i % len(MIX)]
        sender = (
            None
            if outcome == ActivationOutcome.UNKNOWN_SENDER or not points
            else points[i % len(points)]
        )
        rows.append(
            ActivationQuery(
                message_id=f"bench-{i}",
                from_number=f"139{i:08d}"[:11],
                text=f"JH BENCH{i:07d}",
                sender_id=sender,
                serial_number=f"BENCH{i:07d}",
                outcome=outcome,
                fee=Decimal("0.00"),
                reply="bench",
                received_at=ctx.now - timedelta(minutes=(n - i) * 20),
            )
        )
    ActivationQuery.objects.bulk_create(rows, batch_size=5_000)
    ctx.count("callcenter.ActivationQuery", n)


def probes(ctx: Context) -> list[Probe]:
    url = reverse("callcenter:activation_query_list")
    return [
        Probe("activation queries", "hq", url, row_marker="JHCX", load=1),
        Probe("activation queries", "hq", url, variant="deep", deep=True, row_marker="JHCX"),
        Probe(
            "activation queries",
            "hq",
            f"{url}?outcome=insufficient_balance",
            variant="outcome=insufficient_balance",
            row_marker="JHCX",
        ),
    ]


# --- shifts (排班): a year of a large call centre ------------------------------------------------

CC_AGENTS = 60
CC_GROUPS = "ABCDEF"


def generate_shifts(ctx: Context) -> None:
    """60 agents in six groups of ten (A, C, E on the even days, B, D, F on the odd ones), two
    leads (A–C, D–F); a year of roster up to the end of next month; each agent's leave about
    once a month (most approved, the future ones waiting), swaps between an even and an odd
    group's agents (about two a month each, most approved), one hand-over a day."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from network.bench import PASSWORD
    from network.choices import Role
    from network.models import RoleAssignment, StaffProfile
    from service_ops.bench import Caller
    from service_ops.workcalendar.clock import local_date

    from .models.shifts import (
        HandOver,
        HandOverState,
        LeaveRequest,
        LeaveState,
        RosterEntry,
        ShiftGroup,
        ShiftMember,
        ShiftSwap,
        SwapState,
    )
    from .selectors.shifts import add_months, month_days

    n_agents = ctx.scale.get("cc_agents", CC_AGENTS)
    hq = ctx.shared["network"]["hq"]
    User = get_user_model()
    password = make_password(PASSWORD)
    names = [f"bench-cc-lead-{i}" for i in range(2)] + [
        f"bench-cc-agent-{i:02d}" for i in range(n_agents)
    ]
    users = User.objects.bulk_create(
        [
            User(
                username=u,
                first_name=("组长" if "lead" in u else "坐席") + u[-2:].strip("-"),
                email=f"{u}@bench.invalid",
                password=password,
            )
            for u in names
        ]
    )
    StaffProfile.objects.bulk_create([StaffProfile(user=u, org_unit_id=hq) for u in users])
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(
                user=u,
                org_unit_id=hq,
                role=Role.CALL_CENTRE_LEAD if "lead" in u.username else Role.CALL_AGENT,
            )
            for u in users
        ]
    )
    leads, agents = users[:2], users[2:]
    today = local_date(ctx.now)
    first = add_months(today.replace(day=1), -11)
    last = month_days(add_months(today.replace(day=1), 1))[-1]
    groups = ShiftGroup.objects.bulk_create(
        [
            ShiftGroup(code=code, lead=leads[i // 3], anchor=first + timedelta(days=i % 2))
            for i, code in enumerate(CC_GROUPS)
        ]
    )
    group_of = {a.pk: groups[i % len(groups)] for i, a in enumerate(agents)}
    ShiftMember.objects.bulk_create([ShiftMember(group=group_of[a.pk], user=a) for a in agents])
    entries = []
    day = first
    while day <= last:
        for agent in agents:
            group = group_of[agent.pk]
            if group.works_on(day):
                start, end = group.shift_times(day)
                entries.append(
                    RosterEntry(
                        day=day,
                        agent=agent,
                        group=group,
                        starts_at=start,
                        ends_at=end,
                        updated_at=ctx.now,
                    )
                )
        day += timedelta(days=1)
    RosterEntry.objects.bulk_create(entries, batch_size=5_000)
    ctx.count("callcenter.ShiftGroup", len(groups))
    ctx.count("callcenter.ShiftMember", len(agents))
    ctx.count("callcenter.RosterEntry", len(entries))
    ctx.count("auth.User", len(users))
    by_agent: dict[int, list] = {}
    for e in entries:
        by_agent.setdefault(e.agent_id, []).append(e)

    # leave: one shift a month each; a future one waits, past ones mostly approved
    leaves, marked = [], []
    for i, agent in enumerate(agents):
        for k, e in enumerate(by_agent[agent.pk][i % 7 :: 15]):
            future = e.starts_at > ctx.now
            state = (
                LeaveState.SUBMITTED
                if future
                else (LeaveState.REFUSED if k % 9 == 0 else LeaveState.APPROVED)
            )
            leaves.append(
                LeaveRequest(
                    agent=agent,
                    group=group_of[agent.pk],
                    kind="ordinary" if k % 4 else "emergency",
                    first_day=e.day,
                    last_day=e.day,
                    shift_starts_at=e.starts_at,
                    reason="bench",
                    state=state,
                    submitted_at=e.starts_at - timedelta(days=2),
                )
            )
            marked.append(e)
    LeaveRequest.objects.bulk_create(leaves, batch_size=5_000)
    approved = [(e, lv) for e, lv in zip(marked, leaves, strict=True) if lv.state == "approved"]
    for e, lv in approved:
        e.leave = lv
    RosterEntry.objects.bulk_update([e for e, _lv in approved], ["leave"], batch_size=5_000)
    ctx.count("callcenter.LeaveRequest", len(leaves))

    # swaps: agent i of an even group with agent i+1 of the odd group next to it, twice a month
    on_leave = {e.pk for e in marked}
    swaps = []
    for i in range(0, len(agents) - 1, 2):
        a, b = agents[i], agents[i + 1]
        theirs_by_day = {e.day: e for e in by_agent[b.pk]}
        for k, mine in enumerate(by_agent[a.pk][3::14]):
            theirs = theirs_by_day.get(mine.day + timedelta(days=1))
            if theirs is None or mine.pk in on_leave or theirs.pk in on_leave:
                continue
            future = mine.starts_at > ctx.now
            state = (
                (SwapState.AGREED if k % 2 else SwapState.PROPOSED)
                if future
                else (SwapState.DECLINED if k % 6 == 0 else SwapState.APPROVED)
            )
            swaps.append(
                ShiftSwap(
                    requester=a,
                    partner=b,
                    requester_group=group_of[a.pk],
                    partner_group=group_of[b.pk],
                    requester_entry=mine,
                    partner_entry=theirs,
                    requester_day=mine.day,
                    partner_day=theirs.day,
                    month=mine.day.replace(day=1),
                    state=state,
                    created_at=mine.starts_at - timedelta(days=3),
                )
            )
    ShiftSwap.objects.bulk_create(swaps, batch_size=5_000)
    ctx.count("callcenter.ShiftSwap", len(swaps))

    # hand-overs: one a day by the even/odd groups' first agent, acknowledged but the last
    handovers = []
    day = first
    while day <= today:
        writer = agents[(day - first).days % 2]
        handovers.append(
            HandOver(
                shift_day=day,
                group=group_of[writer.pk],
                written_by=writer,
                written_at=group_of[writer.pk].shift_times(day)[1] - timedelta(minutes=10),
                equipment="正常",
                problems=f"bench {day}",
                state=HandOverState.ACKNOWLEDGED if day < today else HandOverState.WRITTEN,
                acknowledged_by=agents[1 - (day - first).days % 2] if day < today else None,
            )
        )
        day += timedelta(days=1)
    HandOver.objects.bulk_create(handovers, batch_size=5_000)
    ctx.count("callcenter.HandOver", len(handovers))

    ctx.callers["cc_agent"] = Caller("cc_agent", "呼叫中心坐席", agents[0], password=PASSWORD)
    ctx.callers["cc_lead"] = Caller("cc_lead", "坐席组长", leads[0], password=PASSWORD)
    ctx.facts["cc_month"] = today.strftime("%Y-%m")


def shift_probes(ctx: Context) -> list[Probe]:
    r = {
        name: reverse(f"callcenter:{name}")
        for name in (
            "roster",
            "roster_day",
            "my_shifts",
            "leave_list",
            "swap_list",
            "handover_list",
        )
    }
    month = ctx.facts.get("cc_month", "")
    return [
        Probe("shift roster", "hq", r["roster"], row_marker="在岗人数", load=1),
        Probe(
            "shift roster",
            "cc_lead",
            f"{r['roster']}?month={month}&group=A",
            variant="group=A",
            row_marker="在岗人数",
        ),
        Probe("shift day", "cc_lead", r["roster_day"], row_marker="list-group-item"),
        Probe("my shifts", "cc_agent", r["my_shifts"], row_marker="21:00", load=1),
        Probe("leave requests", "cc_lead", r["leave_list"], row_marker="QJ"),
        Probe("leave requests", "hq", r["leave_list"], variant="deep", deep=True, row_marker="QJ"),
        Probe(
            "leave requests",
            "cc_lead",
            f"{r['leave_list']}?state=submitted",
            variant="state=submitted",
            row_marker="QJ",
        ),
        Probe(
            "leave requests",
            "cc_agent",
            f"{r['leave_list']}?mine=1",
            variant="mine",
            row_marker="QJ",
        ),
        Probe("swaps", "cc_lead", r["swap_list"], row_marker="HB"),
        Probe(
            "swaps", "cc_lead", r["swap_list"], variant="deep", deep=True, hops=3, row_marker="HB"
        ),
        Probe(
            "swaps",
            "hq",
            f"{r['swap_list']}?state=agreed",
            variant="state=agreed",
            row_marker="HB",
        ),
        Probe("hand-overs", "cc_agent", r["handover_list"], row_marker="JJ", load=1),
        Probe(
            "hand-overs", "cc_agent", r["handover_list"], variant="deep", deep=True, row_marker="JJ"
        ),
    ]


def generate_all(ctx: Context) -> None:
    generate(ctx)
    generate_shifts(ctx)


def all_probes(ctx: Context) -> list[Probe]:
    return probes(ctx) + shift_probes(ctx)


BENCH = BenchPart(
    generate=generate_all,
    probes=all_probes,
    not_lists=frozenset(
        {
            "callcenter:roster_generate",
            "callcenter:leave_new",
            "callcenter:swap_new",
            "callcenter:handover_new",
        }
    ),
)
