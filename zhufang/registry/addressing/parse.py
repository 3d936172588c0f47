"""Parsing a free-text address into its levels (地址要素解析).

``parse_address(text)`` normalises the text (:mod:`.normalise`), splits off the number tail
(号 / 栋 / 单元 / 层 / 室, "3-2-501", a trailing bare room number) and splits the name head into
county / township / community / street by suffix rules (:data:`LEVEL_SUFFIXES`).

With a :class:`Gazetteer` (built from the standard addresses) the head is first split on the names
the county actually has — so names are recognised without their suffix ("城关民主社区兴隆" →
城关街道 / 民主社区 / 兴隆路, when those cores are unambiguous) — and missing levels are filled from
the parent of the most specific known level (a street belongs to one community in the standard set,
if its name is unique; a community to one township …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .normalise import normalise, normalise_name
from .structure import AddressParts

ADMIN_LEVELS = ("county", "township", "community")
NAME_LEVELS = ("county", "township", "community", "street")
LEVEL_INDEX = {level: i for i, level in enumerate(NAME_LEVELS)}
STREET = 3

#: Suffix → level for names the gazetteer does not know. 小区-type suffixes are street level
#: (GA/T 2000.32 class 40: 41 街路巷, 42 小区).
LEVEL_SUFFIXES: dict[str, str] = {
    **dict.fromkeys(("自治县", "县", "区", "市", "旗"), "county"),
    **dict.fromkeys(("街道", "镇", "乡", "开发区", "高新区", "经济开发区", "工业园区"), "township"),
    **dict.fromkeys(("社区", "村", "嘎查"), "community"),
    **dict.fromkeys(("大道", "胡同", "路", "街", "巷", "道"), "street"),
    **dict.fromkeys(
        (
            "小区", "花园", "家园", "公寓", "新村", "广场", "大厦", "山庄", "公馆", "华府", "名苑", "嘉园",
            "雅苑", "苑", "园", "城", "府", "庭", "湾", "院",
        ),
        "street",
    ),
}  # fmt: skip

_CJK_NAME = "[^0-9A-Z-]"


def _suffix_alternation() -> str:
    parts = []
    for suffix in sorted(LEVEL_SUFFIXES, key=lambda s: (-len(s), s)):
        if suffix == "区":
            parts.append("(?<![小社园景校厂矿片])区")
        elif suffix == "市":
            parts.append("市(?!场)")
        else:
            parts.append(re.escape(suffix))
    return "|".join(parts)


_SUFFIX_ALT = _suffix_alternation()
_SUFFIX_TOKEN = re.compile(f"(?P<name>{_CJK_NAME}{{2,}}?)(?P<suf>{_SUFFIX_ALT})")
_STARTS_WITH_SUFFIX = re.compile(f"(?:{_SUFFIX_ALT})")
_HEAD_END = re.compile(r"[0-9]|[A-Z][0-9]*栋")
_TAIL = re.compile(
    r"(?P<house>[0-9]+[A-Z]?(?:-[0-9]+)?)号"
    r"|(?P<building>[0-9]+[A-Z]?|[A-Z][0-9]*)栋"
    r"|(?P<unit>[0-9]+)单元"
    r"|(?P<floor>[0-9]+)层"
    r"|(?P<room>[0-9]+[A-Z]?)室"
    r"|(?P<dash>[0-9]+(?:-[0-9]+)+)"
    r"|(?P<bare>[0-9]+)"
    r"|(?P<other>.)"
)


def name_core(name: str) -> str:
    """The name without its level suffix (民主社区 → 民主, 阳光花园 → 阳光); "" when under 2 characters."""
    for suffix in sorted(LEVEL_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return ""


class Gazetteer:
    """The county's known names per level (normalised), their unambiguous suffix-less cores, and each
    name's parent chain when it is unique in the standard set."""

    def __init__(self, chains: Iterable[tuple[str, str, str, str]]) -> None:
        levels: dict[str, set[str]] = {}
        parents: dict[tuple[str, str], set[tuple[str, str, str]]] = {}
        streets_in: dict[tuple[str, str], set[str]] = {}
        for raw in set(chains):
            county, township, community, street = (normalise_name(v) for v in raw)
            chain = (county, township, community, street)
            for i, level in enumerate(NAME_LEVELS):
                name = chain[i]
                if not name:
                    continue
                levels.setdefault(name, set()).add(level)
                parent = (*chain[:i], *("",) * (3 - i))
                parents.setdefault((level, name), set()).add(parent)  # type: ignore[arg-type]
                if street and level != "street":
                    streets_in.setdefault((level, name), set()).add(street)
        order = {level: i for i, level in enumerate(NAME_LEVELS)}
        self.levels_of: dict[str, tuple[str, ...]] = {
            name: tuple(sorted(lv, key=order.__getitem__)) for name, lv in levels.items()
        }
        self.parent: dict[tuple[str, str], tuple[str, str, str] | None] = {
            key: (next(iter(p)) if len(p) == 1 else None) for key, p in parents.items()
        }
        self.level_index_of: dict[str, tuple[int, ...]] = {
            name: tuple(LEVEL_INDEX[lv] for lv in lvs) for name, lvs in self.levels_of.items()
        }
        # per level: name → its parent chain, for names whose parent chain is unique
        self.unique_parent: tuple[dict[str, tuple[str, str, str]], ...] = tuple(
            {name: chain for (lv, name), chain in self.parent.items() if lv == level and chain is not None}
            for level in NAME_LEVELS
        )
        self.streets_in: dict[tuple[str, str], frozenset[str]] = {k: frozenset(v) for k, v in streets_in.items()}
        self.counties: frozenset[str] = frozenset(n for n, lv in self.levels_of.items() if "county" in lv)
        self.streets: frozenset[str] = frozenset(n for n, lv in self.levels_of.items() if "street" in lv)
        core_owner: dict[str, set[str]] = {}
        for name in self.levels_of:
            core = name_core(name)
            if core:
                core_owner.setdefault(core, set()).add(name)
        self.cores: dict[str, str] = {
            core: next(iter(owners))
            for core, owners in core_owner.items()
            if len(owners) == 1 and core not in self.levels_of
        }
        # names and cores by their first two characters, longest first: a lookup is one dict get
        self._full_by_start = _index_by_start(self.levels_of)
        self._core_by_start = _index_by_start(self.cores)

    @classmethod
    def from_parts(cls, addresses: Iterable[AddressParts]) -> Gazetteer:
        return cls((a.county, a.township, a.community, a.street) for a in addresses)

    def is_known(self, level: str, name: str) -> bool:
        return level in self.levels_of.get(name, ())

    def _full_at(self, text: str, pos: int) -> tuple[int, str] | None:
        for name in self._full_by_start.get(text[pos : pos + 2], ()):
            if text.startswith(name, pos):
                return len(name), name
        return None

    def _core_at(self, text: str, pos: int) -> tuple[int, str] | None:
        for core in self._core_by_start.get(text[pos : pos + 2], ()):
            if text.startswith(core, pos):
                return len(core), core
        return None

    def find_at(self, text: str, pos: int) -> tuple[int, str] | None:
        """The longest known name at ``pos`` as (characters consumed, full name), else a known core
        that is followed by the end, another known name or core — never by a level suffix (兴隆 is
        兴隆路 only if it is not 兴隆街)."""
        hit = self._full_at(text, pos)
        if hit:
            return hit
        hit = self._core_at(text, pos)
        if hit:
            end = pos + hit[0]
            if end == len(text) or (
                not _STARTS_WITH_SUFFIX.match(text, end) and (self._full_at(text, end) or self._core_at(text, end))
            ):
                return hit[0], self.cores[hit[1]]
        return None

    def next_known(self, text: str, pos: int) -> int:
        """The first position after ``pos`` where a known full name starts (len(text) if none)."""
        for q in range(pos + 1, len(text)):
            if self._full_at(text, q):
                return q
        return len(text)


def _index_by_start(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for name in names:
        if len(name) >= 2:
            index.setdefault(name[:2], []).append(name)
    return {k: tuple(sorted(v, key=lambda n: (-len(n), n))) for k, v in index.items()}


@dataclass(frozen=True)
class ParsedAddress:
    parts: AddressParts
    leftover: str  # characters that fit no level
    confidence: float  # 0..1: how completely the text was understood
    normalised: str = ""
    inferred: tuple[str, ...] = ()  # levels filled from the gazetteer, not read from the text
    also: str = ""  # a second locator the text gave, not used for matching ("兴隆路188号" before a 小区)


def _split_head(head: str, gazetteer: Gazetteer | None) -> list[tuple[str, tuple[int, ...] | None]]:
    """Tokens of the name head: (text, candidate level indices) — None for a chunk with no suffix."""
    tokens: list[tuple[str, tuple[int, ...] | None]] = []
    pos, n = 0, len(head)
    while pos < n:
        if gazetteer is not None:
            hit = gazetteer.find_at(head, pos)
            if hit:
                tokens.append((hit[1], gazetteer.level_index_of[hit[1]]))
                pos += hit[0]
                continue
            limit = gazetteer.next_known(head, pos)
        else:
            limit = n
        m = _SUFFIX_TOKEN.match(head, pos, limit)
        if m:
            tokens.append((m.group(0), (LEVEL_INDEX[LEVEL_SUFFIXES[m.group("suf")]],)))
            pos = m.end()
            continue
        chunk = head[pos:limit]
        if (
            chunk in LEVEL_SUFFIXES
            and tokens
            and tokens[-1][1] == (STREET,)
            and (gazetteer is None or tokens[-1][0] not in gazetteer.levels_of)
        ):  # "金水园" + "小区": a suffix split off an unknown street goes back to it
            text, levels = tokens.pop()
            tokens.append((text + chunk, levels))
        else:
            tokens.append((chunk, None))
        pos = limit
    return tokens


def _assign_levels(tokens: list[tuple[str, tuple[int, ...] | None]]) -> tuple[list[str], list[str]]:
    """Level values (county, township, community, street) and the tokens that fit no level."""
    values = ["", "", "", ""]
    leftover: list[str] = []
    last = -1
    final = len(tokens) - 1
    for i, (text, levels) in enumerate(tokens):
        choice: int | None = None
        if levels is None:
            if i < final:
                nxt = next((lv for _, lv in tokens[i + 1 :] if lv is not None), None)
                upper = min(nxt) if nxt else 4
                slots = [k for k in range(last + 1, upper) if not values[k]]
                if len(slots) == 1:
                    choice = slots[0]
        else:
            for k in levels:
                if k > last:
                    choice = k
                    break
        if choice is None and i == final and not values[STREET]:
            # the last name before the numbers is the street: a typo may have eaten or changed its
            # suffix (兴隆 for 兴隆路, 梅朝区 for 梅朝小区)
            choice = STREET
        if choice is None:
            leftover.append(text)
        else:
            values[choice] = text
            last = choice
    return values, leftover


_CANONICAL_TAIL = re.compile(
    r"(?:(?P<house_number>[1-9][0-9]*[A-Z]?(?:-[0-9]+)?)号)?(?:(?P<building>[0-9]+[A-Z]?|[A-Z][0-9]*)栋)?"
    r"(?:(?P<unit_no>[1-9][0-9]*)单元)?(?:(?P<floor>[1-9][0-9]*)层)?(?:(?P<room>[1-9][0-9]*[A-Z]?)室|(?P<bare>[1-9][0-9]{2,3}))?"
)


_TAIL_NAME = re.compile(r"(号|栋|单元|层|室)?[^0-9A-Z\-]+")
_TAIL_HAS_NAME = re.compile(r"[^0-9A-Z\-号栋单元层室]")


def _parse_tail(tail: str) -> tuple[dict[str, str], list[str]]:
    m = _CANONICAL_TAIL.fullmatch(tail)
    if m:  # the usual shape: 18号3栋2单元501室 and its parts
        fast = {k: v for k, v in m.groupdict().items() if v}
        bare = fast.pop("bare", None)
        if bare is not None:  # 3栋2单元501 → room; 兴隆路188 alone → house number
            fast["room" if fast else "house_number"] = bare
        return fast, []
    values: dict[str, str] = {}
    leftover: list[str] = []
    matches = list(_TAIL.finditer(tail))
    for i, m in enumerate(matches):
        kind = m.lastgroup or "other"
        value = m.group(kind)
        is_last = all(x.lastgroup == "other" for x in matches[i + 1 :])
        if kind in ("house", "building", "unit", "floor", "room"):
            key = {"house": "house_number", "unit": "unit_no"}.get(kind, kind)
            if kind == "floor" and "building" not in values and any(x.lastgroup == "unit" for x in matches[i + 1 :]):
                key = "building"  # "3楼2单元501": a 楼 before the unit is the building
            if key in values:
                leftover.append(m.group(0))
            else:
                values[key] = value.lstrip("0") or "0" if kind != "building" else value
        elif kind == "dash":
            nums = value.split("-")
            if len(nums) == 2 and len(nums[1]) < 3 and "house_number" not in values and not values:
                values["house_number"] = value  # 兴隆路18-3: a sub-number
                continue
            slots = ["building", "unit_no", "room"]
            if len(nums) >= 4:
                slots = ["house_number", *slots]
            elif len(nums) == 2:
                slots = ["unit_no", "room"] if "building" in values else ["building", "room"]
            free = [s for s in slots if s not in values][-len(nums) :]
            if len(free) == len(nums):
                values.update(zip(free, nums, strict=True))
            else:
                leftover.append(value)
        elif kind == "bare":
            if is_last and values and "room" not in values and (3 <= len(value) <= 4 or "unit_no" in values):
                values["room"] = value
            elif not values:
                values["house_number"] = value
            else:
                leftover.append(value)
        else:
            leftover.append(value)
    return values, leftover


def _estate_in_tail(tail: str, gazetteer: Gazetteer | None) -> tuple[int, int] | None:
    """Where a 小区 / building name sits among the numbers ("188号阳光花园3栋…"): the last name run
    that is a known street or ends with a street-level suffix and is followed by more numbers."""
    found = None
    for m in _TAIL_NAME.finditer(tail):
        start = m.start() + len(m.group(1) or "")
        name = tail[start : m.end()]
        if m.end() >= len(tail) or len(name) < 2:
            continue
        known = gazetteer is not None and name in gazetteer.streets
        suffix = _SUFFIX_TOKEN.fullmatch(name)
        if known or (suffix and LEVEL_SUFFIXES[suffix.group("suf")] == "street"):
            found = (start, m.end())
    return found


def parse_address(text: str, *, gazetteer: Gazetteer | None = None) -> ParsedAddress:
    """Split a free-text address into :class:`AddressParts` (see the module docstring)."""
    norm = normalise(text, counties=gazetteer.counties if gazetteer is not None else ())
    m = _HEAD_END.search(norm)
    cut = m.start() if m else len(norm)
    names, leftover = _assign_levels(_split_head(norm[:cut], gazetteer))
    tail = norm[cut:]
    also = ""
    if _TAIL_HAS_NAME.search(tail):
        estate = _estate_in_tail(tail, gazetteer)
        if estate:  # 兴隆路188号阳光花园3栋2单元501室: the 小区 is the street, the road number a second locator
            also = names[STREET] + tail[: estate[0]]
            names[STREET] = tail[estate[0] : estate[1]]
            tail = tail[estate[1] :]
    numbers, tail_left = _parse_tail(tail)
    leftover += tail_left
    inferred: list[str] = []
    confidence = 1.0
    if gazetteer is not None:
        county = names[0]
        if county and gazetteer.counties and county not in gazetteer.counties and any(names[1:]):
            leftover.insert(0, county)  # a stray city name ("潍坊市" with the county left out)
            names[0] = ""
        for level in (3, 2, 1):
            if not all(names[:level]) and names[level]:
                chain = gazetteer.unique_parent[level].get(names[level])
                if chain is not None:
                    for k in range(level):
                        if not names[k] and chain[k]:
                            names[k] = chain[k]
                            inferred.append(ADMIN_LEVELS[k])
        if not names[0] and len(gazetteer.counties) == 1:
            names[0] = next(iter(gazetteer.counties))
            inferred.append("county")
        if names[STREET] and names[STREET] not in gazetteer.streets:
            confidence *= 0.8
    if not names[STREET]:
        confidence *= 0.7
    left = "".join(leftover)
    if left:
        confidence *= 1.0 - 0.5 * min(1.0, len(left) / max(1, len(norm)))
    parts = AddressParts(names[0], names[1], names[2], names[3], **numbers)
    return ParsedAddress(parts, left, round(confidence, 4), norm, tuple(sorted(inferred)), also)
