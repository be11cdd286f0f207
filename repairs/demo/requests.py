"""Field service demo data: requests and dispatch (called by repairs.demo.load_demo, once).

The Guangzhou service points and the Tianhe field office get a profile and service areas where
they have none (the network's own demo may add more), three installed units get their QR codes,
and requests are left where each role finds work: one reported by QR and offered to 广州白云特约
维修站 (gz_point answers it on 待接派单), one in an area nobody covers waiting for the 派单员
(field_dispatch), one accepted with tomorrow's appointment."""

from datetime import date, timedelta

from django.utils import timezone

from network.choices import PointGrade
from network.models import ServiceArea, ServicePointProfile

from ..choices import RequestChannel
from ..models import InstalledUnit, ServiceRequest
from ..services import field_requests as svc

POINTS = (
    # code, grade, skills, areas (province, city, district)
    (
        "S-GZ-01",
        PointGrade.A,
        ["repair", "install", "maintenance"],
        [("广东省", "广州市", "白云区")],
    ),
    ("S-GZ-02", PointGrade.B, ["repair", "install"], [("广东省", "佛山市", "")]),
    ("O-GZ-TH", PointGrade.B, ["repair", "inspection"], [("广东省", "广州市", "天河区")]),
)
UNITS = (
    ("GPS-X1", "GX2026BY0001", "白云区", "机场路 1688 号", date(2026, 4, 2)),
    ("GPS-X2", "GX2026TH0002", "天河区", "体育西路 101 号", date(2025, 6, 20)),
    ("T1", "T12025ZJ0003", "赤坎区", "人民大道 8 号", date(2026, 1, 9)),
)


def load(*, units, users, stdout=None) -> None:
    if ServiceRequest.objects.exists() or "B-GZ" not in units:
        return
    for code, grade, skills, areas in POINTS:
        unit = units.get(code)
        if unit is None:
            continue
        ServicePointProfile.objects.get_or_create(
            org_unit=unit, defaults={"grade": grade, "skills": skills, "capacity": 8}
        )
        for province, city, district in areas:
            ServiceArea.objects.get_or_create(
                org_unit=unit, province=province, city=city, district=district
            )
    made = []
    for model, serial, district, address, bought in UNITS:
        made.append(
            InstalledUnit.objects.get_or_create(
                serial_number=serial,
                defaults={
                    "product_model": model,
                    "owner_name": "黄志强",
                    "owner_phone": "13926001122",
                    "province": "广东省",
                    "city": "湛江市" if district == "赤坎区" else "广州市",
                    "district": district,
                    "address": address,
                    "purchase_date": bought,
                    "dealer": None,
                    "org_unit": units["B-GZ"],
                    "warranty_card_number": f"W{serial[-4:]}",
                },
            )[0]
        )
    dispatcher = users.get("field_dispatch")
    # 1. reported by the QR code: offered to 广州白云特约维修站 by the rules
    svc.request_file(
        channel=RequestChannel.QR, category="repair", contact_name="黄先生",
        contact_phone="13926001122", address=made[0].address, description="定位不更新，屏幕闪烁",
        preferred_time="工作日下午", unit=made[0],
    )  # fmt: skip
    # 2. in 湛江, which no point covers yet: waits for the dispatcher
    svc.request_file(
        channel=RequestChannel.CALL, category="install", contact_name="梁女士",
        contact_phone="13702502233", address=made[2].address, description="新车加装，需要上门安装",
        unit=made[2], actor=dispatcher,
    )  # fmt: skip
    # 3. accepted by the Tianhe office, the appointment tomorrow morning
    third = svc.request_file(
        channel=RequestChannel.STAFF, category="repair", contact_name="黄志强",
        contact_phone="13926001122", address=made[1].address, description="无法开机",
        unit=made[1], actor=dispatcher,
    )  # fmt: skip
    offer = third.dispatches.filter(state="offered").first()
    engineer = users.get("gz_engineer")
    if offer is not None and offer.to_unit_id == units["O-GZ-TH"].pk and engineer is not None:
        svc.request_override(
            request_id=third.pk, actor=dispatcher, to_engineer=engineer, reason="老客户"
        )
        offer = third.dispatches.get(state="offered")
        visit = svc.offer_accept(offer_id=offer.pk, actor=engineer)
        start = timezone.localtime().replace(hour=9, minute=30, second=0, microsecond=0)
        start += timedelta(days=1)
        svc.visit_schedule(
            visit_id=visit.pk, actor=engineer, start=start, end=start + timedelta(hours=2)
        )
    if stdout is not None:
        stdout.write(
            "演示上门服务：装机档案 3 台（含二维码），报修单 3 张（待接单、待派单、已预约）\n"
        )
