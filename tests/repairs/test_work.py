"""我的工作 from repairs' providers: every waiting task reaches the person who must act, with a
one-click link, on the demo data; the API gives the same counts."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from service_ops.work import work_of

User = get_user_model()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data once for the module, rolled back afterwards (each test runs in a savepoint
    inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", "--quiet")
        yield
        transaction.set_rollback(True)


def _kinds(username):
    work = work_of(User.objects.get(username=username))
    return work, {name: count for name, _label, count in work.kinds}


# (demo login, provider, what the entry says) — one line per provider
PROVIDERS = [
    ("gz_cs_sup", "repairs.signatures", "第 1 步"),
    ("hn_manager", "repairs.signatures", "第 2 步"),
    ("gz_engineer", "repairs.rejected", "返厂申请被驳回"),
    ("cs_dealer", "repairs.quotes", "维修报价待确认"),
    ("head_cs", "repairs.penalties", "未经申请返厂"),
    ("gz_manager", "repairs.statements", "月结对账单待签字"),
    ("dispatcher", "repairs.statement_settlement", "月结对账单待划账"),
    ("repair_sup", "repairs.reviews", "超期评审待决定"),
    ("repair_sup", "repairs.overdue", "超期未修"),
    ("technician", "timers", ""),
    ("logistics", "timers", "发送报价"),
]


@pytest.mark.parametrize(("username", "provider", "says"), PROVIDERS)
def test_each_provider_puts_its_waiting_task_in_the_right_persons_work(
    demo, db, client, username, provider, says
):
    work, kinds = _kinds(username)
    assert kinds.get(provider, 0) >= 1, kinds
    item = next(i for i in work.items if i.kind == provider and says in i.what)
    assert item.since is not None and item.url
    client.force_login(User.objects.get(username=username))
    page = client.get(reverse("my_work"), {"kind": provider}).text
    assert item.what in page and item.url in page
    # one click to where it is done (a timer's page forwards to its owner's)
    assert client.get(item.url, follow=True).status_code == 200


def test_the_shippers_quote_entry_carries_the_consent_timer(demo, db):
    work, _ = _kinds("cs_dealer")
    quote = next(i for i in work.items if i.kind == "repairs.quotes")
    assert quote.deadline is not None and quote.due_at == quote.deadline.due_at
    assert quote.left is None  # worked out for a shown page only
    (shown,) = work.page(1, kind="repairs.quotes").object_list
    assert shown is quote and quote.left is not None


def test_a_rejected_application_says_why(demo, db):
    work, _ = _kinds("gz_engineer")
    entry = next(i for i in work.items if i.kind == "repairs.rejected")
    assert "出厂编号与保修卡不符" in entry.note
    assert entry.url.endswith("/edit/")


def test_nobody_gets_another_persons_tasks(demo, db):
    assert "repairs.statements" not in _kinds("cs_manager")[1]  # Changsha has no statement
    assert "repairs.statements" not in _kinds("hz_manager")[1]  # Hangzhou's is signed
    assert "repairs.statement_settlement" not in _kinds("finance")[1]  # the dispatcher's
    assert "repairs.quotes" not in _kinds("cd_dealer")[1]  # another dealer's quote
    assert "repairs.penalties" not in _kinds("logistics")[1]
    assert "repairs.overdue" not in _kinds("technician")[1]


@pytest.mark.parametrize(
    "username", ["repair_sup", "gz_manager", "head_cs", "gz_engineer", "cs_dealer", "logistics"]
)
def test_the_api_gives_the_same_counts_as_the_page(demo, db, client, username):
    user = User.objects.get(username=username)
    work = work_of(user)
    client.force_login(user)
    body = client.get("/api/v1/my-work/").json()
    assert body["total"] == work.total
    assert body["counts"] == work.counts
    assert {k["name"]: k["count"] for k in body["kinds"]} == {n: c for n, _l, c in work.kinds}
    assert [r["what"] for r in body["results"]] == [i.what for i in work.items[:25]]
    html = client.get(reverse("my_work")).text
    if len(work.kinds) > 1:  # one kind needs no tabs
        for name, _label, _count in work.kinds:
            assert f'href="?kind={name}"' in html
    assert f"{work.total} 项待办" in html


def test_the_api_filters_and_refuses_an_unknown_group(demo, db, client):
    client.force_login(User.objects.get(username="repair_sup"))
    body = client.get("/api/v1/my-work/", {"kind": "repairs.overdue"}).json()
    assert body["count"] == 1 and body["results"][0]["group"] == "overdue"
    assert client.get("/api/v1/my-work/", {"show": "someday"}).status_code == 400


def test_a_partner_token_reads_its_work(demo, db, client):
    from network.management.commands.load_demo import demo_token

    body = client.get("/api/v1/my-work/", HTTP_AUTHORIZATION=f"Bearer {demo_token()}").json()
    assert [k["name"] for k in body["kinds"]] == ["repairs.quotes"]
