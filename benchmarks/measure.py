"""Timing and peak-memory measurement shared by the benchmarks.

Peak memory is the growth of the process's resident set during a case (the kernel's high-water mark
is reset before each case through /proc/self/clear_refs); tracemalloc would miss GEOS and numpy
allocations made outside Python's allocator.
"""

from __future__ import annotations

import math
import resource
import sys
import time
from collections.abc import Callable
from typing import Any


def status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def maxrss_kb() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(usage / 1024) if sys.platform == "darwin" else int(usage)


def measure_once(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    can_reset = reset_peak()
    rss_before = status_kb("VmRSS")
    maxrss_before = maxrss_kb()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    hwm = status_kb("VmHWM") if can_reset else None
    if hwm is not None and rss_before is not None:
        peak_kb = max(0, hwm - rss_before)
    else:
        peak_kb = max(0, maxrss_kb() - maxrss_before)
    return result, seconds, peak_kb / 1024.0


def measure(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float, float]:
    """Run ``fn`` ``repeat`` times; returns (last result, best seconds, largest peak MB of RSS growth)."""
    best, peak, result = math.inf, 0.0, None
    for _ in range(max(1, repeat)):
        result = None  # free the previous result before the next run
        result, seconds, mb = measure_once(fn)
        best, peak = min(best, seconds), max(peak, mb)
    return result, best, peak
