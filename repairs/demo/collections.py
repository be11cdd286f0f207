"""Demo collections (收款): Hangzhou's confirmed statement became its receivable when the
branch manager signed it; finance has recorded a partial payment against it. (The dealer's
parts sale invoiced on account, the second receivable, comes with the spare parts demo.)"""

from decimal import Decimal

from django.utils import timezone

from ..models import Payment, Receivable
from ..services import collections as svc


def load(*, units, users, stdout=None) -> None:
    finance = users.get("finance")
    if finance is None or Payment.objects.exists():
        return
    receivable = (
        Receivable.objects.filter(statement__branch=units.get("B-HZ")).order_by("pk").first()
    )
    if receivable is None:
        return
    part = (receivable.amount * Decimal("0.4")).quantize(Decimal("0.01"))
    svc.payment_record(
        partner_id=receivable.partner_id,
        actor=finance,
        amount=part,
        received_on=timezone.localdate(),
        reference="BANK-DEMO-0001",
        note="杭州分公司部分回款",
        allocations=[(receivable.pk, part)],
    )
    if stdout is not None:
        stdout.write("演示收款：应收款 1 张（杭州分公司月结对账单），已部分收款\n")
