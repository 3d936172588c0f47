"""Pure-Python geometry for the jurisdiction tree (no Django, no database).

Modules:

* :mod:`.coords` — GCJ-02 ⇄ WGS-84 conversion and areas in m²/km² (equal-area projection).
* :mod:`.shapes` — ``UnitShape`` and the kind tree (bureau → station → district → grid; township).
* :mod:`.demo_polygons` — deterministic nested demo jurisdictions (``generate_jurisdiction``).
* :mod:`.locate` — vectorised point-in-cell lookup (``Locator``, ``brute_force_locate``).
* :mod:`.validation` — validation of imported polygons and GeoJSON parsing (Chinese messages).
"""

from .coords import (
    area_km2,
    area_m2,
    convert_geometry,
    gcj02_to_wgs84,
    gcj02_to_wgs84_arrays,
    wgs84_to_gcj02,
    wgs84_to_gcj02_arrays,
)
from .demo_polygons import Jurisdiction, generate_jurisdiction, significant_prefix
from .locate import Locator, brute_force_locate
from .shapes import KIND_ZH, KINDS, PARENT_KIND, UnitLike, UnitShape
from .validation import Issue, parse_geojson_units, validate_units

__all__ = [
    "KINDS",
    "KIND_ZH",
    "PARENT_KIND",
    "Issue",
    "Jurisdiction",
    "Locator",
    "UnitLike",
    "UnitShape",
    "area_km2",
    "area_m2",
    "brute_force_locate",
    "convert_geometry",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_arrays",
    "generate_jurisdiction",
    "parse_geojson_units",
    "significant_prefix",
    "validate_units",
    "wgs84_to_gcj02",
    "wgs84_to_gcj02_arrays",
]
