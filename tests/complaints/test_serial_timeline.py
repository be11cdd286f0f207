"""The per-serial timeline (issue 18 item 6): calls, return applications, repair orders and
complaints of one serial number, newest first, each app answering the platform's
`serial_timeline` hook from its own index and within the caller's visibility; reached from the
complaint page and from the call desk's caller history."""

from datetime import timedelta

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from callcenter.choices import CallCategory, CallOutcome
from callcenter.selectors.calls import caller_history
from callcenter.services.calls import call_log
from complaints.selectors.complaints import serial_timeline
from service_ops import plugins
from tests.complaints.test_closed_loop import MONDAY, at, client_for, cx, file, travel  # noqa: F401
from tests.repairs.test_orders import receive_lot


@pytest.fixture
def unit_history(cx):  # noqa: F811  (the fixture imported above)
    """Serial SN-77 of dealer 湘江: returned and repaired in August, a call in September, then
    a complaint filed by the dealer itself; another serial's records beside it."""
    n = cx
    n.lot = receive_lot(n, ["SN-77", "SN-78"], at(MONDAY - timedelta(days=30), 9))
    n.order = n.lot.orders.get(serial_number="SN-77")
    # the walk ran in one frozen instant: the order is made at the receipt, days after applying
    type(n.order).objects.filter(pk=n.order.pk).update(
        created_at=n.lot.application.created_at + timedelta(days=5)
    )
    with travel(at(MONDAY, 9)):
        n.call = call_log(
            actor=n.agent,
            phone="13912345678",
            category=CallCategory.TECHNICAL,
            summary="维修后又不定位",
            outcome=CallOutcome.ANSWERED,
            serial_number="sn-77",
        )
    n.complaint = file(
        n, at_=at(MONDAY, 10), customer=None, complainant_unit=n.dealer, serial_number="sn-77"
    )
    n.other_complaint = file(n, at_=at(MONDAY, 11), customer=None, serial_number="SN-78")
    return n


def test_the_timeline_lists_every_apps_records_of_the_serial_newest_first(unit_history):
    n = unit_history
    items = serial_timeline(n.handler, " sn-77 ")
    assert [(i["kind"], i["number"]) for i in items] == [
        ("客诉", n.complaint.number),
        ("来电", n.call.number),
        ("维修单", n.order.number),
        ("返厂申请", n.lot.application.number),
    ]
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)
    assert n.other_complaint.number not in str(items)
    # the page: the same records, linked
    page = client_for(n.handler).get(reverse("complaints:serial_timeline", args=["sn-77"]))
    text = page.content.decode()
    assert page.status_code == 200
    positions = [
        text.index(number)
        for number in (n.complaint.number, n.call.number, n.order.number, n.lot.application.number)
    ]
    assert positions == sorted(positions)
    assert n.complaint.get_absolute_url() in text and n.order.get_absolute_url() in text
    assert n.other_complaint.number not in text


def test_each_answer_is_scoped_by_the_callers_visibility(unit_history):
    n = unit_history
    # the other dealer: none of dealer A's records (and a partner never sees a call)
    for answer in plugins.call_hook("serial_timeline", serial="SN-77", user=n.dealer2_user):
        assert answer == []
    # dealer A itself: its application, its order and its complaint, not the call centre's notes
    kinds = [i["kind"] for i in serial_timeline(n.dealer_user, "SN-77")]
    assert sorted(kinds) == ["客诉", "维修单", "返厂申请"]
    # another branch's complaint team sees nothing of branch 长沙's dealer
    from network.choices import Role
    from tests.factories import make_user

    gz_team = make_user("gz_team", n.gz, Role.COMPLAINT_TEAM)
    assert serial_timeline(gz_team, "SN-77") == []


def test_each_source_is_bounded(unit_history):
    n = unit_history
    for i in range(4):
        file(n, at_=at(MONDAY, 12 + i), customer=None, serial_number="SN-77")
    items = serial_timeline(n.handler, "SN-77", limit=2)
    assert [i["kind"] for i in items].count("客诉") == 2


def test_the_page_is_for_the_complaint_desk_and_the_call_centre(unit_history):
    n = unit_history
    url = reverse("complaints:serial_timeline", args=["SN-77"])
    assert client_for(n.agent).get(url).status_code == 200
    for user in (n.dealer_user, n.gz_manager, n.clerk):
        assert client_for(user).get(url).status_code == 403, user
    search = client_for(n.handler).get(reverse("complaints:serial_search"), {"serial": " sn-77"})
    assert search.status_code == 302 and search["Location"] == url
    assert client_for(n.handler).get(reverse("complaints:serial_search")).status_code == 200


def test_the_page_keeps_its_query_count_whatever_the_history(unit_history):
    n = unit_history
    client = client_for(n.handler)
    url = reverse("complaints:serial_timeline", args=["SN-77"])
    client.get(url)
    reset_queries()
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    queries = len(first.captured_queries)
    for i in range(6):
        file(n, at_=at(MONDAY, 12 + i), customer=None, serial_number="SN-77")
        with travel(at(MONDAY, 12 + i, 30)):
            call_log(
                actor=n.agent,
                phone="13912345678",
                category=CallCategory.TECHNICAL,
                summary=f"第 {i} 次来电",
                outcome=CallOutcome.ANSWERED,
                serial_number="SN-77",
            )
    reset_queries()
    with CaptureQueriesContext(connection) as second:
        assert client.get(url).status_code == 200
    assert len(second.captured_queries) == queries <= 16


def test_the_complaint_page_and_the_call_desk_link_to_the_timeline(unit_history):
    n = unit_history
    url = reverse("complaints:serial_timeline", args=["SN-77"])
    page = client_for(n.handler).get(n.complaint.get_absolute_url()).content.decode()
    assert url in page
    history = caller_history(n.agent, phone="", serial="sn-77")
    groups = dict(history.groups)
    assert [i["url"] for i in groups["设备时间线"]] == [url]
    assert [i["number"] for i in groups["客诉"]] == [n.complaint.number]
    panel = client_for(n.agent).get(
        reverse("callcenter:caller_history"), {"serial_number": "SN-77"}
    )
    assert url in panel.content.decode()
    # no serial typed, or someone who may not open the timeline: no link
    assert "设备时间线" not in dict(caller_history(n.agent, phone="13912345678").groups)
