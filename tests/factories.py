"""The one set of test builders: an org tree, people with profiles and roles, policies and timers,
partner tokens and prepaid balances, and the steps that walk a return application through its
chain. Plain functions: each test module wraps what it needs in its own fixtures; the `net`
fixture (tests/conftest.py) builds its network with them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import count

from django.contrib.auth import get_user_model

from network.choices import BranchKind, LedgerEntryKind, OrgKind
from network.models import OrgUnit, RoleAssignment, StaffProfile
from network.services import prepaid_post, token_issue
from repairs.choices import StepState
from repairs.models import ApprovalStep
from repairs.services import returns as rma

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


def make_user(username: str, org_unit: OrgUnit, *roles: str, role_unit=None, email=False, **fields):
    """An active user with a profile at `org_unit` and the given roles held there (or at
    `role_unit`). `email`: True for username@example.com, False for none, or an address;
    `phone`, `title` and `email_notifications` go to the profile, other fields to the user."""
    profile_fields = {
        key: fields.pop(key) for key in ("phone", "title", "email_notifications") if key in fields
    }
    if email is True:
        email = f"{username}@example.com"
    fields["email"] = email or ""
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    StaffProfile.objects.create(user=user, org_unit=org_unit, **profile_fields)
    for role in roles:
        RoleAssignment.objects.create(user=user, role=role, org_unit=role_unit or org_unit)
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


# --- partners: units, service users, tokens, prepaid balances -----------------------------


def make_unit(code: str, kind: str = OrgKind.DEALER, parent: OrgUnit | None = None, **kw):
    return OrgUnit.objects.create(
        code=code, name=kw.pop("name", code), kind=kind, parent=parent, **kw
    )


def service_user(username: str, **kw):
    return get_user_model().objects.create_user(username=username, password="pw-12345", **kw)


def issue_token(unit: OrgUnit, username: str | None = None, *, user=None, name="ERP 对接", **kw):
    """A token for a (new) service user of `unit`: returns (token, plaintext)."""
    user = user or service_user(username or f"api-{unit.code.lower()}")
    return token_issue(org_unit=unit, user=user, name=name, **kw)


def bearer(plaintext: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def top_up(unit: OrgUnit, amount: str, **kw):
    return prepaid_post(org_unit=unit, kind=LedgerEntryKind.TOP_UP, amount=Decimal(amount), **kw)


# --- return applications: header, lines, signatures --------------------------------------


def header(**kw):
    values = {
        "contact_name": "张工",
        "contact_phone": "13800000000",
        "shipping_method": "logistics",
    }
    values.update(kw)
    return rma.HeaderInput(**values)


def lines(*serials, model="GPS-X1"):
    return [
        rma.LineInput(product_model=model, serial_number=s, fault_description="不开机")
        for s in serials
    ]


def pending_step(app):
    app.refresh_from_db()
    return ApprovalStep.objects.get(application=app, round=app.round, state=StepState.PENDING)


def sign_all(app, *signers):
    for signer in signers:
        rma.rma_decide(step_id=pending_step(app).pk, actor=signer, approve=True, comment="同意")
    app.refresh_from_db()
    return app


def page_link(html: str, rel: str = "next") -> str:
    """The href of a keyset list's "next" or "prev" link (includes/keyset_pagination.html)."""
    import html as html_lib
    import re

    match = re.search(rf'<a class="page-link" href="([^"]*)" rel="{rel}"', html)
    assert match, f'no rel="{rel}" link on the page'
    return html_lib.unescape(match.group(1))
