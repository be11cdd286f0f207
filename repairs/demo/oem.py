"""Car-factory units demo (回购机, 江淮备用机; issue 22): the OEM 江淮汽车 with three of its 4S
stores; a buy-back batch of five units half-way (two done, one decided, one inspected, one to
inspect); a backup pool of four units, one lent and in time, one lent and overdue (its timer
breached by the next sweep), the rest in the pool. Loads once (called by repairs.demo.load_demo)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ..models import OemCustomer, OemStore
from ..services import oem as svc


def load(*, units, users, stdout=None) -> None:
    if OemCustomer.objects.exists():
        return
    clerk, keeper = users["logistics"], users["warehouse"]
    tech, sup = users["technician"], users["repair_sup"]
    today = timezone.localdate()
    jac = OemCustomer.objects.create(
        code="jac", name="江淮汽车", contact="售后部 周经理", phone="0551-62296666"
    )
    stores = [
        OemStore.objects.create(oem=jac, code=code, name=name, city=city, phone=phone)
        for code, name, city, phone in (
            ("JAC-4S-HF01", "合肥江淮瑞风4S店", "合肥", "0551-63800001"),
            ("JAC-4S-WH02", "芜湖江淮4S店", "芜湖", "0553-58800002"),
            ("JAC-4S-NJ03", "南京江淮汽车4S店", "南京", "025-52800003"),
        )
    ]

    # 回购机: a batch of five received a week ago, half-way through
    batch = svc.buyback_batch_intake(
        actor=keeper,
        oem=jac,
        received_on=today - timedelta(days=7),
        oem_reference="JAC-HG-2026-118",
        rows=[
            svc.SerialRow(n, serial, "NAV-J7", fault)
            for n, (serial, fault) in enumerate(
                (
                    ("JH7A2611001", "导航黑屏"),
                    ("JH7A2611002", "倒车影像无信号"),
                    ("JH7A2611003", ""),
                    ("JH7A2611004", "蓝牙无法连接"),
                    ("JH7A2611005", "触摸失灵"),
                ),
                start=1,
            )
        ],
    )
    u1, u2, u3, u4, _u5 = batch.units.order_by("id")
    for unit, findings, codes, grade in (
        (u1, "屏幕背光损坏，其余正常", "E21", "C"),
        (u2, "功能外观完好，车厂误判", "", "A"),
        (u3, "主板进水腐蚀", "E01 E09", "D"),
        (u4, "蓝牙模块虚焊", "E33", "C"),
    ):
        svc.buyback_unit_inspect(
            unit_id=unit.pk, actor=tech, findings=findings, fault_codes=codes, grade=grade
        )
    svc.buyback_unit_decide(unit_id=u1.pk, actor=sup, decision="repair", note="更换背光板")
    svc.buyback_unit_decide(unit_id=u2.pk, actor=sup, decision="refurbish")
    svc.buyback_unit_decide(unit_id=u3.pk, actor=sup, decision="scrap")
    svc.buyback_unit_finish(
        unit_id=u2.pk, actor=tech, outcome="清洁翻新后入成品仓", cost_labour="30", cost_freight="12"
    )
    svc.buyback_unit_finish(
        unit_id=u3.pk, actor=tech, outcome="拆件后报废", cost_labour="10", cost_freight="12"
    )

    # 江淮备用机: four in the pool; one lent in time, one lent five weeks ago and overdue
    backups = [
        svc.backup_unit_add(actor=clerk, oem=jac, serial_number=serial, product_model="NAV-J7")
        for serial in ("JHBK0001", "JHBK0002", "JHBK0003", "JHBK0004")
    ]
    svc.backup_swap_lend(
        actor=clerk,
        backup_id=backups[0].pk,
        store=stores[0],
        failed_serial="JH7A2610777",
        failed_model="NAV-J7",
        failed_fault="开机重启",
        lent_on=today - timedelta(days=3),
    )
    svc.backup_swap_lend(
        actor=clerk,
        backup_id=backups[1].pk,
        store=stores[1],
        failed_serial="JH7A2609123",
        failed_model="NAV-J7",
        failed_fault="导航定位漂移",
        lent_on=today - timedelta(days=45),  # entered late; 20 working days are long past
    )
    if stdout is not None:
        stdout.write(
            "车厂回购机：回购批次 1 个（5 台，处理中），江淮备用机 4 台（借出 2 台，1 台超期）\n"
        )
