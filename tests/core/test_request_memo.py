"""A request reads its caller's roles once (service_ops.memo); outside a request nothing is
kept, and a change of roles or delegations is seen at once."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from network.choices import Role
from network.models import RoleAssignment
from network.selectors import acting_units, roles_of
from service_ops.memo import RequestMemoMiddleware


def _role_reads(queries) -> int:
    own = re.compile(r'FROM "?network_roleassignment"? .*WHERE .*"?user_id"? = ')
    return sum(1 for q in queries if own.search(q["sql"]))


def test_my_work_reads_the_callers_roles_once_per_request(client, net):
    client.force_login(net.dealer_user)
    client.get(reverse("my_work"))
    with CaptureQueriesContext(connection) as page:
        assert client.get(reverse("my_work")).status_code == 200
    # roles_of, role_scopes and acting_units each read the assignments once, not per caller
    assert _role_reads(page.captured_queries) == 2


def test_outside_a_request_every_call_reads_again(net):
    with CaptureQueriesContext(connection) as calls:
        roles_of(net.dealer_user)
        roles_of(net.dealer_user)
    assert _role_reads(calls.captured_queries) == 2


def test_inside_a_request_a_change_of_roles_is_seen(rf, net):
    seen = []

    def view(request):
        seen.append(roles_of(net.dealer_user))
        seen.append(roles_of(net.dealer_user))  # memoised
        RoleAssignment.objects.create(
            user=net.dealer_user, role=Role.BRANCH_ENGINEER, org_unit=net.gz
        )
        seen.append(roles_of(net.dealer_user))
        seen.append(acting_units(net.dealer_user))
        return None

    RequestMemoMiddleware(view)(rf.get("/"))
    assert seen[0] is seen[1]
    assert Role.BRANCH_ENGINEER not in seen[0] and Role.BRANCH_ENGINEER in seen[2]
    assert net.gz.pk in seen[3][Role.BRANCH_ENGINEER]
