"""``zhufang bench instructions``: the instruction centre under load (issue 4).

Part A — issuing (``--part issue``): 10,000- and 100,000-item batches routed, merged and notified on
SQLite and PostgreSQL. Each (engine, size) runs in its own child process against a fresh database
(the county org tree, then 1.5 × N houses inserted set-based): a first batch of N new items
(``issue_new``), then a batch of N targets half of which already have an open item (``issue_merge``).
Each repeat uses another category, so every first batch opens new items. The peer,
``bulk_create_baseline``, is Django's ``bulk_create`` of N items plus N events (rolled back).

Part B — load (``--part load``): the app served as in production (gunicorn, several worker processes,
PostgreSQL) and driven by Debian's ``wrk`` with a Lua script: officers submitting feedback
(``POST /api/v1/instructions/items/{id}/feedback`` with an ``Idempotency-Key``, a share of retries
with the same key), photo uploads measured separately, and a bare endpoint (an authenticated Django
view doing an idempotency-key insert, a row lock and an event) as the baseline; then every
acknowledged submission is checked to be stored exactly once. See ``benchmarks/instructions_load.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PG_URL = os.environ.get("ZHUFANG_BENCH_PG", "postgres://postgres@127.0.0.1:5432/zh_ibench")
ISSUE_CATEGORIES = ("population", "visit", "model_check", "dispute")


def _issue_worker(size: int, repeat: int) -> list[dict[str, Any]]:
    """Runs inside the child: fresh database, county tree, houses, then the measured batches."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhufang.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks.instructions_setup import insert_houses
    from benchmarks.measure import measure_once
    from zhufang.accounts.models import User
    from zhufang.events.models import DomainEvent
    from zhufang.instructions.issuing import create_batch, issue_batch
    from zhufang.instructions.models import InstructionItem
    from zhufang.instructions.routing import TargetRef
    from zhufang.org.demo import build_demo
    from zhufang.registry.models import House

    call_command("migrate", verbosity=0)
    build_demo(size="county", seed=2026)
    actor = User.objects.select_related("unit").get(police_number="100001")
    houses = insert_houses(size + size // 2)
    first, second = houses[:size], houses[size // 2 : size + size // 2]
    engine = connection.vendor
    rows: list[dict[str, Any]] = []

    def issue_row(case: str, category: str, targets: Sequence[int]) -> dict[str, Any]:
        batch = create_batch(
            actor=actor, title=f"{case} {category}", category=category, targets=[TargetRef("house", h) for h in targets]
        )
        others = OtherCores()
        report, seconds, peak = measure_once(lambda: issue_batch(actor=actor, batch=batch))
        return {
            "other_cores_busy": others.busy(seconds),
            "case": f"{case}_{engine}",
            "engine": engine,
            "size": size,
            "seconds": round(seconds, 3),
            "peak_mb": round(peak, 1),
            "items_per_s": round(size / seconds),
            "created": report.created,
            "merged": report.merged,
            "stations": len(report.stations),
        }

    for n in range(repeat):
        category = ISSUE_CATEGORIES[n % len(ISSUE_CATEGORIES)]
        rows.append(issue_row("issue_new", category, first))
        rows.append(issue_row("issue_merge", category, second))

    # the peer: Django's bulk_create of N items plus N events, committed (PostgreSQL checks the
    # deferred foreign keys at commit), then deleted outside the measurement
    sample = list(House.objects.filter(pk__in=first[:1]).values_list("owner_unit_id", flat=True))
    owner = sample[0] if sample else None
    deadline = timezone.now() + dt.timedelta(days=3)

    def bulk_create_baseline() -> None:
        with transaction.atomic():
            items = InstructionItem.objects.bulk_create(
                [
                    InstructionItem(
                        category="baseline",
                        target_kind="house",
                        target_id=h,
                        target_label=f"house {h}",
                        station_id=owner,
                        district_id=owner,
                        owner_unit_id=owner,
                        deadline=deadline,
                        open_key=f"baseline:house:{h}",
                    )
                    for h in first
                ],
                batch_size=1000,
            )
            DomainEvent.objects.bulk_create(
                [
                    DomainEvent(
                        kind="instruction.issued",
                        owner_unit_id=owner,
                        object_type="instructions.instructionitem",
                        object_id=str(i.pk),
                        data={"batch": 0},
                    )
                    for i in items
                ],
                batch_size=2000,
            )

    def delete_baseline() -> None:
        with transaction.atomic():
            ids = list(InstructionItem.objects.filter(category="baseline").values_list("pk", flat=True))
            DomainEvent.objects.filter(object_type="instructions.instructionitem", data__batch=0).delete()
            for start in range(0, len(ids), 5000):
                InstructionItem.objects.filter(pk__in=ids[start : start + 5000]).delete()

    for _ in range(repeat):
        others = OtherCores()
        _result, seconds, peak = measure_once(bulk_create_baseline)
        busy = others.busy(seconds)
        delete_baseline()
        rows.append(
            {
                "other_cores_busy": busy,
                "case": f"bulk_create_baseline_{engine}",
                "engine": engine,
                "size": size,
                "seconds": round(seconds, 3),
                "peak_mb": round(peak, 1),
                "items_per_s": round(size / seconds),
            }
        )
    return rows


class OtherCores:
    """Cores busy with other work while a case ran: the machine's busy time less this process's and
    its database backend's (PostgreSQL) CPU time."""

    def __init__(self) -> None:
        from benchmarks.instructions_load import machine_busy_seconds

        self.machine = machine_busy_seconds()
        self.own = self._own()

    @staticmethod
    def _own() -> float:
        import resource

        from django.db import connection

        usage = resource.getrusage(resource.RUSAGE_SELF)
        own = usage.ru_utime + usage.ru_stime
        if connection.vendor == "postgresql":
            from benchmarks.instructions_load import _process_cpu

            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (pid,) = cursor.fetchone()
            own += _process_cpu().get(pid, (0, 0.0))[1]
        return own

    def busy(self, seconds: float) -> float:
        from benchmarks.instructions_load import machine_busy_seconds

        other = machine_busy_seconds() - self.machine - (self._own() - self.own)
        return round(max(0.0, other) / seconds, 2) if seconds > 0 else 0.0


def _reset_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def child_env(engine: str, directory: str) -> dict[str, str]:
    """The environment of a child process: its own var directory and a fresh database."""
    env = dict(os.environ)
    env["ZHUFANG_VAR_DIR"] = directory
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if engine == "postgresql":
        _reset_pg_database(PG_URL)
        env["DATABASE_URL"] = PG_URL
    else:
        env["ZHUFANG_SQLITE_PATH"] = str(Path(directory) / "bench.sqlite3")
    return env


def _run_issue_child(engine: str, size: int, repeat: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="zhufang-ibench-") as directory:
        output = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "benchmarks.instructions", "--issue-worker", str(size), str(repeat)],
            env=child_env(engine, directory),
            capture_output=True,
            text=True,
            check=False,
        )
        if output.returncode != 0:
            raise RuntimeError(f"benchmark worker failed ({engine}, {size}):\n{output.stderr[-4000:]}")
        return list(json.loads(output.stdout.strip().splitlines()[-1]))


def run(
    *, parts: Sequence[str], sizes: Sequence[int], engines: Sequence[str], repeat: int, load: dict[str, Any]
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    if "issue" in parts:
        for engine in engines:
            for size in sizes:
                rows.extend(_run_issue_child(engine, size, repeat))
    if "load" in parts:
        from benchmarks import instructions_load

        rows.extend(instructions_load.run(repeat=repeat, **load))
    return {"bench": "instructions", "rows": rows}


def _best(rows: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """The fastest run of each (case, size)."""
    best: dict[tuple[str, int], dict[str, Any]] = {}
    for row in rows:
        key = (row["case"], row["size"])
        if key not in best or row["seconds"] < best[key]["seconds"]:
            best[key] = row
    return best


def format_table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    lines = ["instruction centre benchmark — 2 cores", ""]
    issue = [r for r in rows if r["case"].startswith(("issue_", "bulk_create_baseline"))]
    if issue:
        best = _best(issue)
        sizes = sorted({r["size"] for r in issue})
        engines = sorted({r["engine"] for r in issue}, key=lambda e: e != "sqlite")
        lines.append("issuing (best of the repeats; seconds, items/s, peak MB)")
        head = f"{'case':<22}{'size':>9}" + "".join(f"{e:>34}" for e in engines)
        lines.append(head)
        for case in ("issue_new", "issue_merge", "bulk_create_baseline"):
            for size in sizes:
                cells = []
                for engine in engines:
                    r = best.get((f"{case}_{engine}", size))
                    cells.append(
                        f"{r['seconds']:>9.3f} s {r['items_per_s']:>9,}/s {r['peak_mb']:>7.1f} MB"
                        if r
                        else f"{'—':>34}"
                    )
                lines.append(f"{case:<22}{size:>9,}" + "".join(f"{c:>34}" for c in cells))
        busy = [r["other_cores_busy"] for r in issue if "other_cores_busy" in r]
        if busy:
            lines.append(f"  other work on the machine meanwhile: {min(busy):.2f}–{max(busy):.2f} cores busy")
        for engine in engines:
            for size in sizes:
                new = best.get((f"issue_new_{engine}", size))
                peer = best.get((f"bulk_create_baseline_{engine}", size))
                if new and peer:
                    lines.append(
                        f"  {engine} {size:,}: issuing takes {new['seconds'] / peer['seconds']:.2f}× "
                        "the bulk_create of items + events"
                    )
        lines.append("")
    load = [r for r in rows if r["case"].startswith("http_")]
    if load:
        from benchmarks import instructions_load

        lines.extend(instructions_load.format_rows(load))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhufang bench instructions")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--part", default="issue,load", help="issue, load or both (default)")
    parser.add_argument("--sizes", default="10000,100000", help="issuing batch sizes")
    parser.add_argument("--engines", default="sqlite,postgresql", help="issuing engines")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement (best is shown)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--servers",
        default="2x4",
        help="gunicorn configurations to measure, WORKERSxTHREADS, comma-separated (x1: sync workers); "
        "default 2x4, what `zhufang serve` runs",
    )
    parser.add_argument("--retry-share", type=float, default=0.1, help="share of feedback requests that are retries")
    parser.add_argument("--issue-worker", nargs=2, metavar=("SIZE", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.issue_worker:
        size, repeat = args.issue_worker
        print(json.dumps(_issue_worker(int(size), int(repeat))))
        return 0
    load = {
        "duration": args.duration,
        "connections": args.connections,
        "servers": [tuple(int(n) for n in pair.split("x")) for pair in args.servers.split(",")],
        "retry_share": args.retry_share,
    }
    result = run(
        parts=args.part.split(","),
        sizes=[int(s) for s in args.sizes.split(",")],
        engines=args.engines.split(","),
        repeat=args.repeat,
        load=load,
    )
    print(json.dumps(result, ensure_ascii=False) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
