"""Builders shared by the network's-life tests (tests/network/test_life_*.py)."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from network.choices import OrgKind, PointGrade, PointStatus, Role
from network.models import OrgUnit, ServicePointProfile
from tests.factories import make_user


def pdf(name: str = "licence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


def specialist(net):
    return make_user("network_sp", net.hq, Role.NETWORK_SPECIALIST, email=True)


def point(net, code: str, *, parent=None, grade=PointGrade.B, status=PointStatus.ACTIVE):
    unit = OrgUnit.objects.create(
        code=code, name=f"{code} 特约维修站", kind=OrgKind.SERVICE_POINT, parent=parent or net.gz
    )
    ServicePointProfile.objects.create(org_unit=unit, grade=grade, status=status)
    return unit


def application_data(net, **overrides) -> dict:
    data = {
        "name": "番禺特约维修站",
        "parent": net.gz,
        "contact_name": "何建华",
        "phone": "020-34826601",
        "province": "广东省",
        "city": "广州市",
        "district": "番禺区",
        "address": "市桥街光明北路 88 号",
        "areas": [["广东省", "广州市", "番禺区"], ["广东省", "广州市", "南沙区"]],
        "skills": ["安装", "维修"],
        "capacity": 8,
        "technicians": 3,
        "grade": PointGrade.C,
        "contract_start": date(2026, 7, 1),
        "contract_end": date(2028, 6, 30),
    }
    data.update(overrides)
    return data
