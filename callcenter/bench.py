"""The call centre's part of the volume benchmark: a year of activation-code queries from the
bench's service points (most answered and charged, some refused), and their staff list."""

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


BENCH = BenchPart(generate=generate, probes=probes)
