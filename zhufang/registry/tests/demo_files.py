"""The small demo registry's bureau files for import and export tests (one generation per process)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from zhufang.accounts.models import User
from zhufang.registry.demo.csv_export import write_addresses_csv
from zhufang.registry.demo.generator import BadRow, Registry, generate_registry
from zhufang.registry.imports.runner import import_addresses


@functools.cache
def small_registry() -> Registry:
    return generate_registry("small", seed=2026)


def import_demo_addresses(actor: User, directory: Path) -> None:
    path = directory / "addresses.csv"
    write_addresses_csv(small_registry(), path)
    report = import_addresses(path, actor=actor, dry_run=False)
    assert report.run.rejected == 0


def bad_rows(table: str) -> list[BadRow]:
    return [b for b in small_registry().truth.bad_rows if b.table == table]


def read_rows(path: Path, encoding: str = "utf-8-sig") -> tuple[list[str], list[list[str]]]:
    with path.open(encoding=encoding, newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def write_rows(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
