"""Cadence: on a fixed day the due, overdue and done sets are exactly the hand-computed ones, with
inspections placed on both sides of a month end, a half-year boundary and an ISO week boundary."""

from __future__ import annotations

import datetime as dt

import pytest

from zhufang.conftest import Demo
from zhufang.inspections.cadence import cadence_queryset, due_list
from zhufang.inspections.models import Inspection, InspectionRule
from zhufang.inspections.tests.factories import establishment, house
from zhufang.registry.models import Establishment, House

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
D = dt.date
AS_OF = D(2026, 7, 1)  # a Wednesday: new month, new quarter, new half year; its ISO week began on 29 June


def inspected(target: House | Establishment, *days: dt.date) -> None:
    for day in days:
        Inspection.objects.create(
            house=target if isinstance(target, House) else None,
            establishment=target if isinstance(target, Establishment) else None,
            inspected_on=day,
            result="normal",
            owner_unit=target.owner_unit,
        )


@pytest.fixture
def world(demo: Demo) -> dict[str, House | Establishment]:
    """Objects in one grid of the demo officer's district, each with a known history."""
    grid = demo.user("community_officer").unit.children.order_by("code").first()
    assert grid is not None
    objects: dict[str, House | Establishment] = {
        # rental houses, monthly
        "R1 inspected 1 Jul": house(grid, "rental"),
        "R2 inspected 30 Jun (month end)": house(grid, "rental"),
        "R3 inspected 1 Jun": house(grid, "rental"),
        "R4 inspected 31 May": house(grid, "rental"),
        "R5 never, registered in May": house(grid, "rental", registered=D(2026, 5, 20)),
        "R6 never, registered in June": house(grid, "rental", registered=D(2026, 6, 15)),
        "R7 inspected 10 May and 2 Jul (after the day)": house(grid, "rental"),
        # self-occupied houses, half-yearly
        "S1 inspected 30 Jun": house(grid, "self_occupied"),
        "S2 inspected 1 Jan": house(grid, "self_occupied"),
        "S3 inspected 31 Dec 2025": house(grid, "self_occupied"),
        "S4 inspected 1 Jul": house(grid, "self_occupied"),
        "S5 never, registered 2025": house(grid, "self_occupied"),
        "S6 never, registered 1 Jan": house(grid, "self_occupied", registered=D(2026, 1, 1)),
        # not on any cadence
        "V1 vacant": house(grid, "vacant"),
        # construction sites, weekly (ISO weeks: 22–28 Jun previous, 29 Jun–5 Jul current)
        "W1 inspected Mon 29 Jun": establishment(grid, "在建工地"),
        "W2 inspected Sun 28 Jun": establishment(grid, "在建工地"),
        "W3 inspected Sun 21 Jun": establishment(grid, "在建工地"),
        "W4 inspected Mon 22 Jun": establishment(grid, "在建工地"),
        # hotels monthly, pawnshops quarterly
        "H1 hotel inspected 15 Jun": establishment(grid, "旅馆"),
        "H2 hotel, category 企业 (yearly rule), inspected 1 Mar": establishment(grid, "旅馆", category="企业"),
        "P1 pawnshop inspected 1 Apr": establishment(grid, "典当"),
        "P2 pawnshop inspected 31 Mar": establishment(grid, "典当"),
        # excluded: closed, merged away, rule switched off, no rule at all
        "X1 closed hotel": establishment(grid, "旅馆", is_active=False),
        "X2 internet cafe, rule off": establishment(grid, "网吧"),
        "X3 ordinary shop": establishment(grid, ""),
    }
    history = {
        "R1 inspected 1 Jul": [D(2026, 7, 1)],
        "R2 inspected 30 Jun (month end)": [D(2026, 6, 30)],
        "R3 inspected 1 Jun": [D(2026, 6, 1)],
        "R4 inspected 31 May": [D(2026, 5, 31)],
        "R7 inspected 10 May and 2 Jul (after the day)": [D(2026, 5, 10), D(2026, 7, 2)],
        "S1 inspected 30 Jun": [D(2026, 6, 30)],
        "S2 inspected 1 Jan": [D(2026, 1, 1)],
        "S3 inspected 31 Dec 2025": [D(2025, 12, 31)],
        "S4 inspected 1 Jul": [D(2026, 7, 1)],
        "W1 inspected Mon 29 Jun": [D(2026, 6, 29)],
        "W2 inspected Sun 28 Jun": [D(2026, 6, 28)],
        "W3 inspected Sun 21 Jun": [D(2026, 6, 21)],
        "W4 inspected Mon 22 Jun": [D(2026, 6, 22)],
        "H1 hotel inspected 15 Jun": [D(2026, 6, 15)],
        "H2 hotel, category 企业 (yearly rule), inspected 1 Mar": [D(2026, 3, 1)],
        "P1 pawnshop inspected 1 Apr": [D(2026, 4, 1)],
        "P2 pawnshop inspected 31 Mar": [D(2026, 3, 31)],
        "X1 closed hotel": [D(2026, 1, 1)],
    }
    for name, days in history.items():
        inspected(objects[name], *days)
    InspectionRule.objects.filter(value="网吧").update(is_active=False)
    InspectionRule.objects.create(target_kind="establishment", selector="category", value="企业", period="year")
    return objects


def statuses(demo: Demo, world: dict[str, House | Establishment], day: dt.date) -> dict[str, str]:
    names = {(type(obj).__name__.lower(), obj.pk): name for name, obj in world.items()}
    centre = demo.user("centre_operator")
    found = {}
    for kind in ("house", "establishment"):
        for pk, status in cadence_queryset(centre, kind, as_of=day).values_list("pk", "status"):
            if (kind, pk) in names:
                found[names[kind, pk]] = status
    return found


def test_due_set_on_a_fixed_day_is_exactly_the_hand_computed_one(demo: Demo, world: dict) -> None:
    assert statuses(demo, world, AS_OF) == {
        "R1 inspected 1 Jul": "done",
        "R2 inspected 30 Jun (month end)": "due",
        "R3 inspected 1 Jun": "due",
        "R4 inspected 31 May": "overdue",
        "R5 never, registered in May": "overdue",
        "R6 never, registered in June": "due",
        "R7 inspected 10 May and 2 Jul (after the day)": "overdue",
        "S1 inspected 30 Jun": "due",
        "S2 inspected 1 Jan": "due",
        "S3 inspected 31 Dec 2025": "overdue",
        "S4 inspected 1 Jul": "done",
        "S5 never, registered 2025": "overdue",
        "S6 never, registered 1 Jan": "due",
        "W1 inspected Mon 29 Jun": "done",
        "W2 inspected Sun 28 Jun": "due",
        "W3 inspected Sun 21 Jun": "overdue",
        "W4 inspected Mon 22 Jun": "due",
        "H1 hotel inspected 15 Jun": "due",
        "H2 hotel, category 企业 (yearly rule), inspected 1 Mar": "overdue",  # monthly beats yearly
        "P1 pawnshop inspected 1 Apr": "due",
        "P2 pawnshop inspected 31 Mar": "overdue",
    }


def test_the_day_before_the_boundary_counts_the_old_periods(demo: Demo, world: dict) -> None:
    day = D(2026, 6, 30)  # Tuesday; still June, Q2, the first half year; ISO week 29 Jun – 5 Jul
    found = statuses(demo, world, day)
    assert found["R2 inspected 30 Jun (month end)"] == "done"
    assert found["R4 inspected 31 May"] == "due"
    assert found["R1 inspected 1 Jul"] == "overdue"  # its 1 July inspection lies after the day: ignored
    assert found["S1 inspected 30 Jun"] == "done"
    assert found["S3 inspected 31 Dec 2025"] == "due"
    assert found["S6 never, registered 1 Jan"] == "due"
    assert found["P2 pawnshop inspected 31 Mar"] == "due"
    assert found["W2 inspected Sun 28 Jun"] == "due"  # 30 June is in the week of 29 June already


def test_deadlines_and_order_of_the_to_do_list(demo: Demo, world: dict) -> None:
    officer = demo.user("community_officer")
    rows = due_list(officer, as_of=AS_OF, limit=100)
    named = {(type(o).__name__.lower(), o.pk): n for n, o in world.items()}
    order = [(named[row["kind"], row["pk"]], row["status"], row["deadline"]) for row in rows]
    assert [status for _n, status, _d in order] == sorted((s for _n, s, _d in order), key=["overdue", "due"].index)
    deadlines = dict((name, deadline) for name, _s, deadline in order)
    assert deadlines["W3 inspected Sun 21 Jun"] == D(2026, 6, 28)  # overdue: the previous week's end
    assert deadlines["R4 inspected 31 May"] == D(2026, 6, 30)
    assert deadlines["W2 inspected Sun 28 Jun"] == D(2026, 7, 5)  # due: this ISO week's Sunday
    assert deadlines["R3 inspected 1 Jun"] == D(2026, 7, 31)
    assert deadlines["S1 inspected 30 Jun"] == D(2026, 12, 31)
    assert len(order) == 18  # the 21 covered objects less the 3 done (R1, S4, W1)
    due_deadlines = [d for _n, s, d in order if s == "due"]
    assert due_deadlines == sorted(due_deadlines)
