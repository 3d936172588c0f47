"""Every transition, tried by every role: allowed exactly for the roles the state machine names, and
refused for everybody else — including the same role at another station (data scope)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from zhufang.accounts.models import User
from zhufang.conftest import Demo
from zhufang.instructions import transitions as T
from zhufang.instructions.issuing import create_batch, issue_batch
from zhufang.instructions.models import InstructionItem, ItemStatus
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.tests.factories import house_in

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
ROLES = (
    "centre_operator",
    "department",
    "command_room",
    "other_command_room",
    "station_head",
    "community_officer",
    "auxiliary_officer",
    "grid_worker",
    "leader",
    "volunteer",
    "system_admin",
)
FEEDBACK = {"result": "信息属实"}


def _actor(demo: Demo, role: str) -> User:
    if role == "other_command_room":
        found = User.objects.filter(roles__code="command_room").exclude(unit=demo.stations[0]).first()
        assert found is not None
        return found
    return demo.user(role)


def _item(demo: Demo, state: str) -> InstructionItem:
    """One population item of the first district, brought into ``state`` through the services."""
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    centre, room, officer = demo.user("centre_operator"), demo.user("command_room"), demo.user("community_officer")
    batch = create_batch(
        actor=centre, title="矩阵", category="population", targets=[TargetRef("house", house_in(grid).pk)]
    )
    issue_batch(actor=centre, batch=batch)
    item = InstructionItem.objects.get(memberships__batch=batch)
    if state != ItemStatus.ISSUED:
        T.sign_for(actor=room, item_ids=[item.pk])
    if state == ItemStatus.RETURNED:
        T.return_to_centre(actor=room, item_ids=[item.pk], reason="错派")
    if state == ItemStatus.FED_BACK:
        T.feed_back(actor=officer, item_id=item.pk, data=FEEDBACK, lon=118.5, lat=36.5)
    item.refresh_from_db()
    assert item.status == state
    return item


CASES: dict[str, tuple[str, set[str], Callable[[User, InstructionItem, Demo], Any]]] = {
    "sign": (ItemStatus.ISSUED, {"command_room", "station_head"}, lambda a, i, d: T.sign_for(actor=a, item_ids=[i.pk])),
    "assign": (
        ItemStatus.SIGNED,
        {"command_room", "station_head"},
        lambda a, i, d: T.assign(actor=a, item_ids=[i.pk], officer=d.user("auxiliary_officer")),
    ),
    "return_to_centre": (
        ItemStatus.SIGNED,
        {"command_room", "station_head"},
        lambda a, i, d: T.return_to_centre(actor=a, item_ids=[i.pk], reason="错派"),
    ),
    "reroute": (
        ItemStatus.RETURNED,
        {"centre_operator"},
        lambda a, i, d: T.reroute(actor=a, item_ids=[i.pk], station_id=d.stations[1].pk),
    ),
    "start": (ItemStatus.SIGNED, {"community_officer"}, lambda a, i, d: T.start(actor=a, item_id=i.pk)),
    "feed_back": (
        ItemStatus.SIGNED,
        {"community_officer"},
        lambda a, i, d: T.feed_back(actor=a, item_id=i.pk, data=FEEDBACK, lon=118.5, lat=36.5),
    ),
    "approve": (
        ItemStatus.FED_BACK,
        {"command_room", "station_head"},
        lambda a, i, d: T.approve(actor=a, item_ids=[i.pk]),
    ),
    "rework": (
        ItemStatus.FED_BACK,
        {"command_room", "station_head"},
        lambda a, i, d: T.return_for_rework(actor=a, item_ids=[i.pk], reason="不清楚"),
    ),
    "cancel": (
        ItemStatus.SIGNED,
        {"centre_operator"},
        lambda a, i, d: T.cancel(actor=a, item_ids=[i.pk], reason="撤销"),
    ),
}


@pytest.mark.parametrize("transition", sorted(CASES))
def test_each_transition_per_role(demo: Demo, transition: str) -> None:
    state, allowed, attempt = CASES[transition]
    outcomes = {}
    for role in ROLES:
        item = _item(demo, state)
        try:
            attempt(_actor(demo, role), item, demo)
        except PermissionDenied:
            outcomes[role] = "refused"
            assert InstructionItem.objects.get(pk=item.pk).status == state  # nothing changed
        else:
            outcomes[role] = "allowed"
            assert InstructionItem.objects.get(pk=item.pk).status != state or transition == "assign"
    assert {r for r, o in outcomes.items() if o == "allowed"} == allowed, outcomes


def test_the_sources_of_every_transition_are_enforced(demo: Demo) -> None:
    """From a state not in a transition's sources it is refused as a state error, not performed."""
    closed_for = {t.name: set(ItemStatus.values) - set(t.sources) for t in T.TRANSITIONS.values()}
    assert ItemStatus.ISSUED in closed_for["feed_back"] and ItemStatus.FED_BACK in closed_for["sign"]
    item = _item(demo, ItemStatus.FED_BACK)
    for name in ("sign", "assign", "return_to_centre", "start", "feed_back"):
        with pytest.raises(T.TransitionRefused):
            CASES[name][2](_actor(demo, next(iter(CASES[name][1]))), item, demo)
    assert InstructionItem.objects.get(pk=item.pk).status == ItemStatus.FED_BACK
