"""The call centre's part of the volume benchmark: a year of activation-code queries from the
bench's service points (most answered and charged from their prepaid balance, some refused; a
third through the partner API), the code store, the registered numbers, the points' prepaid
ledgers with their top-ups, and the lists that read them: the staff pages (queries, numbers,
codes, balances, one unit's ledger) and the service point's partner API lists (its queries, its
ledger), timed as the head of customer service and as a service point with its token.

At the default scale (1,000,000 orders) that is 250,000 queries over the network's service points
(60 at 60 branches, 120 at `--branches 120`): about 11 a point a day."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

from network.choices import LedgerEntryKind
from network.models import OrgUnit, PrepaidAccount, PrepaidEntry
from service_ops.bench import BenchPart, Caller, Context, Probe

from .choices import ActivationOutcome, QueryChannel
from .models import ActivationCode, ActivationQuery, RegisteredNumber

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


def probes(ctx: Context) -> list[Probe]:
    queries = reverse("callcenter:activation_query_list")
    numbers = reverse("callcenter:number_list")
    codes = reverse("callcenter:code_list")
    units = reverse("callcenter:prepaid_unit_list")
    api_queries = reverse("api-activation-query-list")
    api_entries = reverse("api-prepaid-entry-list")
    out = [
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


BENCH = BenchPart(
    generate=generate,
    check=check,
    probes=probes,
    not_lists=frozenset({"callcenter:number_create", "callcenter:code_import"}),
)
