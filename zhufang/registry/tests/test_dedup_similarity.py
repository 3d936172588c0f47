"""What counts as similar for de-duplication: neighbouring residences on the structured address levels,
and unit names once region prefixes and legal forms are set aside — checked on hand-made cases and on
the demo generator's 40 planted establishment pairs (and on the different units of each township)."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from zhufang.registry.dedup.similarity import (
    NAME_THRESHOLD,
    NEIGHBOURING_DOOR,
    SAME_DOOR,
    SAME_HOUSE,
    Residence,
    address_closeness,
    core_similarity,
    name_core,
    name_similarity,
)
from zhufang.registry.demo.tables import key_index
from zhufang.registry.demo.tests.helpers import registry

pytestmark = pytest.mark.sqlite


def home(pk: int, street: str = "兴隆路", door: str = "", building: str = "", community: str = "民主社区") -> Residence:
    return Residence(pk, "城关街道", community, street, door, building)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (home(1, door="18"), home(1, door="18"), SAME_HOUSE),
        (home(1, door="18"), home(2, door="18"), SAME_DOOR),  # another room behind door 18
        (home(1, door="18"), home(2, door="20"), NEIGHBOURING_DOOR),  # odd / even sides of a road
        (home(1, door="18"), home(2, door="19"), NEIGHBOURING_DOOR),
        (home(1, door="18"), home(2, door="21"), None),
        (home(1, door="18"), home(2, "兴隆东路", door="18"), None),  # another road
        (home(1, "阳光花园", building="3"), home(2, "阳光花园", building="4"), NEIGHBOURING_DOOR),
        (home(1, "阳光花园", building="3"), home(2, "阳光花园", building="3"), SAME_DOOR),
        (home(1, "阳光花园", building="3"), home(2, "阳光花园", door="3"), None),  # a building is not a door
        (home(1, "", door="12", community="王家庄村"), home(2, "", door="11", community="王家庄村"), NEIGHBOURING_DOOR),
        (home(1, "", door="12", community="王家庄村"), home(2, "", door="12", community="李家庄村"), None),
        (home(1, door="东"), home(2, door="西"), None),  # unnumbered doors are never neighbours
    ],
)
def test_address_closeness(a: Residence, b: Residence, expected: str | None) -> None:
    assert address_closeness(a, b) == expected
    assert address_closeness(b, a) == expected


def test_name_cores_drop_regions_brackets_and_legal_forms() -> None:
    assert name_core("临朐县鑫源宾馆", ("临朐县",)) == name_core("临朐鑫源宾馆", ("临朐县",)) == "鑫源宾馆"
    assert name_core("蒋峪众鑫种子站（临朐）", ("临朐县",)) == "蒋峪众鑫种子站"
    assert name_core("山东广源建设有限公司", ("临朐县",)) == name_core("山东省广源建设公司", ("临朐县",)) == "广源建设"
    assert name_core("鑫源宾馆（东门店）", ("临朐县",)) == "鑫源宾馆(东门店)"  # a bracketed branch is kept
    assert name_core("临朐县", ("临朐县",)) == "临朐县"  # nothing left to strip to


def test_similar_and_different_unit_names() -> None:
    assert name_similarity("临朐县鑫源宾馆", "临朐鑫源宾馆", ("临朐县",)) == 1.0
    assert name_similarity("城关金诚五金店", "金诚五金店", ("临朐县",)) == 0.9  # a qualifier only one officer typed
    assert name_similarity("临朐县柳山圣源烟酒店", "临朐县柳山福源烟酒店", ("临朐县",)) < NAME_THRESHOLD  # another 字号
    assert name_similarity("鑫源宾馆", "鑫源超市", ("临朐县",)) < NAME_THRESHOLD


def test_planted_establishment_names_are_similar_and_other_units_are_not() -> None:
    """Recall of the name rule on the demo generator's 40 planted pairs must be complete; among the
    different units of one township (≈ 400,000 pairs, none at one address) at most 0.05 % look alike —
    the same address then makes such a chance pair rarer still."""
    demo = registry("demo")
    table = demo.establishments
    county = (demo.addresses.parts[0].county,)
    planted = demo.truth.duplicate_establishments
    assert len(planted) == 40
    for pair in planted:
        a, b = key_index(pair.original), key_index(pair.duplicate)
        assert table.address_id[a] == table.address_id[b]
        assert name_similarity(table.name[a], table.name[b], county) >= NAME_THRESHOLD, (table.name[a], table.name[b])
    duplicates = {key_index(p.duplicate) for p in planted}
    by_township: dict[str, list[int]] = defaultdict(list)
    for i in range(len(table)):
        if i not in duplicates:
            by_township[demo.addresses.parts[int(table.address_id[i]) - 1].township].append(i)
    compared = alike = 0
    for members in by_township.values():
        cores = [name_core(table.name[i], county) for i in members]
        for core_a, core_b in itertools.combinations(cores, 2):
            compared += 1
            alike += core_similarity(core_a, core_b) >= NAME_THRESHOLD
    assert compared > 100_000 and alike / compared <= 0.0005, (alike, compared)
