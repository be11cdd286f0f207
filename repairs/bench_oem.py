"""The volume benchmark's part for car-factory units (回购机, 江淮备用机; issue 22): a year of
buy-back batches of one OEM (one batch per 10 return applications, 8 units each) and a backup
pool (one unit per 5 applications) with a swap per unit, a quarter of them still out and some
overdue. Called from repairs/bench.py (generate, probes, not_lists)."""

from __future__ import annotations

from django.urls import reverse

from service_ops.bench import Context, Probe
from service_ops.bench.sql import insert_select, reset_sequences

from .models import BackupSwap, BackupUnit, BuybackBatch, BuybackUnit, OemCustomer, OemStore

UNITS_PER_BATCH = 8


def oem_generate(ctx: Context, p: dict) -> None:
    oem = OemCustomer.objects.create(code="bench-jac", name="江淮汽车（基准）")
    stores = OemStore.objects.bulk_create(
        [OemStore(oem=oem, code=f"JAC-B-{i:03d}", name=f"江淮4S店{i:03d}") for i in range(20)]
    )
    q = {
        **p,
        "oem": oem.pk,
        "batches": max(20, p["A"] // 10),
        "backups": max(30, p["A"] // 5),
        "store0": stores[0].pk,
        "stores": len(stores),
        "per": UNITS_PER_BATCH,
    }
    # batches over the year: the last tenth still open
    rows = insert_select(
        BuybackBatch,
        {
            "number": "'BB-B-' || lpad(x::text, 6, '0')",
            "oem_id": "%(oem)s",
            "received_on": "(%(start)s::timestamptz "
            "+ (x * interval '365 days' / %(batches)s))::date",
            "unit_count": "%(per)s",
            "state": "CASE WHEN x > %(batches)s * 0.9 THEN 'open' ELSE 'closed' END",
            "created_by_id": "%(clerk)s",
            "created_at": "%(start)s::timestamptz + (x * interval '365 days' / %(batches)s)",
        },
        "generate_series(1, %(batches)s) AS x",
        q,
    )
    ctx.count("repairs.BuybackBatch", rows)
    rows = insert_select(
        BuybackUnit,
        {
            "batch_id": "b.id",
            "serial_number": "'JHB' || lpad(b.id::text, 7, '0') || lpad(u::text, 2, '0')",
            "product_model": "'NAV-J7'",
            "state": "CASE WHEN b.state = 'closed' THEN 'done' "
            "WHEN u %% 3 = 0 THEN 'received' WHEN u %% 3 = 1 THEN 'inspected' ELSE 'decided' END",
            "grade": "CASE WHEN b.state = 'closed' OR u %% 3 <> 0 THEN 'B' ELSE '' END",
            "findings": "CASE WHEN b.state = 'closed' OR u %% 3 <> 0 THEN '通电检测正常' "
            "ELSE '' END",
            "decision": "CASE WHEN b.state = 'closed' OR u %% 3 = 2 THEN 'refurbish' ELSE '' END",
            "cost_labour": "CASE WHEN b.state = 'closed' THEN 30 ELSE 0 END",
        },
        f"{BuybackBatch._meta.db_table} b CROSS JOIN generate_series(1, %(per)s) AS u "
        "WHERE b.oem_id = %(oem)s",
        q,
    )
    ctx.count("repairs.BuybackUnit", rows)
    # the pool: every unit lent once; three quarters back, the rest out (the oldest overdue)
    rows = insert_select(
        BackupUnit,
        {
            "oem_id": "%(oem)s",
            "serial_number": "'BK-B-' || lpad(x::text, 6, '0')",
            "product_model": "'NAV-J7'",
            "state": "CASE WHEN x %% 4 = 0 THEN 'lent' ELSE 'in_pool' END",
        },
        "generate_series(1, %(backups)s) AS x",
        q,
    )
    ctx.count("repairs.BackupUnit", rows)
    rows = insert_select(
        BackupSwap,
        {
            "number": "'BS-B-' || lpad(u.id::text, 6, '0')",
            "oem_id": "%(oem)s",
            "store_id": "%(store0)s + u.id %% %(stores)s",
            "backup_id": "u.id",
            "failed_serial": "'JHF' || lpad(u.id::text, 7, '0')",
            "failed_fault": "'导航黑屏'",
            "lent_on": "(%(now)s::timestamptz - (u.id %% 60) * interval '1 day')::date",
            "due_back": "(%(now)s::timestamptz + (28 - u.id %% 60) * interval '1 day')::date",
            "lent_by_id": "%(clerk)s",
            "state": "CASE WHEN u.state = 'lent' THEN 'lent' ELSE 'returned' END",
            "returned_on": "CASE WHEN u.state = 'lent' THEN NULL ELSE "
            "(%(now)s::timestamptz - (u.id %% 60) * interval '1 day' + interval '10 days')::date "
            "END",
            "return_condition": "CASE WHEN u.state = 'lent' THEN '' ELSE 'good' END",
            "created_at": "%(now)s::timestamptz - (u.id %% 60) * interval '1 day'",
        },
        f"{BackupUnit._meta.db_table} u WHERE u.oem_id = %(oem)s",
        q,
    )
    ctx.count("repairs.BackupSwap", rows)
    reset_sequences(BuybackBatch, BuybackUnit, BackupUnit, BackupSwap)
    ctx.facts["oem"] = oem.pk
    ctx.facts["oem_serial"] = BuybackUnit.objects.order_by("-id").values_list(
        "serial_number", flat=True
    )[0]


def oem_probes(ctx: Context) -> list[Probe]:
    batches = reverse("repairs:oem_batch_list")
    pool = reverse("repairs:oem_backup_list")
    swaps = reverse("repairs:oem_swap_list")
    oem, serial = ctx.facts["oem"], ctx.facts["oem_serial"]
    return [
        Probe("oem batches", "hq", batches, row_marker="BB-"),
        Probe("oem batches", "clerk", f"{batches}?state=open", variant="state=open",
              row_marker="BB-"),
        Probe("oem batches", "hq", f"{batches}?oem={oem}", variant="oem=", row_marker="BB-"),
        Probe("oem batches", "hq", f"{batches}?q={serial}", variant="q=<serial>",
              row_marker="BB-"),
        Probe("oem backups", "clerk", pool, row_marker="BK-B-"),
        Probe("oem backups", "clerk", f"{pool}?state=lent", variant="state=lent",
              row_marker="BK-B-"),
        Probe("oem swaps", "clerk", f"{swaps}?open=1", variant="open=1", row_marker="BS-"),
        Probe("oem swaps", "clerk", f"{swaps}?overdue=1", variant="overdue=1", row_marker="BS-"),
        Probe("oem swaps", "hq", swaps, row_marker="BS-"),
        Probe("oem reconciliation", "clerk", f"{reverse('repairs:oem_reconciliation')}?oem={oem}",
              rows=None),
    ]  # fmt: skip


OEM_NOT_LISTS = frozenset(
    {
        "repairs:oem_batch_create",  # a form
        "repairs:oem_reconciliation_export",  # an Excel file
    }
)
