"""The call centre's people and callers, for the inbound-call tests."""

import pytest

from callcenter.models import Customer, RegisteredNumber
from network.choices import OrgKind, Role
from network.models import OrgUnit, StaffProfile
from tests.factories import make_user


@pytest.fixture
def cc(net):
    """The call centre's people at HQ, a field office, a customer, a partner's number."""
    net.agent = make_user("agent", net.hq, Role.CALL_AGENT, first_name="孙悦", email=True)
    net.agent2 = make_user("agent2", net.hq, Role.CALL_AGENT, first_name="周敏", email=True)
    net.lead = make_user("lead", net.hq, Role.CALL_CENTRE_LEAD, email=True)
    net.expert = make_user("expert", net.hq, Role.EXPERT_AGENT, first_name="陈工", email=True)
    net.complaints = make_user("complaints", net.hq, Role.COMPLAINT_TEAM, email=True)
    net.office = OrgUnit.objects.create(
        code="FO-GZ", name="广州办事处", kind=OrgKind.FIELD_OFFICE, parent=net.gz
    )
    net.office_man = make_user("office_man", net.office, email=True)
    net.customer = Customer.objects.create(
        name="王先生", phone="+86 139-1234-5678", other_phones="0757-2288 6000，020 8888 1234"
    )
    net.dealer.phone = "0731-8888 1234"
    net.dealer.save()
    StaffProfile.objects.filter(user=net.tech).update(phone="138 0013 8000")
    RegisteredNumber.objects.create(org_unit=net.point, phone="13700001111")
    return net
