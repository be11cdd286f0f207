"""The parts' test world on top of the `net` fixture: a parts warehouse at headquarters with its
supervisor and clerk, a field office and a service point with their warehouses, the two dealers'
warehouses, an engineer's own stock, and a few parts."""

from decimal import Decimal

import pytest

from network.choices import OrgKind, Role
from network.models import OrgUnit
from spareparts.choices import WarehouseKind
from spareparts.models import Part, PartFit, Warehouse
from tests.factories import make_user


def make_part(number, name="零件", *, models=(), price="10.00", cost="6.00", reorder=2):
    part = Part.objects.create(
        number=number,
        name_zh=name,
        list_price=Decimal(price),
        cost=Decimal(cost),
        reorder_level=reorder,
    )
    PartFit.objects.bulk_create([PartFit(part=part, product_model=m) for m in models])
    return part


@pytest.fixture
def parts(net):
    w = net
    w.parts_sup = make_user("parts_sup", w.hq, Role.PARTS_SUPERVISOR)
    w.parts_clerk = make_user("parts_clerk", w.hq, Role.PARTS_CLERK)
    w.office = OrgUnit.objects.create(
        code="FO-GZ", name="广州天河办事处", kind=OrgKind.FIELD_OFFICE, parent=w.gz
    )
    w.point_user = make_user("point_user", w.point, Role.SERVICE_POINT_STAFF)
    w.hq_wh = Warehouse.objects.create(
        code="W-HQ", name="总部配件仓", kind=WarehouseKind.HQ, org_unit=w.hq
    )
    w.office_wh = Warehouse.objects.create(
        code="W-FO-GZ", name="天河办事处仓", kind=WarehouseKind.FIELD_OFFICE, org_unit=w.office
    )
    w.point_wh = Warehouse.objects.create(
        code="W-SP-1", name="天河网点仓", kind=WarehouseKind.SERVICE_POINT, org_unit=w.point
    )
    w.dealer_wh = Warehouse.objects.create(
        code="W-D-XJ", name="湘江代理商仓", kind=WarehouseKind.SERVICE_POINT, org_unit=w.dealer
    )
    w.dealer2_wh = Warehouse.objects.create(
        code="W-D-ZZ", name="株洲代理商仓", kind=WarehouseKind.SERVICE_POINT, org_unit=w.dealer2
    )
    w.engineer_wh = Warehouse.objects.create(
        code="W-E-GZ",
        name="梁超自有库存",
        kind=WarehouseKind.ENGINEER,
        org_unit=w.gz,
        engineer=w.gz_engineer,
    )
    w.board = make_part("GPS-MB-01", "GPS 主板", models=("GPS-X1", "GPS-X2"), price="380.00")
    w.antenna = make_part("GPS-ANT-02", "GPS 天线", models=("GPS-X1",), price="45.00")
    w.cable = make_part("PWR-CBL-03", "电源线", models=("T1",), price="12.00")
    return w
