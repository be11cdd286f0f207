"""The inbound calls' part of the call centre's volume benchmark (callcenter/bench.py runs it):
a year of inbound calls (300,000 at the default size: 0.3 × the repair orders), ~10 % with a
follow-up (open ones with their timers), the customers who call (two calls each on average), the
call agents who log them, and the desk's lookup, history and lists."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from network.choices import Role
from network.models import RoleAssignment, StaffProfile
from service_ops.bench import BenchError, Caller, Context, Probe
from service_ops.bench.sql import Phase, execute, insert_select, max_id, reset_sequences
from service_ops.deadlines.models import Deadline, DeadlinePolicy

from .choices import CallCategory
from .models import Customer, FollowUp, InboundCall
from .plugin import FOLLOW_UP_CALLBACK_POLICY, FOLLOW_UP_POLICY


def generate_calls(ctx: Context) -> None:
    _calls(ctx)


# --- inbound calls (来电登记) and follow-ups ---------------------------------------------------

AGENTS = 12
PRODUCTS = ("GPS-X1", "GPS-X2", "T1", "T2 Pro", "行车记录仪 D3")
CALL_PASSWORD = "bench-Pass-2026"  # noqa: S105 - throwaway database, printed nowhere


def _agents(ctx: Context, hq: int) -> dict[str, int]:
    """The call centre's people at HQ: agents, their lead (the callbacks' part may have made them
    already: they are reused), the expert seat."""
    User = get_user_model()
    password = make_password(CALL_PASSWORD)
    people = [(f"bench-agent-{a:02d}", Role.CALL_AGENT) for a in range(AGENTS)]
    people += [("bench-cc-lead", Role.CALL_CENTRE_LEAD), ("bench-expert", Role.EXPERT_AGENT)]
    existing = {u.username: u for u in User.objects.filter(username__in=[n for n, _r in people])}
    missing = [(name, role) for name, role in people if name not in existing]
    users = User.objects.bulk_create(
        [User(username=u, first_name=u, password=password) for u, _r in missing]
    )
    StaffProfile.objects.bulk_create([StaffProfile(user=u, org_unit_id=hq) for u in users])
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=u, org_unit_id=hq, role=role)
            for u, (_name, role) in zip(users, missing, strict=True)
        ]
    )
    ctx.count("auth.User", len(users))
    by_name = {**existing, **{u.username: u for u in users}}
    if "agent" not in ctx.callers:
        ctx.callers["agent"] = Caller(
            "agent", "呼叫中心坐席", by_name["bench-agent-00"], password=CALL_PASSWORD
        )
    ctx.callers["expert"] = Caller(
        "expert", "专家坐席", by_name["bench-expert"], password=CALL_PASSWORD
    )
    return {name: u.pk for name, u in by_name.items()}


def _calls(ctx: Context) -> None:
    net = ctx.shared.get("network")
    if not net:
        raise BenchError("the call centre's bench data needs the network's first")
    n = ctx.scale.get("calls", ctx.scale.get("orders", 1_000_000) * 3 // 10)
    n_customers = max(10, n // 2)
    ids = _agents(ctx, net["hq"])
    agents = [ids[f"bench-agent-{a:02d}"] for a in range(AGENTS)]
    repliers = [ids["bench-expert"], *net["people"]["technicians"][:10]]
    p = {
        "now": ctx.now,
        "n": n,
        "nc": n_customers,
        "step": 365 * 86400 // max(n, 1),
        "hq": net["hq"],
        "branches": [b["id"] for b in net["branches"]],
        "agents": agents,
        "repliers": repliers,
        "expert": ids["bench-expert"],
        "cats": list(CallCategory.values),
        "models": list(PRODUCTS),
        "cb": max_id(Customer),
        "lb": max_id(InboundCall),
        "fb": max_id(FollowUp),
        "open_from": n - max(50, n // 30),  # the last ~12 days' follow-ups are still open
    }
    with Phase(ctx, "customers"):
        rows = insert_select(
            Customer,
            {
                "id": "%(cb)s + i",
                "name": "'客户' || i",
                "phone": "'139' || lpad(i::text, 8, '0')",
                "other_phones": "CASE WHEN i %% 5 = 0 THEN '0757' || lpad(i::text, 8, '0') "
                "ELSE '' END",
                "city": "'佛山'",
                "created_at": "%(now)s - interval '400 days' + i * interval '1 minute'",
            },
            "generate_series(1, %(nc)s) AS i",
            p,
        )
        ctx.count("callcenter.Customer", rows)
    with Phase(ctx, "inbound calls"):
        ended = "(%(now)s - ((%(n)s - i) * %(step)s) * interval '1 second')"
        outcome = """CASE i %% 10 WHEN 0 THEN 'follow_up' WHEN 1 THEN 'expert'
            WHEN 2 THEN 'complaint_team' WHEN 3 THEN 'transferred' ELSE 'answered' END"""
        branch = "(%(branches)s::bigint[])[1 + i %% cardinality(%(branches)s::bigint[])]"
        rows = insert_select(
            InboundCall,
            {
                "id": "%(lb)s + i",
                "number": f"'LD-' || to_char({ended} AT TIME ZONE 'Asia/Shanghai', 'YYYYMM') "
                "|| '-' || lpad(i::text, 6, '0')",
                "agent_id": "(%(agents)s::bigint[])[1 + i %% cardinality(%(agents)s::bigint[])]",
                "org_unit_id": f"CASE WHEN i %% 10 = 3 THEN {branch} ELSE %(hq)s END",
                "caller_kind": "'customer'",
                "customer_id": "%(cb)s + 1 + (i * 7) %% %(nc)s",
                "caller_name": "'客户' || (1 + (i * 7) %% %(nc)s)",
                "caller_phone": "'139' || lpad((1 + (i * 7) %% %(nc)s)::text, 8, '0')",
                "product_model": "(%(models)s::text[])[1 + i %% 5]",
                "serial_number": "'SN' || lpad(((i * 7) %% %(nc)s)::text, 8, '0')",
                "category": "(%(cats)s::text[])[1 + i %% cardinality(%(cats)s::text[])]",
                "summary": "'来电摘要 ' || i || '：设备故障咨询，需要处理'",
                "outcome": outcome,
                "transfer_office_id": f"CASE WHEN i %% 10 = 3 THEN {branch} END",
                "taken_by_id": "CASE WHEN i %% 10 IN (1, 2) AND i < %(open_from)s "
                "THEN %(expert)s END",
                "taken_at": f"CASE WHEN i %% 10 IN (1, 2) AND i < %(open_from)s "
                f"THEN {ended} + interval '1 hour' END",
                "started_at": f"{ended} - interval '45 seconds'",
                "ended_at": ended,
            },
            "generate_series(1, %(n)s) AS i",
            p,
        )
        ctx.count("callcenter.InboundCall", rows)
    with Phase(ctx, "follow-ups"):
        k = "(c.id - %(lb)s)"
        state = f"""CASE WHEN {k} < %(open_from)s THEN
                CASE WHEN {k} %% 500 = 0 THEN 'cancelled' ELSE 'closed' END
            WHEN {k} %% 3 = 1 THEN 'answered' ELSE 'assigned' END"""
        replier = f"(%(repliers)s::bigint[])[1 + ({k} / 10) %% cardinality(%(repliers)s::bigint[])]"
        rows = insert_select(
            FollowUp,
            {
                "id": f"%(fb)s + {k} / 10",
                "call_id": "c.id",
                "org_unit_id": "c.org_unit_id",
                "state": "s.state",
                "question": "c.summary",
                "holder_id": f"CASE s.state WHEN 'assigned' THEN {replier} "
                "WHEN 'answered' THEN c.agent_id END",
                "assignee_id": replier,
                "due_at": "c.ended_at + interval '1 day'",
                "assigned_at": "c.ended_at",
                "reply": "CASE WHEN s.state IN ('answered', 'closed') THEN '答复内容' ELSE '' END",
                "replied_at": "CASE WHEN s.state IN ('answered', 'closed') "
                "THEN c.ended_at + interval '5 hours' END",
                "callback_note": "CASE WHEN s.state = 'closed' THEN '已回电' ELSE '' END",
                "called_back_at": "CASE WHEN s.state = 'closed' "
                "THEN c.ended_at + interval '8 hours' END",
                "called_back_by_id": "CASE WHEN s.state = 'closed' THEN c.agent_id END",
                "closed_at": "CASE WHEN s.state IN ('closed', 'cancelled') "
                "THEN c.ended_at + interval '8 hours' END",
                "created_at": "c.ended_at",
            },
            f"{InboundCall._meta.db_table} c CROSS JOIN LATERAL (SELECT {state} AS state) s "
            "WHERE c.outcome = 'follow_up' AND c.id > %(lb)s",
            p,
        )
        ctx.count("callcenter.FollowUp", rows)
        _follow_up_timers(ctx, p)
    reset_sequences(Customer, InboundCall, FollowUp)
    first = 1 + (7 * 10) % n_customers  # a caller of several calls (one of them a follow-up)
    ctx.facts["call_phone"] = f"139{first:08d}"
    ctx.facts["call_serial"] = f"SN{(7 * 10) % n_customers:08d}"


def _follow_up_timers(ctx: Context, p: dict) -> None:
    """The open follow-ups' timers: the reply's (assigned), the call-back's (answered)."""
    policies = {row.code: row for row in DeadlinePolicy.objects.filter(
        code__in=[FOLLOW_UP_POLICY, FOLLOW_UP_CALLBACK_POLICY])}  # fmt: skip
    if len(policies) != 2:
        raise BenchError("the call centre's deadline policies are missing (seeded defaults?)")
    for state, code, due in (
        ("assigned", FOLLOW_UP_POLICY, "f.due_at"),
        ("answered", FOLLOW_UP_CALLBACK_POLICY, "f.replied_at + interval '4 hours'"),
    ):
        policy = policies[code]
        q = dict(p, pid=policy.pk, snap=json.dumps(policy.snapshot()), kind=policy.kind,
                 ct=ContentType.objects.get_for_model(FollowUp).pk, state=state)  # fmt: skip
        rows = insert_select(
            Deadline,
            {
                "policy_id": "%(pid)s",
                "policy_snapshot": "%(snap)s::jsonb",
                "kind": "%(kind)s",
                "label": "'跟进 ' || c.number",
                "owner_type_id": "%(ct)s",
                "owner_id": "f.id",
                "org_unit_id": "%(hq)s",
                "assignee_id": "f.holder_id",
                "status": f"CASE WHEN {due} < %(now)s THEN 'breached' ELSE 'running' END",
                "started_at": "f.assigned_at",
                "due_at": due,
                "warn_at": f"{due} - interval '1 hour'",
                "next_action_at": f"GREATEST({due} - interval '1 hour', %(now)s)",
                "level": f"CASE WHEN {due} < %(now)s THEN 2 ELSE 0 END",
                "breached_at": f"CASE WHEN {due} < %(now)s THEN {due} END",
                "created_at": "f.assigned_at",
            },
            f"{FollowUp._meta.db_table} f JOIN {InboundCall._meta.db_table} c ON c.id = f.call_id "
            "WHERE f.state = %(state)s AND f.id > %(fb)s",
            q,
        )
        ctx.count("service_ops.Deadline", rows)
    execute(f"ANALYZE {InboundCall._meta.db_table}")
    execute(f"ANALYZE {FollowUp._meta.db_table}")
    execute(f"ANALYZE {Customer._meta.db_table}")


def check_calls(ctx: Context) -> list[str]:
    problems = []
    agent, expert = ctx.callers["agent"].user, ctx.callers["expert"].user
    if not InboundCall.objects.visible_to(agent).filter(agent=agent).exists():
        problems.append("the call agent has logged no call")
    if not FollowUp.objects.filter(holder=expert, state="assigned").exists():
        problems.append("the expert seat holds no open follow-up")
    if InboundCall.objects.visible_to(ctx.callers["dealer"].user).exists():
        problems.append("a dealer sees calls")
    return problems


def call_probes(ctx: Context) -> list[Probe]:
    calls = reverse("callcenter:call_list")
    follow_ups = reverse("callcenter:follow_up_list")
    lookup = reverse("callcenter:caller_lookup")
    history = reverse("callcenter:caller_history")
    phone, serial = ctx.facts["call_phone"], ctx.facts["call_serial"]
    LD = "LD-"
    return [
        Probe("calls", "hq", calls, row_marker=LD, load=1),
        Probe("calls", "agent", calls, row_marker=LD, load=1),
        Probe("calls", "hq", calls, variant="deep", deep=True, row_marker=LD),
        Probe("calls", "hq", f"{calls}?category=technical", variant="category=technical",
              row_marker=LD),
        Probe("calls", "hq", f"{calls}?outcome=follow_up&category=complaint",
              variant="outcome+category", rows=None),
        Probe("calls", "agent", f"{calls}?mine=1", variant="mine=1", row_marker=LD),
        Probe("calls", "hq", f"{calls}?since={(ctx.now - timedelta(days=30)).date()}",
              variant="since=30 days", row_marker=LD),
        Probe("calls", "hq", f"{calls}?q={phone}", variant="q=<phone>", row_marker=LD),
        Probe("calls", "hq", f"{calls}?q={phone[:7]}", variant="q=<phone prefix>", rows=None),
        Probe("calls", "hq", f"{calls}?q={serial}", variant="q=<serial>", row_marker=LD),
        Probe("calls", "branch_manager", calls, rows=None),
        Probe("calls", "dealer", calls, rows=False, row_marker=LD),
        Probe("follow-ups", "expert", follow_ups, row_marker=LD, load=1),
        Probe("follow-ups", "agent", follow_ups, rows=None),
        Probe("follow-ups", "hq", f"{follow_ups}?mine=0&state=active", variant="all, open",
              row_marker=LD),
        Probe("follow-ups", "hq", f"{follow_ups}?mine=0&state=closed", variant="all, closed",
              row_marker=LD),
        Probe("follow-ups", "hq", f"{follow_ups}?mine=0&state=closed", variant="deep",
              deep=True, row_marker=LD),
        Probe("caller lookup", "agent", f"{lookup}?phone={phone}", variant="whole number",
              row_marker="customer:", load=1),
        Probe("caller lookup", "agent", f"{lookup}?phone={phone[:7]}", variant="prefix",
              row_marker="customer:"),
        Probe("caller lookup", "agent", f"{lookup}?phone={phone[-4:]}", variant="尾号",
              row_marker="customer:"),
        Probe("caller history", "agent", f"{history}?phone={phone}&serial_number={serial}",
              row_marker=LD, load=1),
        Probe("我的工作", "expert", reverse("my_work"), rows=None),
    ]  # fmt: skip
