"""Instruction categories (指令类别) and their feedback forms, loaded from ``categories.toml``.

Configuration as data: a bureau edits the TOML file (or points ``ZHUFANG_INSTRUCTION_CATEGORIES`` at
its own copy). The file is validated when loaded; an error names the category and the field.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

TARGET_KINDS = ("person", "house", "establishment", "address", "location")
FIELD_TYPES = ("text", "textarea", "choice", "multichoice", "number", "date", "bool")
DEADLINE_UNITS = ("working_days", "hours")
DEFAULT_FILE = Path(__file__).with_name("categories.toml")


class CategoryConfigError(ValueError):
    """The categories file is not valid; the message names the file, category and field."""


@dataclass(frozen=True)
class FormField:
    """One field of a category's feedback form."""

    name: str
    label: str
    type: str
    required: bool = False
    options: tuple[str, ...] = ()
    max_length: int = 2000


@dataclass(frozen=True)
class Category:
    """指令类别: deadline rule, reminder and escalation clocks, allowed targets, feedback form."""

    code: str
    name: str
    name_en: str
    deadline_unit: str
    deadline_amount: int
    remind_before: int
    escalation: tuple[int, ...]
    targets: tuple[str, ...]
    form: tuple[FormField, ...] = field(default_factory=tuple)
    photos: int = 0
    location: bool = False
    inspection: bool = False

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.form if f.name == name), None)


def _fail(source: str, where: str, message: str) -> CategoryConfigError:
    return CategoryConfigError(f"{source}: {where}: {message}")


def _form_field(source: str, code: str, raw: dict[str, Any]) -> FormField:
    name = raw.get("name")
    where = f"category {code!r}, form field {name!r}"
    if not isinstance(name, str) or not name.isidentifier():
        raise _fail(source, where, "name must be an identifier")
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise _fail(source, where, f"type must be one of {', '.join(FIELD_TYPES)}")
    options = tuple(raw.get("options", ()))
    if kind in ("choice", "multichoice") and not options:
        raise _fail(source, where, "a choice field needs options")
    if not isinstance(raw.get("label"), str) or not raw["label"]:
        raise _fail(source, where, "label is required")
    return FormField(
        name=name,
        label=raw["label"],
        type=kind,
        required=bool(raw.get("required", False)),
        options=options,
        max_length=int(raw.get("max_length", 2000)),
    )


def parse_categories(text: str, source: str = "categories.toml") -> dict[str, Category]:
    """Parse and validate a categories file; raises ``CategoryConfigError``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CategoryConfigError(f"{source}: {exc}") from exc
    result: dict[str, Category] = {}
    for raw in data.get("category", []):
        code = raw.get("code")
        if not isinstance(code, str) or not code.isidentifier():
            raise _fail(source, f"category {code!r}", "code must be an identifier")
        if code in result:
            raise _fail(source, f"category {code!r}", "defined twice")
        where = f"category {code!r}"
        deadline = raw.get("deadline") or {}
        unit, amount = deadline.get("unit"), deadline.get("amount")
        if unit not in DEADLINE_UNITS:
            raise _fail(source, where + ", deadline.unit", f"must be one of {', '.join(DEADLINE_UNITS)}")
        if not isinstance(amount, int) or amount < 1:
            raise _fail(source, where + ", deadline.amount", "must be a whole number ≥ 1")
        escalation = tuple(raw.get("escalation", (0,)))
        if not escalation or any(not isinstance(s, int) or s < 0 for s in escalation):
            raise _fail(source, where + ", escalation", "must be a list of whole numbers ≥ 0")
        if list(escalation) != sorted(set(escalation)):
            raise _fail(source, where + ", escalation", "must be strictly ascending")
        targets = tuple(raw.get("targets", ()))
        if not targets or any(t not in TARGET_KINDS for t in targets):
            raise _fail(source, where + ", targets", f"must be some of {', '.join(TARGET_KINDS)}")
        form = tuple(_form_field(source, code, f) for f in raw.get("form", []))
        names = [f.name for f in form]
        if len(names) != len(set(names)):
            raise _fail(source, where + ", form", "field names must be unique")
        result[code] = Category(
            code=code,
            name=str(raw.get("name") or code),
            name_en=str(raw.get("name_en") or raw.get("name") or code),
            deadline_unit=unit,
            deadline_amount=amount,
            remind_before=int(raw.get("remind", 0)),
            escalation=escalation,
            targets=targets,
            form=form,
            photos=int(raw.get("photos", 0)),
            location=bool(raw.get("location", False)),
            inspection=bool(raw.get("inspection", False)),
        )
    if not result:
        raise CategoryConfigError(f"{source}: no [[category]] defined")
    return result


@functools.cache
def _load(path: str) -> dict[str, Category]:
    file = Path(path)
    return parse_categories(file.read_text(encoding="utf-8"), source=file.name)


def categories() -> dict[str, Category]:
    """The configured categories by code (cached per file)."""
    return _load(str(getattr(settings, "ZHUFANG_INSTRUCTION_CATEGORIES", "") or DEFAULT_FILE))


def get_category(code: str) -> Category:
    try:
        return categories()[code]
    except KeyError:
        raise KeyError(f"unknown instruction category {code!r}") from None


def validate_feedback(category: Category, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check feedback against the category's form: (cleaned values, {field: Chinese error})."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    known = {f.name for f in category.form}
    for name in data:
        if name not in known:
            errors[name] = f"反馈表没有字段“{name}”"
    for f in category.form:
        value = data.get(f.name)
        empty = value is None or value == "" or value == []
        if empty:
            if f.required:
                errors[f.name] = f"{f.label}为必填项"
            continue
        try:
            cleaned[f.name] = _clean(f, value)
        except ValueError as exc:
            errors[f.name] = f"{f.label}：{exc}"
    return cleaned, errors


def _clean(f: FormField, value: Any) -> Any:
    if f.type in ("text", "textarea"):
        text = str(value).strip()
        if len(text) > f.max_length:
            raise ValueError(f"最多{f.max_length}个字")
        return text
    if f.type == "choice":
        if value not in f.options:
            raise ValueError(f"请从“{'、'.join(f.options)}”中选择")
        return value
    if f.type == "multichoice":
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in f.options]
        if bad:
            raise ValueError(f"无效选项“{'、'.join(map(str, bad))}”")
        return values
    if f.type == "number":
        if isinstance(value, bool):
            raise ValueError("应为数字")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("应为数字") from None
        return int(number) if number.is_integer() else number
    if f.type == "date":
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError("日期格式应为YYYY-MM-DD") from None
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "是", "yes", "on"):
        return True
    if str(value).lower() in ("false", "0", "否", "no", "off"):
        return False
    raise ValueError("应为“是”或“否”")
