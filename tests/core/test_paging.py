"""Keyset pages (service_ops.paging): every row once walking down, the same pages walking back
up, and a count that stops at the cap."""

import pytest
from django.http import QueryDict

from service_ops import paging
from service_ops.notifications.models import Notification
from service_ops.notifications.services import notify
from tests.factories import make_user, org_tree

pytestmark = pytest.mark.django_db


def _params(**kw) -> QueryDict:
    q = QueryDict(mutable=True)
    q.update({k: str(v) for k, v in kw.items()})
    return q


@pytest.fixture
def notes():
    user = make_user("reader", org_tree()["hq"])
    for i in range(23):
        notify(recipients=[user], subject=f"n{i}")
    return Notification.objects.filter(recipient=user, channel="in_app")


@pytest.mark.parametrize("oldest_first", [False, True])
def test_walking_down_and_back_up_sees_every_row_once(notes, oldest_first):
    expected = sorted(notes.values_list("pk", flat=True), reverse=not oldest_first)
    pages, params = [], _params()
    while True:
        page = paging.keyset_page(notes, params, size=5, oldest_first=oldest_first)
        pages.append([n.pk for n in page])
        assert page.count == 23 and not page.count_capped
        if not page.has_next:
            break
        params = _params(after=page.next_after)
    assert [pk for p in pages for pk in p] == expected
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    # and back up from the last page: the same pages in reverse
    back = []
    while page.has_previous:
        page = paging.keyset_page(
            notes, _params(before=page.previous_before), size=5, oldest_first=oldest_first
        )
        back.append([n.pk for n in page])
    assert back == pages[-2::-1]


def test_the_first_page_has_no_previous_and_junk_keys_mean_the_first_page(notes):
    first = paging.keyset_page(notes, _params(), size=5)
    assert not first.has_previous and first.has_next
    junk = paging.keyset_page(notes, _params(after="x", before="-3"), size=5)
    assert [n.pk for n in junk] == [n.pk for n in first]


def test_the_count_stops_at_the_cap(notes, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    page = paging.keyset_page(notes, _params(), size=5)
    assert page.count_capped and page.count_shown == 10


def test_a_deep_page_costs_the_same_queries_as_the_first(notes, django_assert_num_queries):
    last = notes.order_by("pk").first().pk
    with django_assert_num_queries(3):  # the page's keys, its rows and the capped count
        page = paging.keyset_page(notes, _params(after=last + 1), size=5)
    assert [n.pk for n in page] == [last]


# --- pages in a list's own order (order=…): the directory by unit, statements by month -----------


@pytest.fixture
def grouped():
    """23 notes in 4 subjects: the sort key repeats, so the pk tie-breaker decides within one."""
    user = make_user("grouper", org_tree()["hq"])
    for i in range(23):
        notify(recipients=[user], subject=f"g{i % 4}")
    return Notification.objects.filter(recipient=user, channel="in_app")


@pytest.mark.parametrize("order", [("subject",), ("-subject",), ("-subject", "-pk")])
def test_an_ordered_list_walks_down_and_back_up_in_its_own_order(grouped, order):
    rows = list(grouped.values_list("subject", "pk"))
    desc_subject, desc_pk = order[0].startswith("-"), order[-1] == "-pk"
    rows.sort(key=lambda r: r[1], reverse=desc_pk)
    rows.sort(key=lambda r: r[0], reverse=desc_subject)  # stable: pk order within a subject
    expected = [pk for _s, pk in rows]
    pages, params = [], _params()
    while True:
        page = paging.keyset_page(grouped, params, size=5, order=order)
        pages.append([n.pk for n in page])
        assert page.count == 23
        if not page.has_next:
            break
        params = _params(after=page.next_after)
    assert [pk for p in pages for pk in p] == expected
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    back = []
    while page.has_previous:
        page = paging.keyset_page(
            grouped, _params(before=page.previous_before), size=5, order=order
        )
        back.append([n.pk for n in page])
    assert back == pages[-2::-1]


def test_an_ordered_page_costs_four_queries_at_any_depth(grouped, django_assert_num_queries):
    first = paging.keyset_page(grouped, _params(), size=5, order=("subject",))
    with django_assert_num_queries(4):  # the cursor row's sort values, keys, rows, count
        page = paging.keyset_page(
            grouped, _params(after=first.next_after), size=5, order=("subject",)
        )
    assert len(page) == 5 and page.has_previous


def test_a_cursor_outside_the_list_gives_its_first_page(grouped):
    stranger = make_user("stranger", grouped.first().recipient.profile.org_unit)
    notify(recipients=[stranger], subject="a0")
    foreign = Notification.objects.get(recipient=stranger, channel="in_app").pk
    first = paging.keyset_page(grouped, _params(), size=5, order=("subject",))
    page = paging.keyset_page(grouped, _params(after=foreign), size=5, order=("subject",))
    assert [n.pk for n in page] == [n.pk for n in first] and not page.has_previous


def test_rows_adds_what_the_page_shows_to_its_rows_only(grouped):
    from django.db.models import Value

    page = paging.keyset_page(
        grouped, _params(), size=5, order=("subject",), rows=lambda qs: qs.annotate(x=Value(7))
    )
    assert [n.x for n in page] == [7] * 5
