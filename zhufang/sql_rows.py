"""Model instances from rows fetched with plain SQL, built as a queryset builds them.

For the few statements that run on every request (the request's user, the row a phone submission
locks), compiling an ORM query costs more CPU than the database spends answering it. Those
statements are written once per process from the models' own column lists; ``ModelColumns`` turns
their rows back into ordinary instances through each field's database converters (decryption,
JSON, dates on SQLite), exactly as ``QuerySet`` iteration would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]


class ModelColumns(Generic[M]):
    """Some concrete columns of ``model`` (all by default) under a table alias."""

    def __init__(self, model: type[M], alias: str, names: Sequence[str] | None = None) -> None:
        self.model = model
        fields: list[Any] = list(model._meta.concrete_fields)
        if names is not None:
            wanted = set(names) | {model._meta.pk.name}
            fields = [f for f in fields if f.name in wanted or f.attname in wanted]
        self.fields = fields
        quote = connection.ops.quote_name
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
        self.attnames = [f.attname for f in fields]
        self.converters: list[tuple[int, list[Converter], Any]] = []
        for n, f in enumerate(fields):
            col = f.get_col(alias)
            chain = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
            if chain:
                self.converters.append((n, chain, col))

    def __len__(self) -> int:
        return len(self.fields)

    def build(self, values: Sequence[Any]) -> M:
        """The instance of a fetched row (its first ``len(self)`` values)."""
        row = list(values[: len(self.fields)])
        for n, chain, col in self.converters:
            for convert in chain:
                row[n] = convert(row[n], col, connection)
        return self.model.from_db(connection.alias, self.attnames, row)
