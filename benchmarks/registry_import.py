"""``zhufang bench registry``: import 100,000 and 1,000,000 people from CSV (validation, encryption,
blind index, address matching included) on SQLite and PostgreSQL, rows/s; then the address-matching
benchmark (100,000 dirty addresses against 300,000 standard ones).

Each (database, size) runs in its own process against a fresh database, because Django's database
settings are fixed per process: a child process is started with ``--worker`` and prints one JSON row.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PG_URL = os.environ.get("ZHUFANG_BENCH_PG", "postgres://postgres@127.0.0.1:5432/zhufang_bench")


def _worker(engine: str, people: int, workdir: Path) -> dict[str, Any]:
    """Runs inside the child: fresh database, county org tree, 300k addresses, then the people file."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhufang.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from zhufang.accounts.models import User
    from zhufang.org.demo import build_demo
    from zhufang.registry.demo.csv_export import write_addresses_csv, write_people_csv
    from zhufang.registry.demo.generator import generate_registry
    from zhufang.registry.imports.runner import import_addresses, import_people

    call_command("migrate", verbosity=0)
    build_demo(size="county", seed=2026)
    actor = User.objects.get(police_number="100001")
    registry = generate_registry("county" if people > 200_000 else "demo", seed=2026)
    addresses_csv, people_csv = workdir / "addresses.csv", workdir / "people.csv"
    write_addresses_csv(registry, addresses_csv)
    write_people_csv(registry, people_csv, dirty_share=0.05, limit=people)
    started = time.perf_counter()
    address_report = import_addresses(addresses_csv, actor=actor, dry_run=False)
    address_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report = import_people(people_csv, actor=actor, dry_run=False)
    seconds = time.perf_counter() - started
    run = report.run
    return {
        "case": f"import_people_{connection.vendor}",
        "size": run.total_rows,
        "seconds": round(seconds, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rows_per_s": round(run.total_rows / seconds),
        "created": run.created,
        "rejected": run.rejected,
        "review": run.review,
        "addresses": address_report.run.created,
        "address_import_seconds": round(address_seconds, 3),
    }


def _run_child(engine: str, people: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="zhufang-bench-") as directory:
        env = dict(os.environ)
        env["ZHUFANG_VAR_DIR"] = directory
        env.pop("DATABASE_URL", None)
        if engine == "postgresql":
            _reset_pg_database()
            env["DATABASE_URL"] = PG_URL
        else:
            env["ZHUFANG_SQLITE_PATH"] = str(Path(directory) / "bench.sqlite3")
        output = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "benchmarks.registry_import", "--worker", engine, str(people), directory],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if output.returncode != 0:
            raise RuntimeError(f"benchmark worker failed ({engine}, {people}):\n{output.stderr[-4000:]}")
        return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def _reset_pg_database() -> None:
    import psycopg

    name = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run(sizes: Sequence[int], engines: Sequence[str], *, matching: bool = True) -> dict[str, Any]:
    rows = [_run_child(engine, size) for engine in engines for size in sizes]
    if matching:  # 10,000 / 100,000 dirty addresses against 30,000 / 300,000 standard ones
        from benchmarks import address_matching

        with contextlib.redirect_stdout(io.StringIO()):  # it prints its own table; we print one result
            rows.extend(address_matching.run()["rows"])
    return {"bench": "registry", "rows": rows}


def format_table(result: dict[str, Any]) -> str:
    lines = ["registry benchmark — 2 cores", "", f"{'case':<28}{'size':>12}{'seconds':>10}{'rows/s':>12}  notes"]
    for row in result["rows"]:
        rate = row.get("rows_per_s") or row.get("addresses_per_s") or ""
        notes = {k: v for k, v in row.items() if k not in {"case", "size", "seconds", "rows_per_s", "addresses_per_s"}}
        lines.append(f"{row['case']:<28}{row['size']:>12,}{row['seconds']:>10.2f}{rate:>12,}  {notes}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhufang bench registry")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--no-matching", action="store_true", help="skip the address-matching benchmark")
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "PEOPLE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        engine, people, directory = args.worker
        print(json.dumps(_worker(engine, int(people), Path(directory))))
        return 0
    result = run([int(s) for s in args.sizes.split(",")], args.engines.split(","), matching=not args.no_matching)
    print(json.dumps(result, ensure_ascii=False) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
