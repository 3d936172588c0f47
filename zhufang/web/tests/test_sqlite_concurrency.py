"""The embedded SQLite configuration: a writer that finds the database busy waits for the lock
instead of failing with "database is locked", and readers are never blocked (WAL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from zhufang import settings as project_settings

pytestmark = pytest.mark.sqlite


def handler_for(path: Path) -> ConnectionHandler:
    return ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": project_settings.SQLITE_OPTIONS,
            }
        }
    )


@pytest.fixture
def unblocked(django_db_blocker: object) -> Iterator[None]:
    """This test opens its own database file, outside the test database."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        yield


def test_second_writer_waits_and_reader_is_not_blocked(tmp_path: Path, unblocked: None) -> None:
    path = tmp_path / "busy.sqlite3"
    setup = handler_for(path)["default"]
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 30000  # a writer waits up to 30 s (sqlite3's default is 5 s)
    setup.close()

    holding = threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        conn = handler_for(path)["default"]
        try:
            with conn.cursor() as cursor:
                cursor.execute("BEGIN IMMEDIATE")  # what every write transaction does (transaction_mode)
                cursor.execute("INSERT INTO t (who) VALUES ('slow')")
                holding.set()
                time.sleep(1.0)
                cursor.execute("COMMIT")
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    def second_writer() -> None:
        conn = handler_for(path)["default"]
        holding.wait(5)
        try:
            with conn.cursor() as cursor:
                cursor.execute("INSERT INTO t (who) VALUES ('second')")
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    slow = threading.Thread(target=slow_writer)
    second = threading.Thread(target=second_writer)
    slow.start()
    second.start()
    assert holding.wait(5)
    reader = handler_for(path)["default"]
    with reader.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone()[0] == 0  # read while the writer holds the lock: not committed yet
    reader.close()
    slow.join(10)
    second.join(10)
    assert not errors, errors  # no "database is locked": the second writer waited for the lock
    check = handler_for(path)["default"]
    with check.cursor() as cursor:
        cursor.execute("SELECT who FROM t ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["slow", "second"]
    check.close()
