"""``visible_for_update``: the same rows as ``visible_to``, in a form ``select_for_update`` accepts —
also for a department, whose scope (what it requested) needs DISTINCT."""

from __future__ import annotations

import pytest
from django.db import transaction

from zhufang.accounts.scope import visible_for_update, visible_to
from zhufang.conftest import Demo
from zhufang.instructions.issuing import create_batch, issue_batch, submit_request
from zhufang.instructions.models import InstructionItem
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.tests.factories import house_in

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_locking_reads_see_what_visible_to_sees_for_every_role(demo: Demo) -> None:
    centre, department = demo.user("centre_operator"), demo.user("department")
    first_station = [g for g in demo.grids if g.path.startswith(demo.stations[0].path)]
    second_station = [g for g in demo.grids if g.path.startswith(demo.stations[1].path)]
    houses = [house_in(first_station[0]), house_in(first_station[-1]), house_in(second_station[0])]
    requested = create_batch(
        actor=department, title="部门", category="visit", targets=[TargetRef("house", houses[2].pk)]
    )
    submit_request(actor=department, batch=requested)
    issue_batch(actor=centre, batch=requested)
    issue_batch(
        actor=centre,
        batch=create_batch(
            actor=centre, title="中心", category="population", targets=[TargetRef("house", h.pk) for h in houses]
        ),
    )
    everything = InstructionItem.objects.all()
    for role in demo.users:
        user = demo.user(role)
        expected = set(visible_to(user, everything).values_list("pk", flat=True))
        with transaction.atomic():
            locked = set(visible_for_update(user, everything).select_for_update().values_list("pk", flat=True))
        assert locked == expected, role
    # the department sees exactly what it requested, at a station that is not its own
    assert set(visible_to(department, everything).values_list("target_id", "category")) == {(houses[2].pk, "visit")}
    assert len(set(visible_to(demo.user("community_officer"), everything).values_list("pk", flat=True))) >= 1
