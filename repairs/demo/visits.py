"""Field service demo data: visits on site (called by repairs.demo.load_demo), so `make run`
shows them: for the service point 广州白云特约维修站 (`gz_point`) a visit finished solved with
its before/after photos, report and the customer's signature (its callback waits in the call
centre), and one planned for today; for the branch engineer `gz_engineer` one planned for today.

The requests are made here as rows in the state the dispatch side leaves them (accepted, with
the planned visit); everything from the check-in on goes through repairs.services.visits.
Loads once (guarded by its visits' photos)."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from service_ops.numbering.services import next_document_number

from ..choices import ServiceCategory, ServiceRequestState
from ..models import ServiceRequest, Visit
from ..services import visits as vs
from ..services.field_requests import NUMBER_PREFIX


def _picture(text: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A stand-in for a phone photo: a coloured scene with the unit drawn on it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle([180, 120, 460, 380], fill=(60, 60, 70), outline=(20, 20, 20), width=6)
    draw.rectangle([210, 150, 430, 260], fill=(30, 120, 200) if "after" in text else (90, 90, 90))
    for x in range(220, 420, 40):
        draw.ellipse([x, 300, x + 24, 324], fill=(200, 200, 200))
    draw.text((24, 24), text, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return SimpleUploadedFile(f"{text}.jpg", out.getvalue(), content_type="image/jpeg")


def _signature() -> bytes:
    """A handwritten-looking stroke, as the canvas would give it."""
    import math

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(40 + t * 5, 110 + 45 * math.sin(t / 6) * math.cos(t / 17)) for t in range(0, 104)]
    draw.line(points, fill=(17, 17, 17, 255), width=5, joint="curve")
    draw.line([(330, 60), (360, 160), (400, 70), (440, 150), (520, 90)], fill="black", width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _accepted(*, org_unit, point=None, engineer=None, start, **fields) -> Visit:
    request = ServiceRequest.objects.create(
        number=next_document_number(NUMBER_PREFIX, width=5),
        state=ServiceRequestState.ACCEPTED,
        channel="call",
        org_unit=org_unit,
        assigned_unit=point,
        engineer=engineer,
        created_at=start - timedelta(days=1),
        **fields,
    )
    return Visit.objects.create(
        request=request,
        engineer=engineer,
        service_unit=point,
        window_start=start,
        window_end=start + timedelta(hours=2),
    )


def load(*, units, users, stdout=None) -> None:
    branch, point = units.get("B-GZ"), units.get("S-GZ-01")
    point_user, engineer = users.get("gz_point"), users.get("gz_engineer")
    if not (branch and point and point_user and engineer):
        return
    if Visit.objects.filter(photos__isnull=False).exists():
        return
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    customer = {
        "province": "广东",
        "city": "广州",
        "district": "白云区",
        "product_model": "GPS-X1",
    }
    # finished earlier today, solved, with everything the service record shows
    done = _accepted(
        org_unit=branch,
        point=point,
        start=now - timedelta(hours=3),
        category=ServiceCategory.REPAIR,
        contact_name="黄志强",
        contact_phone="13922001001",
        address="机场路 88 号 白云物流园 3 栋",
        serial_number="X1-260501",
        description="车载终端不定位，指示灯红灯常亮",
        in_warranty=True,
        **customer,
    )
    vs.visit_check_in(
        visit_id=done.pk, actor=point_user, latitude="23.186100", longitude="113.268500",
        accuracy_m=18,
    )  # fmt: skip
    for kind, colour in (("before", (150, 110, 90)), ("after", (70, 140, 90))):
        vs.visit_add_photo(
            visit_id=done.pk, actor=point_user, kind=kind, file=_picture(kind, colour)
        )
    vs.visit_record(
        visit_id=done.pk,
        actor=point_user,
        diagnosis="GPS 天线接头氧化松动，定位模块无信号输入",
        work_report="更换 GPS 天线及接头，重新固定走线；试车 20 分钟定位正常，平台可见轨迹。",
        distance_km="18.5",
    )
    vs.visit_sign(visit_id=done.pk, actor=point_user, signature=_signature())
    vs.visit_finish(visit_id=done.pk, actor=point_user, solved=True)

    # planned for today: the point and the engineer
    _accepted(
        org_unit=branch,
        point=point,
        start=now + timedelta(hours=1),
        category=ServiceCategory.INSTALL,
        contact_name="郑丽",
        contact_phone="13922001002",
        address="石井大道 12 号",
        serial_number="X1-260502",
        description="新车安装车载终端两台",
        in_warranty=True,
        **customer,
    )
    _accepted(
        org_unit=branch,
        engineer=engineer,
        start=now + timedelta(hours=2),
        category=ServiceCategory.REPAIR,
        contact_name="吴国栋",
        contact_phone="13922001003",
        address="天河路 385 号 太古汇地下车库",
        serial_number="Y2-260503",
        description="终端频繁重启",
        in_warranty=False,
        **{**customer, "district": "天河区", "product_model": "GPS-Y2"},
    )
    if stdout is not None:
        stdout.write("上门服务：1 次已解决（gz_point），今日待上门 2 次（gz_point、gz_engineer）\n")
