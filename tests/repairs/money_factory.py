"""Helpers of the advance (借支) and expense-claim (报销) tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from network.choices import Role
from repairs.choices import StepState
from repairs.services import advances as money
from tests.factories import make_user


def finance(net):
    """The finance person at headquarters (the test network has none of its own)."""
    found = getattr(net, "finance", None)
    if found is None:
        found = net.finance = make_user("finance", net.hq, Role.FINANCE, email=True)
    return found


def receipt(name: str = "receipt.png") -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def pending(doc):
    return doc.steps.filter(round=doc.round, state=StepState.PENDING).first()


def sign_through(doc):
    """Sign every step of `doc`'s chain as the person who holds it; the document, refreshed."""
    from network.selectors import role_holders

    while (step := pending(doc)) is not None:
        signer = role_holders(step.role, step.org_unit)[0]
        money.money_decide(step_id=step.pk, actor=signer, approve=True)
        doc.refresh_from_db()
    return doc


def paid_advance(net, requester, amount, *, paid_on: date, purpose="出差"):
    advance = money.advance_create(
        requester=requester,
        amount=Decimal(amount),
        purpose=purpose,
        trip_destination="湛江",
        submit=True,
    )
    advance = sign_through(advance)
    return money.advance_pay(
        advance_id=advance.pk, actor=finance(net), paid_on=paid_on, method="bank"
    )


def line(category="travel", amount="100", *, spent_on: date, days=1, photo=True):
    return money.ExpenseLineInput(
        category=category,
        spent_on=spent_on,
        amount=Decimal(amount),
        days=days,
        photos=[receipt()] if photo else [],
    )
