"""Vectorised builders of 公民身份号码 (GB 11643) and 统一社会信用代码 (GB 32100) for the demo generator.

The check characters come from the same weight tables as ``zhufang.privacy.validators`` (which the tests
use to verify every generated number); these helpers only vectorise them with numpy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from zhufang.privacy.validators import ID_CHECK_CODES, ID_WEIGHTS, USCC_ALPHABET, uscc_check_code

IntArray = npt.NDArray[np.int64]

_ID_WEIGHTS = np.array(ID_WEIGHTS, dtype=np.int64)
_ID_CHECK = np.array(list(ID_CHECK_CODES))
_POW10 = 10 ** np.arange(16, -1, -1, dtype=np.int64)  # digit i of a 17-digit integer = (v // 10**(16-i)) % 10

# GB 11714 组织机构代码: 8 body characters (digits / capitals) + 1 check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def id_first17(region: IntArray, birth_yyyymmdd: IntArray, sequence: IntArray) -> IntArray:
    """The first 17 digits as one int64: 地址码 (6) + 出生日期 (8) + 顺序码 (3)."""
    return region.astype(np.int64) * 10**11 + birth_yyyymmdd.astype(np.int64) * 1000 + sequence.astype(np.int64)


_ID_CHECK_BYTES = np.frombuffer(ID_CHECK_CODES.encode("ascii"), dtype=np.uint8)


def _digits(first17: IntArray) -> IntArray:
    return (first17[:, None] // _POW10[None, :]) % 10  # type: ignore[no-any-return]


def id_check_chars(first17: IntArray) -> npt.NDArray[np.str_]:
    """MOD 11-2 校验码 of each 17-digit integer (vectorised ``validators.id_check_digit``)."""
    return _ID_CHECK[(_digits(first17) @ _ID_WEIGHTS) % 11]  # type: ignore[no-any-return]


def id_numbers(first17: IntArray) -> list[str]:
    """Full 18-character ID numbers as Python strings (built as one ASCII byte matrix)."""
    first17 = np.asarray(first17, dtype=np.int64)
    digits = _digits(first17)
    chars = np.empty((len(first17), 18), dtype=np.uint8)
    chars[:, :17] = digits + ord("0")
    chars[:, 17] = _ID_CHECK_BYTES[(digits @ _ID_WEIGHTS) % 11]
    return chars.view("S18").ravel().astype("U18").tolist()  # type: ignore[no-any-return]


def org_code(body8: str) -> str:
    """GB 11714 组织机构代码 (8 body characters + check) — the 9th–17th characters of a USCC."""
    total = sum(int(ch, 36) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body8 + ("X" if check == 10 else "0" if check == 11 else str(check))


def uscc(prefix2: str, region6: str, body8: str) -> str:
    """统一社会信用代码: 登记管理部门+机构类别 (2) + 登记管理机关行政区划码 (6) + 组织机构代码 (9) + 校验码."""
    first17 = prefix2 + region6 + org_code(body8)
    return first17 + uscc_check_code(first17)


USCC_BODY_ALPHABET = "".join(ch for ch in USCC_ALPHABET if ch != "X")  # X is reserved for the GB 11714 check
