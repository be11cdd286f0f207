"""Field service's test world on top of the `net` fixture (issue 20, dispatch half): the 派单员,
three service points in Guangzhou's areas (a district point of grade B, a city point of grade A,
a repair-only province point of grade C) each with one staff member, a field office with an
engineer, and an installed unit in 天河区 bought last spring."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from network.choices import OrgKind, PointGrade, PointStatus, Role
from network.models import OrgUnit
from repairs.models import FieldServicePolicy, InstalledUnit
from tests.factories import make_user

from .points import point

Z = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def field(net):
    w = net
    FieldServicePolicy.current()
    w.dispatcher = make_user("field_dispatch", w.hq, Role.SERVICE_DISPATCHER)
    w.agent = make_user("agent", w.hq, Role.CALL_AGENT)
    w.tianhe = point(
        "SP-TH", "天河特约站", w.gz, grade=PointGrade.B,
        areas=[("广东省", "广州市", "天河区")], skills=["repair", "install"],
    )  # fmt: skip
    w.gzcity = point(
        "SP-GZ", "广州市区特约站", w.gz, grade=PointGrade.A,
        areas=[("广东省", "广州市", "")], skills=["维修", "安装", "保养"],
    )  # fmt: skip
    w.province_pt = point(
        "SP-GD", "广东全省特约站", w.gz, grade=PointGrade.C,
        areas=[("广东省", "", "")], skills=[],
    )  # fmt: skip
    w.tianhe_staff = make_user("tianhe_staff", w.tianhe, Role.SERVICE_POINT_STAFF)
    w.gzcity_staff = make_user("gzcity_staff", w.gzcity, Role.SERVICE_POINT_STAFF)
    w.province_staff = make_user("province_staff", w.province_pt, Role.SERVICE_POINT_STAFF)
    w.office = OrgUnit.objects.create(
        code="FO-GZ", name="广州驻外办事处", kind=OrgKind.FIELD_OFFICE, parent=w.gz
    )
    w.office_engineer = make_user("office_engineer", w.office, Role.LOCAL_ENGINEER)
    w.unit = InstalledUnit.objects.create(
        serial_number="gx-2026-0001",
        product_model="GPS-X1",
        owner_name="陈秀英",
        owner_phone="13800001234",
        province="广东省",
        city="广州市",
        district="天河区",
        address="天河路 385 号 12 楼",
        purchase_date=date(2026, 3, 18),
        dealer=w.dealer,
        org_unit=w.gz,
    )
    w.PointStatus = PointStatus
    return w
