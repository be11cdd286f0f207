"""What other apps call, through the platform's hook `open_complaint`: the call centre's inbound
call form hands a complaint over to the complaint team (and gets the created complaint back)."""

from __future__ import annotations

from django.db import transaction

from .choices import Category, Channel
from .models import Complaint
from .services.complaints import create_complaint


@transaction.atomic
def open_complaint(
    *,
    customer_id=None,
    phone: str = "",
    name: str = "",
    serial: str = "",
    product_model: str = "",
    content: str = "",
    channel: str = Channel.CALL,
    source=None,
    actor=None,
    category: str = Category.OTHER,
) -> Complaint:
    """Accept a complaint for the caller (a Customer by id, or a name and phone). `source` is the
    object it came from (a call): its reference is kept on the complaint. The category defaults
    to 其他 until the handler judges it; the filer's permission is the caller's business (an
    agent on a call may always hand a complaint over)."""
    from callcenter.models import Customer

    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    call_ref = ""
    if source is not None:
        call_ref = str(getattr(source, "number", "") or f"{source._meta.model_name}:{source.pk}")
    return create_complaint(
        actor=actor,
        customer=customer,
        complainant_name=(name or (customer.name if customer else "")).strip() or phone,
        complainant_phone=phone or (customer.phone if customer else ""),
        serial_number=serial,
        product_model=product_model,
        content=content,
        category=category if category in Category.values else Category.OTHER,
        channel=channel if channel in Channel.values else Channel.CALL,
        call_ref=call_ref[:40],
        check_permission=False,
    )
