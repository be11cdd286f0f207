"""Phone numbers as the call centre stores and compares them (callers, customers, registered
senders): one normal form, so the same person typed three ways is found once.

A number is its digits: full-width digits folded, spaces, dashes, dots and brackets dropped, the
+86 / 0086 country prefix removed (a landline written internationally, +86 757 …, gets its trunk
0 back: 0757 …). An extension (分机) is kept apart: "0757-2288 6000 转 8012", "… ext. 12",
"… x12", "…#12", "… 分机 12", or a last dash group of 1–5 digits after a full landline
("0757-22886000-8012"). Mobiles never have one: "138-0000-1111" stays 13800001111."""

from __future__ import annotations

import re
import unicodedata

# What separates a number from its extension when written out.
_EXTENSION_MARK = re.compile(r"(?:转|分机|ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_DROP = re.compile(r"[\s\-().]")


def _digits(value: str) -> str:
    digits = _DROP.sub("", value)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            if digits and digits[0] not in "01" and 9 <= len(digits) <= 11:
                digits = "0" + digits  # +86 757 2288 6000 is 0757 2288 6000 at home
            return digits
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


def _is_landline(digits: str) -> bool:
    """0 + area code (2–3 digits) + a 7–8 digit local number."""
    return digits.startswith("0") and not digits.startswith("00") and 10 <= len(digits) <= 12


def split_phone(value: str) -> tuple[str, str]:
    """(number, extension) in their normal forms; the extension is "" when there is none."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    extension = ""
    marked = _EXTENSION_MARK.search(text)
    if marked and marked.start() > 0:
        extension, text = marked.group(1), text[: marked.start()]
    elif "-" in text:
        # a last dash group of 1–5 digits after a full landline: 0757-22886000-8012
        head, _sep, tail = text.rpartition("-")
        tail = tail.strip()
        if tail.isdigit() and len(tail) <= 5 and _is_landline(_digits(head)):
            extension, text = tail, head
    return _digits(text), extension


def normalise_phone(value: str) -> str:
    """A number as stored and compared (its extension, if any, left out: see split_phone)."""
    return split_phone(value)[0]


def phone_display(number: str, extension: str = "") -> str:
    return f"{number} 转 {extension}" if extension else number
