"""Checks shared by every entry point (web forms, the partner API, the services)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# No unit of this manufacturer was sold before this day: an earlier purchase date is a typo.
EARLIEST_PURCHASE = date(1990, 1, 1)


def validate_purchase_date(value: date | None) -> None:
    if value is None:
        return
    if value > timezone.localdate():
        raise ValidationError(_("购买日期不能晚于今天"), code="purchase_date_future")
    if value < EARLIEST_PURCHASE:
        raise ValidationError(
            _("购买日期不能早于 %(d)s") % {"d": EARLIEST_PURCHASE.isoformat()},
            code="purchase_date_too_old",
        )
