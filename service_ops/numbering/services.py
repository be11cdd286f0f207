from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import DocumentSequence


def next_document_number(prefix: str, *, at=None, width: int = 4) -> str:
    """`RMA-202611-0042`: the next number of a prefix in the month of `at`. Must run inside the
    caller's transaction so a rolled-back document gives its number back."""
    period = timezone.localtime(at or timezone.now()).strftime("%Y%m")
    with transaction.atomic():
        seq = DocumentSequence.objects.select_for_update().filter(prefix=prefix, period=period)
        row = seq.first()
        if row is None:
            try:
                with transaction.atomic():
                    row = DocumentSequence.objects.create(prefix=prefix, period=period)
            except IntegrityError:  # created concurrently: lock the winner's row
                pass
            row = seq.get()
        row.last_value += 1
        row.save(update_fields=["last_value"])
    return f"{prefix}-{period}-{row.last_value:0{width}d}"
