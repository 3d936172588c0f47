"""Set-based inserts for the import hot path: one prepared ``INSERT`` run with ``executemany``.

Django's ``bulk_create`` compiles SQL per batch and, on SQLite, caps a batch at 999 parameters
(≈ 35 people), which made it most of the import's time. Here each value is still adapted the way the
ORM adapts it (encryption, JSON, dates, time zones), with the adapter chosen once per column and the
real connection object (not the thread-local proxy) resolved once per call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

PLAIN = (models.CharField, models.IntegerField, models.BooleanField, models.FloatField, models.TextField)


def _preparer(field: Any, conn: Any) -> Callable[[Any], Any]:
    from zhufang.privacy.fields import EncryptedTextField

    if isinstance(field, EncryptedTextField):
        return lambda value: field.get_db_prep_save(value, conn)
    if isinstance(field, models.ForeignKey):
        return lambda value: value  # an integer primary key, as given
    if isinstance(field, models.DateTimeField):  # one import stamps every row with the same moment
        adapt_datetime = functools.lru_cache(maxsize=1024)(conn.ops.adapt_datetimefield_value)
        return lambda value: None if value is None else adapt_datetime(value)
    if isinstance(field, models.DateField):  # dates repeat a lot (birth dates, registration days)
        adapt_date = functools.lru_cache(maxsize=65536)(conn.ops.adapt_datefield_value)
        return lambda value: None if value is None else adapt_date(value)
    if isinstance(field, PLAIN):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, conn)


def insert_rows(
    model: type[models.Model], field_names: Sequence[str], rows: list[tuple[Any, ...]], batch_size: int = 5000
) -> int:
    """Insert ``rows`` (values in ``field_names`` order, Python values as on a model instance; a
    foreign key by its ``*_id`` attname) into ``model``'s table. Returns the number inserted."""
    if not rows:
        return 0
    conn = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    fields = [meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name) for name in field_names]
    prepare = [_preparer(f, conn) for f in fields]
    quote = conn.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)  # type: ignore[union-attr]
    placeholders = ", ".join(["%s"] * len(fields))
    # identifiers come from the model's own metadata, values are parameters: nothing user-supplied
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with conn.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = [tuple(p(v) for p, v in zip(prepare, row, strict=True)) for row in rows[start : start + batch_size]]
            cursor.executemany(sql, batch)
    return len(rows)
