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
from zhufang.registry.imports.fast_insert import insert_rows

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
