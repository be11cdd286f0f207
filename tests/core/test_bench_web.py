"""The volume benchmark (manage.py bench_web) at a tiny scale, so it does not rot: every app's
generator makes the rows it was asked for, every declared list answers 200 and shows rows where it
should (and none for the dealer without rows). No timing is asserted."""

import pytest
from django.apps import apps
from django.utils import timezone

from service_ops.bench import Context
from service_ops.management.commands import bench_web

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


# Every app's generator and every probe (some 300 lists and reports now): ~6 min in one test, so
# the probes are measured in halves, each on its own generated data, which pytest-xdist can run
# on two workers at once; the global guard is lifted for these tests.
HALVES = 2


@pytest.mark.timeout(900)
@pytest.mark.parametrize("half", range(HALVES))
def test_generator_and_every_list_at_a_tiny_scale(half):
    from service_ops.bench.measure import Measurer, table
    from service_ops.plugins import seed_defaults

    seed_defaults()
    ctx = Context(
        scale={"orders": 1500, "applications": 300, "branches": 4},
        now=timezone.now().replace(microsecond=0),
        out=lambda _text: None,
    )
    bench_web.generate(ctx)

    assert ctx.counts["repairs.RepairOrder"] == 1500
    assert ctx.counts["repairs.ReturnApplication"] == 300
    for label, rows in ctx.counts.items():
        assert apps.get_model(label).objects.count() == rows, label
    assert ctx.counts["repairs.ApprovalStep"] > 800
    assert ctx.counts["service_ops.Deadline"] > 1500
    assert ctx.counts["service_ops.TransitionLog"] > 0
    assert ctx.counts["service_ops.Notification"] > 0
    assert bench_web.check(ctx) == []

    probes = bench_web.all_probes(ctx)
    assert {"dealer", "dealer_empty", "technician", "hq"} <= {p.caller for p in probes}
    assert any(p.raw for p in probes)
    results = [Measurer(ctx.callers, reps=1, budget=5).run(p) for p in probes[half::HALVES]]
    failures = [
        f"{r.probe.name} [{r.probe.variant}] as {r.probe.caller}: {r.error}"
        for r in results
        if r.error
    ]
    assert failures == []
    assert all(r.status == 200 and r.queries > 0 for r in results)
    assert "api repair-orders" in table(results, ctx.callers)
    # A new list page belongs in its app's bench.py (probes), a new form or action in not_lists.
    assert bench_web.unmeasured_pages(probes) == set()
