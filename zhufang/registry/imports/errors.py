"""A row-level import error: file row, the Chinese column header, the (masked) value, the message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class RowError:
    row: int
    field: str  # the Chinese column header
    value: str  # masked where it is an identifier
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "value": self.value, "message": self.message}
