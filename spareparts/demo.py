"""Demo data of the parts: a catalogue, the headquarters parts warehouse with stock, the 广州天河
field office's and the 广州白云 service point's warehouses with a transfer each, an engineer's own
stock, a reservation, a scrap, and a count waiting for the supervisor. Idempotent (skipped when the
headquarters warehouse exists)."""

from __future__ import annotations

from decimal import Decimal

from .choices import WarehouseKind
from .models import Part, PartFit, Warehouse

# fmt: off
PARTS = [
    ("GPS-MB-01", "GPS 主板", "GPS main board", "块", "380.00", "210.00", 5, ("GPS-X1", "GPS-X2")),
    ("GPS-ANT-02", "GPS 天线", "GPS antenna", "个", "45.00", "18.00", 10, ("GPS-X1", "GPS-X2", "GPS-M3")),  # noqa: E501
    ("GPS-PWR-03", "电源模块", "Power module", "个", "120.00", "60.00", 5, ("GPS-X1",)),
    ("CAM-LNS-04", "摄像头镜头", "Camera lens", "个", "85.00", "40.00", 4, ("DVR-C2",)),
    ("DVR-HDD-05", "硬盘 1TB", "Hard disk 1 TB", "块", "420.00", "300.00", 2, ("DVR-C2", "DVR-C4")),
    ("CBL-PWR-06", "电源线", "Power cable", "根", "12.00", "4.00", 20, ("GPS-X1", "GPS-X2", "DVR-C2")),  # noqa: E501
    ("SCR-LCD-07", "显示屏 7 寸", "7-inch display", "块", "260.00", "150.00", 3, ("NAV-S7",)),
    ("KEY-PAD-08", "按键板", "Key pad", "块", "35.00", "12.00", 5, ("NAV-S7", "GPS-M3")),
]
# fmt: on


def load_demo(*, units, users, stdout=None) -> None:
    from .services import counts, stock

    hq = units.get("HQ")
    if hq is None or Warehouse.objects.filter(code="W-HQ").exists():
        return
    clerk = users.get("parts_clerk")
    sup = users.get("parts_sup")
    if clerk is None or sup is None:
        return
    parts = {}
    for number, zh, en, unit, price, cost, reorder, models in PARTS:
        part = Part.objects.create(
            number=number,
            name_zh=zh,
            name_en=en,
            unit=unit,
            list_price=Decimal(price),
            cost=Decimal(cost),
            reorder_level=reorder,
        )
        PartFit.objects.bulk_create([PartFit(part=part, product_model=m) for m in models])
        parts[number] = part
    hq_wh = Warehouse.objects.create(
        code="W-HQ", name="总部配件仓", kind=WarehouseKind.HQ, org_unit=hq
    )
    _consumption_history(parts, hq_wh, clerk)
    office = units.get("O-GZ-TH")
    point = units.get("S-GZ-01")
    office_wh = point_wh = None
    if office is not None:
        office_wh = Warehouse.objects.create(
            code="W-O-GZ-TH",
            name="广州天河办事处仓",
            kind=WarehouseKind.FIELD_OFFICE,
            org_unit=office,
        )
    if point is not None:
        point_wh = Warehouse.objects.create(
            code="W-S-GZ-01",
            name="广州白云特约维修站配件仓",
            kind=WarehouseKind.SERVICE_POINT,
            org_unit=point,
        )
    engineer = users.get("gz_engineer")
    if engineer is not None and units.get("B-GZ") is not None:
        Warehouse.objects.create(
            code="W-E-GZ-ENG",
            name="梁超自有库存",
            kind=WarehouseKind.ENGINEER,
            org_unit=units["B-GZ"],
            engineer=engineer,
        )
    quantities = [40, 60, 4, 12, 2, 200, 0, 30]
    for part, quantity in zip(parts.values(), quantities, strict=True):
        if quantity:
            stock.stock_receive(
                part=part, warehouse=hq_wh, quantity=quantity, actor=clerk, reason="供应商到货"
            )
    for target in (office_wh, point_wh):
        if target is not None:
            for number, quantity in (("GPS-MB-01", 3), ("GPS-ANT-02", 10), ("CBL-PWR-06", 20)):
                stock.stock_transfer(
                    part=parts[number],
                    from_warehouse=hq_wh,
                    to_warehouse=target,
                    quantity=quantity,
                    actor=clerk,
                    reason="月度补货",
                )
    stock.stock_reserve(
        part=parts["GPS-MB-01"], warehouse=hq_wh, quantity=2, actor=clerk, reason="返修机维修"
    )
    stock.stock_scrap(
        part=parts["CAM-LNS-04"], warehouse=hq_wh, quantity=1, actor=clerk, reason="来料破损"
    )
    count = counts.count_open(warehouse=hq_wh, actor=clerk, note="月末盘点")
    found = {line.pk: line.expected for line in count.lines.all()}
    first = count.lines.filter(part=parts["CBL-PWR-06"]).first()
    if first is not None:
        found[first.pk] = first.expected - 2
    counts.count_enter(count_id=count.pk, counted=found, actor=clerk)
    counts.count_submit(count_id=count.pk, actor=clerk)
    _reorder_demo(parts, hq_wh, office_wh, sup)
    _faulty_demo(parts, point, users, clerk)
    _requests_demo(parts, point_wh, users, clerk, sup)
    _quote_demo(parts, units.get("D-CS-01"), users.get("cs_dealer"), clerk)
    if stdout is not None:
        stdout.write(
            f"  spare parts: {len(parts)} parts, stock count {count.number} awaits parts_sup"
        )


def _consumption_history(parts, hq_wh, clerk) -> None:
    """Six months of issues to repairs and sales to dealers at headquarters, so the consumption
    report's default period shows months, a chart and the biggest consumers; the ended months
    rolled up as the daily job would. Dated in the past through the ledger's own writer (a
    demo's history; the services date every movement now)."""
    from datetime import datetime, time, timedelta

    from django.db import transaction
    from django.utils import timezone

    from .choices import MovementKind
    from .services.planning import planning_rollup_consumption
    from .services.stock import _post, locked_balance

    today = timezone.localdate()
    # (part, issued a month, sold a month): the board and the cable move most
    pattern = [
        ("GPS-MB-01", 6, 2),
        ("CBL-PWR-06", 9, 14),
        ("GPS-ANT-02", 4, 6),
        ("GPS-PWR-03", 3, 0),
        ("DVR-HDD-05", 1, 1),
        ("KEY-PAD-08", 2, 1),
    ]
    zone = timezone.get_current_timezone()
    with transaction.atomic():
        for back in range(5, -1, -1):
            year, month = today.year, today.month - back
            if month < 1:
                year, month = year - 1, month + 12
            first = today.replace(year=year, month=month, day=1)
            day = min(first + timedelta(days=9), today)
            when = datetime.combine(day, time(10), tzinfo=zone)
            for k, (number, issued, sold) in enumerate(pattern):
                part = parts[number]
                grow = back % 3  # a little variation month to month
                issued, sold = issued + grow, sold + (grow if sold else 0)
                balance = locked_balance(part.pk, hq_wh.pk)
                _post(
                    balance,
                    kind=MovementKind.RECEIVE,
                    on_hand_change=issued + sold,
                    actor=clerk,
                    reason="供应商到货",
                    now=when - timedelta(days=2),
                )
                if issued:
                    _post(
                        balance,
                        kind=MovementKind.ISSUE,
                        on_hand_change=-issued,
                        actor=clerk,
                        reason="维修领用",
                        now=when + timedelta(hours=k),
                    )
                if sold:
                    _post(
                        balance,
                        kind=MovementKind.SALE,
                        on_hand_change=-sold,
                        actor=clerk,
                        reason="代理商购配件",
                        now=when + timedelta(days=3, hours=k),
                    )
    planning_rollup_consumption()


def _reorder_demo(parts, hq_wh, office_wh, sup) -> None:
    """Reorder points: three below their minimum (two at headquarters, one at the field office),
    one comfortably above."""
    from .services.planning import reorder_point_set

    points = [
        (hq_wh, "SCR-LCD-07", 3, 10),
        (hq_wh, "GPS-PWR-03", 8, 10),
        (hq_wh, "CBL-PWR-06", 20, 100),
    ]
    if office_wh is not None:
        points.append((office_wh, "GPS-MB-01", 5, 5))
    for warehouse, number, minimum, quantity in points:
        reorder_point_set(
            part=parts[number],
            warehouse=warehouse,
            minimum=minimum,
            reorder_quantity=quantity,
            actor=sup,
        )


def _faulty_demo(parts, point, users, clerk) -> None:
    """The main board is serialised (a warranty replacement records both serials); the service
    point owes one faulty board back (旧件返还) and has handed in another."""
    from .services import faulty

    board = parts["GPS-MB-01"]
    board.serialised = True
    board.save(update_fields=["serialised"])
    if point is None:
        return
    faulty.faulty_part_record(
        part=board,
        faulty_serial="MB2305-0117",
        new_serial="MB2410-0342",
        owed_by_unit=point,
        owed_by=users.get("gz_point"),
        actor=clerk,
    )
    back = faulty.faulty_part_record(
        part=board,
        faulty_serial="MB2303-0051",
        new_serial="MB2410-0339",
        owed_by_unit=point,
        actor=clerk,
    )
    faulty.faulty_part_receive(return_id=back.pk, actor=clerk)


def _requests_demo(parts, point_wh, users, clerk, sup) -> None:
    """The service point's part requests (配件申请), one at each state."""
    from .services import requests as rq

    requester = users.get("gz_point")
    if point_wh is None or requester is None:
        return
    steps = {
        "requested": (),
        "approved": ("approve",),
        "picked": ("approve", "pick"),
        "shipped": ("approve", "pick", "ship"),
        "received": ("approve", "pick", "ship", "receive"),
        "rejected": ("reject",),
    }
    for i, (_state, todo) in enumerate(steps.items()):
        number = ("GPS-ANT-02", "CBL-PWR-06", "GPS-MB-01")[i % 3]
        request = rq.part_request_create(
            warehouse=point_wh,
            lines=[(parts[number], 2)],
            actor=requester,
            note="网点月度补货",
        )
        for step in todo:
            if step == "approve":
                rq.part_request_approve(request_id=request.pk, actor=sup)
            elif step == "reject":
                rq.part_request_reject(request_id=request.pk, actor=sup, reason="本月配额已用完")
            elif step == "pick":
                rq.part_request_pick(request_id=request.pk, actor=clerk)
            elif step == "ship":
                rq.part_request_ship(request_id=request.pk, actor=clerk)
            else:
                rq.part_request_receive(request_id=request.pk, actor=requester)


def _quote_demo(parts, dealer, dealer_user, clerk) -> None:
    """A dealer with a 10 % discount asks for parts; the quote is sent and accepted."""
    from .models import DealerDiscount
    from .services import quotes

    if dealer is None or dealer_user is None:
        return
    DealerDiscount.objects.get_or_create(dealer=dealer, defaults={"percent": Decimal("10")})
    quote = quotes.quote_ask(
        dealer=dealer,
        lines=[(parts["GPS-ANT-02"], 5), (parts["CBL-PWR-06"], 10)],
        actor=dealer_user,
        note="门店备件",
    )
    quotes.quote_send(quote_id=quote.pk, actor=clerk)
    quotes.quote_accept(quote_id=quote.pk, actor=dealer_user)
    # issue 22: a second order invoiced on account becomes the dealer's receivable (收款)
    sold = quotes.quote_ask(dealer=dealer, lines=[(parts["GPS-ANT-02"], 4)], actor=dealer_user)
    quotes.quote_send(quote_id=sold.pk, actor=clerk)
    quotes.quote_accept(quote_id=sold.pk, actor=dealer_user)
    quotes.quote_settle(quote_id=sold.pk, actor=clerk, how="invoiced", reference="INV-DEMO-0001")
    quotes.quote_ask(dealer=dealer, lines=[(parts["GPS-MB-01"], 1)], actor=dealer_user)
