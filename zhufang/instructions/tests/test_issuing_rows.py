"""Issuing's set-based insert path (``zhufang.instructions.bulk_insert``) writes the rows the ORM
would: every column not given at its model default, free locations without an open key, the events
and memberships complete — and a duplicate open key is Django's ``IntegrityError``, which
``issue_batch`` retries as a merge."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhufang.conftest import Demo
from zhufang.events.models import DomainEvent
from zhufang.instructions.bulk_insert import insert_rows, reserve_ids
from zhufang.instructions.issuing import ITEM_COLUMNS, create_batch, issue_batch
from zhufang.instructions.models import BatchMembership, InstructionItem, ItemStatus
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.tests.factories import house_in

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_issued_rows_carry_the_model_defaults_and_complete_events(demo: Demo) -> None:
    grid = demo.grids[0]
    house = house_in(grid)
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre,
        title="隐患",
        category="hazard",
        targets=[
            TargetRef("house", house.pk, label="x"),
            TargetRef("location", lon=grid.centroid_lon, lat=grid.centroid_lat, label="河道东岸"),
        ],
    )
    report = issue_batch(actor=centre, batch=batch)
    assert report.created == 2
    by_kind = {i.target_kind: i for i in InstructionItem.objects.all()}
    located, aimed = by_kind["location"], by_kind["house"]
    assert located.open_key is None and aimed.open_key == f"hazard:house:{house.pk}"
    for item in (located, aimed):
        assert item.status == ItemStatus.ISSUED and item.feedback == {}
        assert (item.escalation_level, item.returned_count, item.rework_count, item.return_reason) == (0, 0, 0, "")
        assert item.assignee_id is item.signed_at is item.reminded_at is item.feedback_lon is None
        assert item.issued_at is not None and item.deadline > item.issued_at
    events = list(DomainEvent.objects.filter(kind="instruction.issued").order_by("object_id"))
    assert sorted(e.object_id for e in events) == sorted([str(located.pk), str(aimed.pk)])
    assert all(e.data == {"batch": batch.pk} and e.actor_id == centre.pk for e in events)
    assert {e.owner_unit_id for e in events} == {grid.pk}
    memberships = list(BatchMembership.objects.filter(batch=batch).order_by("item_id"))
    assert [m.item_id for m in memberships] == sorted([located.pk, aimed.pk])
    assert all(not m.merged and m.requested_deadline == aimed.deadline for m in memberships)
    assert {m.label for m in memberships} == {"x", "河道东岸"}


def test_a_duplicate_open_key_is_an_integrity_error(demo: Demo) -> None:
    centre = demo.user("centre_operator")
    house = house_in(demo.grids[0])
    issue_batch(
        actor=centre,
        batch=create_batch(actor=centre, title="A", category="visit", targets=[TargetRef("house", house.pk)]),
    )
    grid = demo.grids[0]
    now = timezone.now()
    row = (
        "visit",
        "house",
        house.pk,
        "",
        None,
        None,
        grid.pk,
        grid.pk,
        grid.pk,
        "issued",
        now,
        f"visit:house:{house.pk}",
        now,
    )
    ids = reserve_ids(InstructionItem, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        if ids is None:
            insert_rows(InstructionItem, ITEM_COLUMNS, [row])
        else:
            insert_rows(InstructionItem, ("id", *ITEM_COLUMNS), [(ids[0], *row)])
    assert InstructionItem.objects.count() == 1
