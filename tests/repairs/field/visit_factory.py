"""A small factory for the visit tests: service requests and visits made directly as rows in the
state the dispatch side would leave them (an accepted request with its planned visit), the
people of a field office and a service point, stock in the engineer's and the point's warehouses,
and pictures to upload."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from network.choices import Role
from repairs.choices import ServiceCategory, ServiceRequestState, VisitState
from repairs.models import ServiceRequest, Visit
from spareparts.choices import WarehouseKind
from spareparts.models import Part, Warehouse
from spareparts.services.stock import stock_receive
from tests.factories import make_user

_seq = count(1)


@dataclass
class Field:
    """The test network's field side: `net` plus a dispatcher, a field CS supervisor, point
    staff of two points, and warehouses with a part in stock."""

    net: object
    dispatcher: object
    engineer: object
    point: object
    point_staff: object
    other_point: object
    other_staff: object
    part: Part
    engineer_stock: Warehouse
    point_stock: Warehouse


def field_people(net) -> Field:
    from network.choices import OrgKind
    from network.models import OrgUnit

    dispatcher = make_user("field_dispatch", net.gz, Role.SERVICE_DISPATCHER, email=True)
    point_staff = make_user("point_staff", net.point, Role.SERVICE_POINT_STAFF, email=True)
    other_point = OrgUnit.objects.create(
        code="SP-2", name="番禺特约维修网点", kind=OrgKind.SERVICE_POINT, parent=net.gz
    )
    other_staff = make_user("other_staff", other_point, Role.SERVICE_POINT_STAFF)
    part = Part.objects.create(
        number="FP-100", name_zh="主板", list_price=Decimal("120.00"), cost=Decimal("80.00")
    )
    engineer_stock = Warehouse.objects.create(
        code="W-ENG-GZ",
        name="工程师自有库存",
        kind=WarehouseKind.ENGINEER,
        org_unit=net.gz,
        engineer=net.gz_engineer,
    )
    point_stock = Warehouse.objects.create(
        code="W-SP-1", name="网点仓", kind=WarehouseKind.SERVICE_POINT, org_unit=net.point
    )
    stock_receive(part=part, warehouse=engineer_stock, quantity=5, actor=net.gz_engineer)
    stock_receive(part=part, warehouse=point_stock, quantity=5, actor=point_staff)
    return Field(
        net=net,
        dispatcher=dispatcher,
        engineer=net.gz_engineer,
        point=net.point,
        point_staff=point_staff,
        other_point=other_point,
        other_staff=other_staff,
        part=part,
        engineer_stock=engineer_stock,
        point_stock=point_stock,
    )


def accepted_visit(
    net,
    *,
    engineer=None,
    service_unit=None,
    category=ServiceCategory.REPAIR,
    window_start=None,
    in_warranty=True,
    state=VisitState.PLANNED,
    request_state=ServiceRequestState.ACCEPTED,
) -> Visit:
    """An accepted request (as the dispatch side leaves it) and its planned visit, as rows."""
    n = next(_seq)
    request = ServiceRequest.objects.create(
        number=f"BX-TEST-{n:04d}",
        state=request_state,
        category=category,
        channel="call",
        contact_name="张先生",
        contact_phone=f"139{n:08d}",
        province="广东",
        city="广州",
        address="天河路 1 号",
        description="开机无显示",
        in_warranty=in_warranty,
        org_unit=net.gz,
        assigned_unit=service_unit,
        engineer=engineer,
        product_model="GPS-X1",
        serial_number=f"SN{n:06d}",
    )
    start = window_start or timezone.now().replace(minute=0, second=0, microsecond=0)
    return Visit.objects.create(
        request=request,
        sequence=1,
        engineer=engineer,
        service_unit=service_unit,
        window_start=start,
        window_end=start + timedelta(hours=2),
        state=state,
    )


def picture(
    name="photo.jpg", fmt="JPEG", size=(64, 48), colour=(200, 80, 40)
) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    kind = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, out.getvalue(), content_type=kind)


def signature_png(*, blank=False, width=300, height=120) -> bytes:
    """What a canvas gives: transparent, with a black stroke unless blank."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line(
            [(20, 80), (80, 30), (150, 90), (260, 40)], fill="black", width=4
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def visit_on_site(net):
    """Branch 长沙's visit (a request its dealer 湘江 filed) by its local engineer, on site with a
    photo, a part from the engineer's own stock and the customer's signature: the record the
    visibility tests and the leak walk open as others. Returns (visit, photo, part line)."""
    from repairs.services import visits as vs

    part = Part.objects.create(number="LEAK-FP-01", name_zh="天线", list_price=Decimal("30"))
    own = Warehouse.objects.create(
        code="W-LEAK-ENG",
        name="长沙工程师库存",
        kind=WarehouseKind.ENGINEER,
        org_unit=net.cs,
        engineer=net.cs_engineer,
    )
    stock_receive(part=part, warehouse=own, quantity=2, actor=net.cs_engineer)
    request = ServiceRequest.objects.create(
        number="BX-LEAK-0001",
        state=ServiceRequestState.ACCEPTED,
        category=ServiceCategory.REPAIR,
        channel="dealer",
        contact_name="上门客户-泄露检查",
        contact_phone="13900001111",
        address="湘江路 1 号",
        org_unit=net.cs,
        dealer=net.dealer,
        engineer=net.cs_engineer,
    )
    visit = Visit.objects.create(request=request, engineer=net.cs_engineer)
    vs.visit_check_in(visit_id=visit.pk, actor=net.cs_engineer, latitude=28.2, longitude=112.9)
    photo, _created = vs.visit_add_photo(
        visit_id=visit.pk, actor=net.cs_engineer, kind="before", file=picture()
    )
    line = vs.visit_add_part(visit_id=visit.pk, actor=net.cs_engineer, part=part, quantity=1)
    vs.visit_sign(visit_id=visit.pk, actor=net.cs_engineer, signature=signature_png())
    return Visit.objects.get(pk=visit.pk), photo, line
