"""Validation of 公民身份号码 (GB 11643-1999) and 统一社会信用代码 (GB 32100-2015).

公民身份号码: 6-digit 地址码 + 8-digit 出生日期 YYYYMMDD + 3-digit 顺序码 (odd = male,
even = female) + 校验码 (ISO 7064 MOD 11-2).  The 地址码 is not checked: it is the county of
first registration and is often a retired code.  The old 15-digit form (GB 11643-1989) has a
6-digit birth date and no check digit; ``upgrade_15_to_18`` converts it.

统一社会信用代码 (USCC): 18 characters from ``0-9`` and ``A-Y`` without I, O, Z, S, V; the 18th
is a MOD 31 check code over the first 17.
"""

from __future__ import annotations

import functools
import operator
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CODES = "10X98765432"
DIGITS = "0123456789"
#: Σ weight · ord("0"): subtracted once instead of converting each digit with int()
_ZERO_WEIGHT = sum(ID_WEIGHTS) * ord("0")

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class IdNumberError(ValueError):
    """An invalid 公民身份号码; ``code`` is machine-readable, ``message`` is Chinese for users."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class UsccError(ValueError):
    """An invalid 统一社会信用代码; ``code`` is machine-readable, ``message`` is Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IdNumberInfo:
    """What a valid 公民身份号码 says: 地址码, 出生日期, 性别 and the normalised number."""

    region_code: str
    birth_date: date
    sex: Literal["male", "female"]
    normalised: str

    @property
    def sex_code(self) -> str:
        """GB/T 2261.1 人的性别代码: ``"1"`` 男性, ``"2"`` 女性."""
        return "1" if self.sex == "male" else "2"


def _normalise(value: str) -> str:
    """Full-width to half-width, whitespace removed, lower-case x to X."""
    text = value if value.isascii() else unicodedata.normalize("NFKC", value)  # ASCII is NFKC already
    return "".join(text.split()).upper()


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _check_digit(first17: str) -> str:
    """The 校验码 of 17 ASCII digits (not re-checked): the bytes are the digits' code points."""
    return ID_CHECK_CODES[(sum(map(operator.mul, first17.encode("ascii"), ID_WEIGHTS)) - _ZERO_WEIGHT) % 11]


def id_check_digit(first17: str) -> str:
    """The MOD 11-2 校验码 (``0``-``9`` or ``X``) of the first 17 digits of an ID number."""
    if len(first17) != 17 or not _is_digits(first17):
        raise ValueError(f"need exactly 17 ASCII digits, got {first17!r}")
    return _check_digit(first17)


@functools.lru_cache(maxsize=65536)  # birth dates repeat: a county has ~30,000 distinct ones
def _birth_date(yyyymmdd: str) -> date:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        raise IdNumberError("birth_date_invalid", f"身份证号码出生日期无效：{yyyymmdd}") from None


def decode_id_number(value: str, *, today: date) -> tuple[str, str, date]:
    """(normalised number, sex code "1"/"2", birth date) of a valid 公民身份号码; raise ``IdNumberError``.

    ``check_id_number`` without building an ``IdNumberInfo``, for bulk imports."""
    number = _normalise(value)
    if len(number) != 18:
        if len(number) == 15 and _is_digits(number):
            raise IdNumberError("legacy_15", "身份证号码为旧版15位号码，请先升级为18位号码")
        raise IdNumberError("length", f"身份证号码应为18位，实际为{len(number)}位")
    first17 = number[:17]
    if not _is_digits(first17) or number[17] not in "0123456789X":
        raise IdNumberError("invalid_chars", "身份证号码含非法字符")
    birth = _birth_date(number[6:14])
    if birth > today:
        raise IdNumberError("birth_date_future", "出生日期不能晚于今天")
    expected = _check_digit(first17)
    if number[17] != expected:
        raise IdNumberError("check_digit", f"身份证号码校验码错误：应为{expected}，实际为{number[17]}")
    return number, "1" if int(number[16]) % 2 else "2", birth


def check_id_number(value: str, *, today: date | None = None) -> IdNumberInfo:
    """Validate an 18-digit 公民身份号码 and decode it; raise ``IdNumberError``."""
    number, sex_code, birth = decode_id_number(value, today=today or date.today())
    return IdNumberInfo(
        region_code=number[:6],
        birth_date=birth,
        sex="male" if sex_code == "1" else "female",
        normalised=number,
    )


def upgrade_15_to_18(value: str) -> str:
    """Convert an old 15-digit ID number: insert ``19`` before the birth year, add the 校验码."""
    number = _normalise(value)
    if len(number) != 15 or any(ch not in DIGITS for ch in number):
        raise IdNumberError("length", "旧版身份证号码应为15位数字")
    first17 = number[:6] + "19" + number[6:]
    _birth_date(first17[6:14])
    return first17 + id_check_digit(first17)


def uscc_check_code(first17: str) -> str:
    """The 18th character of a 统一社会信用代码: ``31 - (Σ value·weight mod 31)``, 31 → ``0``."""
    if len(first17) != 17 or any(ch not in USCC_ALPHABET for ch in first17):
        raise ValueError(f"need exactly 17 characters of {USCC_ALPHABET}, got {first17!r}")
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(value: str) -> str:
    """Validate a 统一社会信用代码 and return it normalised; raise ``UsccError``."""
    code = _normalise(value)
    if len(code) != 18:
        raise UsccError("length", f"统一社会信用代码应为18位，实际为{len(code)}位")
    bad = next((ch for ch in code if ch not in USCC_ALPHABET), None)
    if bad is not None:
        raise UsccError("invalid_chars", f"统一社会信用代码含非法字符：{bad}")
    expected = uscc_check_code(code[:17])
    if code[17] != expected:
        raise UsccError("check_code", f"统一社会信用代码校验码错误：应为{expected}，实际为{code[17]}")
    return code


def validate_id_number(value: str) -> None:
    """Django validator for 公民身份号码 fields."""
    try:
        check_id_number(str(value))
    except IdNumberError as exc:
        raise ValidationError(exc.message, code=f"id_number_{exc.code}") from exc


def validate_uscc(value: str) -> None:
    """Django validator for 统一社会信用代码 fields."""
    try:
        check_uscc(str(value))
    except UsccError as exc:
        raise ValidationError(exc.message, code=f"uscc_{exc.code}") from exc
