"""Normalisation of free-text addresses (地址规范化).

``normalise(text)`` turns what people type into one canonical spelling, so that exact matching works
for the common variants and fuzzy matching only has to deal with real typos:

* NFKC (full-width digits, letters, brackets → half-width), ASCII letters upper-cased;
* bracketed remarks dropped anywhere ("(北门)", "【临街】"), trailing noise words dropped ("附近");
* whitespace and punctuation removed (a space between two numbers becomes "-": "3 2 501" → "3-2-501");
* administrative synonyms unified (:data:`SYNONYMS`: 街道办事处 → 街道, 居委会 → 社区, 村委会 → 村, 弄 → 巷 …);
* Chinese numerals before a number suffix, or after one at the end, become Arabic ("十八号" → "18号",
  "二单元五〇一" → "2单元501"), "第" before such a number is dropped;
* number suffixes unified (:data:`NUMBER_SUFFIX_SYNONYMS`: 幢/座/号楼 → 栋, 单 → 单元, 楼 → 层, 户/号房 → 室);
* a leading province / prefecture-level city ("山东省潍坊市") dropped when a county follows.

The tables are module-level data: a bureau may extend them (before building a matcher).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

CJK = "\u3400-\u9fff"

# --------------------------------------------------------------------------------- synonym tables

#: Plain substitutions applied anywhere in the text (longest key first). Administrative-level variants
#: of GA/T 2000.32 (23 街道办事处, 32 居委会, 33 村委会) and street-type variants.
SYNONYMS: dict[str, str] = {
    "街道办事处": "街道",
    "街道办": "街道",
    "办事处": "街道",
    "社区居民委员会": "社区",
    "社区居委会": "社区",
    "社区委员会": "社区",
    "居民委员会": "社区",
    "居委会": "社区",
    "村民委员会": "村",
    "村委会": "村",
    "村委": "村",
    "弄": "巷",  # 弄 (Shanghai, Jiangnan) and 巷 are the same level: a lane
    "衖": "巷",
}

#: Number suffixes, applied only right after a number ("3幢" → "3栋"); the value is the canonical suffix:
#: 号 house number, 栋 building, 单元 unit, 层 floor, 室 room. Longest key first.
NUMBER_SUFFIX_SYNONYMS: dict[str, str] = {
    "号楼": "栋",
    "号栋": "栋",
    "栋楼": "栋",
    "幢楼": "栋",
    "#楼": "栋",
    "幢": "栋",
    "座": "栋",
    "栋": "栋",
    "#": "栋",  # "3#" is how builders write building 3
    "单元": "单元",
    "单": "单元",
    "楼层": "层",
    "层": "层",
    "楼": "层",  # "5楼501": floor 5 (号楼 is handled above)
    "号房": "室",
    "房间": "室",
    "房": "室",
    "户": "室",
    "室": "室",
    "号院": "号",
    "号": "号",
}

#: Words dropped at the end of an address (after bracketed remarks are gone).
TRAILING_NOISE: tuple[str, ...] = (
    "附近",
    "旁边",
    "对面",
    "门口",
    "北门",
    "南门",
    "东门",
    "西门",
    "正门",
    "后门",
    "一带",
)

#: Province-level names written without their suffix in a prefix ("山东潍坊临朐县").
PROVINCE_SHORT: tuple[str, ...] = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆",
)  # fmt: skip

# ----------------------------------------------------------------------------------- numerals

CN_DIGITS: dict[str, int] = {
    "〇": 0, "○": 0, "零": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4,
    "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
CN_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS)


def cn_to_int(text: str) -> int:
    """A Chinese (or mixed) numeral as an int: 十 → 10, 十八 → 18, 二十一 → 21, 一百零五 → 105, 两 → 2;
    without 十/百/千 the digits are read one by one: 五〇一 → 501, 5〇1 → 501."""
    if not text:
        raise ValueError("empty numeral")
    for ch in text:
        if ch not in CN_DIGITS and ch not in CN_UNITS and not ("0" <= ch <= "9"):
            raise ValueError(f"not a numeral: {text!r}")
    if not any(ch in CN_UNITS for ch in text):
        return int("".join(str(CN_DIGITS[ch]) if ch in CN_DIGITS else ch for ch in text))
    total, digit = 0, -1
    for ch in text:
        if ch in CN_UNITS:
            total += (digit if digit >= 0 else 1) * CN_UNITS[ch]
            digit = -1
        else:
            value = CN_DIGITS[ch] if ch in CN_DIGITS else int(ch)
            digit = value if digit <= 0 else digit * 10 + value
    return total + max(digit, 0)


def int_to_cn(value: int) -> str:
    """An int as it is read in Chinese (up to 9999): 18 → 十八, 21 → 二十一, 105 → 一百零五."""
    if value == 0:
        return "零"
    if not 0 < value < 10000:
        raise ValueError("only 1..9999")
    names = "零一二三四五六七八九"
    out: list[str] = []
    zero = False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = value // unit % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        if not (unit == 10 and d == 1 and not out):  # 十八, not 一十八
            out.append(names[d])
        out.append(name)
    return "".join(out)


def digits_to_cn(text: str) -> str:
    """Digit-by-digit reading of a room number: 501 → 五〇一."""
    return "".join("〇一二三四五六七八九"[int(ch)] if ch.isdigit() else ch for ch in text)


# ----------------------------------------------------------------------------------- regexes


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|《[^《》]*》")
_DASHES = re.compile(r"[‐‑‒–—―−~～]+")
_DIGIT_SPACE_DIGIT = re.compile(r"(?<=[0-9])\s+(?=[0-9])")
_NOISE = re.compile(r"[\s,，。.、;；:：'\"“”‘’`!！?？/\\|_*·•()\[\]【】〔〕<>《》{}+=@$%^&]+")
_STRAY_DASH = re.compile(r"(?<![0-9A-Z])-+|-+(?![0-9A-Z])")
_SPECIAL = re.compile(f"[^{CJK}0-9A-Z]")
_HAS_NUMERAL = re.compile(f"[{_NUMERAL_CHARS}]")
_AFTER_UNIT = set("号栋幢座楼层元室户房#-") | set("0123456789")
_ZERO_OR_DIGIT = set("〇○零0123456789")
_BARE_MAGNITUDES = {"百", "千", "佰", "仟"}  # 千户营, 百花: a magnitude alone is a name, not a number

_PROVINCE = re.compile(
    f"^(?:内蒙古自治区|广西壮族自治区|西藏自治区|宁夏回族自治区|新疆维吾尔自治区|[{CJK}]{{2,3}}省"
    "|(?:北京|天津|上海|重庆)市)"
)  # short names (山东潍坊…) only before a known county: 湖南路 is a street
_CITY = re.compile(f"^[{CJK}]{{2,5}}?(?:市|地区|自治州|盟)")
_COUNTY_AHEAD = re.compile(f"^[{CJK}]{{1,6}}?(?:自治县|县|(?<![小社园景校厂矿片发新])区|市|旗)")


@dataclass(frozen=True)
class _Tables:
    """The regexes compiled from the module-level tables (see :func:`rebuild_tables`)."""

    synonym: re.Pattern[str]
    number_suffix: re.Pattern[str]  # a non-canonical number suffix right after a number
    suffix_after: re.Pattern[str]  # any number suffix (to decide whether a numeral is a number)
    ordinal: re.Pattern[str]
    trailing: re.Pattern[str]
    trailing_words: tuple[str, ...]


def _compile_tables() -> _Tables:
    suffix_alt = _alternation(NUMBER_SUFFIX_SYNONYMS)
    changing = sorted((k for k, v in NUMBER_SUFFIX_SYNONYMS.items() if k != v), key=lambda w: (-len(w), w))
    return _Tables(
        synonym=re.compile(_alternation(SYNONYMS)),
        number_suffix=re.compile(
            "(?<=[0-9A-Z])(" + "|".join(re.escape(k) + ("(?!元)" if k == "单" else "") for k in changing) + ")"
        ),
        suffix_after=re.compile(f"(?:{suffix_alt})"),
        ordinal=re.compile(f"第(?=[0-9]+(?:{suffix_alt}))"),
        trailing=re.compile(f"(?:{_alternation(TRAILING_NOISE)})+$"),
        trailing_words=tuple(TRAILING_NOISE),
    )


_TABLES = _compile_tables()
_NUMERAL_RUN = re.compile(f"(第)?([{_NUMERAL_CHARS}0-9]+)")


def rebuild_tables() -> None:
    """Recompile after a bureau changed :data:`SYNONYMS`, :data:`NUMBER_SUFFIX_SYNONYMS` or
    :data:`TRAILING_NOISE` (e.g. ``SYNONYMS["管委会"] = "街道"; rebuild_tables()``); build matchers after."""
    global _TABLES
    _TABLES = _compile_tables()


def _convert_numerals(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        ordinal, run = m.group(1), m.group(2)
        if all("0" <= ch <= "9" for ch in run) or run in _BARE_MAGNITUDES:
            return m.group(0)
        if any("0" <= ch <= "9" for ch in run) and not all(ch in _ZERO_OR_DIGIT for ch in run):
            return m.group(0)  # 徐庄一1号 (徐庄一巷 with 巷 dropped): the 一 is the name's; 5〇1 is a number
        end = m.end()
        followed_by_suffix = _TABLES.suffix_after.match(text, end) is not None
        if not followed_by_suffix:
            at_end = end == len(text) or text[end] == "-"
            start = m.start()
            after_unit = start > 0 and text[start - 1] in _AFTER_UNIT
            if not (at_end and after_unit):
                return m.group(0)
        if any(ch in CN_UNITS for ch in run):
            try:
                out = str(cn_to_int(run))
            except ValueError:
                return m.group(0)
        else:  # digit-wise: keeps leading zeros ("〇一" → "01")
            out = "".join(str(CN_DIGITS[ch]) if ch in CN_DIGITS else ch for ch in run)
        return out if followed_by_suffix or not ordinal else ordinal + out

    return _NUMERAL_RUN.sub(repl, text)


_PREFIX_SHAPE = re.compile(
    f"^(?:(?:[{CJK}]{{2,8}}?(?:省|自治区))|(?:{'|'.join(PROVINCE_SHORT)}))?(?:[{CJK}]{{2,5}}?(?:市|地区|自治州|盟)?)?$"
)


def _longest_first(names: Iterable[str]) -> tuple[str, ...]:
    key = names if isinstance(names, frozenset) else frozenset(names)
    cached = _SORTED_CACHE.get(key)
    if cached is None:
        cached = tuple(sorted(key, key=lambda c: (-len(c), c)))
        if len(_SORTED_CACHE) < 64:
            _SORTED_CACHE[key] = cached
    return cached


_SORTED_CACHE: dict[frozenset[str], tuple[str, ...]] = {}


def strip_region_prefix(text: str, counties: Iterable[str] = ()) -> str:
    """Drop a leading province / prefecture-level city when a county follows.

    With known ``counties`` (a gazetteer's), everything before the first known county within the
    first 12 characters is dropped if it looks like a region prefix ("山东潍坊临朐县" → "临朐县");
    otherwise suffix rules decide ("山东省潍坊市临朐县…" → "临朐县…", but "青州市王府街道…" stays:
    a 县级市 followed by a township is the county itself)."""
    for county in _longest_first(counties):
        i = text.find(county, 0, 12 + len(county))
        if i == 0:
            return text
        if i > 0 and _PREFIX_SHAPE.match(text[:i]):
            return text[i:]
    rest = text
    m = _PROVINCE.match(rest)
    if m and m.end() < len(rest):
        rest = rest[m.end() :]
    m = _CITY.match(rest)
    if m and m.group(0) not in counties:
        after = rest[m.end() :]
        if _COUNTY_AHEAD.match(after):
            rest = after
    return rest


def normalise_name(name: str) -> str:
    """Normalise one level's name of a standard address (no numeral or prefix handling: names such as
    五一路 or 三里河村 are kept as written)."""
    text = unicodedata.normalize("NFKC", name).upper()
    text = _NOISE.sub("", text)
    return _TABLES.synonym.sub(_synonym, text)


def normalise(text: str, *, counties: Iterable[str] = ()) -> str:
    """The canonical spelling of a free-text address (see the module docstring).

    >>> normalise("山东省潍坊市临朐县城关街道办事处民主社区居委会 兴隆路十八号3号楼二单元五〇一室（北门）")
    '临朐县城关街道民主社区兴隆路18号3栋2单元501室'
    """
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.upper()
    if _SPECIAL.search(text):  # the passes below only matter when there is more than CJK and digits
        text = _BRACKETS.sub("", _BRACKETS.sub("", text))
        text = _DASHES.sub("-", text)
        text = _DIGIT_SPACE_DIGIT.sub("-", text)
        text = _NOISE.sub("", text)
        text = _STRAY_DASH.sub("", text)
    tables = _TABLES
    text = tables.synonym.sub(_synonym, text)
    if _HAS_NUMERAL.search(text):
        text = _convert_numerals(text)
    if "第" in text:
        text = tables.ordinal.sub("", text)
    text = tables.number_suffix.sub(_number_suffix, text)
    if text.endswith(tables.trailing_words):
        text = tables.trailing.sub("", text)
    return strip_region_prefix(text, counties)


def _synonym(m: re.Match[str]) -> str:
    return SYNONYMS[m.group(0)]


def _number_suffix(m: re.Match[str]) -> str:
    return NUMBER_SUFFIX_SYNONYMS[m.group(1)]
