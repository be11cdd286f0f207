"""The boards and the queue rank units in one SQL statement (repairs.selectors.orders
._ranked_ids): checked here against the rule written out in Python — overdue first (the open
quote's timer before the repair limit), then by due time, then by id — on units in every
situation: limits running, breached and paused, quotes raised and sent, breached quotes."""

from datetime import UTC, datetime

import pytest

from repairs.models import Quote, RepairOrder
from repairs.selectors import orders as sel
from service_ops.deadlines.models import OPEN_STATUSES, Deadline, DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from tests.repairs.test_orders import receive_lot
from tests.repairs.test_web_orders import MONDAY, Z, at, quoted, to_packed

pytestmark = pytest.mark.django_db


def expected(qs, *, limit, quotes, per_state, urgent_first=False):
    far = datetime.max.replace(tzinfo=UTC)

    def summary(owner, kinds):
        timers = Deadline.objects.filter(
            owner_type__model=owner._meta.model_name, owner_id=owner.pk, kind__in=kinds,
            status__in=OPEN_STATUSES,
        )  # fmt: skip
        return (
            any(t.status == DeadlineStatus.BREACHED for t in timers),
            min((t.due_at for t in timers), default=None),
        )

    keys, state_of = {}, {}
    for order in qs:
        lb, ld = summary(order, [sel.LIMIT_KIND])
        qb, qd = False, None
        if quotes:
            for quote in Quote.objects.filter(order=order, state__in=sel.OPEN_QUOTE_STATES):
                b, d = summary(quote, sel.QUOTE_KINDS)
                qb, qd = qb or b, min(x for x in (qd, d) if x) if (qd or d) else None
        urgent = urgent_first and order.urgency == "urgent"
        keys[order.pk] = (
            not urgent,
            not qb,
            not lb,
            qd is None,
            qd or far,
            ld is None,
            ld or far,
            order.pk,
        )
        state_of[order.pk] = order.state
    ranked = sorted(keys, key=keys.__getitem__)
    if not per_state:
        return ranked[:limit]
    taken: dict[str, int] = {}
    chosen = []
    for pk in ranked:
        if taken.get(state_of[pk], 0) < limit:
            taken[state_of[pk]] = taken.get(state_of[pk], 0) + 1
            chosen.append(pk)
    return chosen


def test_the_sql_ranking_follows_the_rule_in_every_situation(net):
    early = receive_lot(net, ["E1", "E2"], datetime(2026, 11, 16, 9, tzinfo=Z))
    late = receive_lot(net, ["L1", "L2", "L3", "L4", "L5"], MONDAY)
    single = receive_lot(net, ["S1"], MONDAY)
    e1, e2 = early.orders.order_by("pk")
    l1, l2, l3, l4, _l5 = late.orders.order_by("pk")
    with at(2026, 11, 24, 10):
        quoted(net, e1)  # quote raised: its send timer runs, the limit runs
        quoted(net, l1, send=True)  # quote sent: consent timer, the limit paused
        quoted(net, l2)
        to_packed(net, e2)
        to_packed(net, l3)
        quoted(net, single.orders.get(), send=True)
    with at(2026, 11, 25, 10):
        quoted(net, l4, send=True)
    sweep_deadlines(now=datetime(2026, 11, 27, 9, tzinfo=Z))  # some limits and quotes breach
    assert Deadline.objects.filter(status=DeadlineStatus.BREACHED).exists()
    assert Deadline.objects.filter(status=DeadlineStatus.PAUSED).exists()

    RepairOrder.objects.filter(pk__in=[l2.pk, e2.pk]).update(urgency="urgent")
    everything = RepairOrder.objects.all()
    for limit in (1, 2, 3, 20):
        for quotes in (False, True):
            for per_state in (False, True):
                for urgent in (False, True):
                    how = {"limit": limit, "quotes": quotes, "per_state": per_state}
                    got = sel._ranked_ids(everything, **how, urgent_first=urgent)
                    assert got == expected(everything, **how, urgent_first=urgent), (how, urgent)
    # a narrower candidate set (one state) and an empty one
    packing = RepairOrder.objects.filter(state="packing")
    assert sel._ranked_ids(packing, limit=5, quotes=False, per_state=False) == expected(
        packing, limit=5, quotes=False, per_state=False
    )
    assert sel._ranked_ids(RepairOrder.objects.none(), limit=5, quotes=True, per_state=True) == []
