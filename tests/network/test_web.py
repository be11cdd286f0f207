"""Network pages: staff directory, org unit list and detail, all scoped by visibility."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from network.choices import LedgerEntryKind, OrgKind, Role
from network.filtersets import OrgUnitFilterSet
from network.models import OrgUnit, PrepaidAccount, PrepaidEntry
from tests.factories import make_user, org_tree

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def tree():
    return org_tree()


@pytest.fixture
def people(tree):
    return {
        "head": make_user(
            "head", tree["hq"], Role.HEAD_OF_CS, first_name="部长", phone="13800000001"
        ),
        "manager": make_user("manager", tree["branch"], Role.BRANCH_MANAGER, first_name="经理"),
        "dealer_a": make_user(
            "dealer_a", tree["dealer"], Role.DEALER_STAFF, email="a@dealer.example"
        ),
        "dealer_b": make_user("dealer_b", tree["dealer2"], Role.DEALER_STAFF),
        "point": make_user("point", tree["point"], Role.SERVICE_POINT_STAFF),
        "far": make_user("far", tree["branch2"], Role.BRANCH_ENGINEER),
    }


def _usernames(html, people):
    return {name for name in people if f">{name}<" in html}


# --- staff directory -------------------------------------------------------------------------


def test_a_dealer_sees_only_its_own_units_staff(client, people):
    client.force_login(people["dealer_a"])
    html = client.get(reverse("network:staff_directory")).text
    assert _usernames(html, people) == {"dealer_a"}
    assert "a@dealer.example" in html


def test_a_branch_sees_its_subtree_and_hq_sees_everyone(client, people):
    client.force_login(people["manager"])
    html = client.get(reverse("network:staff_directory")).text
    assert _usernames(html, people) == {"manager", "dealer_a", "dealer_b", "point"}
    client.force_login(people["head"])
    html = client.get(reverse("network:staff_directory")).text
    assert _usernames(html, people) == set(people)
    assert "13800000001" in html
    assert "客服部部长" in html


def test_the_directory_searches_and_filters_by_unit_and_role(client, people, tree):
    client.force_login(people["head"])
    url = reverse("network:staff_directory")
    assert _usernames(client.get(url, {"q": "经理"}).text, people) == {"manager"}
    html = client.get(url, {"org_unit": tree["branch"].pk}).text
    assert _usernames(html, people) == {"manager", "dealer_a", "dealer_b", "point"}
    html = client.get(url, {"role": Role.DEALER_STAFF}).text
    assert _usernames(html, people) == {"dealer_a", "dealer_b"}


def test_a_dealer_cannot_filter_by_a_unit_outside_its_scope(client, people, tree):
    client.force_login(people["dealer_a"])
    response = client.get(reverse("network:staff_directory"), {"org_unit": tree["hq"].pk})
    assert response.status_code == 200
    assert _usernames(response.text, people) == {"dealer_a"}
    assert "总部</option>" not in response.text


def _next_link(html):
    """The href of the page's "下一页" link (keyset: ?after=<id>)."""
    match = re.search(r'<a class="page-link" href="([^"]+)" rel="next">', html)
    return unescape(match.group(1)) if match else None


def _shown(html):
    return re.findall(r'<span class="fw-semibold">[^<]*</span>\s*<span[^>]*>([^<]+)</span>', html)


def test_the_directory_pages_by_25_in_unit_then_account_order(client, people, tree):
    for i in range(30):
        make_user(f"tech{i:02d}", tree["branch2"], Role.TECHNICIAN)
    client.force_login(people["head"])
    url = reverse("network:staff_directory")
    html = client.get(url).text
    assert html.count('class="list-group-item"') == 25
    assert "共 36 条" in html
    first = _shown(html)
    nxt = _next_link(html)
    assert nxt.startswith("?after=")
    html = client.get(url + nxt).text
    assert html.count('class="list-group-item"') == 36 - 25
    assert _next_link(html) is None
    second = _shown(html)
    users = User.objects.filter(username__in=first + second)
    expected = [
        u.username for u in sorted(users, key=lambda u: (u.profile.org_unit.path, u.username))
    ]
    assert first + second == expected  # the tree's order, as before, with nobody twice


def test_the_directory_keeps_its_filters_across_pages(client, people, tree):
    for i in range(30):
        make_user(f"tech{i:02d}", tree["branch2"], Role.TECHNICIAN)
    client.force_login(people["head"])
    url = reverse("network:staff_directory")
    html = client.get(url, {"role": Role.TECHNICIAN}).text
    nxt = _next_link(html)
    assert "role=technician" in nxt and "after=" in nxt
    html = client.get(url + nxt).text
    assert set(_shown(html)) == {f"tech{i:02d}" for i in range(25, 30)}


def test_the_directory_runs_the_same_queries_for_5_or_50_people(
    client, tree, django_assert_max_num_queries
):
    head = make_user("head", tree["hq"], Role.HEAD_OF_CS)
    for i in range(4):
        make_user(f"p{i:02d}", tree["branch"], Role.TECHNICIAN, Role.REPAIR_SUPERVISOR)
    client.force_login(head)
    url = reverse("network:staff_directory")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    five = len(captured)  # read now: the next request clears the connection's query log
    for i in range(4, 49):
        make_user(f"p{i:02d}", tree["branch"], Role.TECHNICIAN, Role.REPAIR_SUPERVISOR)
    html = client.get(url).text
    with django_assert_max_num_queries(five + 1):  # + the cursor row's sort values
        html = client.get(url + _next_link(html)).text
    assert "p48" in html


# --- org units -----------------------------------------------------------------------------------


def _unit_links(html, tree):
    return {key for key, unit in tree.items() if f">{unit.name}</a>" in html}


def test_the_org_unit_list_is_scoped_and_filters_by_kind(client, people, tree):
    client.force_login(people["dealer_a"])
    html = client.get(reverse("network:org_units")).text
    assert _unit_links(html, tree) == {"dealer"}

    client.force_login(people["head"])
    assert _unit_links(client.get(reverse("network:org_units")).text, tree) == set(tree)
    html = client.get(reverse("network:org_units"), {"kind": OrgKind.DEALER}).text
    assert _unit_links(html, tree) == {"dealer", "dealer2"}
    html = client.get(reverse("network:org_units"), {"q": tree["point"].code}).text
    assert _unit_links(html, tree) == {"point"}


def test_the_org_unit_list_pages_in_tree_order_keeping_its_filter(
    client, people, tree, django_assert_max_num_queries
):
    for i in range(30):
        OrgUnit.objects.create(
            code=f"D{i:02d}", name=f"代理商{i:02d}", kind=OrgKind.DEALER, parent=tree["branch2"]
        )
    client.force_login(people["head"])
    url = reverse("network:org_units")
    client.get(url, {"kind": OrgKind.DEALER})  # warm: what a process reads once is not counted
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url, {"kind": OrgKind.DEALER}).text
    first_queries = len(captured)
    shown = re.findall(r'href="/network/units/(\d+)/"', html)
    nxt = _next_link(html)
    assert "kind=dealer" in nxt
    with django_assert_max_num_queries(first_queries + 1):
        html = client.get(url + nxt).text
    shown += re.findall(r'href="/network/units/(\d+)/"', html)
    assert _next_link(html) is None
    dealers = OrgUnit.objects.filter(kind=OrgKind.DEALER).order_by("path")
    assert [int(pk) for pk in shown] == list(dealers.values_list("pk", flat=True))
    assert len(shown) == 32  # the tree's two dealers and the 30 new ones, each once


def test_the_filterset_is_generic_and_limits_parent_choices_to_the_scope(people, tree, rf):
    request = rf.get("/")
    request.user = people["manager"]
    qs = OrgUnit.objects.visible_to(people["manager"])
    fs = OrgUnitFilterSet({"parent": tree["branch"].pk}, queryset=qs, request=request)
    assert set(fs.qs) == {tree["dealer"], tree["dealer2"], tree["point"]}
    fs = OrgUnitFilterSet({"parent": tree["hq"].pk}, queryset=qs, request=request)
    assert not fs.is_valid()  # HQ is outside a branch's scope
    fs = OrgUnitFilterSet({"branch_kind": "managed"}, queryset=OrgUnit.objects.all())
    assert list(fs.qs) == [tree["branch"]]


def test_the_org_unit_detail_shows_staff_children_and_prepaid_balance(client, people, tree):
    account = PrepaidAccount.objects.create(org_unit=tree["point"], balance=Decimal("1250.00"))
    PrepaidEntry.objects.create(
        account=account,
        kind=LedgerEntryKind.TOP_UP,
        amount=Decimal("1500.00"),
        balance_after=Decimal("1500.00"),
        reference="TOPUP-001",
    )
    PrepaidEntry.objects.create(
        account=account,
        kind=LedgerEntryKind.CHARGE,
        amount=Decimal("250.00"),
        balance_after=Decimal("1250.00"),
        note="激活码查询",
    )
    client.force_login(people["manager"])
    html = client.get(reverse("network:org_unit_detail", args=[tree["point"].pk])).text
    assert "1,250.00" in html
    assert "TOPUP-001" in html and "激活码查询" in html
    assert ">point<" in html  # its staff

    html = client.get(reverse("network:org_unit_detail", args=[tree["branch"].pk])).text
    assert tree["dealer"].name in html and tree["point"].name in html  # children
    assert "经理" in html  # staff
    assert "预存款" not in html  # a branch has no prepaid balance


def test_an_org_unit_outside_the_scope_is_404(client, people, tree):
    client.force_login(people["dealer_a"])
    assert (
        client.get(reverse("network:org_unit_detail", args=[tree["dealer2"].pk])).status_code == 404
    )
    assert (
        client.get(reverse("network:org_unit_detail", args=[tree["dealer"].pk])).status_code == 200
    )


def test_network_pages_need_a_login(client, tree):
    for url in (
        reverse("network:staff_directory"),
        reverse("network:org_units"),
        reverse("network:org_unit_detail", args=[tree["hq"].pk]),
    ):
        assert client.get(url).status_code == 302
