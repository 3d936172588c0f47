"""Implementations of the ``zhufang`` sub-commands (Django is set up before these run)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import time


def run(args: argparse.Namespace) -> int:
    handler = {
        "demo": demo,
        "demo-data": demo_data,
        "locate": locate,
        "worker": worker,
        "serve": serve,
        "rotate-keys": rotate_keys,
        "audit-verify": audit_verify,
    }[args.command]
    return handler(args)


def demo_data(args: argparse.Namespace) -> int:
    from zhufang.org.demo import build_demo

    result = build_demo(size=args.size, seed=args.seed)
    print(result.summary())
    if not args.no_registry:
        _load_demo_work(args.size, seed=args.seed)
    return 0


def _load_demo_work(size: str, *, seed: int = 2026) -> None:
    """The demo registry, then what the bureau did with it: inspections, a first duplicate check and a
    year of instructions (each step reuses what a previous run left)."""
    from zhufang.inspections.demo import plant_demo_inspections
    from zhufang.instructions.demo import load_demo_instructions
    from zhufang.registry.dedup.detection import find_duplicates
    from zhufang.registry.demo.loading import load_demo_registry

    print(load_demo_registry(size, seed=seed))
    print(plant_demo_inspections(seed=seed))
    found = find_duplicates(None)  # what the nightly job does, so the review queue is not empty
    print(f"duplicate candidates: {sum(found.found.values()):,} found, {sum(found.created.values()):,} new")
    print(load_demo_instructions(size, seed=seed).summary())  # a year of batches, once


def demo(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from zhufang.org.demo import build_demo

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    result = build_demo(size=args.size, seed=2026)
    print(result.summary())
    _load_demo_work(args.size)
    host = args.bind
    print(f"\n  主防 zhufang demo: http://{host}/\n")
    print(result.logins_table())
    if args.no_serve:
        return 0
    return _serve_with_worker(host)


def _serve_with_worker(bind: str) -> int:
    web = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "zhufang.wsgi",
            "--bind",
            bind,
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ]
    )
    jobs = subprocess.Popen([sys.executable, "-m", "zhufang.cli", "worker"])  # noqa: S603 - as above
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and web.poll() is None and jobs.poll() is None:
            time.sleep(0.5)
    finally:
        for proc in (web, jobs):
            if proc.poll() is None:
                proc.terminate()
        for proc in (web, jobs):
            proc.wait(timeout=15)
    return 0


def locate(args: argparse.Namespace) -> int:
    import numpy as np

    from zhufang.org.geometry.coords import gcj02_to_wgs84_arrays
    from zhufang.org.locating import locate_point

    lon, lat = args.lon, args.lat
    if args.crs == "gcj02":
        lons, lats = gcj02_to_wgs84_arrays(np.array([lon]), np.array([lat]))
        lon, lat = float(lons[0]), float(lats[0])
    located = locate_point(lon, lat)
    if located.grid is None:
        print(f"({lon:.6f}, {lat:.6f}): 不在任何网格内 / outside every grid")
        return 1
    for label, unit in (
        ("网格 grid", located.grid),
        ("警务区 district", located.district),
        ("派出所 station", located.station),
    ):
        print(f"{label}: {unit}")
    return 0


def worker(args: argparse.Namespace) -> int:
    from zhufang.jobs.runner import run_worker

    print("zhufang worker: running scheduled and queued jobs (Ctrl-C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        run_worker(max_runs=args.max_runs, stop_after=args.stop_after)
    return 0


def serve(args: argparse.Namespace) -> int:
    return subprocess.call(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "zhufang.wsgi",
            "--bind",
            args.bind,
            "--workers",
            str(args.workers),
            "--threads",
            "4",
        ]
    )


def rotate_keys(args: argparse.Namespace) -> int:
    from zhufang.privacy.rotation import rotate_data_key

    counts = rotate_data_key()
    for model, count in counts.items():
        print(f"{model}: {count} re-encrypted")
    return 0


def audit_verify(args: argparse.Namespace) -> int:
    from zhufang.audit.sealing import seal_pending, verify_chain

    seal_pending()
    report = verify_chain()
    print(f"checked {report.checked} sealed entries, {report.unsealed_tail} not yet sealed")
    for problem in report.problems:
        print(f"  ! {problem}")
    print("OK: the audit trail is intact" if report.ok else f"BROKEN at entry #{report.first_bad_id}")
    return 0 if report.ok else 1
