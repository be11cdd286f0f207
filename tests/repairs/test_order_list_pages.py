"""The review meetings and the month-end statements page by key (service_ops.paging), in their own
order (newest meeting first; newest month first, then the branch), with their filters kept on
the next page and the same queries on a deep page as on the first."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from repairs.models import MonthlyStatement, ReviewItem, ReviewMeeting
from repairs.services import orders as ro
from tests.repairs.test_orders import _ship_with_quote

Z = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db

NEXT = re.compile(r'<a class="page-link" href="([^"]+)" rel="next">')
STATEMENT = re.compile(r'href="/repairs/statements/(\d+)/"')
MEETING = re.compile(r'href="/repairs/reviews/(\d+)/"')


def _next(html):
    found = NEXT.search(html)
    return unescape(found.group(1)) if found else None


def _walk(client, url, pattern, max_queries):
    """Every row id shown, page after page, each page within max_queries (None: any)."""
    shown, pages = [], 0
    while url:
        with CaptureQueriesContext(connection) as captured:
            html = client.get(url).text
        if max_queries is not None:
            assert len(captured) <= max_queries, (url, len(captured))
        shown += [int(pk) for pk in pattern.findall(html)]
        nxt = _next(html)
        url = url.split("?")[0] + nxt if nxt else None
        pages += 1
    return shown, pages


def _months(n):
    first = date(2026, 11, 1)
    out = []
    for _ in range(n):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return out


@pytest.fixture
def statements(net):
    rows = [
        MonthlyStatement(branch=branch, month=month)
        for month in _months(30)
        for branch in (net.gz, net.cs)
    ]
    return MonthlyStatement.objects.bulk_create(rows)


def test_statements_page_newest_month_first_and_then_by_branch(client, net, statements):
    client.force_login(net.clerk)
    url = reverse("repairs:statement_list")
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).text
    assert "共 60 条" in html
    first_page = len(captured)
    shown, pages = _walk(client, url, STATEMENT, first_page + 1)
    expected = list(
        MonthlyStatement.objects.order_by("-month", "branch__code", "pk").values_list(
            "pk", flat=True
        )
    )
    assert shown == expected and pages == 3


def test_a_statement_filter_holds_on_the_next_page_and_the_branch_sees_only_its_own(
    client, net, statements
):
    client.force_login(net.clerk)
    url = reverse("repairs:statement_list")
    html = client.get(url, {"branch": net.cs.pk}).text
    assert f"branch={net.cs.pk}" in _next(html)
    shown, _pages = _walk(client, f"{url}?branch={net.cs.pk}", STATEMENT, None)
    assert len(shown) == 30
    assert set(MonthlyStatement.objects.filter(pk__in=shown).values_list("branch", flat=True)) == {
        net.cs.pk
    }
    client.force_login(net.cs_manager)
    shown, _pages = _walk(client, url, STATEMENT, None)
    assert len(shown) == 30 and net.gz.pk not in set(
        MonthlyStatement.objects.filter(pk__in=shown).values_list("branch", flat=True)
    )
    # a cursor from the other branch's rows does not show them: the page starts over
    foreign = MonthlyStatement.objects.filter(branch=net.gz).first().pk
    html = client.get(url, {"after": foreign}).text
    assert "广州分公司" not in html


def test_statement_line_counts_are_read_for_the_page(client, net):
    _ship_with_quote(net, "M1", Decimal("80"), Decimal("1"), datetime(2026, 11, 10, 10, tzinfo=Z))
    _ship_with_quote(net, "M2", Decimal("50"), Decimal("3"), datetime(2026, 11, 20, 10, tzinfo=Z))
    statement = ro.statement_build(branch=net.cs, month=date(2026, 11, 1), actor=net.clerk)
    client.force_login(net.clerk)
    html = client.get(reverse("repairs:statement_list")).text
    row = html[html.index(statement.get_absolute_url()) :]
    assert re.search(r'<td class="text-end">2</td>', row[:600])


def test_review_meetings_page_newest_first_with_their_counts(client, net):
    meetings = ReviewMeeting.objects.bulk_create(
        [ReviewMeeting(held_on=date(2026, 11, 28) - timedelta(days=3 * i)) for i in range(30)]
    )
    order = _ship_with_quote(
        net, "R1", Decimal("80"), Decimal("1"), datetime(2026, 11, 10, 10, tzinfo=Z)
    )
    ReviewItem.objects.create(meeting=meetings[0], order=order, overdue_days=2)
    client.force_login(net.repair_sup)
    url = reverse("repairs:review_list")
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).text
    assert "1 台 · 已决定 0" in html and "共 30 条" in html
    shown, pages = _walk(client, url, MEETING, len(captured) + 1)
    assert shown == [m.pk for m in sorted(meetings, key=lambda m: m.held_on, reverse=True)]
    assert pages == 2
