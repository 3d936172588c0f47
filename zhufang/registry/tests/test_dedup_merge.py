"""The reviewed merge (合并) and "not the same" (非重复): history kept (``merged_into``, deactivated),
gaps filled without overwriting, every move audited before → after with identifiers masked, references
and other candidate pairs re-pointed, scope and permission enforced, nothing half-written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.org.models import OrgUnit
from zhufang.privacy.blind_index import blind_index
from zhufang.registry.dedup import merging
from zhufang.registry.dedup.detection import find_duplicates
from zhufang.registry.dedup.merging import mark_distinct, merge_duplicate
from zhufang.registry.models import AddressReview, DuplicateCandidate, Establishment, House, Person
from zhufang.registry.tests.test_api import an_id, make_house

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
PHONE = "13955550123"


def person(house: House | None, name: str = "王建国", *, seq: int | None = 1, **extra: Any) -> Person:
    number = an_id(seq) if seq is not None else None
    values: dict[str, Any] = {
        "name": name,
        "id_number": number,
        "id_index": blind_index(number, kind="id_number") if number else None,
        "category": "registered",
        "house": house,
        "owner_unit_id": house.owner_unit_id if house else None,
        **extra,
    }
    return Person.objects.create(**values)


def pair_of(a: Person | Establishment, b: Person | Establishment, **extra: Any) -> DuplicateCandidate:
    kind = "person" if isinstance(a, Person) else "establishment"
    first, second = sorted((a, b), key=lambda r: r.pk)
    values: dict[str, Any] = {"rule": "same_id", "owner_unit_id": first.owner_unit_id, **extra}
    return DuplicateCandidate.objects.create(kind=kind, first_id=first.pk, second_id=second.pk, **values)


@pytest.fixture
def grids(demo: Demo) -> tuple[OrgUnit, OrgUnit]:
    """A grid of the community officer's district and one outside it."""
    officer = demo.user("community_officer")
    inside = officer.unit.children.order_by("code").first()
    outside = next(g for g in demo.grids if not g.path.startswith(officer.unit.path))
    assert inside is not None
    return inside, outside


@pytest.fixture
def houses(grids: tuple[OrgUnit, OrgUnit]) -> tuple[House, House, House]:
    return (
        make_house(grids[0], "M1", "兴隆路"),
        make_house(grids[0], "M2", "兴隆东路"),
        make_house(grids[1], "M3", "人民路"),
    )


def audit_of(obj: Person | Establishment | DuplicateCandidate) -> list[AuditEntry]:
    label = f"registry.{obj._meta.model_name}"
    return list(AuditEntry.objects.filter(object_type=label, object_id=str(obj.pk)).order_by("id"))


def test_merge_keeps_history_fills_gaps_and_audits_masked(demo: Demo, houses: tuple[House, House, House]) -> None:
    kept = person(houses[0], seq=None, labels=["义警"])  # registered without a document or phone
    merged = person(
        houses[1], seq=7, phone=PHONE, phone_index=blind_index(PHONE, kind="phone"), labels=["独居老人", "义警"]
    )
    pair = pair_of(kept, merged, rule="name_birth_address", score=0.9)
    actor = demo.user("centre_operator")

    result = merge_duplicate(actor=actor, candidate_id=pair.pk, keep_id=kept.pk, note="同一人重复登记")

    kept.refresh_from_db()
    merged.refresh_from_db()
    assert result.status == "merged" and result.kept_id == kept.pk and result.reviewed_by_id == actor.pk
    assert result.reviewed_at is not None and result.note == "同一人重复登记"
    assert (merged.is_active, merged.merged_into_id) == (False, kept.pk)  # history: still there
    assert kept.is_active and kept.merged_into_id is None
    assert kept.id_number == an_id(7) and kept.id_index == merged.id_index  # gap filled …
    assert kept.phone == PHONE and kept.phone_index == merged.phone_index
    assert kept.house_id == houses[0].pk  # … never overwritten
    assert kept.labels == ["义警", "独居老人"]

    (kept_entry,) = audit_of(kept)
    assert kept_entry.action == AuditAction.UPDATE and kept_entry.actor_id == actor.pk
    assert kept_entry.reason == "同一人重复登记"
    assert kept_entry.changes["id_number"] == [None, an_id(7)[:4] + "*" * 10 + an_id(7)[-4:]]
    assert kept_entry.changes["phone"] == [None, "139****0123"]
    assert kept_entry.changes["labels"] == [["义警"], ["义警", "独居老人"]]
    assert kept_entry.changes["merged_from"] == [None, merged.pk]
    (merged_entry,) = audit_of(merged)
    assert merged_entry.changes == {"is_active": [True, False], "merged_into": [None, kept.pk]}
    (pair_entry,) = audit_of(pair)
    assert pair_entry.changes["status"] == ["pending", "merged"] and pair_entry.changes["kept_id"] == [None, kept.pk]
    trail = json.dumps([e.changes for e in AuditEntry.objects.all()], ensure_ascii=False)
    assert an_id(7) not in trail and PHONE not in trail and (merged.id_index or "?") not in trail


def test_merge_repoints_references_and_other_pairs(demo: Demo, houses: tuple[House, House, House]) -> None:
    kept, merged = person(houses[0], seq=1), person(houses[1], seq=1)
    earlier = person(houses[1], seq=1, is_active=False)
    Person.objects.filter(pk=earlier.pk).update(merged_into=merged)  # merged into it before
    third, fifth = person(houses[0], "李四", seq=3), person(houses[0], seq=5)
    fourth = person(houses[0], "王健国", seq=1)  # same document as kept: only the carried verdict stops the pair
    review = AddressReview.objects.create(raw_text="兴隆东路8号", person=merged, owner_unit=houses[1].owner_unit)
    pair = pair_of(kept, merged)
    pending = pair_of(merged, third, rule="name_birth_address", score=0.85)
    distinct = pair_of(merged, fourth, status="distinct", note="不是同一人")
    covered = pair_of(merged, fifth)
    already = pair_of(kept, fifth)

    merge_duplicate(actor=demo.user("centre_operator"), candidate_id=pair.pk, keep_id=kept.pk)

    review.refresh_from_db()
    assert review.person_id == kept.pk
    assert Person.objects.get(pk=earlier.pk).merged_into_id == kept.pk
    pending.refresh_from_db()
    assert (pending.first_id, pending.second_id, pending.status) == (kept.pk, third.pk, "pending")
    distinct.refresh_from_db()
    assert (distinct.first_id, distinct.second_id, distinct.status) == (kept.pk, fourth.pk, "distinct")
    assert not DuplicateCandidate.objects.filter(pk=covered.pk).exists()  # (kept, fifth) already proposed
    assert DuplicateCandidate.objects.get(pk=already.pk).status == "pending"
    moves = AuditEntry.objects.filter(object_type="registry.addressreview", object_id=str(review.pk)).get()
    assert moves.changes == {"person": [merged.pk, kept.pk], "ids": [review.pk]}
    (repointed,) = audit_of(pending)
    assert repointed.changes == {"first_id": [merged.pk, kept.pk]}
    (withdrawn,) = audit_of(DuplicateCandidate(pk=covered.pk))
    assert withdrawn.action == AuditAction.DELETE

    # the carried-over verdict holds: (kept, fourth) is not proposed again, the merged record takes no part
    find_duplicates(None, kind="person")
    assert DuplicateCandidate.objects.get(kind="person", first_id=kept.pk, second_id=fourth.pk).status == "distinct"
    assert not DuplicateCandidate.objects.filter(second_id=merged.pk, status="pending").exists()
    assert not DuplicateCandidate.objects.filter(first_id=merged.pk, status="pending").exists()


def test_keeping_an_inactive_record_takes_the_current_residence(demo: Demo, houses: tuple[House, House, House]) -> None:
    """The old record (moved away) is kept for its history; the person lives where the new one says."""
    old = person(houses[0], seq=2, is_active=False)
    new = person(houses[1], seq=2)
    pair = pair_of(old, new)
    merge_duplicate(actor=demo.user("centre_operator"), candidate_id=pair.pk, keep_id=old.pk)
    old.refresh_from_db()
    assert old.is_active and old.house_id == houses[1].pk and old.owner_unit_id == houses[1].owner_unit_id
    (entry,) = audit_of(old)
    assert entry.changes["house"] == [houses[0].pk, houses[1].pk] and entry.changes["is_active"] == [False, True]


def test_reviewer_cannot_merge_a_pair_with_a_record_outside_their_scope(
    demo: Demo, houses: tuple[House, House, House]
) -> None:
    mine, foreign = person(houses[0], seq=6), person(houses[2], seq=6)
    pair = pair_of(mine, foreign)  # owned by the first record's grid: in the officer's district
    officer = demo.user("community_officer")
    with pytest.raises(PermissionDenied):
        merge_duplicate(actor=officer, candidate_id=pair.pk, keep_id=mine.pk)
    with pytest.raises(PermissionDenied):
        mark_distinct(actor=officer, candidate_id=pair.pk, note="不同人")
    foreign.refresh_from_db()
    pair.refresh_from_db()
    assert foreign.is_active and foreign.merged_into_id is None and pair.status == "pending"
    assert not AuditEntry.objects.filter(object_type__startswith="registry.").exists()

    theirs = pair_of(person(houses[2], seq=8), person(houses[2], seq=8))  # owned outside the district
    with pytest.raises(DuplicateCandidate.DoesNotExist):
        merge_duplicate(actor=officer, candidate_id=theirs.pk, keep_id=theirs.first_id)
    merge_duplicate(actor=demo.user("centre_operator"), candidate_id=pair.pk, keep_id=foreign.pk)  # the centre can


@pytest.mark.parametrize("role", ["station_head", "grid_worker", "leader", "volunteer"])
def test_only_reviewers_with_edit_and_personal_data_may_merge(
    demo: Demo, houses: tuple[House, House, House], role: str
) -> None:
    a, b = person(houses[0], seq=9), person(houses[0], seq=9)
    pair = pair_of(a, b)
    with pytest.raises(PermissionDenied):
        merge_duplicate(actor=demo.user(role), candidate_id=pair.pk, keep_id=a.pk)
    assert DuplicateCandidate.objects.get(pk=pair.pk).status == "pending"


def test_a_failure_midway_leaves_nothing_half_written(
    demo: Demo, houses: tuple[House, House, House], monkeypatch: pytest.MonkeyPatch
) -> None:
    phone_index = blind_index(PHONE, kind="phone")
    kept, merged = person(houses[0], seq=None), person(houses[1], seq=10, phone=PHONE, phone_index=phone_index)
    pair = pair_of(kept, merged)

    def crash(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(merging, "_resettle_candidates", crash)
    with pytest.raises(RuntimeError):
        merge_duplicate(actor=demo.user("centre_operator"), candidate_id=pair.pk, keep_id=kept.pk)
    kept.refresh_from_db()
    merged.refresh_from_db()
    pair.refresh_from_db()
    assert kept.id_index is None and kept.phone is None  # the gap filling rolled back
    assert merged.is_active and merged.merged_into_id is None and pair.status == "pending"
    assert not AuditEntry.objects.filter(object_type__startswith="registry.").exists()


def test_bad_review_requests_are_refused(demo: Demo, houses: tuple[House, House, House]) -> None:
    a, b, c = person(houses[0], seq=11), person(houses[0], seq=11), person(houses[0], seq=12)
    pair = pair_of(a, b)
    actor = demo.user("centre_operator")
    with pytest.raises(ValidationError) as keep_error:
        merge_duplicate(actor=actor, candidate_id=pair.pk, keep_id=c.pk)
    assert "keep_id" in keep_error.value.message_dict
    with pytest.raises(ValidationError) as note_error:
        mark_distinct(actor=actor, candidate_id=pair.pk, note="  ")
    assert "note" in note_error.value.message_dict
    mark_distinct(actor=actor, candidate_id=pair.pk, note="双胞胎")
    with pytest.raises(ValidationError):
        merge_duplicate(actor=actor, candidate_id=pair.pk, keep_id=a.pk)  # already reviewed
    (entry,) = audit_of(pair)
    assert entry.changes == {"status": ["pending", "distinct"], "note": ["", "双胞胎"]} and entry.reason == "双胞胎"


def test_establishments_merge_with_gaps_filled(demo: Demo, houses: tuple[House, House, House]) -> None:
    address = houses[0].address
    unit = houses[0].owner_unit
    kept = Establishment.objects.create(name="临朐鑫源宾馆", address=address, owner_unit=unit, trade="旅馆")
    merged = Establishment.objects.create(
        name="临朐县鑫源宾馆",
        uscc="91370724MA3C5K4X2L",
        address=address,
        owner_unit=unit,
        is_key_industry=True,
        security_contact="张保安",
        security_contact_phone=PHONE,
        staff_count=6,
    )
    find_duplicates(None, kind="establishment")
    pair = DuplicateCandidate.objects.get(kind="establishment", first_id=kept.pk, second_id=merged.pk)
    assert pair.rule == "similar_name_address" and pair.score == 1.0
    merge_duplicate(actor=demo.user("centre_operator"), candidate_id=pair.pk, keep_id=kept.pk)
    kept.refresh_from_db()
    merged.refresh_from_db()
    assert (kept.uscc, kept.security_contact, kept.security_contact_phone) == ("91370724MA3C5K4X2L", "张保安", PHONE)
    assert kept.is_key_industry and kept.staff_count == 6 and kept.trade == "旅馆" and kept.name == "临朐鑫源宾馆"
    assert merged.merged_into_id == kept.pk and not merged.is_active
    (entry,) = audit_of(kept)
    assert entry.changes["security_contact_phone"] == [None, "139****0123"] and PHONE not in json.dumps(entry.changes)
