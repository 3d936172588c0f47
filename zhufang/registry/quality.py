"""Registry data quality (数据质量) per unit: the figures a station or the control centre watches.

One row per unit one level below ``level`` (the bureau → its stations, a station → its police
districts 警务区, a district → its grids), plus the records under ``level`` that belong to none of them
("outside") and the total:

* addresses geocoded — with a point and a grid;
* houses with a known use; rentals with at least one registered (active) resident;
* people with a valid document — a recorded document number (居民身份证 numbers are GB 11643-checked on
  every write path); people without one count as without;
* stale people (``zhufang.registry.stale``), suspected group rentals (``zhufang.registry.group_rental``);
* duplicate candidates and addresses waiting for review.

Everything is read through ``visible_to`` and counted with one GROUP BY owner unit per model (a handful
of queries whatever the number of districts); the owner units are then folded into rows by their
materialised path in Python — at most a few thousand small tuples, even at a million people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from zhufang.org.models import OrgKind, OrgUnit
from zhufang.registry.group_rental import group_rental_ids
from zhufang.registry.models import (
    AddressReview,
    DuplicateCandidate,
    House,
    HouseUse,
    Person,
    StandardAddress,
)
from zhufang.registry.stale import LAST_UPDATE, last_update_expression, stale_condition

#: the unit kind each row stands for, by the kind of the level the table is drawn for
CHILD_KIND = {OrgKind.BUREAU: OrgKind.STATION, OrgKind.STATION: OrgKind.DISTRICT, OrgKind.DISTRICT: OrgKind.GRID}
OwnerCounts = dict[int | None, int]
M = TypeVar("M", bound=Model)


@dataclass
class QualityFigures:
    """The counts behind one row of the data-quality table."""

    addresses: int = 0
    addresses_geocoded: int = 0
    houses: int = 0
    houses_known_use: int = 0
    rentals: int = 0
    rentals_with_tenants: int = 0
    people: int = 0
    people_with_valid_id: int = 0
    stale_people: int = 0
    group_rentals: int = 0
    duplicates_pending: int = 0
    reviews_pending: int = 0

    def add(self, other: QualityFigures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def geocoded_pct(self) -> float | None:
        return self._share(self.addresses_geocoded, self.addresses)

    @property
    def known_use_pct(self) -> float | None:
        return self._share(self.houses_known_use, self.houses)

    @property
    def rentals_with_tenants_pct(self) -> float | None:
        return self._share(self.rentals_with_tenants, self.rentals)

    @property
    def valid_id_pct(self) -> float | None:
        return self._share(self.people_with_valid_id, self.people)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("geocoded_pct", "known_use_pct", "rentals_with_tenants_pct", "valid_id_pct"):
            data[name] = getattr(self, name)
        return data


@dataclass
class QualityRow:
    unit: OrgUnit
    figures: QualityFigures
    can_drill: bool


@dataclass
class QualityTable:
    """数据质量表 of ``level``: one row per child unit in scope, what lies outside them, the total."""

    level: OrgUnit
    child_kind: str
    today: dt.date
    rows: list[QualityRow] = field(default_factory=list)
    outside: QualityFigures = field(default_factory=QualityFigures)
    total: QualityFigures = field(default_factory=QualityFigures)


def default_level(principal: Any) -> OrgUnit | None:
    """Where a principal's table starts: the bureau when they see several stations (the centre), else
    the one station their scope lies in (rows per police district), else their own unit."""
    visible = OrgUnit.objects.visible_to(principal).active().defer("polygon")
    stations = list(visible.filter(kind=OrgKind.STATION).order_by("code")[:2])
    if len(stations) == 1:
        return stations[0]
    return (
        visible.filter(kind=OrgKind.BUREAU).order_by("code").first()
        or visible.filter(pk=principal.principal_unit.pk).first()
    )


def scoped_to_unit(model: type[M], principal: Any, level: OrgUnit) -> QuerySet[M]:
    """The rows of ``model`` that ``principal`` may see and that ``level``'s subtree owns."""
    rows = model.objects.visible_to(principal)  # type: ignore[attr-defined]
    # a semi-join on the subtree's unit ids (hashed once), not a join of every row to its unit
    condition = Q(owner_unit__in=OrgUnit.objects.filter(path__startswith=level.path).values("pk"))
    if level.depth == 0:
        condition |= Q(owner_unit__isnull=True)  # records the locate service put in no unit (centre only)
    return rows.filter(condition)  # type: ignore[no-any-return]


def _by_owner(rows: QuerySet[Any], **aggregates: Any) -> dict[str, OwnerCounts]:
    result: dict[str, OwnerCounts] = {name: {} for name in aggregates}
    for row in rows.order_by().values("owner_unit").annotate(**aggregates):
        for name in aggregates:
            result[name][row["owner_unit"]] = int(row[name] or 0)
    return result


def owner_counts(principal: Any, level: OrgUnit, today: dt.date) -> dict[str, OwnerCounts]:
    """Every figure of ``QualityFigures`` counted per owner unit (one GROUP BY per model)."""
    counts: dict[str, OwnerCounts] = {}
    counts |= _by_owner(
        scoped_to_unit(StandardAddress, principal, level),
        addresses=Count("pk"),
        addresses_geocoded=Count("pk", filter=Q(lon__isnull=False, lat__isnull=False, owner_unit__isnull=False)),
    )
    houses = scoped_to_unit(House, principal, level)
    # the houses someone active lives in: one hashed set, not a probe per house
    tenanted = Person.objects.filter(is_active=True, house__isnull=False).values("house")
    counts |= _by_owner(
        houses,
        houses=Count("pk"),
        houses_known_use=Count("pk", filter=~Q(use=HouseUse.UNKNOWN)),
        rentals=Count("pk", filter=Q(use=HouseUse.RENTAL)),
        rentals_with_tenants=Count("pk", filter=Q(use=HouseUse.RENTAL, pk__in=tenanted)),
    )
    counts |= _by_owner(houses.filter(pk__in=group_rental_ids(houses)), group_rentals=Count("pk"))
    people = (
        scoped_to_unit(Person, principal, level)
        .filter(is_active=True)
        .annotate(**{LAST_UPDATE: last_update_expression()})
    )
    counts |= _by_owner(
        people,
        people=Count("pk"),
        people_with_valid_id=Count("pk", filter=Q(id_index__isnull=False) & ~Q(id_index="")),
        stale_people=Count("pk", filter=stale_condition(today)),
    )
    counts |= _by_owner(pending_duplicates(principal, level), duplicates_pending=Count("pk"))
    reviews = scoped_to_unit(AddressReview, principal, level).filter(status=AddressReview.Status.PENDING)
    counts |= _by_owner(reviews, reviews_pending=Count("pk"))
    return counts


def pending_duplicates(principal: Any, level: OrgUnit) -> QuerySet[DuplicateCandidate]:
    """Duplicate candidates (people and establishments) still waiting for a reviewer, in scope."""
    return scoped_to_unit(DuplicateCandidate, principal, level).filter(status=DuplicateCandidate.Status.PENDING)


def _row_of(level: OrgUnit, paths: dict[int, str]) -> dict[int | None, int | None]:
    """Owner unit → the child of ``level`` it lies in (None: in ``level`` but in no child)."""
    position = level.depth + 1
    result: dict[int | None, int | None] = {None: None}
    for pk, path in paths.items():
        parts = path.strip("/").split("/")
        result[pk] = int(parts[position]) if len(parts) > position else None
    return result


def quality_table(principal: Any, level: OrgUnit, today: dt.date | None = None) -> QualityTable:
    """The data-quality table of ``level`` as ``principal`` may see it (see the module docstring)."""
    today = today or timezone.localdate()
    child_kind = CHILD_KIND.get(OrgKind(level.kind), OrgKind.GRID)
    table = QualityTable(level=level, child_kind=child_kind, today=today)
    children = list(
        OrgUnit.objects.visible_to(principal)
        .active()
        .filter(parent=level, kind=child_kind)
        .defer("polygon")
        .order_by("code")
    )
    counts = owner_counts(principal, level, today)
    owners = {pk for per_owner in counts.values() for pk in per_owner if pk is not None}
    paths = dict(OrgUnit.objects.filter(pk__in=sorted(owners)).values_list("pk", "path"))
    row_of = _row_of(level, paths)
    figures: dict[int | None, QualityFigures] = {c.pk: QualityFigures() for c in children}
    for name, per_owner in counts.items():
        for owner, n in per_owner.items():
            target = figures.get(row_of.get(owner))
            bucket = target if target is not None else table.outside
            setattr(bucket, name, getattr(bucket, name) + n)
    drillable = child_kind in CHILD_KIND
    table.rows = [QualityRow(unit=c, figures=figures[c.pk], can_drill=drillable) for c in children]
    for part in _parts(table):
        table.total.add(part)
    return table


def _parts(table: QualityTable) -> Iterable[QualityFigures]:
    yield from (row.figures for row in table.rows)
    yield table.outside


def table_as_dict(table: QualityTable) -> dict[str, Any]:
    """The table for the API: the same figures as the page."""
    return {
        "level": {"id": table.level.pk, "code": table.level.code, "name": table.level.name, "kind": table.level.kind},
        "row_kind": table.child_kind,
        "as_of": table.today.isoformat(),
        "rows": [
            {
                "unit": {"id": r.unit.pk, "code": r.unit.code, "name": r.unit.name, "kind": r.unit.kind},
                **r.figures.as_dict(),
            }
            for r in table.rows
        ],
        "outside": table.outside.as_dict(),
        "total": table.total.as_dict(),
    }
