"""Matching free-text addresses to standard addresses (地址匹配).

:class:`AddressMatcher` builds its indexes once from ``(id, AddressParts)`` pairs; each query is parsed
with the standard set's :class:`~.parse.Gazetteer`, then:

1. **exact** — dict lookup of (street, number key) where the number key is 门牌|楼栋|单元|户室 (the floor
   only when there is no room: 501室 implies floor 5). Candidates whose county/township/community
   contradict a level the query states (and the gazetteer knows) are dropped; one left → matched.
   Confidence 1.0 when every administrative level agrees, 0.97 when some were missing or inferred.
   Several left (a street name used in two villages, the village not given) → no match, candidates
   listed, for review. None left but the street + numbers are unique → that address, method "fuzzy",
   note "admin_conflict", confidence 0.7 (the text names another community: a person checks) —
   unless a similar street in the named community has these numbers (then that one, fuzzy).
   Street-less standard addresses (王家庄村58号) are looked up the same way with street "".
2. **fuzzy** — the street is unknown (typo) or absent: the candidates are the streets of the
   narrowest administrative unit the query names (community, else township, else the county) that
   have an address with the same number key — never a scan of all standard strings. The street name
   is scored with ``rapidfuzz.fuzz.ratio`` (ties broken by Levenshtein similarity); the best must reach
   :data:`FUZZY_MIN_SCORE` and beat the runner-up. Confidence = score × a factor for how narrow the
   unit was.
3. **none** — nothing qualifies (a street that does not exist, numbers that do not exist).

Characters the parser could not place (``ParsedAddress.leftover``) lower every confidence a little.
``MatchResult.needs_review`` is true below :data:`REVIEW_THRESHOLD` (and for every non-match).
Deterministic: no set iteration reaches the output; ties are broken by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from .normalise import normalise_name
from .parse import Gazetteer, ParsedAddress, parse_address
from .structure import AddressParts

REVIEW_THRESHOLD = 0.85
FUZZY_MIN_SCORE = 0.6
CONFIDENCE_EXACT = 1.0
CONFIDENCE_RELAXED = 0.97  # exact street and numbers, some administrative level missing or inferred
CONFIDENCE_ADMIN_CONFLICT = 0.7  # unique street and numbers, but the query names another community/township
CONFIDENCE_NO_STREET = 0.6  # no street given, one address in the unit has these numbers
UNIT_FACTOR = {"community": 1.0, "township": 0.95, "county": 0.9}
MAX_CANDIDATES = 5
TIE_LIMIT = 10  # fuzzy candidates scored for the tie-break


@dataclass(frozen=True, slots=True)
class MatchResult:
    address_id: int | None
    confidence: float  # 0..1
    method: str  # "exact" | "fuzzy" | "none"
    candidates: tuple[int, ...] = ()  # ids worth showing a reviewer, best first
    note: str = ""  # why: "", "relaxed", "ambiguous", "admin_conflict", "no_street", "no_similar_street" …

    @property
    def needs_review(self) -> bool:
        return self.address_id is None or self.confidence < REVIEW_THRESHOLD


#: above this many ids for one street+numbers key, look the named community up directly
NARROW_ABOVE = 8


def number_key(parts: AddressParts) -> str:
    """门牌|楼栋|单元|户室 — the floor stands in for the room only when there is no room."""
    last = parts.room if parts.room else (f"F{parts.floor}" if parts.floor else "")
    return f"{parts.house_number}|{parts.building}|{parts.unit_no}|{last}"


_NO_NUMBERS = number_key(AddressParts())


class AddressMatcher:
    """Match free text against a fixed set of standard addresses (see the module docstring)."""

    def __init__(
        self,
        standard: Sequence[tuple[int, AddressParts]] | Iterable[tuple[int, AddressParts]],
        *,
        fuzzy_min_score: float = FUZZY_MIN_SCORE,
    ) -> None:
        self.fuzzy_min_score = fuzzy_min_score
        names: dict[str, str] = {}

        def norm(value: str) -> str:
            out = names.get(value)
            if out is None:
                out = names[value] = normalise_name(value) if value else ""
            return out

        admins: dict[tuple[str, str, str], int] = {}  # interned admin chains
        self._admin_chains: list[tuple[str, str, str]] = []
        self._by_key: dict[str, int] = {}  # "street|numkey" → id, first id wins
        self._multi: dict[str, list[int]] = {}  # "street|numkey" → every id, when more than one
        self._admin_of: dict[int, int] = {}  # id → index into _admin_chains
        # "community|street|numkey" → ids: narrows keys shared by hundreds of villages (王家庄村58号
        # and every other village's door 58 have the same street "" and number key)
        self._by_community: dict[str, list[int]] = {}
        num_streets: dict[str, set[str]] = {}
        chains: set[tuple[str, str, str, str]] = set()
        self.size = 0
        for address_id, parts in standard:
            admin = (norm(parts.county), norm(parts.township), norm(parts.community))
            street = norm(parts.street)
            chains.add((*admin, street))
            a = admins.get(admin)
            if a is None:
                a = admins[admin] = len(self._admin_chains)
                self._admin_chains.append(admin)
            self._admin_of[address_id] = a
            numkey = number_key(parts)
            key = f"{street}|{numkey}"
            first = self._by_key.setdefault(key, address_id)
            if first != address_id:
                self._multi.setdefault(key, [first]).append(address_id)
            self._by_community.setdefault(f"{admin[2]}|{key}", []).append(address_id)
            num_streets.setdefault(numkey, set()).add(street)
            self.size += 1
        self.gazetteer = Gazetteer(chains)
        self._num_streets: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in num_streets.items()}
        self._all_streets = frozenset(c[3] for c in chains if c[3])

    # --------------------------------------------------------------------------------- public

    def parse(self, text: str) -> ParsedAddress:
        return parse_address(text, gazetteer=self.gazetteer)

    def match(self, text: str) -> MatchResult:
        return self.match_parsed(self.parse(text))

    def match_many(self, texts: Iterable[str]) -> list[MatchResult]:
        """Match a batch: identical texts are parsed and matched once."""
        cache: dict[str, MatchResult] = {}
        out: list[MatchResult] = []
        for text in texts:
            result = cache.get(text)
            if result is None:
                result = cache[text] = self.match(text)
            out.append(result)
        return out

    def match_parsed(self, parsed: ParsedAddress) -> MatchResult:
        parts = parsed.parts
        numkey = number_key(parts)
        if numkey == _NO_NUMBERS:
            return MatchResult(None, 0.0, "none", (), "no_numbers")
        given = self._given_admin(parts)
        penalty = 1.0 - 0.3 * min(1.0, len(parsed.leftover) / max(1, len(parsed.normalised)))
        ids = self._ids(parts.street, numkey)  # street "" too: 王家庄村58号 has no street
        if len(ids) > NARROW_ABOVE and given[2]:
            narrowed = self._by_community.get(f"{given[2]}|{parts.street}|{numkey}")
            if narrowed:
                ids = narrowed  # the same answer _resolve would reach, without scanning every village
        if ids:
            result = self._resolve(ids, given, parsed, penalty)
            if result.note != "admin_conflict":
                return result
            # the street exists, but elsewhere: a similar street in the named community comes first
            # (后徐庄一巷 in 后徐家庄村 is a typo of 后徐家庄一巷, not 徐庄村's 徐庄一巷)
            nearer = self._fuzzy(parts.street, numkey, given, penalty)
            return nearer if nearer.address_id is not None else result
        return self._fuzzy(parts.street, numkey, given, penalty)

    # -------------------------------------------------------------------------------- internals

    def _given_admin(self, parts: AddressParts) -> tuple[str, str, str]:
        """The administrative levels the query states and the gazetteer knows ('' otherwise)."""
        levels_of = self.gazetteer.levels_of
        county, township, community = parts.county, parts.township, parts.community
        return (
            county if county and "county" in levels_of.get(county, ()) else "",
            township if township and "township" in levels_of.get(township, ()) else "",
            community if community and "community" in levels_of.get(community, ()) else "",
        )

    def _ids(self, street: str, numkey: str) -> list[int]:
        key = f"{street}|{numkey}"
        multi = self._multi.get(key)
        if multi is not None:
            return multi
        first = self._by_key.get(key)
        return [] if first is None else [first]

    def _consistent(self, address_id: int, given: tuple[str, str, str]) -> bool:
        chain = self._admin_chains[self._admin_of[address_id]]
        return (
            (not given[0] or given[0] == chain[0])
            and (not given[1] or given[1] == chain[1])
            and (not given[2] or given[2] == chain[2])
        )

    def _resolve(
        self, ids: list[int], given: tuple[str, str, str], parsed: ParsedAddress, penalty: float
    ) -> MatchResult:
        consistent = [i for i in ids if self._consistent(i, given)]
        if len(consistent) == 1:
            full = all(given) and not parsed.inferred
            confidence = (CONFIDENCE_EXACT if full else CONFIDENCE_RELAXED) * penalty
            note = "" if full else "relaxed"
            return MatchResult(consistent[0], round(confidence, 4), "exact", (consistent[0],), note)
        if consistent:
            return MatchResult(None, 0.5, "none", tuple(sorted(consistent)[:MAX_CANDIDATES]), "ambiguous")
        if len(ids) == 1:
            confidence = CONFIDENCE_ADMIN_CONFLICT * penalty
            return MatchResult(ids[0], round(confidence, 4), "fuzzy", (ids[0],), "admin_conflict")
        return MatchResult(None, 0.3, "none", tuple(sorted(ids)[:MAX_CANDIDATES]), "admin_conflict")

    def _unit(self, given: tuple[str, str, str]) -> tuple[str, frozenset[str]]:
        g = self.gazetteer
        if given[2]:
            return "community", g.streets_in.get(("community", given[2]), frozenset())
        if given[1]:
            return "township", g.streets_in.get(("township", given[1]), frozenset())
        return "county", self._all_streets

    def _fuzzy(self, street: str, numkey: str, given: tuple[str, str, str], penalty: float) -> MatchResult:
        with_numbers = self._num_streets.get(numkey)
        if not with_numbers:
            return MatchResult(None, 0.0, "none", (), "no_such_numbers")
        level, in_unit = self._unit(given)
        small, large = (in_unit, with_numbers) if len(in_unit) <= len(with_numbers) else (with_numbers, in_unit)
        candidates = sorted(s for s in small if s in large)
        if not candidates:
            return MatchResult(None, 0.0, "none", (), "no_candidates")
        if not street:
            if len(candidates) == 1:
                return self._pick(candidates[0], numkey, given, CONFIDENCE_NO_STREET * penalty, "no_street")
            return MatchResult(None, 0.3, "none", self._candidate_ids(candidates[:MAX_CANDIDATES], numkey), "no_street")
        scored = process.extract(street, candidates, scorer=fuzz.ratio, limit=TIE_LIMIT)
        # ties on the Indel ratio (which counts a substituted character twice and ignores order) are
        # broken by the Levenshtein similarity: 安糠北巷 is one edit from 安康北巷, two from 长安北巷
        ranked = sorted(
            ((score, Levenshtein.normalized_similarity(street, name), name) for name, score, _ in scored),
            key=lambda r: (-r[0], -r[1], r[2]),
        )
        best_name, best_score = ranked[0][2], ranked[0][0] / 100.0
        ids = self._candidate_ids([r[2] for r in ranked[:3]], numkey)
        if best_score < self.fuzzy_min_score:
            return MatchResult(None, round(best_score * 0.5, 4), "none", ids, "no_similar_street")
        if len(ranked) > 1 and ranked[1][:2] == ranked[0][:2]:
            return MatchResult(None, 0.5, "none", ids, "ambiguous")
        confidence = min(0.99, best_score * UNIT_FACTOR[level]) * penalty
        return self._pick(best_name, numkey, given, confidence, "")

    def _pick(self, street: str, numkey: str, given: tuple[str, str, str], confidence: float, note: str) -> MatchResult:
        ids = [i for i in self._ids(street, numkey) if self._consistent(i, given)]
        if len(ids) == 1:
            return MatchResult(ids[0], round(confidence, 4), "fuzzy", (ids[0],), note)
        return MatchResult(None, 0.4, "none", tuple(sorted(ids)[:MAX_CANDIDATES]), "ambiguous")

    def _candidate_ids(self, streets: Sequence[str], numkey: str) -> tuple[int, ...]:
        out: list[int] = []
        for s in streets:
            out.extend(self._ids(s, numkey))
        return tuple(out[:MAX_CANDIDATES])

    def stats(self) -> dict[str, int]:
        return {
            "addresses": self.size,
            "streets": len(self._all_streets),
            "keys": len(self._by_key),
            "duplicate_keys": len(self._multi),
            "number_keys": len(self._num_streets),
        }
