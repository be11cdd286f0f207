"""Small builders for tests: an org tree, people with profiles and roles, policies and timers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import count

from django.contrib.auth import get_user_model

from network.choices import BranchKind, OrgKind
from network.models import OrgUnit, RoleAssignment, StaffProfile

PASSWORD = "Zz-test-pass-2026"
_seq = count(1)


def org_tree() -> dict[str, OrgUnit]:
    """HQ → province → managed branch → (dealer, second dealer, service point); a second
    province with an operating branch."""
    n = next(_seq)
    hq = OrgUnit.objects.create(code=f"HQ{n}", name="总部", kind=OrgKind.HEADQUARTERS)
    prov = OrgUnit.objects.create(code=f"P{n}", name="山东省区", kind=OrgKind.PROVINCE, parent=hq)
    branch = OrgUnit.objects.create(
        code=f"B{n}",
        name="济南分公司",
        kind=OrgKind.BRANCH,
        branch_kind=BranchKind.MANAGED,
        parent=prov,
    )
    dealer = OrgUnit.objects.create(
        code=f"D{n}", name="历城代理商", kind=OrgKind.DEALER, parent=branch
    )
    dealer2 = OrgUnit.objects.create(
        code=f"D{n}b", name="章丘代理商", kind=OrgKind.DEALER, parent=branch
    )
    point = OrgUnit.objects.create(
        code=f"S{n}", name="天桥特约维修网点", kind=OrgKind.SERVICE_POINT, parent=branch
    )
    prov2 = OrgUnit.objects.create(code=f"P{n}x", name="河南省区", kind=OrgKind.PROVINCE, parent=hq)
    branch2 = OrgUnit.objects.create(
        code=f"B{n}x",
        name="郑州分公司",
        kind=OrgKind.BRANCH,
        branch_kind=BranchKind.OPERATING,
        parent=prov2,
    )
    return {
        "hq": hq,
        "province": prov,
        "branch": branch,
        "dealer": dealer,
        "dealer2": dealer2,
        "point": point,
        "province2": prov2,
        "branch2": branch2,
    }


def make_user(username: str, org_unit: OrgUnit, *roles: str, **fields):
    """An active user with a profile at `org_unit` and the given roles held there."""
    profile_fields = {
        key: fields.pop(key) for key in ("phone", "title", "email_notifications") if key in fields
    }
    fields.setdefault("email", "")
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    StaffProfile.objects.create(user=user, org_unit=org_unit, **profile_fields)
    for role in roles:
        RoleAssignment.objects.create(user=user, role=role, org_unit=org_unit)
    return user


def make_policy(code: str = "test.limit", *, limit: int = 3, kind: str = "test.owner"):
    from service_ops.deadlines.models import DeadlinePolicy, LimitUnit

    policy, _ = DeadlinePolicy.objects.get_or_create(
        code=code,
        defaults={
            "name": f"测试时限 {code}",
            "kind": kind,
            "unit": LimitUnit.WORKING_DAYS,
            "limit": Decimal(limit),
        },
    )
    return policy


def start_deadline(
    *, owner, assignee, started_at: datetime, limit: int = 3, label: str = "", org_unit=None
):
    from service_ops.deadlines.services import deadline_start

    return deadline_start(
        policy=make_policy(f"test.limit.{limit}", limit=limit),
        owner=owner,
        org_unit=org_unit,
        assignee=assignee,
        started_at=started_at,
        label=label,
    )
