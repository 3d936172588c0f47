"""Data for ``zhufang bench instructions``: houses placed in the county's grids, inserted set-based
(one prepared ``INSERT`` per table through ``sql_writes.insert_rows``, not the people import), and
the signed-for items the load run's officers feed back.

Runs inside a process whose Django settings point at the benchmark's own fresh database.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

BENCH_PREFIX = "IB"  # standard address codes of the benchmark's houses


def _insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (field attname → value) with every other concrete column at its default."""
    from zhufang.sql_writes import insert_rows

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    defaults = {f.attname: (f.get_default() if f.has_default() else (None if f.null else "")) for f in fields}
    values = [tuple(row.get(name, defaults[name]) for name in names) for row in rows]
    return insert_rows(model, names, values)


def insert_houses(count: int, *, seed: int = 2026) -> list[int]:
    """``count`` houses (with their standard addresses) spread over the active grids, each located
    at a point near its grid's centroid and owned by the grid. Returns the house ids in order."""
    from zhufang.org.models import OrgKind, OrgUnit
    from zhufang.registry.models import House, StandardAddress

    grids = list(
        OrgUnit.objects.active()
        .filter(kind=OrgKind.GRID)
        .order_by("code")
        .values_list("pk", "centroid_lon", "centroid_lat", "name")
    )
    rng = random.Random(seed)
    now = timezone.now()
    start = StandardAddress.objects.filter(code__startswith=BENCH_PREFIX).count()
    addresses, grid_of = [], []
    for n in range(start, start + count):
        grid_id, lon, lat, name = grids[rng.randrange(len(grids))]
        code = f"{BENCH_PREFIX}{n:09d}"
        addresses.append(
            {
                "code": code,
                "township": "城关街道",
                "community": str(name)[:40],
                "street": "兴隆路",
                "house_number": str(n),
                "canonical": f"|城关街道|{name}|兴隆路|{n}||||",
                "full_text": f"城关街道{name}兴隆路{n}号",
                "lon": (lon or 0) + rng.uniform(-1e-4, 1e-4),
                "lat": (lat or 0) + rng.uniform(-1e-4, 1e-4),
                "owner_unit_id": grid_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        grid_of.append(grid_id)
    _insert(StandardAddress, addresses)
    codes = [a["code"] for a in addresses]
    ids = dict(StandardAddress.objects.filter(code__in=codes).values_list("code", "pk")) if count < 30_000 else {}
    if not ids:  # large sets: fetch by the prefix range instead of a long IN list
        ids = dict(StandardAddress.objects.filter(code__gte=codes[0], code__lte=codes[-1]).values_list("code", "pk"))
    _insert(
        House,
        [
            {"address_id": ids[code], "owner_unit_id": grid, "labels": [], "created_at": now, "updated_at": now}
            for code, grid in zip(codes, grid_of, strict=True)
        ],
    )
    address_ids = [ids[code] for code in codes]
    by_address = dict(
        House.objects.filter(address_id__gte=min(address_ids), address_id__lte=max(address_ids)).values_list(
            "address_id", "pk"
        )
    )
    return [by_address[a] for a in address_ids]


@dataclass
class SignedItems:
    """The load run's work: signed-for items by officer."""

    by_officer: dict[int, list[int]]
    category: str

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.by_officer.values())

    def item_ids(self) -> list[int]:
        return sorted(i for items in self.by_officer.values() for i in items)


def signed_items(house_ids: Sequence[int], *, category: str = "population", title: str = "压测核查") -> SignedItems:
    """Issue one batch on ``house_ids`` and have each station's command room sign for its items:
    every district's items go half to its community officer (the district default) and half to its
    auxiliary officer, so the officers have many items each."""
    from zhufang.accounts.models import User
    from zhufang.instructions.issuing import create_batch, issue_batch
    from zhufang.instructions.models import InstructionItem, ItemStatus
    from zhufang.instructions.routing import TargetRef
    from zhufang.instructions.transitions import sign_for

    centre = User.objects.select_related("unit").get(police_number="100001")
    batch = create_batch(
        actor=centre, title=title, category=category, targets=[TargetRef("house", h) for h in house_ids]
    )
    issue_batch(actor=centre, batch=batch)
    rows = list(
        InstructionItem.objects.filter(memberships__batch=batch, status=ItemStatus.ISSUED)
        .order_by("pk")
        .values_list("pk", "station_id", "district_id")
    )
    by_district: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, station, district in rows:
        by_district[(station, district)].append(pk)
    stations = {station for station, _district in by_district}
    rooms = {
        u.unit_id: u
        for u in User.objects.filter(unit_id__in=list(stations), roles__code="command_room").select_related("unit")
    }
    auxiliaries = {
        u.unit_id: u
        for u in User.objects.filter(
            unit_id__in=[d for _s, d in by_district], roles__code="auxiliary_officer"
        ).select_related("unit")
    }
    for (station, district), ids in by_district.items():
        sign_for(actor=rooms[station], item_ids=ids[0::2])  # the district default: its community officer
        if ids[1::2]:
            sign_for(actor=rooms[station], item_ids=ids[1::2], assignee=auxiliaries.get(district))
    by_officer: dict[int, list[int]] = defaultdict(list)
    for pk, officer in (
        InstructionItem.objects.filter(memberships__batch=batch, status=ItemStatus.SIGNED)
        .order_by("pk")
        .values_list("pk", "assignee_id")
    ):
        if officer is not None:
            by_officer[officer].append(pk)
    return SignedItems(by_officer=dict(by_officer), category=category)
