"""The station head's view (所长看板): due, overdue and done inspections per police district and per
responsible community officer, for one station (or any unit) — a fixed handful of queries whatever
the number of houses: one grouped query per target kind, one for the districts, one for the officers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from zhufang.accounts.models import User
from zhufang.inspections.cadence import Counts, counts_by_district
from zhufang.inspections.responsibility import community_officers
from zhufang.org.models import OrgKind, OrgUnit


@dataclass
class DistrictRow:
    district: OrgUnit | None  # None: objects not located to any grid
    officers: list[User]
    counts: Counts


@dataclass
class OfficerRow:
    """One responsible officer and the objects of their district (shared when a district has several)."""

    officer: User
    district: OrgUnit
    counts: Counts


@dataclass
class UnitSummary:
    unit: OrgUnit | None
    as_of: dt.date
    total: Counts
    districts: list[DistrictRow] = field(default_factory=list)

    @property
    def officers(self) -> list[OfficerRow]:
        return [
            OfficerRow(officer, row.district, row.counts)
            for row in self.districts
            if row.district is not None
            for officer in row.officers
        ]


def station_of(unit: OrgUnit) -> OrgUnit | None:
    """The station a unit belongs to (itself for a station), read off the path (one query)."""
    if unit.kind == OrgKind.STATION:
        return unit
    return OrgUnit.objects.filter(pk__in=unit.ancestor_ids(), kind=OrgKind.STATION).first()


def unit_summary(principal: Any, unit: OrgUnit | None, *, as_of: dt.date) -> UnitSummary:
    """Counts per district under ``unit`` (the whole scope when ``None``), with each district's officers."""
    per_district = counts_by_district(principal, within=unit, as_of=as_of)
    district_units = OrgUnit.objects.visible_to(principal).filter(kind=OrgKind.DISTRICT, valid_to__isnull=True)
    if unit is not None:
        district_units = district_units.filter(path__startswith=unit.path)
    units = {d.pk: d for d in district_units.order_by("code")}
    officers = community_officers(principal, units)
    rows = [DistrictRow(d, officers.get(pk, []), per_district.get(pk, Counts())) for pk, d in units.items()]
    if per_district.get(None):
        rows.append(DistrictRow(None, [], per_district[None]))
    total = Counts()
    for counts in per_district.values():  # every object lies in exactly one district (or none)
        total.merge(counts)
    return UnitSummary(unit=unit, as_of=as_of, total=total, districts=rows)
