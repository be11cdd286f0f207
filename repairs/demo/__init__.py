"""Demo return applications and repair orders, so each role finds work on its first login.
Called by `manage.py load_demo` (network) through its per-app hook; loads once."""

from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

from network.selectors import role_holders
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.workcalendar import clock

from ..models import LoanerUnit, RepairOrder, ReturnApplication, ReturnPolicy
from ..services import arrivals
from ..services import orders as ro
from ..services import returns as rma


def _application(applicant, units, *, contact="胡军"):
    return rma.rma_create(
        applicant=applicant,
        header=rma.HeaderInput(
            contact_name=contact, contact_phone="13300133001", shipping_method="logistics"
        ),
        lines=[
            rma.LineInput(
                product_model=model,
                serial_number=serial,
                fault_description=fault,
                purchase_date=purchase,
            )
            for model, serial, fault, purchase in units
        ],
    )


def _sign(app, steps: int | None = None):
    """Sign the pending steps (all, or the first `steps`) as their real holders."""
    signed = 0
    app.refresh_from_db()
    while app.state == "in_approval" and (steps is None or signed < steps):
        step = app.steps.get(round=app.round, state="pending")
        rma.rma_decide(
            step_id=step.pk,
            actor=role_holders(step.role, step.org_unit)[0],
            approve=True,
            comment="同意返厂",
        )
        signed += 1
        app.refresh_from_db()


def _receive(app, clerk, received_at=None):
    rma.rma_book_pickup(
        application_id=app.pk,
        actor=clerk,
        pickup_date=timezone.localdate(),
        driver_name="李师傅",
        vehicle_plate="粤A·D1234",
    )
    count = app.expected_units
    rma.rma_record_pickup(
        application_id=app.pk, actor=clerk, counted_units=count, shipper_count=count
    )
    rma.rma_receive(
        application_id=app.pk,
        actor=clerk,
        units=[(ln.product_model, ln.serial_number) for ln in app.lines.all()],
        received_at=received_at,
    )
    app.refresh_from_db()
    return list(app.lot.orders.order_by("pk"))


def _burnt_in(order) -> None:
    """Demo history: the unit went into burn-in long enough ago for it to end now."""
    hours = ReturnPolicy.current().burn_in_minimum_hours + 1
    RepairOrder.objects.filter(pk=order.pk).update(
        burn_in_started_at=timezone.now() - timedelta(hours=hours)
    )


def _paid_repair_shipped_last_month(applicant, manager, clerk, tech, serial, labour, parts):
    """Demo history: an out-of-warranty unit quoted, consented by the branch manager, repaired
    and shipped around the middle of last month, so last month's statement has a line."""
    mid_last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=15)
    shipped = clock.at_local(mid_last_month, time(10))
    app = _application(
        applicant,
        [("GPS-X1", serial, "进水不开机", mid_last_month.replace(year=mid_last_month.year - 2))],
    )
    rma.rma_submit(application_id=app.pk, actor=applicant)
    _sign(app)
    (order,) = _receive(app, clerk, received_at=shipped - timedelta(days=7))
    ro.order_pick_up(order_id=order.pk, actor=tech)
    ro.order_assess_warranty(order_id=order.pk, actor=tech, exclusions=["misuse"])
    quote = ro.order_raise_quote(
        order_id=order.pk,
        actor=tech,
        diagnosis="进水腐蚀，过保",
        lines=[
            ro.QuoteLineInput("labour", Decimal(labour)),
            ro.QuoteLineInput("parts", Decimal(parts), "主板"),
        ],
    )
    ro.quote_send(quote_id=quote.pk, actor=clerk)
    ro.quote_answer(
        quote_id=quote.pk, actor=manager, consent=True, signature=manager.get_full_name()
    )
    ro.order_finish_repair(order_id=order.pk, actor=tech, notes="更换主板")
    _burnt_in(order)
    ro.order_finish_burn_in(order_id=order.pk, actor=tech)
    ro.order_qc(order_id=order.pk, actor=tech, passed=True)
    ro.order_pack(order_id=order.pk, actor=tech, packing_list="GPS-X1 主机 ×1", parcels=1)
    ro.order_ship(order_id=order.pk, actor=clerk, carrier="顺丰", tracking_number=f"SF{serial}")
    from ..models.orders import turnaround_hours

    picked = shipped - timedelta(days=6, hours=3)
    RepairOrder.objects.filter(pk=order.pk).update(
        picked_up_at=picked,
        shipped_at=shipped,
        shipped_on=mid_last_month,
        turnaround_hours=turnaround_hours(picked, shipped),
    )


def _shipped_history(applicant, clerk, tech, *, tag: str, lines, months_ago: int, days: int):
    """Demo history for the repairs reports (/repairs/reports/…): one lot of in-warranty units
    repaired and shipped `months_ago` months back, `days` calendar days after pickup; the first
    unit failed QC once (a second repair)."""
    from ..models.orders import turnaround_hours

    today = timezone.localdate()
    first = today.replace(day=1)
    for _ in range(months_ago):
        first = (first - timedelta(days=1)).replace(day=1)
    shipped = clock.at_local(first + timedelta(days=min(25, 12 + days)), time(15))
    shipped = min(shipped, timezone.now() - timedelta(hours=6))  # this month: never ahead
    picked = shipped - timedelta(days=days, hours=5)
    purchase = today - timedelta(days=120)
    app = _application(
        applicant,
        [(model, f"{tag}-{i:02d}", fault, purchase) for i, (model, fault) in enumerate(lines)],
    )
    rma.rma_submit(application_id=app.pk, actor=applicant)
    _sign(app)
    for k, order in enumerate(_receive(app, clerk, received_at=picked - timedelta(hours=20))):
        ro.order_pick_up(order_id=order.pk, actor=tech)
        ro.order_start_repair(order_id=order.pk, actor=tech, diagnosis=lines[k][1])
        ro.order_finish_repair(order_id=order.pk, actor=tech)
        _burnt_in(order)
        ro.order_finish_burn_in(order_id=order.pk, actor=tech)
        if k == 0:
            ro.order_qc(order_id=order.pk, actor=tech, passed=False, note="老化后死机")
            ro.order_finish_repair(order_id=order.pk, actor=tech)
            _burnt_in(order)
            ro.order_finish_burn_in(order_id=order.pk, actor=tech)
        ro.order_qc(order_id=order.pk, actor=tech, passed=True)
        ro.order_pack(order_id=order.pk, actor=tech, packing_list=f"{lines[k][0]} 主机 ×1")
        ro.order_ship(order_id=order.pk, actor=clerk, carrier="顺丰", tracking_number=f"SF{tag}{k}")
        at = shipped + timedelta(hours=k)
        RepairOrder.objects.filter(pk=order.pk).update(
            picked_up_at=picked,
            shipped_at=at,
            shipped_on=clock.local_date(at),
            turnaround_hours=turnaround_hours(picked, at),
        )


def load_demo(*, units, users, stdout=None) -> None:
    if ReturnApplication.objects.exists():
        return
    dealer, gz = users["cs_dealer"], users["gz_engineer"]
    clerk, tech = users["logistics"], users["technician"]
    last_year = timezone.localdate().replace(year=timezone.localdate().year - 1)
    this_spring = timezone.localdate().replace(month=3, day=1)

    # Waiting for signatures: one at the branch, one at the province.
    waiting = _application(dealer, [("GPS-X1", "X1-270101", "不定位，指示灯常亮", this_spring)])
    rma.rma_submit(application_id=waiting.pk, actor=dealer)
    at_province = _application(dealer, [("GPS-Z3", "Z3-270102", "屏幕花屏", last_year)])
    rma.rma_submit(application_id=at_province.pk, actor=dealer)
    _sign(at_province, steps=1)
    gz_draft = _application(gz, [("GPS-Y2", "Y2-270103", "按键失灵", this_spring)], contact="陈工")
    rma.rma_submit(application_id=gz_draft.pk, actor=gz)

    # Approved and waiting for the driver.
    approved = _application(
        gz, [("GPS-X1", "X1-270104", "开机无显示", this_spring)], contact="陈工"
    )
    rma.rma_submit(application_id=approved.pk, actor=gz)
    _sign(approved)

    # Received: a batch of four from the dealer in the workshop at various steps.
    batch = _application(
        dealer,
        [
            ("GPS-X1", "X1-270201", "不定位", this_spring),
            ("GPS-X1", "X1-270202", "不定位", this_spring),
            ("GPS-Z3", "Z3-270203", "摔坏外壳，不开机", last_year),
            ("GPS-Z3", "Z3-270204", "进水", last_year),
        ],
    )
    rma.rma_submit(application_id=batch.pk, actor=dealer)
    _sign(batch)
    _waiting, second, dropped, wet = _receive(batch, clerk)
    ro.order_pick_up(order_id=second.pk, actor=tech)
    ro.order_start_repair(order_id=second.pk, actor=tech, diagnosis="GPS 天线接口松脱")
    ro.order_pick_up(order_id=dropped.pk, actor=tech)
    ro.order_assess_warranty(order_id=dropped.pk, actor=tech, exclusions=["transport_damage"])
    quote = ro.order_raise_quote(
        order_id=dropped.pk,
        actor=tech,
        diagnosis="外壳碎裂，主板受损",
        lines=[
            ro.QuoteLineInput("labour", Decimal("80")),
            ro.QuoteLineInput("parts", Decimal("260"), "主板"),
        ],
    )
    ro.quote_send(quote_id=quote.pk, actor=clerk)  # the repair clock pauses for the customer
    ro.order_pick_up(order_id=wet.pk, actor=tech)
    ro.order_assess_warranty(order_id=wet.pk, actor=tech, exclusions=["misuse"])  # water inside
    ro.order_raise_quote(
        order_id=wet.pk,
        actor=tech,
        diagnosis="进水腐蚀，过保",
        lines=[
            ro.QuoteLineInput("labour", Decimal("60")),
            ro.QuoteLineInput("materials", Decimal("35"), "清洗、防潮"),
        ],
    )

    # A single unit from Guangzhou, repaired and packed, ready to ship back.
    single = _application(gz, [("GPS-Y2", "Y2-270301", "充电异常", this_spring)], contact="陈工")
    rma.rma_submit(application_id=single.pk, actor=gz)
    _sign(single)
    (unit,) = _receive(single, clerk)
    ro.order_pick_up(order_id=unit.pk, actor=tech)
    ro.order_start_repair(order_id=unit.pk, actor=tech, diagnosis="充电管理芯片损坏")
    ro.order_finish_repair(order_id=unit.pk, actor=tech, notes="更换充电芯片")
    _burnt_in(unit)
    ro.order_finish_burn_in(order_id=unit.pk, actor=tech)
    ro.order_qc(order_id=unit.pk, actor=tech, passed=True)
    ro.order_pack(order_id=unit.pk, actor=tech, packing_list="GPS-Y2 主机 ×1\n充电线 ×1", parcels=1)

    # Two units on the bench: one burning in, one through QC and waiting to be packed.
    pair = _application(
        gz,
        [
            ("GPS-X1", "X1-270511", "定位漂移", this_spring),
            ("GPS-X1", "X1-270512", "定位漂移", this_spring),
        ],
        contact="陈工",
    )
    rma.rma_submit(application_id=pair.pk, actor=gz)
    _sign(pair)
    burning, boxed = _receive(pair, clerk)
    for order in (burning, boxed):
        ro.order_pick_up(order_id=order.pk, actor=tech)
        ro.order_start_repair(order_id=order.pk, actor=tech, diagnosis="天线老化")
        ro.order_finish_repair(order_id=order.pk, actor=tech, notes="更换 GPS 天线")
    _burnt_in(boxed)
    ro.order_finish_burn_in(order_id=boxed.pk, actor=tech)
    ro.order_qc(order_id=boxed.pk, actor=tech, passed=True)

    for serial, model in (("BY-X1-01", "GPS-X1"), ("BY-X1-02", "GPS-X1"), ("BY-Z3-01", "GPS-Z3")):
        LoanerUnit.objects.get_or_create(serial_number=serial, defaults={"product_model": model})

    # Rejected at the first signature: back with the Guangzhou engineer to fix and resubmit.
    rejected = _application(gz, [("GPS-X1", "X1-270105", "不开机", this_spring)], contact="陈工")
    rma.rma_submit(application_id=rejected.pk, actor=gz)
    rma.rma_decide(
        step_id=rejected.steps.get(state="pending").pk,
        actor=users["gz_cs_sup"],
        approve=False,
        comment="出厂编号与保修卡不符，请核对后重新提交",
    )

    # Goods that came without an approved application: refused, penalties for the head of CS.
    arrivals.arrival_record(
        actor=clerk,
        shipper_unit=units["D-CS-01"],
        units=2,
        description="GPS-X1 两台，无返厂申请单",
        return_carrier="德邦物流",
        return_tracking="DB2026120601",
    )

    # A unit received four weeks ago and still not repaired: past its limit, on the review list.
    now = timezone.now()
    late = _application(dealer, [("GPS-Z3", "Z3-270401", "反复重启", this_spring)])
    rma.rma_submit(application_id=late.pk, actor=dealer)
    _sign(late)
    (late_unit,) = _receive(late, clerk, received_at=now - timedelta(days=28))
    ro.order_pick_up(order_id=late_unit.pk, actor=tech)
    ro.order_start_repair(order_id=late_unit.pk, actor=tech, diagnosis="主板间歇性故障，待料")
    sweep_deadlines(now=now)
    ro.review_build(now=now)

    # Paid repairs shipped last month, billed on last month's statements.
    _paid_repair_shipped_last_month(gz, users["gz_manager"], clerk, tech, "X1-261101", 80, 120.5)
    _paid_repair_shipped_last_month(
        users["hz_engineer"], users["hz_manager"], clerk, tech, "X1-261102", 60, 310
    )

    # Shipped history for the repairs reports: lots of 1, 3 and 5 units over three months.
    for tag, lines, months_ago, days in (
        ("H1", [("GPS-X1", "不定位")], 2, 3),
        ("H2", [("GPS-X1", "不定位"), ("GPS-Z3", "屏幕花屏"), ("GPS-X1", "无法开机")], 2, 8),
        ("H3", [("GPS-Z3", "反复重启"), ("GPS-X1", "不定位"), ("GPS-Z3", "屏幕花屏"),
                ("GPS-X1", "进水"), ("GPS-X1", "不定位")], 1, 12),
        ("H4", [("GPS-X1", "无法开机"), ("GPS-Z3", "反复重启"), ("GPS-X1", "不定位")], 0, 5),
    ):  # fmt: skip
        _shipped_history(dealer, clerk, tech, tag=tag, lines=lines, months_ago=months_ago,
                         days=days)  # fmt: skip

    # Last month's statement of Guangzhou, waiting for the branch manager's signature.
    first_of_month = timezone.localdate().replace(day=1)
    last_month = first_of_month - timedelta(days=1)
    ro.statement_build(branch=units["B-GZ"], month=last_month, actor=clerk)
    # Hangzhou's, signed and handed over to sales dispatch: waiting for the dispatcher's 划账.
    signed = ro.statement_build(branch=units["B-HZ"], month=last_month, actor=clerk)
    ro.statement_confirm(statement_id=signed.pk, actor=users["hz_manager"])
    ro.statement_hand_over(statement_id=signed.pk, actor=clerk)
    if stdout is not None:
        stdout.write(
            "演示业务数据：返厂申请 11 份（1 份被驳回），维修单 10 张（1 张超期），"
            "拒收到货 1 批，对账单 2 份（1 份待签，1 份待划账），备用机 3 台\n"
        )
    # Field service: requests and dispatch, then visits on site, then the points' settlement.
    from . import oem, requests, settlement, visits

    for part in (requests, visits, settlement, oem):
        part.load(units=units, users=users, stdout=stdout)
    # Collections (issue 22 item 3): Hangzhou's receivable, partly paid.
    from . import collections as collections_demo

    collections_demo.load(units=units, users=users, stdout=stdout)
    # issue 22: advances and expense claims
    from . import advances as money_demo

    money_demo.load(units=units, users=users, stdout=stdout)
