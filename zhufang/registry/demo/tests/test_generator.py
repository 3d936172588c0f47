"""The registry demo generator: determinism, sizes, valid codes, geometry, planted problems."""

from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter

import numpy as np
import pytest
import shapely
from rapidfuzz import fuzz

from zhufang.privacy.validators import (
    IdNumberError,
    UsccError,
    check_id_number,
    check_uscc,
    id_check_digit,
    uscc_check_code,
)
from zhufang.registry.addressing.structure import AddressParts
from zhufang.registry.demo import codes
from zhufang.registry.demo.generator import (
    CATEGORIES,
    CONFLICT_SHARE,
    DUPLICATE_ESTABLISHMENT_SHARE,
    DUPLICATE_PEOPLE_SHARE,
    KEY_TRADE_SHARE,
    KEY_TRADES,
    SIZES,
    STALE_AFTER_DAYS,
    STALE_SHARE,
    USES,
    Registry,
    generate_registry,
)
from zhufang.registry.demo.tables import Address, Establishment, House, Person

from .helpers import AS_OF, registry

pytestmark = pytest.mark.sqlite


def within(value: float, expected: float, rel: float) -> bool:
    return abs(value - expected) <= rel * expected


def fingerprint(r: Registry) -> tuple[object, ...]:
    a, h, p, e = r.addresses, r.houses, r.people, r.establishments
    return (
        a.text,
        a.lon.tobytes(),
        a.lat.tobytes(),
        a.recorded_station_code,
        h.use,
        h.area_m2.tobytes(),
        h.owner_id_number,
        p.name,
        p.id_number,
        p.phone.tobytes(),
        p.birth_date.tobytes(),
        p.updated_on.tobytes(),
        p.house.tobytes(),
        p.labels,
        e.name,
        e.uscc,
        sorted(r.dirty.text.items()),
        r.truth.duplicate_people,
        r.truth.duplicate_establishments,
        r.truth.stale_people,
        r.truth.conflict_address_ids,
        sorted(r.truth.dirty_addresses.items()),
        r.truth.bad_rows,
    )


# --------------------------------------------------------------------------------------------------
# Determinism and sizes
# --------------------------------------------------------------------------------------------------


def test_same_seed_same_registry() -> None:
    again = generate_registry("small", 2026, as_of=AS_OF)
    assert fingerprint(again) == fingerprint(registry("small"))


def test_other_seed_other_registry() -> None:
    other = generate_registry("small", 7, as_of=AS_OF)
    assert other.people.name != registry("small").people.name
    assert other.addresses.text != registry("small").addresses.text


def test_small_counts_within_ten_percent() -> None:
    r = registry("small")
    spec = SIZES["small"]
    assert within(len(r.people), spec.people, 0.10)
    assert within(len(r.houses), spec.houses, 0.10)
    assert within(len(r.establishments), spec.establishments, 0.10)
    assert len(r.jurisdiction.grids) == 40
    assert len(r.addresses) >= len(r.houses)


def test_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown size"):
        generate_registry("huge")


def test_rows_are_views_with_the_documented_fields() -> None:
    r = registry("small")
    assert isinstance(r.addresses[0], Address)
    assert isinstance(r.houses[-1], House)
    assert isinstance(r.people[5], Person)
    assert isinstance(r.establishments[3], Establishment)
    assert r.people[0].key == "P0000001"
    assert r.houses[0].key == "H0000001"
    assert r.establishments[0].key == "E000001"
    assert r.addresses.by_id(7).id == 7
    with pytest.raises(IndexError):
        r.people[len(r.people)]


def test_nothing_about_ethnicity_religion_or_politics_is_kept() -> None:
    banned = re.compile(r"ethnic|nation_?ality_group|religio|politic|民族|宗教|政治")
    for row_type in (Address, House, Person, Establishment):
        for f in dataclasses.fields(row_type):
            assert not banned.search(f.name), f.name
    r = registry("small")
    assert not any("族" in x or "教" in x for x in r.people.labels)


# --------------------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------------------


def test_vectorised_check_characters_agree_with_the_validators() -> None:
    rng = np.random.default_rng(3)
    first17 = rng.integers(10**16, 10**17, 2000)
    numbers = codes.id_numbers(first17)
    for v, number in zip(first17.tolist(), numbers, strict=True):
        assert number == f"{v:017d}" + id_check_digit(f"{v:017d}")
    org = codes.org_code("MA3C1234")
    assert len(org) == 9
    full = codes.uscc("91", "370724", "MA3C1234")
    assert full[:17] == "91370724" + org and full[17] == uscc_check_code(full[:17])


def test_every_id_number_is_valid_and_agrees_with_sex_and_birth_date() -> None:
    r = registry("small")
    p = r.people
    seen: Counter[str] = Counter()
    for person in p:
        if person.id_type == "居民身份证" and person.id_number:
            info = check_id_number(person.id_number)
            assert info.birth_date == person.birth_date
            assert ("男" if info.sex == "male" else "女") == person.sex
            seen[person.id_number] += 1
        elif person.id_type == "护照":
            assert person.category == "境外人员"
            assert re.fullmatch(r"[A-Z0-9]{7,10}", person.id_number)
            assert person.nationality != "中国"
        else:
            assert person.id_type == "" and person.id_number == ""
    # an ID number appears twice only for the planted same_id duplicates
    same_id = [d for d in r.truth.duplicate_people if d.kind == "same_id"]
    assert sum(c - 1 for c in seen.values()) == len(same_id)
    for kind, number in zip(r.houses.owner_id_type, r.houses.owner_id_number, strict=True):
        if kind == "居民身份证":  # owners of 单位用房 carry a USCC
            check_id_number(number)
    for number in r.establishments.legal_rep_id_number:
        check_id_number(number)


def test_region_codes_are_mostly_the_home_county() -> None:
    p = registry("small").people
    regions = Counter(n[:6] for n, t in zip(p.id_number, p.id_type, strict=True) if t == "居民身份证")
    share = regions["370724"] / sum(regions.values())
    assert 0.6 < share < 0.95
    assert len(regions) > 10  # 流动人口 from elsewhere in Shandong and other provinces


def test_every_uscc_is_valid_and_unique() -> None:
    r = registry("small")
    codes_seen = [c for c in r.establishments.uscc if c]
    for code in codes_seen:
        assert check_uscc(code) == code
    same = [d for d in r.truth.duplicate_establishments if d.kind == "same_uscc"]
    assert len(codes_seen) - len(set(codes_seen)) == len(same)
    for t, number in zip(r.houses.owner_id_type, r.houses.owner_id_number, strict=True):
        if t == "统一社会信用代码":
            check_uscc(number)


def test_phones_are_eleven_digit_mobiles_and_children_have_none() -> None:
    p = registry("small").people
    for person in p:
        if person.phone:
            assert re.fullmatch(r"1[3-9]\d{9}", person.phone)
        age = (AS_OF - person.birth_date).days / 365.2425
        if age < 14:
            assert person.phone == ""


# --------------------------------------------------------------------------------------------------
# Addresses and geometry
# --------------------------------------------------------------------------------------------------


def test_every_point_lies_inside_its_grid_and_township() -> None:
    r = registry("small")
    a = r.addresses
    grids = {g.code: g.polygon for g in r.jurisdiction.grids}
    towns = {t.code: t.polygon for t in r.jurisdiction.townships}
    grid_geoms = np.array([grids[c] for c in a.grid_code], dtype=object)
    town_geoms = np.array([towns[c] for c in a.township_code], dtype=object)
    assert shapely.contains_xy(grid_geoms, a.lon, a.lat).all()
    assert shapely.contains_xy(town_geoms, a.lon, a.lat).all()
    assert np.array_equal(a.lon, np.round(a.lon, 6))  # written to CSV with 6 decimals, exactly


def test_station_codes_follow_the_grid_tree() -> None:
    r = registry("small")
    district_station = {d.code: d.parent_code for d in r.jurisdiction.districts}
    grid_district = {g.code: str(g.parent_code) for g in r.jurisdiction.grids}
    for address in r.addresses:
        assert address.station_code == district_station[grid_district[address.grid_code]]


def test_address_structure_and_codes() -> None:
    r = registry("small")
    townships = {t.code: t.name for t in r.jurisdiction.townships}
    a = r.addresses
    assert len(set(a.code)) == len(a)
    assert len(set(a.text)) == len(a)
    for address in a:
        p = address.parts
        assert address.text == p.display()
        assert p.county == "临朐县"
        assert p.township == townships[address.township_code]
        assert address.admin_code.startswith(address.township_code) and len(address.admin_code) == 12
        assert address.code.startswith(address.admin_code) and len(address.code) == 20
        village = int(address.admin_code[-3:]) >= 200
        assert village == p.community.endswith("村")
        if address.level == "户室":
            assert p.room and address.parent_id
            parent = a.by_id(address.parent_id)
            assert parent.level in ("门楼牌", "楼栋")
            assert parent.parts.street == p.street
        elif address.level == "楼栋":
            assert p.building and not p.room
        else:
            assert p.house_number and not p.room
        if address.area_type == "农村":
            assert p.street == "" and p.community.endswith("村")
    kinds = Counter(a.area_type)
    assert kinds["城区"] and kinds["城中村"] and kinds["农村"]
    streets = {p.street for p in a.parts}
    assert any(s.endswith("路") for s in streets) and any(s.endswith("巷") for s in streets)
    assert any(s.endswith(("花园", "家园", "小区", "苑", "嘉园", "华庭")) for s in streets)


# --------------------------------------------------------------------------------------------------
# Houses, people, establishments
# --------------------------------------------------------------------------------------------------


def test_one_house_per_leaf_address() -> None:
    r = registry("small")
    a = r.addresses
    parents = set(a.parent_id[a.parent_id > 0].tolist())
    leaves = [i for i in a.id.tolist() if i not in parents and a.level[i - 1] != "楼栋"]
    assert sorted(r.houses.address_id.tolist()) == leaves
    assert set(r.houses.use) <= set(USES)


def test_rentals_are_dense_in_urban_villages() -> None:
    h = registry("small").houses
    uses = np.array(h.use, dtype=object)
    area = np.array(h.area_type, dtype=object)
    rent = uses == "出租"
    assert rent[area == "城中村"].mean() > 0.6
    assert rent[area != "城中村"].mean() < 0.3


def test_people_live_in_lived_in_houses_with_consistent_addresses() -> None:
    r = registry("small")
    p = r.people
    uses = np.array(r.houses.use, dtype=object)[p.house]
    assert not (uses == "空置").any()
    assert np.array_equal(r.houses.address_id[p.house], p.address_id)
    shares = Counter(p.category)
    n = len(p)
    assert set(shares) <= set(CATEGORIES)
    assert shares["户籍人口"] / n > 0.6
    assert 0.05 < shares["流动人口"] / n < 0.35
    assert shares["境外人员"] >= 1
    assert all(d <= AS_OF for d in [*map(lambda x: x.item(), p.birth_date), *map(lambda x: x.item(), p.updated_on)])
    migrants = [x for x in p if x.category == "流动人口"]
    assert all(x.registered_on and x.permit_expires for x in migrants)
    locals_ = [x for x in p if x.category == "户籍人口"]
    assert all(x.permit_expires is None for x in locals_)


def test_house_owners_are_people_or_units() -> None:
    r = registry("small")
    h = r.houses
    for house in h:
        if house.owner_person is None:
            assert house.use == "单位用房" and house.owner_id_type == "统一社会信用代码"
            assert house.owner_name in r.establishments.name
        else:
            assert r.people.name[house.owner_person] == house.owner_name
            assert r.people.id_number[house.owner_person] == house.owner_id_number
        assert house.area_m2 > 0 and house.rooms >= 1


def test_establishments_sit_in_business_houses_and_key_trades_are_about_fifteen_percent() -> None:
    r = registry("demo")
    e = r.establishments
    uses = np.array(r.houses.use, dtype=object)[e.house]
    assert set(uses.tolist()) <= {"经营", "单位用房"}
    assert np.array_equal(r.houses.address_id[e.house], e.address_id)
    key = [t for t in e.key_trade if t]
    assert within(len(key) / len(e), KEY_TRADE_SHARE, 0.5)
    assert set(key) <= set(KEY_TRADES)
    assert len(set(key)) == len(KEY_TRADES)
    assert all(s >= 1 for s in e.staff.tolist())
    for i in range(0, len(e), 97):
        check_id_number(e.legal_rep_id_number[i])
        assert re.fullmatch(r"1[3-9]\d{9}", e.security_phone[i])


def test_demo_size_counts() -> None:
    r = registry("demo")
    spec = SIZES["demo"]
    assert within(len(r.people), spec.people, 0.10)
    assert within(len(r.houses), spec.houses, 0.10)
    assert within(len(r.establishments), spec.establishments, 0.10)
    assert len(r.jurisdiction.grids) == 1636


# --------------------------------------------------------------------------------------------------
# Planted problems
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["small", "demo"])
def test_planted_duplicate_people(size: str) -> None:
    r = registry(size)
    p = r.people
    pairs = r.truth.duplicate_people
    assert within(len(pairs), DUPLICATE_PEOPLE_SHARE * len(p), 0.5)
    kinds = Counter(d.kind for d in pairs)
    assert kinds["same_id"] and kinds["name_birth_address"]
    place_of = {i + 1: (t.township, t.community, t.street) for i, t in enumerate(r.addresses.parts)}
    for d in pairs:
        a, b = p[int(d.original[1:]) - 1], p[int(d.duplicate[1:]) - 1]
        assert a.key < b.key  # the re-entry comes later in the file
        assert a.name == b.name and a.birth_date == b.birth_date and a.sex == b.sex
        if d.kind == "same_id":
            assert a.id_number == b.id_number != ""
        else:
            assert a.id_number != b.id_number
            if b.id_number:  # mistyped, but still a valid number
                check_id_number(b.id_number)
                assert sum(x != y for x, y in zip(a.id_number, b.id_number, strict=True)) <= 2
            assert place_of[a.address_id] == place_of[b.address_id]


@pytest.mark.parametrize("size", ["small", "demo"])
def test_planted_duplicate_establishments(size: str) -> None:
    r = registry(size)
    e = r.establishments
    pairs = r.truth.duplicate_establishments
    assert len(pairs) == max(2, round(DUPLICATE_ESTABLISHMENT_SHARE * SIZES[size].establishments))
    for d in pairs:
        a, b = e[int(d.original[1:]) - 1], e[int(d.duplicate[1:]) - 1]
        assert a.address_id == b.address_id and a.name != b.name
        assert fuzz.partial_ratio(a.name, b.name) >= 70
        assert b.uscc == (a.uscc if d.kind == "same_uscc" else "")


@pytest.mark.parametrize("size", ["small", "demo"])
def test_planted_stale_people_match_the_rule_exactly(size: str) -> None:
    r = registry(size)
    p = r.people
    limit = np.datetime64(AS_OF, "D") - STALE_AFTER_DAYS
    stale = (p.updated_on < limit) | (~np.isnat(p.permit_expires) & (p.permit_expires < limit))
    assert r.truth.stale_people == [p.key(i) for i in np.flatnonzero(stale).tolist()]
    assert within(len(r.truth.stale_people), STALE_SHARE * len(p), 0.5)
    fresh = ~stale
    assert (p.updated_on[fresh] >= np.datetime64(AS_OF, "D") - 330).all()


@pytest.mark.parametrize("size", ["small", "demo"])
def test_planted_jurisdiction_conflicts(size: str) -> None:
    r = registry(size)
    a = r.addresses
    conflicts = [i + 1 for i in range(len(a)) if a.station_code[i] != a.recorded_station_code[i]]
    assert r.truth.conflict_address_ids == conflicts
    assert within(len(conflicts), CONFLICT_SHARE * len(a), 0.5)
    stations = {s.code: s.polygon for s in r.jurisdiction.stations}
    grids = {g.code: g.polygon for g in r.jurisdiction.grids}
    for address_id in conflicts[:: max(1, len(conflicts) // 50)]:
        row = a.by_id(address_id)
        # the recorded station is a neighbour: it borders the address's grid
        assert shapely.intersects(stations[row.recorded_station_code], grids[row.grid_code])
    assert "东庄村" in r.truth.named_conflict_villages
    for name, ids in r.truth.named_conflict_villages.items():
        assert ids and set(ids) <= set(conflicts)
        assert {a.parts[i - 1].community for i in ids} == {name}


def test_seed_004_village_is_recorded_under_nanguan_where_chengli_polices_it() -> None:
    r = registry("demo")
    ids = r.truth.named_conflict_villages["东庄村"]
    row = r.addresses.by_id(ids[0])
    assert row.station_code == "370724040000"  # 城里派出所
    assert row.recorded_station_code == "370724020000"  # 南关派出所
    assert "西坦村" in r.truth.named_conflict_villages


@pytest.mark.parametrize("size", ["small", "demo"])
def test_planted_dirty_addresses(size: str) -> None:
    r = registry(size)
    a = r.addresses
    plan = r.dirty
    assert plan.source.endswith("dirty_variant")
    clean = set(a.text)
    rows = plan.rows(0.2)
    assert within(len(rows), 0.2 * len(r.people), 0.5)
    for i, text in rows.items():
        address_id = int(r.people.address_id[i])
        assert text not in clean
        assert r.truth.dirty_addresses[text] == address_id
    assert set(r.truth.dirty_addresses) == set(plan.text.values())
    assert len(plan.rows(0.3)) >= len(rows)
    with pytest.raises(ValueError, match="exceeds"):
        plan.rows(0.5)


def test_an_injected_dirty_variant_is_used_and_collisions_are_not_planted() -> None:
    def drop_county(parts: AddressParts, rng: random.Random) -> tuple[str, str]:
        if rng.random() < 0.5:
            return parts.display(), "unchanged"  # equals the clean text: never planted
        return parts.display().removeprefix(parts.county), "missing_county"

    r = generate_registry("small", 11, as_of=AS_OF, dirty_variant=drop_county)
    assert r.dirty.source == "injected"
    assert r.dirty.kind and set(r.dirty.kind.values()) == {"missing_county"}
    for text, address_id in r.truth.dirty_addresses.items():
        assert "临朐县" + text == r.addresses.text[address_id - 1]


def test_bad_rows_break_exactly_what_they_say() -> None:
    r = registry("small")
    bad = r.truth.bad_rows
    assert {b.table for b in bad} == {"people", "houses", "establishments"}
    assert len({b.key for b in bad}) == len(bad)
    for b in bad:
        assert b.field in b.overrides
        if b.table == "people" and b.field == "证件号码":
            with pytest.raises(IdNumberError) as err:
                check_id_number(b.overrides[b.field])
            assert err.value.code == b.code
        if b.table == "establishments" and b.field == "统一社会信用代码":
            with pytest.raises(UsccError) as err2:
                check_uscc(b.overrides[b.field])
            assert err2.value.code == b.code
    # the bad people are not in the registry
    assert not set(r.bad_people.id_number) & set(r.people.id_number)


def test_group_rental_truth_follows_the_default_rule() -> None:
    r = registry("demo")
    keys = set(r.truth.group_rental_houses)
    assert keys
    for key in list(keys)[:50]:
        house = r.houses[int(key[1:]) - 1]
        assert house.use == "出租"


# --------------------------------------------------------------------------------------------------
# County scale (opt-in: about 20 s and 1.2 GB)
# --------------------------------------------------------------------------------------------------


def test_county_size_counts() -> None:
    r = generate_registry("county", 2026, as_of=AS_OF)
    spec = SIZES["county"]
    assert within(len(r.people), spec.people, 0.10)
    assert within(len(r.houses), spec.houses, 0.10)
    assert within(len(r.establishments), spec.establishments, 0.10)
    assert within(len(r.truth.conflict_address_ids), CONFLICT_SHARE * len(r.addresses), 0.5)
