"""The network specialist's activation-code pages (issue 17 item 4, the rest): registered
numbers, the code store and its browser import, prepaid balances and top-ups."""

import threading
import uuid
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import Workbook

from callcenter.choices import ActivationOutcome as O
from callcenter.models import ActivationCode, PrepaidTopUp, RegisteredNumber
from callcenter.services.activation import activation_query_receive
from callcenter.services.codes import activation_codes_import
from callcenter.services.prepaid import prepaid_top_up
from network.choices import LedgerEntryKind, OrgKind, Role
from network.models import OrgUnit, PrepaidEntry
from network.services import prepaid_balance
from service_ops.audit import history_for
from service_ops.notifications.models import Notification
from tests.factories import make_user, top_up

NUMBERS = "/callcenter/numbers/"


@pytest.fixture
def world(net, settings):
    settings.ACTIVATION_QUERY_FEE = "30.00"
    net.office = OrgUnit.objects.create(
        code="FO-1", name="广州办事处", kind=OrgKind.FIELD_OFFICE, parent=net.gz
    )
    net.specialist = make_user("specialist", net.hq, Role.NETWORK_SPECIALIST)
    ActivationCode.objects.create(serial_number="SN20260001", code="7F3K-92QX")
    return net


@pytest.fixture
def specialist(client, world):
    client.force_login(world.specialist)
    return client


def errors_of(response) -> str:
    return response.content.decode()


# --- registered numbers ----------------------------------------------------------------------


def test_the_specialist_registers_a_number_which_then_identifies_the_sender(specialist, world):
    response = specialist.post(
        NUMBERS + "new/",
        {"org_unit": world.point.pk, "phone": "+86 138-0000-1111", "note": "站长"},
    )
    assert response.status_code == 302, errors_of(response)
    number = RegisteredNumber.objects.get()
    assert (number.phone, number.org_unit, number.note) == ("13800001111", world.point, "站长")
    html = specialist.get(NUMBERS).content.decode()
    assert "13800001111" in html and world.point.name in html
    top_up(world.point, "100")
    query = activation_query_receive(
        message_id="m1", from_number="13800001111", text="JH SN20260001"
    )
    assert query.outcome == O.ANSWERED and query.sender == world.point
    # audited with its actor
    [row] = history_for(number)
    assert row.actor == world.specialist


@pytest.mark.parametrize(
    "phone, unit, message",
    [
        ("12345", "point", "请填写 11 位手机号码"),
        ("", "point", "该字段是必填项"),
        ("13800001111", "dealer", "选择一个有效的选项"),  # a dealer is not offered
        ("13900002222", "point", "该号码已登记给 广州办事处"),
    ],
)
def test_a_bad_number_is_refused_with_a_chinese_error(specialist, world, phone, unit, message):
    RegisteredNumber.objects.create(org_unit=world.office, phone="13900002222")
    response = specialist.post(
        NUMBERS + "new/", {"org_unit": getattr(world, unit).pk, "phone": phone}
    )
    assert response.status_code == 400
    assert message in errors_of(response)
    assert RegisteredNumber.objects.count() == 1


def test_the_service_refuses_a_dealer_and_an_inactive_unit(world):
    from django.core.exceptions import ValidationError

    from callcenter.services.numbers import registered_number_create

    with pytest.raises(ValidationError) as refused:
        registered_number_create(actor=world.specialist, org_unit=world.dealer, phone="13800001111")
    assert "只能为驻外办事处或特约维修网点登记号码" in str(refused.value)
    OrgUnit.objects.filter(pk=world.office.pk).update(is_active=False)
    world.office.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        registered_number_create(actor=world.specialist, org_unit=world.office, phone="13800001111")
    assert "该组织已停用" in str(refused.value)


def test_edit_deactivate_and_reactivate_are_audited(specialist, world):
    number = RegisteredNumber.objects.create(org_unit=world.point, phone="13800001111")
    response = specialist.post(
        f"{NUMBERS}{number.pk}/edit/",
        {"org_unit": world.office.pk, "phone": "138 0000 1112", "note": "换号"},
    )
    assert response.status_code == 302, errors_of(response)
    number.refresh_from_db()
    assert (number.org_unit, number.phone) == (world.office, "13800001112")
    assert specialist.post(f"{NUMBERS}{number.pk}/deactivate/").status_code == 302
    number.refresh_from_db()
    assert not number.is_active
    query = activation_query_receive(
        message_id="m1", from_number="13800001112", text="JH SN20260001"
    )
    assert query.outcome == O.UNKNOWN_SENDER
    specialist.post(f"{NUMBERS}{number.pk}/deactivate/")  # again: nothing changes
    assert specialist.post(f"{NUMBERS}{number.pk}/reactivate/").status_code == 302
    number.refresh_from_db()
    assert number.is_active
    rows = list(history_for(number))  # newest first
    assert len(rows) == 4  # created, edited, deactivated, reactivated (the repeat wrote nothing)
    assert {row.actor for row in rows[:3]} == {world.specialist}
    assert "13800001112" in str(rows[2].changes) and "is_active" in str(rows[1].changes)


def test_the_list_filters_by_unit_kind_state_and_search(specialist, world):
    RegisteredNumber.objects.create(org_unit=world.point, phone="13800001111", note="前台")
    RegisteredNumber.objects.create(org_unit=world.office, phone="13900002222")
    RegisteredNumber.objects.create(org_unit=world.office, phone="13900003333", is_active=False)

    def shown(**params):
        html = specialist.get(NUMBERS, params).content.decode()
        return {p for p in ("13800001111", "13900002222", "13900003333") if p in html}

    assert shown() == {"13800001111", "13900002222", "13900003333"}
    assert shown(unit=world.point.pk) == {"13800001111"}
    assert shown(kind="field_office") == {"13900002222", "13900003333"}
    assert shown(active="0") == {"13900003333"}
    assert shown(q="0000 1111") == {"13800001111"}
    assert shown(q="前台") == {"13800001111"}
    assert shown(q="广州办事处") == {"13900002222", "13900003333"}
    assert specialist.get(NUMBERS, {"unit": "x", "active": "9"}).status_code == 200


def test_the_number_list_costs_the_same_queries_for_5_and_60_rows(
    specialist, world, django_assert_max_num_queries
):
    def fill(n, start):
        RegisteredNumber.objects.bulk_create(
            RegisteredNumber(org_unit=world.point, phone=f"1380000{start + i:04d}")
            for i in range(n)
        )

    fill(5, 0)
    with django_assert_max_num_queries(12) as few:
        assert specialist.get(NUMBERS).status_code == 200
    fill(55, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert specialist.get(NUMBERS).status_code == 200


@pytest.mark.parametrize("who", ["dealer_user", "gz_manager", "head"])
def test_only_the_specialist_and_the_head_manage_numbers(client, world, who):
    number = RegisteredNumber.objects.create(org_unit=world.point, phone="13800001111")
    client.force_login(getattr(world, who))
    expected = 200 if who == "head" else 403
    assert client.get(NUMBERS).status_code == expected
    assert client.get(NUMBERS + "new/").status_code == expected
    assert client.get(f"{NUMBERS}{number.pk}/edit/").status_code == expected
    if who != "head":
        assert client.post(f"{NUMBERS}{number.pk}/deactivate/").status_code == 403
        assert RegisteredNumber.objects.get().is_active


# --- the code store --------------------------------------------------------------------------


def xlsx(rows) -> SimpleUploadedFile:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(
        "codes.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def import_file(client, upload, capture):
    """Upload as the staff page does; the worker's task runs at the commit (eager Celery)."""
    with capture(execute=True):
        response = client.post("/callcenter/codes/import/", {"file": upload})
    assert response.status_code == 302, response.content
    return client.get(response["Location"])


def test_the_browser_import_shows_the_row_by_row_report(
    specialist, world, django_capture_on_commit_callbacks
):
    upload = xlsx(
        [
            ["设备序列号", "激活码", "产品型号"],
            ["sn-a1", "CODE-1", "T1"],
            [None, "CODE-2", "T1"],
            ["SN-A3", None, "T1"],
            ["SN-A1", "CODE-9", "T1"],
            [None, None, None],
            ["SN20260001", "NEW-CODE", None],
        ]
    )
    page = import_file(specialist, upload, django_capture_on_commit_callbacks)
    assert page.status_code == 200
    html = page.content.decode()
    job = page.context["job"]
    assert job.is_finished and not job.failure
    assert (job.rows_done, job.created, job.updated, job.error_count) == (5, 1, 1, 3)
    assert [row for row, _reason in page.context["errors"]] == [3, 4, 5]
    assert "缺少设备序列号" in html and "缺少激活码" in html and "重复" in html
    assert 'hx-trigger="every 2s"' not in html  # finished: no more polling
    assert ActivationCode.objects.get(serial_number="SN20260001").code == "NEW-CODE"
    assert ActivationCode.objects.get(serial_number="SN-A1").code == "CODE-1"
    # the reasons are stored as deferred texts: read in English, they are English
    specialist.cookies["django_language"] = "en"
    assert (
        "缺少设备序列号"
        not in specialist.get(f"/callcenter/codes/import/{job.pk}/").content.decode()
    )
    # the code store lists the import
    assert "codes" in specialist.get("/callcenter/codes/").content.decode()


def test_a_file_without_the_columns_or_not_excel_is_refused(
    specialist, world, django_capture_on_commit_callbacks
):
    page = import_file(
        specialist, xlsx([["序列号", "码"], ["A", "B"]]), django_capture_on_commit_callbacks
    )
    assert page.context["job"].failure and "表头须包含" in page.content.decode()
    bad = SimpleUploadedFile("codes.xlsx", b"not a workbook")
    page = import_file(specialist, bad, django_capture_on_commit_callbacks)
    assert "无法读取文件" in page.content.decode()
    text = SimpleUploadedFile("codes.csv", b"a,b")
    response = specialist.post("/callcenter/codes/import/", {"file": text})
    assert response.status_code == 400 and "请上传 Excel" in response.content.decode()
    assert ActivationCode.objects.count() == 1


def test_a_running_import_shows_its_progress_and_polls(specialist, world, tmp_path, settings):
    from callcenter.models import ActivationCodeImport

    settings.MEDIA_ROOT = tmp_path
    job = ActivationCodeImport.objects.create(file_name="big.xlsx", created_by=world.specialist)
    html = specialist.get(f"/callcenter/codes/import/{job.pk}/").content.decode()
    assert "等待导入" in html and 'hx-trigger="every 2s"' in html
    ActivationCodeImport.objects.filter(pk=job.pk).update(
        started_at=job.created_at, rows_total=50_000, rows_done=12_000
    )
    partial = specialist.get(f"/callcenter/codes/import/{job.pk}/", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and "12000 / 约 50000 行" in body and 'aria-valuenow="24"' in body


def test_a_worker_imports_in_committed_batches_and_only_one_claims_it(world, tmp_path, settings):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from callcenter.models import ActivationCodeImport
    from callcenter.services.codes import code_import_run

    settings.MEDIA_ROOT = tmp_path
    rows = [["设备序列号", "激活码"]] + [[f"BULK{i:06d}", f"C{i}"] for i in range(2_500)]
    job = ActivationCodeImport(file_name="bulk.xlsx")
    job.file.save("bulk.xlsx", ContentFile(xlsx(rows).read()), save=True)
    assert code_import_run(import_id=job.pk) is True
    job.refresh_from_db()
    assert (job.rows_total, job.rows_done, job.created, job.error_count) == (2500, 2500, 2500, 0)
    assert job.is_finished and job.percent == 100
    assert code_import_run(import_id=job.pk) is False  # finished: nobody runs it again
    running = ActivationCodeImport.objects.create(
        file_name="busy.xlsx", started_at=job.created_at, heartbeat_at=timezone.now()
    )
    assert code_import_run(import_id=running.pk) is False  # another worker is on it


def test_a_large_import_is_batched_and_reports_progress(db):
    seen = []
    rows = [("设备序列号", "激活码")] + [(f"BULK{i:06d}", f"C{i}") for i in range(2_500)]
    report = activation_codes_import(rows=rows, progress=lambda r: seen.append(r.rows))
    assert (report.rows, report.created, report.updated, report.errors) == (2_500, 2_500, 0, [])
    assert seen == [1_000, 2_000, 2_500]
    again = activation_codes_import(rows=rows[:11], commit_each_batch=True)
    assert (again.created, again.updated) == (0, 10)


def test_imports_nobody_runs_are_handed_to_a_worker_again(world, tmp_path, settings):
    from datetime import timedelta

    import time_machine
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from callcenter.models import ActivationCodeImport
    from callcenter.services.codes import code_import_resume

    settings.MEDIA_ROOT = tmp_path
    waiting = ActivationCodeImport(file_name="lost-nudge.xlsx")
    waiting.file.save("a.xlsx", ContentFile(xlsx([["设备序列号", "激活码"], ["R1", "X"]]).read()))
    stale = ActivationCodeImport(file_name="killed.xlsx")
    stale.file.save("b.xlsx", ContentFile(xlsx([["设备序列号", "激活码"], ["R2", "Y"]]).read()))
    now = timezone.now()
    ActivationCodeImport.objects.filter(pk=stale.pk).update(
        started_at=now, heartbeat_at=now, rows_done=1
    )
    assert code_import_resume(now=now) == 0  # too fresh: maybe just being nudged
    with time_machine.travel(now + timedelta(minutes=11), tick=False):
        assert code_import_resume() == 2  # eager Celery: run at once
    assert set(
        ActivationCode.objects.filter(serial_number__in=["R1", "R2"]).values_list(
            "serial_number", flat=True
        )
    ) == {"R1", "R2"}
    assert not ActivationCodeImport.objects.filter(finished_at__isnull=True).exists()


def test_the_code_search_finds_a_serial_as_typed(specialist, world):
    ActivationCode.objects.create(serial_number="SN20269999", code="OTHER")
    ActivationCode.objects.create(serial_number="XY1", code="XY")
    html = specialist.get("/callcenter/codes/", {"serial": "ｓｎ２０２６"}).content.decode()
    assert "7F3K-92QX" in html and "OTHER" in html and "XY1" not in html
    html = specialist.get("/callcenter/codes/", {"serial": "sn20260001"}).content.decode()
    assert "7F3K-92QX" in html and "OTHER" not in html


# --- prepaid balances and top-ups ------------------------------------------------------------


def top_up_url(unit):
    return f"/callcenter/prepaid/{unit.pk}/top-up/"


def test_the_specialist_records_a_top_up_with_its_bank_reference(specialist, world):
    top_up(world.point, "20")
    page = specialist.get(top_up_url(world.point))
    key = page.context["form"]["form_key"].value()
    data = {"amount": "500.00", "bank_reference": "ICBC-0042", "note": "", "form_key": key}
    response = specialist.post(top_up_url(world.point), data)
    assert response.status_code == 302
    assert response["Location"] == f"/callcenter/prepaid/{world.point.pk}/"
    assert prepaid_balance(org_unit=world.point) == Decimal("520.00")
    entry = PrepaidEntry.objects.filter(kind=LedgerEntryKind.TOP_UP).latest("id")
    assert (entry.reference, entry.created_by) == ("ICBC-0042", world.specialist)
    assert PrepaidTopUp.objects.get().entry == entry
    # the same form submitted again (a double click, a reload): nothing posted twice
    again = specialist.post(top_up_url(world.point), data, follow=True)
    assert "重复提交未再次入账" in again.content.decode()
    assert prepaid_balance(org_unit=world.point) == Decimal("520.00")
    # the same transfer entered from a fresh form
    fresh = dict(data, form_key=str(uuid.uuid4()))
    response = specialist.post(top_up_url(world.point), fresh)
    assert response.status_code == 400
    assert "该银行流水号已为本单位入账" in response.content.decode()
    ledger = specialist.get(f"/callcenter/prepaid/{world.point.pk}/").content.decode()
    assert "ICBC-0042" in ledger and "520.00" in ledger


@pytest.mark.parametrize(
    "amount, reference, message",
    [
        ("0", "R1", "确保该值大于或等于0.01"),
        ("12.345", "R1", "确认小数不超过 2 位"),
        ("abc", "R1", "输入一个数字"),
        ("100", "", "该字段是必填项"),
    ],
)
def test_a_bad_top_up_is_refused_in_chinese(specialist, world, amount, reference, message):
    data = {"amount": amount, "bank_reference": reference, "form_key": str(uuid.uuid4())}
    response = specialist.post(top_up_url(world.point), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PrepaidEntry.objects.exists()


def test_a_top_up_form_without_its_key_is_refused(specialist, world):
    data = {"amount": "100", "bank_reference": "R1"}
    response = specialist.post(top_up_url(world.point), data)
    assert response.status_code == 400 and "表单已失效" in response.content.decode()


@pytest.mark.parametrize("who", ["dealer_user", "gz_manager"])
def test_nobody_else_tops_up_or_reads_a_ledger(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get("/callcenter/prepaid/").status_code == 403
    assert client.get(f"/callcenter/prepaid/{world.point.pk}/").status_code == 403
    data = {"amount": "100", "bank_reference": "R1", "form_key": str(uuid.uuid4())}
    assert client.post(top_up_url(world.point), data).status_code == 403
    assert not PrepaidEntry.objects.exists()


def test_a_unit_without_an_account_kind_has_no_prepaid_page(specialist, world):
    assert specialist.get(f"/callcenter/prepaid/{world.office.pk}/").status_code == 404
    assert specialist.get(top_up_url(world.gz)).status_code == 404


def test_the_insufficient_balance_notice_links_to_the_top_up_page(world):
    RegisteredNumber.objects.create(org_unit=world.point, phone="13800001111")
    activation_query_receive(message_id="m1", from_number="13800001111", text="JH SN20260001")
    notice = Notification.objects.filter(recipient=world.specialist).first()
    assert notice.url == top_up_url(world.point)


def test_the_unit_list_shows_balances_and_filters_the_low_ones(specialist, world):
    top_up(world.point, "20")
    top_up(world.dealer, "500")
    html = specialist.get("/callcenter/prepaid/").content.decode()
    assert world.point.name in html and world.dealer.name in html and "500.00" in html
    html = specialist.get("/callcenter/prepaid/", {"low": "1"}).content.decode()
    assert world.point.name in html and world.dealer.name not in html
    assert world.dealer2.name in html  # no account yet
    html = specialist.get("/callcenter/prepaid/", {"kind": "dealer", "q": "湘江"}).content.decode()
    assert world.dealer.name in html and world.point.name not in html


def test_the_ledger_costs_the_same_queries_for_3_and_80_entries(
    specialist, world, django_assert_max_num_queries
):
    url = f"/callcenter/prepaid/{world.point.pk}/"
    for _i in range(3):
        top_up(world.point, "10", actor=world.specialist)
    with django_assert_max_num_queries(14) as few:
        assert specialist.get(url).status_code == 200
    for _i in range(77):
        top_up(world.point, "10", actor=world.specialist)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert specialist.get(url).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert specialist.get("/callcenter/prepaid/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_form_submitted_ten_times_at_once_posts_one_top_up(world):
    key = uuid.uuid4()
    barrier = threading.Barrier(10)
    results = []

    def submit():
        try:
            barrier.wait()
            top_up_row, created = prepaid_top_up(
                actor=world.specialist,
                org_unit=world.point,
                amount=Decimal("100.00"),
                bank_reference="ABC-1",
                form_key=key,
            )
            results.append((top_up_row.pk, created))
        except Exception as exc:
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r[0] for r in results if isinstance(r, tuple)}) == 1, results
    assert sum(1 for r in results if r[1] is True) == 1
    assert prepaid_balance(org_unit=world.point) == Decimal("100.00")
    assert PrepaidEntry.objects.count() == 1
