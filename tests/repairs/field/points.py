"""Service points as the dispatch rules read them (issue 20): an org unit of the network with its
ServicePointProfile (grade, skills, product models, capacity) and the ServiceAreas it covers.
Shared by the dispatch tests' `field` fixture (conftest.py) and the browser journey of a QR
report dispatched to the right point (tests/browser/test_field_service_journey.py)."""

from network.choices import OrgKind
from network.models import OrgUnit, ServiceArea, ServicePointProfile


def point(code, name, parent, *, grade, areas, skills=(), models=(), capacity=10, kind=None):
    """A service point under `parent`; `areas` are (province, city, district) triples, a blank
    city or district meaning the whole province or city."""
    unit = OrgUnit.objects.create(
        code=code, name=name, kind=kind or OrgKind.SERVICE_POINT, parent=parent
    )
    ServicePointProfile.objects.create(
        org_unit=unit,
        grade=grade,
        skills=list(skills),
        product_models=list(models),
        capacity=capacity,
    )
    for province, city, district in areas:
        ServiceArea.objects.create(org_unit=unit, province=province, city=city, district=district)
    return unit


def set_status(unit, status):
    # the network's own services change a point's standing; here a plain update stands in
    ServicePointProfile.objects.filter(org_unit=unit).update(status=status)
