"""Parsing typical bureau addresses into exact parts, with and without a gazetteer."""

from __future__ import annotations

import pytest

from zhufang.registry.addressing.parse import Gazetteer, name_core, parse_address
from zhufang.registry.addressing.structure import AddressParts

pytestmark = pytest.mark.sqlite

A = AddressParts

STANDARD = [
    A("临朐县", "城关街道", "民主社区", "兴隆路", "18"),
    A("临朐县", "城关街道", "民主社区", "阳光花园", "", "3", "2", "5", "501"),
    A("临朐县", "城关街道", "和平社区", "金水园小区", "", "1", "1", "3", "302"),
    A("临朐县", "冶源镇", "东关村", "前街", "21"),
    A("临朐县", "冶源镇", "西关村", "前街", "2"),
    A("临朐县", "冶源镇", "东关村", "东关大道", "1"),
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_parts(STANDARD)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("临朐县城关街道民主社区兴隆路18号", A("临朐县", "城关街道", "民主社区", "兴隆路", "18")),
        (
            "临朐县城关街道办事处民主社区居委会阳光花园3号楼2单元501室",
            A("临朐县", "城关街道", "民主社区", "阳光花园", "", "3", "2", "", "501"),
        ),
        ("冶源镇东关村委会前街二十一号", A("", "冶源镇", "东关村", "前街", "21")),
        ("阳光花园3-2-501", A(street="阳光花园", building="3", unit_no="2", room="501")),
        ("阳光花园3幢2单5楼501", A(street="阳光花园", building="3", unit_no="2", floor="5", room="501")),
        ("兴隆路18-3", A(street="兴隆路", house_number="18-3")),
        ("兴隆路188", A(street="兴隆路", house_number="188")),
        ("徐庄村徐庄一巷1号201", A(community="徐庄村", street="徐庄一巷", house_number="1", room="201")),
        ("徐庄一巷1号2楼203", A(street="徐庄一巷", house_number="1", floor="2", room="203")),
        ("兴隆路18号3栋2单元501室", A(street="兴隆路", house_number="18", building="3", unit_no="2", room="501")),
        ("金水园小区1栋2单元302", A(street="金水园小区", building="1", unit_no="2", room="302")),
        ("临朐县东城开发区锦绣路9号", A("临朐县", "东城开发区", "", "锦绣路", "9")),
        ("沂山镇王家庄村后街7号", A("", "沂山镇", "王家庄村", "后街", "7")),
        ("临朐县龙泉街道胜利社区长安大道100号", A("临朐县", "龙泉街道", "胜利社区", "长安大道", "100")),
        ("临朐县城关街道锦绣花园A座1单元101室", A("临朐县", "城关街道", "", "锦绣花园", "", "A", "1", "", "101")),
    ],
)
def test_parse_without_gazetteer(text: str, parts: AddressParts) -> None:
    parsed = parse_address(text)
    assert parsed.parts == parts
    assert parsed.leftover == ""


def test_parse_reports_leftover_and_lower_confidence() -> None:
    clean = parse_address("兴隆路18号")
    noisy = parse_address("兴隆路18号XY")
    assert noisy.parts.street == "兴隆路" and noisy.parts.house_number == "18"
    assert noisy.leftover == "XY"
    assert noisy.confidence < clean.confidence == 1.0
    nothing = parse_address("18号")
    assert nothing.parts.street == "" and nothing.confidence < 1.0


def test_gazetteer_recognises_names_without_suffix_and_fills_levels(gazetteer: Gazetteer) -> None:
    parsed = parse_address("城关民主兴隆十八号", gazetteer=gazetteer)
    assert parsed.parts == A("临朐县", "城关街道", "民主社区", "兴隆路", "18")
    assert parsed.inferred == ("county",)
    # a street that belongs to one community fills community, township and county
    parsed = parse_address("阳光花园3栋2单元501室", gazetteer=gazetteer)
    assert parsed.parts == A("临朐县", "城关街道", "民主社区", "阳光花园", "", "3", "2", "", "501")
    assert parsed.inferred == ("community", "county", "township")


def test_gazetteer_does_not_fill_from_an_ambiguous_street(gazetteer: Gazetteer) -> None:
    parsed = parse_address("前街21号", gazetteer=gazetteer)
    assert parsed.parts.street == "前街"
    assert parsed.parts.community == "" and parsed.parts.township == ""
    parsed = parse_address("东关村前街21号", gazetteer=gazetteer)
    assert parsed.parts == A("临朐县", "冶源镇", "东关村", "前街", "21")


def test_gazetteer_core_is_not_taken_before_another_suffix(gazetteer: Gazetteer) -> None:
    # 兴隆 is the core of 兴隆路, but 兴隆街 is another (unknown) street
    parsed = parse_address("民主社区兴隆街18号", gazetteer=gazetteer)
    assert parsed.parts.street == "兴隆街"


def test_region_prefix_and_stray_city(gazetteer: Gazetteer) -> None:
    parsed = parse_address("山东潍坊临朐县城关街道兴隆路18号", gazetteer=gazetteer)
    assert parsed.parts.county == "临朐县" and parsed.leftover == ""
    parsed = parse_address("潍坊市城关街道阳光花园3栋2单元501室", gazetteer=gazetteer)
    assert parsed.parts.county == "临朐县"
    assert parsed.leftover == "潍坊市"
    assert "county" in parsed.inferred


def test_typo_that_changes_the_suffix_is_still_the_street(gazetteer: Gazetteer) -> None:
    # 金水园小区 with 小 dropped reads as a county (…区); before the numbers it is the street
    parsed = parse_address("和平社区金水园区1栋1单元302室", gazetteer=gazetteer)
    assert parsed.parts.street == "金水园区"
    assert parsed.parts.community == "和平社区"
    parsed = parse_address("民主社区兴隆18号", gazetteer=gazetteer)
    assert parsed.parts.street == "兴隆路"


def test_estate_after_a_road_number_is_the_street() -> None:
    parsed = parse_address("兴隆路188号阳光花园3号楼2单元501室")
    assert parsed.parts == A(street="阳光花园", building="3", unit_no="2", room="501")
    assert parsed.also == "兴隆路188号"
    assert parsed.leftover == ""


def test_lou_before_the_unit_is_the_building() -> None:
    assert parse_address("阳光花园3楼2单元501").parts == A(street="阳光花园", building="3", unit_no="2", room="501")
    assert parse_address("阳光花园3栋2单元5楼501").parts.floor == "5"


def test_a_bare_suffix_word_after_a_known_community_is_the_street(gazetteer: Gazetteer) -> None:
    # 名门苑 with 门 dropped is "名苑", itself a 小区 suffix: it must not be glued onto 民主社区
    parsed = parse_address("城关街道民主社区名苑1栋1单元501室", gazetteer=gazetteer)
    assert parsed.parts.community == "民主社区"
    assert parsed.parts.street == "名苑"


def test_name_core() -> None:
    assert name_core("民主社区") == "民主"
    assert name_core("阳光花园") == "阳光"
    assert name_core("城关街道") == "城关"
    assert name_core("前街") == ""
