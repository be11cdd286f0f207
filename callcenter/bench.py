"""The call centre's part of the volume benchmark: a year of activation-code queries from the
bench's service points (most answered and charged from their prepaid balance, some refused; a
third through the partner API), the code store, the registered numbers, the points' prepaid
ledgers with their top-ups, and the lists that read them: the staff pages (queries, numbers,
codes, balances, one unit's ledger) and the service point's partner API lists (its queries, its
ledger), timed as the head of customer service and as a service point with its token.

At the default scale (1,000,000 orders) that is 250,000 queries over the network's service points
(60 at 60 branches, 120 at `--branches 120`): about 11 a point a day.

Callbacks (回访) at a large department's volume — one per shipped repair, about as many as the
year's repair orders (`scale["callbacks"]`, default `scale["orders"]`: 1,000,000 at full scale) —
with their customers and call attempts, a few thousand of them open (the queue), and the agents'
queue, the supervisors' list, installations and the report timed; a year of a large call centre's
shifts (60 agents in six groups, two leads): the roster, leave requests, swaps and hand-overs, and
the shift pages; a year of inbound calls and their follow-ups (callcenter/bench_calls.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from network.choices import LedgerEntryKind, OrgKind, Role
from network.models import OrgUnit, PrepaidAccount, PrepaidEntry, RoleAssignment, StaffProfile
from service_ops.bench import BenchPart, Caller, Context, Probe
from service_ops.bench.sql import Phase, insert_select, max_id, reset_sequences

from .choices import ActivationOutcome, QueryChannel
from .models import (
    ActivationCode,
    ActivationQuery,
    CallbackAttempt,
    CallbackList,
    CallbackRequest,
    CallbackRules,
    Customer,
    Installation,
    RegisteredNumber,
)

AGENTS = 12
BRANCH_OF_G = "(%(branches)s::int[])[1 + g %% array_length(%(branches)s::int[], 1)]"
PASSWORD = "bench-Pass-2026"  # noqa: S105 - throwaway database, printed nowhere
# Tasks beyond the year's shipped repairs (whose subject is the repair order) are about the
# customer itself, one per customer and purpose (the unique constraint).
PURPOSES = [
    "complaint_resolved",
    "field_visit",
    "install_1w",
    "install_1m",
    "install_3m",
    "install_6m",
    "install_12m",
    "supervisor_list",
]


def _repair_orders():
    """The repair orders' content type and table, found by name (callcenter imports no repairs
    module): one callback per order, as shipping asks for through the hook."""
    try:
        ct = ContentType.objects.get_by_natural_key("repairs", "repairorder")
    except ContentType.DoesNotExist:
        return None, None
    model = ct.model_class()
    return (ct.pk, model._meta.db_table) if model is not None else (None, None)


MIX = (
    [ActivationOutcome.ANSWERED] * 14
    + [ActivationOutcome.INSUFFICIENT_BALANCE] * 3
    + [
        ActivationOutcome.INCOMPLETE,
        ActivationOutcome.NO_SUCH_CODE,
        ActivationOutcome.UNKNOWN_SENDER,
    ]
)
FEE = Decimal("30.00")
TOP_UP = Decimal("3000.00")  # a point tops up 100 queries' worth when it runs low
NUMBERS_PER_POINT = 2
BATCH = 5_000
YEAR = 365 * 24 * 3600


def generate(ctx: Context) -> None:
    n = ctx.scale.get("activation_queries", ctx.scale.get("orders", 20_000) // 4)
    points = list(
        OrgUnit.objects.filter(code__startswith="BENCH-S").order_by("pk").values_list("pk", "code")
    )
    point_ids = [pk for pk, _code in points]

    codes = max(100, n // 2)
    ActivationCode.objects.bulk_create(
        (
            ActivationCode(
                serial_number=f"BENCH{i:07d}",
                code=f"K{i:07d}-BENCH",
                product_model=("GPS-X1", "GPS-X2", "T1")[i % 3],
                imported_at=ctx.now - timedelta(days=365 - i * 365 // codes),
            )
            for i in range(codes)
        ),
        batch_size=BATCH,
    )
    ctx.count("callcenter.ActivationCode", codes)

    numbers = [
        RegisteredNumber(org_unit_id=pk, phone=f"136{p:04d}{k:04d}", note=f"站点手机 {k + 1}")
        for p, pk in enumerate(point_ids)
        for k in range(NUMBERS_PER_POINT)
    ]
    RegisteredNumber.objects.bulk_create(numbers, batch_size=BATCH)
    ctx.count("callcenter.RegisteredNumber", len(numbers))

    accounts = {
        a.org_unit_id: a
        for a in PrepaidAccount.objects.bulk_create(
            [PrepaidAccount(org_unit_id=pk, balance=Decimal("0.00")) for pk in point_ids]
        )
    }
    ctx.count("network.PrepaidAccount", len(accounts))

    # one pass in time order: a point tops up when its balance would not cover the next charge,
    # so the ledger's ids ascend with time as they would in production
    entries: list[PrepaidEntry] = []
    charged: dict[int, int] = {}  # query index -> entry index
    balances = dict.fromkeys(point_ids, Decimal("0.00"))
    plan = []
    for i in range(n):
        outcome = MIX[i % len(MIX)]
        sender = (
            None
            if outcome == ActivationOutcome.UNKNOWN_SENDER or not point_ids
            else point_ids[i % len(point_ids)]
        )
        at = ctx.now - timedelta(seconds=(n - i) * YEAR // max(n, 1))  # a year, evenly
        plan.append((outcome, sender, at))
        if outcome != ActivationOutcome.ANSWERED or sender is None:
            continue
        account = accounts[sender]
        if balances[sender] < FEE:
            balances[sender] += TOP_UP
            entries.append(
                PrepaidEntry(
                    account=account,
                    kind=LedgerEntryKind.TOP_UP,
                    amount=TOP_UP,
                    balance_after=balances[sender],
                    reference=f"BANK-{sender}-{i}",
                    note="预存款充值",
                    created_at=at - timedelta(minutes=1),
                )
            )
        balances[sender] -= FEE
        charged[i] = len(entries)
        entries.append(
            PrepaidEntry(
                account=account,
                kind=LedgerEntryKind.CHARGE,
                amount=FEE,
                balance_after=balances[sender],
                reference=f"JHCX{i + 1:08d}",
                note=f"激活码查询费 BENCH{i % codes:07d}",
                created_at=at,
            )
        )
    PrepaidEntry.objects.bulk_create(entries, batch_size=BATCH)
    ctx.count("network.PrepaidEntry", len(entries))
    for pk, account in accounts.items():
        account.balance = balances[pk]
    PrepaidAccount.objects.bulk_update(list(accounts.values()), ["balance"])

    rows = []
    for i, (outcome, sender, at) in enumerate(plan):
        api = sender is not None and i % 3 == 0
        entry = entries[charged[i]] if i in charged else None
        rows.append(
            ActivationQuery(
                message_id=f"bench-{i}",
                channel=QueryChannel.API if api else QueryChannel.SMS,
                from_number="" if api else f"139{i:08d}"[:11],
                text=f"JH BENCH{i % codes:07d}",
                sender_id=sender,
                serial_number=f"BENCH{i % codes:07d}",
                outcome=outcome,
                fee=FEE if entry else Decimal("0.00"),
                prepaid_entry=entry,
                reply="bench",
                received_at=at,
            )
        )
    ActivationQuery.objects.bulk_create(rows, batch_size=BATCH)
    ctx.count("callcenter.ActivationQuery", n)

    if points:
        from network.services import token_issue

        pk, code = points[0]
        user = _user(f"bench-{code.lower()}")
        if user is not None:
            ctx.callers["service_point"] = Caller("service_point", "特约维修网点（接口）", user)
            _token, plaintext = token_issue(
                org_unit=OrgUnit.objects.get(pk=pk), user=user, name="bench"
            )
            ctx.callers["service_point"].token = plaintext
        ctx.facts["activation_point"] = pk


def _user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).first()


def check(ctx: Context) -> list[str]:
    problems = []
    if "service_point" not in ctx.callers:
        problems.append("no service point to time the partner API's activation lists as")
    elif not ActivationQuery.objects.filter(sender_id=ctx.facts["activation_point"]).exists():
        problems.append("the bench service point sent no activation-code query")
    return problems


def _people(ctx: Context) -> dict[str, int]:
    """Call agents and a team lead at headquarters (the bench network has none)."""
    hq = OrgUnit.objects.filter(kind=OrgKind.HEADQUARTERS).order_by("pk").first()
    people = [(f"bench-agent-{a:02d}", Role.CALL_AGENT) for a in range(AGENTS)]
    people.append(("bench-cc-lead", Role.CALL_CENTRE_LEAD))
    User = get_user_model()
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [User(username=u, email=f"{u}@bench.invalid", password=password) for u, _r in people]
    )
    StaffProfile.objects.bulk_create([StaffProfile(user=u, org_unit=hq) for u in users])
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=u, org_unit=hq, role=r)
            for u, (_n, r) in zip(users, people, strict=True)
        ]
    )
    ctx.count("auth.User", len(users))
    by_name = {u.username: u for u in users}
    ctx.callers["agent"] = Caller(
        "agent", "呼叫中心坐席", by_name["bench-agent-00"], password=PASSWORD
    )
    ctx.callers["cc_lead"] = Caller(
        "cc_lead", "坐席组长", by_name["bench-cc-lead"], password=PASSWORD
    )
    return {u.username: u.pk for u in users}


def generate_callbacks(ctx: Context) -> None:
    n = ctx.scale.get("callbacks", ctx.scale.get("orders", 20_000))
    ids = _people(ctx)
    agent_ids = [ids[f"bench-agent-{a:02d}"] for a in range(AGENTS)]
    CallbackRules.current()
    branches = list(
        OrgUnit.objects.filter(kind=OrgKind.BRANCH).order_by("pk").values_list("pk", flat=True)
    )
    customers = max(n // 4, 10)
    order_ct, order_table = _repair_orders()
    orders = (
        f"LEFT JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM {order_table}) o "  # noqa: S608 - a model's own table name
        "ON o.rn = g"
        if order_table
        else "LEFT JOIN (SELECT NULL::bigint AS id) o ON false"
    )
    c_off, t_off, a_off, i_off = (
        max_id(Customer),
        max_id(CallbackRequest),
        max_id(CallbackAttempt),
        max_id(Installation),
    )
    p = {
        "n": n,
        "customers": customers,
        "c_off": c_off,
        "t_off": t_off,
        "a_off": a_off,
        "i_off": i_off,
        "branches": branches or [None],
        "agents": agent_ids,
        "purposes": PURPOSES,
        "now": ctx.now,
        "ct": ContentType.objects.get_for_model(Customer).pk,
        "order_ct": order_ct or 0,
        "open_every": 60,  # about 1.7 % open: a few days' worth of a year's callbacks
    }
    with Phase(ctx, f"callbacks: {customers} customers"):
        ctx.count(
            "callcenter.Customer",
            insert_select(
                Customer,
                {
                    "id": "%(c_off)s + g",
                    "name": "'客户' || g",
                    "phone": "'13' || lpad(g::text, 9, '0')",
                    "org_unit_id": BRANCH_OF_G,
                    "created_at": "%(now)s - make_interval(days => (g %% 365))",
                },
                "generate_series(1, %(customers)s) AS g",
                p,
            ),
        )
    # task g: customer 1 + g % C, purpose by g / C (unique per customer and purpose), created
    # over the past year, the newest ones open, the rest closed: reached (most), not reached.
    state = (
        "CASE WHEN g > %(n)s - %(n)s / %(open_every)s THEN "
        "(CASE WHEN g %% 2 = 0 THEN 'pending' ELSE 'assigned' END) "
        "WHEN g %% 10 = 0 THEN 'unreached' WHEN g %% 97 = 0 THEN 'cancelled' ELSE 'done' END"
    )
    created = "%(now)s - make_interval(mins => ((%(n)s::bigint - g) * 525600 / %(n)s)::int)"
    with Phase(ctx, f"callbacks: {n} tasks"):
        ctx.count(
            "callcenter.CallbackRequest",
            insert_select(
                CallbackRequest,
                {
                    "id": "%(t_off)s + g",
                    "subject_type_id": "CASE WHEN o.id IS NULL THEN %(ct)s ELSE %(order_ct)s END",
                    "subject_id": "COALESCE(o.id, %(c_off)s + 1 + g %% %(customers)s)",
                    "purpose": "CASE WHEN o.id IS NOT NULL THEN 'repair_shipped' ELSE "
                    "(%(purposes)s::text[])[1 + (g / %(customers)s) %% "
                    "array_length(%(purposes)s::text[], 1)] END",
                    "contact_name": "'客户' || (1 + g %% %(customers)s)",
                    "contact_phone": "'13' || lpad((1 + g %% %(customers)s)::text, 9, '0')",
                    "created_at": created,
                    "state": f"({state})",
                    "customer_id": "%(c_off)s + 1 + g %% %(customers)s",
                    "org_unit_id": BRANCH_OF_G,
                    "assignee_id": f"CASE WHEN ({state}) = 'pending' THEN NULL ELSE "
                    "(%(agents)s::int[])[1 + g %% array_length(%(agents)s::int[], 1)] END",
                    "assigned_at": created,
                    "due_at": f"{created} + interval '5 days'",
                    "attempt_count": f"CASE WHEN ({state}) = 'unreached' THEN 3 "
                    f"WHEN ({state}) = 'done' THEN 1 ELSE 0 END",
                    "reached_at": f"CASE WHEN ({state}) = 'done' "
                    f"THEN {created} + interval '1 day' END",
                    "satisfaction": f"CASE WHEN ({state}) = 'done' THEN 1 + (g * 7 %% 5) END",
                    "is_valid": f"CASE WHEN ({state}) = 'done' THEN g %% 23 <> 0 END",
                    "closed_at": f"CASE WHEN ({state}) IN ('done', 'unreached', 'cancelled') "
                    f"THEN {created} + interval '1 day' END",
                    "close_reason": f"CASE WHEN ({state}) = 'unreached' THEN 'attempts_exhausted' "
                    f"WHEN ({state}) = 'cancelled' THEN 'recently_surveyed' ELSE '' END",
                },
                f"generate_series(1, %(n)s) AS g {orders}",
                p,
            ),
        )
    with Phase(ctx, "callbacks: attempts"):
        ctx.count(
            "callcenter.CallbackAttempt",
            insert_select(
                CallbackAttempt,
                {
                    "id": "%(a_off)s + t.id - %(t_off)s",
                    "task_id": "t.id",
                    "number": "1",
                    "agent_id": "COALESCE(t.assignee_id, (%(agents)s::int[])[1])",
                    "at": "t.created_at + interval '1 day'",
                    "result": "CASE WHEN t.state = 'done' THEN 'reached' ELSE 'no_answer' END",
                },
                f"{CallbackRequest._meta.db_table} t WHERE t.id > %(t_off)s "
                "AND t.state IN ('done', 'unreached')",
                p,
            ),
        )
        installs = max(n // 50, 10)
        p["installs"] = installs
        ctx.count(
            "callcenter.Installation",
            insert_select(
                Installation,
                {
                    "id": "%(i_off)s + g",
                    "customer_id": "%(c_off)s + 1 + g %% %(customers)s",
                    "product_model": "'GPS-X' || (g %% 7)",
                    "serial_number": "'AZ' || lpad(g::text, 9, '0')",
                    "installed_on": "(%(now)s - make_interval(days => (g %% 400)))::date",
                    "org_unit_id": BRANCH_OF_G,
                    "created_at": "%(now)s - make_interval(days => (g %% 400))",
                },
                "generate_series(1, %(installs)s) AS g",
                p,
            ),
        )
        reset_sequences(Customer, CallbackRequest, CallbackAttempt, Installation)
    generate_callback_lists(ctx, p, lead=ids["bench-cc-lead"])
    from django.db import connection

    with connection.cursor() as cursor:
        for model in (Customer, CallbackRequest, CallbackAttempt, Installation, CallbackList):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


LISTS = 300  # supervisors' lists (专项回访名单): about one a working day over a year


def generate_callback_lists(ctx: Context, p: dict, *, lead: int) -> None:
    """LISTS supervisors' lists over the year, each with its own tasks (purpose 专项回访; a
    customer once per list, on many lists)."""
    p = {**p, "lists": LISTS, "l_off": max_id(CallbackList), "lead": lead}
    with Phase(ctx, f"callbacks: {LISTS} supervisor lists"):
        ctx.count(
            "callcenter.CallbackList",
            insert_select(
                CallbackList,
                {
                    "id": "%(l_off)s + g",
                    "name": "'专项回访 ' || g",
                    "note": "'了解产品使用情况'",
                    "created_by_id": "%(lead)s",
                    "created_at": "%(now)s - make_interval(days => ((%(lists)s - g) * 365 "
                    "/ %(lists)s)::int)",
                    "org_unit_id": "NULL",
                    "filters": "'{}'::jsonb",
                    "size": "0",
                },
                "generate_series(1, %(lists)s) AS g",
                p,
            ),
        )
        reset_sequences(CallbackList)
        # each list's tasks: the customers after one another (once per list), the newest five
        # lists still open, the others worked (most reached, every tenth not reached)
        per = max(2, min(200, p["n"] // (LISTS * 5), p["customers"]))
        p = {**p, "per": per, "t2_off": max_id(CallbackRequest)}
        created = (
            "%(now)s - make_interval(days => "
            "((%(lists)s - 1 - (g - 1) / %(per)s) * 365 / %(lists)s)::int)"
        )
        state = (
            "CASE WHEN (g - 1) / %(per)s >= %(lists)s - 5 THEN 'pending' "
            "WHEN g %% 10 = 0 THEN 'unreached' ELSE 'done' END"
        )
        ctx.count(
            "callcenter.CallbackRequest",
            insert_select(
                CallbackRequest,
                {
                    "id": "%(t2_off)s + g",
                    "subject_type_id": "%(ct)s",
                    "subject_id": "%(c_off)s + 1 + g %% %(customers)s",
                    "purpose": "'supervisor_list'",
                    "batch_id": "%(l_off)s + 1 + (g - 1) / %(per)s",
                    "contact_name": "'客户' || (1 + g %% %(customers)s)",
                    "contact_phone": "'13' || lpad((1 + g %% %(customers)s)::text, 9, '0')",
                    "created_at": created,
                    "state": f"({state})",
                    "customer_id": "%(c_off)s + 1 + g %% %(customers)s",
                    "org_unit_id": BRANCH_OF_G,
                    "due_at": f"{created} + interval '5 days'",
                    "attempt_count": f"CASE WHEN ({state}) = 'pending' THEN 0 ELSE 1 END",
                    "reached_at": f"CASE WHEN ({state}) = 'done' "
                    f"THEN {created} + interval '1 day' END",
                    "satisfaction": f"CASE WHEN ({state}) = 'done' THEN 1 + (g * 7 %% 5) END",
                    "is_valid": f"CASE WHEN ({state}) = 'done' THEN true END",
                    "closed_at": f"CASE WHEN ({state}) <> 'pending' "
                    f"THEN {created} + interval '1 day' END",
                    "close_reason": f"CASE WHEN ({state}) = 'unreached' THEN 'attempts_exhausted' "
                    "ELSE '' END",
                },
                "generate_series(1, %(lists)s * %(per)s) AS g",
                p,
            ),
        )
        reset_sequences(CallbackRequest)
        CallbackList.objects.filter(pk__gt=p["l_off"]).update(size=per)


def callback_probes(ctx: Context) -> list[Probe]:
    listing = reverse("callcenter:callback_list")
    last_list = CallbackList.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    # the newest list: its tasks still open
    return [
        Probe("callback queue", "agent", reverse("callcenter:callback_queue"), rows=None, load=2),
        Probe("callbacks", "cc_lead", listing, row_marker="HF", load=1),
        Probe("callbacks", "cc_lead", listing, variant="deep", deep=True, row_marker="HF"),
        Probe(
            "callbacks",
            "cc_lead",
            f"{listing}?state=open&purpose=repair_shipped",
            variant="open repair callbacks",
            row_marker="HF",
        ),
        Probe(
            "callbacks",
            "cc_lead",
            f"{listing}?assignee=none&state=pending",
            variant="unassigned",
            row_marker="HF",
        ),
        Probe("installations", "agent", reverse("callcenter:installation_list"), row_marker="AZ"),
        Probe(
            "installations",
            "agent",
            reverse("callcenter:installation_list"),
            variant="deep",
            deep=True,
            row_marker="AZ",
        ),
        Probe("callback lists", "cc_lead", reverse("callcenter:callback_lists"), row_marker="MD"),
        Probe(
            "callback lists",
            "cc_lead",
            reverse("callcenter:callback_lists"),
            variant="deep",
            deep=True,
            row_marker="MD",
        ),
        Probe(
            "callbacks",
            "cc_lead",
            f"{listing}?batch={last_list}",
            variant="one list",
            row_marker="HF",
        ),
        Probe("callcenter overview", "cc_lead", reverse("callcenter:overview"), rows=None, load=1),
        Probe(
            "callback report",
            "hq",
            reverse("callcenter:callback_report"),
            rows=None,
            limit_ms=1000.0,
        ),
    ]


def probes(ctx: Context) -> list[Probe]:
    queries = reverse("callcenter:activation_query_list")
    numbers = reverse("callcenter:number_list")
    codes = reverse("callcenter:code_list")
    units = reverse("callcenter:prepaid_unit_list")
    api_queries = reverse("api-activation-query-list")
    api_entries = reverse("api-prepaid-entry-list")
    out = [
        *callback_probes(ctx),
        Probe("activation queries", "hq", queries, row_marker="JHCX", load=1),
        Probe("activation queries", "hq", queries, variant="deep", deep=True, row_marker="JHCX"),
        Probe(
            "activation queries",
            "hq",
            f"{queries}?outcome=insufficient_balance",
            variant="outcome=insufficient_balance",
            row_marker="JHCX",
        ),
        Probe("registered numbers", "hq", numbers, row_marker="136"),
        Probe("registered numbers", "hq", numbers, variant="deep", deep=True, row_marker="136"),
        Probe("registered numbers", "hq", f"{numbers}?q=0001", variant="q=0001", row_marker="136"),
        Probe(
            "registered numbers",
            "hq",
            f"{numbers}?kind=service_point&active=1",
            variant="kind+active",
            row_marker="136",
        ),
        Probe("activation codes", "hq", codes, row_marker="BENCH"),
        Probe("activation codes", "hq", codes, variant="deep", deep=True, row_marker="BENCH"),
        Probe(
            "activation codes",
            "hq",
            f"{codes}?serial=bench00001",
            variant="serial=",
            row_marker="BENCH",
        ),
        Probe("prepaid balances", "hq", units, row_marker="BENCH-"),
        Probe("prepaid balances", "hq", f"{units}?low=1", variant="low=1", rows=None),
        Probe("prepaid balances", "hq", f"{units}?q=特约", variant="q=", row_marker="BENCH-"),
    ]
    point = ctx.facts.get("activation_point")
    if point:
        ledger = reverse("callcenter:prepaid_ledger", args=[point])
        out += [
            Probe("prepaid ledger", "hq", ledger, row_marker="JHCX"),
            Probe("prepaid ledger", "hq", ledger, variant="deep", deep=True, row_marker="JHCX"),
        ]
    if "service_point" in ctx.callers:
        out += [
            Probe("api activation-queries", "service_point", api_queries, api=True, load=1),
            Probe(
                "api activation-queries",
                "service_point",
                api_queries,
                api=True,
                variant="deep",
                deep=True,
            ),
            Probe(
                "api activation-queries",
                "service_point",
                f"{api_queries}?outcome=answered",
                api=True,
                variant="outcome=answered",
            ),
            Probe("api prepaid/entries", "service_point", api_entries, api=True, load=1),
            Probe(
                "api prepaid/entries",
                "service_point",
                api_entries,
                api=True,
                variant="deep",
                deep=True,
            ),
        ]
    if "dealer_empty" in ctx.callers:
        out.append(
            Probe(
                "api activation-queries",
                "dealer_empty",
                api_queries,
                api=True,
                variant="a dealer (no rows)",
                rows=False,
            )
        )
    return out


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
    from service_ops.workcalendar.clock import add_months, local_date

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
    from .selectors.shifts import month_days

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
    from .bench_calls import generate_calls

    generate(ctx)
    generate_callbacks(ctx)
    generate_shifts(ctx)
    generate_calls(ctx)


def check_all(ctx: Context) -> list[str]:
    from .bench_calls import check_calls

    return check(ctx) + check_calls(ctx)


def all_probes(ctx: Context) -> list[Probe]:
    from .bench_calls import call_probes

    return probes(ctx) + shift_probes(ctx) + call_probes(ctx)


BENCH = BenchPart(
    generate=generate_all,
    check=check_all,
    probes=all_probes,
    not_lists=frozenset(
        {
            "callcenter:roster_generate",
            "callcenter:leave_new",
            "callcenter:swap_new",
            "callcenter:handover_new",
            "callcenter:callback_take_next",
            "callcenter:callback_assign",
            "callcenter:callback_list_new",
            "callcenter:callback_list_preview",
            "callcenter:installation_create",
            "callcenter:callback_report_xlsx",
            "callcenter:number_create",
            "callcenter:code_import",
            "callcenter:call_desk",  # a form; its lookup and history are timed as lists
        }
    ),
)
