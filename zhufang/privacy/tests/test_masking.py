from __future__ import annotations

import pytest

from zhufang.privacy.masking import mask_id_number, mask_name, mask_phone, mask_value

pytestmark = pytest.mark.sqlite


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("320102199001011234", "3201**********1234"),
        ("11010519491231002X", "1101**********002X"),
        ("110105491231002", "1101*******1002"),  # old 15-digit form
        ("123456789", "1234*6789"),
        ("12345678", "******78"),
        ("AB12", "**12"),
        ("12", "**"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_id_number(value: str | None, expected: str | None) -> None:
    assert mask_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        ("02588886666", "*******6666"),  # 11 digits but not a mobile
        ("88886666", "****6666"),
        ("+8613812345678", "**********5678"),
        ("110", "***"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_phone(value: str | None, expected: str | None) -> None:
    assert mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("张三丰", "张**"), ("张三", "张*"), ("欧阳娜娜", "欧***"), ("张", "张"), ("", ""), (None, None)],
)
def test_mask_name(value: str | None, expected: str | None) -> None:
    assert mask_name(value) == expected


def test_mask_value_dispatches() -> None:
    assert mask_value("id_number", "320102199001011234") == "3201**********1234"
    assert mask_value("phone", "13812345678") == "138****5678"
    assert mask_value("name", "张三丰") == "张**"
    assert mask_value("phone", None) is None
    assert mask_value("name", "") == ""
    with pytest.raises(ValueError, match="no masking rule for kind 'religion'"):
        mask_value("religion", "x")
