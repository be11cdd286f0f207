from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.request import Request

from network.api.authentication import PartnerTokenAuthentication
from network.choices import BranchKind, OrgKind, Role
from network.management.commands.load_demo import DEMO_PASSWORD, PEOPLE, UNITS, demo_token
from network.models import OrgUnit, PartnerToken, PrepaidAccount, PrepaidEntry, RoleAssignment
from network.selectors import role_holders
from service_ops.deadlines.models import DeadlinePolicy
from service_ops.workcalendar.models import CalendarYear

User = get_user_model()


def _load(*args) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "units": OrgUnit.objects.count(),
        "users": User.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "ledger": PrepaidEntry.objects.count(),
        "tokens": PartnerToken.objects.count(),
        "policies": DeadlinePolicy.objects.count(),
        "years": CalendarYear.objects.count(),
    }


@pytest.mark.django_db
def test_loading_the_demo_twice_changes_nothing_the_second_time():
    _load()
    first = _counts()
    balances = dict(PrepaidAccount.objects.values_list("org_unit__code", "balance"))
    _load()
    assert _counts() == first
    assert dict(PrepaidAccount.objects.values_list("org_unit__code", "balance")) == balances
    assert first["units"] >= 20
    year = timezone.localdate().year
    seeded = set(CalendarYear.objects.values_list("year", flat=True))
    assert {year - 1, year, year + 1} <= seeded


@pytest.mark.django_db
def test_every_role_has_a_demo_login_that_signs_in_with_the_printed_password():
    output = _load()
    assigned = set(RoleAssignment.objects.values_list("role", flat=True))
    assert assigned == set(Role.values)
    for person in PEOPLE:
        assert authenticate(username=person.username, password=DEMO_PASSWORD) is not None
        assert person.username in output
    assert DEMO_PASSWORD in output
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_every_demo_user_sits_in_the_org_unit_where_they_hold_their_role():
    _load()
    for ra in RoleAssignment.objects.select_related("user__profile", "org_unit"):
        assert ra.user.profile.org_unit_id == ra.org_unit_id, ra


@pytest.mark.django_db
def test_the_demo_network_has_both_platforms_and_their_approval_chains():
    _load()
    hq = OrgUnit.objects.get(code="HQ")
    assert hq.kind == OrgKind.HEADQUARTERS and hq.name == "客户服务部"
    branches = {u.name: u for u in OrgUnit.objects.filter(kind=OrgKind.BRANCH)}
    assert branches["广州分公司"].branch_kind == BranchKind.OPERATING
    assert branches["杭州分公司"].branch_kind == BranchKind.OPERATING
    assert branches["长沙分公司"].branch_kind == BranchKind.MANAGED
    assert branches["成都分公司"].branch_kind == BranchKind.MANAGED
    assert OrgUnit.objects.filter(kind=OrgKind.FIELD_OFFICE).exists()
    assert OrgUnit.objects.filter(kind=OrgKind.SERVICE_POINT, gps_upgrade=True).exists()
    for dealer in OrgUnit.objects.filter(kind=OrgKind.DEALER):
        assert dealer.parent.branch_kind == BranchKind.MANAGED

    def holders(role, code):
        return [u.username for u in role_holders(role, OrgUnit.objects.get(code=code))]

    # operating: branch engineer → field CS supervisor → branch manager → head of CS
    assert holders(Role.BRANCH_ENGINEER, "B-GZ") == ["gz_engineer"]
    assert holders(Role.FIELD_CS_SUPERVISOR, "B-GZ") == ["gz_cs_sup"]
    assert holders(Role.BRANCH_MANAGER, "B-GZ") == ["gz_manager"]
    # managed: dealer → local engineer → provincial manager → head of CS
    assert holders(Role.LOCAL_ENGINEER, "D-CS-01") == ["cs_engineer"]
    assert holders(Role.PROVINCIAL_MANAGER, "D-CS-01") == ["hn_manager"]
    assert holders(Role.HEAD_OF_CS, "D-CD-02") == ["head_cs"]


@pytest.mark.django_db
def test_partner_prepaid_accounts_open_with_a_top_up_and_a_charge():
    _load()
    partners = OrgUnit.objects.filter(
        kind__in=[OrgKind.DEALER, OrgKind.SERVICE_POINT], code__in=[u.code for u in UNITS]
    )
    for unit in partners:
        # the network's opening entries; the call centre's demo then charges its activation-code
        # queries and records a top-up (callcenter/demo/activation.py)
        entries = list(PrepaidEntry.objects.filter(account__org_unit=unit).order_by("id"))
        assert [e.kind for e in entries[:2]] == ["top_up", "charge"]
        assert entries[1].balance_after == Decimal("4970.00")
        assert unit.prepaid_account.balance == entries[-1].balance_after


@pytest.mark.django_db
def test_the_printed_partner_token_authenticates_the_demo_dealer():
    _load()
    request = Request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {demo_token()}"))
    user, token = PartnerTokenAuthentication().authenticate(request)
    assert user.username == "cs_dealer"
    assert token.org_unit.code == "D-CS-01" and token.is_usable()


@pytest.mark.django_db
def test_if_missing_skips_an_existing_demo_but_still_prints_the_logins():
    _load()
    before = _counts()
    output = _load("--if-missing")
    assert "already loaded" in output and "logistics" in output
    assert _counts() == before


@pytest.mark.django_db
def test_the_demo_gives_each_role_work_on_first_login():
    from django.core.management import call_command

    from repairs.models import ApprovalStep, RepairOrder
    from repairs.selectors.returns import signature_queue

    call_command("load_demo", "--quiet")
    call_command("load_demo", "--quiet")
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    assert signature_queue(users["cs_engineer"]).exists()
    assert ApprovalStep.objects.filter(state="pending", role="provincial_manager").exists()
    assert set(RepairOrder.objects.values_list("state", flat=True)) >= {
        "waiting_pickup",
        "repairing",
        "waiting_consent",
        "burn_in",
        "packing",
        "packed",
    }
    # 10 in flight (one past its limit, on the review list) and 12 shipped over the last three
    # months for the repairs reports (repairs.demo._shipped_history)
    assert RepairOrder.objects.count() == 22


@pytest.mark.django_db
def test_the_demo_shows_activation_codes_numbers_a_top_up_and_every_query_outcome():
    from callcenter.choices import ActivationOutcome
    from callcenter.demo.activation import demo_point_token
    from callcenter.models import ActivationCode, ActivationQuery, PrepaidTopUp, RegisteredNumber

    _load()
    _load()  # idempotent
    assert ActivationCode.objects.count() == 300
    assert RegisteredNumber.objects.filter(org_unit__code="S-GZ-01", phone="13300133003").exists()
    assert RegisteredNumber.objects.filter(org_unit__code="O-GZ-TH").count() == 2
    assert PrepaidTopUp.objects.count() == 1
    outcomes = set(ActivationQuery.objects.values_list("outcome", flat=True))
    assert outcomes == set(ActivationOutcome.values)
    assert ActivationQuery.objects.filter(channel="api", sender__code="S-GZ-01").count() == 2
    request = Request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {demo_point_token()}"))
    user, token = PartnerTokenAuthentication().authenticate(request)
    assert (user.username, token.org_unit.code) == ("gz_point_api", "S-GZ-01")


@pytest.mark.django_db
def test_the_whole_demo_shows_every_complaint_stage_penalties_and_feedback():
    """The complaints' demo runs after the call centre's, which may already have handed a call
    to the complaint team: the desk still gets its own complaints, once."""
    from complaints.models import Complaint, ComplaintPenalty, ProductFeedback

    _load("--quiet")
    _load("--quiet")
    states = set(Complaint.objects.values_list("state", flat=True))
    assert states >= {"accepted", "investigating", "proposed", "senior_review", "closed", "invalid"}
    assert Complaint.objects.filter(complainant_phone="13911110001").count() == 1
    assert set(ComplaintPenalty.objects.values_list("state", flat=True)) == {
        "proposed",
        "confirmed",
        "waived",
    }
    assert ProductFeedback.objects.exists()
