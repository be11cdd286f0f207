"""Activation-code queries by SMS (issue 17 item 4, DESIGN §2.3)."""

import json
import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from callcenter.api.authentication import sign
from callcenter.choices import ActivationOutcome as O
from callcenter.models import ActivationCode, ActivationQuery, RegisteredNumber
from callcenter.phones import normalise_phone
from callcenter.services.activation import activation_query_receive, parse_query
from network.choices import LedgerEntryKind, OrgKind, Role
from network.models import OrgUnit, PrepaidAccount, PrepaidEntry
from network.services import prepaid_balance
from service_ops.notifications.models import Notification
from service_ops.notifications.sms import LocmemSmsBackend
from tests.factories import make_user, top_up

SECRET = "test-gateway-secret"
POINT_PHONE = "13800001111"
OFFICE_PHONE = "13900002222"


@pytest.fixture
def world(net, settings):
    settings.SMS_GATEWAY_SECRET = SECRET
    settings.ACTIVATION_QUERY_FEE = "30.00"
    net.office = OrgUnit.objects.create(
        code="FO-1", name="广州办事处", kind=OrgKind.FIELD_OFFICE, parent=net.gz
    )
    RegisteredNumber.objects.create(org_unit=net.point, phone="+86 138-0000-1111")
    RegisteredNumber.objects.create(org_unit=net.office, phone="0086 139 0000 2222")
    net.specialist = make_user("specialist", net.hq, Role.NETWORK_SPECIALIST)
    ActivationCode.objects.create(serial_number="sn20260001", code="7F3K-92QX", product_model="T1")
    return net


def charges(unit):
    return PrepaidEntry.objects.filter(account__org_unit=unit, kind=LedgerEntryKind.CHARGE)


def ask(message_id, text="JH SN20260001", phone=POINT_PHONE):
    return activation_query_receive(message_id=message_id, from_number=phone, text=text)


def test_phone_numbers_and_messages_are_normalised():
    assert normalise_phone("+86 138-0000-1111") == "13800001111"
    assert normalise_phone("0086 13800001111") == "13800001111"
    assert normalise_phone("8613800001111") == "13800001111"
    assert normalise_phone("１３８ ０００ ０１１１１") == "13800001111"
    assert parse_query("JH SN20260001") == (True, "SN20260001")
    assert parse_query("  jh:sn20260001 ") == (True, "SN20260001")
    assert parse_query("ＪＨ　ＳＮ２０２６０００１") == (True, "SN20260001")
    assert parse_query("激活码：SN20260001") == (True, "SN20260001")
    assert parse_query("激活 SN20260001") == (True, "SN20260001")
    assert parse_query("JH") == (True, "")
    assert parse_query("你好") == (False, "")


def test_a_complete_query_with_enough_balance_gets_the_code_and_is_charged(
    world, django_capture_on_commit_callbacks
):
    top_up(world.point, "100")
    with django_capture_on_commit_callbacks(execute=True):
        query = ask("m1", phone="+86 138 0000 1111")
    assert query.outcome == O.ANSWERED and query.sender == world.point
    assert "7F3K-92QX" in query.reply
    assert query.fee == Decimal("30.00") and query.prepaid_entry.reference == query.number
    assert prepaid_balance(org_unit=world.point) == Decimal("70.00")
    assert LocmemSmsBackend.outbox == [("+86 138 0000 1111", query.reply)]


def test_a_field_office_gets_the_code_without_a_charge(world):
    query = ask("m1", phone=OFFICE_PHONE)
    assert query.outcome == O.ANSWERED and query.sender == world.office
    assert "7F3K-92QX" in query.reply and query.fee == 0 and query.prepaid_entry is None
    assert not PrepaidEntry.objects.exists()


def test_an_insufficient_balance_gets_no_code_no_charge_and_the_specialist_is_told(
    world, django_capture_on_commit_callbacks
):
    top_up(world.point, "20")
    with django_capture_on_commit_callbacks(execute=True):
        query = ask("m1")
    assert query.outcome == O.INSUFFICIENT_BALANCE
    assert "7F3K-92QX" not in query.reply and "充值" in query.reply
    assert not charges(world.point).exists() and query.fee == 0
    assert prepaid_balance(org_unit=world.point) == Decimal("20.00")
    told = Notification.objects.filter(recipient=world.specialist)
    assert told.exists() and "充值" in told.first().subject
    assert LocmemSmsBackend.outbox == [(POINT_PHONE, query.reply)]


def test_a_point_without_any_account_is_refused_as_insufficient(world):
    query = ask("m1")
    assert query.outcome == O.INSUFFICIENT_BALANCE
    assert not PrepaidEntry.objects.exists()


@pytest.mark.parametrize("text", ["JH", "JH  ", "", "请查激活码"])
def test_an_incomplete_request_gets_a_clear_reply_and_no_charge(world, text):
    top_up(world.point, "100")
    query = ask("m1", text=text)
    assert query.outcome == O.INCOMPLETE and "JH 设备序列号" in query.reply
    assert not charges(world.point).exists()
    assert ActivationQuery.objects.count() == 1


def test_an_unknown_sender_gets_a_clear_reply_and_a_record(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        query = ask("m1", phone="13700009999")
    assert query.outcome == O.UNKNOWN_SENDER and query.sender is None
    assert "未登记" in query.reply
    assert ActivationQuery.objects.get().from_number == "13700009999"
    assert LocmemSmsBackend.outbox == [("13700009999", query.reply)]


def test_a_number_of_an_inactive_unit_is_unknown(world):
    OrgUnit.objects.filter(pk=world.office.pk).update(is_active=False)
    assert ask("m1", phone=OFFICE_PHONE).outcome == O.UNKNOWN_SENDER


def test_an_unknown_serial_is_answered_clearly_without_a_charge(world):
    top_up(world.point, "100")
    query = ask("m1", text="JH SN404")
    assert query.outcome == O.NO_SUCH_CODE and "SN404" in query.reply
    assert not charges(world.point).exists()


def test_the_same_gateway_message_twice_is_charged_once(world, django_capture_on_commit_callbacks):
    top_up(world.point, "100")
    with django_capture_on_commit_callbacks(execute=True):
        first = ask("m1")
        again = ask("m1")
    assert again.pk == first.pk and again.repeated and not first.repeated
    assert again.reply == first.reply
    assert charges(world.point).count() == 1
    assert prepaid_balance(org_unit=world.point) == Decimal("70.00")
    assert len(LocmemSmsBackend.outbox) == 1  # the repeat is not texted again


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_queries_against_a_balance_covering_ten_charge_exactly_ten(world):
    top_up(world.point, "300")
    barrier = threading.Barrier(50)
    outcomes = []

    def query(i):
        try:
            barrier.wait()
            outcomes.append(ask(f"c{i}").outcome)
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=query, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(O.ANSWERED) == 10
    assert outcomes.count(O.INSUFFICIENT_BALANCE) == 40
    assert charges(world.point).count() == 10
    assert PrepaidAccount.objects.get(org_unit=world.point).balance == Decimal("0.00")
    assert ActivationQuery.objects.filter(fee__gt=0).count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_message_pushed_concurrently_is_charged_once(world):
    top_up(world.point, "300")
    barrier = threading.Barrier(10)
    results = []

    def push():
        try:
            barrier.wait()
            results.append(ask("dup").pk)
        except Exception as exc:
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert charges(world.point).count() == 1


# --- the gateway endpoint --------------------------------------------------------------------


def push(body, *, secret=SECRET, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"HTTP_X_SMS_SIGNATURE": sign(data, secret)} if secret else {}
    return APIClient().post("/api/v1/sms/inbound", data, content_type="application/json", **headers)


def test_a_signed_push_is_answered_with_the_reply(world):
    top_up(world.point, "100")
    body = {"message_id": "g1", "from": POINT_PHONE, "text": "JH SN20260001"}
    response = push(body)
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "answered" and "7F3K-92QX" in response.json()["reply"]
    again = push(body)
    assert again.status_code == 200 and again.json()["repeated"] is True
    assert charges(world.point).count() == 1


def test_a_push_with_a_bad_or_missing_signature_is_refused(world):
    body = {"message_id": "g1", "from": POINT_PHONE, "text": "JH SN20260001"}
    assert push(body, secret="wrong").status_code == 401
    assert push(body, secret=None).status_code == 401
    assert not ActivationQuery.objects.exists()


def test_no_secret_configured_refuses_every_push(world, settings):
    settings.SMS_GATEWAY_SECRET = ""
    body = {"message_id": "g1", "from": POINT_PHONE, "text": "JH SN20260001"}
    assert push(body, secret="").status_code == 401
    assert push(body, secret="anything").status_code == 401


def test_a_malformed_body_is_a_400(world):
    assert push({"from": POINT_PHONE, "text": "JH X"}).status_code == 400
    assert push(None, raw=b"{not json").status_code == 400
    assert not ActivationQuery.objects.exists()


def test_a_partner_token_does_not_open_the_gateway(world):
    from tests.factories import bearer, issue_token

    _token, plaintext = issue_token(world.point)
    client = APIClient(**bearer(plaintext))
    response = client.post("/api/v1/sms/inbound", {"message_id": "x"}, format="json")
    assert response.status_code == 401


# --- the code import -------------------------------------------------------------------------


def test_the_import_reads_an_excel_file_and_reports_bad_rows(db, tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["设备序列号", "激活码", "产品型号"])
    sheet.append(["sn-a1", "CODE-1", "T1"])
    sheet.append([None, "CODE-2", "T1"])
    sheet.append(["SN-A3", None, "T1"])
    sheet.append(["SN-A1", "CODE-9", "T1"])
    sheet.append([None, None, None])
    sheet.append(["SN-A4", 12345, None])
    path = tmp_path / "codes.xlsx"
    book.save(path)
    out, err = StringIO(), StringIO()
    call_command("import_activation_codes", str(path), stdout=out, stderr=err)
    assert dict(ActivationCode.objects.values_list("serial_number", "code")) == {
        "SN-A1": "CODE-1",
        "SN-A4": "12345",
    }
    assert "第 3 行" in err.getvalue() and "第 4 行" in err.getvalue()
    assert "第 5 行" in err.getvalue() and "重复" in err.getvalue()
    assert "已导入 2 条" in out.getvalue()


# --- the staff page --------------------------------------------------------------------------


def test_the_specialist_sees_the_recent_queries_filtered_by_outcome(world, client):
    top_up(world.point, "100")
    answered = ask("m1")
    unknown = ask("m2", phone="13700009999")
    client.force_login(world.specialist)
    url = "/callcenter/activation-queries/"
    html = client.get(url).content.decode()
    assert answered.number in html and unknown.number in html
    html = client.get(url, {"outcome": "unknown_sender"}).content.decode()
    assert unknown.number in html and answered.number not in html
    assert client.get(url, {"outcome": "nonsense"}).status_code == 200


def test_a_dealer_may_not_open_the_query_page(world, client):
    client.force_login(world.dealer_user)
    assert client.get("/callcenter/activation-queries/").status_code == 403
