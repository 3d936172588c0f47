"""Set-based inserts for issuing a batch (下发): items, memberships and events of 10,000s of targets.

Django's ``bulk_create`` builds a model instance per row and compiles a multi-row ``INSERT`` per
batch; on SQLite the 999-parameter cap makes that one statement per ~30 items, and it was most of
the time of a 10,000-item batch. Here the rows are tuples:

* SQLite: one prepared ``INSERT`` run by ``executemany``;
* PostgreSQL: ``COPY … FROM STDIN`` (Django's psycopg cursor binds parameters client-side, so
  ``executemany`` would send — and the server parse and plan — one ``INSERT`` text per row), with
  the primary keys drawn beforehand from the table's own sequence, so nothing has to be read back.

Values are given as on a model instance (foreign keys by attname); the columns not given take their
model default, or NULL where the default is None. Each distinct datetime and JSON value is adapted
once (a batch shares its moment, its deadline and its event payload).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, connections, models, router
from django.db.models.expressions import RawSQL

CHUNK = 5000  # rows per executemany or COPY


def listed(values: Sequence[int] | Sequence[str], *, text: bool = False) -> RawSQL:
    """The right-hand side of ``field__in=`` for many values as ONE parameter — an array unnested on
    PostgreSQL, a JSON array read by ``json_each`` on SQLite — instead of one placeholder per value:
    for 100,000 targets, building, binding and parsing IN lists of thousands of placeholders cost
    more than the lookups themselves (and needed chunks under SQLite's variable limit)."""
    # fixed SQL text; the values travel as one bound parameter
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{'text' if text else 'bigint'}[])", (list(values),))  # noqa: S611
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(list(values)),))


def _copy_text(field: Any) -> Callable[[Any], Any] | None:
    """For COPY: datetimes as ISO text and JSON as its text, once per distinct value (None: as is)."""
    if isinstance(field, models.DateTimeField):
        cache: dict[Any, Any] = {None: None}

        def iso(value: Any) -> Any:
            try:
                return cache[value]
            except KeyError:
                text = cache[value] = value.isoformat()
                return text

        return iso
    if isinstance(field, models.JSONField):
        return _by_identity(lambda value: None if value is None else json.dumps(value, cls=field.encoder))
    return None


def _by_identity(adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``adapt`` once per distinct object (dicts are unhashable; the value is kept alive with it)."""
    memo: dict[int, tuple[Any, Any]] = {}

    def prepare(value: Any) -> Any:
        hit = memo.get(id(value))
        if hit is None:
            hit = memo[id(value)] = (value, adapt(value))
        return hit[1]

    return prepare


PLAIN = (models.ForeignKey, models.CharField, models.IntegerField, models.FloatField, models.BooleanField)


def _param(field: Any, conn: Any) -> Callable[[Any], Any] | None:
    """For a parameterised INSERT: the ORM's own adaptation, once per distinct value (None: as is)."""
    if isinstance(field, PLAIN):
        return None
    if isinstance(field, models.JSONField):
        return _by_identity(lambda value: field.get_db_prep_save(value, conn))
    cache: dict[Any, Any] = {}

    def adapt(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = field.get_db_prep_save(value, conn)
            return result

    return adapt


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """``count`` primary keys drawn from the table's sequence (PostgreSQL), or None where rows must
    be read back after the insert (SQLite)."""
    conn = connections[router.db_for_write(model)]
    if conn.vendor != "postgresql":
        return None
    if count == 0:
        return []
    pk = model._meta.pk
    assert pk is not None
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert ``rows`` (values in ``columns`` order, by attname) into ``model``'s table; returns the
    number inserted. Database errors are Django's (an ``IntegrityError`` on a unique key)."""
    if not rows:
        return 0
    conn = connections[router.db_for_write(model)]
    meta = model._meta
    given: list[Any] = [meta.get_field(name) for name in columns]
    # other columns: their defaults as constants, except NULL, which the database fills in itself
    rest = [
        f
        for f in meta.concrete_fields
        if not f.primary_key and f.attname not in columns and not (f.null and f.get_default() is None)
    ]
    copying = conn.vendor == "postgresql"
    constants = tuple(
        (_copy_text(f) or (lambda v: v))(f.get_default()) if copying else f.get_db_prep_save(f.get_default(), conn)
        for f in rest
    )
    adapters = [_copy_text(f) if copying else _param(f, conn) for f in given]
    special = [(i, a) for i, a in enumerate(adapters) if a is not None]
    quote = conn.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(str(f.column)) for f in [*given, *rest])
    # identifiers come from the model's own metadata, values are parameters or COPY data
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * (len(given) + len(rest)))})"  # noqa: S608
    with conn.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            columns_of = list(zip(*chunk, strict=True))
            for i, adapt in special:
                columns_of[i] = tuple(map(adapt, columns_of[i]))
            values = [(*row, *constants) for row in zip(*columns_of, strict=True)]
            if copying:
                with conn.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, values)
    return len(rows)
