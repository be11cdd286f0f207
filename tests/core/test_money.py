"""The amount in Chinese capitals (大写金额) on statements and vouchers."""

import pytest

from service_ops.money import yuan_in_capitals


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("0", "零元整"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),
        ("0.5", "伍角整"),
        ("0.05", "伍分"),
        ("100.05", "壹佰元零伍分"),
        ("900.50", "玖佰元伍角整"),
        ("1005", "壹仟零伍元整"),
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("10000", "壹万元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("101000", "壹拾万壹仟元整"),
        ("1000001", "壹佰万零壹元整"),
        ("20000000.07", "贰仟万元零柒分"),
        ("-700", "负柒佰元整"),
        ("0.005", "壹分"),  # rounded half up to the fen
    ],
)
def test_yuan_in_capitals(amount, capitals):
    assert yuan_in_capitals(amount) == capitals
