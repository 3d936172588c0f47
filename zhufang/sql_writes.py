"""Writes by prepared statements, for the registry imports, domain events, the idempotency key rows and
the phone's feedback: one prepared ``INSERT`` (or ``UPDATE … WHERE id``) run with ``executemany`` — on
PostgreSQL, many inserts are one ``COPY``.

Django's ``bulk_create`` compiles SQL per batch and, on SQLite, caps a batch at 999 parameters
(≈ 35 people), which made it most of the import's time; ``bulk_update`` builds a ``CASE WHEN`` per
column and row, which cost more than all the inserts. Here each value is still adapted the way the
ORM adapts it (encryption, JSON, dates, time zones), with the adapter chosen once per column and the
real connection object (not the thread-local proxy) resolved once per call. Columns named in
``prepared`` already hold database values (ciphertexts made in a worker process) and pass as given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models

PLAIN = (models.CharField, models.IntegerField, models.BooleanField, models.FloatField, models.TextField)


def _identity(value: Any) -> Any:
    return value


def _preparer(field: Any, conn: Any) -> Callable[[Any], Any]:
    from zhufang.privacy.fields import EncryptedTextField

    if isinstance(field, EncryptedTextField):
        return lambda value: field.get_db_prep_save(value, conn)
    if isinstance(field, models.ForeignKey):
        return _identity  # an integer primary key, as given
    if isinstance(field, models.DateTimeField):  # one import stamps every row with the same moment
        return _memoised(conn.ops.adapt_datetimefield_value, {None: None})
    if isinstance(field, models.DateField):  # dates repeat a lot (birth dates, registration days)
        cache = _DATES.setdefault(conn.vendor, {None: None})  # a date's database form depends on nothing else
        if len(cache) > MAX_CACHED_DATES:
            cache.clear()
            cache[None] = None
        return _memoised(conn.ops.adapt_datefield_value, cache)
    if isinstance(field, models.JSONField):
        return _json_preparer(field, conn)
    if isinstance(field, PLAIN):
        return _identity
    return lambda value: field.get_db_prep_save(value, conn)


#: database forms of dates, per database vendor, shared by every write of this process
_DATES: dict[str, dict[Any, Any]] = {}
MAX_CACHED_DATES = 200_000


def _memoised(adapt: Callable[[Any], Any], cache: dict[Any, Any]) -> Callable[[Any], Any]:
    """``adapt`` once per distinct value, remembered in ``cache`` (which maps None to None)."""

    def prepare(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = adapt(value)
            return result

    return prepare


def _json_preparer(field: Any, conn: Any) -> Callable[[Any], Any]:
    """Label lists repeat (most are empty): encode each distinct list of strings once."""
    cache: dict[tuple[str, ...], Any] = {}

    def prepare(value: Any) -> Any:
        if isinstance(value, list) and all(type(v) is str for v in value):
            key = tuple(value)
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = field.get_db_prep_save(value, conn)
            return hit
        return field.get_db_prep_save(value, conn)

    return prepare


def _fields(model: type[models.Model], field_names: Sequence[str]) -> list[Any]:
    """The concrete fields named, each by its name or its attname (a foreign key as ``unit_id``; a
    plain column such as ``object_id`` is itself)."""
    by_name: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        by_name[f.name] = by_name[f.attname] = f
    try:
        return [by_name[name] for name in field_names]
    except KeyError as missing:
        raise ValueError(f"{model.__name__} has no column {missing.args[0]!r}") from None


def _preparers(fields: list[Any], field_names: Sequence[str], prepared: Collection[str], conn: Any) -> list[Any]:
    return [_identity if name in prepared else _preparer(f, conn) for f, name in zip(fields, field_names, strict=True)]


def _batches(
    rows: list[tuple[Any, ...]], prepare: list[Callable[[Any], Any]], batch_size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows in database form, ``batch_size`` at a time: column by column, and only the columns
    whose adapter does something."""
    special = [(i, p) for i, p in enumerate(prepare) if p is not _identity]
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        if any(len(row) != len(prepare) for row in batch):
            raise ValueError(f"every row needs {len(prepare)} values")
        if special:
            columns = list(zip(*batch, strict=True))
            for i, p in special:
                columns[i] = tuple(map(p, columns[i]))
            batch = list(zip(*columns, strict=True))
        yield batch


#: on PostgreSQL, inserts of this many rows or more go by COPY
COPY_FROM_ROWS = 20


def insert_rows(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: list[tuple[Any, ...]],
    batch_size: int = 5000,
    *,
    prepared: Collection[str] = (),
) -> int:
    """Insert ``rows`` (values in ``field_names`` order, Python values as on a model instance; a
    foreign key by its ``*_id`` attname) into ``model``'s table. Returns the number inserted. On
    PostgreSQL from ``COPY_FROM_ROWS`` rows up the rows go by ``COPY``; fewer by one prepared ``INSERT``
    (``COPY`` costs an extra round trip, which a single event on a phone submission would pay)."""
    if not rows:
        return 0
    conn = connections[DEFAULT_DB_ALIAS]
    fields = _fields(model, field_names)
    prepare = _preparers(fields, field_names, prepared, conn)
    quote = conn.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # identifiers come from the model's own metadata, values are parameters: nothing user-supplied
    # COPY: one statement instead of one INSERT per row on the server
    if conn.vendor == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        copy_sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with conn.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for batch in _batches(rows, prepare, batch_size):
                for row in batch:
                    copy.write_row(row)
        return len(rows)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with conn.cursor() as cursor:
        for batch in _batches(rows, prepare, batch_size):
            _run(cursor, sql, batch)
    return len(rows)


def _run(cursor: Any, sql: str, batch: list[tuple[Any, ...]]) -> None:
    """``executemany``, except for one row (psycopg's executemany sets up a pipeline: a round trip more)."""
    if len(batch) == 1:
        cursor.execute(sql, batch[0])
    else:
        cursor.executemany(sql, batch)


def update_rows(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: list[tuple[Any, ...]],
    batch_size: int = 5000,
    *,
    prepared: Collection[str] = (),
) -> int:
    """Update rows by primary key: each row is the values in ``field_names`` order followed by the pk.
    Returns the number of rows given."""
    if not rows:
        return 0
    conn = connections[DEFAULT_DB_ALIAS]
    fields = _fields(model, field_names)
    prepare = [*_preparers(fields, field_names, prepared, conn), _identity]
    quote = conn.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    pk_column = quote(str(model._meta.pk.column))  # type: ignore[union-attr]
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    with conn.cursor() as cursor:
        for batch in _batches(rows, prepare, batch_size):
            _run(cursor, sql, batch)
    return len(rows)


def update_then_insert(
    model: type[models.Model],
    field_names: Sequence[str],
    row: tuple[Any, ...],
    *,
    insert_model: type[models.Model],
    insert_names: Sequence[str],
    insert_row: tuple[Any, ...],
) -> None:
    """Update one row by primary key (``row``: the values in ``field_names`` order, then the pk) and
    insert the row that goes with it (its event), which is written only if the update found its row.
    On PostgreSQL one statement (a data-modifying ``WITH``): a round trip less on a phone's submission."""
    conn = connections[DEFAULT_DB_ALIAS]
    fields, extra = _fields(model, field_names), _fields(insert_model, insert_names)
    values = [p(v) for p, v in zip([*_preparers(fields, field_names, (), conn), _identity], row, strict=True)]
    extra_values = [p(v) for p, v in zip(_preparers(extra, insert_names, (), conn), insert_row, strict=True)]
    quote = conn.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    pk_column = quote(str(model._meta.pk.column))  # type: ignore[union-attr]
    # identifiers come from the models' own metadata, values are parameters
    update = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    columns = ", ".join(quote(str(f.column)) for f in extra)
    placeholders = ", ".join(["%s"] * len(extra))
    insert = f"INSERT INTO {quote(insert_model._meta.db_table)} ({columns})"
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(
                f"WITH changed AS ({update} RETURNING 1) {insert} SELECT {placeholders} FROM changed",  # noqa: S608
                [*values, *extra_values],
            )
            return
        cursor.execute(update, values)
        if cursor.rowcount:
            cursor.execute(f"{insert} VALUES ({placeholders})", extra_values)


#: SQLite page cache while an import writes (KiB; the default is 2 MiB). Blind indexes are random keys:
#: with the default cache nearly every insert into their B-trees misses it, and an import of a million
#: people has ~200 MiB of such indexes.
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
#: WAL pages before SQLite copies them back into the database (the default is 1,000). A chunk of people
#: dirties pages all over the blind-index B-trees; copying them back after every chunk wrote most
#: index pages again and again, while a page changed by ten chunks is copied back once this way.
SQLITE_IMPORT_CHECKPOINT_PAGES = 32 * 1024  # 128 MiB of 4 KiB pages


@contextlib.contextmanager
def bulk_write_session() -> Iterator[None]:
    """Settings for a long bulk write on this connection, restored afterwards (SQLite: a larger page
    cache; other databases: nothing)."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "sqlite":
        yield
        return
    with conn.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (cache_before,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint")
        (checkpoint_before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{int(SQLITE_IMPORT_CACHE_KIB)}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {int(SQLITE_IMPORT_CHECKPOINT_PAGES)}")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), conn.cursor() as cursor:  # a broken connection forgets it anyway
            cursor.execute(f"PRAGMA cache_size = {int(cache_before)}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint_before)}")
