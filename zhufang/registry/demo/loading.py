"""Loading the demo registry into the database the way a bureau would: write the bureau-style CSV
files, then run them through the real import pipeline (dry run not needed: the data is known good,
the bad rows are left out)."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

from zhufang.accounts.models import User
from zhufang.registry.demo.csv_export import write_addresses_csv, write_people_csv
from zhufang.registry.demo.generator import generate_registry
from zhufang.registry.imports.runner import import_addresses, import_people
from zhufang.registry.models import Person

#: registry size for each demo size (the city demo reuses the county registry)
REGISTRY_SIZE = {"small": "small", "demo": "demo", "county": "county", "city": "county"}
IMPORTER = "100001"  # the demo centre operator


def load_demo_registry(size: str, *, seed: int = 2026) -> str:
    """Import the demo addresses and people unless people are already there; returns a summary."""
    if Person.objects.exists():
        return f"demo registry already present: {Person.objects.count()} people, reused"
    started = time.perf_counter()
    registry = generate_registry(REGISTRY_SIZE[size], seed=seed)
    directory = Path(settings.VAR_DIR) / "demo"
    directory.mkdir(parents=True, exist_ok=True)
    addresses_csv, people_csv = directory / "标准地址.csv", directory / "实有人口.csv"
    write_addresses_csv(registry, addresses_csv)
    write_people_csv(registry, people_csv, dirty_share=0.05)
    actor = User.objects.get(police_number=IMPORTER)
    addresses = import_addresses(addresses_csv, actor=actor, dry_run=False)
    people = import_people(people_csv, actor=actor, dry_run=False)
    seconds = time.perf_counter() - started
    return f"{addresses.summary()}\n{people.summary()}\n(demo registry loaded in {seconds:.0f} s; files in {directory})"
