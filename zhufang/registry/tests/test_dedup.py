"""Duplicate detection (查重) on the small demo registry loaded through the real import pipeline:
the planted duplicates that exist as separate rows are found (recall and precision floors), a re-run
is idempotent, a reviewed distinct pair is not re-proposed, a pair that no longer matches is withdrawn,
a record re-registered under the same document surfaces as ``same_id``; the nightly job and the
pending counts per kind in scope.

Floors: the rules are deterministic and the generator plants its ``name_birth_address`` duplicates at
the same house or the next house of the same road / 小区 / village, which the neighbour rule covers
by construction; a miss can only come from the import matching a dirty residence text to the wrong
house or leaving it in the address review queue (≈ 5 % of rows are dirty, and the matcher is ≥ 95 %
accurate on them). With 10 planted people pairs and 2 establishment pairs in the small registry a
95 % floor means: every planted pair is found. The chance of two different people sharing name and
birth date at neighbouring doors is what precision measures; the generator has none at demo size
(measured on the generator alone: 0 of 1,009 same-name-and-birth blocks), hence 95 % as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import pytest

from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.jobs import runner
from zhufang.jobs.registry import get_job
from zhufang.registry import services
from zhufang.registry.dedup.detection import (
    NAME_BIRTH_ADDRESS,
    SAME_ID,
    Pair,
    find_duplicates,
    pending_duplicates,
)
from zhufang.registry.dedup.merging import mark_distinct
from zhufang.registry.demo.generator import DuplicatePair, Registry, generate_registry
from zhufang.registry.demo.loading import load_demo_registry
from zhufang.registry.models import (
    AddressReview,
    DuplicateCandidate,
    Establishment,
    House,
    Person,
    StandardAddress,
)
from zhufang.registry.tests.test_api import make_house
from zhufang.schedules import SCHEDULES

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
FLOOR = 0.95


@cache
def small_registry() -> Registry:
    return generate_registry("small", seed=2026)  # the seed the loader uses: the same rows


@dataclass
class Loaded:
    registry: Registry
    person: dict[str, int]  # 人员编号 (legacy_number) → Person pk
    establishment: dict[str, int]  # 单位编号 → Establishment pk


def _create_establishments(registry: Registry) -> None:
    """The small registry's establishments straight into the ORM (when the import has not loaded them)."""
    table = registry.establishments
    by_code = {a.code: a for a in StandardAddress.objects.all()}
    rows = []
    for i in range(len(table)):
        address = by_code[registry.addresses.code[int(table.address_id[i]) - 1]]
        rows.append(
            Establishment(
                name=table.name[i],
                uscc=table.uscc[i],
                category=table.category[i],
                industry=table.industry[i],
                trade=table.key_trade[i],
                is_key_industry=bool(table.key_trade[i]),
                address=address,
                legal_rep_name=table.legal_rep_name[i],
                security_contact=table.security_name[i],
                staff_count=int(table.staff[i]),
                legacy_number=table.key(i),
                owner_unit_id=address.owner_unit_id,
            )
        )
    Establishment.objects.bulk_create(rows)


def load_small() -> Loaded:
    load_demo_registry("small")
    registry = small_registry()
    if not Establishment.objects.exists():
        _create_establishments(registry)
    return Loaded(
        registry,
        dict(Person.objects.exclude(legacy_number="").values_list("legacy_number", "pk")),
        dict(Establishment.objects.exclude(legacy_number="").values_list("legacy_number", "pk")),
    )


def planted(pairs: list[DuplicatePair], stored: dict[str, int], kinds: set[str] | None = None) -> set[Pair]:
    """The planted pairs whose two rows are separate records in the database, as (low pk, high pk)."""
    out: set[Pair] = set()
    for p in pairs:
        if kinds is not None and p.kind not in kinds:
            continue
        a, b = stored.get(p.original), stored.get(p.duplicate)
        if a is not None and b is not None and a != b:
            out.add((min(a, b), max(a, b)))
    return out


def candidates(kind: str, status: str | None = None) -> dict[Pair, DuplicateCandidate]:
    rows = DuplicateCandidate.objects.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    return {(c.first_id, c.second_id): c for c in rows}


@pytest.fixture
def loaded(demo: Demo) -> Loaded:
    return load_small()


def test_planted_duplicate_people_are_found(loaded: Loaded) -> None:
    truth = loaded.registry.truth.duplicate_people
    expected = planted(truth, loaded.person, {NAME_BIRTH_ADDRESS})
    assert len(expected) >= 5, "the small registry plants name + birth date + address duplicates as separate rows"
    result = find_duplicates(None, kind="person")
    found = candidates("person")
    assert result.created["person"] == len(found) and result.found["person"] == len(found)
    recall = len(expected & set(found)) / len(expected)
    every_planted = planted(truth, loaded.person)
    precision = len(set(found) & every_planted) / len(found)
    assert recall >= FLOOR, (recall, sorted(expected - set(found)))
    assert precision >= FLOOR, (precision, sorted(set(found) - every_planted))
    for pair in expected & set(found):
        c = found[pair]
        assert c.rule == NAME_BIRTH_ADDRESS and c.status == "pending" and 0.85 <= c.score <= 1
        assert c.owner_unit_id == Person.objects.get(pk=pair[0]).owner_unit_id  # the first record's unit


def test_planted_duplicate_establishments_are_found(loaded: Loaded) -> None:
    truth = loaded.registry.truth.duplicate_establishments
    expected = planted(truth, loaded.establishment)
    assert len(expected) >= 2 and {p.kind for p in truth} == {"same_uscc", "missing_uscc"}
    find_duplicates(None, kind="establishment")
    found = candidates("establishment")
    assert len(expected & set(found)) / len(expected) >= FLOOR, sorted(expected - set(found))
    assert len(set(found) & expected) / len(found) >= FLOOR, sorted(set(found) - expected)
    rules = {p.kind: found[(min(a, b), max(a, b))].rule for p in truth for a, b in [_pks(p, loaded.establishment)]}
    assert rules == {"same_uscc": "same_uscc", "missing_uscc": "similar_name_address"}


def _pks(p: DuplicatePair, stored: dict[str, int]) -> tuple[int, int]:
    return stored[p.original], stored[p.duplicate]


def test_detection_is_idempotent_and_never_reproposes_a_distinct_pair(loaded: Loaded, demo: Demo) -> None:
    first = find_duplicates(None)
    rows = {(c.kind, c.first_id, c.second_id, c.rule, c.score) for c in DuplicateCandidate.objects.all()}
    audits = AuditEntry.objects.filter(object_type="registry.duplicatecandidate").count()
    assert sum(first.created.values()) == len(rows) > 0
    again = find_duplicates(None)
    assert sum(again.created.values()) == sum(again.refreshed.values()) == sum(again.withdrawn.values()) == 0
    assert {(c.kind, c.first_id, c.second_id, c.rule, c.score) for c in DuplicateCandidate.objects.all()} == rows
    assert AuditEntry.objects.filter(object_type="registry.duplicatecandidate").count() == audits  # nothing to say

    pair = DuplicateCandidate.objects.filter(kind="person").order_by("pk").first()
    assert pair is not None
    mark_distinct(actor=demo.user("centre_operator"), candidate_id=pair.pk, note="父子同名同生日，不同人")
    before = pending_duplicates(demo.user("centre_operator"))["person"]
    third = find_duplicates(None)
    assert third.created["person"] == 0 and third.found["person"] == first.found["person"]  # still matches …
    pair.refresh_from_db()
    assert pair.status == "distinct" and pair.note == "父子同名同生日，不同人"  # … but stays settled
    assert pending_duplicates(demo.user("centre_operator"))["person"] == before


def test_a_pending_pair_that_no_longer_matches_is_withdrawn(loaded: Loaded) -> None:
    find_duplicates(None, kind="person")
    pair = DuplicateCandidate.objects.filter(kind="person", rule=NAME_BIRTH_ADDRESS).order_by("pk").first()
    assert pair is not None
    second = Person.objects.get(pk=pair.second_id)
    assert second.birth_date is not None
    Person.objects.filter(pk=second.pk).update(birth_date=second.birth_date - dt.timedelta(days=400))  # corrected
    result = find_duplicates(None, kind="person")
    assert result.withdrawn["person"] == 1
    assert not DuplicateCandidate.objects.filter(pk=pair.pk).exists()
    entry = AuditEntry.objects.filter(object_id="detection:person").order_by("-id").first()
    assert entry is not None and entry.changes == {"created": 0, "refreshed": 0, "withdrawn": 1}


def test_a_re_registered_document_surfaces_as_same_id(loaded: Loaded, demo: Demo) -> None:
    """Moved away (inactive), then registered again by an officer at another house: two records, one
    document — found through the blind index, never by comparing ciphertext."""
    old = Person.objects.filter(is_active=True, id_index__isnull=False, house__isnull=False).order_by("pk").first()
    assert old is not None
    Person.objects.filter(pk=old.pk).update(is_active=False)
    house = House.objects.exclude(pk=old.house_id).order_by("pk").first()
    assert house is not None and old.id_number
    new = services.register_person(
        actor=demo.user("centre_operator"),
        house=house,
        name=old.name,
        id_type=old.id_type,
        id_number=old.id_number,
        category=old.category,
    )
    assert new.id_index == old.id_index and new.id_number == old.id_number
    find_duplicates(None, kind="person")
    pair = DuplicateCandidate.objects.get(kind="person", first_id=old.pk, second_id=new.pk)
    assert pair.rule == SAME_ID and pair.score == 1.0 and pair.owner_unit_id == old.owner_unit_id
    Person.objects.filter(pk=new.pk).update(is_active=False)  # both gone: nothing left to clean up
    find_duplicates(None, kind="person")
    assert not DuplicateCandidate.objects.filter(kind="person", first_id=old.pk, second_id=new.pk).exists()


def test_a_scoped_run_sees_only_its_scope_and_withdraws_nothing_outside(loaded: Loaded, demo: Demo) -> None:
    officer = demo.user("community_officer")
    find_duplicates(None, kind="person")
    everything = candidates("person")
    visible = set(Person.objects.visible_to(officer).values_list("pk", flat=True))
    inside = {pair for pair in everything if pair[0] in visible and pair[1] in visible}
    DuplicateCandidate.objects.all().delete()
    result = find_duplicates(officer, kind="person")
    assert set(candidates("person")) == inside and result.found["person"] == len(inside)
    find_duplicates(None, kind="person")
    assert set(candidates("person")) == set(everything)
    assert sum(find_duplicates(officer, kind="person").withdrawn.values()) == 0  # pairs outside stay
    assert set(candidates("person")) == set(everything)


def test_pending_counts_per_kind_in_scope(loaded: Loaded, demo: Demo) -> None:
    find_duplicates(None)
    centre = pending_duplicates(demo.user("centre_operator"))
    assert centre == {
        "person": DuplicateCandidate.objects.filter(kind="person", status="pending").count(),
        "establishment": DuplicateCandidate.objects.filter(kind="establishment", status="pending").count(),
    }
    assert centre["person"] > 0 and centre["establishment"] > 0
    grid = demo.user("grid_worker").unit
    expected = DuplicateCandidate.objects.filter(status="pending", owner_unit=grid).count()
    assert sum(pending_duplicates(demo.user("grid_worker")).values()) == expected
    assert pending_duplicates(demo.user("volunteer")) == {"person": 0, "establishment": 0}


def test_nightly_job_is_scheduled_and_runs_the_detection(loaded: Loaded, demo: Demo) -> None:
    runner.discover_jobs()
    assert any(s.job == "registry.find_duplicates" and s.every == dt.timedelta(days=1) for s in SCHEDULES)
    result = get_job("registry.find_duplicates")()
    assert result["created"]["person"] == DuplicateCandidate.objects.filter(kind="person").count() > 0
    scoped = get_job("registry.find_duplicates")(actor_id=demo.user("centre_operator").pk, kind="person")
    assert scoped["created"] == {"person": 0}


def test_a_residence_waiting_in_the_address_review_is_compared_at_its_suggestion(demo: Demo) -> None:
    """A dirty residence text matched below the threshold leaves the person without a house; the
    queue's suggested address still lets the rule compare them, at a lower score."""
    grid = demo.user("community_officer").unit.children.order_by("code").first()
    here, next_door = make_house(grid, "R1", "兴隆路"), make_house(grid, "R2", "兴隆路东段")
    StandardAddress.objects.filter(pk=next_door.address_id).update(street="兴隆路", house_number="9")
    birth = dt.date(1980, 5, 1)
    settled = Person.objects.create(name="孙丽", birth_date=birth, category="floating", house=here, owner_unit=grid)
    waiting = Person.objects.create(name="孙丽", birth_date=birth, category="floating", owner_unit=grid)
    elsewhere = Person.objects.create(name="孙丽", birth_date=birth, category="floating", owner_unit=grid)
    AddressReview.objects.create(raw_text="兴隆路九号", suggestion=next_door.address, person=waiting, owner_unit=grid)
    find_duplicates(None, kind="person")
    (pair,) = DuplicateCandidate.objects.filter(kind="person")
    assert (pair.first_id, pair.second_id, pair.rule) == (settled.pk, waiting.pk, NAME_BIRTH_ADDRESS)
    assert pair.score == pytest.approx(0.85 - 0.1)  # neighbouring door, residence only suggested
    assert elsewhere.pk not in (pair.first_id, pair.second_id)  # no residence, no suggestion: not compared
