"""Browser pages of return applications: create and submit from the form, sign from the queue,
the logistics board and its forms, visibility (404) and permissions (403), the printable form, the
list's filters and query count, unauthorised arrivals and penalties, returned stock, the ranking."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from repairs.choices import ApplicationState, PenaltyState, StepState
from repairs.models import (
    HappyFundEntry,
    ReturnApplication,
    UnauthorisedArrival,
)
from repairs.services import returns as rma
from service_ops.deadlines.models import Deadline, DeadlineStatus
from tests.factories import header, lines, sign_all
from tests.factories import pending_step as pending

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- helpers -----------------------------------------------------------------------------------


def submitted(net, *serials, applicant=None, **kw):
    applicant = applicant or net.gz_engineer
    app = rma.rma_create(applicant=applicant, header=header(**kw), lines=lines(*serials))
    rma.rma_submit(application_id=app.pk, actor=applicant)
    app.refresh_from_db()
    return app


def approved(net, *serials, **kw):
    app = submitted(net, *serials, **kw)
    return sign_all(app, net.gz_cs_sup, net.gz_manager, net.head)


def picked_up(net, *serials):
    app = approved(net, *serials)
    rma.rma_book_pickup(
        application_id=app.pk,
        actor=net.clerk,
        pickup_date=timezone.localdate(),
        driver_name="李师傅",
    )
    rma.rma_record_pickup(
        application_id=app.pk,
        actor=net.clerk,
        counted_units=len(serials),
        shipper_count=len(serials),
    )
    return app


def form_data(action="submit", rows=(), **header_values):
    data = {
        "contact_name": "王工",
        "contact_phone": "13900000000",
        "pickup_address": "广州市天河区",
        "shipping_method": "logistics",
        "freight_terms": "prepaid",
        "remarks": "",
        "action": action,
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    data.update(header_values)
    for i, row in enumerate(rows):
        values = {
            "product_model": "GPS-X1",
            "serial_number": "",
            "quantity": "1",
            "purchase_date": "",
            "has_warranty_card": "on",
            "has_proof_of_purchase": "on",
            "has_seller_stamp": "on",
            "fault_description": "不开机",
        }
        values.update(row)
        data.update({f"lines-{i}-{k}": v for k, v in values.items() if v is not None})
    return data


def detail_url(app):
    return reverse("repairs:return_detail", args=[app.pk])


# --- create, edit, submit, withdraw ------------------------------------------------------------


def test_an_engineer_creates_and_submits_an_application_from_the_phone_form(client, net):
    client.force_login(net.gz_engineer)
    page = client.get(reverse("repairs:return_create"))
    assert page.status_code == 200
    assert "保存草稿" in page.content.decode() and "提交审批" in page.content.decode()
    assert 'name="dealer"' not in page.content.decode()  # an operating branch has no dealer

    response = client.post(
        reverse("repairs:return_create"),
        form_data(
            "submit",
            [
                {"serial_number": "SN-1", "purchase_date": "2026-01-05"},
                {"serial_number": "SN-2", "has_seller_stamp": None, "fault_description": "花屏"},
            ],
        ),
    )
    app = ReturnApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(app)
    assert app.state == ApplicationState.IN_APPROVAL and app.applicant == net.gz_engineer
    got = list(app.lines.values_list("serial_number", "has_seller_stamp", "purchase_date"))
    assert got == [("SN-1", True, date(2026, 1, 5)), ("SN-2", False, None)]

    detail = client.get(detail_url(app)).content.decode()
    assert "第 1 / 3 步" in detail
    assert "驻外客服主管" in detail and "剩余" in detail  # the pending step's time left


def test_a_draft_is_saved_then_edited_and_submitted_from_its_page(client, net):
    client.force_login(net.dealer_user)
    response = client.post(
        reverse("repairs:return_create"), form_data("draft", [{"serial_number": "D-1"}])
    )
    app = ReturnApplication.objects.get()
    assert response.status_code == 302 and app.state == ApplicationState.DRAFT
    assert app.dealer == net.dealer and app.platform == "managed"

    edit = client.get(reverse("repairs:return_edit", args=[app.pk]))
    assert edit.status_code == 200 and "D-1" in edit.content.decode()
    data = form_data("draft", [{"serial_number": "D-1"}, {"serial_number": "D-2"}])
    data["lines-INITIAL_FORMS"] = "1"
    client.post(reverse("repairs:return_edit", args=[app.pk]), data)
    assert sorted(app.lines.values_list("serial_number", flat=True)) == ["D-1", "D-2"]

    client.post(reverse("repairs:return_submit", args=[app.pk]))
    app.refresh_from_db()
    assert app.state == ApplicationState.IN_APPROVAL
    assert pending(app).role == "local_engineer"


def test_invalid_input_shows_the_errors_in_place_and_keeps_what_was_typed(client, net):
    client.force_login(net.gz_engineer)
    response = client.post(
        reverse("repairs:return_create"),
        form_data(
            "submit",
            [
                {"product_model": "GPS-Z9", "serial_number": "KEEP-ME", "fault_description": ""},
                {"serial_number": "TWO", "quantity": "2"},
            ],
            contact_phone="",
            contact_name="王工程师",
        ),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert not ReturnApplication.objects.exists()
    assert "该字段是必填项" in body
    assert "有出厂编号的明细数量必须为 1" in body
    assert 'value="王工程师"' in body and 'value="GPS-Z9"' in body and 'value="KEEP-ME"' in body


def test_an_application_with_no_line_is_refused_with_a_message(client, net):
    client.force_login(net.gz_engineer)
    response = client.post(reverse("repairs:return_create"), form_data("submit", []))
    assert response.status_code == 400
    assert "至少填写一台返修机" in response.content.decode()
    assert not ReturnApplication.objects.exists()


def test_adding_a_row_keeps_the_data_with_or_without_htmx(client, net):
    client.force_login(net.gz_engineer)
    row = client.get(reverse("repairs:return_line_row"), {"lines-TOTAL_FORMS": "3"}, **HTMX)
    body = row.content.decode()
    assert 'name="lines-3-product_model"' in body
    assert 'id="id_lines-TOTAL_FORMS"' in body and 'value="4"' in body and "hx-swap-oob" in body

    response = client.post(
        reverse("repairs:return_create"),
        form_data("add_line", [{"product_model": "GPS-Q7", "fault_description": ""}]),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-1-product_model"' in body and 'value="GPS-Q7"' in body
    assert "invalid-feedback" not in body  # adding a row is not a save
    assert not ReturnApplication.objects.exists()


def test_only_submitters_may_open_the_create_form(client, net):
    client.force_login(net.clerk)
    assert client.get(reverse("repairs:return_create")).status_code == 403


def test_the_applicant_withdraws_with_a_reason(client, net):
    app = submitted(net, "W1")
    client.force_login(net.gz_engineer)
    url = reverse("repairs:return_withdraw", args=[app.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "撤回原因" in response.content.decode()
    client.post(url, {"reason": "客户自行处理"})
    app.refresh_from_db()
    assert app.state == ApplicationState.WITHDRAWN
    response = client.post(url, {"reason": "再撤一次"}, follow=True)
    assert "此操作在当前状态下不允许" in response.content.decode()


def test_a_rejected_application_is_edited_and_resubmitted(client, net):
    app = submitted(net, "R1")
    rma.rma_decide(step_id=pending(app).pk, actor=net.gz_cs_sup, approve=False, comment="照片不清")
    client.force_login(net.gz_engineer)
    detail = client.get(detail_url(app)).content.decode()
    assert "照片不清" in detail and "重新提交" in detail
    client.post(reverse("repairs:return_submit", args=[app.pk]))
    app.refresh_from_db()
    assert app.state == ApplicationState.IN_APPROVAL and app.round == 2
    detail = client.get(detail_url(app)).content.decode()
    assert "第 1 次提交的审批记录" in detail


# --- signing --------------------------------------------------------------------------------------


def test_an_approver_approves_from_the_queue_with_one_tap(client, net):
    app = submitted(net, "A1")
    client.force_login(net.gz_cs_sup)
    queue = client.get(reverse("repairs:signature_queue")).content.decode()
    assert app.number in queue and "第 1 / 3 步" in queue and "剩余" in queue
    # what the approver decides on: freight terms, the warranty reading, the attachments
    assert "运费发货方自付" in queue and "无附件" in queue
    assert "无购买日期" in queue or "购于" in queue
    assert "有保修卡" in queue or "无保修卡" in queue

    step = pending(app)
    response = client.post(
        reverse("repairs:step_decide", args=[step.pk]), {"decision": "approve"}, **HTMX
    )
    assert response.status_code == 200 and "已同意" in response.content.decode()
    step.refresh_from_db()
    assert step.state == StepState.APPROVED and step.decided_by == net.gz_cs_sup
    assert pending(app).role == "branch_manager"
    assert app.number not in client.get(reverse("repairs:signature_queue")).content.decode()


def test_the_queue_runs_the_same_number_of_queries_for_2_and_6_steps(client, net):
    client.force_login(net.gz_cs_sup)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("repairs:signature_queue")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        submitted(net, f"S{i}")
    few = count_queries()
    for i in range(2, 6):
        submitted(net, f"S{i}", f"T{i}")
    assert count_queries() == few


def test_a_rejection_needs_a_reason_and_nothing_changes_without_one(client, net):
    app = submitted(net, "A1")
    step = pending(app)
    client.force_login(net.gz_cs_sup)
    url = reverse("repairs:step_decide", args=[step.pk])

    plain = client.post(url, {"decision": "reject", "comment": " "})
    assert plain.status_code == 400 and "驳回时请填写原因" in plain.content.decode()
    card = client.post(url, {"decision": "reject", "comment": ""}, **HTMX)
    assert card.status_code == 200 and "驳回时请填写原因" in card.content.decode()
    step.refresh_from_db()
    assert step.state == StepState.PENDING

    response = client.post(
        url, {"decision": "reject", "comment": "序列号不清", "next": detail_url(app)}
    )
    assert response.status_code == 302 and response["Location"] == detail_url(app)
    app.refresh_from_db()
    assert app.state == ApplicationState.REJECTED and app.reject_reason == "序列号不清"


def test_a_signer_sees_the_buttons_on_the_detail_page_and_others_do_not(client, net):
    app = submitted(net, "A1")
    client.force_login(net.gz_cs_sup)
    assert (
        reverse("repairs:step_decide", args=[pending(app).pk])
        in client.get(detail_url(app)).content.decode()
    )
    client.force_login(net.gz_manager)
    assert (
        reverse("repairs:step_decide", args=[pending(app).pk])
        not in client.get(detail_url(app)).content.decode()
    )


def test_a_non_signer_gets_403_on_the_approve_post(client, net):
    app = submitted(net, "A1")
    step = pending(app)
    client.force_login(net.gz_manager)  # the branch manager signs step 2, not step 1
    response = client.post(reverse("repairs:step_decide", args=[step.pk]), {"decision": "approve"})
    assert response.status_code == 403
    step.refresh_from_db()
    assert step.state == StepState.PENDING


def test_signing_a_step_twice_says_it_is_not_allowed_now(client, net):
    app = submitted(net, "A1")
    step = pending(app)
    client.force_login(net.gz_cs_sup)
    url = reverse("repairs:step_decide", args=[step.pk])
    client.post(url, {"decision": "approve"})
    again = client.post(url, {"decision": "approve"}, follow=True)
    assert "此操作在当前状态下不允许" in again.content.decode()
    card = client.post(url, {"decision": "approve"}, **HTMX)
    assert "此操作在当前状态下不允许" in card.content.decode()


# --- visibility -----------------------------------------------------------------------------------


def test_another_dealer_gets_404_on_a_dealers_application(client, net):
    app = submitted(net, "V1", applicant=net.dealer_user)
    step = pending(app)
    client.force_login(net.dealer2_user)
    for name in ("return_detail", "return_edit", "return_print"):
        assert client.get(reverse(f"repairs:{name}", args=[app.pk])).status_code == 404
    assert client.post(reverse("repairs:return_withdraw", args=[app.pk])).status_code == 404
    decide = reverse("repairs:step_decide", args=[step.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    assert app.number not in client.get(reverse("repairs:return_list")).content.decode()
    client.force_login(net.dealer_user)
    assert client.get(detail_url(app)).status_code == 200


# --- logistics ------------------------------------------------------------------------------------


def test_the_clerks_board_shows_each_column_with_its_count(client, net):
    approved(net, "B1")
    approved(net, "B2")
    picked_up(net, "B3")
    client.force_login(net.clerk)
    body = client.get(reverse("repairs:logistics_board")).content.decode()
    assert "已批准，待约提货" in body and "已提货，待收货" in body
    assert body.count("安排提货</a>") == 2 and body.count("收货登记</a>") == 1
    client.force_login(net.dealer_user)
    assert client.get(reverse("repairs:logistics_board")).status_code == 403


def test_the_board_cards_escape_what_the_applicant_typed(client, net):
    """The board's cards are written in Python (repairs/markup/returns.py)."""
    app = approved(net, "E1")
    ReturnApplication.objects.filter(pk=app.pk).update(
        contact_name="<b>王</b>", contact_phone='139" onclick="x', pickup_address="合肥 <i>路</i>"
    )
    client.force_login(net.clerk)
    body = client.get(reverse("repairs:logistics_board")).content.decode()
    assert "&lt;b&gt;王&lt;/b&gt;" in body and "<b>王</b>" not in body
    assert 'href="tel:139&quot; onclick=&quot;x"' in body and "合肥 &lt;i&gt;路&lt;/i&gt;" in body
    book = reverse("repairs:return_book_pickup", args=[app.pk])
    assert f'href="{book}?next=/repairs/logistics/"' in body


def test_booking_a_cash_on_delivery_shipment_shows_the_services_message(client, net):
    app = approved(net, "C1")
    ReturnApplication.objects.filter(pk=app.pk).update(freight_terms="collect")  # a legacy row
    client.force_login(net.clerk)
    response = client.post(
        reverse("repairs:return_book_pickup", args=[app.pk]),
        {"pickup_date": timezone.localdate().isoformat(), "driver_name": "李师傅"},
    )
    assert response.status_code == 400
    assert "到付一律拒收" in response.content.decode()
    assert 'value="李师傅"' in response.content.decode()
    app.refresh_from_db()
    assert app.state == ApplicationState.APPROVED


def test_booking_and_counting_through_the_forms(client, net):
    app = approved(net, "K1", "K2")
    client.force_login(net.clerk)
    client.post(
        reverse("repairs:return_book_pickup", args=[app.pk]),
        {
            "pickup_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "driver_name": "李师傅",
            "driver_phone": "13700000000",
            "vehicle_plate": "粤A12345",
        },
    )
    app.refresh_from_db()
    assert app.state == ApplicationState.PICKUP_BOOKED and app.vehicle_plate == "粤A12345"
    response = client.post(
        reverse("repairs:return_record_pickup", args=[app.pk]),
        {"counted_units": "1", "shipper_count": "2"},
        follow=True,
    )
    app.refresh_from_db()
    assert app.state == ApplicationState.PICKED_UP
    assert "提货数量不符" in response.content.decode()
    client.force_login(net.gz_engineer)
    assert (
        client.post(
            reverse("repairs:return_record_pickup", args=[app.pk]),
            {"counted_units": "2", "shipper_count": "2"},
        ).status_code
        == 403
    )


def test_a_receipt_with_a_missing_unit_and_a_wrong_serial_shows_both_discrepancies(client, net):
    app = picked_up(net, "A1", "A2", "A3")
    client.force_login(net.clerk)
    response = client.post(
        reverse("repairs:return_receive", args=[app.pk]),
        {"units": "A1\r\nZZ9\r\n", "freight_terms": "prepaid"},
        follow=True,
    )
    body = response.content.decode()
    app.refresh_from_db()
    assert app.state == ApplicationState.RECEIVED and app.has_discrepancies
    assert "缺少机器" in body and "GPS-X1 A3" in body
    assert "序列号不符" in body and "GPS-X1 ZZ9" in body

    client.post(reverse("repairs:return_close", args=[app.pk]))
    app.refresh_from_db()
    assert app.state == ApplicationState.CLOSED


def test_a_receipt_on_cash_on_delivery_is_refused_and_can_be_redone(client, net):
    app = picked_up(net, "A1")
    client.force_login(net.keeper)
    url = reverse("repairs:return_receive", args=[app.pk])
    refused = client.post(url, {"units": "A1", "freight_terms": "collect"})
    assert refused.status_code == 400 and "到付一律拒收" in refused.content.decode()
    client.post(url, {"units": "GPS-X1 A1", "freight_terms": "prepaid"})
    app.refresh_from_db()
    assert app.state == ApplicationState.RECEIVED and not app.has_discrepancies


def test_a_bare_serial_needs_a_model_when_the_application_has_several(client, net):
    app = rma.rma_create(
        applicant=net.gz_engineer,
        header=header(),
        lines=[*lines("X1", model="GPS-X1"), *lines("Y1", model="GPS-Y2")],
    )
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    sign_all(app, net.gz_cs_sup, net.gz_manager, net.head)
    rma.rma_book_pickup(
        application_id=app.pk, actor=net.clerk, pickup_date=timezone.localdate(), driver_name="李"
    )
    rma.rma_record_pickup(application_id=app.pk, actor=net.clerk, counted_units=2, shipper_count=2)
    client.force_login(net.clerk)
    response = client.post(
        reverse("repairs:return_receive", args=[app.pk]),
        {"units": "X1\nNEW9", "freight_terms": "prepaid"},
    )
    assert response.status_code == 400
    assert "请写成“型号 序列号”" in response.content.decode()
    client.post(
        reverse("repairs:return_receive", args=[app.pk]),
        {"units": "X1\nGPS-Y2 Y1", "freight_terms": "prepaid"},
    )
    app.refresh_from_db()
    assert app.state == ApplicationState.RECEIVED and not app.has_discrepancies


# --- printable form, attachments ----------------------------------------------------------------


def test_the_printable_form_shows_the_lines_and_the_signatures(client, net):
    net.gz_manager.first_name = "建国"
    net.gz_manager.last_name = "陈"
    net.gz_manager.save()
    app = approved(net, "P1", "P2")
    client.force_login(net.gz_engineer)
    response = client.get(reverse("repairs:return_print", args=[app.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "返修机返厂申请表" in body and app.number in body
    assert "广州分公司" in body and "P1" in body and "P2" in body
    assert "分公司经理" in body and "head" in body and "@media print" in body
    assert "size: A4" in body


def test_the_printable_form_of_a_draft_shows_the_chains_empty_boxes(client, net):
    app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("P1"))
    client.force_login(net.gz_engineer)
    body = client.get(reverse("repairs:return_print", args=[app.pk])).content.decode()
    assert "驻外客服主管" in body and "客服部部长" in body


def test_attachments_accept_images_and_pdfs_up_to_ten_megabytes(client, net, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    app = submitted(net, "F1")
    client.force_login(net.gz_engineer)
    url = reverse("repairs:attachment_upload", args=[app.pk])
    pdf = SimpleUploadedFile("proof.pdf", b"%PDF-1.4\n...", content_type="application/pdf")
    assert client.post(url, {"file": pdf}).status_code == 302
    exe = SimpleUploadedFile("virus.exe", b"MZ...", content_type="application/octet-stream")
    assert client.post(url, {"file": exe}).status_code == 400
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4", content_type="image/jpeg")
    assert "文件内容与扩展名不符" in client.post(url, {"file": fake}).content.decode()
    big = SimpleUploadedFile(
        "big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024), content_type="image/png"
    )
    assert "文件不能超过 10 MB" in client.post(url, {"file": big}).content.decode()
    (attachment,) = app.attachments.all()
    download = client.get(reverse("repairs:attachment_download", args=[app.pk, attachment.pk]))
    assert download.status_code == 200
    client.force_login(net.dealer2_user)
    assert (
        client.get(reverse("repairs:attachment_download", args=[app.pk, attachment.pk])).status_code
        == 404
    )


# --- list ---------------------------------------------------------------------------------------


def test_the_list_filters_by_state_and_overdue(client, net):
    draft = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("L1"))
    late = submitted(net, "L2")
    on_time = submitted(net, "L3")
    Deadline.objects.filter(owner_id=pending(late).pk, kind=rma.APPROVAL_STEP_KIND).update(
        status=DeadlineStatus.BREACHED
    )
    client.force_login(net.head)
    url = reverse("repairs:return_list")

    def numbers(**params):
        body = client.get(url, params).content.decode()
        return {a.number for a in (draft, late, on_time) if a.number in body}

    assert numbers() == {draft.number, late.number, on_time.number}
    assert numbers(state="draft") == {draft.number}
    assert numbers(state="in_approval") == {late.number, on_time.number}
    assert numbers(overdue="true") == {late.number}
    assert numbers(overdue="false") == {draft.number, on_time.number}
    assert numbers(q="L3") == {on_time.number}
    assert numbers(q=draft.number) == {draft.number}


def test_the_list_filters_by_province_branch_dealer_and_date(client, net):
    gz = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("G1"))
    cs = rma.rma_create(applicant=net.dealer_user, header=header(), lines=lines("C1"))
    client.force_login(net.head)
    url = reverse("repairs:return_list")

    def numbers(**params):
        body = client.get(url, params).content.decode()
        return {a.number for a in (gz, cs) if a.number in body}

    assert numbers(province=net.hn.pk) == {cs.number}
    assert numbers(branch=net.gz.pk) == {gz.number}
    assert numbers(dealer=net.dealer.pk) == {cs.number}
    today = timezone.localdate()
    assert numbers(created_from=today.isoformat(), created_to=today.isoformat()) == {
        gz.number,
        cs.number,
    }
    assert numbers(created_from=(today + timedelta(days=1)).isoformat()) == set()


@pytest.mark.parametrize("user_attr", ["head", "gz_cs_sup"])
def test_the_list_runs_the_same_number_of_queries_for_5_and_30_rows(client, net, user_attr):
    client.force_login(getattr(net, user_attr))
    url = reverse("repairs:return_list")

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for i in range(5):
        submitted(net, f"Q{i}")
    few = count_queries()
    for i in range(5, 30):
        rma.rma_create(
            applicant=net.gz_engineer, header=header(), lines=lines(f"Q{i}", "X" + str(i))
        )
    many = count_queries()
    assert many == few, (few, many)
    assert few <= 20, few


def test_the_list_query_count_is_bounded(client, net, django_assert_max_num_queries):
    for i in range(30):
        rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines(f"Q{i}"))
    client.force_login(net.head)
    with django_assert_max_num_queries(20):
        body = client.get(reverse("repairs:return_list")).content.decode()
    assert "共 30 条" in body and 'rel="next"' in body


# --- unauthorised arrivals, penalties, happy fund ----------------------------------------------


def test_a_clerk_records_an_arrival_and_the_head_confirms_within_the_range(client, net):
    client.force_login(net.clerk)
    response = client.post(
        reverse("repairs:arrival_create"),
        {"shipper_unit": net.gz.pk, "units": "2", "description": "2 台 GPS-X1"},
    )
    arrival = UnauthorisedArrival.objects.get()
    assert response.status_code == 302 and response["Location"] == arrival.get_absolute_url()
    (penalty,) = arrival.penalties.all()
    page = client.get(arrival.get_absolute_url()).content.decode()
    assert (
        "分公司经理" in page and reverse("repairs:penalty_confirm", args=[penalty.pk]) not in page
    )

    client.force_login(net.head)
    page = client.get(arrival.get_absolute_url()).content.decode()
    assert reverse("repairs:penalty_confirm", args=[penalty.pk]) in page
    out_of_range = client.post(
        reverse("repairs:penalty_confirm", args=[penalty.pk]), {f"p{penalty.pk}-amount": "600"}
    )
    assert out_of_range.status_code == 400
    assert "金额须在 200" in out_of_range.content.decode()
    client.post(
        reverse("repairs:penalty_confirm", args=[penalty.pk]), {f"p{penalty.pk}-amount": "300"}
    )
    penalty.refresh_from_db()
    arrival.refresh_from_db()
    assert penalty.state == PenaltyState.CONFIRMED and arrival.state == "penalties_confirmed"
    fund = client.get(reverse("repairs:happy_fund")).content.decode()
    assert "¥300.00" in fund and HappyFundEntry.objects.count() == 1
    assert "已确认" in client.get(reverse("repairs:penalty_list")).content.decode()


def test_the_head_waives_a_penalty_with_a_note_and_others_may_not(client, net):
    arrival = rma_arrival(net)
    fine = arrival.penalties.get(kind="fine")
    client.force_login(net.clerk)
    url = reverse("repairs:penalty_waive", args=[fine.pk])
    assert client.post(url, {f"w{fine.pk}-note": "初犯"}).status_code == 403
    client.force_login(net.head)
    assert client.post(url, {f"w{fine.pk}-note": ""}).status_code == 400
    client.post(url, {f"w{fine.pk}-note": "初犯"})
    fine.refresh_from_db()
    assert fine.state == PenaltyState.WAIVED and fine.note == "初犯"
    client.force_login(net.dealer2_user)
    assert client.get(arrival.get_absolute_url()).status_code == 404
    assert client.get(reverse("repairs:happy_fund")).status_code == 403


def rma_arrival(net):
    from repairs.services.arrivals import arrival_record

    return arrival_record(actor=net.clerk, shipper_unit=net.dealer, units=1)


def test_only_clerks_and_warehouse_record_arrivals(client, net):
    client.force_login(net.gz_engineer)
    assert client.get(reverse("repairs:arrival_create")).status_code == 403
    client.force_login(net.keeper)
    assert client.get(reverse("repairs:arrival_create")).status_code == 200


# --- year-end ranking -----------------------------------------------------------------------------


def test_the_ranking_page_and_its_excel_export(client, net):
    from openpyxl import load_workbook

    app = picked_up(net, "R1", "R2")
    rma.rma_receive(
        application_id=app.pk, actor=net.clerk, units=[("GPS-X1", "R1"), ("GPS-X1", "R2")]
    )
    year = timezone.localdate().year
    client.force_login(net.head)
    page = client.get(reverse("repairs:ranking"), {"year": year}).content.decode()
    assert "广州分公司" in page and "ranking-data" in page and "echarts.min.js" in page

    response = client.get(reverse("repairs:ranking_export"), {"year": year})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["省区排名", "分公司排名"]
    rows = list(workbook["分公司排名"].iter_rows(min_row=3, values_only=True))
    assert rows[0][:4] == (1, "广州分公司", "GZ", 2)

    client.force_login(net.dealer_user)
    assert client.get(reverse("repairs:ranking")).status_code == 403
    assert client.get(reverse("repairs:ranking_export")).status_code == 403


def test_cash_on_delivery_is_refused_on_the_application_form(client, net):
    import re

    client.force_login(net.gz_engineer)
    data = form_data(rows=[{"serial_number": "COD1"}], freight_terms="collect")
    response = client.post(reverse("repairs:return_create"), data)
    assert response.status_code == 400
    select = re.search(r"<select[^>]*name=\"freight_terms\"[^>]*>", response.content.decode())
    assert select and "is-invalid" in select.group(0)
    assert not ReturnApplication.objects.filter(lines__serial_number="COD1").exists()


def test_a_receipt_takes_model_names_with_spaces(client, net):
    # issue 15, item 15: "XG-3200 控制器" was split at its space and refused
    app = rma.rma_create(
        applicant=net.gz_engineer,
        header=header(),
        lines=[
            *lines("XG01", "XG02", model="XG-3200 控制器"),
            rma.LineInput(product_model="XG-3200 控制器", fault_description="无序列号", quantity=1),
        ],
    )
    rma.rma_submit(application_id=app.pk, actor=net.gz_engineer)
    sign_all(app, net.gz_cs_sup, net.gz_manager, net.head)
    rma.rma_book_pickup(
        application_id=app.pk,
        actor=net.clerk,
        pickup_date=timezone.localdate(),
        driver_name="李师傅",
    )
    rma.rma_record_pickup(application_id=app.pk, actor=net.clerk, counted_units=3, shipper_count=3)
    client.force_login(net.clerk)
    client.post(
        reverse("repairs:return_receive", args=[app.pk]),
        # typed with a space, pasted from a sheet with a tab, and the unit without a label
        {
            "units": "XG-3200 控制器 XG01\nXG-3200  控制器\tXG02\nXG-3200 控制器",
            "freight_terms": "prepaid",
        },
    )
    app.refresh_from_db()
    assert app.state == ApplicationState.RECEIVED and not app.has_discrepancies
    got = sorted(app.received_units.values_list("product_model", "serial_number"))
    assert got == [("XG-3200 控制器", ""), ("XG-3200 控制器", "XG01"), ("XG-3200 控制器", "XG02")]
