"""Demo data of the 一标三实 registry: a deterministic generator of the county's standard addresses,
houses, people and establishments with planted data-quality problems and their ground truth
(``generator``), and bureau-style CSV files for the import pipeline (``csv_export``).

Pure Python + numpy + shapely: no Django models, no database.

    from zhufang.registry.demo import generate_registry, write_all
    registry = generate_registry("small", seed=2026)
    write_all(registry, "var/demo-registry", include_bad_rows=True)
"""

from __future__ import annotations

from .csv_export import (
    ADDRESS_COLUMNS,
    ESTABLISHMENT_COLUMNS,
    FORBIDDEN_COLUMNS,
    HOUSE_COLUMNS,
    PEOPLE_COLUMNS,
    PEOPLE_COLUMNS_WITH_FORBIDDEN,
    write_addresses_csv,
    write_all,
    write_establishments_csv,
    write_houses_csv,
    write_people_csv,
)
from .generator import SIZES, BadRow, DirtyPlan, DuplicatePair, Registry, Truth, generate_registry
from .tables import (
    Address,
    AddressTable,
    Establishment,
    EstablishmentTable,
    House,
    HouseTable,
    PeopleTable,
    Person,
    key_index,
)

__all__ = [
    "ADDRESS_COLUMNS",
    "ESTABLISHMENT_COLUMNS",
    "FORBIDDEN_COLUMNS",
    "HOUSE_COLUMNS",
    "PEOPLE_COLUMNS",
    "PEOPLE_COLUMNS_WITH_FORBIDDEN",
    "SIZES",
    "Address",
    "AddressTable",
    "BadRow",
    "DirtyPlan",
    "DuplicatePair",
    "Establishment",
    "EstablishmentTable",
    "House",
    "HouseTable",
    "PeopleTable",
    "Person",
    "Registry",
    "Truth",
    "generate_registry",
    "key_index",
    "write_addresses_csv",
    "write_all",
    "write_establishments_csv",
    "write_houses_csv",
    "write_people_csv",
]
