"""The people import with worker processes: the same stored rows, counters and row errors as
in-process; one transaction per chunk and resume after a failure mid-file; a damaged file fails at
the damaged row; dry runs write nothing; CSV blocks split exactly as the file is read."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from zhufang.accounts.models import User
from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.registry.demo.csv_export import write_addresses_csv, write_people_csv
from zhufang.registry.demo.generator import Registry, generate_registry
from zhufang.registry.imports import people as people_module
from zhufang.registry.imports.columns import ColumnMap
from zhufang.registry.imports.csv_blocks import RawBlock, parse_block
from zhufang.registry.imports.parallel import PARALLEL_MIN_BYTES, ChunkWork, chunk_results, worker_count
from zhufang.registry.imports.reading import chunk_rows, open_table
from zhufang.registry.imports.runner import ImportKind, import_addresses, import_people
from zhufang.registry.models import AddressReview, House, ImportRun, Person

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@functools.cache
def small_registry() -> Registry:
    return generate_registry("small", seed=2026)


@pytest.fixture
def actor(demo: Demo, tmp_path: Path) -> User:
    """The centre operator, with the small registry's standard addresses imported."""
    operator = demo.user("centre_operator")
    path = tmp_path / "addresses.csv"
    write_addresses_csv(small_registry(), path)
    assert import_addresses(path, actor=operator, dry_run=False).run.rejected == 0
    return operator


def read_csv(path: Path, encoding: str = "utf-8-sig") -> tuple[list[str], list[list[str]]]:
    with path.open(encoding=encoding, newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def people_csv(tmp_path: Path) -> Path:
    """The small registry's people (duplicates, people without a document, dirty addresses, the planted
    bad rows), with blank rows, a row of empty cells and an address nobody can match."""
    path = tmp_path / "people.csv"
    write_people_csv(small_registry(), path, dirty_share=0.2, include_bad_rows=True)
    header, rows = read_csv(path)
    rows[40][header.index("居住地址")] = "火星市不存在区无名路999号"
    rows[41][header.index("证件类型")] = rows[41][header.index("证件号码")] = ""  # undocumented, unmatched
    rows[41][header.index("居住地址")] = "火星市不存在区无名路1000号"
    rows.insert(300, [])
    rows.insert(700, [""] * len(header))
    return write_csv(path, header, rows)


def last_audit() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def snapshot(audit_after: int = 0) -> dict[str, Any]:
    """Everything an import stores, by natural values (primary keys differ between runs); the audit
    rows about people written after ``audit_after`` (the audit trail is append-only)."""
    code_of_house = dict(House.objects.values_list("pk", "address__code"))
    people = sorted(
        (
            p.legacy_number,
            p.name,
            p.id_type,
            p.id_number,
            p.id_index,
            p.sex,
            p.birth_date,
            p.phone,
            p.phone_index,
            p.category,
            code_of_house.get(p.house_id),  # type: ignore[arg-type]
            p.residence_since,
            p.registered_at,
            p.permit_expires,
            p.nationality,
            tuple(p.labels),
            p.source_updated_at,
            p.owner_unit_id,
            p.is_active,
        )
        for p in Person.objects.all()
    )  # legacy numbers are unique: the first element orders them
    reviews = sorted(
        AddressReview.objects.values_list(
            "raw_text", "suggestion__code", "confidence", "row_number", "person__legacy_number", "owner_unit_id"
        ),
        key=repr,
    )
    houses = sorted(House.objects.values_list("address__code", "use", "owner_unit_id"))
    entries = AuditEntry.objects.filter(object_type="registry.person", id__gt=audit_after)
    audit = sorted(entries.values_list("action", flat=True))
    return {"people": people, "reviews": reviews, "houses": houses, "audit": audit}


def forget_import() -> None:
    AddressReview.objects.all().delete()
    Person.objects.all().delete()
    House.objects.all().delete()
    ImportRun.objects.filter(kind="people").delete()


def counters(run: ImportRun) -> tuple[int, ...]:
    return (run.total_rows, run.created, run.updated, run.unchanged, run.rejected, run.review, run.last_committed_row)


def older_version(path: Path, tmp_path: Path) -> Path:
    """The first 800 rows of the file as an earlier export had them: other phones and labels."""
    header, rows = read_csv(path)
    phone, labels = header.index("联系电话"), header.index("标签")
    for i, row in enumerate(rows[:800]):
        if i % 7 == 0 and row:
            row[phone] = f"139{i:08d}"
        if i % 11 == 0 and row:
            row[labels] = "独居老人"
    return write_csv(tmp_path / "older.csv", header, rows[:800])


def test_workers_store_exactly_what_in_process_stores(actor: User, people_csv: Path, tmp_path: Path) -> None:
    assert worker_count(2, file_bytes=100) == 2  # an explicit count is honoured even for a small file
    older = older_version(people_csv, tmp_path)
    import_people(older, actor=actor, dry_run=False, chunk_size=97, workers=1)
    before = last_audit()
    serial = import_people(people_csv, actor=actor, dry_run=False, chunk_size=97, workers=1)
    stored = snapshot(before)
    assert serial.run.rejected == len([b for b in small_registry().truth.bad_rows if b.table == "people"])
    assert serial.run.updated > 50 and serial.run.created > 1000
    assert serial.run.unchanged > 500  # the older file's unchanged rows, and duplicates within the file
    assert len(stored["reviews"]) >= 2  # (made by the older file's import)
    assert "update" in stored["audit"] and "create" in stored["audit"]
    assert any(row[4] is None for row in stored["people"])  # people without a document are stored
    forget_import()

    import_people(older, actor=actor, dry_run=False, chunk_size=97, workers=2)
    before = last_audit()
    parallel = import_people(people_csv, actor=actor, dry_run=False, chunk_size=97, workers=2)
    assert snapshot(before) == stored
    assert counters(parallel.run) == counters(serial.run)
    assert [e.as_dict() for e in parallel.errors] == [e.as_dict() for e in serial.errors]

    for workers in (2, 1):
        before = last_audit()
        again = import_people(people_csv, actor=actor, dry_run=False, chunk_size=97, workers=workers)
        assert (again.run.created, again.run.updated) == (0, 0)  # re-import: nothing rewritten …
        assert snapshot(before) == {**stored, "audit": []}  # … nor audited again


def test_the_first_of_two_rows_for_one_person_wins_whatever_the_chunks(actor: User, people_csv: Path) -> None:
    """Duplicates in one file: the result does not depend on where chunks end, and re-importing
    leaves it alone (if the later row overwrote the earlier, each re-import would rewrite both)."""
    by_chunk = {}
    for chunk_size in (5000, 37):
        forget_import()
        import_people(people_csv, actor=actor, dry_run=False, chunk_size=chunk_size, workers=1)
        by_chunk[chunk_size] = snapshot(last_audit())["people"]
    assert by_chunk[5000] == by_chunk[37]


def test_dry_run_with_workers_writes_nothing(actor: User, people_csv: Path) -> None:
    report = import_people(people_csv, actor=actor, dry_run=True, chunk_size=200, workers=2)
    assert report.run.created > 1000 and report.run.rejected > 0
    assert not Person.objects.exists() and not House.objects.exists() and not AddressReview.objects.exists()


def test_failure_mid_file_with_workers_keeps_whole_chunks_and_resumes(
    actor: User, people_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = people_module.upsert_people
    calls = {"n": 0}

    def flaky(rows, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("power cut")
        return real(rows, **kwargs)

    monkeypatch.setattr("zhufang.registry.imports.runner.upsert_people", flaky)
    with pytest.raises(RuntimeError, match="power cut"):
        import_people(people_csv, actor=actor, dry_run=False, chunk_size=100, workers=2)
    interrupted = ImportRun.objects.get(kind="people")
    assert interrupted.status == ImportRun.Status.RUNNING and interrupted.last_committed_row == 301
    assert max(int(n[1:]) for n in Person.objects.values_list("legacy_number", flat=True)) <= 300
    assert Person.objects.count() == interrupted.created  # three whole chunks, nothing of the fourth
    monkeypatch.setattr("zhufang.registry.imports.runner.upsert_people", real)

    resumed = import_people(people_csv, actor=actor, dry_run=False, chunk_size=100, workers=2)
    assert resumed.run.status == ImportRun.Status.DONE
    resumed_people = snapshot()["people"]
    forget_import()
    import_people(people_csv, actor=actor, dry_run=False, chunk_size=100, workers=1)
    assert resumed_people == snapshot()["people"]  # as if never interrupted


def test_damaged_bytes_fail_at_their_row_after_storing_the_chunks_before(actor: User, tmp_path: Path) -> None:
    """The first megabyte decides the encoding (UTF-8); a broken byte after it stops the import at
    that row, with every chunk before it stored."""
    source = tmp_path / "people.csv"
    write_people_csv(small_registry(), source, dirty_share=0.0, limit=700)
    header, rows = read_csv(source)
    header.append("备注")  # ignored by the import: it only makes the file large
    rows = [[*row, "说明" * 600] for row in rows]
    path = write_csv(tmp_path / "damaged.csv", header, rows)
    data = path.read_bytes()
    at = data.index(rows[650][0].encode())  # 人员编号 P0000651, on file row 652: a chunk starts there
    path.write_bytes(data[:at] + b"\xff" + data[at + 1 :])
    assert at > (1 << 20)
    report = import_people(path, actor=actor, dry_run=False, chunk_size=50, workers=2)
    run = report.run
    assert run.status == ImportRun.Status.FAILED and run.encoding == "utf-8"
    assert run.last_committed_row == 651  # rows 2-651: thirteen whole chunks of 50
    assert report.errors[-1].row == 652 and "652" in report.errors[-1].message
    assert Person.objects.count() == run.created == 650


def test_a_quoted_field_across_lines_is_read_in_process_from_there(actor: User, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    write_people_csv(small_registry(), source, dirty_share=0.1, limit=400)
    header, rows = read_csv(source)
    header.append("备注")
    rows = [[*row, "第一行\n第二行" if i == 250 else ""] for i, row in enumerate(rows)]
    path = write_csv(tmp_path / "quoted.csv", header, rows)
    before = last_audit()
    serial = import_people(path, actor=actor, dry_run=False, chunk_size=60, workers=1)
    stored = snapshot(before)
    forget_import()
    before = last_audit()
    parallel = import_people(path, actor=actor, dry_run=False, chunk_size=60, workers=2)
    assert snapshot(before) == stored and counters(parallel.run) == counters(serial.run)
    assert serial.run.total_rows == 400


def _pid(row: int, cells: list[str], columns: ColumnMap, *, today: dt.date) -> tuple[int, list[Any]]:
    return os.getpid(), []


def test_chunks_are_validated_in_other_processes_and_come_back_in_order() -> None:
    kind = ImportKind("people", _pid, lambda *a, **k: [], parallel=True)
    work = ChunkWork(kind=kind, columns=ColumnMap(), today=dt.date(2026, 1, 1), resume_after=3, index=None)
    chunks = [[(n, ["x"]) for n in range(start, start + 2)] for start in range(2, 40, 2)]
    with chunk_results(work, iter(chunks), workers=2) as results:
        got = list(results)
    assert [r.last_row for r in got] == [c[-1][0] for c in chunks]
    assert got[0].items == [] and got[0].rows == 2  # rows 2 and 3 were committed before
    assert len(got[1].items) == 2
    pids = {pid for r in got for pid in r.items}
    assert pids and os.getpid() not in pids


def test_blocks_give_the_rows_and_chunks_reading_gives(tmp_path: Path) -> None:
    lines = ["姓名,证件号码", *[f"人{i}, {i} " for i in range(1, 24)]]
    lines[5] = ""  # a blank line
    lines[9] = " , "  # a row of blanks
    for encoding, ending, last in (("utf-8-sig", "\n", "\n"), ("gbk", "\r\n", ""), ("utf-8", "\r\n", "\r\n")):
        path = tmp_path / f"t-{encoding}.csv"
        path.write_bytes((ending.join(lines) + last).encode(encoding))
        expected = list(chunk_rows(open_table(path).rows, 4))
        got = [parse_block(b) if isinstance(b, RawBlock) else b for b in open_table(path).chunks(4, raw=True)]
        assert [c for c in got if c] == expected, encoding
        assert expected[0] == [(2, ["人1", "1"]), (3, ["人2", "2"]), (4, ["人3", "3"]), (5, ["人4", "4"])]
        assert [r[0] for r in expected[1]] == [7, 8, 9]  # row 6 is blank: the next chunk still starts at 10
        assert expected[-1][-1] == (24, ["人23", "23"])


def test_how_many_workers(settings: Any) -> None:
    big = PARALLEL_MIN_BYTES
    settings.ZHUFANG_IMPORT_WORKERS = 3
    assert worker_count(None, big) == 3  # as configured, for a large file
    assert worker_count(None, big - 1) == 0  # a small file is validated in-process
    assert worker_count(1, big) == 0 and worker_count(4, 10) == 4  # what the caller asks for
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert worker_count(None, big) == 0  # never forked from a process running other threads …
        assert worker_count(2, big) == 2  # … unless asked for explicitly
    finally:
        stop.set()
        other.join()
