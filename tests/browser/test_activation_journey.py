"""Browser journey of the activation-code pages (DESIGN §2.3): the network specialist at a desk
follows a service point's refused query to its top-up, records the transfer, registers a number
and imports codes; then checks the numbers on a phone. Every page passes axe and, on the phone,
never scrolls sideways (tests/browser/support.py)."""

from io import BytesIO

import pytest
from openpyxl import Workbook

from callcenter.models import ActivationCode, RegisteredNumber
from callcenter.services.activation import activation_query_receive
from network.choices import OrgKind, Role
from network.models import OrgUnit
from network.services import prepaid_balance
from tests.browser.support import DESKTOP, PHONE, follow, visit
from tests.factories import make_user, top_up

pytestmark = pytest.mark.browser


def test_the_specialist_tops_up_a_refused_point_registers_a_number_and_imports_codes(
    page_as, net, tmp_path, settings
):
    settings.ACTIVATION_QUERY_FEE = "30.00"
    settings.MEDIA_ROOT = tmp_path / "media"
    specialist = make_user("specialist", net.hq, Role.NETWORK_SPECIALIST)
    OrgUnit.objects.create(code="FO-1", name="广州办事处", kind=OrgKind.FIELD_OFFICE, parent=net.gz)
    ActivationCode.objects.create(serial_number="SN20260001", code="7F3K-92QX")
    RegisteredNumber.objects.create(org_unit=net.point, phone="13800001111")
    top_up(net.point, "10")
    activation_query_receive(message_id="m1", from_number="13800001111", text="JH SN20260001")

    # 1. The refused query, its top-up link, the form, the ledger.
    page = page_as(specialist, DESKTOP)
    visit(page, "/callcenter/activation-queries/?outcome=insufficient_balance")
    follow(page, page.get_by_role("link", name="登记充值").first)
    page.get_by_label("充值金额（元）").fill("300")
    page.get_by_label("银行流水号").fill("ICBC-20261207-01")
    follow(page, page.get_by_role("button", name="确认入账"))
    page.get_by_text("ICBC-20261207-01").first.wait_for()
    assert str(prepaid_balance(org_unit=net.point)) == "310.00"

    # 2. A second number for the point, from its numbers.
    follow(page, page.get_by_role("link", name="登记号码").last)
    follow(page, page.get_by_role("link", name="登记号码").last)
    page.get_by_label("手机号码").fill("+86 139 0000 2222")
    follow(page, page.get_by_role("button", name="保存"))
    page.get_by_text("13900002222").first.wait_for()

    # 3. The factory's list, imported from the browser, with its row report.
    book = Workbook()
    for row in (["设备序列号", "激活码"], ["SN20269001", "AB-1"], [None, "AB-2"]):
        book.active.append(row)
    path = tmp_path / "codes.xlsx"
    buffer = BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    visit(page, "/callcenter/codes/import/")
    page.get_by_label("激活码文件（Excel .xlsx）").set_input_files(str(path))
    follow(page, page.get_by_role("button", name="导入"))  # stored, imported by the worker
    page.get_by_text("缺少设备序列号").wait_for()
    assert ActivationCode.objects.filter(serial_number="SN20269001").exists()

    # 4. The numbers on a phone.
    phone = page_as(specialist, PHONE)
    visit(phone, "/callcenter/numbers/")
    phone.get_by_text("13900002222").first.wait_for()
    visit(phone, "/callcenter/prepaid/")
    visit(phone, f"/callcenter/prepaid/{net.point.pk}/")
    visit(phone, "/callcenter/codes/")
    visit(phone, "/callcenter/activation-queries/")
