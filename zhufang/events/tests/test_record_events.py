"""``record_events`` writes events set-based (one prepared INSERT, COPY for many on PostgreSQL): each
row as the ORM would store it — a plain ``object_id`` column kept apart from foreign keys, JSON data,
aware timestamps — for one event and for thousands."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhufang.conftest import Demo
from zhufang.events.models import DomainEvent
from zhufang.events.services import record_events
from zhufang.sql_writes import insert_rows

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.mark.parametrize("count", [1, 2500])
def test_events_are_stored_as_given(demo: Demo, count: int) -> None:
    officer, unit = demo.user("community_officer"), demo.districts[0]
    at = timezone.now() - dt.timedelta(hours=3)
    written = record_events(
        DomainEvent(
            at=at,
            kind="test.recorded",
            actor_id=officer.pk,
            owner_unit_id=unit.pk,
            object_type="instructions.instructionitem",
            object_id=str(1000 + n),
            data={"n": n, "说明": "反馈"},
        )
        for n in range(count)
    )
    assert written == count
    stored = list(DomainEvent.objects.filter(kind="test.recorded").order_by("id"))
    assert len(stored) == count
    assert [e.object_id for e in stored] == [str(1000 + n) for n in range(count)]
    assert [e.data for e in stored[:2]] == [{"n": n, "说明": "反馈"} for n in range(min(count, 2))]
    assert {(e.actor_id, e.owner_unit_id, e.at) for e in stored} == {(officer.pk, unit.pk, at)}


def test_a_column_the_model_does_not_have_is_named() -> None:
    with pytest.raises(ValueError, match="no column 'object'"):
        insert_rows(DomainEvent, ["kind", "object"], [("x", 1)])


def test_an_update_and_its_event_are_written_together_and_only_for_an_existing_row(demo: Demo) -> None:
    """``record_event_with_update``: one statement on PostgreSQL, two on SQLite — the same rows."""
    from zhufang.events.services import record_event_with_update
    from zhufang.instructions.issuing import create_batch, issue_batch
    from zhufang.instructions.models import InstructionItem
    from zhufang.instructions.routing import TargetRef
    from zhufang.instructions.tests.factories import house_in

    centre = demo.user("centre_operator")
    house = house_in(demo.grids[0])
    issue_batch(
        actor=centre,
        batch=create_batch(actor=centre, title="核查", category="population", targets=[TargetRef("house", house.pk)]),
    )
    item = InstructionItem.objects.get(target_id=house.pk)
    officer = demo.user("community_officer")
    at = timezone.now()

    def event(pk: int) -> DomainEvent:
        return DomainEvent(
            at=at,
            kind="test.updated",
            actor_id=officer.pk,
            owner_unit_id=item.owner_unit_id,
            object_type="instructions.instructionitem",
            object_id=str(pk),
            data={"status": "signed"},
        )

    changes = {"status": "fed_back", "feedback": {"result": "属实", "n": 2}, "fed_back_at": at, "feedback_lon": 118.5}
    record_event_with_update(event(item.pk), InstructionItem, changes, item.pk)
    stored = InstructionItem.objects.get(pk=item.pk)
    assert (stored.status, stored.feedback, stored.fed_back_at, stored.feedback_lon) == (
        "fed_back",
        {"result": "属实", "n": 2},
        at,
        118.5,
    )
    (recorded,) = DomainEvent.objects.filter(kind="test.updated")
    assert (recorded.object_id, recorded.data, recorded.at, recorded.actor_id) == (
        str(item.pk),
        {"status": "signed"},
        at,
        officer.pk,
    )
    record_event_with_update(event(10**9), InstructionItem, changes, 10**9)  # no such row: no event
    assert DomainEvent.objects.filter(kind="test.updated").count() == 1
