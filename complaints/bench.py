"""The complaints' part of the volume benchmark: a year of 50,000 complaints over the bench's
branches (most closed, the last weeks' open at every stage, a few escalated), two complaint-team
handlers and the desk's lists timed with their filters."""

from __future__ import annotations

from django.urls import reverse

from service_ops.bench import BenchPart, Context, Probe
from service_ops.bench.sql import insert_select, temp_table

from .choices import Category, Channel, ComplaintState
from .models import Complaint

COMPLAINTS_A_YEAR = 50_000
OPEN_STATES = [
    s
    for s in ComplaintState.values
    if s not in (ComplaintState.CLOSED.value, ComplaintState.INVALID.value)
]


def generate(ctx: Context) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from network.bench import PASSWORD
    from network.choices import Role
    from network.models import RoleAssignment, StaffProfile
    from service_ops.bench import Caller

    # 50,000 a year at the full scale (a million repair orders); in proportion below it
    orders = ctx.scale.get("orders", 1_000_000)
    n = ctx.scale.get("complaints", max(50, COMPLAINTS_A_YEAR * orders // 1_000_000))
    network = ctx.shared["network"]
    hq = network["hq"]
    User = get_user_model()
    password = make_password(PASSWORD)
    handlers = User.objects.bulk_create(
        [
            User(username=f"bench-complaints-{i}", first_name=f"客诉{i}", password=password)
            for i in range(2)
        ]
    )
    StaffProfile.objects.bulk_create([StaffProfile(user=u, org_unit_id=hq) for u in handlers])
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=u, org_unit_id=hq, role=Role.COMPLAINT_TEAM) for u in handlers]
    )
    ctx.count("auth.User", len(handlers))
    branches = [b["id"] for b in network["branches"]] or [hq]
    temp_table(
        "bench_complaint_units",
        (("i", "integer"), ("unit_id", "integer")),
        enumerate(branches),
    )
    categories = "ARRAY[" + ",".join(f"'{c}'" for c in Category.values) + "]"
    channels = "ARRAY[" + ",".join(f"'{c}'" for c in Channel.values) + "]"
    opens = "ARRAY[" + ",".join(f"'{s}'" for s in OPEN_STATES) + "]"
    # the newest 4 % are open (spread over the stages), 5 % of the rest invalid, others closed
    rows = insert_select(
        Complaint,
        {
            "number": "'KS-B' || lpad(g::text, 7, '0')",
            "state": (
                f"CASE WHEN g > %(n)s * 0.96 THEN ({opens})[1 + g %% {len(OPEN_STATES)}] "
                "WHEN g %% 20 = 0 THEN 'invalid' ELSE 'closed' END"
            ),
            "complainant_name": "'客户' || g",
            "complainant_phone": "'139' || lpad(g::text, 8, '0')",
            "channel": f"({channels})[1 + g %% {len(Channel.values)}]",
            "category": f"({categories})[1 + g %% {len(Category.values)}]",
            "serial_number": "'BS' || lpad((g %% 40000)::text, 7, '0')",
            "content": "'bench complaint ' || g",
            "severity": "CASE WHEN g %% 25 = 0 THEN 'major' ELSE 'ordinary' END",
            "severity_suggested": "CASE WHEN g %% 25 = 0 THEN 'major' ELSE 'ordinary' END",
            "org_unit_id": "u.unit_id",
            "handler_id": "CASE WHEN g %% 2 = 0 THEN %(h0)s ELSE %(h1)s END",
            "accepted_at": "%(now)s - ((%(n)s - g) * interval '1 minute' * 525600 / %(n)s)",
            "escalation_level": "CASE WHEN g %% 50 = 0 THEN 1 ELSE 0 END",
        },
        "generate_series(1, %(n)s) AS g JOIN bench_complaint_units u "
        f"ON u.i = g %% {len(branches)}",
        {"n": n, "h0": handlers[0].pk, "h1": handlers[1].pk, "now": ctx.now},
        now=ctx.now,
    )
    ctx.count("complaints.Complaint", rows)
    ctx.callers["complaints"] = Caller("complaints", "客诉小组", handlers[0], password=PASSWORD)


def check(ctx: Context) -> list[str]:
    missing = []
    if not Complaint.objects.open().exists():
        missing.append("complaints: no open complaint for the desk")
    return missing


def probes(ctx: Context) -> list[Probe]:
    url = reverse("complaints:desk")
    return [
        Probe("complaint desk", "complaints", url, row_marker="KS-B", load=1),
        Probe("complaint desk", "complaints", url, variant="deep", deep=True, row_marker="KS-B"),
        Probe("complaint desk", "hq", f"{url}?view=open", variant="view=open", row_marker="KS-B"),
        Probe(
            "complaint desk",
            "complaints",
            f"{url}?view=mine&severity=major",
            variant="mine, major",
            row_marker="KS-B",
            rows=None,
        ),
        Probe(
            "complaint desk",
            "hq",
            f"{url}?view=escalated",
            variant="view=escalated",
            row_marker="KS-B",
            rows=None,
        ),
        Probe(
            "complaint desk", "hq", f"{url}?view=closed", variant="view=closed", row_marker="KS-B"
        ),
    ]


BENCH = BenchPart(
    generate=generate,
    check=check,
    probes=probes,
    not_lists=frozenset({"complaints:new", "complaints:detail"}),
)
