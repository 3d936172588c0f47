"""Parsing quantities in import cells — floor areas (建筑面积) and counts (间数, 从业人员数) — with
Chinese error messages; a unit written after the number (120平方米, 3间, 15人) is accepted."""

from __future__ import annotations

import math
import re
import unicodedata

from zhufang.registry.imports.values import CellError

_AREA = re.compile(r"^(\d+(?:\.\d+)?)(?:平方米|平米|m2)?$", re.IGNORECASE)  # NFKC: ㎡ and m² → m2
_COUNT = re.compile(r"^(\d+)(?:间|人|名|个)?$")
MAX_AREA_M2 = 1_000_000.0


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "").replace(",", "")


def parse_area(text: str, what: str = "建筑面积") -> float | None:
    """An area in square metres greater than 0 (empty → unknown)."""
    cleaned = _clean(text)
    if not cleaned:
        return None
    match = _AREA.match(cleaned)
    value = float(match[1]) if match else math.nan
    if not (0 < value <= MAX_AREA_M2):
        raise CellError(f"{what}应为大于0的数字（单位：平方米），实际为：{text.strip()}")
    return round(value, 2)


def parse_count(text: str, what: str, *, maximum: int) -> int | None:
    """A whole number from 0 to ``maximum`` (empty → unknown)."""
    cleaned = _clean(text)
    if not cleaned:
        return None
    match = _COUNT.match(cleaned.removesuffix(".0"))
    if not match or int(match[1]) > maximum:
        raise CellError(f"{what}应为0到{maximum}之间的整数，实际为：{text.strip()}")
    return int(match[1])
