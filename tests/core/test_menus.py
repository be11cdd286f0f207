"""Every page a person's menu offers opens for them, and the pages each role works in are in
its menu (issue 15, item 18: the review, the board, the statements and the loaners were
missing for the repair supervisor; arrivals, penalties and the happy fund for everybody)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from network.selectors import roles_of
from service_ops.templatetags.service_ops_tags import main_nav

pytestmark = pytest.mark.django_db

PEOPLE = [
    "head", "clerk", "keeper", "tech", "repair_sup", "marketing", "gz_engineer", "gz_cs_sup",
    "gz_manager", "cs_engineer", "cs_manager", "hn_manager", "gd_manager", "dealer_user",
]  # fmt: skip


def menu_of(user) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    return [item["url"] for item in main_nav({"request": request, "my_roles": roles_of(user)})]


def test_every_menu_entry_opens_for_whoever_sees_it(client, net):
    for name in PEOPLE:
        user = getattr(net, name)
        client.force_login(user)
        for url in menu_of(user):
            assert client.get(url).status_code == 200, (name, url)


@pytest.mark.parametrize(
    ("person", "pages"),
    [
        ("repair_sup", ["review_list", "order_board", "statement_list", "loaner_list"]),
        ("clerk", ["arrival_list", "review_list", "statement_list", "loaner_list"]),
        ("keeper", ["arrival_list"]),
        ("head", ["arrival_list", "penalty_list", "happy_fund"]),
        ("cs_manager", ["penalty_list", "statement_list"]),
        # returned stock (呆滞/退货产品): the filer, the clerk, the workshop
        ("marketing", ["returned_stock_list"]),
        ("clerk", ["returned_stock_list", "task_order_list"]),
        ("repair_sup", ["returned_stock_list", "task_order_list"]),
    ],
)
def test_each_role_finds_its_pages_in_the_menu(net, person, pages):
    menu = menu_of(getattr(net, person))
    assert [p for p in pages if reverse(f"repairs:{p}") not in menu] == []


def test_occasional_pages_go_under_more_so_the_menu_stays_one_row(client, net):
    client.force_login(net.head)
    page = client.get(reverse("my_work")).content.decode()
    more = page[page.index('class="dropdown-menu', page.index("更多")) :]
    more = more[: more.index("</ul>")]
    assert reverse("repairs:ranking") in more and reverse("repairs:happy_fund") in more
    assert reverse("repairs:return_list") not in more


def _bar_of(user, language):
    from django.utils import translation

    request = RequestFactory().get("/")
    request.user = user
    with translation.override(language):
        items = main_nav({"request": request, "my_roles": roles_of(user)})
        items = [{**i, "label": str(i["label"])} for i in items]
    return [i["label"] for i in items if not i["more"]], items


@pytest.mark.parametrize(("language", "bar"), [("zh-hans", 6), ("en", 3)])
def test_a_person_with_every_role_keeps_one_menu_row(net, language, bar):
    """The head of customer service sees every app: the entries that do not fit beside the brand
    on a 1,200 px bar go under 更多 rather than wrapping the bar onto more rows, and English
    labels, being wider, leave room for fewer (measured on screenshots: 6 and 3 fit)."""
    row, items = _bar_of(net.head, language)
    assert len(row) == bar < len(items)
    # the overflow takes the later entries: everything on the bar precedes what it pushed out
    last_on_bar = [i["label"] for i in items].index(row[-1])
    assert all(item["more"] for item in items[last_on_bar + 1 :])


def test_entries_that_fit_all_stay_on_the_bar(net, monkeypatch):
    from service_ops import plugins
    from service_ops.plugins import NavItem

    declared = (
        NavItem("my_work", "我的工作", "bi-list"),
        NavItem("inbox", "通知", "bi-bell"),
        NavItem("sla_dashboard", "SLA 看板", "bi-speedometer"),
        NavItem("calendar", "工作日历", "bi-calendar", more=True),
    )
    monkeypatch.setattr(plugins, "nav_items", lambda: declared)
    row, items = _bar_of(net.tech, "zh-hans")
    assert row == ["我的工作", "通知", "SLA 看板"]
    assert [i["label"] for i in items if i["more"]] == ["工作日历"]


def test_on_a_phone_the_entries_the_bar_has_no_room_for_stay_in_the_list(client, net):
    """Below the desktop width the menu opens as a list with room for all: an entry pushed
    under 更多 by the bar's width is drawn there too (hidden on a desktop), and 更多 keeps only
    the pages declared occasional."""
    _row, items = _bar_of(net.head, "zh-hans")
    pushed = [i for i in items if i["overflow"]]
    assert pushed
    client.force_login(net.head)
    page = client.get(reverse("my_work")).content.decode()
    for entry in pushed:
        url = entry["url"]
        assert f'<li class="nav-item d-xl-none">\n      <a class="nav-link" href="{url}"' in page
        assert f'<li class="d-none d-xl-block"><a class="dropdown-item" href="{url}"' in page
