"""Car-factory units (回购机, 江淮备用机; issue 22) in the browser: the clerk books a buy-back batch
in by pasting serials, the technician inspects a unit at the bench, the supervisor decides on a
phone; the clerk lends a backup unit to a 4S store on a phone, opens the overdue list and the
month's reconciliation. Every page passes axe and, on the phone, never scrolls sideways."""

import pytest
from django.utils import timezone

from repairs.choices import BuybackUnitState
from repairs.models import BackupSwap, BuybackBatch, OemCustomer, OemStore
from repairs.services import oem as svc
from tests.browser.support import BASE_DIR, DESKTOP, PHONE, TABLET, follow, visit

pytestmark = pytest.mark.browser
SHOTS = BASE_DIR / "var" / "browser" / "oem"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_batch_is_booked_in_inspected_and_decided_and_a_backup_is_lent(page_as, net):
    jac = OemCustomer.objects.create(code="jac", name="江淮汽车")
    store = OemStore.objects.create(oem=jac, code="JAC-4S-HF01", name="合肥江淮瑞风4S店")

    # 1. The clerk pastes the serials of the OEM's list.
    page = page_as(net.clerk, DESKTOP)
    visit(page, "/repairs/oem/batches/")
    follow(page, page.get_by_role("link", name="登记回购批次"))
    page.get_by_label("车厂", exact=False).first.select_option(label="江淮汽车")
    page.get_by_label("型号", exact=True).fill("NAV-J7")
    page.get_by_label("出厂编号清单").fill(
        "JH7A2611001, NAV-J7, 导航黑屏\nJH7A2611002\nJH7A2611003"
    )
    shot(page, "01-intake")
    follow(page, page.get_by_role("button", name="登记"))
    batch = BuybackBatch.objects.get()
    assert batch.unit_count == 3 and page.url.endswith(batch.get_absolute_url())

    # 2. The technician inspects the first unit on a tablet.
    page = page_as(net.tech, TABLET)
    visit(page, batch.get_absolute_url())
    follow(page, page.get_by_role("link", name="检测").first)
    page.get_by_label("检测结果").fill("背光损坏")
    page.get_by_label("C 级：有故障，可修复").check()
    shot(page, "02-inspect")
    follow(page, page.get_by_role("button", name="检测"))
    unit = batch.units.order_by("id").first()
    assert unit.state == BuybackUnitState.INSPECTED

    # 3. The supervisor decides on a phone.
    page = page_as(net.repair_sup, PHONE)
    visit(page, batch.get_absolute_url())
    follow(page, page.get_by_role("link", name="处理决定").first)
    page.get_by_label("维修", exact=True).check()
    follow(page, page.get_by_role("button", name="处理决定"))
    unit.refresh_from_db()
    assert unit.state == BuybackUnitState.DECIDED and unit.decision == "repair"
    shot(page, "03-batch-phone")
    visit(page, "/repairs/oem/batches/")

    # 4. The clerk lends a backup to the 4S store on a phone and follows the pool.
    backup = svc.backup_unit_add(
        actor=net.clerk, oem=jac, serial_number="JHBK0001", product_model="NAV-J7"
    )
    page = page_as(net.clerk, PHONE)
    visit(page, "/repairs/oem/backups/")
    follow(page, page.get_by_role("link", name="借出", exact=True))
    page.get_by_label("借用门店").select_option(label=str(store))
    page.get_by_label("故障机出厂编号").fill("JH7A2609123")
    page.get_by_label("故障现象").fill("导航定位漂移")
    follow(page, page.get_by_role("button", name="借出"))
    swap = BackupSwap.objects.get(backup=backup)
    assert page.url.endswith(swap.get_absolute_url())
    shot(page, "04-swap-phone")
    visit(page, "/repairs/oem/swaps/?overdue=1")
    visit(page, f"/repairs/oem/reconciliation/?oem={jac.pk}&month={timezone.localdate():%Y-%m}")
    shot(page, "05-reconciliation-phone")
