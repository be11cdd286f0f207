"""The inbound call log (issue 17 item 1, DESIGN §2.3, the seed's 呼入流程): numbers normalised
with their extensions, the caller found by number among customers, partners, registered senders
and staff, a new caller created in place, the call logged with its outcome (a follow-up, a
hand-over, a transfer), the caller's history beside the form, and the lists."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from callcenter.choices import CallCategory, CallerKind, CallOutcome, FollowUpState
from callcenter.models import CallbackRequest, Customer, FollowUp, InboundCall
from callcenter.phones import normalise_phone, split_phone
from callcenter.selectors.calls import caller_history, find_callers
from callcenter.services.calls import call_log, call_take_over
from service_ops.notifications.models import Notification

Z = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=Z)


def log(net, *, actor=None, at=MONDAY, **kw):
    data = {
        "phone": "13912345678",
        "category": CallCategory.POLICY,
        "summary": "询问保修期政策",
        "outcome": CallOutcome.ANSWERED,
    }
    data.update(kw)
    with time_machine.travel(at, tick=False):
        return call_log(actor=actor or net.agent, **data)


# --- numbers ------------------------------------------------------------------------------------


def test_numbers_keep_their_extension_apart_and_mobiles_stay_whole():
    assert split_phone("0757-2288 6000 转 8012") == ("075722886000", "8012")
    assert split_phone("0757-22886000-8012") == ("075722886000", "8012")
    assert split_phone("(010) 1234-5678 ext. 12") == ("01012345678", "12")
    assert split_phone("020 8888 1234 分机 305") == ("02088881234", "305")
    assert split_phone("020-88881234#66") == ("02088881234", "66")
    assert split_phone("+86 757 2288 6000") == ("075722886000", "")
    assert split_phone("+86 138-0000-1111") == ("13800001111", "")
    assert split_phone("138-0000-1111") == ("13800001111", "")
    assert split_phone("0757-8782 9008") == ("075787829008", "")
    assert normalise_phone("0757-2288 6000 转 8012") == "075722886000"
    # the activation senders' forms (tests/callcenter/test_activation.py) are unchanged
    assert normalise_phone("8613800001111") == "13800001111"
    assert normalise_phone("１３８ ０００ ０１１１１") == "13800001111"


def test_a_customer_keeps_its_numbers_in_normal_form(db):
    customer = Customer.objects.create(name="李", phone="0757-2288 6000 转 8012")
    assert (customer.phone, customer.phone_extension) == ("075722886000", "8012")
    customer = Customer.objects.create(
        name="赵", phone="139 0000 1111", other_phones="+86 138 1/020-1"
    )
    assert customer.other_phones == "1381,0201"


# --- finding the caller --------------------------------------------------------------------------


def test_the_caller_is_found_by_whole_number_prefix_suffix_and_other_numbers(cc):
    found = find_callers("139-1234-5678")
    assert [m.key for m in found if m.exact] == [f"customer:{cc.customer.pk}"]
    assert f"customer:{cc.customer.pk}" in [m.key for m in find_callers("1391234")]  # prefix
    assert f"customer:{cc.customer.pk}" in [m.key for m in find_callers("5678")]  # 尾号
    other = find_callers("0757 2288 6000 转 8012")
    assert other[0].key == f"customer:{cc.customer.pk}" and other[0].exact
    assert find_callers("13") == []  # too short to mean anything


def test_partners_registered_senders_and_staff_are_callers_too(cc):
    dealer = find_callers("0731-88881234")
    assert dealer[0].key == f"unit:{cc.dealer.pk}" and dealer[0].kind == CallerKind.DEALER
    assert dealer[0].exact
    point = find_callers("13700001111")
    assert point[0].key == f"unit:{cc.point.pk}"
    assert point[0].kind == CallerKind.SERVICE_POINT
    staff = find_callers("13800138000")
    assert staff[0].key == f"staff:{cc.tech.pk}" and staff[0].kind == CallerKind.STAFF


def test_several_matches_are_offered_numbered_and_exact_first(cc):
    Customer.objects.create(name="王太太", phone="13912345679")
    Customer.objects.create(name="王小明", phone="13912340000")
    found = find_callers("1391234567")
    assert len(found) >= 2
    assert found[0].exact is False or found[0].phone == "1391234567"
    exact_first = find_callers("13912345678")
    assert exact_first[0].exact and exact_first[0].name == "王先生"


@pytest.mark.django_db
def test_the_lookup_takes_a_constant_number_of_queries(cc, django_assert_max_num_queries):
    for i in range(30):
        Customer.objects.create(name=f"客户{i}", phone=f"1391234{i:04d}")
    with django_assert_max_num_queries(6):
        assert len(find_callers("1391234")) == 9


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index plans")
def test_the_customer_lookups_have_their_indexes(cc):
    from django.db.models.functions import Reverse

    def plan(qs):
        sql, params = qs.order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())

    assert "customer_phone_reversed" in plan(
        Customer.objects.annotate(r=Reverse("phone")).filter(r__startswith="8765")
    )
    assert "customer_other_phones_trgm" in plan(
        Customer.objects.filter(other_phones__contains="075722886000")
    )
    assert "_like" in plan(Customer.objects.filter(phone__startswith="1391"))


# --- logging a call -------------------------------------------------------------------------------


def test_a_call_answered_on_the_call_is_recorded_with_its_time(cc):
    started = MONDAY - timedelta(seconds=42)
    call = log(cc, caller=f"customer:{cc.customer.pk}", started_at=started, serial_number="sn-1 ")
    assert call.number.startswith("LD-202611-")
    assert call.caller_kind == CallerKind.CUSTOMER and call.customer == cc.customer
    assert call.caller_name == "王先生" and call.serial_number == "SN-1"
    assert call.seconds == 42
    assert not FollowUp.objects.filter(call=call).exists()


def test_a_new_caller_is_created_in_place(cc):
    call = log(
        cc, phone="0757-8000 1234 转 66", new_customer_name="刘女士", new_customer_city="佛山"
    )
    customer = call.customer
    assert (customer.name, customer.phone, customer.phone_extension, customer.city) == (
        "刘女士",
        "075780001234",
        "66",
        "佛山",
    )
    assert call.caller_extension == "66"
    # next time the number finds her
    assert find_callers("0757 8000 1234")[0].key == f"customer:{customer.pk}"


def test_bad_input_is_refused_by_field(cc):
    with pytest.raises(ValidationError) as err:
        log(cc, phone="abc", summary=" ", category="x", outcome=CallOutcome.FOLLOW_UP)
    assert {"phone", "summary", "category", "due_at"} <= set(err.value.message_dict)
    with pytest.raises(ValidationError) as err:
        log(cc, outcome=CallOutcome.TRANSFERRED, transfer_office=cc.dealer)
    assert "transfer_office" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        log(cc, caller="customer:999999")
    assert "caller" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        log(cc, actor=cc.clerk)
    assert InboundCall.objects.count() == 0


def test_a_call_for_the_expert_seat_asks_them_and_one_takes_it_over(cc):
    call = log(cc, category=CallCategory.QUALITY, outcome=CallOutcome.EXPERT, summary="屏幕花屏")
    note = Notification.objects.get(recipient=cc.expert, channel="in_app")
    assert note.needs_action and note.done_at is None and call.number in note.subject
    with pytest.raises(PermissionDenied):
        call_take_over(call_id=call.pk, actor=cc.complaints)
    call_take_over(call_id=call.pk, actor=cc.expert)
    note.refresh_from_db()
    assert note.done_at is not None
    with pytest.raises(ValidationError):
        call_take_over(call_id=call.pk, actor=cc.head)


def test_a_complaint_goes_to_the_complaint_team_and_the_complaint_hook(cc, monkeypatch):
    opened = []
    from service_ops import plugins

    real = plugins.call_hook

    def fake(name, /, **kwargs):
        if name == "open_complaint":
            opened.append(kwargs["source"])
            assert kwargs["content"] == kwargs["source"].summary
            return []
        return real(name, **kwargs)

    monkeypatch.setattr(plugins, "call_hook", fake)
    call = log(cc, category=CallCategory.COMPLAINT, outcome=CallOutcome.COMPLAINT_TEAM)
    assert opened == [call]
    assert Notification.objects.filter(recipient=cc.complaints, needs_action=True).exists()


def test_a_transferred_call_belongs_to_the_office_and_its_people_are_told(cc):
    call = log(cc, outcome=CallOutcome.TRANSFERRED, transfer_office=cc.office)
    assert call.org_unit == cc.office
    assert Notification.objects.filter(recipient=cc.office_man, needs_action=True).exists()
    assert InboundCall.objects.visible_to(cc.gz_manager).filter(pk=call.pk).exists()
    assert not InboundCall.objects.visible_to(cc.cs_manager).filter(pk=call.pk).exists()
    assert not InboundCall.objects.visible_to(cc.dealer_user).exists()


def test_a_follow_up_call_opens_an_assigned_follow_up(cc):
    due = MONDAY + timedelta(hours=5)
    call = log(
        cc,
        category=CallCategory.TECHNICAL,
        outcome=CallOutcome.FOLLOW_UP,
        summary="GPS 无法定位",
        assignee=cc.expert,
        due_at=due,
    )
    fu = call.follow_up
    assert fu.state == FollowUpState.ASSIGNED and fu.assignee == cc.expert
    assert fu.holder == cc.expert and fu.question == "GPS 无法定位"


# --- history ------------------------------------------------------------------------------------


def test_the_history_shows_calls_by_number_and_serial_callbacks_and_the_hook(cc, monkeypatch):
    first = log(cc, caller=f"customer:{cc.customer.pk}", serial_number="SN-9")
    other = log(cc, phone="13700009999", serial_number="SN-9", at=MONDAY + timedelta(minutes=5))
    log(cc, phone="13700008888", at=MONDAY + timedelta(minutes=6))
    # any subject will do: the history finds callbacks by their number (a content type's id is
    # not fixed — a transactional test's flush renumbers them)
    CallbackRequest.objects.create(
        subject_type=ContentType.objects.get_for_model(Customer),
        subject_id=cc.customer.pk,
        purpose="维修回访",
        contact_phone="13912345678",
    )
    from service_ops import plugins

    real = plugins.call_hook

    def fake(name, /, **kwargs):
        if name == "caller_history":
            assert kwargs["phone"] == "13912345678" and kwargs["serial"] == "SN-9"
            return [
                [
                    {"kind": "返厂申请", "label": "GPS-X1 ×1", "number": "RMA-1", "url": "/x/"},
                    {"kind": "维修单", "label": "SN-9", "number": "WX-1", "state": "维修中"},
                ]
            ]
        return real(name, **kwargs)

    monkeypatch.setattr(plugins, "call_hook", fake)
    history = caller_history(cc.agent, phone="139 1234 5678", serial="sn-9")
    assert [c.pk for c in history.calls] == [other.pk, first.pk]
    assert [c.purpose for c in history.callbacks] == ["维修回访"]
    assert [kind for kind, _items in history.groups] == ["返厂申请", "维修单"]


# --- pages --------------------------------------------------------------------------------------


def test_the_desk_logs_a_call_with_its_time_and_refuses_others(client, cc):
    client.force_login(cc.agent)
    desk = reverse("callcenter:call_desk")
    page = client.get(desk)
    assert page.status_code == 200 and "来电登记" in page.content.decode()
    started = (MONDAY - timedelta(seconds=35)).isoformat()
    with time_machine.travel(MONDAY, tick=False):
        answer = client.post(
            desk,
            {
                "phone": "139 1234 5678",
                "caller": f"customer:{cc.customer.pk}",
                "category": CallCategory.POLICY,
                "summary": "保修一年",
                "outcome": CallOutcome.ANSWERED,
                "started_at": started,
            },
        )
    assert answer.status_code == 302 and answer["Location"] == desk
    call = InboundCall.objects.get()
    assert call.seconds == 35
    bad = client.post(desk, {"phone": "139", "outcome": CallOutcome.FOLLOW_UP})
    assert bad.status_code == 400 and "请填写来电内容摘要" in bad.content.decode()
    client.force_login(cc.clerk)
    assert client.get(desk).status_code == 403
    assert client.get(reverse("callcenter:caller_lookup"), {"phone": "139"}).status_code == 403


def test_the_lookup_and_history_partials(client, cc):
    log(cc, caller=f"customer:{cc.customer.pk}")
    client.force_login(cc.agent)
    found = client.get(reverse("callcenter:caller_lookup"), {"phone": "13912345678"})
    text = found.content.decode()
    assert "王先生" in text and f'value="customer:{cc.customer.pk}"' in text and "checked" in text
    assert found["HX-Trigger"] == "caller-changed"
    history = client.get(
        reverse("callcenter:caller_history"),
        {"phone": "13912345678", "caller": f"customer:{cc.customer.pk}"},
    )
    assert "询问保修期政策" in history.content.decode()


def test_the_call_list_filters_and_searches_with_constant_queries(
    client, cc, django_assert_max_num_queries
):
    for i in range(30):
        log(
            cc,
            phone=f"1390000{i:04d}",
            serial_number=f"SN{i:04d}",
            category=CallCategory.TECHNICAL if i % 2 else CallCategory.POLICY,
            at=MONDAY + timedelta(minutes=i),
        )
    client.force_login(cc.agent)
    url = reverse("callcenter:call_list")
    with django_assert_max_num_queries(14):
        page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count("LD-202611-") == 25
    with django_assert_max_num_queries(14):
        page = client.get(url, {"category": CallCategory.TECHNICAL, "q": "1390000001"})
    text = page.content.decode()
    assert "13900000011" in text and "13900000010" not in text
    assert "SN0007" in client.get(url, {"q": "sn0007"}).content.decode()
    call = InboundCall.objects.first()
    assert client.get(reverse("callcenter:call_detail", args=[call.pk])).status_code == 200
    client.force_login(cc.dealer_user)
    assert client.get(reverse("callcenter:call_detail", args=[call.pk])).status_code == 404
    assert "LD-" not in client.get(url).content.decode()


def test_a_person_asked_to_reply_elsewhere_opens_the_call_but_the_list_stays_scoped(client, cc):
    call = log(
        cc,
        outcome=CallOutcome.FOLLOW_UP,
        assignee=cc.gz_engineer,
        due_at=MONDAY + timedelta(hours=3),
    )
    client.force_login(cc.gz_engineer)
    assert client.get(reverse("callcenter:call_detail", args=[call.pk])).status_code == 200
    assert call.number not in client.get(reverse("callcenter:call_list")).content.decode()
    mine = client.get(reverse("callcenter:follow_up_list"), {"mine": "1"}).content.decode()
    assert call.number in mine
    client.force_login(cc.cs_engineer)
    assert client.get(reverse("callcenter:call_detail", args=[call.pk])).status_code == 404


def test_a_complaint_handed_over_opens_one_in_the_complaint_closed_loop(cc):
    from complaints.models import Complaint

    call = log(
        cc,
        category=CallCategory.QUALITY,
        outcome=CallOutcome.COMPLAINT_TEAM,
        summary="同一台机器第三次返修仍不定位，要求换机",
        serial_number="SN-Q1",
    )
    complaint = Complaint.objects.get(call_ref=call.number)
    assert complaint.content == call.summary and complaint.serial_number == "SN-Q1"
    assert complaint.category == "product_quality" and complaint.channel == "call"
