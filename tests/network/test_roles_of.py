"""roles_of: the roles a person holds, plus those lent to them today by a delegation — one role,
or (no role named) all of the principal's — read in one statement, also through the session's
user, which comes with its profile and org unit (network.backends.StaffModelBackend)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from network.choices import Role
from network.models import Delegation, RoleAssignment
from network.selectors import roles_of
from network.visibility import user_org_unit

pytestmark = [pytest.mark.django_db]

TODAY = date(2026, 11, 20)


def _fresh(user):
    """The same person as a new object (roles_of and the profile are kept per object)."""
    return type(user).objects.get(pk=user.pk)


def test_own_roles_and_a_single_role_and_a_whole_delegation(net):
    RoleAssignment.objects.create(user=net.gz_manager, role=Role.SUPERVISOR, org_unit=net.gz)
    with time_machine.travel(TODAY, tick=False):
        assert roles_of(_fresh(net.tech)) == {Role.TECHNICIAN}
        Delegation.objects.create(
            principal=net.gz_manager, deputy=net.tech, role=Role.BRANCH_MANAGER,
            starts_on=TODAY, ends_on=TODAY,
        )  # fmt: skip
        assert roles_of(_fresh(net.tech)) == {Role.TECHNICIAN, Role.BRANCH_MANAGER}
        Delegation.objects.create(
            principal=net.gz_manager, deputy=net.tech, role="", starts_on=TODAY, ends_on=TODAY
        )
        tech = _fresh(net.tech)
        with CaptureQueriesContext(connection) as queries:
            roles = roles_of(tech)
        assert roles == {Role.TECHNICIAN, Role.BRANCH_MANAGER, Role.SUPERVISOR}
        assert len(queries) == 1


def test_a_delegation_lends_nothing_outside_its_dates(net):
    Delegation.objects.create(
        principal=net.gz_manager, deputy=net.tech, role="",
        starts_on=TODAY + timedelta(days=1), ends_on=TODAY + timedelta(days=3),
    )  # fmt: skip
    with time_machine.travel(TODAY, tick=False):
        assert roles_of(_fresh(net.tech)) == {Role.TECHNICIAN}
    with time_machine.travel(TODAY + timedelta(days=3), tick=False):
        assert roles_of(_fresh(net.tech)) == {Role.TECHNICIAN, Role.BRANCH_MANAGER}
    with time_machine.travel(TODAY + timedelta(days=4), tick=False):
        assert roles_of(_fresh(net.tech)) == {Role.TECHNICIAN}


def test_the_session_user_comes_with_its_profile_and_unit(net, client):
    client.force_login(net.gz_manager)
    response = client.get(reverse("my_work"))
    user = response.wsgi_request.user
    with CaptureQueriesContext(connection) as queries:
        unit = user_org_unit(user)
    assert unit == net.gz and len(queries) == 0
