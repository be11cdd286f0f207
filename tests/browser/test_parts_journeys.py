"""The spare parts (配件, issue 19 first slice) in the browser: the parts clerk imports the
catalogue from Excel, receives parts
into the headquarters warehouse, transfers some to a service point, and counts the warehouse; the
supervisor approves the count; the service point sees its own stock and the headquarters level on
a phone. Every page passes axe and, on the phone, never scrolls sideways."""

from io import BytesIO

import pytest
from openpyxl import Workbook

from network.choices import Role
from spareparts.choices import WarehouseKind
from spareparts.models import Part, StockBalance, Warehouse
from tests.browser.support import DESKTOP, PHONE, follow, visit
from tests.factories import make_user

pytestmark = pytest.mark.browser

HEADER = [
    "配件编号",
    "名称",
    "英文名称",
    "适用型号",
    "单位",
    "销售价",
    "成本价",
    "安全库存",
    "启用",
]


def workbook(tmp_path, name, rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_the_clerk_imports_receives_transfers_and_counts_and_the_supervisor_approves(
    page_as, net, tmp_path
):
    clerk = make_user("parts_clerk", net.hq, Role.PARTS_CLERK, first_name="苏敏")
    supervisor = make_user("parts_sup", net.hq, Role.PARTS_SUPERVISOR, first_name="梁振勇")
    point_user = make_user("point_user", net.point, Role.SERVICE_POINT_STAFF)
    hq = Warehouse.objects.create(
        code="W-HQ", name="总部配件仓", kind=WarehouseKind.HQ, org_unit=net.hq
    )
    point = Warehouse.objects.create(
        code="W-SP-1", name="天河网点仓", kind=WarehouseKind.SERVICE_POINT, org_unit=net.point
    )

    # 1. The catalogue from Excel (a file with a bad row is refused whole: tests/spareparts).
    page = page_as(clerk, DESKTOP)
    visit(page, "/parts/")
    follow(page, page.get_by_role("link", name="导入 Excel"))
    rows = [
        HEADER,
        ["GPS-MB-01", "GPS 主板", "GPS main board", "GPS-X1、GPS-X2", "块", 380, 210, 5, "是"],
        ["GPS-ANT-02", "GPS 天线", "", "GPS-X1", "个", 45, 18, 10, "是"],
    ]
    page.get_by_label("配件目录文件（Excel .xlsx）").set_input_files(
        workbook(tmp_path, "ok.xlsx", rows)
    )
    follow(page, page.get_by_role("button", name="导入"))
    page.get_by_text("GPS-ANT-02").first.wait_for()
    assert Part.objects.count() == 2

    # 2. Receive 20 boards at headquarters, transfer 4 to the service point.
    visit(page, f"/parts/warehouses/{hq.pk}/")
    follow(page, page.get_by_role("link", name="入库"))
    page.get_by_label("配件编号").fill("GPS-MB-01")
    page.get_by_label("数量").fill("20")
    page.get_by_label("原因").fill("供应商到货")
    follow(page, page.get_by_role("button", name="确认入库"))
    follow(page, page.get_by_role("link", name="调拨"))
    page.get_by_label("调入仓库").select_option(label="天河网点仓（网点仓 W-SP-1）")
    page.get_by_label("配件编号").fill("GPS-MB-01")
    page.get_by_label("数量").fill("4")
    follow(page, page.get_by_role("button", name="确认调拨"))
    assert StockBalance.objects.get(warehouse=point).on_hand == 4

    # 3. The count: one board missing, submitted; the supervisor approves it.
    visit(page, "/parts/counts/new/")
    page.get_by_label("仓库").select_option(label="总部配件仓（总部配件仓 W-HQ）")
    follow(page, page.get_by_role("button", name="开始盘点"))
    page.get_by_label("GPS-MB-01 GPS 主板").fill("15")
    follow(page, page.get_by_role("button", name="提交审批"))
    count_url = page.url
    boss = page_as(supervisor, DESKTOP)
    visit(boss, count_url)
    follow(boss, boss.get_by_role("button", name="审批通过"))
    assert StockBalance.objects.get(warehouse=hq).on_hand == 15
    visit(boss, "/parts/ledger/?kind=count_adjust")
    boss.locator(".badge", has_text="盘点调整").first.wait_for()

    # 4. The service point on a phone: its own stock, headquarters as a level.
    phone = page_as(point_user, PHONE)
    visit(phone, "/parts/warehouses/")
    follow(phone, phone.get_by_role("link", name="天河网点仓"))
    phone.get_by_text("GPS-MB-01").first.wait_for()
    visit(phone, f"/parts/{Part.objects.get(number='GPS-MB-01').pk}/")
    phone.get_by_text("有货").first.wait_for()
    visit(phone, "/parts/ledger/")
    assert "总部配件仓" not in phone.locator("table").first.inner_text()  # only its own ledger


def test_the_technician_draws_a_warranty_part_and_the_faulty_part_owed_is_followed(page_as, net):
    """Issue 19 (items 3 and 4): on the order page the technician adds a serialised board under
    warranty (reserved at headquarters), starts the repair (issued) and records the faulty and
    the new serial; a service point sees the faulty part it owes on a phone and the parts clerk
    receives it."""
    from django.utils import timezone as tz

    from repairs.choices import PartLineState
    from repairs.models import RepairPartLine
    from repairs.services import orders as ro
    from spareparts.choices import FaultyState
    from spareparts.models import FaultyPartReturn
    from spareparts.services import faulty, stock
    from tests.repairs.test_orders import receive_lot

    clerk = make_user("parts_clerk", net.hq, Role.PARTS_CLERK, first_name="苏敏")
    point_user = make_user("point_user", net.point, Role.SERVICE_POINT_STAFF)
    hq = Warehouse.objects.create(
        code="W-HQ", name="总部配件仓", kind=WarehouseKind.HQ, org_unit=net.hq
    )
    board = Part.objects.create(
        number="GPS-MB-01", name_zh="GPS 主板", list_price=380, cost=210, serialised=True
    )
    stock.stock_receive(part=board, warehouse=hq, quantity=2, actor=clerk)
    lot = receive_lot(net, ["PJ-1"], tz.now())
    order = lot.orders.get()
    ro.order_pick_up(order_id=order.pk, actor=net.tech)

    # 1. The technician adds the board and starts the repair (desktop).
    page = page_as(net.tech, DESKTOP)
    visit(page, order.get_absolute_url())
    page.get_by_label("配件编号").fill("GPS-MB-01")
    follow(page, page.get_by_role("button", name="添加配件"))
    line = RepairPartLine.objects.get(order=order)
    assert line.state == PartLineState.RESERVED and line.in_warranty
    follow(page, page.get_by_role("button", name="开始维修"))
    line.refresh_from_db()
    assert line.state == PartLineState.ISSUED
    page.get_by_label("旧件序列号").fill("MB-OLD-77")
    page.get_by_label("新件序列号").fill("MB-NEW-88")
    follow(page, page.get_by_role("button", name="登记更换"))
    page.get_by_text("MB-OLD-77 → MB-NEW-88").first.wait_for()

    # 2. A service point owes a faulty board back: it sees its own on a phone.
    faulty.faulty_part_record(
        part=board,
        faulty_serial="SP-OLD-01",
        new_serial="SP-NEW-01",
        owed_by_unit=net.point,
        owed_by=point_user,
        actor=point_user,
    )
    phone = page_as(point_user, PHONE)
    visit(phone, "/parts/faulty/")
    phone.get_by_text("SP-OLD-01").first.wait_for()
    assert "MB-OLD-77" not in phone.content()  # the workshop's is not the point's

    # 3. The parts clerk receives it.
    desk = page_as(clerk, DESKTOP)
    visit(desk, "/parts/faulty/?state=owed")
    follow(desk, desk.get_by_role("button", name="收到旧件"))
    assert FaultyPartReturn.objects.get(faulty_serial="SP-OLD-01").state == FaultyState.RECEIVED


def test_a_service_point_requests_parts_and_a_dealer_accepts_a_quote(page_as, net):
    """Issue 19 (items 5 and 7): the service point asks for parts on a phone; the parts supervisor
    approves, the clerk picks and ships, the service point receives them; a dealer asks for a
    quote, the clerk sends it, the dealer accepts, the clerk records the payment and ships."""
    from spareparts.choices import QuoteState, RequestState
    from spareparts.models import DealerQuote, PartRequest
    from spareparts.services import stock

    clerk = make_user("parts_clerk", net.hq, Role.PARTS_CLERK, first_name="苏敏")
    supervisor = make_user("parts_sup", net.hq, Role.PARTS_SUPERVISOR, first_name="梁振勇")
    point_user = make_user("point_user", net.point, Role.SERVICE_POINT_STAFF)
    hq = Warehouse.objects.create(
        code="W-HQ", name="总部配件仓", kind=WarehouseKind.HQ, org_unit=net.hq
    )
    point = Warehouse.objects.create(
        code="W-SP-1", name="天河网点仓", kind=WarehouseKind.SERVICE_POINT, org_unit=net.point
    )
    antenna = Part.objects.create(number="GPS-ANT-02", name_zh="GPS 天线", list_price=45)
    stock.stock_receive(part=antenna, warehouse=hq, quantity=10, actor=clerk)

    # 1. The service point asks for 3 antennas on a phone.
    phone = page_as(point_user, PHONE)
    visit(phone, "/parts/requests/")
    follow(phone, phone.get_by_role("link", name="申请配件"))
    phone.get_by_label("配件编号 1").fill("GPS-ANT-02")
    phone.get_by_label("数量 1").fill("3")
    follow(phone, phone.get_by_role("button", name="提交申请"))
    request = PartRequest.objects.get()
    request_url = request.get_absolute_url()

    # 2. The supervisor approves, the clerk picks and ships.
    boss = page_as(supervisor, DESKTOP)
    visit(boss, request_url)
    follow(boss, boss.get_by_role("button", name="审批通过"))
    desk = page_as(clerk, DESKTOP)
    visit(desk, request_url)
    follow(desk, desk.get_by_role("button", name="备货（预留库存）"))
    follow(desk, desk.get_by_role("button", name="发货"))

    # 3. The service point receives them into its own warehouse.
    visit(phone, request_url)
    follow(phone, phone.get_by_role("button", name="确认收货"))
    request.refresh_from_db()
    assert request.state == RequestState.RECEIVED
    assert StockBalance.objects.get(warehouse=point, part=antenna).on_hand == 3

    # 4. A dealer asks for a quote; the clerk sends it; the dealer accepts; paid and shipped.
    dealer = page_as(net.dealer_user, DESKTOP)
    visit(dealer, "/parts/quotes/new/")
    dealer.get_by_label("配件编号 1").fill("GPS-ANT-02")
    dealer.get_by_label("数量 1").fill("2")
    follow(dealer, dealer.get_by_role("button", name="提交询价"))
    quote_url = DealerQuote.objects.get().get_absolute_url()
    visit(desk, quote_url)
    follow(desk, desk.get_by_role("button", name="确认报价并发送"))
    visit(dealer, quote_url)
    follow(dealer, dealer.get_by_role("button", name="接受报价"))
    visit(desk, quote_url)
    desk.get_by_label("付款凭证号或发票号").fill("TT-2026-01")
    follow(desk, desk.get_by_role("button", name="登记收款/开票"))
    follow(desk, desk.get_by_role("button", name="发货"))
    assert DealerQuote.objects.get().state == QuoteState.SHIPPED
    assert StockBalance.objects.get(warehouse=hq, part=antenna).on_hand == 5
