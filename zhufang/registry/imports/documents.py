"""Checking the document numbers of house owners and legal representatives (证件号码) in imports:
居民身份证 by GB 11643, 统一社会信用代码 by GB 32100 (a unit owning a 单位用房), other documents by
format. Errors are ``CellError`` with the Chinese message of the validator."""

from __future__ import annotations

import datetime as dt

from zhufang.privacy.validators import IdNumberError, UsccError, check_id_number, check_uscc
from zhufang.registry.imports.values import ID_TYPES, CellError
from zhufang.registry.models import IdType

#: the document type of a unit: its 统一社会信用代码 (not an ``IdType`` of a person)
USCC = "uscc"
OWNER_DOCUMENT_TYPES: dict[str, str] = {
    **ID_TYPES,
    "统一社会信用代码": USCC,
    "社会信用代码": USCC,
    "信用代码": USCC,
}


def check_document(document_type: str, value: str, *, today: dt.date, type_given: bool = True) -> str:
    """The normalised document number, or ``CellError``. Without a stated type (``type_given``
    false) a 居民身份证 is assumed, unless the number is not a valid ID number but a valid
    统一社会信用代码 (old files leave the type out for units too)."""
    if document_type == USCC:
        return _uscc(value)
    if document_type == IdType.RESIDENT_ID:
        try:
            return check_id_number(value, today=today).normalised
        except IdNumberError as exc:
            if not type_given:
                try:
                    return check_uscc(value)
                except UsccError:
                    pass
            raise CellError(exc.message) from None
    cleaned = value.strip().upper().replace(" ", "")
    if not (5 <= len(cleaned) <= 30) or not cleaned.isalnum():
        raise CellError(f"证件号码格式无效：{value}")
    return cleaned


def _uscc(value: str) -> str:
    try:
        return check_uscc(value)
    except UsccError as exc:
        raise CellError(exc.message) from None


def check_uscc_cell(value: str) -> str:
    """A 统一社会信用代码 cell: normalised, or ``CellError`` with the GB 32100 message."""
    return _uscc(value)
