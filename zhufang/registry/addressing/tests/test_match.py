"""AddressMatcher on a small hand-made standard set: exact, relaxed, fuzzy, none, ambiguity."""

from __future__ import annotations

import pytest

from zhufang.registry.addressing.match import REVIEW_THRESHOLD, AddressMatcher, MatchResult, number_key
from zhufang.registry.addressing.structure import AddressParts

pytestmark = pytest.mark.sqlite

A = AddressParts

STANDARD: list[tuple[int, AddressParts]] = [
    (1, A("临朐县", "城关街道", "民主社区", "兴隆路", "18")),
    (2, A("临朐县", "城关街道", "民主社区", "兴隆路", "20")),
    (3, A("临朐县", "城关街道", "民主社区", "阳光花园", "", "3", "2", "5", "501")),
    (4, A("临朐县", "城关街道", "民主社区", "阳光花园", "", "3", "2", "5", "502")),
    (5, A("临朐县", "城关街道", "和平社区", "锦绣花园", "", "3", "2", "5", "501")),
    (6, A("临朐县", "冶源镇", "东关村", "前街", "21")),
    (7, A("临朐县", "冶源镇", "西关村", "前街", "21")),
    (8, A("临朐县", "城关街道", "和平社区", "福安路", "18")),
    (9, A("临朐县", "城关街道", "民主社区", "长乐巷", "3")),
    (10, A("临朐县", "冶源镇", "王家庄村", "", "58")),  # a village address without a street
    (11, A("临朐县", "冶源镇", "李家河村", "", "58")),
    (12, A("临朐县", "城关街道", "徐庄村", "徐庄一巷", "1")),
    (13, A("临朐县", "城关街道", "后徐家庄村", "后徐家庄一巷", "1")),
    (14, A("临朐县", "城关街道", "山旺社区", "安康北巷", "2")),
    (15, A("临朐县", "城关街道", "山旺社区", "长安北巷", "2")),
]


@pytest.fixture(scope="module")
def matcher() -> AddressMatcher:
    return AddressMatcher(STANDARD)


def test_exact_full_address(matcher: AddressMatcher) -> None:
    result = matcher.match("临朐县城关街道民主社区兴隆路18号")
    assert result == MatchResult(1, 1.0, "exact", (1,), "")
    assert not result.needs_review


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("山东省潍坊市临朐县城关街道办事处民主社区居委会阳光花园三号楼二单元五〇一室(北门)", 3),
        ("城关街道阳光花园3幢2单元5楼502", 4),
        ("临朐县城关街道民主社区阳光花园 3-2-501", 3),
        ("和平社区锦绣花园3座2单501户", 5),
        ("兴隆路二十号", 2),
        ("东关村前街21号", 6),
        ("西关村委会前街二十一号", 7),
        ("民主社区长乐弄3号", 9),
    ],
)
def test_dirty_but_exact(matcher: AddressMatcher, text: str, expected: int) -> None:
    result = matcher.match(text)
    assert result.address_id == expected
    assert result.method == "exact"
    assert result.confidence >= REVIEW_THRESHOLD


def test_missing_levels_are_relaxed_not_full(matcher: AddressMatcher) -> None:
    result = matcher.match("兴隆路18号")
    assert result.address_id == 1 and result.note == "relaxed"
    assert REVIEW_THRESHOLD <= result.confidence < 1.0


def test_fuzzy_typo_in_street(matcher: AddressMatcher) -> None:
    result = matcher.match("临朐县城关街道民主社区兴龙路18号")
    assert result.address_id == 1
    assert result.method == "fuzzy"
    assert 0.6 <= result.confidence < REVIEW_THRESHOLD
    assert result.needs_review
    dropped = matcher.match("城关街道民主社区阳花园3栋2单元501室")
    assert dropped.address_id == 3 and dropped.method == "fuzzy"


def test_fuzzy_is_restricted_to_the_named_community(matcher: AddressMatcher) -> None:
    # 福安路18号 exists in 和平社区; 民主社区 has no street like 福安街 → no match, not 福安路
    result = matcher.match("临朐县城关街道民主社区福安街18号")
    assert result.address_id is None and result.method == "none"


def test_nonexistent_street_is_no_match(matcher: AddressMatcher) -> None:
    result = matcher.match("临朐县城关街道民主社区樱桃路18号")
    assert result.address_id is None
    assert result.method == "none"
    assert result.needs_review


def test_nonexistent_numbers_are_no_match(matcher: AddressMatcher) -> None:
    assert matcher.match("临朐县城关街道民主社区兴隆路999号").address_id is None
    assert matcher.match("临朐县城关街道民主社区兴隆路").note == "no_numbers"


def test_ambiguous_street_without_its_village(matcher: AddressMatcher) -> None:
    result = matcher.match("冶源镇前街21号")
    assert result.address_id is None
    assert result.note == "ambiguous"
    assert result.candidates == (6, 7)
    assert result.needs_review


def test_conflicting_community_goes_to_review(matcher: AddressMatcher) -> None:
    # 兴隆路 is in 民主社区, the text says 和平社区
    result = matcher.match("临朐县城关街道和平社区兴隆路18号")
    assert result.address_id == 1
    assert result.note == "admin_conflict"
    assert result.needs_review


def test_village_address_without_street(matcher: AddressMatcher) -> None:
    assert matcher.match("冶源镇王家庄村58号").address_id == 10
    assert matcher.match("李家河村五十八号").address_id == 11
    assert matcher.match("冶源镇58号").note == "ambiguous"


def test_estate_named_after_the_road_number(matcher: AddressMatcher) -> None:
    result = matcher.match("城关街道兴隆路188号阳光花园3号楼2单元501室")
    assert result.address_id == 3 and not result.needs_review


def test_typo_that_hits_a_street_of_another_village(matcher: AddressMatcher) -> None:
    # 后徐家庄一巷 with 家 dropped contains 徐庄一巷, a real street of 徐庄村: the named village wins
    result = matcher.match("城关街道后徐家庄村后徐庄一巷1号")
    assert result.address_id == 13 and result.method == "fuzzy"


def test_ratio_ties_are_broken_by_edit_distance(matcher: AddressMatcher) -> None:
    # 安糠北巷 scores the same Indel ratio against 安康北巷 and 长安北巷; one substitution vs two edits
    result = matcher.match("城关街道山旺社区安糠北巷2号")
    assert result.address_id == 14 and result.method == "fuzzy"


def test_match_many_equals_match(matcher: AddressMatcher) -> None:
    texts = ["兴隆路18号", "冶源镇前街21号", "兴龙路18号", "兴隆路18号", "樱桃路1号"]
    assert matcher.match_many(texts) == [matcher.match(t) for t in texts]


def test_number_key_uses_room_before_floor() -> None:
    assert number_key(A(street="x", building="3", unit_no="2", floor="5", room="501")) == "|3|2|501"
    assert number_key(A(street="x", building="3", unit_no="2", room="501")) == "|3|2|501"
    assert number_key(A(street="x", building="3", floor="5")) == "|3||F5"
    assert number_key(A(street="x", house_number="18")) == "18|||"


def test_stats(matcher: AddressMatcher) -> None:
    stats = matcher.stats()
    assert stats["addresses"] == len(STANDARD)
    assert stats["streets"] == 10
