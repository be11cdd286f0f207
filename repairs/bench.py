"""Repairs' part of the volume benchmark (service_ops/bench): a year of a large department's
return applications and repair orders, and every repairs list and partner API list to time.

Data (sizes from `ctx.scale`: orders, applications), on the network of network/bench.py:

- applications spread over the year and the branches (dealers under managed branches; one dealer
  gets half of its branch's rows, the empty dealer none), most closed, the newest in every state;
  their lines, their approval steps (3 a submission, from the real chain templates) and each
  opened step's timer and 待签字 notification, transition-log rows along each one's path;
- one lot per received application (random sizes), one received unit and one repair order per
  returned machine; most orders closed, the newest open (about 1,500 of them with one technician),
  each with its repair-limit timer (closed: met or late; open: running, overdue or paused while a
  quote waits); quotes and their lines; transition-log rows and notifications;
- review meetings (Wednesday and Saturday) with items, monthly statements per branch,
  unauthorised arrivals with penalties and the happy fund, returned stock, loaners and loans.

Everything is INSERT … SELECT over generate_series and small COPY'd lookup tables: never the ORM
per row. Numbers are unique ("RO-<yyyymm>-<n>").
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse

from network.models import RoleAssignment
from service_ops.bench import BenchError, BenchPart, Context, PartnerWrite, Probe
from service_ops.bench.sql import Phase, execute, insert_select, max_id, reset_sequences, temp_table
from service_ops.deadlines.models import OPEN_STATUSES, Deadline, DeadlinePolicy
from service_ops.notifications.models import Notification
from service_ops.transitions.models import TransitionLog

from .bench_oem import OEM_NOT_LISTS, oem_generate, oem_probes
from .choices import OrderState, QuoteState
from .models import (
    ApprovalChainTemplate,
    ApprovalStep,
    Dispatch,
    HappyFundEntry,
    InstalledUnit,
    Loan,
    LoanerUnit,
    MonthlyStatement,
    Penalty,
    Quote,
    QuoteLine,
    ReceivedUnit,
    RepairLot,
    RepairOrder,
    ReturnApplication,
    ReturnedStockApplication,
    ReturnedStockLine,
    ReturnLine,
    ReviewItem,
    ReviewMeeting,
    ServiceRequest,
    UnauthorisedArrival,
)
from .services.orders import LIMIT_KIND, QUOTE_CONSENT_KIND, QUOTE_CONSENT_POLICY

MODELS = ("KFR-35GW", "KFR-50LW", "KFR-72LW", "BCD-520W", "XQG100-14", "JSQ30-16", "CXW-260")
FAULTS = ("不制冷", "噪音大", "漏水", "显示故障代码 E4", "无法开机", "压缩机不启动", "遥控失灵")
OPEN_STATES = (
    OrderState.DIAGNOSING,
    OrderState.QUOTING,
    OrderState.WAITING_CONSENT,
    OrderState.REPAIRING,
    OrderState.WAITING_PARTS,
    OrderState.BURN_IN,
    OrderState.QC,
    OrderState.PACKING,
    OrderState.PACKED,
    OrderState.RETURN_UNREPAIRED,
)
MAIN_TECHNICIAN_OPEN = 1_500  # open orders of the technician the queue is timed as
WAITING_PICKUP, OPEN, SHIPPED = 0.003, 0.020, 0.030  # shares of the newest orders
# Repair-limit policy per lot size (LotLimitRule's defaults) and its working days as calendar days.
LIMIT_POLICIES = (
    ("repair-lot-1", 1, 1, 5),
    ("repair-lot-2-3", 2, 3, 10),
    ("repair-lot-batch", 4, None, 21),
)


def _ct(model) -> int:
    return ContentType.objects.get_for_model(model).pk


def _sql_list(values) -> str:
    return "ARRAY[" + ",".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]::text[]"


# --- generation -----------------------------------------------------------------------------------


def generate(ctx: Context) -> None:
    net = ctx.shared.get("network")
    if not net:
        raise BenchError("repairs' bench data needs the network's (network/bench.py) first")
    n_orders, n_apps = ctx.scale["orders"], ctx.scale["applications"]
    if n_apps < 10 or n_orders < n_apps:
        raise BenchError("need --applications >= 10 and --orders >= --applications")
    rng = random.Random(ctx.seed)
    people = net["people"]
    params = {
        "now": ctx.now,
        "start": ctx.now - timedelta(days=365),
        "A": n_apps,
        "N": n_orders,
        "hq": net["hq"],
        "clerk": people["clerk"],
        "warehouse": people["warehouse"],
        "head": people["head_of_cs"],
        "supervisor": people["supervisor"],
        "marketing": people["marketing"],
        "main_tech": people["technician"],
        "techs": [t for t in people["technicians"] if t != people["technician"]],
        "models": list(MODELS),
        "faults": list(FAULTS),
    }
    _lookup_tables(ctx, net)
    params["nb"] = len(net["branches"])
    with Phase(ctx, "applications"):
        _applications(ctx, params)
    with Phase(ctx, "lots, lines, received units, repair orders"):
        _lots_and_orders(ctx, params, rng)
    with Phase(ctx, "approval steps"):
        _steps(ctx, params)
    with Phase(ctx, "quotes"):
        _quotes(ctx, params)
    with Phase(ctx, "timers"):
        _timers(ctx, params)
    with Phase(ctx, "notifications"):
        _notifications(ctx, params)
    with Phase(ctx, "transition log"):
        _transition_log(ctx, params)
    with Phase(ctx, "reviews, statements, arrivals, stock, loaners"):
        _the_rest(ctx, params)
    reset_sequences(
        ReturnApplication, ReturnLine, ReceivedUnit, RepairLot, RepairOrder, ApprovalStep
    )
    _facts(ctx)
    with Phase(ctx, "field service: units, service requests, offers"):
        field_generate(ctx)
    with Phase(ctx, "field settlement (网点结算)"):
        _settlement(ctx, params)
    with Phase(ctx, "car-factory units (回购机, 江淮备用机)"):
        oem_generate(ctx, params)
    with Phase(ctx, "collections (收款)"):
        _collections(ctx, params)
    with Phase(ctx, "advances and expense claims (借支、报销)"):
        _money(ctx)


def _lookup_tables(ctx, net) -> None:
    branches = net["branches"]
    dealers_of: dict[int, list] = {}
    for dealer in net["dealers"]:
        if not dealer["empty"]:
            dealers_of.setdefault(dealer["branch"], []).append(dealer)
    temp_table(
        "bench_branch",
        [
            ("idx", "int"),
            ("id", "bigint"),
            ("kind", "text"),
            ("province", "bigint"),
            ("engineer", "bigint"),
            ("ndealers", "int"),
        ],
        [
            (i, b["id"], b["kind"], b["province"], b["engineer"], len(dealers_of.get(b["id"], [])))
            for i, b in enumerate(branches)
        ],
    )
    temp_table(
        "bench_dealer",
        [("branch", "bigint"), ("idx", "int"), ("id", "bigint"), ("staff", "bigint")],
        [
            (branch, i, d["id"], d["staff"])
            for branch, dealers in dealers_of.items()
            for i, d in enumerate(dealers)
        ],
    )
    # Who holds a role at a unit (one of them): the signer of a step at that unit.
    temp_table(
        "bench_holder",
        [("role", "text"), ("org_unit", "bigint"), ("user_id", "bigint")],
        RoleAssignment.objects.order_by("role", "org_unit_id", "user_id")
        .distinct("role", "org_unit_id")
        .values_list("role", "org_unit_id", "user_id"),
    )
    chains = []
    for chain in ApprovalChainTemplate.objects.prefetch_related("steps__deadline_policy"):
        for step in chain.steps.all():
            chains.append(
                (
                    chain.platform,
                    step.position,
                    step.name,
                    step.role,
                    step.holder_scope,
                    step.deadline_policy.code if step.deadline_policy else "",
                )
            )
    if not chains:
        raise BenchError("no approval chain templates (repairs' seeded defaults are missing)")
    temp_table(
        "bench_chain",
        [
            ("platform", "text"),
            ("position", "int"),
            ("name", "text"),
            ("role", "text"),
            ("scope", "text"),
            ("policy", "text"),
        ],
        chains,
    )


def _applications(ctx, p) -> None:
    """bench_app: one row per application with everything its children need; then the table."""
    p["app_off"] = max_id(ReturnApplication)
    execute(
        """
        CREATE TEMP TABLE bench_app AS
        SELECT g, %(app_off)s + g AS id, s.*,
               row_number() OVER (PARTITION BY s.state IN ('received', 'closed') ORDER BY g)
                   AS rn
        FROM generate_series(1, %(A)s) AS g
        CROSS JOIN LATERAL (
            SELECT b.id AS branch, b.kind AS platform, b.province, d.id AS dealer,
                   COALESCE(d.staff, b.engineer) AS applicant,
                   COALESCE(d.id, b.id) AS applicant_unit,
                   %(start)s::timestamptz + (g - 1) * (interval '365 days' / %(A)s)
                       + ((g * 7919) %% 3600) * interval '1 second' AS created,
                   CASE
                       WHEN g %% 50 = 7 THEN 'withdrawn'
                       WHEN g %% 100 = 13 THEN 'rejected'
                       WHEN g <= %(A)s * 0.94 THEN 'closed'
                       WHEN g <= %(A)s * 0.96 THEN 'received'
                       WHEN g <= %(A)s * 0.97 THEN 'picked_up'
                       WHEN g <= %(A)s * 0.98 THEN 'pickup_booked'
                       WHEN g <= %(A)s * 0.99 THEN 'approved'
                       WHEN g <= %(A)s * 0.997 THEN 'in_approval'
                       ELSE 'draft'
                   END AS state
            FROM bench_branch b
            LEFT JOIN bench_dealer d
              ON b.kind = 'managed' AND d.branch = b.id
             AND d.idx = CASE WHEN b.ndealers <= 1 OR (g / %(nb)s) %% 2 = 0 THEN 0
                              ELSE 1 + (g / %(nb)s / 2) %% (b.ndealers - 1) END
            WHERE b.idx = g %% %(nb)s
        ) AS s
        """,
        p,
    )
    execute("CREATE INDEX ON bench_app (g)")
    execute("CREATE INDEX ON bench_app (id)")
    execute("ANALYZE bench_app")
    # The moments along an application's path (NULL where it has not got that far).
    step = {
        "submitted": (
            "in_approval",
            "approved",
            "pickup_booked",
            "picked_up",
            "received",
            "closed",
            "rejected",
            "withdrawn",
        ),
        "approved": ("approved", "pickup_booked", "picked_up", "received", "closed"),
        "booked": ("pickup_booked", "picked_up", "received", "closed"),
        "picked": ("picked_up", "received", "closed"),
        "received": ("received", "closed"),
        "closed": ("closed",),
    }

    def at(key, hours):
        return (
            f"CASE WHEN a.state = ANY({_sql_list(step[key])}) "
            f"THEN a.created + interval '{hours} hours' END"
        )

    rows = insert_select(
        ReturnApplication,
        {
            "id": "a.id",
            "number": "'RMA-' || to_char(a.created, 'YYYYMM') || '-' || lpad(a.g::text, 7, '0')",
            "platform": "a.platform",
            "applicant_id": "a.applicant",
            "applicant_unit_id": "a.applicant_unit",
            "branch_id": "a.branch",
            "dealer_id": "a.dealer",
            "contact_name": "'联系人' || (a.g %% 97)",
            "contact_phone": "'139' || lpad((a.g * 7919 %% 100000000)::text, 8, '0')",
            "pickup_address": "'工业大道 ' || (a.g %% 300) || ' 号'",
            "state": "a.state",
            "round": "CASE WHEN a.state = 'draft' THEN 0 ELSE 1 END",
            "reject_reason": "CASE WHEN a.state = 'rejected' THEN '资料不全' ELSE '' END",
            "pickup_date": f"({at('booked', 48)})::date",
            "driver_name": "CASE WHEN a.state = ANY(%(booked)s) THEN '司机' || (a.g %% 50) "
            "ELSE '' END",
            "counted_units": "CASE WHEN a.state = ANY(%(picked)s) THEN 1 + a.g %% 9 END",
            "shipper_count": "CASE WHEN a.state = ANY(%(picked)s) THEN 1 END",
            "created_at": "a.created",
            "submitted_at": at("submitted", 1),
            "approved_at": at("approved", 24),
            "picked_up_at": at("picked", 72),
            "received_at": at("received", 120),
            "closed_at": at("closed", 144),
        },
        "bench_app a",
        {**p, "booked": list(step["booked"]), "picked": list(step["picked"])},
    )
    ctx.count("repairs.ReturnApplication", rows)


def _lot_sizes(rng, lots: int, units: int) -> list[int]:
    """Random lot sizes (1 unit, 2–3, a batch of 4 and more) adding up to `units` exactly."""
    sizes = [rng.choice((1, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12)) for _ in range(lots)]
    total = sum(sizes)
    sizes = [max(1, round(s * units / total)) for s in sizes]
    diff = units - sum(sizes)
    while diff:
        i = rng.randrange(lots)
        if diff > 0:
            sizes[i] += 1
            diff -= 1
        elif sizes[i] > 1:
            sizes[i] -= 1
            diff += 1
    return sizes


def _lots_and_orders(ctx, p, rng) -> None:
    received = [
        row[0]
        for row in _fetch(
            "SELECT g FROM bench_app WHERE state IN ('received', 'closed') ORDER BY g"
        )
    ]
    if not received:
        raise BenchError("no received application to open repair orders from")
    sizes = _lot_sizes(rng, len(received), p["N"])
    first, rows = 1, []
    for k, (g, size) in enumerate(zip(received, sizes, strict=True), start=1):
        rows.append((k, g, first, size))
        first += size
    temp_table("bench_lot", [("k", "int"), ("g", "int"), ("first_i", "int"), ("size", "int")], rows)
    p.update(
        lot_off=max_id(RepairLot),
        line_off=max_id(ReturnLine),
        unit_off=max_id(ReceivedUnit),
        order_off=max_id(RepairOrder),
    )
    policy_case = " ".join(
        f"WHEN l.size >= {low}" + (f" AND l.size <= {high}" if high else "") + f" THEN '{code}'"
        for code, low, high, _days in LIMIT_POLICIES
    )
    ctx.count(
        "repairs.RepairLot",
        insert_select(
            RepairLot,
            {
                "id": "%(lot_off)s + l.k",
                "number": "'LOT-' || to_char(a.created, 'YYYYMM') || '-' "
                "|| lpad(l.k::text, 7, '0')",
                "application_id": "a.id",
                "branch_id": "a.branch",
                "dealer_id": "a.dealer",
                "size": "l.size",
                "policy_code": f"CASE {policy_case} END",
                "received_at": "a.created + interval '120 hours'",
            },
            "bench_lot l JOIN bench_app a ON a.g = l.g",
            p,
        ),
    )
    # Machines: one line per unit (a serial number means quantity 1), one received unit, one order.
    expand = (
        "bench_lot l JOIN bench_app a ON a.g = l.g "
        "CROSS JOIN LATERAL generate_series(l.first_i, l.first_i + l.size - 1) AS i"
    )
    serial = "'SN' || lpad(((i::bigint * 48271) %% 2147483647)::text, 10, '0')"
    model = "(%(models)s::text[])[1 + i %% 7]"
    ctx.count(
        "repairs.ReturnLine",
        insert_select(
            ReturnLine,
            {
                "id": "%(line_off)s + i",
                "application_id": "a.id",
                "product_model": model,
                "serial_number": serial,
                "quantity": "1",
                "purchase_date": "(a.created - (i %% 700) * interval '1 day')::date",
                "has_warranty_card": "i %% 11 <> 0",
                "fault_description": "(%(faults)s::text[])[1 + i %% 7]",
            },
            expand,
            p,
        ),
    )
    # Lines of the applications not received yet: two each.
    ctx.count(
        "repairs.ReturnLine",
        insert_select(
            ReturnLine,
            {
                "id": "%(line_off)s + %(N)s + 2 * (a.rn - 1) + x",
                "application_id": "a.id",
                "product_model": "(%(models)s::text[])[1 + (a.g + x) %% 7]",
                "serial_number": "'SN-NEW-' || a.g || '-' || x",
                "quantity": "1",
                "purchase_date": "(a.created - (a.g %% 500) * interval '1 day')::date",
                "fault_description": "(%(faults)s::text[])[1 + (a.g + x) %% 7]",
            },
            "bench_app a CROSS JOIN generate_series(1, 2) AS x "
            "WHERE a.state NOT IN ('received', 'closed')",
            p,
        ),
    )
    ctx.count(
        "repairs.ReceivedUnit",
        insert_select(
            ReceivedUnit,
            {
                "id": "%(unit_off)s + i",
                "application_id": "a.id",
                "line_id": "%(line_off)s + i",
                "product_model": model,
                "serial_number": serial,
                "received_at": "a.created + interval '120 hours'",
                "received_by_id": "%(warehouse)s",
            },
            expand,
            p,
        ),
    )
    open_with_tech = int(p["N"] * (OPEN - WAITING_PICKUP))
    p["every"] = max(1, round(open_with_tech / MAIN_TECHNICIAN_OPEN))
    p["waiting"] = max(1, int(p["N"] * WAITING_PICKUP))
    p["open"] = int(p["N"] * OPEN)
    p["shipped"] = int(p["N"] * SHIPPED)
    p["open_states"] = [str(s) for s in OPEN_STATES]
    state = """CASE
        WHEN %(N)s - i < %(waiting)s THEN 'waiting_pickup'
        WHEN %(N)s - i < %(open)s THEN (%(open_states)s::text[])[1 + i %% 9]
        WHEN %(N)s - i < %(shipped)s THEN 'shipped'
        ELSE 'closed' END"""
    execute(
        f"""CREATE TEMP TABLE bench_order AS
        SELECT i, %(order_off)s + i AS id, l.k, a.g, a.id AS app, a.branch, a.dealer, l.size,
               a.created + interval '120 hours' AS received, {state} AS state
        FROM {expand}""",  # noqa: S608
        p,
    )
    execute("CREATE INDEX ON bench_order (id)")
    execute("ANALYZE bench_order")
    tech = """CASE
        WHEN o.state = 'waiting_pickup' THEN NULL
        WHEN o.state NOT IN ('shipped', 'closed') AND o.i %% %(every)s = 0 THEN %(main_tech)s
        WHEN o.state IN ('shipped', 'closed') AND o.i %% 40 = 0 THEN %(main_tech)s
        ELSE (%(techs)s::bigint[])[1 + o.i %% cardinality(%(techs)s::bigint[])] END"""
    done = "o.state IN ('shipped', 'closed')"
    shipped_at = "LEAST(o.received + (6 + o.i %% 9) * interval '1 day', %(now)s)"
    ctx.count(
        "repairs.RepairOrder",
        insert_select(
            RepairOrder,
            {
                "id": "o.id",
                "number": "'RO-' || to_char(o.received, 'YYYYMM') || '-' "
                "|| lpad(o.i::text, 8, '0')",
                "lot_id": "%(lot_off)s + o.k",
                "received_unit_id": "%(unit_off)s + o.i",
                "branch_id": "o.branch",
                "dealer_id": "o.dealer",
                "product_model": "(%(models)s::text[])[1 + o.i %% 7]",
                "serial_number": "'SN' "
                "|| lpad(((o.i::bigint * 48271) %% 2147483647)::text, 10, '0')",
                "purchase_date": "(o.received - (o.i %% 700) * interval '1 day')::date",
                "fault_description": "(%(faults)s::text[])[1 + o.i %% 7]",
                "state": "o.state",
                "technician_id": tech,
                "picked_up_at": "CASE WHEN o.state <> 'waiting_pickup' "
                "THEN o.received + interval '20 hours' END",
                "diagnosis": "CASE WHEN o.state <> 'waiting_pickup' THEN '检测：' || "
                "(%(faults)s::text[])[1 + o.i %% 7] ELSE '' END",
                "in_warranty": "o.i %% 3 <> 0",
                "warranty_reasons": "CASE WHEN o.i %% 3 <> 0 THEN '[\"购买一年内，无除外情形\"]' "
                "ELSE '[\"已过保修期\"]' END::jsonb",
                "service_type": "CASE WHEN o.i %% 3 <> 0 THEN 'free' ELSE 'paid' END",
                # one shipped unit in 23 failed QC once and was repaired twice (the reports)
                "repair_count": f"CASE WHEN {done} THEN (CASE WHEN o.i %% 23 = 0 THEN 2 ELSE 1 "
                "END) ELSE 0 END",
                "qc_failures": f"CASE WHEN {done} AND o.i %% 23 = 0 THEN 1 ELSE 0 END",
                # working hours pickup → shipment, near what the 6–14 calendar days above give
                "turnaround_hours": f"CASE WHEN {done} THEN ((4 + o.i %% 7) * 9.5 "
                "+ (o.i %% 5))::float END",
                "carrier": f"CASE WHEN {done} THEN '顺丰速运' ELSE '' END",
                "tracking_number": f"CASE WHEN {done} THEN 'SF' || lpad(o.i::text, 12, '0') "
                "ELSE '' END",
                "shipped_on": f"CASE WHEN {done} THEN ({shipped_at})::date END",
                "shipped_at": f"CASE WHEN {done} THEN {shipped_at} END",
                "closed_at": f"CASE WHEN o.state = 'closed' THEN {shipped_at} "
                "+ interval '2 days' END",
                "created_at": "o.received",
            },
            "bench_order o",
            p,
        ),
    )


def _fetch(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _steps(ctx, p) -> None:
    """Three steps a submission (the platform's chain); the state follows the application's."""
    state = """CASE a.state
        WHEN 'in_approval' THEN CASE
            WHEN c.position < 1 + a.g %% 3 THEN 'approved'
            WHEN c.position = 1 + a.g %% 3 THEN 'pending' ELSE 'waiting' END
        WHEN 'rejected' THEN CASE c.position WHEN 1 THEN 'approved' WHEN 2 THEN 'rejected'
            ELSE 'cancelled' END
        WHEN 'withdrawn' THEN CASE c.position WHEN 1 THEN 'approved' ELSE 'cancelled' END
        ELSE 'approved' END"""
    unit = """CASE c.scope WHEN 'branch' THEN a.branch WHEN 'province' THEN a.province
        WHEN 'headquarters' THEN %(hq)s ELSE a.applicant_unit END"""
    execute(
        f"""CREATE TEMP TABLE bench_step AS
        SELECT a.id AS app, a.g, c.position, c.name, c.role, c.policy, {unit} AS unit,
               {state} AS state,
               a.created + interval '1 hour' + (c.position - 1) * interval '3 hours' AS opened
        FROM bench_app a JOIN bench_chain c ON c.platform = a.platform
        WHERE a.state <> 'draft'""",  # noqa: S608
        p,
    )
    decided = "s.state IN ('approved', 'rejected')"
    ctx.count(
        "repairs.ApprovalStep",
        insert_select(
            ApprovalStep,
            {
                "application_id": "s.app",
                "round": "1",
                "position": "s.position",
                "name": "s.name",
                "role": "s.role",
                "org_unit_id": "s.unit",
                "deadline_policy_code": "s.policy",
                "state": "s.state",
                "decided_by_id": f"CASE WHEN {decided} THEN h.user_id END",
                "decided_at": f"CASE WHEN {decided} THEN s.opened + interval '2 hours' END",
                "comment": "CASE WHEN s.state = 'rejected' THEN '资料不全，请补充购买凭证' "
                "ELSE '' END",
            },
            "bench_step s LEFT JOIN bench_holder h ON h.role = s.role AND h.org_unit = s.unit",
            p,
        ),
    )


def _quotes(ctx, p) -> None:
    """A quote for one order in ten (and every order quoting or waiting for consent): raised,
    sent, or answered; two lines each."""
    state = """CASE o.state WHEN 'quoting' THEN 'raised' WHEN 'waiting_consent' THEN 'sent'
        WHEN 'return_unrepaired' THEN 'declined'
        ELSE CASE WHEN o.i %% 7 = 0 THEN 'declined' ELSE 'consented' END END"""
    ctx.count(
        "repairs.Quote",
        insert_select(
            Quote,
            {
                "order_id": "o.id",
                "state": state,
                "total": "100 + (o.i %% 20) * 25",
                "raised_by_id": "COALESCE(r.technician_id, %(main_tech)s)",
                "raised_at": "o.received + interval '1 day'",
                "sent_by_id": "CASE WHEN o.state <> 'quoting' THEN %(clerk)s END",
                "sent_at": "CASE WHEN o.state <> 'quoting' THEN o.received + interval '26 hours' "
                "END",
                "answered_at": "CASE WHEN o.state NOT IN ('quoting', 'waiting_consent') "
                "THEN o.received + interval '50 hours' END",
            },
            "bench_order o JOIN " + RepairOrder._meta.db_table + " r ON r.id = o.id "
            "WHERE o.state IN ('quoting', 'waiting_consent', 'return_unrepaired') "
            "OR (o.state NOT IN ('waiting_pickup', 'diagnosing') AND o.i %% 10 = 3)",
            p,
        ),
    )
    ctx.count(
        "repairs.QuoteLine",
        insert_select(
            QuoteLine,
            {
                "quote_id": "q.id",
                "kind": "CASE x WHEN 1 THEN 'labour' ELSE 'parts' END",
                "description": "CASE x WHEN 1 THEN '维修工时' ELSE '压缩机' END",
                "amount": "CASE x WHEN 1 THEN 60 ELSE q.total - 60 END",
            },
            f"{Quote._meta.db_table} q CROSS JOIN generate_series(1, 2) AS x",
            p,
        ),
    )


def _policy_params(p) -> None:
    policies = {row.code: row for row in DeadlinePolicy.objects.all()}
    wanted = [code for code, *_rest in LIMIT_POLICIES] + [QUOTE_CONSENT_POLICY]
    missing = [code for code in wanted if code not in policies]
    if missing:
        raise BenchError(f"deadline policies missing (seeded defaults?): {', '.join(missing)}")
    p["policy_rows"] = json.dumps(
        [
            {"code": code, "id": row.pk, "snapshot": row.snapshot(), "kind": row.kind}
            for code, row in policies.items()
        ]
    )


def _timers(ctx, p) -> None:
    """Each order's repair limit and each opened step's timer (and the open quotes' consent
    timers): most closed (met, some late), the open ones running, overdue or paused."""
    _policy_params(p)
    execute(
        """CREATE TEMP TABLE bench_policy AS
        SELECT x->>'code' AS code, (x->>'id')::bigint AS id, x->'snapshot' AS snapshot,
               x->>'kind' AS kind
        FROM jsonb_array_elements(%(policy_rows)s::jsonb) AS x""",
        p,
    )
    p["order_ct"], p["step_ct"], p["quote_ct"] = (
        _ct(RepairOrder),
        _ct(ApprovalStep),
        _ct(Quote),
    )
    days = " ".join(f"WHEN '{code}' THEN {d}" for code, _l, _h, d in LIMIT_POLICIES)
    due = f"o.received + (CASE l.policy_code {days} END) * interval '1 day'"
    status = f"""CASE
        WHEN o.state IN ('shipped', 'closed') THEN
            CASE WHEN o.i %% 10 = 0 THEN 'late' ELSE 'met' END
        WHEN o.state = 'waiting_consent' THEN 'paused'
        WHEN {due} < %(now)s THEN 'breached'
        ELSE 'running' END"""
    label = "'维修时限 ' || r.number || ' ' || r.product_model || ' ' || r.serial_number"
    rows = insert_select(
        Deadline,
        {
            "policy_id": "pol.id",
            "policy_snapshot": "pol.snapshot",
            "kind": "pol.kind",
            "label": label,
            "owner_type_id": "%(order_ct)s",
            "owner_id": "o.id",
            "org_unit_id": "o.branch",
            "assignee_id": "r.technician_id",
            "status": "t.status",
            "started_at": "o.received",
            "due_at": f"{due}",
            "warn_at": f"{due} - interval '1 day'",
            "next_action_at": f"""CASE t.status
                WHEN 'running' THEN GREATEST({due} - interval '1 day', %(now)s)
                WHEN 'breached' THEN %(now)s + interval '1 day' END""",
            "level": "CASE t.status WHEN 'breached' THEN 2 WHEN 'late' THEN 2 ELSE 0 END",
            "paused_at": "CASE WHEN t.status = 'paused' THEN %(now)s - interval '1 day' END",
            "pause_reason": "CASE WHEN t.status = 'paused' THEN '等待客户确认报价' ELSE '' END",
            "ball_holder": "CASE WHEN t.status = 'paused' THEN 'customer' ELSE '' END",
            "breached_at": f"CASE WHEN t.status IN ('breached', 'late') THEN {due} END",
            "closed_at": "CASE WHEN t.status IN ('met', 'late') THEN r.shipped_at END",
            "created_at": "o.received",
        },
        f"bench_order o JOIN {RepairOrder._meta.db_table} r ON r.id = o.id "
        f"JOIN {RepairLot._meta.db_table} l ON l.id = r.lot_id "
        "JOIN bench_policy pol ON pol.code = l.policy_code "
        f"CROSS JOIN LATERAL (SELECT {status} AS status) AS t",
        p,
    )
    ctx.count("service_ops.Deadline", rows)
    step_due = "s.opened + interval '1 day'"
    rows = insert_select(
        Deadline,
        {
            "policy_id": "pol.id",
            "policy_snapshot": "pol.snapshot",
            "kind": "pol.kind",
            "label": "'返厂申请 ' || a.number || ' ' || s.name",
            "owner_type_id": "%(step_ct)s",
            "owner_id": "st.id",
            "org_unit_id": "s.unit",
            "status": f"""CASE WHEN s.state <> 'pending' THEN
                CASE WHEN s.g %% 12 = 0 THEN 'late' ELSE 'met' END
                WHEN {step_due} < %(now)s THEN 'breached' ELSE 'running' END""",
            "started_at": "s.opened",
            "due_at": step_due,
            "warn_at": "s.opened",
            "next_action_at": f"CASE WHEN s.state = 'pending' THEN GREATEST({step_due}, %(now)s) "
            "END",
            "level": f"CASE WHEN s.state = 'pending' AND {step_due} < %(now)s THEN 2 ELSE 0 END",
            "breached_at": f"CASE WHEN s.state = 'pending' AND {step_due} < %(now)s "
            f"THEN {step_due} END",
            "closed_at": "st.decided_at",
            "created_at": "s.opened",
        },
        f"bench_step s JOIN {ApprovalStep._meta.db_table} st "
        "ON st.application_id = s.app AND st.position = s.position "
        f"JOIN {ReturnApplication._meta.db_table} a ON a.id = s.app "
        "JOIN bench_policy pol ON pol.code = s.policy "
        "WHERE s.state IN ('approved', 'rejected', 'pending')",
        p,
    )
    ctx.count("service_ops.Deadline", rows)
    rows = insert_select(
        Deadline,
        {
            "policy_id": "pol.id",
            "policy_snapshot": "pol.snapshot",
            "kind": f"'{QUOTE_CONSENT_KIND}'",
            "label": "'报价确认 ' || r.number",
            "owner_type_id": "%(quote_ct)s",
            "owner_id": "q.id",
            "org_unit_id": "r.branch_id",
            "status": "'running'",
            "started_at": "q.sent_at",
            "due_at": "q.sent_at + interval '2 days'",
            "warn_at": "q.sent_at + interval '1 day'",
            "next_action_at": "GREATEST(q.sent_at + interval '1 day', %(now)s)",
            "created_at": "q.sent_at",
        },
        f"{Quote._meta.db_table} q JOIN {RepairOrder._meta.db_table} r ON r.id = q.order_id "
        f"JOIN bench_policy pol ON pol.code = '{QUOTE_CONSENT_POLICY}' WHERE q.state = 'sent'",
        p,
    )
    ctx.count("service_ops.Deadline", rows)


def _notifications(ctx, p) -> None:
    """待签字 to each opened step's signer (done once decided), 已收货 to each received
    application's applicant, 维修超期 to the technician of each overdue order."""
    rows = insert_select(
        Notification,
        {
            "recipient_id": "h.user_id",
            "channel": "'in_app'",
            "category": "'approval'",
            "subject": "'待签字：返厂申请 ' || a.number || ' ' || s.name",
            "url": "'/repairs/returns/' || a.id || '/'",
            "source_type_id": "%(step_ct)s",
            "source_id": "st.id",
            "needs_action": "true",
            "done_at": "st.decided_at",
            "read_at": "CASE WHEN st.decided_at IS NOT NULL AND s.g %% 5 <> 0 "
            "THEN st.decided_at - interval '30 minutes' END",
            "created_at": "s.opened",
            "send_after": "s.opened",
        },
        "bench_step s JOIN bench_holder h ON h.role = s.role AND h.org_unit = s.unit "
        f"JOIN {ApprovalStep._meta.db_table} st "
        "ON st.application_id = s.app AND st.position = s.position "
        f"JOIN {ReturnApplication._meta.db_table} a ON a.id = s.app "
        "WHERE s.state IN ('approved', 'rejected', 'pending')",
        p,
    )
    ctx.count("service_ops.Notification", rows)
    p["app_ct"] = _ct(ReturnApplication)
    rows = insert_select(
        Notification,
        {
            "recipient_id": "a.applicant_id",
            "channel": "'in_app'",
            "category": "'logistics'",
            "subject": "'已收货：返厂申请 ' || a.number",
            "url": "'/repairs/returns/' || a.id || '/'",
            "source_type_id": "%(app_ct)s",
            "source_id": "a.id",
            "read_at": "CASE WHEN a.id %% 4 <> 0 THEN a.received_at + interval '1 day' END",
            "created_at": "a.received_at",
            "send_after": "a.received_at",
        },
        f"{ReturnApplication._meta.db_table} a WHERE a.received_at IS NOT NULL",
        p,
    )
    ctx.count("service_ops.Notification", rows)
    rows = insert_select(
        Notification,
        {
            "recipient_id": "d.assignee_id",
            "channel": "'in_app'",
            "category": "'deadline'",
            "subject": "'已超期：' || d.label",
            "url": "'/repairs/orders/' || d.owner_id || '/'",
            "urgent": "true",
            "source_type_id": "%(order_ct)s",
            "source_id": "d.owner_id",
            "created_at": "d.breached_at",
            "send_after": "d.breached_at",
        },
        f"{Deadline._meta.db_table} d WHERE d.owner_type_id = %(order_ct)s "
        "AND d.status = 'breached' AND d.assignee_id IS NOT NULL",
        p,
    )
    ctx.count("service_ops.Notification", rows)


PATHS = {
    # final state → the transitions that led there: (name, from, to, hours after creation, actor)
    "in_approval": [("submit", "draft", "in_approval", 1, "a.applicant_id")],
    "rejected": [
        ("submit", "draft", "in_approval", 1, "a.applicant_id"),
        ("reject", "in_approval", "rejected", 8, "%(head)s"),
    ],
    "withdrawn": [
        ("submit", "draft", "in_approval", 1, "a.applicant_id"),
        ("withdraw", "in_approval", "withdrawn", 5, "a.applicant_id"),
    ],
}
_FORWARD = [
    ("submit", "draft", "in_approval", 1, "a.applicant_id"),
    ("approve", "in_approval", "approved", 24, "%(head)s"),
    ("book_pickup", "approved", "pickup_booked", 30, "%(clerk)s"),
    ("record_pickup", "pickup_booked", "picked_up", 72, "%(clerk)s"),
    ("receive", "picked_up", "received", 120, "%(warehouse)s"),
    ("close", "received", "closed", 144, "%(clerk)s"),
]
for _n, _state in enumerate(("approved", "pickup_booked", "picked_up", "received", "closed")):
    PATHS[_state] = _FORWARD[: _n + 2]


def _transition_log(ctx, p) -> None:
    """Each application's path; for each order its pick-up and, when done, its shipping and
    closing."""
    path_rows = [
        (state, seq, name, src, dst, hours, actor)
        for state, path in PATHS.items()
        for seq, (name, src, dst, hours, actor) in enumerate(path)
    ]
    temp_table(
        "bench_path",
        [
            ("state", "text"),
            ("seq", "int"),
            ("name", "text"),
            ("src", "text"),
            ("dst", "text"),
            ("hours", "int"),
            ("actor", "text"),
        ],
        path_rows,
    )
    actor = "CASE t.actor WHEN 'a.applicant_id' THEN a.applicant_id WHEN '%%(head)s' THEN %(head)s "
    actor += "WHEN '%%(clerk)s' THEN %(clerk)s ELSE %(warehouse)s END"
    rows = insert_select(
        TransitionLog,
        {
            "object_type_id": "%(app_ct)s",
            "object_id": "a.id",
            "transition": "t.name",
            "from_state": "t.src",
            "to_state": "t.dst",
            "actor_id": actor,
            "channel": "CASE WHEN a.dealer_id IS NOT NULL AND t.seq = 0 AND a.id %% 3 = 0 "
            "THEN 'api' ELSE 'web' END",
            "created_at": "a.created_at + t.hours * interval '1 hour'",
        },
        f"{ReturnApplication._meta.db_table} a JOIN bench_path t ON t.state = a.state",
        p,
    )
    ctx.count("service_ops.TransitionLog", rows)
    rows = insert_select(
        TransitionLog,
        {
            "object_type_id": "%(order_ct)s",
            "object_id": "r.id",
            "transition": "x.name",
            "from_state": "x.src",
            "to_state": "x.dst",
            "actor_id": "CASE WHEN x.name = 'pick_up' THEN r.technician_id ELSE %(clerk)s END",
            "channel": "'web'",
            "created_at": "x.at",
        },
        f"{RepairOrder._meta.db_table} r CROSS JOIN LATERAL (VALUES "
        "('pick_up', 'waiting_pickup', 'diagnosing', r.picked_up_at), "
        "('ship', 'packed', 'shipped', r.shipped_at), "
        "('close', 'shipped', 'closed', r.closed_at)) AS x(name, src, dst, at) "
        "WHERE x.at IS NOT NULL",
        p,
    )
    ctx.count("service_ops.TransitionLog", rows)


def _the_rest(ctx, p) -> None:
    # Review meetings every Wednesday and Saturday of the year, 20 overdue orders each.
    rows = insert_select(
        ReviewMeeting,
        {"held_on": "d::date", "created_at": "d"},
        "generate_series(%(start)s::timestamptz, %(now)s, interval '1 day') AS d "
        "WHERE extract(isodow FROM d) IN (3, 6)",
        p,
    )
    ctx.count("repairs.ReviewMeeting", rows)
    rows = insert_select(
        ReviewItem,
        {
            "meeting_id": "m.id",
            "order_id": "%(order_off)s + 1 + ((m.id * 20 + x) * 7919) %% %(N)s",
            "overdue_days": "1 + x %% 5",
            "decision": "CASE WHEN m.held_on < %(now)s::date THEN 'more_time' ELSE '' END",
            "note": "''",
            "decided_by_id": "CASE WHEN m.held_on < %(now)s::date THEN %(supervisor)s END",
        },
        f"{ReviewMeeting._meta.db_table} m CROSS JOIN generate_series(1, 20) AS x",
        p,
        suffix="ON CONFLICT DO NOTHING",
    )
    ctx.count("repairs.ReviewItem", rows)
    # Month-end statements: every branch, the last twelve months (the last one still a draft).
    rows = insert_select(
        MonthlyStatement,
        {
            "branch_id": "b.id",
            "month": "date_trunc('month', %(now)s - m * interval '1 month')::date",
            "state": "CASE WHEN m = 1 THEN 'draft' ELSE 'confirmed' END",
            "repair_fees": "1000 + (b.idx * 37 + m * 11) %% 900",
            "parts_fees": "500 + (b.idx * 13 + m * 7) %% 400",
            "total": "1500 + (b.idx * 37 + m * 11) %% 900 + (b.idx * 13 + m * 7) %% 400",
            "confirmed_by_id": "CASE WHEN m > 1 THEN h.user_id END",
            "confirmed_at": "CASE WHEN m > 1 THEN %(now)s - (m - 1) * interval '1 month' END",
        },
        "bench_branch b CROSS JOIN generate_series(1, 12) AS m "
        "LEFT JOIN bench_holder h ON h.role = 'branch_manager' AND h.org_unit = b.id",
        p,
    )
    ctx.count("repairs.MonthlyStatement", rows)
    # Unauthorised arrivals (one per 100 applications), two penalties each, the happy fund.
    p["arrivals"] = max(10, p["A"] // 100)
    rows = insert_select(
        UnauthorisedArrival,
        {
            "number": "'UA-' || to_char(a.created, 'YYYYMM') || '-' || lpad(x::text, 6, '0')",
            "platform": "a.platform",
            "shipper_unit_id": "a.applicant_unit",
            "branch_id": "a.branch",
            "arrived_at": "a.created",
            "units": "1 + x %% 4",
            "description": "'未经申请寄回'",
            "state": "CASE WHEN x > %(arrivals)s * 0.9 THEN 'refused' "
            "ELSE 'penalties_confirmed' END",
            "recorded_by_id": "%(warehouse)s",
            "created_at": "a.created",
        },
        "generate_series(1, %(arrivals)s) AS x "
        "JOIN bench_app a ON a.g = 1 + ((x - 1) * %(A)s / %(arrivals)s)",
        p,
    )
    ctx.count("repairs.UnauthorisedArrival", rows)
    rows = insert_select(
        Penalty,
        {
            "arrival_id": "u.id",
            "role": "CASE WHEN x = 1 THEN 'branch_manager' ELSE 'branch_engineer' END",
            "person_id": "h.user_id",
            "org_unit_id": "u.branch_id",
            "kind": "CASE WHEN x = 1 THEN 'fine' ELSE 'points' END",
            "amount_min": "CASE WHEN x = 1 THEN 200 ELSE 20 END",
            "amount_max": "CASE WHEN x = 1 THEN 500 ELSE 20 END",
            "amount": "CASE WHEN u.state = 'refused' THEN NULL WHEN x = 1 THEN 300 ELSE 20 END",
            "state": "CASE WHEN u.state = 'refused' THEN 'proposed' ELSE 'confirmed' END",
            "decided_by_id": "CASE WHEN u.state <> 'refused' THEN %(head)s END",
            "decided_at": "CASE WHEN u.state <> 'refused' THEN u.arrived_at + interval '2 days' "
            "END",
        },
        f"{UnauthorisedArrival._meta.db_table} u CROSS JOIN generate_series(1, 2) AS x "
        "LEFT JOIN bench_holder h ON h.role = 'branch_manager' AND h.org_unit = u.branch_id",
        p,
    )
    ctx.count("repairs.Penalty", rows)
    rows = insert_select(
        HappyFundEntry,
        {
            "penalty_id": "pe.id",
            "amount": "pe.amount",
            "balance_after": "sum(pe.amount) OVER (ORDER BY pe.id)",
            "note": "'罚款入账'",
            "created_by_id": "%(head)s",
            "created_at": "pe.decided_at",
        },
        f"{Penalty._meta.db_table} pe WHERE pe.kind = 'fine' AND pe.state = 'confirmed'",
        p,
    )
    ctx.count("repairs.HappyFundEntry", rows)
    # returned stock: most done, the last ones open (task orders issued or in process, a few
    # waiting for collection), one in five urgent
    rows = insert_select(
        ReturnedStockApplication,
        {
            "number": "'RS-' || to_char(%(start)s::timestamptz + x * interval '1 day', 'YYYYMM')"
            " || '-' || lpad(x::text, 5, '0')",
            "filed_by_id": "%(marketing)s",
            "filed_by_unit_id": "%(hq)s",
            "product_models": "(%(models)s::text[])[1 + x %% 7]",
            "quantity": "1 + (x * 7) %% 30",
            "treatment": "'rework'",
            "urgency": "CASE WHEN x %% 5 = 0 THEN 'urgent' ELSE 'normal' END",
            "route": "CASE WHEN 1 + (x * 7) %% 30 >= 10 THEN 'pmc' ELSE 'repair_team' END",
            "state": "CASE WHEN x > 350 THEN 'routed' WHEN x > 340 THEN 'issued' "
            "WHEN x > 330 THEN 'in_process' ELSE 'done' END",
            "collected_at": "CASE WHEN x <= 350 THEN %(start)s::timestamptz + x * interval '1 day'"
            " + interval '2 days' END",
            "counted_quantity": "CASE WHEN x <= 350 THEN 1 + (x * 7) %% 30 END",
            "limit_days": "CASE WHEN x <= 350 THEN (ARRAY[5, 10, 15, 30])[1 + x %% 4] END",
            "task_order_number": "CASE WHEN x <= 350 THEN 'PT-' || to_char(%(start)s::timestamptz"
            " + x * interval '1 day', 'YYYYMM') || '-' || lpad(x::text, 5, '0') END",
            "created_at": "%(start)s::timestamptz + x * interval '1 day'",
        },
        "generate_series(1, 360) AS x",
        p,
    )
    ctx.count("repairs.ReturnedStockApplication", rows)
    rows = insert_select(
        ReturnedStockLine,
        {
            "application_id": "s.id",
            "product_model": "s.product_models",
            "quantity": "s.quantity",
            "counted_quantity": "s.counted_quantity",
        },
        f"{ReturnedStockApplication._meta.db_table} s",
        p,
    )
    ctx.count("repairs.ReturnedStockLine", rows)
    rows = insert_select(
        LoanerUnit,
        {
            "serial_number": "'LOANER-' || lpad(x::text, 4, '0')",
            "product_model": "(%(models)s::text[])[1 + x %% 7]",
            "is_available": "x > 15",
        },
        "generate_series(1, 40) AS x",
        p,
    )
    ctx.count("repairs.LoanerUnit", rows)
    rows = insert_select(
        Loan,
        {
            "loaner_id": "lu.id",
            "order_id": "o.id",
            "responsible_id": "%(supervisor)s",
            "due_back": "(%(now)s + interval '20 days')::date",
            "state": "CASE WHEN lu.is_available THEN 'returned' ELSE 'lent' END",
            "returned_at": "CASE WHEN lu.is_available THEN %(now)s - interval '1 day' END",
        },
        f"{LoanerUnit._meta.db_table} lu JOIN bench_order o "
        "ON o.id = %(order_off)s + %(N)s - (lu.id %% GREATEST(%(open)s, 1))",
        p,
    )
    ctx.count("repairs.Loan", rows)


def _facts(ctx) -> None:
    """Values the filtered probes use: a serial number, an order and an application number of
    the dealer's (an older one: not on the first page)."""
    dealer = ctx.callers["dealer"].user.profile.org_unit_id
    order = (
        RepairOrder.objects.filter(dealer_id=dealer)
        .order_by("-id")
        .select_related("lot__application")[min(120, ctx.scale["orders"] // 200)]
    )
    ctx.facts.update(
        serial=order.serial_number,
        order_number=order.number,
        application_number=order.lot.application.number,
        dealer_id=dealer,
    )


def check(ctx: Context) -> list[str]:
    problems = []
    callers = ctx.callers
    expected = {
        "dealer": True,
        "dealer_empty": False,
        "province": True,
        "branch_engineer": True,
        "hq": True,
    }
    for key, sees in expected.items():
        user = callers[key].user
        for model in (ReturnApplication, RepairOrder):
            found = model.objects.visible_to(user).exists()
            if found != sees:
                problems.append(
                    f"{callers[key].label} sees {'no' if sees else 'some'} {model._meta.label} "
                    f"(expected {'some' if sees else 'none'})"
                )
    tech = callers["technician"].user
    open_ = RepairOrder.objects.filter(technician=tech).exclude(state__in=("shipped", "closed"))
    if not open_.exists():
        problems.append("the technician has no open repair order")
    return problems


# --- the lists ------------------------------------------------------------------------------------


def _raw_partner_orders(dealer_id: int, page_size: int):
    """The partner order list's page by hand: one SELECT of every column the page shows — the
    order with its lot, application and technician, its newest repair limit, its current (newest)
    quote with the quote's lines and, for a sent quote, its answer time — ORDER BY id DESC LIMIT
    page, and json.dumps. (Until session 12 this read only 28 of the page's columns and no quote:
    44 KB of JSON against the page's 71 KB.)"""
    order_ct, quote_ct = _ct(RepairOrder), _ct(Quote)
    t = {m.__name__: m._meta.db_table for m in (RepairOrder, RepairLot, ReturnApplication)}
    t["Quote"], t["QuoteLine"] = Quote._meta.db_table, QuoteLine._meta.db_table
    timers = Deadline._meta.db_table
    sql = f"""
        SELECT o.id, o.number, o.state, o.urgency, o.product_model, o.serial_number,
               o.purchase_date, o.fault_description, o.in_warranty, o.warranty_reasons,
               o.service_type, o.repair_count, o.qc_failures, o.picked_up_at,
               o.waiting_parts_reason, o.waiting_parts_until, o.burn_in_started_at,
               o.burn_in_ended_at, o.packing_list, o.parcels, o.packed_at, o.carrier,
               o.tracking_number, o.shipped_on, o.shipped_at, o.closed_at, o.created_at,
               l.id AS lot_id, l.number AS lot_number, l.size, l.received_at,
               a.id AS application_id, a.number AS application_number,
               u.first_name, u.last_name, u.username AS technician,
               d.policy_snapshot ->> 'code' AS policy,
               d.policy_snapshot ->> 'limit' AS limit_working_days, d.extension,
               d.started_at, d.due_at, d.status, d.paused_at,
               d.pause_reason, d.texts, d.ball_holder, d.paused_seconds, d.breached_at,
               d.closed_at AS limit_closed_at,
               q.id AS quote_id, q.state AS quote_state, q.total, q.sent_at, q.lines,
               qd.due_at AS answer_due_at
        FROM {t["RepairOrder"]} o
        JOIN {t["RepairLot"]} l ON l.id = o.lot_id
        JOIN {t["ReturnApplication"]} a ON a.id = l.application_id
        LEFT JOIN auth_user u ON u.id = o.technician_id
        LEFT JOIN LATERAL (
            SELECT * FROM {timers} x
            WHERE x.owner_type_id = %s AND x.owner_id = o.id AND x.kind = %s
            ORDER BY x.id DESC LIMIT 1
        ) AS d ON true
        LEFT JOIN LATERAL (
            SELECT y.id, y.state, y.total, y.sent_at,
                   (SELECT json_agg(json_build_object('kind', z.kind, 'description',
                                                      z.description, 'amount', z.amount)
                                    ORDER BY z.id)
                    FROM {t["QuoteLine"]} z WHERE z.quote_id = y.id) AS lines
            FROM {t["Quote"]} y WHERE y.order_id = o.id
            ORDER BY y.id DESC LIMIT 1
        ) AS q ON true
        LEFT JOIN {timers} qd ON q.state = %s AND qd.owner_type_id = %s
            AND qd.owner_id = q.id AND qd.kind = %s AND qd.status IN %s
        WHERE o.dealer_id = %s
        ORDER BY o.id DESC
        LIMIT %s
    """  # noqa: S608
    open_ = tuple(str(status) for status in OPEN_STATUSES)
    params = [order_ct, LIMIT_KIND, QuoteState.SENT, quote_ct, QUOTE_CONSENT_KIND, open_]
    params += [dealer_id, page_size]

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [c[0] for c in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return json.dumps({"next": None, "results": rows}, default=str, ensure_ascii=False)

    return run


def probes(ctx: Context) -> list[Probe]:
    from service_ops.api.pagination import KeysetPagination

    f = ctx.facts
    r = {name: reverse(f"repairs:{name}") for name in (
        "return_list", "signature_queue", "logistics_board", "arrival_list", "penalty_list",
        "happy_fund", "returned_stock_list", "ranking", "order_list", "technician_queue",
        "order_board", "loaner_list", "review_list", "statement_list", "task_order_list",
    )}  # fmt: skip
    api = {
        "apps": reverse("api-return-application-list"),
        "steps": reverse("api-approval-step-list"),
        "orders": reverse("api-repair-order-list"),
    }
    RMA, RO = "RMA-", "RO-"
    out: list[Probe] = []
    # Return applications
    for caller, load in (("hq", 2), ("province", 1), ("branch_engineer", 1), ("dealer", 2)):
        out.append(Probe("returns", caller, r["return_list"], row_marker=RMA, load=load))
    out += [
        Probe("returns", "dealer_empty", r["return_list"], rows=False, row_marker=RMA, load=1),
        Probe("returns", "hq", r["return_list"], variant="deep", deep=True, deep_page=4_000,
              row_marker=RMA, load=1),
        Probe("returns", "dealer", r["return_list"], variant="deep", deep=True, row_marker=RMA),
        Probe("returns", "hq", f"{r['return_list']}?state=closed", variant="state=closed",
              row_marker=RMA),
        Probe("returns", "hq", f"{r['return_list']}?state=in_approval",
              variant="state=in_approval", row_marker=RMA),
        Probe("returns", "hq", f"{r['return_list']}?q={f['application_number']}",
              variant="q=<number>", row_marker=RMA),
        Probe("returns", "hq", f"{r['return_list']}?q={f['serial']}", variant="q=<serial>",
              row_marker=RMA),
        Probe("returns", "dealer_empty", f"{r['return_list']}?state=closed",
              variant="state=closed", rows=False, row_marker=RMA),
    ]  # fmt: skip
    # The signature queue of each signer kind
    for caller in ("hq", "province", "branch_manager", "local_engineer"):
        out.append(Probe("signatures", caller, r["signature_queue"], rows=None,
                         load=1 if caller == "hq" else 0))  # fmt: skip
    out.append(Probe("signatures", "hq", r["signature_queue"], variant="deep", deep=True,
                     rows=None))  # fmt: skip
    out += [
        Probe("logistics board", "clerk", r["logistics_board"], rows=None, load=1),
        Probe("arrivals", "hq", r["arrival_list"], row_marker="UA-"),
        Probe("arrivals", "hq", r["arrival_list"], variant="deep", deep=True, row_marker="UA-"),
        Probe("arrivals", "dealer", r["arrival_list"], rows=None),
        Probe("penalties", "hq", r["penalty_list"], rows=None),
        Probe("penalties", "hq", f"{r['penalty_list']}?state=proposed", variant="state=proposed",
              rows=None),
        Probe("penalties", "hq", r["penalty_list"], variant="deep", deep=True, rows=None),
        Probe("happy fund", "hq", r["happy_fund"], rows=None),
        Probe("returned stock", "hq", r["returned_stock_list"], rows=None),
        Probe("returned stock", "hq", r["returned_stock_list"], variant="deep", deep=True,
              rows=None),
        Probe("task orders", "clerk", r["task_order_list"], row_marker="PT-"),
        Probe("ranking", "hq", r["ranking"], rows=None),
    ]  # fmt: skip
    # Repair orders
    for caller, load in (("hq", 2), ("province", 1), ("branch_engineer", 1), ("dealer", 1),
                         ("technician", 1)):  # fmt: skip
        out.append(Probe("orders", caller, r["order_list"], row_marker=RO, load=load))
    out += [
        Probe("orders", "dealer_empty", r["order_list"], rows=False, row_marker=RO),
        Probe("orders", "hq", r["order_list"], variant="deep", deep=True, deep_page=20_000,
              row_marker=RO, load=1),
        Probe("orders", "dealer", r["order_list"], variant="deep", deep=True, row_marker=RO),
        Probe("orders", "hq", f"{r['order_list']}?state=closed", variant="state=closed",
              row_marker=RO),
        Probe("orders", "hq", f"{r['order_list']}?state=waiting_parts",
              variant="state=waiting_parts", row_marker=RO),
        Probe("orders", "hq", f"{r['order_list']}?serial={f['serial']}", variant="serial=",
              row_marker=RO),
        Probe("orders", "hq", f"{r['order_list']}?application_number={f['application_number']}",
              variant="application_number=", row_marker=RO),
        Probe("orders", "hq", f"{r['order_list']}?q={f['serial'][-6:]}", variant="q=<serial part>",
              row_marker=RO),
        Probe("orders", "dealer_empty", f"{r['order_list']}?state=closed", variant="state=closed",
              rows=False, row_marker=RO),
        Probe("technician queue", "technician", r["technician_queue"], row_marker=RO, load=1),
        Probe("technician queue", "supervisor", r["technician_queue"], rows=None),
        Probe("technician queue", "supervisor", f"{r['technician_queue']}?all=1", variant="all=1",
              row_marker=RO),
        Probe("repair board", "clerk", r["order_board"], row_marker=RO, load=1),
        Probe("repair board", "supervisor", r["order_board"], row_marker=RO),
        Probe("loaners", "supervisor", r["loaner_list"], rows=None),
        Probe("review meetings", "supervisor", r["review_list"], rows=None),
        Probe("review meetings", "supervisor", r["review_list"], variant="deep", deep=True,
              rows=None),
        Probe("statements", "hq", r["statement_list"], rows=None),
        Probe("statements", "hq", r["statement_list"], variant="deep", deep=True, rows=None),
        Probe("statements", "branch_manager", r["statement_list"], rows=None),
    ]  # fmt: skip
    out += _settlement_probes(ctx)
    out += _collection_probes(ctx)
    # issue 21: the reports' monthly roll-ups, as the nightly job leaves them (today's slice is
    # then read live), like the SLA dashboard's summaries
    from .services.rollups import refresh_report_rollups

    state = refresh_report_rollups()
    ctx.out(f"  report roll-ups: {state.rows:,} rows in {state.seconds:.1f} s")
    # issue 21: the repairs reports over their default period (the last three months), for
    # headquarters (every unit shipped) and a branch manager (their branch's)
    for kind in ("turnaround", "qc", "warranty", "faults"):
        url = f"{reverse('repairs:report')}?report={kind}"
        for caller in ("hq", "branch_manager"):
            out.append(Probe(f"report {kind}", caller, url, rows=None, limit_ms=500.0,
                             load=1 if caller == "hq" else 0))  # fmt: skip
    # the supervisors' reports: field visits, penalties and the fund, technicians' evaluation
    for kind in ("field", "penalties", "technicians"):
        url = f"{reverse('repairs:supervision_report')}?report={kind}"
        for caller in ("hq", "branch_manager"):
            out.append(Probe(f"report {kind}", caller, url, rows=None, limit_ms=500.0,
                             load=1 if caller == "hq" else 0))  # fmt: skip
    # Partner API (token) and the same lists for staff (session)
    raw = _raw_partner_orders(f["dealer_id"], KeysetPagination.page_size)
    out += [
        Probe("api repair-orders", "dealer", api["orders"], api=True, raw=raw, load=3),
        Probe("api repair-orders", "dealer", api["orders"], api=True, variant="deep", deep=True,
              load=1),
        Probe("api repair-orders", "dealer", f"{api['orders']}?state=closed", api=True,
              variant="state=closed", load=1),
        Probe("api repair-orders", "dealer", f"{api['orders']}?serial={f['serial']}", api=True,
              variant="serial="),
        Probe("api repair-orders", "dealer",
              f"{api['orders']}?application_number={f['application_number']}", api=True,
              variant="application_number="),
        Probe("api repair-orders", "dealer", f"{api['orders']}?overdue=true", api=True,
              variant="overdue=true", rows=None),
        Probe("api repair-orders", "dealer_empty", api["orders"], api=True, rows=False, load=1),
        Probe("api repair-orders", "dealer_empty", f"{api['orders']}?state=closed", api=True,
              variant="state=closed", rows=False, load=1),
        Probe("api repair-orders", "hq", api["orders"], api=True),
        Probe("api repair-orders", "hq", api["orders"], api=True, variant="deep", deep=True),
        Probe("api return-applications", "dealer", api["apps"], api=True, load=2),
        Probe("api return-applications", "dealer", api["apps"], api=True, variant="deep",
              deep=True),
        Probe("api return-applications", "dealer", f"{api['apps']}?state=closed", api=True,
              variant="state=closed"),
        Probe("api return-applications", "dealer",
              f"{api['apps']}?number={f['application_number']}", api=True, variant="number="),
        Probe("api return-applications", "dealer", f"{api['apps']}?serial={f['serial']}",
              api=True, variant="serial="),
        Probe("api return-applications", "dealer_empty", api["apps"], api=True, rows=False,
              load=1),
        Probe("api return-applications", "dealer_empty", f"{api['apps']}?state=closed", api=True,
              variant="state=closed", rows=False),
        Probe("api return-applications", "hq", api["apps"], api=True),
        Probe("api return-applications", "hq", api["apps"], api=True, variant="deep", deep=True),
        Probe("api approval-steps", "dealer", api["steps"], api=True),
        Probe("api approval-steps", "dealer", api["steps"], api=True, variant="deep", deep=True),
        Probe("api approval-steps", "dealer_empty", api["steps"], api=True, rows=False),
        Probe("api approval-steps", "hq", api["steps"], api=True, rows=None),
        Probe("api approval-steps", "hq", f"{api['steps']}?mine=true", api=True,
              variant="mine=true", rows=None),
    ]  # fmt: skip
    # issue 20 (field-visit): the worker's visits and the points' API list. The generator makes
    # no visits yet: these time the scoped, keyset-paged queries on an empty table.
    visits, api_visits = reverse("repairs:visit_list"), reverse("api-visit-list")
    out += [
        Probe("my visits", "local_engineer", visits, rows=None),
        Probe("my visits", "local_engineer", f"{visits}?tab=finished", variant="tab=finished",
              rows=None),
        Probe("my visits", "hq", f"{visits}?tab=upcoming", variant="tab=upcoming", rows=None),
        Probe("api visits", "dealer", api_visits, api=True, rows=False),
        Probe("api visits", "hq", api_visits, api=True, rows=None),
    ]  # fmt: skip
    return out


NOT_LISTS = frozenset(
    {
        "repairs:return_create",
        "repairs:return_intake",  # a form
        "repairs:return_line_row",
        "repairs:arrival_create",
        "repairs:delay_notice_create",  # a form
        "repairs:returned_stock_create",
        "repairs:returned_stock_route",
        "repairs:ranking_export",
        "repairs:review_build",
        "repairs:statement_build",
        "repairs:settlement_build",  # an action (POST)
        "repairs:fee_rule_new",  # a form
        # collections (issue 22): a form, an export; the desk, the ageing and the partner's
        # own page are aggregates over the open receivables (probed below, rows=None)
        "repairs:payment_new",
        "repairs:receivable_export",
    }
)

# --- the fault drill's partner writes (manage.py fault_drill) -------------------------------------


def _drill_application(n: int) -> dict:
    """A dealer's return application of one unit, its serial unique in the drill."""
    return {
        "contact_name": "王经理",
        "contact_phone": "13873100000",
        "pickup_address": "长沙市岳麓区麓谷大道 1 号",
        "shipping_method": "logistics",
        "freight_terms": "prepaid",
        "urgency": "normal",
        "remarks": f"fault drill {n}",
        "lines": [
            {
                "product_model": "GPS-X1",
                "serial_number": f"DRILL{n:09d}",
                "quantity": 1,
                "purchase_date": "2026-03-18",
                "has_warranty_card": True,
                "has_proof_of_purchase": True,
                "has_seller_stamp": True,
                "fault_description": "不开机，充电指示灯不亮",
            }
        ],
    }


def _drill_created(ctx: Context, since) -> int:
    dealer = ctx.callers["dealer"].user
    return ReturnApplication.objects.filter(applicant=dealer, created_at__gte=since).count()


def _drill_still_drafts(ctx: Context, ids: set[int]) -> int:
    return ReturnApplication.objects.filter(pk__in=ids, state="draft").count()


PARTNER_WRITE = PartnerWrite(
    create_path="/api/v1/return-applications",
    body=_drill_application,
    created=_drill_created,
    then_path="/api/v1/return-applications/{id}/submit",
    then_label="submit",
    unfinished=_drill_still_drafts,
)


# --- field service (issue 20): installed base, service requests, dispatch offers ------------------

SERVICE_REQUESTS_A_YEAR = 200_000  # at the full scale (1,000,000 repair orders)


def field_generate(ctx: Context) -> None:
    """A year of service requests (200,000 at the full scale) over half as many installed units,
    spread over the branches, every third filed by a dealer (the bench dealer's first); nine in
    ten closed, the rest over the open states; one offer per request (the open ones offered, the
    others accepted)."""
    net = ctx.shared["network"]
    n = ctx.scale.get(
        "service_requests", max(1_000, SERVICE_REQUESTS_A_YEAR * ctx.scale["orders"] // 1_000_000)
    )
    n_units = max(500, n // 2)
    dealers = [d["id"] for d in net["dealers"] if not d["empty"]]
    bench_dealer = ctx.facts.get("dealer_id")
    if bench_dealer in dealers:
        dealers.remove(bench_dealer)
        dealers.insert(0, bench_dealer)
    temp_table("bench_field_dealers", (("i", "integer"), ("id", "bigint")), enumerate(dealers))
    temp_table(
        "bench_field_branches",
        (("i", "integer"), ("id", "bigint")),
        enumerate(b["id"] for b in net["branches"]),
    )
    when = "%(now)s - (interval '1 minute' * ((%(n)s - g) * 525600.0 / %(n)s))"
    p = {"n": n_units, "nd": len(dealers), "nb": len(net["branches"]), "now": ctx.now}
    rows = insert_select(
        InstalledUnit,
        {
            "serial_number": "'FU-' || lpad(g::text, 8, '0')",
            "product_model": "'BM-' || (g %% 40)",
            "owner_name": "'用户' || g",
            "owner_phone": "'139' || lpad(g::text, 8, '0')",
            "province": "'湖南省'",
            "city": "'长沙市'",
            "district": "'岳麓区'",
            "address": "'麓谷大道 ' || g || ' 号'",
            "purchase_date": "(%(now)s)::date - (g %% 700)::int",
            "dealer_id": "d.id",
            "seller_name": "''",
            "warranty_card_number": "''",
            "warranty_months": "12",
            "org_unit_id": "b.id",
            "qr_token": "md5('bench-unit-' || g)",
            "created_at": when,
        },
        "generate_series(1, %(n)s) AS g JOIN bench_field_dealers d ON d.i = g %% %(nd)s "
        "JOIN bench_field_branches b ON b.i = g %% %(nb)s",
        p,
        now=ctx.now,
    )
    ctx.count("repairs.InstalledUnit", rows)
    first_unit = InstalledUnit.objects.filter(serial_number="FU-00000001").values_list(
        "pk", flat=True
    )[0]
    states = "(ARRAY['new','dispatched','accepted','on_site','escalated','solved'])"
    rows = insert_select(
        ServiceRequest,
        {
            "number": "'BX-B-' || lpad(g::text, 8, '0')",
            "state": f"CASE WHEN g %% 10 <> 0 THEN 'closed' ELSE {states}[1 + (g / 10) %% 6] END",
            "category": "(ARRAY['repair','repair','install','maintenance','inspection'])"
            "[1 + g %% 5]",
            "channel": "CASE WHEN g %% 3 = 0 THEN 'dealer' ELSE "
            "(ARRAY['call','qr','staff'])[1 + g %% 3] END",
            "unit_id": "%(u0)s + 1 + (g %% %(nu)s)",
            "serial_number": "'FU-' || lpad((1 + g %% %(nu)s)::text, 8, '0')",
            "product_model": "'BM-' || ((1 + g %% %(nu)s) %% 40)",
            "contact_name": "'联系人' || g",
            "contact_phone": "'138' || lpad(g::text, 8, '0')",
            "province": "'湖南省'",
            "city": "'长沙市'",
            "district": "'岳麓区'",
            "address": "'麓谷大道 ' || g || ' 号'",
            "preferred_time": "''",
            "description": "'bench'",
            "in_warranty": "g %% 4 <> 0",
            "org_unit_id": "b.id",
            "dealer_id": "CASE WHEN g %% 3 = 0 THEN d.id END",
            "escalation_reason": "''",
            "escalation_count": "0",
            "fault_confirmed": "''",
            "callback_verdict": "'pending'",
            "created_at": when,
        },
        "generate_series(1, %(n)s) AS g JOIN bench_field_dealers d ON d.i = (g / 3) %% %(nd)s "
        "JOIN bench_field_branches b ON b.i = g %% %(nb)s",
        {**p, "n": n, "nu": n_units, "u0": first_unit - 1},
        now=ctx.now,
    )
    ctx.count("repairs.ServiceRequest", rows)
    rows = insert_select(
        Dispatch,
        {
            "request_id": "r.id",
            "state": "CASE WHEN r.state IN ('new','dispatched') THEN 'offered' ELSE 'accepted' END",
            "to_unit_id": "r.org_unit_id",
            "rule": "'bench'",
            "manual": "false",
            "offered_at": "r.created_at",
            "respond_by": "r.created_at + interval '2 hours'",
            "decline_reason": "''",
        },
        "repairs_servicerequest r WHERE r.number LIKE 'BX-B-%%' AND r.state <> 'new'",
        now=ctx.now,
    )
    ctx.count("repairs.Dispatch", rows)
    ctx.facts["field_serial"] = "FU-00000007"


def field_probes(ctx: Context) -> list[Probe]:
    requests = reverse("repairs:service_request_list")
    units = reverse("repairs:installed_unit_list")
    offers = reverse("repairs:offer_list")
    serial = ctx.facts.get("field_serial", "FU-00000007")
    found = [
        Probe("service requests", "hq", requests, row_marker="BX-B-", load=1),
        Probe("service requests", "hq", requests, variant="deep", deep=True, row_marker="BX-B-"),
        Probe("service requests", "hq", f"{requests}?state=new", variant="new",
              row_marker="BX-B-"),
        Probe("service requests", "hq", f"{requests}?category=install&state=closed",
              variant="install, closed", row_marker="BX-B-"),
        Probe("service requests", "hq", f"{requests}?serial={serial}", variant="serial",
              row_marker="BX-B-"),
        Probe("installed units", "hq", units, row_marker="FU-", load=1),
        Probe("installed units", "hq", units, variant="deep", deep=True, row_marker="FU-"),
        Probe("installed units", "hq", f"{units}?warranty=in&model=BM-7", variant="in warranty",
              row_marker="FU-"),
        Probe("installed units", "hq", f"{units}?serial=FU-0000001", variant="serial",
              row_marker="FU-"),
        Probe("service offers", "hq", offers, row_marker="BX-B-"),
        Probe("service offers", "hq", f"{offers}?state=all", variant="all", deep=True,
              row_marker="BX-B-"),
    ]  # fmt: skip
    if "dealer" in ctx.callers:
        found += [
            Probe("service requests", "dealer", requests, variant="dealer", row_marker="BX-B-"),
            Probe("installed units", "dealer", units, variant="dealer", row_marker="FU-"),
            Probe("api service-requests", "dealer", "/api/v1/service-requests/", api=True,
                  load=1),
            Probe("api service-requests", "dealer", "/api/v1/service-requests/", api=True,
                  variant="deep", deep=True),
            Probe("api installed-units", "dealer", "/api/v1/installed-units/", api=True),
            Probe("api service-offers", "hq", "/api/v1/service-offers/", api=True),
            Probe("api service-requests", "dealer_empty", "/api/v1/service-requests/", api=True,
                  rows=False),
        ]  # fmt: skip
    return found


FIELD_NOT_LISTS = frozenset(
    {"repairs:installed_unit_new", "repairs:service_request_new"}  # forms
)


def _all_probes(ctx: Context) -> list[Probe]:
    return probes(ctx) + field_probes(ctx) + oem_probes(ctx) + _money_probes(ctx)


# --- field settlement (网点结算, issue 20 item 7) ---

SETTLEMENT_MONTHS, SETTLEMENT_LINES = 12, 8  # per service point: a year, 8 paid visits a month


def _settlement(ctx: Context, p: dict) -> None:
    """Every service point's statements of the last twelve months (the newest issued, the one
    before approved, the rest exported), each with its paid visits: a solved service request
    and its visit per line, priced by one fee rule. Requests are numbered "BX-B-<statement>-<n>"
    so the visits and lines find their statement without a lookup table."""
    from network.choices import OrgKind
    from network.models import OrgUnit

    from .models import FeeRule, ServiceRequest, SettlementLine, SettlementStatement, Visit

    points = list(
        OrgUnit.objects.filter(kind=OrgKind.SERVICE_POINT)
        .order_by("pk")
        .values_list("pk", "parent_id")
    )
    if not points:
        raise BenchError("the field settlement's bench data needs service points")
    temp_table(
        "bench_point",
        [("id", "bigint"), ("branch", "bigint"), ("idx", "int")],
        [(pk, parent, i) for i, (pk, parent) in enumerate(points)],
    )
    rule = FeeRule.objects.create(
        category="repair", amount=100, effective_from=ctx.now.date().replace(year=2000)
    )
    ctx.count("repairs.FeeRule", 1)
    q = {**p, "months": SETTLEMENT_MONTHS, "lines": SETTLEMENT_LINES, "rule": rule.pk}
    month = "date_trunc('month', %(now)s - m * interval '1 month')::date"
    rows = insert_select(
        SettlementStatement,
        {
            "number": f"'JS-' || to_char({month}, 'YYYYMM') || '-' || lpad(b.idx::text, 5, '0')",
            "point_id": "b.id",
            "month": month,
            "state": "CASE m WHEN 1 THEN 'issued' WHEN 2 THEN 'approved' ELSE 'exported' END",
            "visits_total": "%(lines)s * 100",
            "total": "%(lines)s * 100",
            "generated_at": f"{month} + interval '1 month 6 hours'",
            "issued_at": f"{month} + interval '1 month 1 day'",
        },
        "bench_point b CROSS JOIN generate_series(1, %(months)s) AS m",
        q,
    )
    ctx.count("repairs.SettlementStatement", rows)
    statements = SettlementStatement._meta.db_table
    rows = insert_select(
        ServiceRequest,
        {
            "number": "'BX-B-' || s.id || '-' || x",
            "state": "'closed'",
            "category": "'repair'",
            "channel": "'call'",
            "product_model": "'GPS-X1'",
            "contact_name": "'客户'",
            "contact_phone": "'13800000000'",
            "address": "'地址'",
            "in_warranty": "x %% 3 <> 0",
            "org_unit_id": "b.branch",
            "assigned_unit_id": "s.point_id",
            "callback_verdict": "'satisfied'",
            "created_at": "s.month + x * interval '3 days'",
        },
        f"{statements} s JOIN bench_point b ON b.id = s.point_id "
        "CROSS JOIN generate_series(1, %(lines)s) AS x",
        q,
    )
    ctx.count("repairs.ServiceRequest", rows)
    requests = ServiceRequest._meta.db_table
    rows = insert_select(
        Visit,
        {
            "request_id": "r.id",
            "sequence": "1",
            "state": "'solved'",
            "service_unit_id": "r.assigned_unit_id",
            "checked_in_at": "r.created_at + interval '10 hours'",
            "distance_km": "12.5",
            "signed_by": "'客户'",
            "signed_at": "r.created_at + interval '12 hours'",
            "finished_at": "r.created_at + interval '12 hours'",
            "created_at": "r.created_at",
        },
        f"{requests} r WHERE r.number LIKE 'BX-B-%%'",
        q,
    )
    ctx.count("repairs.Visit", rows)
    rows = insert_select(
        SettlementLine,
        {
            "statement_id": "split_part(r.number, '-', 3)::bigint",
            "kind": "'visit'",
            "state": "CASE WHEN s.state = 'issued' THEN 'pending' ELSE 'confirmed' END",
            "visit_id": "v.id",
            "rule_id": "%(rule)s",
            "fee_date": "(v.finished_at AT TIME ZONE 'Asia/Shanghai')::date",
            "description": "r.number",
            "category": "'repair'",
            "distance_km": "v.distance_km",
            "product_model": "r.product_model",
            "in_warranty": "r.in_warranty",
            "amount": "100",
            "created_at": "s.generated_at",
        },
        f"{Visit._meta.db_table} v JOIN {requests} r ON r.id = v.request_id "
        f"JOIN {statements} s ON s.id = split_part(r.number, '-', 3)::bigint "
        "WHERE r.number LIKE 'BX-B-%%'",
        q,
    )
    ctx.count("repairs.SettlementLine", rows)
    ctx.facts["settlement_point"] = points[0][0]


def _settlement_probes(ctx: Context) -> list[Probe]:
    lst = reverse("repairs:settlement_list")
    rules = reverse("repairs:fee_rule_list")
    api_statements = reverse("api-settlement-statement-list")
    api_lines = reverse("api-settlement-line-list")
    point = ctx.facts["settlement_point"]
    out = [
        Probe("settlement", "hq", lst, row_marker="JS-", load=1),
        Probe("settlement", "hq", lst, variant="deep", deep=True, row_marker="JS-"),
        Probe("settlement", "hq", f"{lst}?state=issued", variant="state=issued",
              row_marker="JS-"),
        Probe("settlement", "hq", f"{lst}?point={point}", variant="point=", row_marker="JS-"),
        Probe("fee rules", "hq", rules, rows=None),
        Probe("api settlement statements", "hq", api_statements, api=True),
        Probe("api settlement lines", "hq", api_lines, api=True),
        Probe("api settlement lines", "hq", api_lines, api=True, variant="deep", deep=True),
    ]  # fmt: skip
    if "service_point" in ctx.callers:
        out += [
            Probe("settlement", "service_point", lst, rows=None),
            Probe("api settlement statements", "service_point", api_statements, api=True,
                  rows=None),
            Probe("api settlement lines", "service_point", api_lines, api=True, rows=None),
        ]  # fmt: skip
    return out


# --- collections (收款, issue 22 item 3) ---


def _collections(ctx: Context, p: dict) -> None:
    """The receivable of every confirmed month-end statement (confirmed at its confirmation
    time, due 30 days later; the older half paid, the rest open), and for the paid ones one
    bank payment with its allocation. Parts-sale receivables need the dealers' quotes, which
    spare parts' generator makes later: the statements' volume stands for both."""
    from .models import MonthlyStatement, Payment, PaymentAllocation, Receivable

    statements = MonthlyStatement._meta.db_table
    local = "(s.confirmed_at AT TIME ZONE 'Asia/Shanghai')::date"
    rows = insert_select(
        Receivable,
        {
            "number": "'AR-B-' || lpad(s.id::text, 8, '0')",
            "partner_id": "s.branch_id",
            "branch_id": "s.branch_id",
            "source": "'statement'",
            "statement_id": "s.id",
            "description": "'月结对账单 ' || to_char(s.month, 'YYYY-MM')",
            "amount": "s.total",
            "paid_amount": "CASE WHEN s.month < %(now)s - interval '6 months' THEN s.total "
            "ELSE 0 END",
            "issued_on": local,
            "due_on": f"{local} + 30",
            "state": "CASE WHEN s.month < %(now)s - interval '6 months' THEN 'paid' "
            "ELSE 'open' END",
            "created_at": "s.confirmed_at",
        },
        f"{statements} s WHERE s.state <> 'draft' AND s.confirmed_at IS NOT NULL",
        p,
    )
    ctx.count("repairs.Receivable", rows)
    receivables = Receivable._meta.db_table
    rows = insert_select(
        Payment,
        {
            "number": "'RC-B-' || substr(r.number, 6)",
            "partner_id": "r.partner_id",
            "branch_id": "r.branch_id",
            "method": "'bank'",
            "amount": "r.amount",
            "received_on": "r.due_on - 3",
            "reference": "'BANK-B-' || r.id",
            "state": "'recorded'",
            "recorded_by_id": "%(head)s",
            "recorded_at": "r.created_at + interval '27 days'",
        },
        f"{receivables} r WHERE r.state = 'paid' AND r.number LIKE 'AR-B-%%'",
        p,
    )
    ctx.count("repairs.Payment", rows)
    rows = insert_select(
        PaymentAllocation,
        {"payment_id": "y.id", "receivable_id": "r.id", "amount": "r.amount"},
        f"{Payment._meta.db_table} y JOIN {receivables} r "
        "ON r.number = 'AR-B-' || substr(y.number, 6)",
        p,
    )
    ctx.count("repairs.PaymentAllocation", rows)
    reset_sequences(Receivable, Payment, PaymentAllocation)
    first = Receivable.objects.order_by("pk").values_list("branch_id", flat=True).first()
    ctx.facts["collection_branch"] = first


def _collection_probes(ctx: Context) -> list[Probe]:
    lst = reverse("repairs:receivable_list")
    api = reverse("api-receivable-list")
    api_payments = reverse("api-payment-list")
    branch = ctx.facts.get("collection_branch")
    out = [
        Probe("receivables", "hq", lst, row_marker="AR-", load=1),
        Probe("receivables", "hq", lst, variant="deep", deep=True, row_marker="AR-"),
        Probe("receivables", "hq", f"{lst}?overdue=on", variant="overdue", rows=None),
        Probe("receivables", "hq", f"{lst}?branch={branch}", variant="branch=", rows=None),
        Probe("collection desk", "hq", reverse("repairs:collection_desk"), rows=None),
        Probe("ageing", "hq", reverse("repairs:collection_ageing"), rows=None),
        Probe("api receivables", "hq", api, api=True),
        Probe("api receivables", "hq", api, api=True, variant="deep", deep=True),
        Probe("api payments", "hq", api_payments, api=True, rows=None),
        Probe("api receivables balance", "hq", reverse("api-receivable-balance"), api=True,
              rows=None),
    ]  # fmt: skip
    for caller in ("branch_manager", "dealer"):
        if caller in ctx.callers:
            out += [
                Probe("my account", caller, reverse("repairs:my_account"), rows=None),
                Probe("receivables", caller, lst, rows=None),
                Probe("api receivables", caller, api, api=True, rows=None),
            ]
    return out


# --- advances (借支) and expense claims (报销), issue 22 ---

MONEY_PER_ENGINEER = 40  # advances per field engineer over the year (and as many claims)


def _money(ctx: Context) -> None:
    """A year of advances and claims of every branch and local engineer: most paid and settled,
    a tail outstanding across the ageing buckets, some waiting for their branch manager (with a
    pending step) or for finance. Plain bulk inserts (the services are timed by the tests)."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from network.bench import PASSWORD
    from network.choices import OrgKind, Role
    from network.models import OrgUnit, StaffProfile
    from service_ops.bench import Caller

    from .models import Advance, ExpenseClaim, ExpenseLine, MoneyStep

    engineers = list(
        RoleAssignment.objects.filter(role__in=[Role.BRANCH_ENGINEER, Role.LOCAL_ENGINEER])
        .select_related("org_unit")
        .order_by("user_id")
    )
    if not engineers:
        raise BenchError("the advances' bench data needs field engineers")
    hq = OrgUnit.objects.filter(kind=OrgKind.HEADQUARTERS).first()
    user = get_user_model().objects.create(
        username="bench-finance", password=make_password(PASSWORD), first_name="财务"
    )
    StaffProfile.objects.create(user=user, org_unit=hq)
    RoleAssignment.objects.create(user=user, role=Role.FINANCE, org_unit=hq)
    ctx.count("auth.User", 1)
    ctx.callers["finance"] = Caller("finance", "财务 (HQ)", user, password=PASSWORD)
    rng = random.Random(ctx.seed + 22)
    today = ctx.now.date()
    advances, claims = [], []
    n = 0
    for ra in engineers:
        branch_id = ra.org_unit_id if ra.org_unit.kind == OrgKind.BRANCH else None
        for i in range(MONEY_PER_ENGINEER):
            n += 1
            days = rng.randint(0, 360)
            amount = Decimal(rng.choice([800, 1500, 2000, 3000, 6000]))
            state = (
                "settled"
                if i % 10 < 6
                else ("paid", "partially_settled", "submitted", "approved")[i % 4]
            )
            paid = state in ("paid", "partially_settled", "settled")
            settled = amount if state == "settled" else (amount / 2 if "partial" in state else 0)
            advances.append(
                Advance(
                    number=f"JZ-B-{n:07d}",
                    requester_id=ra.user_id,
                    org_unit_id=ra.org_unit_id,
                    branch_id=branch_id,
                    amount=amount,
                    purpose="出差借支",
                    trip_destination="片区上门",
                    state=state,
                    round=1,
                    submitted_at=ctx.now - timedelta(days=days + 3),
                    approved_at=ctx.now - timedelta(days=days + 1)
                    if state != "submitted"
                    else None,
                    paid_on=today - timedelta(days=days) if paid else None,
                    payment_method="bank" if paid else "",
                    settled_amount=settled,
                )
            )
            claims.append(
                ExpenseClaim(
                    number=f"BX-B-{n:07d}",
                    requester_id=ra.user_id,
                    org_unit_id=ra.org_unit_id,
                    branch_id=branch_id,
                    state="paid" if i % 5 else "submitted",
                    round=1,
                    total=Decimal("500"),
                    submitted_at=ctx.now - timedelta(days=days),
                    paid_on=today - timedelta(days=days) if i % 5 else None,
                    net_paid=Decimal("500") if i % 5 else 0,
                )
            )
    Advance.objects.bulk_create(advances, batch_size=2000)
    ExpenseClaim.objects.bulk_create(claims, batch_size=2000)
    ctx.count("repairs.Advance", len(advances))
    ctx.count("repairs.ExpenseClaim", len(claims))
    lines = [
        ExpenseLine(claim_id=c.pk, category="travel", spent_on=today - timedelta(days=1),
                    amount=Decimal("500"))
        for c in ExpenseClaim.objects.filter(number__startswith="BX-B-").only("pk")
    ]  # fmt: skip
    ExpenseLine.objects.bulk_create(lines, batch_size=2000)
    ctx.count("repairs.ExpenseLine", len(lines))
    steps = []
    for kind, model in (("advance", Advance), ("claim", ExpenseClaim)):
        for pk, unit in model.objects.filter(state="submitted").values_list("pk", "org_unit_id"):
            steps.append(
                MoneyStep(
                    **{f"{kind}_id": pk}, round=1, position=1, name="上级审批",
                    role=Role.BRANCH_MANAGER, org_unit_id=unit, condition="always",
                    state="pending",
                )
            )  # fmt: skip
    MoneyStep.objects.bulk_create(steps, batch_size=2000)
    ctx.count("repairs.MoneyStep", len(steps))


def _money_probes(ctx: Context) -> list[Probe]:
    advances = reverse("repairs:advance_list")
    claims = reverse("repairs:claim_list")
    ageing = reverse("repairs:money_ageing")
    out = [
        Probe("advances", "hq", advances, row_marker="JZ-"),
        Probe("advances", "hq", advances, variant="deep", deep=True, row_marker="JZ-"),
        Probe("advances", "hq", f"{advances}?state=paid", variant="state=paid", row_marker="JZ-"),
        Probe("advances", "branch_engineer", advances, rows=None),
        Probe("advances", "branch_manager", advances, rows=None),
        Probe("claims", "hq", claims, row_marker="BX-"),
        Probe("claims", "hq", claims, variant="deep", deep=True, row_marker="BX-"),
        Probe("claims", "branch_engineer", f"{claims}?mine=on", variant="mine", rows=None),
        Probe("advance ageing", "hq", ageing, row_marker="JZ-"),
        Probe("advance ageing", "hq", ageing, variant="deep", deep=True, row_marker="JZ-"),
        Probe("advance ageing", "hq", f"{ageing}?bucket=b90&by=person", variant="b90 by person",
              rows=None),
        Probe("advance ageing", "branch_manager", ageing, rows=None),
        Probe("money approvals", "branch_manager", reverse("repairs:money_approvals"), rows=None),
        Probe("api advances", "hq", reverse("api-advance-list"), api=True),
        Probe("api advances", "hq", reverse("api-advance-list"), api=True, variant="deep",
              deep=True),
        Probe("api expense claims", "hq", reverse("api-expense-claim-list"), api=True),
        Probe("api advances", "dealer", reverse("api-advance-list"), api=True, rows=None),
    ]  # fmt: skip
    if "finance" in ctx.callers:
        out.append(Probe("finance desk", "finance", reverse("repairs:money_desk"), rows=None))
    return out


MONEY_NOT_LISTS = frozenset(
    {
        "repairs:advance_new",  # forms
        "repairs:claim_new",
        "repairs:money_ageing_xlsx",  # downloads (the ageing page is timed)
        "repairs:claims_paid_xlsx",
    }
)

BENCH = BenchPart(
    generate=generate,
    check=check,
    probes=_all_probes,
    not_lists=NOT_LISTS | FIELD_NOT_LISTS | OEM_NOT_LISTS | MONEY_NOT_LISTS,
    partner_write=PARTNER_WRITE,
)
