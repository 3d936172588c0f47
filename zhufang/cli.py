"""The ``zhufang`` console script: demo, demo-data, locate, bench, worker, serve, rotate-keys …
Any other sub-command is passed to Django's manage.py (``zhufang migrate``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhufang.settings")
    import django

    django.setup()


BENCHMARKS = {
    "locate": "benchmarks.locate",
    "registry": "benchmarks.registry_import",
    "address-matching": "benchmarks.address_matching",
    "workdays": "benchmarks.workdays",
    "instructions": "benchmarks.instructions",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="zhufang", description="主防 zhufang command line")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="migrate, build the demo county, print logins, serve web + worker")
    demo.add_argument("--size", default=os.environ.get("DEMO_SIZE", "demo"))
    demo.add_argument("--bind", default="127.0.0.1:8000")
    demo.add_argument("--no-serve", action="store_true", help="build and print logins only")
    data = sub.add_parser("demo-data", help="build the demo county (idempotent)")
    data.add_argument("--size", default="small", choices=["small", "demo", "county", "city"])
    data.add_argument("--seed", type=int, default=2026)
    data.add_argument("--no-registry", action="store_true", help="organisation tree and users only")
    loc = sub.add_parser("locate", help="which grid / district / station a point falls in")
    loc.add_argument("lon", type=float)
    loc.add_argument("lat", type=float)
    loc.add_argument("--crs", choices=["wgs84", "gcj02"], default="wgs84")
    bench = sub.add_parser("bench", help="run a benchmark: " + ", ".join(BENCHMARKS))
    bench.add_argument("name", choices=sorted(BENCHMARKS))
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    worker = sub.add_parser("worker", help="run the background-job worker")
    worker.add_argument("--max-runs", type=int, default=None)
    worker.add_argument("--stop-after", type=float, default=None)
    serve = sub.add_parser("serve", help="serve the web app with gunicorn")
    serve.add_argument("--bind", default="127.0.0.1:8000")
    serve.add_argument("--workers", type=int, default=2)
    sub.add_parser("rotate-keys", help="add a new data key and re-encrypt every protected identifier")
    sub.add_parser("audit-verify", help="verify the audit trail's seal chain")

    if not argv or argv[0] not in sub.choices:
        if argv and not argv[0].startswith("-"):
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhufang.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(["zhufang", *argv])
            return 0
        parser.print_help()
        return 0 if not argv else 2
    args = parser.parse_args(argv)

    if args.command == "bench":
        import importlib

        module = importlib.import_module(BENCHMARKS[args.name])
        return int(module.main([*(["--json"] if args.json else []), *args.rest]) or 0)

    _setup_django()
    from zhufang import commands

    return commands.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
