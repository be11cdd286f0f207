"""Buy-back units (回购机, issue 22 item 4): the OEM returns units by batch → intake with serials
(typed, pasted or from Excel; all or nothing, row by row errors) → inspection per unit → a
decision per unit (refurbish to stock, repair, scrap) → the work done with its costs → the batch
closes by itself when every unit is done → the report for the OEM (Excel, PDF)."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from openpyxl import Workbook, load_workbook

from repairs.choices import BuybackBatchState, BuybackDecision, BuybackUnitState
from repairs.models import BuybackBatch, BuybackUnit, OemCustomer
from repairs.services import oem as svc
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of
from service_ops.work import work_of


@pytest.fixture
def jac(db):
    return OemCustomer.objects.create(code="jac", name="江淮汽车")


def rows(*serials, model="NAV-J7"):
    return [svc.SerialRow(n, s, model, "黑屏") for n, s in enumerate(serials, start=1)]


def intake(net, jac, *serials, received_on=None):
    return svc.buyback_batch_intake(
        actor=net.clerk,
        oem=jac,
        received_on=received_on or timezone.localdate(),
        rows=rows(*serials),
        oem_reference="JAC-RT-001",
    )


def xlsx(*table) -> SimpleUploadedFile:
    book = Workbook()
    for row in table:
        book.active.append(list(row))
    out = BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        "batch.xlsx",
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- the acceptance: a buy-back batch runs intake to decision ---------------------------------


def test_a_buy_back_batch_runs_from_intake_to_decision_and_closes_with_its_costs(net, jac):
    batch = intake(net, jac, "JH0001001", "JH0001002", "JH0001003")
    assert batch.number.startswith("BB-") and batch.unit_count == 3
    assert batch.state == BuybackBatchState.OPEN
    # the repair supervisor is told to arrange the inspection
    assert Notification.objects.filter(
        recipient=net.repair_sup, channel="in_app", subject__contains=batch.number
    ).exists()
    units = list(batch.units.order_by("id"))
    assert [u.state for u in units] == [BuybackUnitState.RECEIVED] * 3

    grades = ("A", "C", "D")
    decisions = (BuybackDecision.REFURBISH, BuybackDecision.REPAIR, BuybackDecision.SCRAP)
    costs = (("0", "30", "15"), ("120.50", "80", "15"), ("0", "10", "15"))
    for unit, grade in zip(units, grades, strict=True):
        svc.buyback_unit_inspect(
            unit_id=unit.pk, actor=net.tech, findings="通电检测", fault_codes="E01 e07", grade=grade
        )
    for unit, decision in zip(units, decisions, strict=True):
        svc.buyback_unit_decide(unit_id=unit.pk, actor=net.repair_sup, decision=decision)
    for unit, (parts, labour, freight) in zip(units[:2], costs[:2], strict=True):
        svc.buyback_unit_finish(
            unit_id=unit.pk,
            actor=net.tech,
            outcome="完成",
            cost_parts=parts,
            cost_labour=labour,
            cost_freight=freight,
        )
    batch.refresh_from_db()
    assert batch.state == BuybackBatchState.OPEN  # one unit still to do
    parts, labour, freight = costs[2]
    svc.buyback_unit_finish(
        unit_id=units[2].pk,
        actor=net.tech,
        outcome="拆件后报废",
        cost_parts=parts,
        cost_labour=labour,
        cost_freight=freight,
    )
    batch.refresh_from_db()
    assert batch.state == BuybackBatchState.CLOSED and batch.closed_at
    unit = BuybackUnit.objects.get(pk=units[0].pk)
    assert unit.fault_codes == "E01、E07" and unit.grade == "A"
    assert unit.decision == BuybackDecision.REFURBISH and unit.state == BuybackUnitState.DONE
    # every step of every unit is in the transition log, and the batch's close
    assert [e.to_state for e in log_of(units[1])] == ["inspected", "decided", "done"]
    close = list(log_of(batch))
    assert [e.to_state for e in close] == ["closed"] and close[0].channel == "system"
    from repairs.selectors.oem import batch_totals

    totals = batch_totals(batch)
    assert totals["parts"] == Decimal("120.50")
    assert totals["labour"] == Decimal("120.00")
    assert totals["freight"] == Decimal("45.00")
    assert totals["total"] == Decimal("285.50")
    # the clerk is told to send the report to the OEM
    assert Notification.objects.filter(
        recipient=net.clerk, channel="in_app", subject__contains="处理报告"
    ).exists()


def test_the_report_for_the_oem_lists_units_findings_decisions_and_costs(client, net, jac):
    batch = intake(net, jac, "JH0002001", "JH0002002")
    first, second = batch.units.order_by("id")
    svc.buyback_unit_inspect(unit_id=first.pk, actor=net.tech, findings="屏幕划伤", grade="B")
    svc.buyback_unit_decide(unit_id=first.pk, actor=net.repair_sup, decision="refurbish")
    svc.buyback_unit_finish(unit_id=first.pk, actor=net.tech, outcome="翻新入库", cost_labour="40")
    client.force_login(net.clerk)
    response = client.get(reverse("repairs:oem_batch_report_xlsx", args=[batch.pk]))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "江淮汽车 回购机处理报告 " + batch.number in cells
    assert {"JH0002001", "JH0002002", "屏幕划伤", "翻新入库"} <= set(cells)
    assert Decimal("40") in [Decimal(str(c)) for c in cells if isinstance(c, int | float)]
    pdf = client.get(reverse("repairs:oem_batch_report_pdf", args=[batch.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert second.state == BuybackUnitState.RECEIVED


# --- intake: all or nothing, row by row -------------------------------------------------------


def test_bad_serials_are_refused_with_an_error_per_row_and_nothing_is_saved(client, net, jac):
    client.force_login(net.clerk)
    response = client.post(
        reverse("repairs:oem_batch_create"),
        {
            "oem": jac.pk,
            "received_on": timezone.localdate().isoformat(),
            "default_model": "NAV-J7",
            "serials": "\n".join(
                (
                    "JH0003001, NAV-J7, 黑屏",
                    "",
                    "AB, NAV-J7",
                    "JH0003003",
                    "坏编号!!",
                    ", NAV-J7, 无编号",
                )
            ),
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "第 3 行：出厂编号“AB”无效" in text
    assert "第 5 行：出厂编号“坏编号!!”无效" in text
    assert "第 6 行：缺少出厂编号" in text
    assert "第 1 行" not in text and "第 4 行" not in text
    assert not BuybackBatch.objects.exists() and not BuybackUnit.objects.exists()


def test_a_serial_twice_in_one_batch_is_refused(net, jac):
    with pytest.raises(ValidationError) as err:
        svc.buyback_batch_intake(
            actor=net.clerk,
            oem=jac,
            received_on=timezone.localdate(),
            rows=rows("JH0004001", "JH0004002", "jh0004001"),
        )
    assert "第 3 行：出厂编号 JH0004001 与第 1 行重复" in err.value.message_dict["serials"]
    assert not BuybackBatch.objects.exists()
    # the database says so too, whoever writes around the service
    batch = intake(net, jac, "JH0004009")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        BuybackUnit.objects.create(batch=batch, serial_number="JH0004009", product_model="X")


def test_a_serial_still_open_in_another_batch_is_refused_but_a_closed_one_may_come_back(net, jac):
    first = intake(net, jac, "JH0005001")
    with pytest.raises(ValidationError) as err:
        intake(net, jac, "JH0005002", "JH0005001")
    assert f"第 2 行：出厂编号 JH0005001 已在未结案批次 {first.number} 中" in str(err.value)
    unit = first.units.get()
    svc.buyback_unit_inspect(unit_id=unit.pk, actor=net.tech, findings="坏", grade="D")
    svc.buyback_unit_decide(unit_id=unit.pk, actor=net.repair_sup, decision="scrap")
    svc.buyback_unit_finish(unit_id=unit.pk, actor=net.tech, outcome="报废")
    assert intake(net, jac, "JH0005001").unit_count == 1


def test_an_excel_file_imports_with_excel_row_numbers_in_its_errors(client, net, jac):
    client.force_login(net.keeper)
    url = reverse("repairs:oem_batch_create")
    day = timezone.localdate().isoformat()
    bad = xlsx(
        ("出厂编号", "型号", "故障"),
        ("JH0006001", "NAV-J7", "不开机"),
        (None, None, None),
        ("JH0006001", "NAV-J7", ""),
        ("JH0006003", None, "无声音"),
    )
    response = client.post(url, {"oem": jac.pk, "received_on": day, "file": bad})
    assert response.status_code == 400
    text = response.content.decode()
    assert "第 4 行：出厂编号 JH0006001 与第 2 行重复" in text
    assert "第 5 行：缺少型号" in text
    assert not BuybackBatch.objects.exists()
    good = xlsx(
        ("出厂编号", "型号", "故障"), ("JH0006001", "NAV-J7", "不开机"), ("JH0006002", "", "")
    )
    response = client.post(
        url, {"oem": jac.pk, "received_on": day, "default_model": "NAV-J8", "file": good}
    )
    batch = BuybackBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert list(batch.units.values_list("serial_number", "product_model", "oem_fault")) == [
        ("JH0006001", "NAV-J7", "不开机"),
        ("JH0006002", "NAV-J8", ""),
    ]
    headerless = xlsx(("编号",), ("JH0006009",))
    response = client.post(url, {"oem": jac.pk, "received_on": day, "file": headerless})
    assert response.status_code == 400 and "表头须包含“出厂编号”列" in response.content.decode()


def test_a_received_date_in_the_future_is_refused(net, jac):
    with pytest.raises(ValidationError) as err:
        intake(net, jac, "JH0007001", received_on=timezone.localdate() + timedelta(days=1))
    assert "收货日期不能晚于今天" in str(err.value)
    with pytest.raises(ValidationError):
        intake(net, jac, "JH0007001", received_on=date(2020, 1, 1))


# --- who does what, and in which state ---------------------------------------------------------


def test_each_step_belongs_to_its_people_and_its_state(net, jac):
    with pytest.raises(PermissionDenied):
        svc.buyback_batch_intake(
            actor=net.tech, oem=jac, received_on=timezone.localdate(), rows=rows("JH0008001")
        )
    unit = intake(net, jac, "JH0008001").units.get()
    with pytest.raises(PermissionDenied):
        svc.buyback_unit_inspect(unit_id=unit.pk, actor=net.clerk, findings="x", grade="A")
    with pytest.raises(TransitionNotAllowed):  # not inspected yet
        svc.buyback_unit_decide(unit_id=unit.pk, actor=net.repair_sup, decision="scrap")
    svc.buyback_unit_inspect(unit_id=unit.pk, actor=net.tech, findings="主板烧毁", grade="D")
    with pytest.raises(PermissionDenied):
        svc.buyback_unit_decide(unit_id=unit.pk, actor=net.tech, decision="scrap")
    with pytest.raises(ValidationError) as err:
        svc.buyback_unit_decide(unit_id=unit.pk, actor=net.repair_sup, decision="refurbish")
    assert "D 级（无修复价值）的回购机只能报废" in str(err.value)
    with pytest.raises(ValidationError) as err:
        svc.buyback_unit_decide(
            unit_id=unit.pk, actor=net.repair_sup, decision="scrap", repair_order_number="RO-1"
        )
    assert "只有“维修”才能关联维修单" in str(err.value)
    svc.buyback_unit_decide(unit_id=unit.pk, actor=net.repair_sup, decision="scrap")
    with pytest.raises(ValidationError) as err:
        svc.buyback_unit_finish(unit_id=unit.pk, actor=net.tech, outcome="报废", cost_parts="-1")
    assert "金额须在 0 到 100000 之间" in str(err.value)
    with pytest.raises(ValidationError):
        svc.buyback_unit_finish(
            unit_id=unit.pk, actor=net.tech, outcome="报废", cost_labour="1.234"
        )
    unit.refresh_from_db()
    assert unit.state == BuybackUnitState.DECIDED


def test_the_pages_run_the_steps_and_a_stale_step_answers_409_to_htmx(client, net, jac):
    batch = intake(net, jac, "JH0009001")
    unit = batch.units.get()
    client.force_login(net.tech)
    url = reverse("repairs:oem_unit_act", args=[unit.pk, "inspect"])
    page = client.get(url)
    assert page.status_code == 200 and "检测结果" in page.content.decode()
    bad = client.post(url, {"findings": "", "grade": "Z"})
    assert bad.status_code == 400 and "请填写检测结果" in bad.content.decode()
    ok = client.post(url, {"findings": "外观完好", "fault_codes": "", "grade": "A"})
    assert ok.status_code == 302
    again = client.post(url, {"findings": "外观完好", "grade": "A"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409
    client.force_login(net.repair_sup)
    decide = reverse("repairs:oem_unit_act", args=[unit.pk, "decide"])
    assert client.post(decide, {"decision": "refurbish", "note": "入成品仓"}).status_code == 302
    client.force_login(net.clerk)
    assert client.get(url).status_code == 403  # the clerk does not inspect
    detail = client.get(batch.get_absolute_url())
    assert detail.status_code == 200 and "JH0009001" in detail.content.decode()


# --- visibility, lists and 我的工作 -------------------------------------------------------------


def test_only_headquarters_customer_service_sees_buy_back_batches(client, net, jac):
    batch = intake(net, jac, "JH0010001")
    for user in (net.dealer_user, net.gz_manager, net.marketing):
        client.force_login(user)
        assert client.get(reverse("repairs:oem_batch_list")).status_code == 403
        assert client.get(batch.get_absolute_url()).status_code == 404
        assert not BuybackBatch.objects.visible_to(user).exists()
    client.force_login(net.head)
    assert client.get(batch.get_absolute_url()).status_code == 200


def test_the_batch_list_filters_and_costs_the_same_queries_for_2_and_30_batches(
    client, net, jac, django_assert_max_num_queries
):
    other = OemCustomer.objects.create(code="byd", name="比亚迪")
    for i in range(2):
        intake(net, jac, f"JH011{i:04d}")
    client.force_login(net.clerk)
    url = reverse("repairs:oem_batch_list")
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    for i in range(2, 30):
        intake(net, jac if i % 2 else other, f"JH011{i:04d}")
    with django_assert_max_num_queries(len(two.captured_queries)):
        page = client.get(url)
    assert page.context["page"].has_next and len(page.context["page"].object_list) == 25
    by_oem = client.get(url, {"oem": other.pk})
    assert {b.oem_id for b in by_oem.context["page"].object_list} == {other.pk}
    by_serial = client.get(url, {"q": "jh0110007"})
    assert [b.unit_count for b in by_serial.context["page"].object_list] == [1]
    assert by_serial.context["page"].object_list[0].to_inspect == 1


def test_my_work_lists_batches_with_units_to_inspect_or_decide(net, jac):
    batch = intake(net, jac, "JH0012001", "JH0012002")
    first = batch.units.order_by("id").first()
    svc.buyback_unit_inspect(unit_id=first.pk, actor=net.tech, findings="ok", grade="A")
    now = timezone.now()
    tech = [i for i in work_of(net.tech, now=now).items if i.kind == "repairs.oem"]
    assert [i.what for i in tech] == [f"{batch.number}：1 台回购机待检测"]
    sup = [i.what for i in work_of(net.repair_sup, now=now).items if i.kind == "repairs.oem"]
    assert f"{batch.number}：1 台回购机待决定" in sup
    assert not [i for i in work_of(net.dealer_user, now=now).items if i.kind == "repairs.oem"]
