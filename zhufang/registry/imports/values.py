"""Parsing cell values (dates, phones, enumerations) with Chinese error messages."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping

from zhufang.registry.models import HouseUse, IdType, PersonCategory


class CellError(ValueError):
    """A bad cell: the message says what is wrong in Chinese."""


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)


def parse_date(text: str) -> dt.date | None:
    if not text:
        return None
    return _parse_date(text)


@functools.lru_cache(maxsize=1 << 17)  # a file's dates repeat: birth dates, registration days
def _parse_date(text: str) -> dt.date | None:
    text = text.strip().split(" ")[0]
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise CellError(f"日期无效：{text}") from None
    raise CellError(f"日期格式无法识别：{text}（应为 2024-05-01 或 2024年5月1日）")


_NOT_DIGIT = re.compile(r"\D")


def parse_phone(text: str) -> str | None:
    if not text:
        return None
    digits = text if text.isascii() and text.isdigit() else _NOT_DIGIT.sub("", text)
    if not digits:
        return None
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    if 7 <= len(digits) <= 12 and not digits.startswith("1"):
        return digits  # a landline with its area code
    raise CellError(f"电话号码无效：{text}")


ID_TYPES = {
    "": IdType.RESIDENT_ID,
    "居民身份证": IdType.RESIDENT_ID,
    "身份证": IdType.RESIDENT_ID,
    "中华人民共和国居民身份证": IdType.RESIDENT_ID,
    "护照": IdType.PASSPORT,
    "外国护照": IdType.PASSPORT,
    "港澳居民来往内地通行证": IdType.HK_MACAO,
    "回乡证": IdType.HK_MACAO,
    "台湾居民来往大陆通行证": IdType.TAIWAN,
    "台胞证": IdType.TAIWAN,
    "外国人永久居留身份证": IdType.FOREIGN_PERMANENT,
    "其他": IdType.OTHER,
    "其他证件": IdType.OTHER,
}
CATEGORIES = {
    "户籍": PersonCategory.REGISTERED,
    "户籍人口": PersonCategory.REGISTERED,
    "常住": PersonCategory.REGISTERED,
    "常住人口": PersonCategory.REGISTERED,
    "户籍人员": PersonCategory.REGISTERED,
    "流动": PersonCategory.FLOATING,
    "流动人口": PersonCategory.FLOATING,
    "暂住": PersonCategory.FLOATING,
    "暂住人口": PersonCategory.FLOATING,
    "流动人员": PersonCategory.FLOATING,
    "境外": PersonCategory.OVERSEAS,
    "境外人员": PersonCategory.OVERSEAS,
    "境外人口": PersonCategory.OVERSEAS,
    "寄住": PersonCategory.LODGER,
    "寄住人口": PersonCategory.LODGER,
    "未落户": PersonCategory.UNREGISTERED,
    "未落户人员": PersonCategory.UNREGISTERED,
}
SEXES = {"男": "1", "男性": "1", "1": "1", "女": "2", "女性": "2", "2": "2", "": "", "未知": "0", "未说明": "9"}
HOUSE_USES = {
    "自住": HouseUse.SELF_OCCUPIED,
    "自用": HouseUse.SELF_OCCUPIED,
    "出租": HouseUse.RENTAL,
    "空置": HouseUse.VACANT,
    "闲置": HouseUse.VACANT,
    "单位用房": HouseUse.INSTITUTIONAL,
    "单位": HouseUse.INSTITUTIONAL,
    "经营": HouseUse.BUSINESS,
    "商用": HouseUse.BUSINESS,
    "": HouseUse.UNKNOWN,
}


def parse_choice(text: str, table: Mapping[str, str], what: str) -> str:
    key = text.strip()
    if key in table:
        return table[key]
    allowed = "、".join(k for k in table if k)
    raise CellError(f"无法识别的{what}：{key}（可填：{allowed}）")


_LABEL_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def parse_labels(text: str) -> list[str]:
    if not text:
        return []
    return [part for part in _LABEL_SEPARATORS.split(text.strip()) if part]
