"""Planted dirty addresses with ground truth (脏地址生成), for tests, benchmarks and demo data.

``dirty_variant(parts, rng)`` writes a standard address the way people do: one or two kinds of dirt
from :data:`DIRT_KINDS` (full-width digits, 十八号, 3幢/3号楼/3座, a level left out, a 山东省潍坊市
prefix, spaces and remarks, a typo in the street name, 501 / 5楼501 for 501室, 二单元) and returns
``(text, kind)``, the kinds joined by "+". Kind ``"nonexistent"`` replaces the street by one that does
not exist: the right answer for it is "no match".

``make_dirty_cases(standard, n)`` draws ``n`` such cases from a standard set with the expected id.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from .normalise import CN_DIGITS, CN_UNITS, NUMBER_SUFFIX_SYNONYMS, digits_to_cn, int_to_cn
from .parse import LEVEL_SUFFIXES, name_core
from .structure import AddressParts

DIRT_KINDS: tuple[str, ...] = (
    "fullwidth",
    "cn_numerals",
    "synonym",
    "missing_township",
    "missing_community",
    "missing_county",
    "prefix",
    "spaces_punct",
    "typo_street",
    "room_form",
    "unit_cn",
)
NONEXISTENT = "nonexistent"

REGION_PREFIXES = ("山东省潍坊市", "潍坊市", "山东省", "山东潍坊")
TRAILING_REMARKS = ("(北门)", "（东门）", "附近", "【临街】", "（南门旁）")
SEPARATORS = (" ", "  ", "，", "、", ",", " ")

#: Characters people confuse when typing street names: same or near pinyin (an IME picks the wrong
#: one) and similar shape. Used to plant typos; the matcher does not use it.
SIMILAR_CHARS: dict[str, str] = {
    "兴": "星心新欣馨", "隆": "龙笼珑", "福": "富付府", "安": "按岸鞍", "和": "合何禾荷", "平": "苹萍评坪",
    "华": "化花桦", "明": "名鸣铭", "光": "广洸", "新": "心欣馨辛", "民": "敏岷", "建": "健键剑",
    "胜": "盛圣晟", "利": "力立丽莉", "文": "闻纹雯", "昌": "常倡畅", "盛": "胜圣晟", "泰": "太态钛",
    "康": "慷糠", "宁": "凝柠", "丰": "峰锋枫", "源": "元原沅", "清": "青晴庆", "泉": "全权铨",
    "金": "今锦津", "银": "寅引吟", "玉": "王宇雨", "龙": "隆笼珑", "凤": "奉俸", "鹏": "朋彭棚",
    "祥": "详翔", "瑞": "锐睿", "云": "芸运耘", "海": "梅每", "山": "善衫珊", "河": "和何禾",
    "湖": "胡蝴葫", "林": "琳霖临", "松": "嵩颂淞", "柏": "伯泊", "桂": "贵鬼", "兰": "蓝澜岚",
    "梅": "海美玫", "竹": "筑烛", "春": "椿纯", "秋": "邱丘", "阳": "杨扬洋", "晨": "辰臣尘",
    "曦": "溪熙希", "锦": "金景谨", "绣": "秀锈", "嘉": "佳家加", "德": "得", "仁": "人任忍",
    "义": "艺意益", "礼": "理李里", "智": "志致治", "信": "新心欣", "忠": "中钟终", "孝": "效校笑",
    "友": "有右", "善": "山扇", "美": "梅媚", "乐": "勒", "朝": "潮", "景": "锦井境", "升": "生声胜",
    "荣": "容蓉溶", "富": "福付", "贵": "桂", "吉": "及级即", "永": "勇泳咏", "长": "常昌畅",
    "宏": "洪鸿红", "伟": "玮炜", "振": "震镇", "育": "玉域", "才": "材财", "旺": "望汪", "顺": "舜",
    "通": "同童桐", "达": "大", "泽": "择", "润": "闰", "恒": "衡横", "鑫": "新欣", "鸿": "洪宏红",
    "辉": "晖挥徽", "星": "兴醒", "月": "悦越", "虹": "红宏", "天": "田添", "雪": "薛", "岳": "越悦",
    "峰": "锋丰枫", "溪": "西希", "桥": "乔侨", "滨": "彬宾", "港": "岗", "津": "今金",
    "中": "忠钟", "心": "新欣", "前": "钱乾", "进": "近晋", "东": "冬", "风": "峰丰枫", "幸": "杏",
    "团": "园", "结": "洁杰", "设": "社",
}  # fmt: skip

#: Never planted by a typo: level suffixes, number suffixes and numerals change the address's shape.
_FORBIDDEN = set("".join(LEVEL_SUFFIXES)) | set("".join(NUMBER_SUFFIX_SYNONYMS)) | set(CN_DIGITS) | set(CN_UNITS)

_NONEXISTENT_CHARS = "万宝荷塘柳苗聚沙汇芳碧翠玲珑彩霞雁鸣枫丹樱桃梧桐檀香杉榆槐柿枣菊莲蓉芙蕙岚黛蔚"
_FULLWIDTH = str.maketrans(
    {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-#"},
)


@dataclass(frozen=True)
class DirtyCase:
    text: str
    kind: str  # kinds joined by "+", e.g. "cn_numerals+missing_township", or "nonexistent"
    expected_id: int | None  # None: the right answer is "no match"
    source_id: int


def _readable(number: str) -> bool:
    """Whether a number can be written in Chinese numerals here (18 → 十八; not 18-1, A, 0)."""
    return number.isdigit() and 0 < int(number) < 10000


def applicable_kinds(parts: AddressParts) -> list[str]:
    """The kinds of dirt that change this address."""
    needs = {
        "cn_numerals": _readable(parts.house_number) or _readable(parts.building) or parts.room.isdigit(),
        "synonym": bool(parts.building or parts.unit_no or parts.room or parts.house_number),
        "missing_township": bool(parts.township),
        # a village door without a street (王家庄村58号) has nothing left to find it by without the village
        "missing_community": bool(parts.community and parts.street),
        "missing_county": bool(parts.county),
        "typo_street": len(parts.street) >= 2,
        "room_form": bool(parts.room),
        "unit_cn": _readable(parts.unit_no),
    }
    return [k for k in DIRT_KINDS if needs.get(k, True)]


def _typo(name: str, rng: random.Random, known_streets: Collection[str]) -> str:
    core = name_core(name) or name[:1]
    replaceable = [i for i, ch in enumerate(core) if any(c not in _FORBIDDEN for c in SIMILAR_CHARS.get(ch, ""))]
    for _ in range(30):
        if replaceable and (len(name) < 3 or rng.random() < 0.6):
            i = rng.choice(replaceable)
            new = name[:i] + rng.choice([c for c in SIMILAR_CHARS[name[i]] if c not in _FORBIDDEN]) + name[i + 1 :]
        elif len(name) >= 3:
            i = rng.randrange(len(name))
            new = name[:i] + name[i + 1 :]
        else:
            break
        if new != name and new not in known_streets:
            return new
    return name[1:] if len(name) >= 3 else name + name[-1:]


def nonexistent_street(
    street: str, rng: random.Random, known_streets: Collection[str] = (), nearby_streets: Collection[str] = ()
) -> str:
    """A street name that exists nowhere in ``known_streets`` and is not within one typo (fuzz.ratio
    < 60) of any of ``nearby_streets`` (the streets of the same community), with the same kind of
    suffix as ``street``."""
    core = name_core(street)
    suffix = street[len(core) :] if core else "路"
    for _ in range(200):
        name = "".join(rng.sample(_NONEXISTENT_CHARS, 2)) + suffix
        if name in known_streets:
            continue
        if all(fuzz.ratio(name, s) < 60 for s in nearby_streets):
            return name
    raise RuntimeError(f"no nonexistent street name found near {street!r}")


def dirty_variant(
    parts: AddressParts,
    rng: random.Random,
    *,
    kinds: Sequence[str] | None = None,
    known_streets: Collection[str] = (),
    nearby_streets: Collection[str] = (),
    two_kinds_share: float = 0.4,
) -> tuple[str, str]:
    """A dirty spelling of ``parts`` and the kinds of dirt applied ("+"-joined).

    ``kinds`` forces the kinds (e.g. ``["nonexistent"]``); otherwise one, or with probability
    ``two_kinds_share`` two, applicable kinds are drawn. ``known_streets`` (every street of the standard
    set) keeps a typo from producing another real street; ``nearby_streets`` (the same community's)
    keeps a nonexistent street from being one typo away from a real one."""
    if kinds is None:
        pool = applicable_kinds(parts)
        k = 2 if rng.random() < two_kinds_share and len(pool) >= 2 else 1
        kinds = rng.sample(pool, k)
    chosen = sorted(set(kinds))
    seg: dict[str, str] = {
        "county": parts.county,
        "township": parts.township,
        "community": parts.community,
        "street": parts.street,
        "house": f"{parts.house_number}号" if parts.house_number else "",
        "building": f"{parts.building}栋" if parts.building else "",
        "unit": f"{parts.unit_no}单元" if parts.unit_no else "",
        "room": f"{parts.room}室" if parts.room else (f"{parts.floor}层" if parts.floor else ""),
    }
    prefix = ""
    separators = False
    trailing = ""
    fullwidth = False
    for kind in chosen:
        if kind == NONEXISTENT:
            seg["street"] = nonexistent_street(parts.street, rng, known_streets, nearby_streets)
        elif kind == "missing_county":
            seg["county"] = ""
        elif kind == "missing_township":
            seg["township"] = ""
        elif kind == "missing_community":
            seg["community"] = ""
        elif kind == "prefix":
            prefix = rng.choice(REGION_PREFIXES)
        elif kind == "spaces_punct":
            separators = True
            if rng.random() < 0.5:
                trailing = rng.choice(TRAILING_REMARKS)
        elif kind == "fullwidth":
            fullwidth = True
        elif kind == "typo_street":
            seg["street"] = _typo(parts.street, rng, known_streets)
        elif kind == "unit_cn":
            seg["unit"] = f"{int_to_cn(int(parts.unit_no))}单元"
        elif kind == "cn_numerals":
            options = [k for k, v in (("house", parts.house_number), ("building", parts.building)) if _readable(v)]
            options += ["room"] if parts.room.isdigit() else []
            for which in rng.sample(options, rng.randint(1, len(options))):
                if which == "house":
                    seg["house"] = f"{int_to_cn(int(parts.house_number))}号"
                elif which == "building":
                    seg["building"] = f"{int_to_cn(int(parts.building))}栋"
                else:
                    seg["room"] = f"{digits_to_cn(parts.room)}室"
        elif kind == "synonym":
            options = []
            if parts.building:
                options += [f"{parts.building}幢", f"{parts.building}号楼", f"{parts.building}座"]
            choice = rng.choice(options) if options else None
            if choice:
                seg["building"] = choice
            elif parts.unit_no:
                seg["unit"] = f"{parts.unit_no}单"
            elif parts.room:
                seg["room"] = f"{parts.room}{rng.choice(('户', '号房'))}"
            else:
                seg["house"] = f"{parts.house_number}号院"
        elif kind == "room_form":
            floor = parts.floor or parts.room[:-2]
            room_text = seg["room"][:-1] if seg["room"].endswith("室") else seg["room"]
            seg["room"] = room_text if rng.random() < 0.5 or not floor else f"{floor}楼{room_text}"
        else:
            raise ValueError(f"unknown kind of dirt: {kind!r}")
    order = ("county", "township", "community", "street", "house", "building", "unit", "room")
    pieces = [seg[k] for k in order if seg[k]]
    if separators:
        text = pieces[0]
        for piece in pieces[1:]:
            text += (rng.choice(SEPARATORS) if rng.random() < 0.6 else "") + piece
    else:
        text = "".join(pieces)
    text = prefix + text + trailing
    if fullwidth:
        text = text.translate(_FULLWIDTH)
    return text, "+".join(chosen)


def make_dirty_cases(
    standard: Sequence[tuple[int, AddressParts]],
    n: int,
    *,
    seed: int = 7,
    nonexistent_share: float = 0.05,
    two_kinds_share: float = 0.4,
) -> list[DirtyCase]:
    """``n`` dirty cases drawn (with replacement) from ``standard``, with their ground truth."""
    rng = random.Random(seed)  # noqa: S311 — reproducible test data, not security
    known = frozenset(p.street for _, p in standard)
    by_community: dict[tuple[str, str, str], set[str]] = {}
    for _, p in standard:
        by_community.setdefault((p.county, p.township, p.community), set()).add(p.street)
    nearby = {k: sorted(v) for k, v in by_community.items()}
    cases: list[DirtyCase] = []
    for _ in range(n):
        address_id, parts = standard[rng.randrange(len(standard))]
        if rng.random() < nonexistent_share:
            text, kind = dirty_variant(
                parts,
                rng,
                kinds=[NONEXISTENT],
                known_streets=known,
                nearby_streets=nearby[(parts.county, parts.township, parts.community)],
            )
            cases.append(DirtyCase(text, kind, None, address_id))
        else:
            text, kind = dirty_variant(parts, rng, known_streets=known, two_kinds_share=two_kinds_share)
            cases.append(DirtyCase(text, kind, address_id, address_id))
    return cases
