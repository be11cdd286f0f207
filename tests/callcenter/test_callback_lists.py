"""Supervisors' callback lists (专项回访名单, issue 17 item 3): a customer on many lists (never
twice on one), the filters, the limit, the timers made in bulk, the even hand-out to the agents on
shift, and the pages (form, htmx preview, create → the filtered callback list, the lists with
their progress in constant queries)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from callcenter.choices import CallbackPurpose, CallbackState
from callcenter.models import CallbackList, CallbackRequest, Customer, Installation
from callcenter.plugin import CALLBACK_KIND
from callcenter.services import callbacks as cb
from callcenter.services import lists as svc
from network.choices import Role
from service_ops.deadlines.models import Deadline, DeadlineLog
from tests.factories import make_user

pytestmark = pytest.mark.django_db

Z = ZoneInfo("Asia/Shanghai")
WED = datetime(2026, 11, 25, 9, 0, tzinfo=Z)


@pytest.fixture
def cc(net):
    net.agent = make_user("agent", net.hq, Role.CALL_AGENT)
    net.agent2 = make_user("agent2", net.hq, Role.CALL_AGENT)
    net.lead = make_user("lead", net.hq, Role.CALL_CENTRE_LEAD)
    return net


def customers(n, *, unit=None, city="", prefix="137"):
    return [
        Customer.objects.create(
            name=f"客户{prefix}{i}", phone=f"{prefix}0000{i:04d}", org_unit=unit, city=city
        )
        for i in range(n)
    ]


def build(cc, **kw):
    kw.setdefault("actor", cc.lead)
    kw.setdefault("name", "专项回访")
    kw.setdefault("at", WED)
    kw.setdefault("assign", False)
    return svc.callback_list_build(**kw)


def test_a_customer_can_be_on_a_second_list_but_never_twice_on_one(cc):
    (one,) = customers(1, city="广州")
    first = build(cc, name="第一季度", filters={"city": "广州"}).callback_list
    second = build(cc, name="第二季度", filters={"city": "广州"}).callback_list
    assert first.size == second.size == 1
    tasks = CallbackRequest.objects.filter(customer=one, purpose=CallbackPurpose.SUPERVISOR_LIST)
    assert {t.batch_id for t in tasks} == {first.pk, second.pk}
    task = tasks.get(batch=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        CallbackRequest.objects.create(
            subject_type=task.subject_type,
            subject_id=task.subject_id,
            purpose=CallbackPurpose.SUPERVISOR_LIST,
            batch=first,
        )
    # every other purpose stays once per subject
    ct = ContentType.objects.get_for_model(Customer)
    CallbackRequest.objects.create(subject_type=ct, subject_id=one.pk, purpose="field_visit")
    with pytest.raises(IntegrityError), transaction.atomic():
        CallbackRequest.objects.create(subject_type=ct, subject_id=one.pk, purpose="field_visit")
    # callback_create keeps a list task to its list (idempotent per list and subject)
    again, created = cb.callback_create(
        subject=one, purpose=CallbackPurpose.SUPERVISOR_LIST, at=WED, batch=first
    )
    assert not created and again.pk == task.pk
    with pytest.raises(ValueError):
        cb.callback_create(subject=one, purpose=CallbackPurpose.SUPERVISOR_LIST, at=WED)


def test_the_limit_refuses_and_says_how_many_matched(cc):
    customers(5, city="长沙")
    with pytest.raises(ValidationError) as refused:
        build(cc, filters={"city": "长沙"}, limit=4)
    assert "5 位" in str(refused.value) and "4 位" in str(refused.value)
    assert not CallbackList.objects.exists() and not CallbackRequest.objects.exists()
    with pytest.raises(ValidationError, match="没有符合条件的客户"):
        build(cc, filters={"city": "北京"})
    with pytest.raises(ValidationError):
        build(cc, name=" ", filters={"city": "长沙"})
    assert build(cc, filters={"city": "长沙"}, limit=5).callback_list.size == 5


def test_the_filters_choose_the_customers(cc):
    gz = customers(3, unit=cc.gz, city="广州", prefix="135")
    cs = customers(2, unit=cc.cs, city="长沙", prefix="136")
    (no_phone,) = customers(1, unit=cc.gz, city="广州", prefix="139")
    Customer.objects.filter(pk=no_phone.pk).update(phone="")
    Installation.objects.create(
        customer=gz[0], product_model="GPS-X1", installed_on=date(2026, 3, 1)
    )
    Installation.objects.create(
        customer=gz[1], product_model="GPS-X1", installed_on=date(2025, 3, 1)
    )
    Installation.objects.create(
        customer=cs[0], product_model="GPS-Z3", installed_on=date(2026, 3, 1)
    )

    def chosen(**filters):
        qs = svc.customers_for(cc.lead, svc.ListFilters.from_dict(filters), at=WED)
        return set(qs.values_list("pk", flat=True))

    assert chosen(org_unit=cc.gd.pk) == {c.pk for c in gz}  # the subtree, with a phone
    assert chosen(org_unit=cc.gd.pk, has_phone=False) == {c.pk for c in gz} | {no_phone.pk}
    assert chosen(city="长沙") == {c.pk for c in cs}
    assert chosen(product_model="gps-x1") == {gz[0].pk, gz[1].pk}
    assert chosen(product_model="GPS-X1", installed_from="2026-01-01") == {gz[0].pk}
    assert chosen(installed_to=date(2025, 12, 31)) == {gz[1].pk}
    # surveyed (reached) 40 days ago: out with 60 days, in with 30; the rules' 30 always hold
    ct = ContentType.objects.get_for_model(Customer)
    CallbackRequest.objects.create(
        subject_type=ct,
        subject_id=gz[2].pk,
        purpose="field_visit",
        customer=gz[2],
        reached_at=WED - timedelta(days=40),
    )
    CallbackRequest.objects.filter(customer=gz[2]).update(state=CallbackState.DONE)
    assert gz[2].pk not in chosen(city="广州", not_surveyed_days=60)
    assert gz[2].pk in chosen(city="广州", not_surveyed_days=10)
    CallbackRequest.objects.filter(customer=gz[2]).update(reached_at=WED - timedelta(days=20))
    assert gz[2].pk not in chosen(city="广州", not_surveyed_days=10)
    with pytest.raises(ValidationError):
        svc.ListFilters.from_dict({"installed_from": "2026-02-01", "installed_to": "2026-01-01"})
    # a branch's supervisor chooses among its own subtree's customers only
    gz_sup = make_user("gz_sup", cc.gz, Role.SUPERVISOR)
    mine = svc.customers_for(gz_sup, svc.ListFilters(), at=WED)
    assert set(mine.values_list("pk", flat=True)) == {c.pk for c in gz} - {gz[2].pk}
    with pytest.raises(PermissionDenied):
        svc.callback_list_build(actor=cc.agent, name="x", filters={}, at=WED)


def test_each_task_gets_its_timer_as_the_engine_would_start_it(cc):
    customers(4, city="广州")
    the_list = build(cc, filters={"city": "广州"}, note="春节前回访").callback_list
    tasks = list(the_list.tasks.order_by("pk"))
    assert len(tasks) == 4 and all(t.state == CallbackState.PENDING for t in tasks)
    ct = ContentType.objects.get_for_model(CallbackRequest)
    timers = {d.owner_id: d for d in Deadline.objects.filter(owner_type=ct, kind=CALLBACK_KIND)}
    assert set(timers) == {t.pk for t in tasks}
    first = timers[tasks[0].pk]
    for task in tasks:
        d = timers[task.pk]
        assert task.due_at == d.due_at == first.due_at
        assert (d.policy_id, d.started_at, d.warn_at, d.next_action_at, d.status) == (
            first.policy_id,
            first.started_at,
            first.warn_at,
            first.next_action_at,
            first.status,
        )
        assert task.contact_name in d.label and task.deadline == d
    assert DeadlineLog.objects.filter(deadline__in=timers.values()).count() == 4
    assert all(t.customer_id and t.org_unit_id is None for t in tasks)


def test_a_list_is_handed_evenly_to_the_agents_on_shift(cc):
    customers(7, city="广州")
    result = build(cc, filters={"city": "广州"}, assign=True)
    # an unrostered day: every call agent is on shift (the lead is not rostered, so not given)
    assert result.assigned == 7 and sorted(result.given.values()) == [3, 4]
    load = cb.open_load([cc.agent.pk, cc.agent2.pk, cc.lead.pk])
    assert sorted(load.values()) == [0, 3, 4]
    ct = ContentType.objects.get_for_model(CallbackRequest)
    for task in result.callback_list.tasks.all():
        assert task.state == CallbackState.ASSIGNED
        timer = Deadline.objects.get(owner_type=ct, owner_id=task.pk)
        assert timer.assignee_id == task.assignee_id


def test_the_form_previews_creates_and_lands_on_the_filtered_callback_list(client, cc):
    customers(3, unit=cc.gz, city="广州")
    customers(25, unit=cc.cs, city="长沙", prefix="136")
    client.force_login(cc.lead)
    assert client.get(reverse("callcenter:callback_list_new")).status_code == 200
    preview = client.get(
        reverse("callcenter:callback_list_preview"), {"city": "长沙", "has_phone": "on"}
    )
    body = preview.content.decode()
    assert preview.status_code == 200 and "符合条件的客户 25 位" in body
    assert body.count("<tr>") == 21  # the header and the first 20
    bad = client.get(
        reverse("callcenter:callback_list_preview"),
        {"installed_from": "2026-02-01", "installed_to": "2026-01-01"},
    )
    assert "结束日期不能早于开始日期" in bad.content.decode()
    unnamed = client.post(reverse("callcenter:callback_list_new"), {"city": "广州"})
    assert unnamed.status_code == 400 and "请填写名单名称" in unnamed.content.decode()
    made = client.post(
        reverse("callcenter:callback_list_new"),
        {
            "name": "广州客户回访",
            "note": "问问新功能",
            "city": "广州",
            "has_phone": "on",
            "assign": "on",
        },
    )
    the_list = CallbackList.objects.get()
    assert made.status_code == 302
    assert made["Location"] == reverse("callcenter:callback_list") + f"?batch={the_list.pk}"
    page = client.get(made["Location"]).content.decode()
    assert "广州客户回访" in page and page.count('name="ids"') <= 3
    assert page.count("HF") >= 3
    task = the_list.tasks.first()
    screen = client.get(task.get_absolute_url()).content.decode()
    assert "问问新功能" in screen
    client.force_login(cc.agent)
    assert client.get(reverse("callcenter:callback_lists")).status_code == 403
    assert client.get(reverse("callcenter:callback_list_new")).status_code == 403
    assert client.get(reverse("callcenter:callback_list_preview")).status_code == 403


def test_the_lists_page_shows_progress_in_constant_queries(
    client, cc, django_assert_max_num_queries
):
    customers(3, city="广州")
    for i in range(30):
        build(cc, name=f"名单{i}", filters={"city": "广州"})
    done = CallbackRequest.objects.filter(batch__name="名单29").order_by("pk").first()
    CallbackRequest.objects.filter(pk=done.pk).update(state=CallbackState.DONE)
    client.force_login(cc.lead)
    url = reverse("callcenter:callback_lists")
    client.get(url)  # warm the per-process caches
    with django_assert_max_num_queries(15) as first_ctx:
        first = client.get(url)
    body = first.content.decode()
    assert first.status_code == 200 and body.count("名单2") >= 1
    assert "未完成 2 · 已回访 1 · 未联系上 0" in body
    with django_assert_max_num_queries(len(first_ctx.captured_queries)):
        deeper = client.get(url + "?after=" + str(first.context["page"].next_after))
    assert deeper.status_code == 200 and "名单0" in deeper.content.decode()
    assert "名单1" in client.get(url + "?q=名单1").content.decode()
    # a branch's supervisor sees none of headquarters' lists
    client.force_login(make_user("gz_sup", cc.gz, Role.SUPERVISOR))
    assert "名单1" not in client.get(url).content.decode()
