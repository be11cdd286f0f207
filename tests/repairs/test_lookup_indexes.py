"""Every lookup a user makes has an index that matches its expression: serial and document
numbers (iexact → UPPER(col) = UPPER(%s)) and the search box (icontains → pg_trgm). The plans
are read with sequential scans switched off, so a test fails when the index cannot serve the
query's expression (at test size the planner would otherwise scan anyway)."""

import pytest
from django.db import connection
from django.http import QueryDict

from repairs.filtersets.orders import RepairOrderFilterSet
from repairs.filtersets.returns import ReturnApplicationFilterSet
from repairs.models import RepairOrder, ReturnApplication

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="index plans are PostgreSQL's (the production shape)",
    ),
]


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _filtered(filterset_class, model, **params):
    data = QueryDict(mutable=True)
    data.update(params)
    filterset = filterset_class(data, queryset=model.objects.all())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.order_by()  # the page's ORDER BY pk LIMIT may walk the pk at test size


@pytest.mark.parametrize(
    ("params", "indexes"),
    [
        ({"serial": "sn-001"}, ["repairorder_serial_upper"]),
        ({"number": "wx-1"}, ["repairorder_number_upper"]),
        ({"application_number": "rma-1"}, ["returnapp_number_upper"]),
        (
            {"q": "X1-00"},
            ["repairorder_number_trgm", "repairorder_serial_trgm", "repairorder_model_trgm"],
        ),
        ({"q": "X1"}, ["repairorder_number_upper", "repairorder_serial_upper"]),
    ],
)
def test_order_lookups_use_their_index(params, indexes):
    plan = _plan(_filtered(RepairOrderFilterSet, RepairOrder, **params))
    for index in indexes:
        assert index in plan, plan


def test_the_return_search_uses_the_number_trigram_and_the_line_serial_index():
    plan = _plan(_filtered(ReturnApplicationFilterSet, ReturnApplication, q="RMA-2026"))
    assert "returnapp_number_trgm" in plan, plan
    from repairs.models import ReturnLine

    lines = ReturnLine.objects.filter(serial_number__iexact="SN-1").values("application_id")
    assert "returnline_serial_upper" in _plan(lines)
