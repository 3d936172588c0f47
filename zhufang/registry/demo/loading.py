"""Loading the demo registry into the database the way a bureau would: write the bureau-style CSV
files, then run them through the real import pipeline (dry run not needed: the data is known good,
the bad rows are left out). Order: standard addresses, then houses (so each house carries its real use
before the people import would create it as "unknown"), people, establishments."""

from __future__ import annotations

import functools
import time
from pathlib import Path

from django.conf import settings
from django.db import models

from zhufang.accounts.models import User
from zhufang.registry.demo.csv_export import (
    write_addresses_csv,
    write_establishments_csv,
    write_houses_csv,
    write_people_csv,
)
from zhufang.registry.demo.generator import generate_registry
from zhufang.registry.imports.runner import import_addresses, import_establishments, import_houses, import_people
from zhufang.registry.models import Establishment, House, ImportRun, Person, StandardAddress

#: registry size for each demo size (the city demo reuses the county registry)
REGISTRY_SIZE = {"small": "small", "demo": "demo", "county": "county", "city": "county"}
IMPORTER = "100001"  # the demo centre operator
#: (kind, file name, writer, importer, model) in loading order
STEPS = (
    ("addresses", "标准地址.csv", write_addresses_csv, import_addresses, StandardAddress),
    ("houses", "实有房屋.csv", write_houses_csv, import_houses, House),
    ("people", "实有人口.csv", functools.partial(write_people_csv, dirty_share=0.05), import_people, Person),
    ("establishments", "实有单位.csv", write_establishments_csv, import_establishments, Establishment),
)


def _loaded(kind: str, model: type[models.Model]) -> bool:
    """Loaded before: a finished real import of that kind (or, for databases built before houses
    and establishments were imported, people or addresses already there)."""
    done = ImportRun.objects.filter(kind=kind, dry_run=False, status=ImportRun.Status.DONE).exists()
    return done or (kind in {"addresses", "people"} and model._default_manager.exists())


def load_demo_registry(size: str, *, seed: int = 2026) -> str:
    """Import the demo addresses, houses, people and establishments — each kind unless it was loaded
    before (a demo database from an earlier version gains the kinds it lacks); returns a summary."""
    missing = [step for step in STEPS if not _loaded(step[0], step[4])]
    if not missing:
        return f"demo registry already present: {Person.objects.count()} people, reused"
    started = time.perf_counter()
    registry = generate_registry(REGISTRY_SIZE[size], seed=seed)
    directory = Path(settings.VAR_DIR) / "demo"
    directory.mkdir(parents=True, exist_ok=True)
    actor = User.objects.get(police_number=IMPORTER)
    summaries = []
    for _kind, file_name, write, run_import, _model in missing:
        path = directory / file_name
        write(registry, path)
        summaries.append(run_import(path, actor=actor, dry_run=False).summary())
    seconds = time.perf_counter() - started
    return "\n".join(summaries) + f"\n(demo registry loaded in {seconds:.0f} s; files in {directory})"
