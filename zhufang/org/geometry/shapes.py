"""Shared plain types of the jurisdiction geometry package (no Django, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeAlias

from shapely.geometry import MultiPolygon, Polygon

Geom: TypeAlias = Polygon | MultiPolygon

KINDS = ("bureau", "station", "district", "grid", "township")

# kind → kind of its parent (None: top level).  Townships are civil units directly under the bureau;
# their boundaries do not follow the police ones.
PARENT_KIND: dict[str, str | None] = {
    "bureau": None,
    "station": "bureau",
    "district": "station",
    "grid": "district",
    "township": "bureau",
}

KIND_ZH = {"bureau": "公安局", "station": "派出所", "district": "警务区", "grid": "网格", "township": "镇街"}


@dataclass(frozen=True)
class UnitShape:
    """One jurisdiction unit; ``polygon`` is a WGS-84 lon/lat shapely Polygon or MultiPolygon."""

    code: str
    name: str
    kind: str
    parent_code: str | None
    polygon: Geom


class UnitLike(Protocol):
    """Anything with the attributes of :class:`UnitShape` (e.g. a Django model instance adapter)."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def parent_code(self) -> str | None: ...

    @property
    def polygon(self) -> Geom: ...
