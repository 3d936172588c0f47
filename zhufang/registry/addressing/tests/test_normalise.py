"""Normalisation of free-text addresses: exact expected strings, Chinese numerals."""

from __future__ import annotations

import pytest

from zhufang.registry.addressing.normalise import (
    NUMBER_SUFFIX_SYNONYMS,
    SYNONYMS,
    cn_to_int,
    digits_to_cn,
    int_to_cn,
    normalise,
    normalise_name,
    rebuild_tables,
    strip_region_prefix,
)

pytestmark = pytest.mark.sqlite


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # the whole catalogue at once
        (
            "山东省潍坊市临朐县城关街道办事处民主社区居委会 兴隆路十八号3号楼二单元五〇一室（北门）",
            "临朐县城关街道民主社区兴隆路18号3栋2单元501室",
        ),
        # full-width digits and letters, spaces
        ("临朐县 兴隆路 １８号 Ａ座 ３０２室", "临朐县兴隆路18号A栋302室"),
        # building synonyms
        ("阳光花园3幢2单元501室", "阳光花园3栋2单元501室"),
        ("阳光花园3号楼2单元501室", "阳光花园3栋2单元501室"),
        ("阳光花园3座2单元501室", "阳光花园3栋2单元501室"),
        ("阳光花园3#楼2单元501室", "阳光花园3栋2单元501室"),
        ("阳光花园3栋楼2单元501室", "阳光花园3栋2单元501室"),
        # unit, floor and room synonyms
        ("阳光花园3栋2单501户", "阳光花园3栋2单元501室"),
        ("阳光花园3栋2单元501号房", "阳光花园3栋2单元501室"),
        ("阳光花园3栋2单元5楼501", "阳光花园3栋2单元5层501"),
        ("兴隆路18号院", "兴隆路18号"),
        # administrative synonyms
        ("城关街道办民主社区居民委员会", "城关街道民主社区"),
        ("冶源镇东关村民委员会前街5号", "冶源镇东关村前街5号"),
        ("冶源镇东关村委会前街5号", "冶源镇东关村前街5号"),
        ("城关办事处和平居委会", "城关街道和平社区"),
        ("长乐弄3号", "长乐巷3号"),
        # Chinese numerals before a number suffix, or after one at the end
        ("兴隆路一百零五号", "兴隆路105号"),
        ("兴隆路二十一号", "兴隆路21号"),
        ("阳光花园第三栋两单元五〇一", "阳光花园3栋2单元501"),
        ("阳光花园三号楼二单元一一〇二室", "阳光花园3栋2单元1102室"),
        # numerals inside names are names
        ("五一路十八号", "五一路18号"),
        ("三里河村十号", "三里河村10号"),
        ("千户营村3号", "千户营村3号"),
        ("徐庄一巷1号", "徐庄一巷1号"),
        ("徐庄一1号", "徐庄一1号"),
        # noise: remarks in brackets, trailing words, punctuation, a space between numbers
        ("兴隆路18号(北门)", "兴隆路18号"),
        ("兴隆路18号【临街】附近", "兴隆路18号"),
        ("临朐县，城关街道、兴隆路18号。", "临朐县城关街道兴隆路18号"),
        ("阳光花园 3 2 501", "阳光花园3-2-501"),
        ("阳光花园3—2—501", "阳光花园3-2-501"),
        # region prefixes go only when a county follows
        ("潍坊市临朐县城关街道", "临朐县城关街道"),
        ("山东省临朐县城关街道", "临朐县城关街道"),
        ("青州市王府街道", "青州市王府街道"),
        ("湖南路18号", "湖南路18号"),
        ("江西村委会5号", "江西村5号"),
    ],
)
def test_normalise_examples(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_known_county_strips_any_region_prefix() -> None:
    assert normalise("山东潍坊临朐县城关街道", counties={"临朐县"}) == "临朐县城关街道"
    assert strip_region_prefix("潍坊市青州市王府街道", ["青州市"]) == "青州市王府街道"
    # a county-level city that IS the county is not a prefix
    assert strip_region_prefix("青州市开发区", ["青州市"]) == "青州市开发区"


def test_normalise_name_keeps_numerals_in_names() -> None:
    assert normalise_name("三楼村") == "三楼村"
    assert normalise_name(" 民主居委会 ") == "民主社区"
    assert normalise_name("ｘ路") == "X路"


def test_normalise_is_idempotent() -> None:
    for raw in ("山东省潍坊市临朐县城关街道民主社区兴隆路十八号3号楼二单元五〇一室", "阳光花园3栋2单元5楼501"):
        once = normalise(raw)
        assert normalise(once) == once


def test_tables_are_module_level_data() -> None:
    assert SYNONYMS["村委会"] == "村"
    assert NUMBER_SUFFIX_SYNONYMS["号楼"] == "栋"
    assert NUMBER_SUFFIX_SYNONYMS["幢"] == "栋"


def test_a_bureau_can_extend_the_tables() -> None:
    assert normalise("经济开发区管委会3号") == "经济开发区管委会3号"
    SYNONYMS["管委会"] = ""
    NUMBER_SUFFIX_SYNONYMS["门"] = "号"
    try:
        rebuild_tables()
        assert normalise("经济开发区管委会3号") == "经济开发区3号"
        assert normalise("兴隆路18门") == "兴隆路18号"
    finally:
        del SYNONYMS["管委会"], NUMBER_SUFFIX_SYNONYMS["门"]
        rebuild_tables()
    assert normalise("兴隆路18门") == "兴隆路18门"


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("十", 10),
        ("十八", 18),
        ("二十一", 21),
        ("一百零五", 105),
        ("五〇一", 501),
        ("五零一", 501),
        ("两", 2),
        ("两百", 200),
        ("一百一十", 110),
        ("一千零一", 1001),
        ("三千二百", 3200),
        ("九十九", 99),
        ("一一〇二", 1102),
        ("5〇1", 501),
        ("贰拾叁", 23),
    ],
)
def test_cn_to_int(numeral: str, value: int) -> None:
    assert cn_to_int(numeral) == value


@pytest.mark.parametrize("bad", ["", "十a", "路"])
def test_cn_to_int_rejects_non_numerals(bad: str) -> None:
    with pytest.raises(ValueError):
        cn_to_int(bad)


def test_int_to_cn_round_trips() -> None:
    readings = ["十", "十八", "二十一", "一百零五", "一百一十", "一千零一"]
    assert [int_to_cn(v) for v in (10, 18, 21, 105, 110, 1001)] == readings
    assert all(cn_to_int(int_to_cn(v)) == v for v in range(1, 10000))
    assert digits_to_cn("501") == "五〇一"
