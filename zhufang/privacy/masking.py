"""Masking by default (默认脱敏) of personal data shown on screens and exports.

No national 公安 display standard exists; following common practice (DOMAIN.md §7):

- 身份证号 keeps the first 4 and last 4 characters (前4后4): ``3201**********1234`` keeps the
  province / city prefix for triage and hides birth date and sex;
- 手机号 keeps the first 3 and last 4 digits of an 11-digit mobile: ``138****5678``;
- 姓名 keeps the surname's first character: ``张**``;
- 地址 (for viewers outside the jurisdiction) keeps the text before the first digit.

Masked values have the same length as the original.  ``None`` and ``""`` pass through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import overload

MASK = "*"


def _keep(value: str, head: int, tail: int) -> str:
    """Keep ``head`` leading and ``tail`` trailing characters, mask the rest (all if too short)."""
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail :]


@overload
def mask_id_number(value: str) -> str: ...
@overload
def mask_id_number(value: None) -> None: ...
def mask_id_number(value: str | None) -> str | None:
    """身份证号: first 4 and last 4 kept; values shorter than 9 keep only the last 2."""
    if not value:
        return value
    return _keep(value, 4, 4) if len(value) >= 9 else _keep(value, 0, 2)


@overload
def mask_phone(value: str) -> str: ...
@overload
def mask_phone(value: None) -> None: ...
def mask_phone(value: str | None) -> str | None:
    """手机号: 11-digit mobiles keep first 3 and last 4; other numbers keep the last 4."""
    if not value:
        return value
    if len(value) == 11 and value.isascii() and value.isdigit() and value.startswith("1"):
        return _keep(value, 3, 4)
    return _keep(value, 0, 4)


@overload
def mask_name(value: str) -> str: ...
@overload
def mask_name(value: None) -> None: ...
def mask_name(value: str | None) -> str | None:
    """姓名: first character kept, every other character masked (张三丰 → 张**, 张三 → 张*)."""
    if not value:
        return value
    return value[0] + MASK * (len(value) - 1)


def mask_address(value: str) -> str:
    """门牌 and below masked for viewers outside the jurisdiction (a department following its
    requests): everything from the first digit on is masked (兴隆路8号3单元 → 兴隆路******)."""
    for position, char in enumerate(value):
        if char.isdigit():
            return value[:position] + MASK * (len(value) - position)
    return value


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "name": mask_name,
    "address": mask_address,
}


@overload
def mask_value(kind: str, value: str) -> str: ...
@overload
def mask_value(kind: str, value: None) -> None: ...
def mask_value(kind: str, value: str | None) -> str | None:
    """Mask ``value`` as ``kind`` (``id_number``, ``phone`` or ``name``)."""
    try:
        masker = MASKERS[kind]
    except KeyError:
        raise ValueError(f"no masking rule for kind {kind!r}; known: {', '.join(MASKERS)}") from None
    if not value:
        return value
    return masker(value)
