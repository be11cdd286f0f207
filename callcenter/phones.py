"""Phone numbers as the call centre stores and compares them (callers, customers, registered
senders): one normal form, so the same person typed three ways is found once."""

import re
import unicodedata


def normalise_phone(value: str) -> str:
    """A number as stored and compared: full-width digits folded, spaces, dashes, dots and
    brackets dropped, the +86 / 0086 / 86 country prefix removed."""
    digits = re.sub(r"[\s\-().]", "", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits
