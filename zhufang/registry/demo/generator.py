"""Deterministic demo registry (一标三实): standard addresses, houses, people and establishments of the
demo county, with planted data-quality problems and their ground truth.

Pure Python + numpy + shapely; no Django, no database.  ``generate_registry(size, seed)``:

======== ============ ======== ========= =============== =========================================
size     jurisdiction people   houses    establishments  use
======== ============ ======== ========= =============== =========================================
small    small (40)   ≈ 2,000  ≈ 600     ≈ 40            tests (well under 2 s)
demo     county       ≈ 100k   ≈ 30,000  ≈ 2,000         ``make demo``
county   county       ≈ 1 M    ≈ 300,000 ≈ 20,000        the seed scale (benchmarks)
======== ============ ======== ========= =============== =========================================

How the county is laid out
--------------------------
Grids are classified by their distance from the county town and their size: **城区** (town grids),
**城中村** (a quarter of the town grids in the outer ring of the town), **镇驻地** (the small grids of the
township seats) and **农村**.  Every grid gets a house quota (≈ equal per grid, as 基础网格 are drawn to
hold a similar number of households) and builds, inside the grid ∩ township pieces of its polygon:

* 城区 / 镇驻地: 小区 (阳光花园, 锦绣家园 …) of 楼栋 / 单元 / 楼层 / 户室, door numbers along 路 / 街 (a
  road continues through the neighbouring grids of its 警务区 with ascending numbers), and 巷 / 胡同;
  they belong to 社区 (one per 警务区 ∩ township), 社区 codes 001-199;
* 城中村: a village (…村, code 200+) of self-built houses: a 门楼牌 on a 巷 with rooms 101, 102, 201 … let
  room by room — rentals are dense here;
* 农村: villages (王家庄村, 后峪村 …; code 200+) whose houses are numbered ``…村128号`` (no street).

Each point lies inside its grid polygon (rejection sampling with ``shapely.contains_xy``); the township is
the township polygon containing it; ``admin_code`` = 370724 + township (3) + 社区/村 (3).

Houses: one per leaf address (户室, or 门楼牌 without rooms).  Uses 自住 / 出租 / 空置 / 单位用房 / 经营; each
establishment occupies one 经营 / 单位用房 house (shop fronts along roads, a few in villages).  People
live in 自住 / 出租 houses (a few in shops); tenants of rentals are mostly 流动人口.

Planted problems (all recorded in ``Registry.truth``)
-----------------------------------------------------
* **jurisdiction conflicts** (seed 004): whole places (a village, a road segment, a 小区) near a station
  border recorded under the neighbouring station — ≈ 2 % of addresses.  The first planted villages are
  renamed 东庄村 (true 城里, recorded 南关 when the map allows it) and 西坦村.
* **duplicate people** ≈ 1 % of rows: half ``same_id`` (the same person entered twice, same ID number,
  same or another house), half ``name_birth_address`` (same name and birth date at the neighbouring house of
  the same road / 小区 / village — or the same house — with the ID number missing or mistyped: a different
  but *valid* number, so only dedup can catch it).
* **people without a document**: 未落户人员 and the ``name_birth_address`` duplicates with a missing number
  have empty 证件类型 and 证件号码; every non-empty 居民身份证 number passes GB 11643 (sex and birth date
  agree), 境外人员 carry 护照 numbers.
* **duplicate establishments** ≈ 2 %: a similar name (临朐县鑫源宾馆 / 临朐鑫源宾馆 …) at the same address,
  with the same USCC (``same_uscc``) or none (``missing_uscc``).
* **stale people** ≈ 3 %: ``updated_on`` more than 365 days before ``as_of`` or a residence permit that
  expired more than 365 days before ``as_of``.  Every other row was updated within 330 days and has
  no permit expired for more than 180 days, so the rule separates them exactly.
* **dirty address texts**: for the rows with ``dirty.u < MAX_DIRTY_SHARE`` a variant of the residence
  address from ``zhufang.registry.addressing.dirty.dirty_variant`` (or an injected callable); the CSV
  writer uses it for rows with ``u < dirty_share``.  ``truth.dirty_addresses`` maps each text to its
  address id (texts that would be ambiguous are not planted).
* **bad rows** (a separate small set, written only with ``include_bad_rows=True``): wrong check digit,
  birth date in the future, missing required fields, … — see ``BAD_PEOPLE_KINDS`` etc.

Determinism: every stage draws from its own ``numpy.random.Generator`` spawned from ``seed``; the same
``(size, seed, as_of)`` gives identical output.  ``as_of`` defaults to today (so the demo's "stale"
records stay stale); tests pass a fixed date.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import math
import random
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import shapely

from zhufang.org.geometry.demo_polygons import TOWN_CENTRE, Jurisdiction, generate_jurisdiction
from zhufang.registry.addressing.structure import AddressParts

from . import names as N
from .codes import USCC_BODY_ALPHABET, id_first17, id_numbers, uscc
from .tables import (
    BUILDING,
    DOOR,
    NAT,
    ROOM,
    AddressTable,
    DateArray,
    EstablishmentTable,
    FloatArray,
    HouseTable,
    IntArray,
    PeopleTable,
    key_index,
    make_key,
)

BoolArray = npt.NDArray[np.bool_]
DirtyVariant = Callable[[AddressParts, random.Random], tuple[str, str]]

# --------------------------------------------------------------------------------------------------
# Sizes and shares
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeSpec:
    jurisdiction: str
    people: int
    houses: int
    establishments: int
    town_radius_m: float  # grids closer to the county town are 城区
    seat_area_km2: float  # other grids smaller than this are 镇驻地
    estate_size: tuple[int, int]  # houses per 小区 (before the grid quota cuts it)
    village_size: tuple[int, int]


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec("small", 2_000, 600, 40, 1_800.0, 0.0, (60, 200), (20, 80)),
    "demo": SizeSpec("county", 100_000, 30_000, 2_000, 5_000.0, 0.5, (80, 400), (40, 200)),
    "county": SizeSpec("county", 1_000_000, 300_000, 20_000, 5_000.0, 0.5, (150, 700), (80, 350)),
}

COUNTY_CODE = str(N.HOME_COUNTY_CODE)
COUNTY_NAME = N.HOME_COUNTY_NAME

CONFLICT_SHARE = 0.02  # addresses recorded under a neighbouring station
DUPLICATE_PEOPLE_SHARE = 0.01  # of people rows (half same_id, half name_birth_address)
DUPLICATE_ESTABLISHMENT_SHARE = 0.02
STALE_SHARE = 0.03
MAX_DIRTY_SHARE = 0.3  # dirty texts are planted for this share of people rows
KEY_TRADE_SHARE = 0.15
STALE_AFTER_DAYS = 365
BAD_ROWS_PER_KIND = 2

# area types
TOWN, URBAN_VILLAGE, SEAT, RURAL = "城区", "城中村", "镇驻地", "农村"
AREA_TYPES = (TOWN, URBAN_VILLAGE, SEAT, RURAL)

# people
CATEGORIES = ("户籍人口", "流动人口", "境外人员", "寄住人口", "未落户人员")
HUJI, LIUDONG, JINGWAI, JIZHU, WEILUOHU = range(5)
ID_CARD, PASSPORT = "居民身份证", "护照"

# houses
USES = ("自住", "出租", "空置", "单位用房", "经营")
SELF, RENTAL, VACANT, UNIT_USE, BUSINESS = range(5)
KEY_TRADES = tuple(t[0] for t in N.KEY_TRADES)

# leaf address classes (internal)
APARTMENT, UV_ROOM, STREET_DOOR, LANE_DOOR, VILLAGE_DOOR = range(5)
_CLASS_SHARES = {
    TOWN: (0.62, 0.0, 0.28, 0.10, 0.0),
    URBAN_VILLAGE: (0.0, 0.80, 0.20, 0.0, 0.0),
    SEAT: (0.30, 0.0, 0.45, 0.10, 0.15),
    RURAL: (0.0, 0.0, 0.0, 0.0, 1.0),
}
_GRID_WEIGHT = {TOWN: 1.3, URBAN_VILLAGE: 1.5, SEAT: 1.0, RURAL: 0.8}
_USE_SHARES = {  # 自住, 出租, 空置 of the non-business houses of each class
    APARTMENT: (0.72, 0.15, 0.13),
    UV_ROOM: (0.13, 0.82, 0.05),
    STREET_DOOR: (0.55, 0.25, 0.20),
    LANE_DOOR: (0.65, 0.25, 0.10),
    VILLAGE_DOOR: (0.83, 0.04, 0.13),
}
_BUSINESS_WEIGHT = (0.0, 0.0, 1.0, 0.15, 0.04)  # per class: where establishments sit

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(TOWN_CENTRE[1]))
_CN_ORDINALS = "一二三四五六七八九十"
_NUM = tuple(str(i) for i in range(4000))  # shared digit strings for address levels


# --------------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicatePair:
    """Two rows that are the same real person / unit: ``original`` came first, ``duplicate`` is the
    re-entry.  Keys are row keys (人员编号 / 单位编号)."""

    original: str
    duplicate: str
    kind: str  # people: same_id / name_birth_address; establishments: same_uscc / missing_uscc


@dataclass(frozen=True)
class BadRow:
    """A deliberately invalid CSV row.  The row is the formatted source row with ``overrides``
    (Chinese header → text) applied; ``field`` is the header the import must name, ``code`` the error.

    Sources: ``people`` → ``Registry.bad_people[source]``; ``establishments`` →
    ``Registry.bad_establishments[source]``; ``houses`` → ``Registry.houses[source]`` (a copy that the
    import must reject, so it never touches the real house)."""

    table: str  # people / houses / establishments
    key: str  # XP00001 / XH00001 / XE00001
    source: int
    field: str
    code: str
    overrides: dict[str, str]


@dataclass
class DirtyPlan:
    """Dirty residence-address texts planted on people rows."""

    u: FloatArray  # per people row, uniform [0, 1): the row is dirty in a CSV with dirty_share > u
    text: dict[int, str] = field(default_factory=dict)  # people row → dirty text (rows with u < max_share)
    kind: dict[int, str] = field(default_factory=dict)  # people row → kind of dirt (from dirty_variant)
    max_share: float = MAX_DIRTY_SHARE
    source: str = ""  # the dirty_variant used ("" = none was available)

    def rows(self, share: float) -> dict[int, str]:
        """People rows → dirty text for a CSV written with ``dirty_share=share``."""
        if share > self.max_share + 1e-12:
            raise ValueError(f"dirty_share {share} exceeds the planted share {self.max_share}")
        return {i: t for i, t in self.text.items() if self.u[i] < share}


@dataclass
class Truth:
    """Ground truth of the planted problems."""

    duplicate_people: list[DuplicatePair] = field(default_factory=list)
    duplicate_establishments: list[DuplicatePair] = field(default_factory=list)
    stale_people: list[str] = field(default_factory=list)  # 人员编号, sorted
    conflict_address_ids: list[int] = field(default_factory=list)  # sorted
    dirty_addresses: dict[str, int] = field(default_factory=dict)  # dirty text → true address id
    group_rental_houses: list[str] = field(default_factory=list)  # 房屋编号 by the default rule (see below)
    bad_rows: list[BadRow] = field(default_factory=list)
    named_conflict_villages: dict[str, list[int]] = field(default_factory=dict)  # 东庄村/西坦村 → address ids

    #: default group-rental rule (Shanghai's): > 2 residents per room or < 5 m² per resident
    GROUP_RENTAL_RULE = "residents > 2 × rooms or area_m2 < 5 × residents (出租 houses, non-duplicate rows)"


@dataclass
class Registry:
    size: str
    seed: int
    as_of: dt.date
    jurisdiction: Jurisdiction
    addresses: AddressTable
    houses: HouseTable
    people: PeopleTable
    establishments: EstablishmentTable
    truth: Truth
    dirty: DirtyPlan
    bad_people: PeopleTable
    bad_establishments: EstablishmentTable

    def counts(self) -> dict[str, int]:
        return {
            "addresses": len(self.addresses),
            "houses": len(self.houses),
            "people": len(self.people),
            "establishments": len(self.establishments),
            "bad_rows": len(self.truth.bad_rows),
        }

    def summary(self) -> str:
        t = self.truth
        return (
            f"registry {self.size} (seed {self.seed}, as of {self.as_of}): "
            + ", ".join(f"{v:,} {k}" for k, v in self.counts().items())
            + f"; planted: {len(t.duplicate_people)} duplicate people, {len(t.duplicate_establishments)} duplicate"
            f" establishments, {len(t.stale_people)} stale people, {len(t.conflict_address_ids)} conflict addresses,"
            f" {len(t.dirty_addresses)} dirty address texts"
        )


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def generate_registry(
    size: str,
    seed: int = 2026,
    *,
    as_of: dt.date | None = None,
    dirty_variant: DirtyVariant | None = None,
    jurisdiction: Jurisdiction | None = None,
) -> Registry:
    """Generate the demo registry of ``size`` ("small", "demo", "county"); see the module docstring.

    ``dirty_variant`` overrides ``zhufang.registry.addressing.dirty.dirty_variant`` (imported lazily);
    ``jurisdiction`` reuses an already generated ``generate_jurisdiction(SIZES[size].jurisdiction, seed)``.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; expected one of {', '.join(SIZES)}")
    # Millions of new str/list objects and no reference cycles: the cyclic collector would only rescan
    # the growing heap over and over (a third of the run time at county size).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(size, seed, as_of, dirty_variant, jurisdiction)
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(
    size: str,
    seed: int,
    as_of: dt.date | None,
    dirty_variant: DirtyVariant | None,
    jurisdiction: Jurisdiction | None,
) -> Registry:
    spec = SIZES[size]
    as_of = as_of or dt.date.today()
    jur = jurisdiction or generate_jurisdiction(spec.jurisdiction, seed)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 1_1643]).spawn(8)]

    places = _build_addresses(jur, spec, rngs[0])
    conflicts, named = _plant_conflicts(places, jur, rngs[1])
    addresses = places.finish()
    draft = _draft_houses(places, spec, rngs[2])
    people, pairs, bad_people, bad_people_rows = _build_people(draft, addresses, spec, as_of, rngs[3])
    houses = _finish_houses(draft, people, pairs, as_of, rngs[4])
    establishments, est_pairs, bad_est, bad_est_rows = _build_establishments(
        draft, houses, addresses, people, pairs, spec, as_of, rngs[5]
    )
    _owners_of_unit_houses(houses, establishments)
    bad_house_rows = _bad_house_rows(houses, rngs[6])

    truth = Truth(
        duplicate_people=pairs,
        duplicate_establishments=est_pairs,
        stale_people=_stale_keys(people, as_of),
        conflict_address_ids=conflicts,
        group_rental_houses=_group_rentals(houses, people, pairs),
        bad_rows=bad_people_rows + bad_house_rows + bad_est_rows,
        named_conflict_villages=named,
    )
    dirty = _plant_dirty(people, addresses, truth, seed, rngs[7], dirty_variant)
    return Registry(
        size=size,
        seed=seed,
        as_of=as_of,
        jurisdiction=jur,
        addresses=addresses,
        houses=houses,
        people=people,
        establishments=establishments,
        truth=truth,
        dirty=dirty,
        bad_people=bad_people,
        bad_establishments=bad_est,
    )


# --------------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------------


def _py(rng: np.random.Generator) -> random.Random:
    """A ``random.Random`` seeded from ``rng``: much faster than numpy for one value at a time."""
    return random.Random(int(rng.integers(2**63)))  # noqa: S311 - demo data, not security


def _unique_names(rng: np.random.Generator, candidates: list[str], exclude: set[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for c in candidates:
        if c not in seen and c not in exclude:
            seen.add(c)
            out.append(c)
    order = rng.permutation(len(out))
    return [out[i] for i in order]


class _NamePool:
    """Unique names drawn in a shuffled order; when exhausted, ``fallback(n)`` makes more."""

    def __init__(self, names: list[str], fallback: Callable[[int], str]) -> None:
        self.names = names
        self.next = 0
        self.fallback = fallback
        self.used: set[str] = set(names)

    def take(self) -> str:
        if self.next < len(self.names):
            self.next += 1
            return self.names[self.next - 1]
        n = self.next
        self.next += 1
        name = self.fallback(n)
        while name in self.used:
            n += 1_000_003
            name = self.fallback(n)
        self.used.add(name)
        return name


def _village_stems(rng: np.random.Generator) -> list[str]:
    a = [s + x for s in N.VILLAGE_SURNAMES for x in N.VILLAGE_SUFFIXES_A]
    b = [p + w for p in N.VILLAGE_PREFIXES_B for w in N.VILLAGE_WORDS_B]
    c = [s + x for s in N.VILLAGE_SURNAMES for x in N.VILLAGE_SUFFIXES_C]
    d = [p + s + x for p in N.VILLAGE_PREFIXES_B[:6] for s in N.VILLAGE_SURNAMES for x in ("家庄", "家峪")]
    return _unique_names(rng, a + b + c + d, set(N.RESERVED_VILLAGES))


class _Places:
    """Builder of the address table (columns appended place by place) and per-address internals."""

    def __init__(self, jur: Jurisdiction, rng: np.random.Generator) -> None:
        self.jur = jur
        self.rng = rng
        grid_polys = np.array([g.polygon for g in jur.grids], dtype=object)
        shapely.prepare(grid_polys)
        self.grid_polys = grid_polys
        district_station = {d.code: d.parent_code for d in jur.districts}
        self.grid_station = [str(district_station[g.parent_code or ""]) for g in jur.grids]
        # columns
        self.parts: list[AddressParts] = []
        self.level: list[str] = []
        self.parent: list[int] = []
        self.lon: list[float] = []
        self.lat: list[float] = []
        self.grid: list[int] = []
        self.township: list[int] = []
        self.community: list[int] = []
        self.area_type: list[str] = []
        self.leaf_class: list[int] = []  # -1: not a leaf (has rooms)
        self.place: list[int] = []
        self.place_kind: list[str] = []  # per place: estate / road / lane / urban_village / village
        self.place_grid: list[int] = []
        self.recorded_station: list[str] = []  # filled by _plant_conflicts (default: true station)
        # communities: key → index; per index name, township, 3-digit code
        self.community_index: dict[tuple[object, ...], int] = {}
        self.community_name: list[str] = []
        self.community_township: list[int] = []
        self.community_code: list[str] = []
        self._next_code: dict[tuple[int, bool], int] = defaultdict(int)
        # names
        self.village_names = _NamePool(
            _village_stems(rng), lambda n: f"新{N.VILLAGE_SURNAMES[n % len(N.VILLAGE_SURNAMES)]}家庄{n}"
        )
        stems = list(N.ROAD_STEMS)
        road_names = [s + x for s in stems for x in N.ROAD_SUFFIXES]
        self.roads = _NamePool(_unique_names(rng, road_names, set()), lambda n: f"第{n}路")
        lanes = [s + x for s in stems for x in N.LANE_SUFFIXES]
        self.lanes = _NamePool(_unique_names(rng, lanes, set(road_names)), lambda n: f"第{n}巷")
        estates = [s + x for s in N.ESTATE_STEMS for x in N.ESTATE_SUFFIXES]
        self.estates = _NamePool(
            _unique_names(rng, estates, set()),
            lambda n: f"{N.ESTATE_STEMS[n % len(N.ESTATE_STEMS)]}{N.ESTATE_SUFFIXES[n % len(N.ESTATE_SUFFIXES)]}{n}期",
        )
        communities = [s + N.COMMUNITY_SUFFIX for s in stems] + [s + d + "社区" for s in stems for d in "东西南北"]
        self.communities = _NamePool(_unique_names(rng, communities, set()), lambda n: f"第{n}社区")
        self.road_pool: dict[tuple[int, str], list[str]] = defaultdict(list)
        self.road_counter: dict[str, int] = defaultdict(int)

    # -- communities ---------------------------------------------------------------------------

    def community_for(self, key: tuple[object, ...], township: int, village: bool, name: str) -> int:
        found = self.community_index.get(key)
        if found is not None:
            return found
        counter_key = (township, village)
        self._next_code[counter_key] += 1
        code = self._next_code[counter_key] + (199 if village else 0)
        if code > 999 or (not village and code > 199):
            raise RuntimeError("too many communities in one township")
        idx = len(self.community_name)
        self.community_index[key] = idx
        self.community_name.append(name)
        self.community_township.append(township)
        self.community_code.append(f"{code:03d}")
        return idx

    def urban_community(self, grid: int, township: int) -> int:
        key = ("urban", township, self.jur.grids[grid].parent_code)
        if key in self.community_index:
            return self.community_index[key]
        return self.community_for(key, township, False, self.communities.take())

    # -- adding addresses ---------------------------------------------------------------------

    def new_place(self, kind: str, grid: int) -> int:
        self.place_kind.append(kind)
        self.place_grid.append(grid)
        return len(self.place_kind) - 1

    def add(
        self,
        parts: AddressParts,
        level: str,
        parent: int,
        lon: float,
        lat: float,
        grid: int,
        township: int,
        community: int,
        area_type: str,
        leaf_class: int,
        place: int,
    ) -> int:
        self.parts.append(parts)
        self.level.append(level)
        self.parent.append(parent)
        self.lon.append(lon)
        self.lat.append(lat)
        self.grid.append(grid)
        self.township.append(township)
        self.community.append(community)
        self.area_type.append(area_type)
        self.leaf_class.append(leaf_class)
        self.place.append(place)
        return len(self.parts)  # 1-based id

    def parts_for(self, township: int, community: int, **levels: str) -> AddressParts:
        return AddressParts(
            county=COUNTY_NAME,
            township=self.jur.townships[township].name,
            community=self.community_name[community],
            **levels,
        )

    def _rounded_points(self) -> tuple[FloatArray, FloatArray]:
        """Points on the 1e-6 degree grid (as written to CSV) that still lie in their grid and township."""
        lon: FloatArray = np.array(self.lon, dtype=np.float64).round(6)
        lat: FloatArray = np.array(self.lat, dtype=np.float64).round(6)
        grid = np.array(self.grid, dtype=np.int64)
        township = np.array(self.township, dtype=np.int64)
        town_polys = np.array([t.polygon for t in self.jur.townships], dtype=object)
        shapely.prepare(town_polys)
        ok = shapely.contains_xy(self.grid_polys[grid], lon, lat) & shapely.contains_xy(town_polys[township], lon, lat)
        for i in np.flatnonzero(~ok).tolist():
            piece = shapely.intersection(self.grid_polys[grid[i]], town_polys[township[i]])
            for _ in range(100):
                x, y = _uniform_in(self.rng, piece, 1)
                lon[i], lat[i] = round(float(x[0]), 6), round(float(y[0]), 6)
                if shapely.contains_xy(self.grid_polys[grid[i]], lon[i], lat[i]) and shapely.contains_xy(
                    town_polys[township[i]], lon[i], lat[i]
                ):
                    break
        return lon, lat

    def finish(self) -> AddressTable:
        n = len(self.parts)
        ids = np.arange(1, n + 1, dtype=np.int64)
        township_codes = [t.code for t in self.jur.townships]
        grid_codes = [g.code for g in self.jur.grids]
        admin_by_community = [
            township_codes[t] + c for t, c in zip(self.community_township, self.community_code, strict=True)
        ]
        admin = [admin_by_community[c] for c in self.community]
        lon, lat = self._rounded_points()
        return AddressTable(
            id=ids,
            code=[f"{a}{i:08d}" for a, i in zip(admin, range(1, n + 1), strict=True)],
            level=self.level,
            parent_id=np.array(self.parent, dtype=np.int64),
            parts=self.parts,
            text=[p.display() for p in self.parts],
            lon=lon,
            lat=lat,
            grid_code=[grid_codes[g] for g in self.grid],
            station_code=[self.grid_station[g] for g in self.grid],
            recorded_station_code=self.recorded_station or [self.grid_station[g] for g in self.grid],
            township_code=[township_codes[t] for t in self.township],
            admin_code=admin,
            area_type=self.area_type,
        )


def _classify_grids(jur: Jurisdiction, spec: SizeSpec, rng: np.random.Generator) -> list[str]:
    polys = np.array([g.polygon for g in jur.grids], dtype=object)
    reps = shapely.point_on_surface(polys)
    dx = (shapely.get_x(reps) - TOWN_CENTRE[0]) * _M_PER_DEG_LON
    dy = (shapely.get_y(reps) - TOWN_CENTRE[1]) * _M_PER_DEG_LAT
    dist = np.hypot(dx, dy)
    area_km2 = shapely.area(polys) * _M_PER_DEG_LON * _M_PER_DEG_LAT / 1e6
    types = []
    for d, a in zip(dist.tolist(), area_km2.tolist(), strict=True):
        if d < spec.town_radius_m:
            types.append(TOWN)
        elif a < spec.seat_area_km2:
            types.append(SEAT)
        else:
            types.append(RURAL)
    ring = np.flatnonzero((dist >= 0.35 * spec.town_radius_m) & (dist < spec.town_radius_m))
    n_uv = max(1, round(0.25 * len(ring))) if len(ring) else 0
    for g in rng.choice(ring, size=n_uv, replace=False) if n_uv else []:
        types[int(g)] = URBAN_VILLAGE
    return types


def _grid_pieces(jur: Jurisdiction) -> list[list[tuple[int, object, float]]]:
    """Per grid: (township index, grid ∩ township polygon, area) pieces big enough to hold places."""
    grid_polys = np.array([g.polygon for g in jur.grids], dtype=object)
    town_polys = np.array([t.polygon for t in jur.townships], dtype=object)
    tree = shapely.STRtree(town_polys)
    gi, ti = tree.query(grid_polys, predicate="intersects")
    inter = shapely.intersection(grid_polys[gi], town_polys[ti])
    areas = shapely.area(inter)
    pieces: list[list[tuple[int, object, float]]] = [[] for _ in jur.grids]
    for g, t, geom, a in zip(gi.tolist(), ti.tolist(), inter, areas.tolist(), strict=True):
        if a > 0:
            pieces[g].append((t, geom, a))
    out = []
    for g, plist in enumerate(pieces):
        total = sum(a for _, _, a in plist)
        keep = [p for p in plist if p[2] >= 0.05 * total] or [max(plist, key=lambda p: p[2])]
        for _, geom, _ in keep:
            shapely.prepare(geom)
        out.append(keep)
        assert keep, f"grid {jur.grids[g].code} lies in no township"
    return out


def _uniform_in(rng: np.random.Generator, geom: object, n: int) -> tuple[FloatArray, FloatArray]:
    minx, miny, maxx, maxy = shapely.bounds(geom).tolist()
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    have = 0
    ratio = max(0.05, float(shapely.area(geom)) / max((maxx - minx) * (maxy - miny), 1e-18))
    while have < n:
        batch = max(16, int(2.5 * (n - have) / ratio))
        x = rng.uniform(minx, maxx, batch)
        y = rng.uniform(miny, maxy, batch)
        ok = shapely.contains_xy(geom, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _near_in(
    rng: np.random.Generator, geom: object, cx: float, cy: float, sigma_m: float, n: int
) -> tuple[FloatArray, FloatArray]:
    """``n`` points ~ N(centre, sigma) inside ``geom`` (rejection; stragglers uniform inside)."""
    x = np.empty(n)
    y = np.empty(n)
    todo = np.arange(n)
    for _ in range(6):
        if not len(todo):
            break
        px = cx + rng.normal(0.0, sigma_m, len(todo)) / _M_PER_DEG_LON
        py = cy + rng.normal(0.0, sigma_m, len(todo)) / _M_PER_DEG_LAT
        ok = shapely.contains_xy(geom, px, py)
        x[todo[ok]] = px[ok]
        y[todo[ok]] = py[ok]
        todo = todo[~ok]
        sigma_m *= 0.6
    if len(todo):
        ux, uy = _uniform_in(rng, geom, len(todo))
        x[todo] = ux
        y[todo] = uy
    return x, y


def _along_in(rng: np.random.Generator, geom: object, n: int) -> tuple[FloatArray, FloatArray]:
    """``n`` points along a random segment through ``geom`` (door fronts of a road), inside ``geom``."""
    ex, ey = _uniform_in(rng, geom, 2)
    t = np.sort(rng.uniform(0.0, 1.0, n))
    x = ex[0] + t * (ex[1] - ex[0]) + rng.normal(0.0, 8.0, n) / _M_PER_DEG_LON
    y = ey[0] + t * (ey[1] - ey[0]) + rng.normal(0.0, 8.0, n) / _M_PER_DEG_LAT
    bad = ~shapely.contains_xy(geom, x, y)
    if bad.any():
        ux, uy = _uniform_in(rng, geom, int(bad.sum()))
        x[bad] = ux
        y[bad] = uy
    return x, y


def _split(rng: np.random.Generator, total: int, lo: int, hi: int) -> list[int]:
    """Split ``total`` into chunks of random size in [lo, hi] (the last one takes a small rest)."""
    out = []
    left = total
    while left > 0:
        n = min(left, int(rng.integers(lo, hi + 1)))
        if left - n < lo // 2:
            n = left
        out.append(n)
        left -= n
    return out


_BUILDING_TYPES = ((2, 6, 2), (2, 6, 2), (3, 6, 2), (2, 11, 2), (2, 18, 2), (1, 11, 4), (3, 18, 2), (2, 7, 2))


def _build_addresses(jur: Jurisdiction, spec: SizeSpec, rng: np.random.Generator) -> _Places:
    pl = _Places(jur, rng)
    types = _classify_grids(jur, spec, rng)
    pieces = _grid_pieces(jur)
    weights = np.array([_GRID_WEIGHT[t] for t in types]) * rng.lognormal(0.0, 0.25, len(types))
    quotas = rng.multinomial(spec.houses, weights / weights.sum())

    for g, quota in enumerate(quotas.tolist()):
        if quota == 0:
            continue
        area_type = types[g]
        class_quota = rng.multinomial(quota, _CLASS_SHARES[area_type]).tolist()
        piece_area = np.array([p[2] for p in pieces[g]])
        piece_p = piece_area / piece_area.sum()

        def piece(g: int = g, piece_p: FloatArray = piece_p) -> tuple[int, object]:
            k = int(rng.choice(len(piece_p), p=piece_p)) if len(piece_p) > 1 else 0
            return pieces[g][k][0], pieces[g][k][1]

        if class_quota[APARTMENT]:
            for size in _split(rng, class_quota[APARTMENT], *spec.estate_size):
                _estate(pl, rng, g, *piece(), area_type, size)
        if class_quota[STREET_DOOR]:
            n_roads = 1 if class_quota[STREET_DOOR] < 30 else int(rng.integers(1, 4))
            for segment in np.array_split(np.arange(class_quota[STREET_DOOR]), n_roads):
                if len(segment):
                    _road_doors(pl, rng, g, *piece(), area_type, len(segment))
        if class_quota[LANE_DOOR]:
            _lane_doors(pl, rng, g, *piece(), area_type, class_quota[LANE_DOOR])
        if class_quota[UV_ROOM]:
            _urban_village(pl, rng, g, *piece(), class_quota[UV_ROOM])
        if class_quota[VILLAGE_DOOR]:
            for size in _split(rng, class_quota[VILLAGE_DOOR], *spec.village_size):
                _village(pl, rng, g, *piece(), area_type, size)
    return pl


def _estate(pl: _Places, rng: np.random.Generator, g: int, t: int, geom: object, area_type: str, n: int) -> None:
    place = pl.new_place("estate", g)
    name = pl.estates.take()
    community = pl.urban_community(g, t)
    cx, cy = _uniform_in(rng, geom, 1)
    building = 0
    left = n
    while left > 0:
        building += 1
        units, floors, per_floor = _BUILDING_TYPES[int(rng.integers(len(_BUILDING_TYPES)))]
        bx, by = _near_in(rng, geom, float(cx[0]), float(cy[0]), 60.0, 1)
        lon, lat = float(bx[0]), float(by[0])
        b_parts = pl.parts_for(t, community, street=name, building=str(building))
        b_id = pl.add(b_parts, BUILDING, 0, lon, lat, g, t, community, area_type, -1, place)
        for unit in range(1, units + 1):
            for floor in range(1, floors + 1):
                for k in range(1, per_floor + 1):
                    if left == 0:
                        break
                    parts = AddressParts(
                        b_parts.county,
                        b_parts.township,
                        b_parts.community,
                        name,
                        "",
                        b_parts.building,
                        _NUM[unit],
                        _NUM[floor],
                        _NUM[floor * 100 + k],
                    )
                    pl.add(parts, ROOM, b_id, lon, lat, g, t, community, area_type, APARTMENT, place)
                    left -= 1


def _road_doors(pl: _Places, rng: np.random.Generator, g: int, t: int, geom: object, area_type: str, n: int) -> None:
    place = pl.new_place("road", g)
    pool = pl.road_pool[(t, str(pl.jur.grids[g].parent_code))]
    if pool and rng.random() < 0.6:
        road = pool[int(rng.integers(len(pool)))]
    else:
        road = pl.roads.take()
        pool.append(road)
    community = pl.urban_community(g, t)
    step = 2 if rng.random() < 0.5 else 1
    start = pl.road_counter[road] + 1
    numbers = start + step * np.arange(n)
    pl.road_counter[road] = int(numbers[-1]) + int(rng.integers(0, 6))
    xs, ys = _along_in(rng, geom, n)
    for num, x, y in zip(numbers.tolist(), xs.tolist(), ys.tolist(), strict=True):
        parts = pl.parts_for(t, community, street=road, house_number=str(num))
        pl.add(parts, DOOR, 0, x, y, g, t, community, area_type, STREET_DOOR, place)


def _lane_doors(pl: _Places, rng: np.random.Generator, g: int, t: int, geom: object, area_type: str, n: int) -> None:
    place = pl.new_place("lane", g)
    lane = pl.lanes.take()
    community = pl.urban_community(g, t)
    cx, cy = _uniform_in(rng, geom, 1)
    xs, ys = _near_in(rng, geom, float(cx[0]), float(cy[0]), 50.0, n)
    for num, x, y in zip(range(1, n + 1), xs.tolist(), ys.tolist(), strict=True):
        parts = pl.parts_for(t, community, street=lane, house_number=str(num))
        pl.add(parts, DOOR, 0, x, y, g, t, community, area_type, LANE_DOOR, place)


def _urban_village(pl: _Places, rng: np.random.Generator, g: int, t: int, geom: object, n: int) -> None:
    """An urban village: self-built houses on numbered lanes, let room by room."""
    place = pl.new_place("urban_village", g)
    stem = pl.village_names.take()
    community = pl.community_for(("uv", g, t), t, True, stem + N.VILLAGE_SUFFIX)
    cx, cy = _uniform_in(rng, geom, 1)
    left = n
    lane_no = 0
    while left > 0:
        lane_no += 1
        lane = f"{stem}{_CN_ORDINALS[(lane_no - 1) % 10]}巷" if lane_no <= 10 else f"{stem}{lane_no}巷"
        for door in range(1, int(rng.integers(6, 16)) + 1):
            if left == 0:
                break
            hx, hy = _near_in(rng, geom, float(cx[0]), float(cy[0]), 70.0, 1)
            lon, lat = float(hx[0]), float(hy[0])
            d_parts = pl.parts_for(t, community, street=lane, house_number=str(door))
            d_id = pl.add(d_parts, DOOR, 0, lon, lat, g, t, community, URBAN_VILLAGE, -1, place)
            floors, per_floor = int(rng.integers(2, 5)), int(rng.integers(2, 5))
            for floor in range(1, floors + 1):
                for k in range(1, per_floor + 1):
                    if left == 0:
                        break
                    parts = AddressParts(
                        d_parts.county,
                        d_parts.township,
                        d_parts.community,
                        lane,
                        d_parts.house_number,
                        "",
                        "",
                        _NUM[floor],
                        _NUM[floor * 100 + k],
                    )
                    pl.add(parts, ROOM, d_id, lon, lat, g, t, community, URBAN_VILLAGE, UV_ROOM, place)
                    left -= 1


def _village(pl: _Places, rng: np.random.Generator, g: int, t: int, geom: object, area_type: str, n: int) -> None:
    place = pl.new_place("village", g)
    stem = pl.village_names.take()
    community = pl.community_for(("village", place), t, True, stem + N.VILLAGE_SUFFIX)
    cx, cy = _uniform_in(rng, geom, 1)
    xs, ys = _near_in(rng, geom, float(cx[0]), float(cy[0]), 35.0 * math.sqrt(n) + 40.0, n)
    for num, x, y in zip(range(1, n + 1), xs.tolist(), ys.tolist(), strict=True):
        parts = pl.parts_for(t, community, house_number=str(num))
        pl.add(parts, DOOR, 0, x, y, g, t, community, area_type, VILLAGE_DOOR, place)


# --------------------------------------------------------------------------------------------------
# Jurisdiction conflicts (seed 004)
# --------------------------------------------------------------------------------------------------


def _plant_conflicts(
    pl: _Places, jur: Jurisdiction, rng: np.random.Generator
) -> tuple[list[int], dict[str, list[int]]]:
    n = len(pl.parts)
    pl.recorded_station = [pl.grid_station[g] for g in pl.grid]
    tree = shapely.STRtree(pl.grid_polys)
    a, b = tree.query(pl.grid_polys, predicate="touches")
    neighbours: dict[int, set[str]] = defaultdict(set)
    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        if pl.grid_station[i] != pl.grid_station[j]:
            neighbours[i].add(pl.grid_station[j])
    place_arr = np.array(pl.place, dtype=np.int64)
    order = np.argsort(place_arr, kind="stable")
    bounds = np.searchsorted(place_arr[order], np.arange(len(pl.place_kind) + 1))
    members = [order[bounds[p] : bounds[p + 1]] for p in range(len(pl.place_kind))]

    target = round(CONFLICT_SHARE * n)
    # villages first (seed 004's conflicts are villages), then roads, 小区 …, each in random order
    candidates = sorted(
        (p for p in rng.permutation(len(pl.place_kind)).tolist() if neighbours.get(pl.place_grid[p])),
        key=lambda p: pl.place_kind[p] != "village",
    )
    chosen: list[tuple[int, str]] = []
    count = 0
    # 东庄村 (seed 004): a village that 城里 polices but the old records put under 南关, if the map has one.
    chengli, nanguan = f"{COUNTY_CODE}040000", f"{COUNTY_CODE}020000"
    for p in candidates:
        g = pl.place_grid[p]
        if pl.place_kind[p] == "village" and pl.grid_station[g] == chengli and nanguan in neighbours[g]:
            if len(members[p]) <= 2 * max(target, 1):
                chosen.append((p, nanguan))
                count += len(members[p])
            break
    for p in candidates:
        if count >= target:
            break
        size = len(members[p])
        if any(p == c for c, _ in chosen) or not size or (chosen and count + size > target * 1.15 + 2):
            continue
        recorded = sorted(neighbours[pl.place_grid[p]])
        chosen.append((p, recorded[int(rng.integers(len(recorded)))]))
        count += size

    conflict_ids: list[int] = []
    for p, station in chosen:
        for i in members[p].tolist():
            pl.recorded_station[i] = station
            conflict_ids.append(i + 1)

    # name the first planted villages after seed 004
    named: dict[str, list[int]] = {}
    villages = [p for p, _ in chosen if pl.place_kind[p] == "village"]
    for stem, p in zip(N.RESERVED_VILLAGES, villages, strict=False):
        ids = members[p]
        community = pl.community[int(ids[0])]
        pl.community_name[community] = stem + N.VILLAGE_SUFFIX
        for i in ids.tolist():
            pl.parts[i] = replace(pl.parts[i], community=stem + N.VILLAGE_SUFFIX)
        named[stem + N.VILLAGE_SUFFIX] = sorted(int(i) + 1 for i in ids)
    return sorted(conflict_ids), named


# --------------------------------------------------------------------------------------------------
# Houses (draft: everything but owners)
# --------------------------------------------------------------------------------------------------


@dataclass
class _HouseDraft:
    address_index: IntArray  # address row of each house
    leaf_class: IntArray
    area_type: list[str]
    use: IntArray
    business: IntArray  # house indices that hold an establishment (in establishment order)
    crowded: BoolArray  # rentals planted with many residents (group-rental candidates)
    place: IntArray  # the place (小区, road segment, village …) of each house


def _n_est(spec: SizeSpec) -> tuple[int, int, int]:
    """(unique establishments incl. bad ones, planted duplicates, bad rows)."""
    dup = max(2, round(DUPLICATE_ESTABLISHMENT_SHARE * spec.establishments))
    bad = BAD_ROWS_PER_KIND * len(BAD_ESTABLISHMENT_KINDS)
    return spec.establishments - dup + bad, dup, bad


def _draft_houses(pl: _Places, spec: SizeSpec, rng: np.random.Generator) -> _HouseDraft:
    leaf_class_all = np.array(pl.leaf_class, dtype=np.int64)
    address_index = np.flatnonzero(leaf_class_all >= 0).astype(np.int64)
    leaf_class = leaf_class_all[address_index]
    n = len(address_index)
    area_types = [pl.area_type[i] for i in address_index.tolist()]

    # establishments: weighted sample without replacement (Efraimidis-Spirakis keys)
    n_business, _, _ = _n_est(spec)
    w = np.array(_BUSINESS_WEIGHT)[leaf_class]
    keys = np.where(w > 0, np.log(rng.uniform(1e-12, 1.0, n)) / np.where(w > 0, w, 1.0), -np.inf)
    n_business = min(n_business, int((w > 0).sum()))
    business = np.sort(np.argpartition(-keys, n_business - 1)[:n_business]) if n_business else np.zeros(0, np.int64)
    business = rng.permutation(business).astype(np.int64)

    # uses of the other houses
    use = np.full(n, -1, dtype=np.int64)
    u = rng.uniform(0.0, 1.0, n)
    for cls, shares in _USE_SHARES.items():
        sel = leaf_class == cls
        cum = np.cumsum(shares)
        use[sel] = np.searchsorted(cum, u[sel] * cum[-1], side="right")
    use[business] = BUSINESS  # refined to 单位用房 per establishment category later
    crowded = (use == RENTAL) & (rng.uniform(0.0, 1.0, n) < 0.04)
    place = np.array(pl.place, dtype=np.int64)[address_index]
    return _HouseDraft(address_index, leaf_class, area_types, use, business, crowded, place=place)


# --------------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------------

_CATEGORY_BY_USE = {  # 户籍, 流动, 境外, 寄住, 未落户
    SELF: (0.925, 0.03, 0.004, 0.028, 0.013),
    RENTAL: (0.25, 0.68, 0.025, 0.035, 0.01),
    BUSINESS: (0.50, 0.45, 0.01, 0.03, 0.01),
    UNIT_USE: (0.50, 0.45, 0.01, 0.03, 0.01),
}


def _age_weights() -> dict[int, FloatArray]:
    a = np.arange(96, dtype=np.float64)
    huji = np.where(a < 60, 1.0, np.exp(-(a - 60) / 11.0))
    huji = huji * np.where((a >= 30) & (a < 62), 1.3, 1.0) * np.where(a < 10, 0.8, 1.0)
    liudong = np.exp(-0.5 * ((a - 33) / 10.0) ** 2) + np.where(a < 16, 0.12, 0.0)
    liudong[a > 70] = 0.0
    jingwai = np.where((a >= 20) & (a <= 62), 1.0, 0.0) + np.where(a < 12, 0.05, 0.0)
    jizhu = np.where((a >= 6) & (a <= 22), 1.0, 0.0) + np.where((a >= 65) & (a <= 90), 0.4, 0.0)
    weiluohu = np.where(a < 16, 1.0, 0.15) * np.where(a > 70, 0.0, 1.0)
    out = {HUJI: huji, LIUDONG: liudong, JINGWAI: jingwai, JIZHU: jizhu, WEILUOHU: weiluohu}
    return {k: v / v.sum() for k, v in out.items()}


def _yyyymmdd(days: DateArray) -> IntArray:
    y = days.astype("datetime64[Y]").astype(np.int64) + 1970
    m = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return (y * 10000 + m * 100 + d).astype(np.int64)


def _choose_chars(rng: np.random.Generator, pool: str, n: int) -> list[str]:
    chars = np.array(list(pool))
    return chars[rng.integers(0, len(pool), n)].tolist()  # type: ignore[no-any-return]


def _chinese_names(rng: np.random.Generator, male: BoolArray, born_new: BoolArray, surnames: list[str]) -> list[str]:
    n = len(male)
    first = np.empty(n, dtype=object)
    second = np.empty(n, dtype=object)
    for is_male, new, pool in (
        (True, False, N.GIVEN_MALE_OLD),
        (True, True, N.GIVEN_MALE_NEW),
        (False, False, N.GIVEN_FEMALE_OLD),
        (False, True, N.GIVEN_FEMALE_NEW),
    ):
        sel = np.flatnonzero((male == is_male) & (born_new == new))
        first[sel] = _choose_chars(rng, pool, len(sel))
        second[sel] = _choose_chars(rng, pool, len(sel))
    two = rng.uniform(0.0, 1.0, n) < np.where(born_new, 0.82, 0.65)
    second[~two] = ""
    return [s + f + t for s, f, t in zip(surnames, first.tolist(), second.tolist(), strict=True)]


def _surnames(rng: np.random.Generator, n: int) -> list[str]:
    names = [s for s, _ in N.SURNAMES]
    w = np.array([w for _, w in N.SURNAMES])
    idx = rng.choice(len(names), size=n, p=w / w.sum())
    arr = np.array(names, dtype=object)
    return arr[idx].tolist()  # type: ignore[no-any-return]


def _unique_sequences(rng: np.random.Generator, region: IntArray, birth: IntArray, male: BoolArray) -> IntArray:
    """顺序码 with the sex parity (odd = male), redrawn until every 17-digit prefix is unique."""
    seq = rng.integers(0, 500, len(region)) * 2 + male.astype(np.int64)
    for _ in range(50):
        first17 = id_first17(region, birth, seq)
        _, first_idx = np.unique(first17, return_index=True)
        dup_mask = np.ones(len(first17), dtype=bool)
        dup_mask[first_idx] = False  # the first occurrence keeps its number
        if not dup_mask.any():
            return seq  # type: ignore[no-any-return]
        redo = np.flatnonzero(dup_mask)
        seq[redo] = rng.integers(0, 500, len(redo)) * 2 + male[redo].astype(np.int64)
    raise RuntimeError("could not make ID numbers unique")


def _phones(rng: np.random.Generator, n: int) -> IntArray:
    prefixes = np.array(N.MOBILE_PREFIXES, dtype=np.int64)
    return prefixes[rng.integers(0, len(prefixes), n)] * 10**8 + rng.integers(0, 10**8, n)  # type: ignore[no-any-return]


@dataclass
class _PeopleCols:
    """Columns of the generated people before they are split into rows / bad rows / duplicates."""

    table: PeopleTable
    age: IntArray
    first17: IntArray  # 0 when no ID card


def _generate_people(
    draft: _HouseDraft, addresses: AddressTable, n_people: int, as_of: dt.date, rng: np.random.Generator
) -> _PeopleCols:
    n_houses = len(draft.use)
    use = draft.use
    residential = (use == SELF) | (use == RENTAL)
    weight = np.select(
        [use == SELF, use == RENTAL, use == BUSINESS, use == UNIT_USE],
        [
            np.where(draft.leaf_class == VILLAGE_DOOR, 1.9, 2.2),
            np.where(draft.leaf_class == UV_ROOM, 0.9, 1.6),
            0.25,
            0.05,
        ],
        0.0,
    )
    weight = weight * np.where(draft.crowded, 3.0, 1.0)
    base = residential.astype(np.int64)
    extra = max(0, n_people - int(base.sum()))
    counts = base + rng.multinomial(extra, weight / weight.sum())
    house = np.repeat(np.arange(n_houses, dtype=np.int64), counts)
    n = len(house)
    pos_in_house = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)

    # categories
    cat = np.empty(n, dtype=np.int64)
    u = rng.uniform(0.0, 1.0, n)
    house_use = use[house]
    for use_code, shares in _CATEGORY_BY_USE.items():
        sel = house_use == use_code
        cum = np.cumsum(shares)
        cat[sel] = np.searchsorted(cum, u[sel] * cum[-1], side="right")
    # the first resident of a self-occupied house is its 户籍 head
    head = (pos_in_house == 0) & (house_use == SELF)
    cat[head] = HUJI

    # ages
    weights = _age_weights()
    age = np.empty(n, dtype=np.int64)
    for c, w in weights.items():
        sel = np.flatnonzero(cat == c)
        age[sel] = rng.choice(len(w), size=len(sel), p=w)
    adult_w = weights[HUJI].copy()
    adult_w[:22] = 0.0
    first_resident = pos_in_house == 0
    age[first_resident] = rng.choice(len(adult_w), size=int(first_resident.sum()), p=adult_w / adult_w.sum())
    as_of_day = np.datetime64(as_of, "D")
    birth = as_of_day - (age * 365.2425 + rng.uniform(0.0, 364.0, n)).astype(np.int64) - 1
    birth = birth.astype("datetime64[D]")
    born_new = birth >= np.datetime64("1985-01-01")
    male = rng.uniform(0.0, 1.0, n) < 0.51

    # names: a household shares the head's surname for most members
    house_surname = np.array(_surnames(rng, n_houses), dtype=object)
    own = np.array(_surnames(rng, n), dtype=object)
    family = (house_use == SELF) & ((pos_in_house == 0) | (rng.uniform(0.0, 1.0, n) < 0.6))
    surname = np.where(family, house_surname[house], own).tolist()
    name = _chinese_names(rng, male, born_new, surname)

    # documents
    has_card = (cat != JINGWAI) & (cat != WEILUOHU)
    origin_u = rng.uniform(0.0, 1.0, n)
    home_share = np.select([cat == HUJI, cat == JIZHU, cat == LIUDONG], [0.92, 0.45, 0.0], 0.5)
    sd_share = np.select([cat == HUJI, cat == JIZHU, cat == LIUDONG], [0.06, 0.35, 0.62], 0.3)
    sd = np.array(N.SHANDONG_CODES, dtype=np.int64)
    other = np.array(N.OTHER_PROVINCE_CODES, dtype=np.int64)
    region = np.where(
        origin_u < home_share,
        N.HOME_COUNTY_CODE,
        np.where(
            origin_u < home_share + sd_share,
            sd[rng.integers(0, len(sd), n)],
            other[rng.integers(0, len(other), n)],
        ),
    ).astype(np.int64)
    ymd = _yyyymmdd(birth)
    seq = _unique_sequences(rng, region, ymd, male)
    first17 = np.where(has_card, id_first17(region, ymd, seq), 0)
    card_numbers = id_numbers(first17[has_card])
    id_number = np.full(n, "", dtype=object)
    id_number[has_card] = card_numbers
    id_type = np.where(has_card, ID_CARD, "").astype(object)
    nationality = np.where(cat == WEILUOHU, "中国", np.where(has_card, "中国", "")).astype(object)

    foreign = np.flatnonzero(cat == JINGWAI)
    if len(foreign):
        nat_idx = rng.choice(len(N.FOREIGN), size=len(foreign), p=np.array(N.FOREIGN_WEIGHTS))
        for k, f_idx in zip(foreign.tolist(), nat_idx.tolist(), strict=True):
            country, prefix, digits, fam, given = N.FOREIGN[f_idx]
            name[k] = f"{fam[int(rng.integers(len(fam)))]} {given[int(rng.integers(len(given)))]}"
            id_number[k] = f"{prefix}{int(rng.integers(10 ** (digits - 1), 10**digits))}"
            id_type[k] = PASSPORT
            nationality[k] = country

    # phones: most people from 16, some from 14, none below
    phone = _phones(rng, n)
    p_phone = np.select([age < 14, age < 16, cat == JINGWAI], [0.0, 0.3, 0.8], 0.95)
    phone = np.where(rng.uniform(0.0, 1.0, n) < p_phone, phone, 0)

    # dates
    age_days = (as_of_day - birth).astype(np.int64)
    rental = house_use == RENTAL
    since_back = np.where(
        rental | (cat == LIUDONG) | (cat == JINGWAI),
        rng.exponential(500.0, n),
        rng.uniform(0.0, 30 * 365.0, n),
    ).astype(np.int64)
    since_back = np.minimum(since_back, age_days)
    since = (as_of_day - since_back).astype("datetime64[D]")
    needs_reg = (cat == LIUDONG) | (cat == JINGWAI) | (cat == JIZHU)
    reg_days = np.minimum(since + rng.integers(0, 21, n), as_of_day)
    registered = np.where(needs_reg, reg_days, NAT).astype("datetime64[D]")
    has_permit = (cat == LIUDONG) | (cat == JINGWAI)
    periods = np.ceil(np.maximum((as_of_day - reg_days).astype(np.int64), 1) / 365.0).astype(np.int64)
    expiry = reg_days + periods * 365
    lapsed = rng.uniform(0.0, 1.0, n) < 0.05  # lapsed recently: not renewed yet, not stale
    expiry = np.where(lapsed, as_of_day - rng.integers(1, 181, n), expiry)
    permit = np.where(has_permit, expiry, NAT).astype("datetime64[D]")
    updated = np.maximum(as_of_day - rng.integers(0, 331, n), np.where(needs_reg, registered, since))
    updated = np.maximum(updated, since).astype("datetime64[D]")

    table = PeopleTable(
        name=name,
        id_type=id_type.tolist(),
        id_number=id_number.tolist(),
        sex=np.where(male, "男", "女").tolist(),
        birth_date=birth,
        nationality=nationality.tolist(),
        phone=phone.astype(np.int64),
        category=[CATEGORIES[c] for c in cat.tolist()],
        house=house,
        address_id=addresses.id[draft.address_index[house]],
        residence_since=since,
        registered_on=registered,
        permit_expires=permit,
        updated_on=updated,
        labels=[""] * n,
    )
    cols = _PeopleCols(table, age, first17)
    _plant_stale(cols, as_of, rng)
    _people_labels(cols, draft, counts, rng)
    return cols


def _plant_stale(cols: _PeopleCols, as_of: dt.date, rng: np.random.Generator) -> None:
    t = cols.table
    n = len(t)
    as_of_day = np.datetime64(as_of, "D")
    eligible = np.flatnonzero(cols.age >= 8)
    k = min(len(eligible), round(STALE_SHARE * n))
    chosen = rng.choice(eligible, size=k, replace=False)
    is_permit = np.isin(chosen, np.flatnonzero(~np.isnat(t.permit_expires)))
    permit_rows = chosen[is_permit]
    other_rows = chosen[~is_permit]
    # permit holders: one registration long ago, never renewed
    since = as_of_day - rng.integers(800, 2500, len(permit_rows))
    since = np.maximum(since, t.birth_date[permit_rows] + 1)
    reg = since + rng.integers(0, 21, len(permit_rows))
    t.residence_since[permit_rows] = since
    t.registered_on[permit_rows] = reg
    t.permit_expires[permit_rows] = reg + 365
    t.updated_on[permit_rows] = reg + rng.integers(0, 31, len(permit_rows))
    # others: not updated for more than a year
    updated = as_of_day - rng.integers(STALE_AFTER_DAYS + 35, 2000, len(other_rows))
    updated = np.maximum(updated, t.birth_date[other_rows] + 1)
    # an 8-year-old's record can't be older than the child: fall back to just over a year
    too_young = updated >= as_of_day - STALE_AFTER_DAYS
    updated[too_young] = as_of_day - (STALE_AFTER_DAYS + 30)
    t.updated_on[other_rows] = updated
    t.residence_since[other_rows] = np.minimum(t.residence_since[other_rows], updated)
    has_reg = ~np.isnat(t.registered_on[other_rows])
    rows_reg = other_rows[has_reg]
    t.registered_on[rows_reg] = np.minimum(t.registered_on[rows_reg], t.updated_on[rows_reg])


def _join_labels(labels: dict[int, list[str]], n: int) -> list[str]:
    column = [""] * n
    for i, x in labels.items():
        column[i] = "、".join(x)
    return column


def _people_labels(cols: _PeopleCols, draft: _HouseDraft, counts: IntArray, rng: np.random.Generator) -> None:
    t = cols.table
    age = cols.age
    n = len(t)
    labels: defaultdict[int, list[str]] = defaultdict(list)
    alone = counts[t.house] == 1
    for i in np.flatnonzero(alone & (age >= 70)).tolist():
        labels[i].append("独居老人")
    working_age = ((age >= 20) & (age <= 50)).astype(np.int64)
    carers = np.bincount(t.house, weights=working_age, minlength=len(counts))
    rural = draft.leaf_class[t.house] == VILLAGE_DOOR
    for i in np.flatnonzero(rural & (age < 16) & (carers[t.house] == 0)).tolist():
        labels[i].append("留守儿童")
    volunteer = (age >= 18) & (age <= 65) & (rng.uniform(0.0, 1.0, n) < 0.008)
    for i in np.flatnonzero(volunteer).tolist():
        labels[i].append("义警")
    cat = np.array(t.category, dtype=object)
    courier = (cat == CATEGORIES[LIUDONG]) & (age >= 18) & (age <= 45) & (rng.uniform(0.0, 1.0, n) < 0.04)
    for i in np.flatnonzero(courier).tolist():
        labels[i].append("快递外卖从业人员")
    t.labels = _join_labels(labels, n)


BAD_PEOPLE_KINDS = (
    # (code, Chinese header of the field the import must name)
    ("check_digit", "证件号码"),
    ("birth_date_future", "证件号码"),
    ("length", "证件号码"),
    ("required", "姓名"),
    ("required", "居住地址"),
    ("required", "人员类别"),
    ("birth_date_mismatch", "出生日期"),
    ("sex_mismatch", "性别"),
    ("invalid_date", "居住起始日期"),
    ("invalid_phone", "联系电话"),
    ("invalid_choice", "人员类别"),
)


def _build_people(
    draft: _HouseDraft, addresses: AddressTable, spec: SizeSpec, as_of: dt.date, rng: np.random.Generator
) -> tuple[PeopleTable, list[DuplicatePair], PeopleTable, list[BadRow]]:
    n_dup = round(DUPLICATE_PEOPLE_SHARE * spec.people)
    n_bad = BAD_ROWS_PER_KIND * len(BAD_PEOPLE_KINDS)
    cols = _generate_people(draft, addresses, spec.people - n_dup + n_bad, as_of, rng)
    t = cols.table
    n = len(t)
    as_of_day = np.datetime64(as_of, "D")

    # bad rows: fresh ID-card holders taken out of the registry (their houses simply lose a resident)
    card = np.flatnonzero((np.array(t.id_type, dtype=object) == ID_CARD) & (cols.age >= 16))
    bad_idx = np.sort(rng.choice(card, size=n_bad, replace=False))
    keep = np.ones(n, dtype=bool)
    keep[bad_idx] = False
    bad_table: PeopleTable = t.take(bad_idx)
    bad_rows = _bad_people_rows(bad_table, as_of, rng)

    # duplicates of the remaining rows
    main_idx = np.flatnonzero(keep)
    card_main = np.flatnonzero(keep & (np.array(t.id_type, dtype=object) == ID_CARD) & (cols.age >= 16))
    originals = rng.choice(card_main, size=n_dup, replace=False)
    kinds = np.where(np.arange(n_dup) < (n_dup + 1) // 2, 0, 1)  # 0 same_id, 1 name_birth_address
    dup_table: PeopleTable = t.take(originals)
    used17 = set(cols.first17[cols.first17 > 0].tolist())
    n_houses = len(draft.use)
    residential = np.flatnonzero((draft.use == SELF) | (draft.use == RENTAL))
    py = _py(rng)
    new_phones = _phones(rng, n_dup)
    for k, (orig, kind) in enumerate(zip(originals.tolist(), kinds.tolist(), strict=True)):
        house = int(t.house[orig])
        if kind == 0:
            if py.random() < 0.5:  # moved; the old record was never removed
                house = int(residential[py.randrange(len(residential))])
                dup_table.residence_since[k] = as_of_day - py.randint(10, 300)
            if py.random() < 0.5:
                dup_table.phone[k] = new_phones[k]
        else:
            neighbour = house + (1 if py.random() < 0.5 else -1)
            if (
                0 <= neighbour < n_houses
                and draft.place[neighbour] == draft.place[house]
                and draft.use[neighbour] in (SELF, RENTAL)
                and py.random() < 0.7
            ):
                house = neighbour
            if py.random() < 0.5:
                dup_table.id_type[k] = ""
                dup_table.id_number[k] = ""
            else:
                dup_table.id_number[k] = _mistyped(int(cols.first17[orig]), used17, py)
            if py.random() < 0.4:
                dup_table.phone[k] = 0
        dup_table.house[k] = house
        dup_table.address_id[k] = addresses.id[draft.address_index[house]]
        dup_table.updated_on[k] = as_of_day - py.randint(0, 200)
        since = min(dup_table.residence_since[k], dup_table.updated_on[k])
        dup_table.residence_since[k] = max(since, dup_table.birth_date[k] + 1)
        if not np.isnat(dup_table.registered_on[k]):
            dup_table.registered_on[k] = dup_table.residence_since[k]
            if not np.isnat(dup_table.permit_expires[k]):
                reg = dup_table.registered_on[k]
                periods = max(1, math.ceil(int((as_of_day - reg).astype(np.int64)) / 365))
                dup_table.permit_expires[k] = reg + periods * 365

    # interleave the duplicates after their originals at random positions (rows of [t; dup_table])
    n_main = len(main_idx)
    main_pos = np.full(n, -1, dtype=np.int64)
    main_pos[main_idx] = np.arange(n_main)
    orig_pos = main_pos[originals]
    insert_at = np.array([py.randint(p + 1, n_main) for p in orig_pos.tolist()], dtype=np.int64)
    order = np.insert(main_idx, np.sort(insert_at), n + np.argsort(insert_at, kind="stable"))
    combined = PeopleTable.concat([t, dup_table])
    del t, dup_table, cols
    final: PeopleTable = combined.take(order)
    del combined
    where = np.empty(n + n_dup, dtype=np.int64)
    where[order] = np.arange(len(order))
    pairs = [
        DuplicatePair(
            final.key(int(where[orig])),
            final.key(int(where[n + k])),
            ("same_id", "name_birth_address")[int(kinds[k])],
        )
        for k, orig in enumerate(originals.tolist())
    ]
    return final, pairs, bad_table, bad_rows


def _mistyped(first17: int, used: set[int], py: random.Random) -> str:
    """A different valid number: one of the first two 顺序码 digits mistyped, check digit recomputed."""
    digits = f"{first17:017d}"
    for _ in range(100):
        pos = 14 + py.randrange(2)
        new = str((int(digits[pos]) + py.randint(1, 9)) % 10)
        candidate = int(digits[:pos] + new + digits[pos + 1 :])
        if candidate not in used:
            used.add(candidate)
            return id_numbers(np.array([candidate], dtype=np.int64))[0]
    return ""


def _bad_people_rows(bad: PeopleTable, as_of: dt.date, rng: np.random.Generator) -> list[BadRow]:
    rows: list[BadRow] = []
    for i in range(len(bad)):
        code, header = BAD_PEOPLE_KINDS[i // BAD_ROWS_PER_KIND]
        number = bad.id_number[i]
        ov: dict[str, str]
        if code == "check_digit":
            alternatives = [c for c in "0123456789X" if c != number[17]]
            ov = {header: number[:17] + alternatives[i % len(alternatives)]}
        elif code == "birth_date_future":
            year = as_of.year + 60 + i
            first17 = int(number[:6] + f"{year}0615" + number[14:17])
            ov = {header: id_numbers(np.array([first17], dtype=np.int64))[0], "出生日期": f"{year}-06-15"}
        elif code == "length":
            ov = {header: number[:17]}
        elif code == "required":
            ov = {header: ""}
        elif code == "birth_date_mismatch":
            birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            ov = {header: (birth + dt.timedelta(days=int(rng.integers(1, 300)))).isoformat()}
        elif code == "sex_mismatch":
            ov = {header: "女" if bad.sex[i] == "男" else "男"}
        elif code == "invalid_date":
            ov = {header: ("2023-02-30", "2021-13-01", "20220431", "去年")[i % 4]}
        elif code == "invalid_phone":
            ov = {header: ("1381234567", "138123456789", "138-1234-56789")[i % 3]}
        else:  # invalid_choice
            ov = {header: ("临时人员", "外地人", "其他")[i % 3]}
        rows.append(BadRow("people", make_key("XP", i, 5), i, header, code, ov))
    return rows


def _stale_keys(people: PeopleTable, as_of: dt.date) -> list[str]:
    limit = np.datetime64(as_of, "D") - STALE_AFTER_DAYS
    stale = (people.updated_on < limit) | (~np.isnat(people.permit_expires) & (people.permit_expires < limit))
    return [people.key(i) for i in np.flatnonzero(stale).tolist()]


# --------------------------------------------------------------------------------------------------
# Houses: finish (types, areas, owners, labels)
# --------------------------------------------------------------------------------------------------


def _finish_houses(
    draft: _HouseDraft, people: PeopleTable, pairs: list[DuplicatePair], as_of: dt.date, rng: np.random.Generator
) -> HouseTable:
    n = len(draft.use)
    cls = draft.leaf_class
    use = draft.use
    house_type = np.select(
        [use == BUSINESS, cls == APARTMENT, cls == UV_ROOM],
        ["商铺", "楼房", "自建房"],
        "平房",
    ).astype(object)
    area = np.select(
        [use == BUSINESS, cls == APARTMENT, cls == UV_ROOM, cls == VILLAGE_DOOR],
        [
            rng.lognormal(math.log(60), 0.6, n),
            rng.normal(105, 25, n),
            rng.uniform(12, 32, n),
            rng.uniform(90, 260, n),
        ],
        rng.uniform(60, 180, n),
    )
    area = np.round(np.clip(area, 10.0, 5000.0), 1)
    rooms = np.select(
        [use == BUSINESS, cls == APARTMENT, cls == UV_ROOM],
        [np.clip(np.round(area / 40), 1, 6), np.clip(np.round(area / 35), 1, 5), np.where(area > 26, 2, 1)],
        np.clip(np.round(area / 30), 2, 8),
    ).astype(np.int64)

    # owners: the eldest adult 户籍 (else any ID-card) resident of a self-occupied house; otherwise a random
    # adult 户籍 person of the county (a landlord living elsewhere)
    dup_keys = {p.duplicate for p in pairs}
    n_people = len(people)
    is_dup = np.zeros(n_people, dtype=bool)
    for key in dup_keys:
        is_dup[key_index(key)] = True
    age_days = (np.datetime64(as_of, "D") - people.birth_date).astype(np.int64)
    card = np.array(people.id_type, dtype=object) == ID_CARD
    adult = age_days > 365 * 18
    eligible = card & adult & ~is_dup
    idx = np.flatnonzero(eligible)
    not_huji = np.array(people.category, dtype=object)[idx] != CATEGORIES[HUJI]
    order = idx[np.lexsort((people.birth_date[idx], not_huji, people.house[idx]))]  # by house: 户籍 first, eldest
    eldest = np.full(n, -1, dtype=np.int64)
    h = people.house[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = h[1:] != h[:-1]
    eldest[h[first]] = order[first]
    huji = np.flatnonzero(eligible & (np.array(people.category, dtype=object) == CATEGORIES[HUJI]))
    owner = np.where((use == SELF) & (eldest >= 0), eldest, huji[rng.integers(0, len(huji), n)])
    owner_phone = people.phone[owner]
    owner_phone = np.where(owner_phone > 0, owner_phone, _phones(rng, n))

    # labels (出租屋门禁, 智感安防小区 from seed 002; 三户联防 from seed 001)
    labels: defaultdict[int, list[str]] = defaultdict(list)
    gate = (use == RENTAL) & (rng.uniform(0.0, 1.0, n) < np.where(cls == UV_ROOM, 0.4, 0.1))
    for i in np.flatnonzero(gate).tolist():
        labels[i].append("出租屋门禁")
    estates = np.unique(draft.place[cls == APARTMENT])
    smart = set(estates[rng.uniform(0.0, 1.0, len(estates)) < 0.3].tolist())
    for i in np.flatnonzero(cls == APARTMENT).tolist():
        if int(draft.place[i]) in smart:
            labels[i].append("智感安防小区")
    for i in np.flatnonzero((use == BUSINESS) & (rng.uniform(0.0, 1.0, n) < 0.06)).tolist():
        labels[i].append("三户联防")

    owner_list = owner.tolist()
    return HouseTable(
        address_id=draft.address_index + 1,
        use=[USES[u] for u in use.tolist()],
        house_type=house_type.tolist(),
        area_m2=area,
        rooms=rooms,
        owner_name=[people.name[o] for o in owner_list],
        owner_id_type=[ID_CARD] * n,
        owner_id_number=[people.id_number[o] for o in owner_list],
        owner_phone=[str(p) for p in owner_phone.tolist()],
        owner_person=owner.astype(np.int64),
        labels=_join_labels(labels, n),
        area_type=draft.area_type,
    )


def _group_rentals(houses: HouseTable, people: PeopleTable, pairs: list[DuplicatePair]) -> list[str]:
    is_dup = np.zeros(len(people), dtype=bool)
    for p in pairs:
        is_dup[key_index(p.duplicate)] = True
    residents = np.bincount(people.house[~is_dup], minlength=len(houses))
    rental = np.array(houses.use, dtype=object) == USES[RENTAL]
    crowded = rental & (residents > 0) & ((residents > 2 * houses.rooms) | (houses.area_m2 < 5.0 * residents))
    return [houses.key(i) for i in np.flatnonzero(crowded).tolist()]


BAD_HOUSE_KINDS = (("required", "房屋地址"), ("invalid_number", "建筑面积"), ("invalid_choice", "房屋用途"))


def _bad_house_rows(houses: HouseTable, rng: np.random.Generator) -> list[BadRow]:
    rows = []
    sources = rng.choice(len(houses), size=BAD_ROWS_PER_KIND * len(BAD_HOUSE_KINDS), replace=False)
    for i, src in enumerate(sources.tolist()):
        code, header = BAD_HOUSE_KINDS[i // BAD_ROWS_PER_KIND]
        if code == "required":
            ov = {"地址编码": "", "房屋地址": ""}
        elif code == "invalid_number":
            ov = {header: ("约120平方米", "-35", "一百")[i % 3]}
        else:
            ov = {header: ("其它", "群租房", "待定")[i % 3]}
        rows.append(BadRow("houses", make_key("XH", i, 5), src, header, code, ov))
    return rows


# --------------------------------------------------------------------------------------------------
# Establishments
# --------------------------------------------------------------------------------------------------

BAD_ESTABLISHMENT_KINDS = (
    ("check_code", "统一社会信用代码"),
    ("invalid_chars", "统一社会信用代码"),
    ("required", "单位名称"),
)

_KEY_TRADE_AREA_BOOST = {  # trade → weight multiplier in (城区, 城中村, 镇驻地, 农村)
    "旅馆": (1.5, 1.0, 1.0, 0.2),
    "网吧": (1.5, 1.5, 1.0, 0.2),
    "娱乐场所": (1.5, 1.0, 0.8, 0.1),
    "废旧金属收购": (0.3, 1.0, 1.5, 3.0),
    "机动车维修": (0.8, 1.0, 1.5, 2.0),
    "在建工地": (1.5, 1.2, 1.0, 0.3),  # new estates in town, fewer in the villages
}
_STAFF = {
    "企业": (2.5, 1.0, 3, 800),
    "个体工商户": (0.8, 0.5, 1, 8),
    "农民专业合作社": (2.3, 0.5, 5, 60),
    "机关": (3.0, 0.4, 8, 80),
    "事业单位": (3.3, 0.8, 8, 400),
    "社会组织": (2.0, 0.6, 2, 50),
}
_KEY_STAFF = {
    "旅馆": (6, 40),
    "网吧": (2, 10),
    "娱乐场所": (5, 40),
    "典当": (3, 10),
    "开锁": (1, 3),
    "废旧金属收购": (2, 12),
    "寄递物流": (3, 60),
    "机动车维修": (2, 25),
    "公章刻制": (1, 5),
    "在建工地": (20, 300),
}


def _build_establishments(
    draft: _HouseDraft,
    houses: HouseTable,
    addresses: AddressTable,
    people: PeopleTable,
    pairs: list[DuplicatePair],
    spec: SizeSpec,
    as_of: dt.date,
    rng: np.random.Generator,
) -> tuple[EstablishmentTable, list[DuplicatePair], EstablishmentTable, list[BadRow]]:
    _, n_dup, n_bad = _n_est(spec)
    business = draft.business
    n = len(business)
    area_idx = np.array([AREA_TYPES.index(draft.area_type[h]) for h in business.tolist()], dtype=np.int64)

    # categories and key trades
    cat_names = [c for c, _, _ in N.UNIT_CATEGORIES]
    cat_w = np.array([w for _, _, w in N.UNIT_CATEGORIES])
    category = rng.choice(len(cat_names), size=n, p=cat_w / cat_w.sum())
    is_key = rng.uniform(0.0, 1.0, n) < KEY_TRADE_SHARE
    if n and not is_key.any():
        is_key[0] = True
    trade_base = np.array([t[3] for t in N.KEY_TRADES])
    key_trade = np.full(n, -1, dtype=np.int64)
    for a in range(len(AREA_TYPES)):
        sel = np.flatnonzero(is_key & (area_idx == a))
        boost = np.array([_KEY_TRADE_AREA_BOOST.get(t[0], (1, 1, 1, 1))[a] for t in N.KEY_TRADES])
        w = trade_base * boost
        key_trade[sel] = rng.choice(len(w), size=len(sel), p=w / w.sum())
    firm_only = np.isin(key_trade, [KEY_TRADES.index(t) for t in ("典当", "寄递物流", "在建工地")])
    category[is_key] = np.where(firm_only[is_key] | (rng.uniform(0.0, 1.0, int(is_key.sum())) < 0.4), 0, 1)
    py = _py(rng)

    # who: legal representative / security contact from the adult ID-card holders (not duplicates)
    is_dup = np.zeros(len(people), dtype=bool)
    for p in pairs:
        is_dup[key_index(p.duplicate)] = True
    age_days = (np.datetime64(as_of, "D") - people.birth_date).astype(np.int64)
    adults = np.flatnonzero(
        (np.array(people.id_type, dtype=object) == ID_CARD) & (age_days > 365 * 25) & (age_days < 365 * 66) & ~is_dup
    )
    rep = adults[rng.integers(0, len(adults), n)]
    sec = np.where((category == 1) & (rng.uniform(0.0, 1.0, n) < 0.6), rep, adults[rng.integers(0, len(adults), n)])
    sec_phone = np.where(people.phone[sec] > 0, people.phone[sec], _phones(rng, n))

    names: list[str] = []
    industries: list[str] = []
    trades: list[str] = []
    codes: list[str] = []
    staff = np.zeros(n, dtype=np.int64)
    used_names: set[str] = set()
    used_codes: set[str] = set()
    for i, (c, kt, h) in enumerate(zip(category.tolist(), key_trade.tolist(), business.tolist(), strict=True)):
        cat = cat_names[c]
        parts = addresses.parts[int(draft.address_index[h])]
        if kt >= 0:
            trade, industry, words, _ = N.KEY_TRADES[kt]
            lo, hi = _KEY_STAFF[trade]
            staff[i] = py.randint(lo, hi)
        else:
            trade = ""
            industry, words = py.choice(N.ORDINARY_TRADES[cat])
            mu, sigma, lo, hi = _STAFF[cat]
            staff[i] = min(hi, max(lo, round(py.lognormvariate(mu, sigma))))
        names.append(_unit_name(py, cat, trade, words, parts, used_names))
        industries.append(industry)
        trades.append(trade)
        codes.append(_new_uscc(py, cat, used_codes))

    # house use: units, schools, co-operatives … use 单位用房; shops and venues 经营
    office = np.isin(category, [2, 3, 4, 5]) | ((category == 0) & (key_trade < 0) & (rng.uniform(0.0, 1.0, n) < 0.6))
    for i in np.flatnonzero(office).tolist():
        h = int(business[i])
        houses.use[h] = USES[UNIT_USE]
        factory = industries[i] == "制造业"
        houses.house_type[h] = "厂房" if factory else "办公用房"
        houses.area_m2[h] = round(float(rng.uniform(300, 5000) if factory else rng.uniform(80, 1500)), 1)
        houses.rooms[h] = int(np.clip(houses.area_m2[h] // 40, 2, 60))

    table = EstablishmentTable(
        name=names,
        uscc=codes,
        category=[cat_names[c] for c in category.tolist()],
        industry=industries,
        key_trade=trades,
        address_id=houses.address_id[business],
        house=business.copy(),
        legal_rep_name=[people.name[r] for r in rep.tolist()],
        legal_rep_id_number=[people.id_number[r] for r in rep.tolist()],
        legal_rep_person=rep.astype(np.int64),
        security_name=[people.name[s] for s in sec.tolist()],
        security_phone=[str(p) for p in sec_phone.tolist()],
        staff=staff,
    )

    # bad rows: fresh units taken out
    bad_idx = np.sort(rng.choice(n, size=n_bad, replace=False))
    keep = np.ones(n, dtype=bool)
    keep[bad_idx] = False
    bad_table: EstablishmentTable = table.take(bad_idx)
    bad_rows = []
    for i in range(n_bad):
        code, header = BAD_ESTABLISHMENT_KINDS[i // BAD_ROWS_PER_KIND]
        good = bad_table.uscc[i]
        if code == "check_code":
            wrong = next(c for c in "0123456789ABCDEFGH" if c != good[17])
            ov = {header: good[:17] + wrong}
        elif code == "invalid_chars":
            ov = {header: good[:10] + "O" + good[11:17] + "I"}
        else:
            ov = {header: ""}
        bad_rows.append(BadRow("establishments", make_key("XE", i, 5), i, header, code, ov))

    # duplicates: similar name at the same address
    main_idx = np.flatnonzero(keep)
    originals = rng.choice(len(main_idx), size=n_dup, replace=False)
    main: EstablishmentTable = table.take(main_idx)
    dup: EstablishmentTable = main.take(originals)
    kinds = []
    for k in range(n_dup):
        dup.name[k] = _name_variant(py, dup.name[k], used_names)
        if k % 2:
            dup.uscc[k] = ""
            kinds.append("missing_uscc")
        else:
            kinds.append("same_uscc")
        if py.random() < 0.5:
            s = int(adults[py.randrange(len(adults))])
            dup.security_name[k] = people.name[s]
            dup.security_phone[k] = str(people.phone[s] or _phones(rng, 1)[0])
        dup.staff[k] = max(1, int(dup.staff[k]) + py.randint(-2, 2))
    combined: EstablishmentTable = EstablishmentTable.concat([main, dup])
    n_main = len(main)
    insert_at = np.array([py.randint(p + 1, n_main) for p in originals.tolist()], dtype=np.int64)
    order = np.insert(np.arange(n_main), np.sort(insert_at), n_main + np.argsort(insert_at, kind="stable"))
    final: EstablishmentTable = combined.take(order)
    where = np.empty(len(order), dtype=np.int64)
    where[order] = np.arange(len(order))
    est_pairs = [
        DuplicatePair(final.key(int(where[int(originals[k])])), final.key(int(where[n_main + k])), kinds[k])
        for k in range(n_dup)
    ]
    return final, est_pairs, bad_table, bad_rows


def _owners_of_unit_houses(houses: HouseTable, est: EstablishmentTable) -> None:
    """A 单位用房 belongs to the unit in it: owner = unit name and USCC."""
    seen: set[int] = set()
    for i in range(len(est)):
        h = int(est.house[i])
        if h in seen or houses.use[h] != USES[UNIT_USE] or not est.uscc[i]:
            continue
        seen.add(h)
        houses.owner_name[h] = est.name[i]
        houses.owner_id_type[h] = "统一社会信用代码"
        houses.owner_id_number[h] = est.uscc[i]
        houses.owner_phone[h] = est.security_phone[i]
        houses.owner_person[h] = -1


def _short_township(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _unit_name(
    py: random.Random, cat: str, trade: str, words: tuple[str, ...], parts: AddressParts, used: set[str]
) -> str:
    town = _short_township(parts.township)
    community = parts.community
    for attempt in range(12):
        firm = py.choice(N.FIRM_WORDS)
        word = py.choice(words)
        if attempt >= 6:
            firm = firm + py.choice(N.FIRM_WORDS)[0]
        r = py.random()
        prefix = "临朐县" if r < 0.5 else "临朐" if r < 0.8 else ""
        if trade:
            name = f"{prefix}{firm}{word}"
        elif cat == "企业":
            name = f"{py.choice(('临朐', '山东', '潍坊', '临朐县'))}{firm}{word}"
        elif cat == "个体工商户":
            name = f"临朐县{town}{firm}{word}"
        elif cat == "农民专业合作社":
            name = f"临朐县{community.removesuffix('村')}{word}" if attempt == 0 else f"临朐县{firm}{word}"
        elif cat == "机关":
            name = f"{parts.township}{word}" if attempt == 0 else f"{parts.township}{community}{word}"
        elif cat == "事业单位":
            stem = community.removesuffix("社区").removesuffix("村")
            name = f"临朐县{stem}{word}" if attempt < 2 else f"临朐县{town}{stem}{firm}{word}"
        else:
            name = f"临朐县{firm}{word}"
        if name not in used:
            used.add(name)
            return name
    name = f"{name}{len(used)}"
    used.add(name)
    return name


def _name_variant(py: random.Random, name: str, used: set[str]) -> str:
    """A similar name for the same unit, as a second officer would type it."""
    options = []
    if name.startswith("临朐县"):
        options += ["临朐" + name[3:], name[3:], name[3:] + "（临朐）"]
    elif name.startswith("临朐"):
        options += ["临朐县" + name[2:], name[2:]]
    else:
        options += ["临朐县" + name, "临朐" + name]
    if name.endswith("有限公司"):
        options += [name[:-4] + "公司", name[:-4]]
    options = [o for o in options if o and o != name]
    choice = py.choice(options)
    used.add(choice)
    return choice


_USCC_PREFIX = {c: p for c, p, _ in N.UNIT_CATEGORIES}


def _new_uscc(py: random.Random, cat: str, used: set[str]) -> str:
    prefix = _USCC_PREFIX[cat]
    region = "370700" if cat == "企业" and py.random() < 0.15 else COUNTY_CODE
    while True:
        if prefix[0] == "9":
            body = "MA" + "".join(py.choices(USCC_BODY_ALPHABET, k=6))
        else:
            body = "".join(py.choices("0123456789", k=8))
        code = uscc(prefix, region, body)
        if code not in used:
            used.add(code)
            return code


# --------------------------------------------------------------------------------------------------
# Dirty address texts
# --------------------------------------------------------------------------------------------------


def _plant_dirty(
    people: PeopleTable,
    addresses: AddressTable,
    truth: Truth,
    seed: int,
    rng: np.random.Generator,
    dirty_variant: DirtyVariant | None,
) -> DirtyPlan:
    plan = DirtyPlan(u=rng.uniform(0.0, 1.0, len(people)).astype(np.float64))
    source = "injected"
    if dirty_variant is None:
        try:
            from zhufang.registry.addressing.dirty import dirty_variant as imported
        except ImportError:
            warnings.warn(
                "zhufang.registry.addressing.dirty is not available: no dirty addresses planted",
                RuntimeWarning,
                stacklevel=3,
            )
            return plan
        # known_streets keeps a planted typo from spelling another real street
        dirty_variant = functools.partial(imported, known_streets=frozenset(p.street for p in addresses.parts))
        source = "zhufang.registry.addressing.dirty.dirty_variant"
    plan.source = source
    py_rng = random.Random(seed * 7919 + 11)  # noqa: S311 - demo data, not security
    taken: dict[str, int] = dict(zip(addresses.text, addresses.id.tolist(), strict=True))
    rows = np.flatnonzero(plan.u < plan.max_share)
    for i in rows.tolist():
        address_id = int(people.address_id[i])
        parts = addresses.parts[address_id - 1]
        for _attempt in range(3):
            text, kind = dirty_variant(parts, py_rng)
            if "missing_community" in kind and not parts.street:
                continue  # "冶源镇128号": every village of the township has a 128号
            owner = taken.get(text)
            if owner is None or (owner == address_id and text != addresses.text[address_id - 1]):
                taken[text] = address_id
                plan.text[i] = text
                plan.kind[i] = kind
                truth.dirty_addresses[text] = address_id
                break
    return plan
