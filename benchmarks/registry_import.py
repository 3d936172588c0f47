"""``zhufang bench registry``: import 100,000 and 1,000,000 people from CSV (validation, encryption,
blind index, address matching included) on SQLite and PostgreSQL, rows/s; then the address-matching
benchmark (100,000 dirty addresses against 300,000 standard ones).

Each (database, size) runs in its own process against a fresh database, because Django's database
settings are fixed per process: a child process is started with ``--worker`` and prints one JSON row.

The people import is timed with the address matcher already built (``index_build_seconds``: building
it, once per process after the standard addresses change). Besides wall-clock seconds each row carries
``cpu_us_per_row``: user + system CPU of the importing process and its worker processes per row — the
figure that stays meaningful when other work shares the cores (``load_before``/``load_after``: the
1-minute load average around the import; ``workers``: import worker processes, 0 = in-process). On
PostgreSQL, ``db_server_cpu_us_per_row`` is the server's share: the backend process of the import's
connection.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
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


def _cpu_seconds() -> tuple[float, float]:
    """User + system CPU seconds of this process and of its finished children."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def _server_cpu_seconds(connection: Any) -> float | None:
    """CPU seconds of this connection's PostgreSQL backend process (same machine), else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _worker(engine: str, people: int, workdir: Path, workers: int | None = None) -> dict[str, Any]:
    """Runs inside the child: fresh database, county org tree, 300k addresses, then the people file."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhufang.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.measure import measure_once
    from zhufang.accounts.models import User
    from zhufang.org.demo import build_demo
    from zhufang.registry.address_index import current_index
    from zhufang.registry.demo.csv_export import write_addresses_csv, write_people_csv
    from zhufang.registry.demo.generator import generate_registry
    from zhufang.registry.imports.parallel import worker_count
    from zhufang.registry.imports.runner import import_addresses, import_people

    call_command("migrate", verbosity=0)
    build_demo(size="county", seed=2026)
    actor = User.objects.get(police_number="100001")
    registry = generate_registry("county" if people > 200_000 else "demo", seed=2026)
    addresses_csv, people_csv = workdir / "addresses.csv", workdir / "people.csv"
    write_addresses_csv(registry, addresses_csv)
    write_people_csv(registry, people_csv, dirty_share=0.05, limit=people)
    del registry  # the generated county is not part of an import: the workers should not inherit it
    gc.collect()
    started = time.perf_counter()
    address_report = import_addresses(addresses_csv, actor=actor, dry_run=False)
    address_seconds = time.perf_counter() - started
    started = time.perf_counter()
    current_index()
    index_seconds = time.perf_counter() - started
    load_before = os.getloadavg()[0]
    cpu_before = _cpu_seconds()
    server_before = _server_cpu_seconds(connection)
    report, seconds, peak_mb = measure_once(
        lambda: import_people(people_csv, actor=actor, dry_run=False, workers=workers)
    )
    cpu_after = _cpu_seconds()
    server_after = _server_cpu_seconds(connection)
    load_after = os.getloadavg()[0]
    run = report.run
    main_cpu, workers_cpu = (after - before for after, before in zip(cpu_after, cpu_before, strict=True))
    return {
        "case": f"import_people_{connection.vendor}",
        "size": run.total_rows,
        "seconds": round(seconds, 3),
        "peak_mb": round(peak_mb, 1),
        "rows_per_s": round(run.total_rows / seconds),
        "cpu_us_per_row": round((main_cpu + workers_cpu) / run.total_rows * 1e6, 1),
        "main_cpu_us_per_row": round(main_cpu / run.total_rows * 1e6, 1),
        # PostgreSQL only: its backend process for this connection (WAL writer, checkpointer not counted)
        "db_server_cpu_us_per_row": (
            round((server_after - server_before) / run.total_rows * 1e6, 1)
            if server_before is not None and server_after is not None
            else None
        ),
        "workers": worker_count(workers, people_csv.stat().st_size),
        "workers_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "review": run.review,
        "index_build_seconds": round(index_seconds, 3),
        "addresses": address_report.run.created,
        "address_import_seconds": round(address_seconds, 3),
    }


def _run_child(engine: str, people: int, workers: int | None = None) -> dict[str, Any]:
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
            [
                sys.executable,
                "-m",
                "benchmarks.registry_import",
                "--worker",
                engine,
                str(people),
                directory,
                *(["--workers", str(workers)] if workers is not None else []),
            ],
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


def run(
    sizes: Sequence[int], engines: Sequence[str], *, matching: bool = True, workers: int | None = None
) -> dict[str, Any]:
    rows = [_run_child(engine, size, workers) for engine in engines for size in sizes]
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
    parser.add_argument(
        "--workers", type=int, default=None, help="import worker processes (default: as configured; 1: in-process)"
    )
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "PEOPLE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        engine, people, directory = args.worker
        print(json.dumps(_worker(engine, int(people), Path(directory), args.workers)))
        return 0
    result = run(
        [int(s) for s in args.sizes.split(",")],
        args.engines.split(","),
        matching=not args.no_matching,
        workers=args.workers,
    )
    print(json.dumps(result, ensure_ascii=False) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
