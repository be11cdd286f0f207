"""Builders for the settlement tests: finished visits as plain rows (the visit services belong to
another part of issue 20), fee rules, and a network with a service point, its staff, a second
point, the network specialist, the head of customer service and finance."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from network.choices import OrgKind, PointGrade, Role
from network.models import OrgUnit, ServicePointProfile
from repairs.choices import CallbackVerdict, PhotoKind, VisitState
from repairs.models import FeeRule, ServiceRequest, Visit, VisitPhoto
from tests.factories import make_user

Z = ZoneInfo("Asia/Shanghai")
_n = count(1)


def at(y, m, d, h=10, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=Z)


def settlement_people(net):
    """Adds to the `net` fixture: the point's profile (grade B) and staff, a second point with
    its staff, the network specialist and finance at headquarters."""
    ServicePointProfile.objects.create(org_unit=net.point, grade=PointGrade.B)
    net.point2 = OrgUnit.objects.create(
        code="SP-2", name="越秀特约维修网点", kind=OrgKind.SERVICE_POINT, parent=net.gz
    )
    ServicePointProfile.objects.create(org_unit=net.point2, grade=PointGrade.A)
    net.point_user = make_user("point_user", net.point, Role.SERVICE_POINT_STAFF, email=True)
    net.point2_user = make_user("point2_user", net.point2, Role.SERVICE_POINT_STAFF, email=True)
    net.specialist = make_user("specialist", net.hq, Role.NETWORK_SPECIALIST, email=True)
    net.finance = make_user("finance", net.hq, Role.FINANCE, email=True)
    return net


def rule(amount, *, start=date(2026, 1, 1), end=None, **kw) -> FeeRule:
    return FeeRule.objects.create(
        amount=Decimal(str(amount)), effective_from=start, effective_to=end, **kw
    )


def finished_visit(
    net,
    finished: datetime,
    *,
    point=None,
    category="repair",
    state=VisitState.SOLVED,
    checked_in=True,
    photos=(PhotoKind.BEFORE, PhotoKind.AFTER),
    signed=True,
    verdict=CallbackVerdict.SATISFIED,
    km="12.0",
    model="GPS-X1",
    in_warranty=True,
    request=None,
    sequence=1,
) -> Visit:
    """A finished visit of a service point, as rows."""
    point = point or net.point
    if request is None:
        request = ServiceRequest.objects.create(
            number=f"BX-TEST-{next(_n):05d}",
            state="solved" if state == VisitState.SOLVED else "escalated",
            category=category,
            channel="call",
            product_model=model,
            serial_number=f"SN{next(_n):06d}",
            contact_name="李先生",
            contact_phone="13800000000",
            address="广州市天河区体育西路 1 号",
            in_warranty=in_warranty,
            org_unit=net.gz,
            assigned_unit=point,
            callback_verdict=verdict,
        )
    visit = Visit.objects.create(
        request=request,
        sequence=sequence,
        state=state,
        service_unit=point,
        checked_in_at=finished.replace(hour=max(finished.hour - 1, 0)) if checked_in else None,
        distance_km=Decimal(km) if km is not None else None,
        signed_at=finished if signed else None,
        signed_by="李先生" if signed else "",
        finished_at=finished,
    )
    for kind in photos:
        VisitPhoto.objects.create(visit=visit, kind=kind, file=f"visits/photos/{kind}.jpg")
    return visit
