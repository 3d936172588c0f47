"""Benchmark: working-day deadlines for 10,000 and 100,000 instruction items, batch vs per item.

The calendar is built from the committed seed (2004–2026, the same rows the data migration loads), so
no database is needed; the deadline arithmetic is what is measured. Starts are uniform over
2025-01-01…2026-11-30 (seeded), rules 1–10 working days.

Cases per size:

* ``batch`` — ``WorkCalendar.add_working_days_many`` on a ``datetime64`` array (numpy in, numpy out);
* ``batch_datetimes`` — the same from a list of aware datetimes to a list of aware (UTC) datetimes
  (the conversions ``bulk_create`` needs, both ways, included);
* ``loop_per_item`` — ``WorkCalendar.add_working_days`` called once per item (the per-item form: two
  array look-ups each, plus building the result);
* ``loop_naive`` — the obvious implementation: step day by day from the start, asking
  ``is_working_day`` until N working days are counted.

Every case is the best of ``--repeat`` runs (default 3). Every case must give the same
deadlines (checked; exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from benchmarks.measure import measure
from zhufang.workdays.seed import load_seed
from zhufang.workdays.workcalendar import WorkCalendar, from_utc_array

DEFAULT_SIZES = (10_000, 100_000)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _naive_due(calendar: WorkCalendar, start: dt.datetime, n: int) -> dt.datetime:
    day = start.astimezone(calendar.tz).date()
    while n:
        day += dt.timedelta(days=1)
        n -= calendar.is_working_day(day)
    return calendar.end_of_day(day)


def _loop_naive(calendar: WorkCalendar, starts: list[dt.datetime], amounts: list[int]) -> list[dt.datetime]:
    return [_naive_due(calendar, s, n) for s, n in zip(starts, amounts, strict=True)]


def _loop_per_item(calendar: WorkCalendar, starts: list[dt.datetime], amounts: list[int]) -> list[dt.datetime]:
    return [calendar.add_working_days(s, n).at for s, n in zip(starts, amounts, strict=True)]


def _batch_datetimes(calendar: WorkCalendar, starts: list[dt.datetime], amounts: Any) -> list[dt.datetime]:
    return calendar.add_working_days_many(starts, amounts).datetimes()  # aware UTC, as bulk_create takes


def run(
    sizes: Sequence[int] = DEFAULT_SIZES, json_output: bool = False, *, seed: int = 2026, repeat: int = 3
) -> dict[str, Any]:
    data = load_seed()
    calendar, build_s, build_mb = measure(lambda: WorkCalendar(data.years, data.days, tz=SHANGHAI), repeat)
    rows: list[dict[str, Any]] = [
        {
            "case": "calendar_build",
            "size": len(data.days),
            "seconds": round(build_s, 5),
            "items_per_s": None,
            "vs_batch": None,
            "peak_mb": round(build_mb, 1),
            "note": f"{len(data.years)} covered years, {len(data.days)} day overrides, 1970–2199",
        }
    ]
    agreement: list[dict[str, Any]] = []
    rng = np.random.default_rng(seed)
    low = np.datetime64("2024-12-31T16:00:00", "us")  # 2025-01-01 00:00 in Shanghai, as UTC
    span_us = int((np.datetime64("2026-11-30T16:00:00", "us") - low).astype(np.int64))
    for size in sizes:
        starts_np = low + rng.integers(0, span_us, size).astype("timedelta64[us]")
        amounts_np = rng.integers(1, 11, size)
        starts = from_utc_array(starts_np, SHANGHAI)
        amounts = amounts_np.tolist()

        batch, batch_s, batch_mb = measure(partial(calendar.add_working_days_many, starts_np, amounts_np), repeat)
        reference = from_utc_array(batch.at_utc, SHANGHAI)
        cases: list[tuple[str, float, float, list[dt.datetime], str]] = [
            ("batch", batch_s, batch_mb, reference, "numpy datetime64 in and out"),
        ]
        out, s, mb = measure(partial(_batch_datetimes, calendar, starts, amounts_np), repeat)
        cases.append(("batch_datetimes", s, mb, out, "aware datetimes in and out (conversions included)"))
        out, s, mb = measure(partial(_loop_per_item, calendar, starts, amounts), repeat)
        cases.append(("loop_per_item", s, mb, out, "add_working_days once per item"))
        out, s, mb = measure(partial(_loop_naive, calendar, starts, amounts), repeat)
        cases.append(("loop_naive", s, mb, out, "day-by-day stepping with is_working_day"))
        for case, seconds, peak, deadlines, note in cases:
            rows.append(
                {
                    "case": case,
                    "size": size,
                    "seconds": round(seconds, 5),
                    "items_per_s": round(size / seconds) if seconds > 0 else None,
                    "vs_batch": round(seconds / batch_s, 1) if batch_s > 0 else None,
                    "peak_mb": round(peak, 1),
                    "note": note,
                }
            )
            differing = sum(a != b for a, b in zip(deadlines, reference, strict=True))
            agreement.append({"size": size, "case": case, "differing": differing, "ok": differing == 0})
        agreement.append({"size": size, "case": "approximate flags", "differing": batch.approximate_count, "ok": True})

    result: dict[str, Any] = {
        "bench": "workdays",
        "rows": rows,
        "agreement": agreement,
        "meta": {
            "seed": seed,
            "repeat": repeat,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "calendar": data.source,
            "starts": "uniform 2025-01-01…2026-11-30 Asia/Shanghai, rules 1–10 working days",
            "timing": "best of `repeat` runs for every case",
        },
    }
    print(json.dumps(result, ensure_ascii=False) if json_output else format_table(result))
    return result


def format_table(result: dict[str, Any]) -> str:
    meta = result["meta"]
    lines = [
        f"workdays benchmark — {meta['calendar']}, {meta['cpus']} CPUs, Python {meta['python']}, "
        f"numpy {meta['numpy']}; {meta['starts']}",
        "",
        f"{'case':<16} {'size':>8} {'seconds':>10} {'items/s':>12} {'× batch':>8} {'peak MB':>8}  note",
        "-" * 100,
    ]
    for r in result["rows"]:
        rate = f"{r['items_per_s']:,}" if r["items_per_s"] else "-"
        ratio = f"{r['vs_batch']:.1f}" if r["vs_batch"] is not None else "-"
        lines.append(
            f"{r['case']:<16} {r['size']:>8,} {r['seconds']:>10.4f} {rate:>12} {ratio:>8} "
            f"{r['peak_mb']:>8.1f}  {r['note']}"
        )
    lines += ["", "agreement with the batch result (every deadline equal):"]
    for a in result["agreement"]:
        if a["case"] == "approximate flags":
            lines.append(f"  size {a['size']:>8,}: {a['differing']} deadlines flagged approximate")
        else:
            lines.append(
                f"  size {a['size']:>8,} {a['case']:<16} {a['differing']} differ {'ok' if a['ok'] else 'MISMATCH'}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhufang bench workdays", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES), help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="runs per batch case; the best is reported")
    args = parser.parse_args(argv)
    sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    result = run(sizes, json_output=args.json, seed=args.seed, repeat=args.repeat)
    return 0 if all(a["ok"] for a in result["agreement"]) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
