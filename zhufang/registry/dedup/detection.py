"""Finding duplicate candidates (疑似重复) — set-based and blocked, so a county's million people take
seconds, not a pairwise scan.

Rules (``DuplicateCandidate.rule``):

* people, ``same_id`` — two records with the same document (equal blind index ``id_index``; the
  ciphertext is never compared): ``GROUP BY id_index HAVING COUNT(*) > 1``;
* people, ``name_birth_address`` — same name and birth date (the block: one indexed semi-join on
  ``(name, birth_date)``), then within the block the residences must be similar
  (:func:`~zhufang.registry.dedup.similarity.address_closeness`: the same house, another room of the
  same door, or a neighbouring door of the same street / 小区 / village). A person whose residence
  text still waits in the address review queue is compared at the queue's suggested address, with a
  lower score; without a suggestion, not at all;
* establishments, ``same_uscc`` — the same 统一社会信用代码;
* establishments, ``similar_name_address`` — at the same standard address (the block), names whose
  cores are at least :data:`~zhufang.registry.dedup.similarity.NAME_THRESHOLD` alike (rapidfuzz),
  unless both carry a USCC and the codes differ (two registered units).

Only records not merged into another take part, and a pair needs at least one active record.
Re-running is idempotent: a pair keeps its row (``kind, first_id, second_id`` is unique); a pending
pair is refreshed (rule, score, owner unit) or withdrawn when it no longer matches; a pair reviewed
as merged or distinct is never touched again, so a distinct pair is never re-proposed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.org.models import OrgKind, OrgUnit
from zhufang.registry.dedup.similarity import (
    CLOSENESS_SCORE,
    NAME_THRESHOLD,
    Residence,
    address_closeness,
    name_similarity,
)
from zhufang.registry.models import AddressReview, DuplicateCandidate, DuplicateKind, Establishment, Person

SAME_ID = "same_id"
NAME_BIRTH_ADDRESS = "name_birth_address"
SAME_USCC = "same_uscc"
SIMILAR_NAME_ADDRESS = "similar_name_address"
#: a shared phone number raises a name + birth date + address pair's score by this much
PHONE_BONUS = 0.04
Pair = tuple[int, int]


@dataclass(frozen=True)
class Proposal:
    """A pair the rules found: ``first_id < second_id``; owned by the first record's unit."""

    first_id: int
    second_id: int
    rule: str
    score: float
    owner_unit_id: int | None


@dataclass
class DetectionResult:
    """What one run did, per kind: pairs found, rows created, pending rows refreshed or withdrawn."""

    found: dict[str, int] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    refreshed: dict[str, int] = field(default_factory=dict)
    withdrawn: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {
            "found": self.found,
            "created": self.created,
            "refreshed": self.refreshed,
            "withdrawn": self.withdrawn,
            "seconds": self.seconds,
        }


def _ordered(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def _universe(actor: Any | None, queryset: QuerySet[Any]) -> QuerySet[Any]:
    queryset = queryset.filter(merged_into__isnull=True)
    return queryset if actor is None else visible_to(actor, queryset)


# ------------------------------------------------------------------------------------------ people


def _people_same_id(people: QuerySet[Person]) -> dict[Pair, Proposal]:
    shared = (
        people.filter(id_index__isnull=False)
        .exclude(id_index="")
        .values("id_index")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values("id_index")
    )
    groups: dict[str | None, list[tuple[int, bool, int | None]]] = defaultdict(list)
    for pk, index, active, unit in people.filter(id_index__in=shared).values_list(
        "pk", "id_index", "is_active", "owner_unit_id"
    ):
        groups[index].append((pk, active, unit))
    found: dict[Pair, Proposal] = {}
    for members in groups.values():
        members.sort()
        for (a, active_a, unit_a), (b, active_b, _unit_b) in itertools.combinations(members, 2):
            if active_a or active_b:
                found[(a, b)] = Proposal(a, b, SAME_ID, 1.0, unit_a)
    return found


_RESIDENCE_FIELDS = (
    "house__address_id",
    "house__address__township",
    "house__address__community",
    "house__address__street",
    "house__address__house_number",
    "house__address__building",
)


#: a residence taken from the address review queue's suggestion (not yet confirmed) lowers the score
SUGGESTED_PENALTY = 0.1


@dataclass(frozen=True)
class _Member:
    pk: int
    active: bool
    unit: int | None
    phone_index: str | None
    residence: Residence
    suggested: bool  # the residence is the pending address review's suggestion


def _suggested_residences(person_ids: list[int]) -> dict[int, Residence]:
    """For people whose residence text matched below the threshold: the review queue's best guess."""
    out: dict[int, Residence] = {}
    for start in range(0, len(person_ids), 5000):
        rows = (
            AddressReview.objects.filter(
                person_id__in=person_ids[start : start + 5000],
                status=AddressReview.Status.PENDING,
                suggestion__isnull=False,
            )
            .order_by("-id")
            .values_list(
                "person_id",
                "suggestion_id",
                "suggestion__township",
                "suggestion__community",
                "suggestion__street",
                "suggestion__house_number",
                "suggestion__building",
            )
        )
        for person_id, *levels in rows:
            out.setdefault(person_id, Residence(*levels))
    return out


def _people_name_birth_address(people: QuerySet[Person]) -> dict[Pair, Proposal]:
    namesakes = people.filter(name=OuterRef("name"), birth_date=OuterRef("birth_date")).exclude(pk=OuterRef("pk"))
    rows = list(
        people.filter(birth_date__isnull=False)
        .filter(Exists(namesakes))
        .values_list("pk", "name", "birth_date", "is_active", "owner_unit_id", "phone_index", *_RESIDENCE_FIELDS)
    )
    suggested = _suggested_residences([row[0] for row in rows if row[6] is None])
    # block (name, birth date), sub-blocked by (township, community, street): the rule needs all three equal
    blocks: dict[tuple[str, dt.date, str, str, str], list[_Member]] = defaultdict(list)
    for pk, name, birth, active, unit, phone, address_id, township, community, street, door, building in rows:
        if address_id is not None:
            residence, guessed = Residence(address_id, township, community, street, door, building), False
        elif pk in suggested:
            residence, guessed = suggested[pk], True
        else:
            continue  # residence unknown: nothing to compare
        key = (name, birth, residence.township, residence.community, residence.street)
        blocks[key].append(_Member(pk, active, unit, phone, residence, guessed))
    found: dict[Pair, Proposal] = {}
    for members in blocks.values():
        members.sort(key=lambda m: m.pk)
        for a, b in itertools.combinations(members, 2):
            if not (a.active or b.active):
                continue
            closeness = address_closeness(a.residence, b.residence)
            if closeness is None:
                continue
            score = CLOSENESS_SCORE[closeness]
            score += PHONE_BONUS if a.phone_index and a.phone_index == b.phone_index else 0
            score -= SUGGESTED_PENALTY if a.suggested or b.suggested else 0
            found[(a.pk, b.pk)] = Proposal(a.pk, b.pk, NAME_BIRTH_ADDRESS, round(score, 3), a.unit)
    return found


def detect_people(actor: Any | None = None) -> dict[Pair, Proposal]:
    """Candidate pairs of people in the actor's scope (everyone for ``None``); ``same_id`` wins when a
    pair meets both rules."""
    people = _universe(actor, Person.objects.all())
    found = _people_name_birth_address(people)
    found.update(_people_same_id(people))
    return found


# ---------------------------------------------------------------------------------- establishments


def _establishments_same_uscc(units: QuerySet[Establishment]) -> dict[Pair, Proposal]:
    shared = units.exclude(uscc="").values("uscc").annotate(n=Count("pk")).filter(n__gt=1).values("uscc")
    groups: dict[str, list[tuple[int, bool, int | None, int | None]]] = defaultdict(list)
    for pk, code, active, unit, address in units.filter(uscc__in=shared).values_list(
        "pk", "uscc", "is_active", "owner_unit_id", "address_id"
    ):
        groups[code].append((pk, active, unit, address))
    found: dict[Pair, Proposal] = {}
    for members in groups.values():
        members.sort()
        for (a, active_a, unit_a, address_a), (b, active_b, _u, address_b) in itertools.combinations(members, 2):
            if active_a or active_b:
                score = 1.0 if address_a is not None and address_a == address_b else 0.9
                found[(a, b)] = Proposal(a, b, SAME_USCC, score, unit_a)
    return found


#: how a bureau's name ends after its county's (临朐县公安局 → 临朐县)
BUREAU_SUFFIXES = ("公安分局", "公安局")


def bureau_counties() -> tuple[str, ...]:
    """The counties the bureaus police, read off their names (临朐县公安局 → 临朐县): standard addresses
    keep the county level empty when the whole registry lies in one county."""
    names = []
    for name in OrgUnit.objects.filter(kind=OrgKind.BUREAU).values_list("name", flat=True):
        for suffix in BUREAU_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                names.append(name[: -len(suffix)])
                break
    return tuple(sorted(set(names)))


def _establishments_similar_name(units: QuerySet[Establishment]) -> dict[Pair, Proposal]:
    neighbours = units.filter(address_id=OuterRef("address_id")).exclude(pk=OuterRef("pk"))
    rows = (
        units.filter(address__isnull=False)
        .filter(Exists(neighbours))
        .values_list("pk", "name", "uscc", "is_active", "owner_unit_id", "address_id", "address__county")
    )
    blocks: dict[int, list[tuple[int, str, str, bool, int | None, str]]] = defaultdict(list)
    for pk, name, code, active, unit, address_id, county in rows:
        blocks[address_id].append((pk, name, code, active, unit, county))
    known = bureau_counties()
    found: dict[Pair, Proposal] = {}
    for members in blocks.values():
        members.sort()
        for a, b in itertools.combinations(members, 2):
            (pk_a, name_a, code_a, active_a, unit_a, county), (pk_b, name_b, code_b, active_b, _u, _c) = a, b
            if not (active_a or active_b) or (code_a and code_b and code_a != code_b):
                continue
            score = name_similarity(name_a, name_b, (county, *known) if county else known)
            if score >= NAME_THRESHOLD:
                found[(pk_a, pk_b)] = Proposal(pk_a, pk_b, SIMILAR_NAME_ADDRESS, score, unit_a)
    return found


def detect_establishments(actor: Any | None = None) -> dict[Pair, Proposal]:
    """Candidate pairs of establishments in scope; ``same_uscc`` wins when a pair meets both rules."""
    units = _universe(actor, Establishment.objects.all())
    found = _establishments_similar_name(units)
    found.update(_establishments_same_uscc(units))
    return found


DETECTORS: dict[str, Callable[[Any | None], dict[Pair, Proposal]]] = {
    DuplicateKind.PERSON: detect_people,
    DuplicateKind.ESTABLISHMENT: detect_establishments,
}
MODELS: dict[str, type[Person] | type[Establishment]] = {
    DuplicateKind.PERSON: Person,
    DuplicateKind.ESTABLISHMENT: Establishment,
}


# ----------------------------------------------------------------------------------------- storing


def _in_universe(actor: Any, kind: str, ids: Iterable[int]) -> set[int]:
    universe = _universe(actor, MODELS[kind].objects.all())
    wanted = sorted(set(ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 5000):
        found.update(universe.filter(pk__in=wanted[start : start + 5000]).values_list("pk", flat=True))
    return found


def _store(kind: str, proposals: dict[Pair, Proposal], actor: Any | None) -> tuple[int, int, int]:
    """Create new pairs, refresh pending ones, withdraw pending ones that no longer match (within the
    run's universe). Reviewed pairs are left as they are. Returns (created, refreshed, withdrawn)."""
    existing: dict[Pair, tuple[int, str, str, float, int | None]] = {
        (first, second): (pk, status, rule, score, unit)
        for pk, first, second, status, rule, score, unit in DuplicateCandidate.objects.filter(kind=kind)
        .order_by()
        .values_list("pk", "first_id", "second_id", "status", "rule", "score", "owner_unit_id")
        .iterator(chunk_size=20000)
    }
    now = timezone.now()
    new = [
        DuplicateCandidate(
            kind=kind,
            first_id=p.first_id,
            second_id=p.second_id,
            rule=p.rule,
            score=p.score,
            owner_unit_id=p.owner_unit_id,
            created_at=now,
        )
        for pair, p in proposals.items()
        if pair not in existing
    ]
    refresh: list[DuplicateCandidate] = []
    for pair, p in proposals.items():
        row = existing.get(pair)
        if row is None or row[1] != DuplicateCandidate.Status.PENDING:
            continue
        if (row[2], row[3], row[4]) != (p.rule, p.score, p.owner_unit_id):
            refresh.append(DuplicateCandidate(pk=row[0], rule=p.rule, score=p.score, owner_unit_id=p.owner_unit_id))
    stale = {
        pair: row[0]
        for pair, row in existing.items()
        if row[1] == DuplicateCandidate.Status.PENDING and pair not in proposals
    }
    if stale and actor is not None:  # a scoped run withdraws only pairs whose records it could see
        seen = _in_universe(actor, kind, itertools.chain.from_iterable(stale))
        stale = {pair: pk for pair, pk in stale.items() if pair[0] in seen and pair[1] in seen}
    with transaction.atomic():
        created = len(DuplicateCandidate.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True))
        DuplicateCandidate.objects.bulk_update(refresh, ["rule", "score", "owner_unit"], batch_size=2000)
        withdrawn = 0
        stale_ids = sorted(stale.values())
        for start in range(0, len(stale_ids), 5000):
            withdrawn += DuplicateCandidate.objects.filter(
                pk__in=stale_ids[start : start + 5000], status=DuplicateCandidate.Status.PENDING
            ).delete()[0]
        if created or refresh or withdrawn:
            record(
                action=AuditAction.UPDATE,
                actor=actor,
                object_type="registry.duplicatecandidate",
                object_id=f"detection:{kind}",
                object_label=str(_("Duplicate detection")),
                changes={"created": created, "refreshed": len(refresh), "withdrawn": withdrawn},
                reason="duplicate detection",
            )
    return created, len(refresh), withdrawn


def find_duplicates(actor: Any | None = None, *, kind: str | None = None) -> DetectionResult:
    """查重: find candidate pairs of ``kind`` (both kinds when ``None``) within the actor's scope
    (the whole registry for ``None``, the nightly job) and create / refresh / withdraw their
    ``DuplicateCandidate`` rows idempotently."""
    if actor is not None and not actor.has_permission(Perm.REGISTRY_EDIT):
        raise PermissionDenied(_("You may not edit the registry"))
    kinds = [kind] if kind else list(DETECTORS)
    result = DetectionResult()
    for k in kinds:
        if k not in DETECTORS:
            raise ValueError(f"unknown duplicate kind {k!r}; expected one of {', '.join(DETECTORS)}")
        started = time.perf_counter()
        proposals = DETECTORS[k](actor)
        created, refreshed, withdrawn = _store(k, proposals, actor)
        result.found[k], result.created[k], result.refreshed[k], result.withdrawn[k] = (
            len(proposals),
            created,
            refreshed,
            withdrawn,
        )
        result.seconds[k] = round(time.perf_counter() - started, 3)
    return result


def pending_duplicates(principal: Any) -> dict[str, int]:
    """Pending candidate pairs per kind in the principal's scope (for the data-quality page)."""
    counts = dict.fromkeys(DuplicateKind.values, 0)
    rows = (
        visible_to(principal, DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.PENDING))
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    counts.update(dict(rows))
    return counts
