"""What "similar" means for de-duplication (查重): neighbouring addresses of people and similar names of
establishments (实有单位) at the same address. Pure functions, no database.

Similar address (相近地址) of two residences, decided on the structured levels of the standard address:

* **same house** — the same standard address;
* **same door** — the same 街路巷/小区 (or, for village doors without a street, the same 村) in the same
  township and community, and the same 门楼牌 (or the same 楼栋 in a 小区) — another room of one building;
* **neighbouring door** — as above, with door (or 楼栋) numbers at most :data:`NEIGHBOUR_DOORS` apart:
  the next door on a road numbered one side odd / the other even is two numbers away, the next building
  of a 小区 is one away.

Anything else (another street, another village, a door further away, an unnumbered door) is not similar.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

from zhufang.registry.addressing.normalise import PROVINCE_SHORT

#: door (or 楼栋) numbers at most this far apart are neighbours
NEIGHBOUR_DOORS = 2


@dataclass(frozen=True)
class Residence:
    """The levels of a residence's standard address that the neighbour rule reads."""

    address_id: int
    township: str
    community: str
    street: str
    house_number: str
    building: str


#: address closeness → (label, score contribution)
SAME_HOUSE, SAME_DOOR, NEIGHBOURING_DOOR = "same_house", "same_door", "neighbouring_door"
CLOSENESS_SCORE = {SAME_HOUSE: 0.95, SAME_DOOR: 0.9, NEIGHBOURING_DOOR: 0.85}


def _door(r: Residence) -> tuple[str, str]:
    """(level, number) of the numbered level right below the street: the 门楼牌, else the 楼栋."""
    if r.house_number:
        return "door", r.house_number
    return "building", r.building


def address_closeness(a: Residence, b: Residence) -> str | None:
    """``same_house`` / ``same_door`` / ``neighbouring_door``, or ``None`` when not similar."""
    if a.address_id == b.address_id:
        return SAME_HOUSE
    if (a.township, a.community, a.street) != (b.township, b.community, b.street):
        return None
    if not (a.street or a.community):
        return None
    (level_a, number_a), (level_b, number_b) = _door(a), _door(b)
    if level_a != level_b or not number_a or not number_b:
        return None
    if number_a == number_b:
        return SAME_DOOR
    if number_a.isdigit() and number_b.isdigit() and abs(int(number_a) - int(number_b)) <= NEIGHBOUR_DOORS:
        return NEIGHBOURING_DOOR
    return None


# ----------------------------------------------------------------------------------- unit names

#: legal-form words at the end of a unit name, longest first (临朐县利达化工有限公司 ~ 临朐县利达化工)
LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "分公司",
    "公司",
)
#: unit names at least this similar (0-1, after :func:`name_core`) at one address are proposed. Not lower:
#: one character apart in a short core is usually another 字号 (圣源 / 福源烟酒店, 0.857), not a typo.
NAME_THRESHOLD = 0.9
_BRACKETED = re.compile(r"[（(]([^（）()]*)[）)]")
_REGION_SUFFIXES = ("县", "区", "市", "旗")


@functools.lru_cache(maxsize=64)
def region_words(counties: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Region names that may lead a unit name: the counties (临朐县 and 临朐) and the province-level
    names with or without 省; longest first."""
    words = {f"{p}省" for p in PROVINCE_SHORT} | set(PROVINCE_SHORT)
    for county in counties:
        if county:
            words.add(county)
            if county.endswith(_REGION_SUFFIXES) and len(county) > 2:
                words.add(county[:-1])
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


def name_core(name: str, counties: tuple[str, ...] = ()) -> str:
    """The distinctive part of a unit name: width folded, region prefixes (山东 / 临朐县 / 临朐 …) and a
    bracketed region ("（临朐）") dropped, the legal form (有限公司 …) dropped.

    >>> name_core("临朐山东荣华超市有限公司", ("临朐县",)), name_core("蒋峪众鑫种子站（临朐）", ("临朐县",))
    ('荣华超市', '蒋峪众鑫种子站')
    """
    text = "".join(unicodedata.normalize("NFKC", name).split())
    words = region_words(counties)
    text = _BRACKETED.sub(lambda m: "" if m.group(1) in words else m.group(0), text)
    stripped = True
    while stripped:
        stripped = False
        for word in words:
            if text.startswith(word) and len(text) > len(word) + 1:
                text = text[len(word) :]
                stripped = True
                break
    for form in LEGAL_FORMS:
        if text.endswith(form) and len(text) > len(form) + 1:
            text = text[: -len(form)]
            break
    return text


def name_similarity(a: str, b: str, counties: tuple[str, ...] = ()) -> float:
    """0-1: how alike two unit names are, compared by their cores (:func:`core_similarity`)."""
    return core_similarity(name_core(a, counties), name_core(b, counties))


def core_similarity(core_a: str, core_b: str) -> float:
    """0-1: rapidfuzz's ratio of two name cores; a core that ends the other (鑫源宾馆 ~ 城关鑫源宾馆: a
    qualifier typed by one officer only) counts as 0.9."""
    if not core_a or not core_b:
        return 0.0
    score = fuzz.ratio(core_a, core_b) / 100.0
    short, long = sorted((core_a, core_b), key=len)
    if len(short) >= 4 and long.endswith(short):
        score = max(score, 0.9)
    return round(score, 3)
