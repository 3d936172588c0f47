"""Benchmark: matching planted dirty addresses to standard addresses (一标三实 address matching).

For each size pair ``standard:queries`` (default 30,000:10,000 and 300,000:100,000 — two sizes 10×
apart), a synthetic county of ``standard`` addresses is generated
(:func:`zhufang.registry.addressing.synthetic.synthetic_addresses`: ~10 townships, ~200 communities,
~1,500 streets/小区 at 300,000), then ``queries`` dirty variants with their ground truth
(:func:`zhufang.registry.addressing.dirty.make_dirty_cases`: one or two kinds of dirt each, 5 % naming a
street that does not exist, whose right answer is "no match").

Cases:

* ``index_build`` — ``AddressMatcher(standard)``: gazetteer + dict indexes (size = standard addresses);
* ``match_many`` — ``AddressMatcher.match_many(texts)`` over all queries, one process (size = queries).

Accuracy counts a query right when the matched id is the planted one, or when a "nonexistent" query
is not matched. ``wrong_match_share`` is the dangerous error (matched to another address);
``review_share`` is the share a person would see (no match, or confidence below 0.85).
``peak_mb`` is the growth of the resident set during the case (VmHWM reset through
/proc/self/clear_refs, falling back to getrusage max RSS growth).

Targets (issue 3, 2 cores): ≥ 5,000 addresses/s at ≥ 95 % accuracy. The exit status is 1 when an
accuracy floor is missed (accuracy < 95 %, or nonexistent streets matched > 2 %), not for speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Sequence
from functools import partial
from typing import Any

import rapidfuzz

from benchmarks.measure import measure
from zhufang.registry.addressing.dirty import DIRT_KINDS, NONEXISTENT, make_dirty_cases
from zhufang.registry.addressing.match import REVIEW_THRESHOLD, AddressMatcher
from zhufang.registry.addressing.synthetic import synthetic_addresses

DEFAULT_SIZES = ((30_000, 10_000), (300_000, 100_000))
TARGET_PER_S = 5_000
ACCURACY_FLOOR = 0.95
NONEXISTENT_WRONG_MAX = 0.02


def run(
    sizes: Sequence[tuple[int, int]] = DEFAULT_SIZES,
    json_output: bool = False,
    *,
    seed: int = 2026,
    nonexistent_share: float = 0.05,
    repeat: int = 1,
) -> dict[str, Any]:
    """Run the benchmark, print a table (or one JSON object) and return the result dict."""
    rows: list[dict[str, Any]] = []
    by_kind: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    for n_standard, n_queries in sizes:
        t0 = time.perf_counter()
        standard = synthetic_addresses(n_standard, seed=seed)
        cases = make_dirty_cases(standard, n_queries, seed=seed + 1, nonexistent_share=nonexistent_share)
        texts = [c.text for c in cases]
        prepare_s = time.perf_counter() - t0

        matcher, build_s, build_mb = measure(partial(AddressMatcher, standard))
        stats = matcher.stats()
        rows.append(
            {
                "case": "index_build",
                "size": n_standard,
                "seconds": round(build_s, 4),
                "peak_mb": round(build_mb, 1),
                "addresses_per_s": round(n_standard / build_s) if build_s > 0 else None,
                "accuracy": None,
                "note": f"{stats['streets']} streets, {stats['keys']} street+number keys, "
                f"{stats['number_keys']} number blocks; data generated in {prepare_s:.1f} s (not timed)",
            }
        )
        results, match_s, match_mb = measure(partial(matcher.match_many, texts), repeat)

        right: Counter[str] = Counter()
        total: Counter[str] = Counter()
        methods: Counter[str] = Counter()
        correct = wrong = review = nonexistent = nonexistent_wrong = 0
        for case, outcome in zip(cases, results, strict=True):
            ok = outcome.address_id == case.expected_id
            correct += ok
            wrong += outcome.address_id is not None and not ok
            review += outcome.needs_review
            methods[outcome.method] += 1
            if case.expected_id is None:
                nonexistent += 1
                nonexistent_wrong += outcome.address_id is not None
            for kind in case.kind.split("+"):
                total[kind] += 1
                right[kind] += ok
        accuracy = correct / len(cases)
        per_s = n_queries / match_s if match_s > 0 else 0.0
        kinds = {k: round(right[k] / total[k], 4) for k in (*DIRT_KINDS, NONEXISTENT) if total[k]}
        rows.append(
            {
                "case": "match_many",
                "size": n_queries,
                "seconds": round(match_s, 4),
                "peak_mb": round(match_mb, 1),
                "addresses_per_s": round(per_s),
                "accuracy": round(accuracy, 4),
                "standard": n_standard,
                "review_share": round(review / len(cases), 4),
                "wrong_match_share": round(wrong / len(cases), 4),
                "nonexistent_wrong_share": round(nonexistent_wrong / nonexistent, 4) if nonexistent else None,
                "methods": dict(sorted(methods.items())),
                "by_kind": kinds,
                "note": f"{n_queries:,} dirty queries against {n_standard:,} standard, one process",
            }
        )
        for kind in (*DIRT_KINDS, NONEXISTENT):
            if total[kind]:
                by_kind.append({"size": n_queries, "kind": kind, "queries": total[kind], "accuracy": kinds[kind]})
        checks.append(
            {
                "size": n_queries,
                "accuracy_ok": accuracy >= ACCURACY_FLOOR,
                "nonexistent_ok": (nonexistent_wrong / nonexistent if nonexistent else 0.0) <= NONEXISTENT_WRONG_MAX,
                "speed_ok": per_s >= TARGET_PER_S,
            }
        )
        del matcher, results
    result: dict[str, Any] = {
        "bench": "address_matching",
        "rows": rows,
        "by_kind": by_kind,
        "checks": checks,
        "meta": {
            "seed": seed,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "rapidfuzz": rapidfuzz.__version__,
            "nonexistent_share": nonexistent_share,
            "review_threshold": REVIEW_THRESHOLD,
            "targets": {
                "addresses_per_s": TARGET_PER_S,
                "accuracy": ACCURACY_FLOOR,
                "nonexistent_wrong_max": NONEXISTENT_WRONG_MAX,
            },
            "timing": f"best of {repeat} run(s) for match_many; one run for index_build",
        },
    }
    if json_output:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(format_table(result))
    return result


def format_table(result: dict[str, Any]) -> str:
    meta = result["meta"]
    lines = [
        f"address matching benchmark — seed {meta['seed']}, {meta['cpus']} CPUs, rapidfuzz {meta['rapidfuzz']}, "
        f"review below {meta['review_threshold']}",
        "",
        f"{'case':<12} {'size':>9} {'seconds':>9} {'addr/s':>9} {'peak MB':>8} {'accuracy':>9} {'review':>7} "
        f"{'wrong':>6}  note",
        "-" * 120,
    ]
    for r in result["rows"]:
        acc = f"{r['accuracy'] * 100:.2f}%" if r["accuracy"] is not None else "-"
        rev = f"{r['review_share'] * 100:.1f}%" if "review_share" in r else "-"
        wrong = f"{r['wrong_match_share'] * 100:.2f}%" if "wrong_match_share" in r else "-"
        lines.append(
            f"{r['case']:<12} {r['size']:>9,} {r['seconds']:>9.3f} {r['addresses_per_s'] or 0:>9,} "
            f"{r['peak_mb']:>8.1f} {acc:>9} {rev:>7} {wrong:>6}  {r['note']}"
        )
    sizes = sorted({k["size"] for k in result["by_kind"]})
    lines += ["", "accuracy per kind of dirt (a query with two kinds counts for both):"]
    lines.append(f"  {'kind':<20}" + "".join(f"{f'{s:,} q':>16}" for s in sizes))
    kinds = list(dict.fromkeys(k["kind"] for k in result["by_kind"]))
    for kind in kinds:
        cells = []
        for s in sizes:
            row = next((k for k in result["by_kind"] if k["kind"] == kind and k["size"] == s), None)
            cells.append(f"{row['accuracy'] * 100:7.2f}% ({row['queries']:>5})" if row else " " * 16)
        lines.append(f"  {kind:<20}" + "".join(f"{c:>16}" for c in cells))
    lines += ["", "checks:"]
    for c in result["checks"]:
        lines.append(
            f"  {c['size']:>9,} queries: accuracy {'ok' if c['accuracy_ok'] else 'BELOW FLOOR'}, "
            f"nonexistent {'ok' if c['nonexistent_ok'] else 'MATCHED TOO OFTEN'}, "
            f"speed {'ok' if c['speed_ok'] else 'below target'}"
        )
    return "\n".join(lines)


def _parse_sizes(text: str) -> tuple[tuple[int, int], ...]:
    out = []
    for item in text.split(","):
        if not item.strip():
            continue
        standard, _, queries = item.partition(":")
        n_standard = int(standard.replace("_", ""))
        out.append((n_standard, int(queries.replace("_", "")) if queries else max(1, n_standard // 3)))
    return tuple(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhufang bench address_matching", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--sizes",
        default=",".join(f"{s}:{q}" for s, q in DEFAULT_SIZES),
        help="comma-separated standard:queries pairs (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--nonexistent-share", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=1, help="runs of match_many; the best time is reported")
    args = parser.parse_args(argv)
    result = run(
        _parse_sizes(args.sizes),
        json_output=args.json,
        seed=args.seed,
        nonexistent_share=args.nonexistent_share,
        repeat=args.repeat,
    )
    return 0 if all(c["accuracy_ok"] and c["nonexistent_ok"] for c in result["checks"]) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
