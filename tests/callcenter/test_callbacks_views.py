"""The callback screens: the agent's queue and call screen (a whole call through the forms), the
supervisors' list (bounded, constant queries) and its even assignment, installations, the report
with its Excel, 我的工作, and who may open what."""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from callcenter.choices import CallbackState
from callcenter.models import CallbackRequest, Customer
from callcenter.services import callbacks as svc
from network.choices import Role
from service_ops.work import work_of
from tests.callcenter.test_callbacks import at, ship
from tests.factories import make_user

pytestmark = pytest.mark.django_db

Z = ZoneInfo("Asia/Shanghai")
WED = datetime(2026, 11, 25, 9, 0, tzinfo=Z)


@pytest.fixture
def cc(net):
    net.agent = make_user("agent", net.hq, Role.CALL_AGENT)
    net.lead = make_user("lead", net.hq, Role.CALL_CENTRE_LEAD)
    ship(net, ("V1",), when=WED)
    net.task = CallbackRequest.objects.get()
    return net


def test_an_agent_works_a_call_from_the_queue_through_the_forms(client, cc):
    client.force_login(cc.agent)
    queue = reverse("callcenter:callback_queue")
    with time_machine.travel(at(WED, 12, 0), tick=False):
        page = client.get(queue)
        assert "现在不在拨打时段" in page.content.decode()
        assert cc.task.get_absolute_url() not in page.content.decode()
    with time_machine.travel(at(WED, 10, 5), tick=False):
        page = client.get(queue)
        assert cc.task.get_absolute_url() in page.content.decode()
        answer = client.post(reverse("callcenter:callback_take_next"))
        assert answer.status_code == 302 and answer["Location"] == cc.task.get_absolute_url()
        screen = client.get(cc.task.get_absolute_url()).content.decode()
        assert "记录第 1 次拨打" in screen and "请问您是王经理先生/女士吗" in screen
        assert "V1" in screen  # the repair order's serial, from the subject summary
        url = reverse("callcenter:callback_call", args=[cc.task.pk])
        bad = client.post(url, {"attempts": 0, "result": "reached"})
        assert bad.status_code == 400 and "有效回访须填写满意度" in bad.content.decode()
        done = client.post(
            url,
            {"attempts": 0, "result": "reached", "is_valid": "1", "satisfaction": "5"},
        )
        assert done.status_code == 302
    cc.task.refresh_from_db()
    assert cc.task.state == CallbackState.DONE and cc.task.satisfaction == 5


def test_a_dealer_and_another_branch_never_see_a_callback(client, cc):
    gz_manager = cc.gz_manager
    for user, status in ((cc.dealer_user, 404), (gz_manager, 404)):
        client.force_login(user)
        assert client.get(cc.task.get_absolute_url()).status_code == status
    client.force_login(cc.cs_manager)  # the branch's own manager reads its department's
    assert client.get(cc.task.get_absolute_url()).status_code == 200
    client.force_login(cc.dealer_user)
    assert client.get(reverse("callcenter:callback_list")).status_code == 403
    assert client.get(reverse("callcenter:callback_queue")).status_code == 403


def test_the_supervisors_list_is_bounded_and_assigns_evenly(
    client, cc, django_assert_max_num_queries
):
    for i in range(30):
        customer = Customer.objects.create(name=f"客户{i}", phone=f"1370000{i:04d}")
        svc.callback_create(
            subject=customer,
            purpose="supervisor_list",
            contact_name=customer.name,
            contact_phone=customer.phone,
            at=WED,
        )
    client.force_login(cc.lead)
    url = reverse("callcenter:callback_list")
    client.get(url)  # warm the per-process caches
    with django_assert_max_num_queries(25):
        first = client.get(url + "?purpose=supervisor_list&state=open")
    body = first.content.decode()
    assert first.status_code == 200 and body.count('name="ids"') == 25
    with django_assert_max_num_queries(25):
        deeper = client.get(
            url + "?purpose=supervisor_list&after=" + str(first.context["page"].next_after)
        )
    assert deeper.status_code == 200
    agent2 = make_user("agent2", cc.hq, Role.CALL_AGENT)
    answer = client.post(
        reverse("callcenter:callback_assign"),
        {"purpose": "supervisor_list", "state": "open", "all": "1"},
    )
    assert answer.status_code == 302
    load = svc.open_load([cc.agent.pk, agent2.pk])
    assert load[cc.agent.pk] == load[agent2.pk] == 15
    client.force_login(cc.agent)
    assert client.post(reverse("callcenter:callback_assign"), {"all": "1"}).status_code == 403


def test_installations_are_entered_and_listed(client, cc):
    client.force_login(cc.agent)
    url = reverse("callcenter:installation_create")
    assert client.get(url).status_code == 200
    future = client.post(
        url,
        {
            "customer_name": "钱先生",
            "customer_phone": "13811112222",
            "product_model": "GPS-X1",
            "installed_on": "2099-01-01",
        },
    )
    assert future.status_code == 400 and "安装日期不能晚于今天" in future.content.decode()
    ok = client.post(
        url,
        {
            "customer_name": "钱先生",
            "customer_phone": "13811112222",
            "product_model": "GPS-X1",
            "installed_on": "2026-11-01",
        },
    )
    assert ok.status_code == 302
    listing = client.get(reverse("callcenter:installation_list") + "?q=13811112222")
    assert "钱先生" in listing.content.decode()


def test_the_report_and_its_excel(client, cc):
    now = at(WED, 10, 5)
    svc.callback_take(task_id=cc.task.pk, agent=cc.agent, now=now)
    svc.callback_record_call(
        task_id=cc.task.pk,
        actor=cc.agent,
        call=svc.CallInput(result="reached", satisfaction=2, comments="慢"),
        now=now,
    )
    client.force_login(cc.head)
    params = "?start=2026-11-01&end=2026-11-30"
    page = client.get(reverse("callcenter:callback_report") + params)
    body = page.content.decode()
    assert page.status_code == 200 and "返修机发回回访" in body and "2026-11" in body
    report = page.context["report"]
    assert report.total.reached == 1 and report.total.dissatisfied == 1
    xlsx = client.get(reverse("callcenter:callback_report_xlsx") + params)
    assert xlsx.status_code == 200
    sheet = load_workbook(BytesIO(xlsx.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert rows[0][0] == "返修机发回回访" and rows[0][2] == 1
    client.force_login(cc.dealer_user)
    assert client.get(reverse("callcenter:callback_report")).status_code == 403


def test_my_work_lists_the_agents_callbacks_with_when_they_may_be_called(cc):
    items = work_of(cc.agent, now=at(WED, 12, 0)).items
    (item,) = [i for i in items if i.kind == "callcenter.callbacks"]
    assert item.url == cc.task.get_absolute_url() and "14:30" in item.note
    (item,) = [
        i for i in work_of(cc.agent, now=at(WED, 10, 5)).items if i.kind == "callcenter.callbacks"
    ]
    assert item.note == "现在可拨打"
    assert not [i for i in work_of(cc.dealer_user, now=WED).items if "回访" in i.what]
