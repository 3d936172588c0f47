"""Recording domain events; bulk services use ``record_events``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from zhufang.audit.services import jsonable, object_type_of
from zhufang.events.models import DomainEvent


def record_event(
    *,
    kind: str,
    obj: models.Model,
    actor: Any = None,
    owner_unit_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> DomainEvent:
    return DomainEvent.objects.create(
        kind=kind,
        object_type=object_type_of(obj),
        object_id=str(obj.pk),
        actor_id=getattr(actor, "pk", None) if getattr(actor, "police_number", None) else None,
        owner_unit_id=owner_unit_id,
        data=jsonable(data or {}),
    )


#: the columns an event is written with (its id comes from the database)
EVENT_COLUMNS = ("at", "kind", "actor_id", "owner_unit_id", "object_type", "object_id", "data")


def record_events(events: Iterable[DomainEvent], *, batch_size: int = 2000) -> int:
    """Write unsaved events set-based (one prepared INSERT, or COPY for many on PostgreSQL) — every
    transition of the instruction centre records one per item, a phone submission included."""
    from zhufang.sql_writes import insert_rows

    rows = [tuple(getattr(e, name) for name in EVENT_COLUMNS) for e in events]
    return insert_rows(DomainEvent, EVENT_COLUMNS, rows, batch_size=batch_size)


def record_event_with_update(event: DomainEvent, model: type[models.Model], changes: dict[str, Any], pk: int) -> None:
    """Update one row of ``model`` by primary key with ``changes`` (attname → value) and record ``event``
    about it — one statement on PostgreSQL (the phone's feedback path), two elsewhere."""
    from zhufang.sql_writes import update_then_insert

    update_then_insert(
        model,
        list(changes),
        (*changes.values(), pk),
        insert_model=DomainEvent,
        insert_names=EVENT_COLUMNS,
        insert_row=tuple(getattr(event, name) for name in EVENT_COLUMNS),
    )
