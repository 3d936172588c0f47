"""``visible_for_update``: the same rows as ``visible_to``, in a form ``select_for_update`` accepts —
also for a department, whose scope (what it requested) needs DISTINCT."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from zhufang.accounts.scope import lock_visible_row, visible_for_update, visible_to
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


def test_locking_one_row_decides_like_visible_to_for_every_principal(demo: Demo) -> None:
    """``lock_visible_row`` decides in Python what ``visible_to`` decides in SQL: the same answer for
    every role (subtree, own unit, self, custom, all, department), an API token and a row assigned
    to a self-scoped user."""
    from zhufang.accounts.models import ApiToken, DataScope, Role, RoleGrant, User

    centre, department = demo.user("centre_operator"), demo.user("department")
    first = [g for g in demo.grids if g.path.startswith(demo.stations[0].path)]
    second = [g for g in demo.grids if g.path.startswith(demo.stations[1].path)]
    houses = [house_in(first[0]), house_in(first[-1]), house_in(second[0])]
    requested = create_batch(
        actor=department, title="部门", category="visit", targets=[TargetRef("house", houses[0].pk)]
    )
    submit_request(actor=department, batch=requested)
    issue_batch(actor=centre, batch=requested)
    batch = create_batch(
        actor=centre, title="中心", category="population", targets=[TargetRef("house", h.pk) for h in houses]
    )
    issue_batch(actor=centre, batch=batch)
    volunteer = demo.user("volunteer")
    mine = InstructionItem.objects.filter(target_id=houses[2].pk).first()
    assert mine is not None
    InstructionItem.objects.filter(pk=mine.pk).update(assignee=volunteer)  # "self" scope sees its own rows
    token = ApiToken.objects.create(name="接口", unit=demo.districts[0], permissions=[], key_hash="x" * 64)
    # own unit only (the grid of the first house), and custom units (the second station)
    exact = User.objects.create(police_number="990001", name="本单位", unit=first[0])
    exact_role = Role.objects.create(code="unit-only", name="本单位", data_scope=DataScope.UNIT)
    RoleGrant.objects.create(user=exact, role=exact_role)
    custom = User.objects.create(police_number="990002", name="自定义", unit=demo.districts[0])
    custom_role = Role.objects.create(code="custom", name="自定义", data_scope=DataScope.CUSTOM)
    custom_role.custom_units.add(demo.stations[1])
    RoleGrant.objects.create(user=custom, role=custom_role)
    everything = InstructionItem.objects.all()
    pks = list(everything.values_list("pk", flat=True))
    principals: list[tuple[str, Any]] = [(role, demo.user(role)) for role in demo.users]
    principals += [("token", token), ("unit only", exact), ("custom", custom)]
    decided = 0
    for name, principal in principals:
        expected = set(visible_to(principal, everything).values_list("pk", flat=True))
        with transaction.atomic():
            locked = {pk for pk in [*pks, -1] if lock_visible_row(principal, InstructionItem, pk, ("status",))}
        assert locked == expected, name
        decided += len(expected)
    assert decided > len(pks)  # not vacuous: several principals see rows
    assert mine.pk in {pk for pk in pks if lock_visible_row(volunteer, InstructionItem, pk, ("status",))}
    assert lock_visible_row(None, InstructionItem, pks[0], ("status",)) is None


def test_locked_row_holds_the_fields_asked_for_and_loads_the_rest_when_touched(demo: Demo) -> None:
    centre = demo.user("centre_operator")
    house = house_in(demo.grids[0])
    batch = create_batch(actor=centre, title="核查", category="population", targets=[TargetRef("house", house.pk)])
    issue_batch(actor=centre, batch=batch)
    stored = InstructionItem.objects.get(target_id=house.pk)
    with transaction.atomic():
        row = lock_visible_row(centre, InstructionItem, stored.pk, ("status", "category"))
    assert row is not None
    assert (row.pk, row.status, row.category, row.owner_unit_id) == (
        stored.pk,
        stored.status,
        stored.category,
        stored.owner_unit_id,
    )
    assert "deadline" in row.get_deferred_fields()
    assert row.deadline == stored.deadline  # a deferred field loads on first use
