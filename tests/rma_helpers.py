"""Shared steps for tests that walk return applications through their chain."""

from repairs.choices import StepState
from repairs.models import ApprovalStep
from repairs.services import returns as rma


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
