"""Issue 20's acceptance for the settlement (网点结算): a visit without its required photos or its
signature is not payable, and the monthly statement's sum equals a direct count of the payable
visits at the rule prices in force on each visit's date — with the rules changed mid-month.

The direct count is one SQL statement written apart from the services: the gates as plain
conditions, the price by a LATERAL pick of the most specific rule in force on the local date."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from repairs.choices import CallbackVerdict, PhotoKind, SettlementLineKind, VisitState
from repairs.models import FeeRule, SettlementLine, SettlementStatement, Visit, VisitPhoto
from repairs.services import settlement as svc

from .settlement_fixtures import at, finished_visit, rule, settlement_people

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

JUNE = date(2026, 6, 1)
NOW = at(2026, 7, 2, 9)  # the batch runs on 2 July

DIRECT_COUNT = """
SELECT COALESCE(SUM(price.amount), 0), COUNT(*)
FROM {visit} v
JOIN {request} r ON r.id = v.request_id
LEFT JOIN network_servicepointprofile p ON p.org_unit_id = v.service_unit_id
CROSS JOIN LATERAL (
    SELECT f.amount FROM {rule} f
    WHERE f.effective_from <= (v.finished_at AT TIME ZONE 'Asia/Shanghai')::date
      AND (f.effective_to IS NULL
           OR f.effective_to >= (v.finished_at AT TIME ZONE 'Asia/Shanghai')::date)
      AND (f.category = '' OR f.category = r.category)
      AND (f.grade = '' OR f.grade = COALESCE(p.grade, ''))
      AND COALESCE(v.distance_km, 0) >= f.km_from
      AND (f.km_to IS NULL OR COALESCE(v.distance_km, 0) < f.km_to)
      AND (f.product_model = '' OR upper(r.product_model) LIKE upper(f.product_model) || '%%')
      AND (f.warranty = 'any' OR (f.warranty = 'in' AND r.in_warranty IS TRUE)
           OR (f.warranty = 'out' AND r.in_warranty IS FALSE))
    ORDER BY length(f.product_model) DESC, (f.category <> '') DESC, (f.grade <> '') DESC,
             (f.warranty <> 'any') DESC, (f.km_to IS NOT NULL) DESC,
             (f.km_to - f.km_from) ASC NULLS LAST, f.effective_from DESC, f.id DESC
    LIMIT 1
) AS price
WHERE v.service_unit_id = %(point)s
  AND v.state IN ('solved', 'incomplete')
  AND v.finished_at < %(month_end)s
  AND v.checked_in_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM {photo} ph WHERE ph.visit_id = v.id AND ph.kind = 'before')
  AND EXISTS (SELECT 1 FROM {photo} ph WHERE ph.visit_id = v.id AND ph.kind = 'after')
  AND (v.state = 'incomplete' OR (
        v.signed_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM {visit} w WHERE w.request_id = v.request_id
                        AND w.sequence > v.sequence AND w.state <> 'cancelled')
        AND (r.callback_verdict = 'satisfied'
             OR (r.callback_verdict = 'unreached' AND v.finished_at < %(long_ago)s))))
"""


def direct_count(point, month_end, long_ago) -> tuple[Decimal, int]:
    sql = DIRECT_COUNT.format(
        visit=Visit._meta.db_table,
        request=Visit._meta.get_field("request").related_model._meta.db_table,
        rule=FeeRule._meta.db_table,
        photo=VisitPhoto._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"point": point.pk, "month_end": month_end, "long_ago": long_ago})
        total, rows = cursor.fetchone()
    return Decimal(total), rows


@pytest.fixture
def june(net):
    n = settlement_people(net)
    # The rules: every repair 80 until 14 June, 95 from 15 June (a mid-month change); grade B
    # points 30–60 km away 120 all month; installs of GPS-Z models in warranty 150, and 60 for
    # any other install.
    n.old = rule(80, category="repair", start=date(2026, 1, 1), end=date(2026, 6, 14))
    n.new = rule(95, category="repair", start=date(2026, 6, 15))
    n.far_b = rule(120, category="repair", grade="B", km_from=Decimal(30), km_to=Decimal(60))
    n.z_install = rule(150, category="install", product_model="GPS-Z", warranty="in")
    n.install = rule(60, category="install")
    rule(999, category="repair", grade="A")  # another grade's: never for this point

    v = finished_visit
    n.payable = [
        v(n, at(2026, 6, 3)),  # 80 (old rule)
        v(n, at(2026, 6, 14, 23, 30)),  # 80: still the 14th in Shanghai
        v(n, at(2026, 6, 15, 0, 30)),  # 95: the 15th in Shanghai (the 14th in UTC)
        v(n, at(2026, 6, 20), km="45.5"),  # 120: grade B, 30–60 km beats the category rule
        v(n, at(2026, 6, 21), category="install", model="GPS-Z3"),  # 150
        v(n, at(2026, 6, 22), category="install", model="GPS-Z3", in_warranty=False),  # 60
        v(n, at(2026, 6, 23), state=VisitState.INCOMPLETE, signed=False,
          verdict=CallbackVerdict.PENDING),  # 95: an incomplete visit needs no signature
        v(n, at(2026, 6, 10), verdict=CallbackVerdict.UNREACHED),  # 80: deadline long past
    ]  # fmt: skip
    n.not_payable = [
        v(n, at(2026, 6, 4), photos=(PhotoKind.BEFORE,)),  # the after photo is missing
        v(n, at(2026, 6, 5), photos=()),
        v(n, at(2026, 6, 6), signed=False),  # solved without the customer's signature
        v(n, at(2026, 6, 7), checked_in=False),
        v(n, at(2026, 6, 8), verdict=CallbackVerdict.DISSATISFIED),
        v(n, at(2026, 6, 9), verdict=CallbackVerdict.PENDING),
        v(n, at(2026, 6, 30, 16), verdict=CallbackVerdict.UNREACHED),  # within its 3 days
        v(n, at(2026, 6, 12), category="maintenance"),  # no rule prices maintenance
    ]
    # Another point's visit, and this point's July visit: never on June's statement.
    v(n, at(2026, 6, 3), point=n.point2)
    n.july = v(n, at(2026, 7, 1))
    return n


def test_statement_sum_equals_a_direct_count_at_the_prices_in_force_each_day(june):
    with time_machine.travel(NOW, tick=False):
        built = svc.settlement_batch(month=JUNE, actor=june.specialist)

    statement = SettlementStatement.objects.get(point=june.point, month=JUNE)
    assert statement in built
    total, rows = direct_count(june.point, at(2026, 7, 1, 0), at(2026, 6, 25))
    assert rows == len(june.payable) == 8
    assert statement.total == statement.visits_total == total == Decimal("760.00")
    paid = set(statement.lines.values_list("visit_id", flat=True))
    assert paid == {v.pk for v in june.payable}
    prices = dict(statement.lines.values_list("visit_id", "amount"))
    assert [prices[v.pk] for v in june.payable] == [
        Decimal(x) for x in ("80", "80", "95", "120", "150", "60", "95", "80")
    ]
    assert statement.lines.get(visit=june.payable[2]).rule == june.new
    assert statement.lines.get(visit=june.payable[1]).rule == june.old


def test_a_visit_without_its_photos_or_signature_is_never_payable(june):
    missing_photo, no_photos, unsigned = june.not_payable[:3]
    with time_machine.travel(NOW, tick=False):
        svc.settlement_batch(month=JUNE, actor=june.specialist)
        # a month later they still lack them: not on July's statement either
        svc.settlement_batch(month=date(2026, 7, 1), now=at(2026, 8, 20))
    for visit in (missing_photo, no_photos, unsigned):
        assert not SettlementLine.objects.filter(visit=visit).exists()


def test_running_the_month_again_duplicates_nothing(june):
    with time_machine.travel(NOW, tick=False):
        first = svc.settlement_batch(month=JUNE, actor=june.specialist)
        again = svc.settlement_batch(month=JUNE)
        svc.settlement_monthly_run(now=NOW)  # the periodic job: June again
    assert [s.pk for s in first] == [s.pk for s in again]
    statement = SettlementStatement.objects.get(point=june.point, month=JUNE)
    assert statement.lines.filter(kind=SettlementLineKind.VISIT).count() == 8
    assert statement.total == Decimal("760.00")
    assert SettlementStatement.objects.filter(point=june.point).count() == 1
