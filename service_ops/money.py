"""Money as finance writes it: the amount in Chinese capitals (大写金额) that every voucher and
statement carries beside the figures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿", "万亿")


def _four(digits: str) -> str:
    """Up to four digits (no leading zeros) in capitals, zeros collapsed: 1005 -> 壹仟零伍."""
    out, zero = [], False
    for i, ch in enumerate(digits):
        unit = SMALL_UNITS[len(digits) - 1 - i]
        if ch == "0":
            zero = True
            continue
        if zero and out:
            out.append("零")
        zero = False
        out.append(DIGITS[int(ch)] + unit)
    return "".join(out)


def yuan_in_capitals(amount: Decimal | int | str) -> str:
    """¥1,234.50 -> 壹仟贰佰叁拾肆元伍角整; ¥0 -> 零元整; ¥100.05 -> 壹佰元零伍分.
    Negative amounts start with 负. Rounded to the fen (half up)."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "负" if value < 0 else ""
    value = abs(value)
    yuan = int(value)
    jiao, fen = divmod(int((value - yuan) * 100), 10)
    text = ""
    if yuan:
        groups = []
        s = str(yuan)
        while s:
            groups.insert(0, s[-4:])
            s = s[:-4]
        parts, pending_zero = [], False
        for index, group in enumerate(groups):
            big = BIG_UNITS[len(groups) - 1 - index]
            stripped = group.lstrip("0")
            if not stripped:
                pending_zero = True
                continue
            if parts and (pending_zero or len(stripped) < 4):
                parts.append("零")
            parts.append(_four(stripped) + big)
            pending_zero = False
        text = "".join(parts) + "元"
    if not jiao and not fen:
        return sign + (text or "零元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + text
