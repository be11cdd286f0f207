"""The parts' part of the volume benchmark: a catalogue of a few thousand parts (each fitting a
couple of models), about a hundred warehouses (headquarters, one per branch, the dealers'), and a
year of ledger movements (500,000 at the full scale) generated in SQL with running balances, the
balances summed from them. Timed: the catalogue (first, deep, by model), the ledger (first, deep,
one warehouse), the headquarters warehouse's stock page, the partner API's catalogue and
availability, and the faulty parts owed back (旧件返还: 40,000 a year at the full scale, spread
over the dealers, a tenth still owed, some overdue) for headquarters and a dealer; the part
requests (配件申请: 60,000 a year at the full scale, from the branches' and dealers' warehouses,
a tenth still open) and the dealer quotes (20,000 a year) for headquarters and a dealer; the
reorder points (every part at headquarters and in one field office) and the consumption report
(by part, by model, one model; its ended months rolled up as the daily job leaves them)."""

from __future__ import annotations

from django.urls import reverse

from service_ops.bench import BenchPart, Context, Probe
from service_ops.bench.sql import insert_select, temp_table

from .choices import WarehouseKind
from .models import (
    ConsumptionMonth,
    DealerQuote,
    DealerQuoteLine,
    FaultyPartReturn,
    Part,
    PartFit,
    PartRequest,
    PartRequestLine,
    ReorderPoint,
    StockBalance,
    StockMovement,
    Warehouse,
)

PARTS = 3_000
MOVEMENTS_A_YEAR = 500_000
WAREHOUSES = 100
FAULTY_A_YEAR = 40_000
REQUESTS_A_YEAR = 60_000
QUOTES_A_YEAR = 20_000


def generate(ctx: Context) -> None:
    from network.models import StaffProfile

    orders = ctx.scale.get("orders", 1_000_000)
    n_parts = ctx.scale.get("parts", max(200, PARTS * min(orders, 1_000_000) // 1_000_000))
    n_moves = ctx.scale.get("part_movements", max(5_000, MOVEMENTS_A_YEAR * orders // 1_000_000))
    network = ctx.shared["network"]
    hq = network["hq"]

    rows = insert_select(
        Part,
        {
            "number": "'BP-' || lpad(g::text, 6, '0')",
            "name_zh": "'配件' || g",
            "name_en": "'Part ' || g",
            "unit": "'个'",
            "list_price": "(g %% 500) + 9.90",
            "cost": "(g %% 500) * 0.6 + 5",
            "reorder_level": "g %% 7",
            "is_active": "g %% 50 <> 0",
        },
        "generate_series(1, %(n)s) AS g",
        {"n": n_parts},
        now=ctx.now,
    )
    ctx.count("spareparts.Part", rows)
    part_ids = list(
        Part.objects.filter(number__startswith="BP-").order_by("pk").values_list("pk", flat=True)
    )
    fits = insert_select(
        PartFit,
        {"part_id": "p.id", "product_model": "'BM-' || ((p.id + k) %% 40)"},
        "spareparts_part p CROSS JOIN generate_series(0, 1) AS k WHERE p.number LIKE 'BP-%%'",
        now=ctx.now,
    )
    ctx.count("spareparts.PartFit", fits)

    # headquarters, one per branch (its field office's stock), then the dealers, ~100 in all
    dealer_caller = ctx.callers.get("dealer")
    dealer_unit = None
    if dealer_caller is not None:
        profile = StaffProfile.objects.filter(user=dealer_caller.user).first()
        dealer_unit = profile.org_unit_id if profile else None
    houses = [
        Warehouse(code="BW-HQ", name="总部配件仓（bench）", kind=WarehouseKind.HQ, org_unit_id=hq)
    ]
    for b in network["branches"][: WAREHOUSES // 2]:
        houses.append(
            Warehouse(
                code=f"BW-B{b['id']}",
                name=f"办事处仓 {b['id']}",
                kind=WarehouseKind.FIELD_OFFICE,
                org_unit_id=b["id"],
            )
        )
    dealers = [d["id"] for d in network["dealers"] if not d["empty"]]
    if dealer_unit in dealers:
        dealers.remove(dealer_unit)
        dealers.insert(0, dealer_unit)
    for d in dealers[: WAREHOUSES - len(houses)]:
        houses.append(
            Warehouse(
                code=f"BW-D{d}", name=f"网点仓 {d}", kind=WarehouseKind.SERVICE_POINT, org_unit_id=d
            )
        )
    Warehouse.objects.bulk_create(houses)
    ctx.count("spareparts.Warehouse", len(houses))
    house_ids = list(
        Warehouse.objects.filter(code__startswith="BW-").order_by("pk").values_list("pk", flat=True)
    )
    temp_table("bench_parts", (("i", "integer"), ("id", "integer")), enumerate(part_ids))
    temp_table("bench_houses", (("i", "integer"), ("id", "integer")), enumerate(house_ids))
    clerk = network["people"]["warehouse"]

    # Half the movements at headquarters, the rest spread; per (part, warehouse) the pattern
    # receive 5, issue 1, issue 1, transfer out 1 repeats, so every running balance stays ≥ 0.
    kinds = "ARRAY['receive','issue','issue','transfer_out']"
    changes = "ARRAY[5,-1,-1,-1]"
    source = f"""(
        SELECT s.*, SUM(({changes})[1 + (s.rn - 1) %% 4])
               OVER (PARTITION BY s.pi, s.wi ORDER BY s.g) AS after
        FROM (
            SELECT g, pi, wi, ROW_NUMBER() OVER (PARTITION BY pi, wi ORDER BY g) AS rn
            FROM (
                SELECT g, (g * 7919) %% %(np)s AS pi,
                       CASE WHEN g %% 2 = 0 THEN 0 ELSE (g * 104729) %% %(nw)s END AS wi
                FROM generate_series(1, %(n)s::bigint) AS g
            ) raw
        ) s
    ) m JOIN bench_parts p ON p.i = m.pi JOIN bench_houses h ON h.i = m.wi"""  # noqa: S608
    rows = insert_select(
        StockMovement,
        {
            "part_id": "p.id",
            "warehouse_id": "h.id",
            "kind": f"({kinds})[1 + (m.rn - 1) %% 4]",
            "on_hand_change": f"({changes})[1 + (m.rn - 1) %% 4]",
            "reserved_change": "0",
            "on_hand_after": "m.after",
            "reserved_after": "0",
            "actor_id": "%(clerk)s",
            "reason": "'bench'",
            "created_at": "%(now)s - (interval '1 minute' * ((%(n)s - m.g) * 525600.0 / %(n)s))",
        },
        source,
        {"n": n_moves, "np": len(part_ids), "nw": len(house_ids), "clerk": clerk, "now": ctx.now},
        now=ctx.now,
    )
    ctx.count("spareparts.StockMovement", rows)
    rows = insert_select(
        StockBalance,
        {
            "part_id": "t.part_id",
            "warehouse_id": "t.warehouse_id",
            "on_hand": "t.s",
            "reserved": "0",
        },
        "(SELECT part_id, warehouse_id, SUM(on_hand_change) AS s FROM spareparts_stockmovement "
        "WHERE reason = 'bench' GROUP BY part_id, warehouse_id) t",
        now=ctx.now,
    )
    ctx.count("spareparts.StockBalance", rows)
    ctx.facts["parts_hq_warehouse"] = house_ids[0]
    # the consumption report's monthly roll-up, as the daily job leaves it: every ended month
    from .services.planning import planning_rollup_consumption

    planning_rollup_consumption(now=ctx.now)
    ctx.count("spareparts.ConsumptionMonth", ConsumptionMonth.objects.count())
    # reorder points: every part at headquarters, and each in one field office's warehouse
    rows = insert_select(
        ReorderPoint,
        {
            "part_id": "p.id",
            "warehouse_id": "h.id",
            "minimum": "1 + (p.i * 13 + k) %% 40",
            "reorder_quantity": "5 + p.i %% 20",
        },
        "bench_parts p CROSS JOIN generate_series(0, 1) AS k "
        "JOIN bench_houses h ON h.i = CASE WHEN k = 0 THEN 0 ELSE 1 + p.i %% %(nb)s END",
        {"nb": max(1, min(len(house_ids) - 1, WAREHOUSES // 2))},
        now=ctx.now,
    )
    ctx.count("spareparts.ReorderPoint", rows)
    _faulty_returns(ctx, part_ids, dealers, orders)
    _requests_and_quotes(ctx, house_ids, dealers, orders, clerk)


def _faulty_returns(ctx: Context, part_ids: list[int], dealers: list[int], orders: int) -> None:
    """A year of faulty parts owed back, the bench dealer's among them: nine in ten received,
    the rest owed (the older of them overdue)."""
    n = ctx.scale.get("faulty_returns", max(2_000, FAULTY_A_YEAR * orders // 1_000_000))
    units = dealers[:50] or [ctx.shared["network"]["hq"]]
    temp_table("bench_faulty_units", (("i", "integer"), ("id", "integer")), enumerate(units))
    rows = insert_select(
        FaultyPartReturn,
        {
            "part_id": "p.id",
            "faulty_serial": "'BF-' || lpad(g::text, 8, '0')",
            "new_serial": "'BN-' || lpad(g::text, 8, '0')",
            "unit_cost": "(g %% 300) + 5",
            "owed_by_unit_id": "u.id",
            "due_on": (
                "(%(now)s - (interval '1 minute' * ((%(n)s - g) * 525600.0 / %(n)s)))::date + 21"
            ),
            "state": "CASE WHEN g %% 10 = 0 THEN 'owed' ELSE 'received' END",
            "source_label": "'RO-BENCH-' || g",
            "write_off_reason": "''",
            "created_at": "%(now)s - (interval '1 minute' * ((%(n)s - g) * 525600.0 / %(n)s))",
        },
        "generate_series(1, %(n)s::bigint) AS g "
        "JOIN bench_parts p ON p.i = (g * 7919) %% %(np)s "
        "JOIN bench_faulty_units u ON u.i = g %% %(nu)s",
        {"n": n, "np": len(part_ids), "nu": len(units), "now": ctx.now},
        now=ctx.now,
    )
    ctx.count("spareparts.FaultyPartReturn", rows)


def _requests_and_quotes(ctx, house_ids, dealers, orders, clerk) -> None:
    """A year of part requests from every warehouse but headquarters' (nine in ten received, the
    rest spread over the open states), a line or two each; a year of dealer quotes over the
    dealers (the bench dealer's first), one line each."""
    n = ctx.scale.get("part_requests", max(1_000, REQUESTS_A_YEAR * orders // 1_000_000))
    hq_house = house_ids[0]
    temp_table("bench_req_houses", (("i", "integer"), ("id", "integer")), enumerate(house_ids[1:]))
    when = "%(now)s - (interval '1 minute' * ((%(n)s - g) * 525600.0 / %(n)s))"
    rows = insert_select(
        PartRequest,
        {
            "number": "'SQ-B-' || lpad(g::text, 8, '0')",
            "warehouse_id": "h.id",
            "source_warehouse_id": "%(hq)s",
            "state": "CASE WHEN g %% 10 <> 0 THEN 'received' ELSE "
            "(ARRAY['requested','approved','picked','shipped'])[1 + (g / 10) %% 4] END",
            "note": "''",
            "requested_by_id": "%(clerk)s",
            "created_at": when,
            "reject_reason": "''",
            "transfer_id": "gen_random_uuid()",
        },
        "generate_series(1, %(n)s) AS g JOIN bench_req_houses h ON h.i = g %% %(nh)s",
        {"n": n, "nh": len(house_ids) - 1, "hq": hq_house, "clerk": clerk, "now": ctx.now},
        now=ctx.now,
    )
    ctx.count("spareparts.PartRequest", rows)
    rows = insert_select(
        PartRequestLine,
        {"request_id": "r.id", "part_id": "p.id", "quantity": "1 + k", "approved_quantity": "1"},
        "spareparts_partrequest r CROSS JOIN generate_series(0, 1) AS k "
        "JOIN bench_parts p ON p.i = (r.id * 31 + k * 7) %% %(np)s "
        "WHERE r.number LIKE 'SQ-B-%%'",
        {"np": _count_parts()},
        now=ctx.now,
    )
    ctx.count("spareparts.PartRequestLine", rows)

    nq = ctx.scale.get("dealer_quotes", max(500, QUOTES_A_YEAR * orders // 1_000_000))
    units = dealers[:50] or []
    if not units:
        return
    temp_table("bench_quote_units", (("i", "integer"), ("id", "integer")), enumerate(units))
    rows = insert_select(
        DealerQuote,
        {
            "number": "'BJ-B-' || lpad(g::text, 8, '0')",
            "dealer_id": "u.id",
            "warehouse_id": "%(hq)s",
            "state": "(ARRAY['shipped','shipped','shipped','quoted','accepted','paid','expired'])"
            "[1 + g %% 7]",
            "note": "''",
            "total": "(g %% 900) + 10",
            "asked_by_id": "%(clerk)s",
            "created_at": when,
            "settlement_reference": "''",
            "closed_reason": "''",
        },
        "generate_series(1, %(n)s) AS g JOIN bench_quote_units u ON u.i = g %% %(nu)s",
        {"n": nq, "nu": len(units), "hq": hq_house, "clerk": clerk, "now": ctx.now},
        now=ctx.now,
    )
    ctx.count("spareparts.DealerQuote", rows)
    rows = insert_select(
        DealerQuoteLine,
        {
            "quote_id": "q.id",
            "part_id": "p.id",
            "quantity": "1",
            "list_price": "q.total",
            "unit_price": "q.total",
            "amount": "q.total",
        },
        "spareparts_dealerquote q JOIN bench_parts p ON p.i = q.id %% %(np)s "
        "WHERE q.number LIKE 'BJ-B-%%'",
        {"np": _count_parts()},
        now=ctx.now,
    )
    ctx.count("spareparts.DealerQuoteLine", rows)


def _count_parts() -> int:
    return Part.objects.filter(number__startswith="BP-").count()


def check(ctx: Context) -> list[str]:
    problems = []
    if not StockMovement.objects.filter(warehouse_id=ctx.facts.get("parts_hq_warehouse")).exists():
        problems.append("spareparts: the headquarters warehouse has no movement")
    if (
        "dealer" in ctx.callers
        and not StockBalance.objects.visible_to(ctx.callers["dealer"].user).exists()
    ):
        problems.append("spareparts: the bench dealer has no stock to see")
    return problems


def probes(ctx: Context) -> list[Probe]:
    catalogue = reverse("spareparts:part_list")
    ledger = reverse("spareparts:movement_list")
    faulty = reverse("spareparts:faulty_list")
    hq_house = ctx.facts.get("parts_hq_warehouse")
    requests = reverse("spareparts:request_list")
    quotes = reverse("spareparts:quote_list")
    reorder = reverse("spareparts:reorder_list")
    consumption = reverse("spareparts:consumption")
    found = [
        Probe("part requests", "hq", requests, row_marker="SQ-B-", load=1),
        Probe("part requests", "hq", requests, variant="deep", deep=True, row_marker="SQ-B-"),
        Probe(
            "part requests",
            "hq",
            f"{requests}?state=requested",
            variant="requested",
            row_marker="SQ-B-",
        ),
        Probe("dealer quotes", "hq", quotes, row_marker="BJ-B-", load=1),
        Probe("dealer quotes", "hq", quotes, variant="deep", deep=True, row_marker="BJ-B-"),
        # the parts supervisor's reorder points: below first (live availability), every
        # point, a deep page, one warehouse
        Probe("reorder points", "hq", reorder, variant="below", row_marker="BP-", rows=None),
        Probe("reorder points", "hq", f"{reorder}?show=all", variant="all", row_marker="BP-"),
        Probe(
            "reorder points",
            "hq",
            f"{reorder}?show=all",
            variant="deep",
            deep=True,
            row_marker="BP-",
        ),
        Probe(
            "reorder points",
            "hq",
            f"{reorder}?show=all&warehouse={hq_house}",
            variant="headquarters",
            row_marker="BP-",
        ),
        # The consumption report: the default period (twelve months to this one), the biggest
        # 50 parts (or product models) with month columns, closed months from the monthly
        # roll-up and the current one live from the consumption index: held to a list's bar.
        Probe("parts consumption", "hq", consumption, variant="by part", row_marker="BP-"),
        Probe(
            "parts consumption",
            "hq",
            consumption,
            variant="by part, more",
            deep=True,
            hops=2,
            row_marker="BP-",
        ),
        Probe(
            "parts consumption", "hq", f"{consumption}?group=model", variant="by model", rows=None
        ),
        Probe(
            "parts consumption",
            "hq",
            f"{consumption}?product_model=BM-7",
            variant="one model",
            row_marker="BP-",
        ),
        Probe("parts catalogue", "hq", catalogue, row_marker="BP-", load=1),
        Probe("parts catalogue", "hq", catalogue, variant="deep", deep=True, row_marker="BP-"),
        Probe(
            "parts catalogue", "hq", f"{catalogue}?model=BM-7", variant="model", row_marker="BP-"
        ),
        Probe(
            "parts catalogue", "hq", f"{catalogue}?q=BP-0012", variant="number", row_marker="BP-"
        ),
        Probe("stock ledger", "hq", ledger, row_marker="BP-", load=1),
        Probe("stock ledger", "hq", ledger, variant="deep", deep=True, row_marker="BP-"),
        Probe(
            "stock ledger",
            "hq",
            f"{ledger}?warehouse={hq_house}&kind=issue",
            variant="warehouse, issue",
            row_marker="BP-",
        ),
        Probe("parts warehouses", "hq", reverse("spareparts:warehouse_list"), row_marker="BW-"),
        Probe("stock counts", "hq", reverse("spareparts:count_list"), rows=None),
        Probe("faulty parts owed", "hq", faulty, row_marker="BF-", load=1),
        Probe("faulty parts owed", "hq", faulty, variant="deep", deep=True, row_marker="BF-"),
        Probe(
            "faulty parts owed",
            "hq",
            f"{faulty}?state=owed&overdue=on",
            variant="overdue",
            row_marker="BF-",
        ),
    ]
    if hq_house:
        page = reverse("spareparts:warehouse_detail", args=[hq_house])
        found += [
            Probe("warehouse stock", "hq", page, row_marker="BP-", load=1),
            Probe("warehouse stock", "hq", page, variant="deep", deep=True, row_marker="BP-"),
            Probe(
                "warehouse stock", "hq", f"{page}?low=1", variant="low", row_marker="BP-", rows=None
            ),
        ]
    if "dealer" in ctx.callers:
        found += [
            Probe("api parts", "dealer", "/api/v1/parts/", api=True, load=1),
            Probe("api parts", "dealer", "/api/v1/parts/", api=True, variant="deep", deep=True),
            Probe("api parts", "dealer", "/api/v1/parts/?model=BM-7", api=True, variant="model"),
            Probe(
                "api parts/availability", "dealer", "/api/v1/parts/availability/", api=True, load=1
            ),
            Probe("stock ledger", "dealer", ledger, variant="dealer", row_marker="BP-"),
            Probe("faulty parts owed", "dealer", faulty, variant="dealer", row_marker="BF-"),
            Probe("part requests", "dealer", requests, variant="dealer", row_marker="SQ-B-"),
            Probe("dealer quotes", "dealer", quotes, variant="dealer", row_marker="BJ-B-"),
            Probe("api parts/requests", "dealer", "/api/v1/parts/requests/", api=True, load=1),
            Probe(
                "api parts/requests",
                "dealer",
                "/api/v1/parts/requests/",
                api=True,
                variant="deep",
                deep=True,
            ),
            Probe("api parts/quotes", "dealer", "/api/v1/parts/quotes/", api=True, load=1),
        ]
    return found


BENCH = BenchPart(
    generate=generate,
    check=check,
    probes=probes,
    not_lists=frozenset(
        {
            "spareparts:part_new",
            "spareparts:part_import",
            "spareparts:part_export",
            "spareparts:receive",
            "spareparts:transfer",
            "spareparts:scrap",
            "spareparts:count_new",
            "spareparts:request_new",
            "spareparts:quote_new",
            "spareparts:reorder_edit",
        }
    ),
)
