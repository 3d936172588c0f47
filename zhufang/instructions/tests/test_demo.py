"""The demo instruction year on the small demo registry: every item in a state the state machine can
reach (replayed from its events), statistics equal to a hand count over the generated rows, the work
log of one officer for one day, and loading twice adds nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.conftest import Demo
from zhufang.events.models import DomainEvent
from zhufang.instructions.categories import get_category, validate_feedback
from zhufang.instructions.deadlines import due_at, level_at, remind_from
from zhufang.instructions.demo import DemoInstructionsResult, YearPlan, load_demo_instructions
from zhufang.instructions.models import (
    OPEN_STATUSES,
    OWED_STATUSES,
    Attachment,
    BatchMembership,
    BatchStatus,
    InstructionBatch,
    InstructionItem,
    ItemStatus,
    TargetKind,
)
from zhufang.instructions.routing import TargetRef, route_targets
from zhufang.instructions.stats import batch_progress, merged_counts, station_progress
from zhufang.instructions.transitions import TRANSITIONS
from zhufang.instructions.worklog import KIND_LABELS, work_log
from zhufang.org.models import OrgKind, OrgUnit
from zhufang.registry.demo.loading import load_demo_registry
from zhufang.workdays.services import current_calendar

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 20, 10, 30, tzinfo=CST)  # a Friday, a working day
TRANSITION_OF = {
    "instruction.signed": "sign",
    "instruction.assigned": "assign",
    "instruction.returned": "return_to_centre",
    "instruction.rerouted": "reroute",
    "instruction.started": "start",
    "instruction.fed_back": "feed_back",
    "instruction.approved": "approve",
    "instruction.rework": "rework",
    "instruction.closed": "close",
    "instruction.cancelled": "cancel",
}


@pytest.fixture
def year(demo: Demo, settings: Any, tmp_path: Path) -> YearPlan:
    settings.MEDIA_ROOT = str(tmp_path)
    load_demo_registry("small")
    result = load_demo_instructions("small", seed=7, now=NOW)
    assert result.created and result.plan is not None
    return result.plan


def _events_by_item() -> dict[int, list[DomainEvent]]:
    events: dict[int, list[DomainEvent]] = defaultdict(list)
    for e in DomainEvent.objects.filter(object_type="instructions.instructionitem").order_by("at", "id"):
        events[int(e.object_id)].append(e)
    return events


STATION_STEPS = ("sign", "assign", "return_to_centre", "approve", "rework")  # the command room or head
OFFICER_STEPS = ("start", "feed_back")
CENTRE_STEPS = ("reroute", "close", "cancel")


def _replay(item: InstructionItem, events: list[DomainEvent], users: dict[int, User]) -> str:
    """The item's status after its events, each checked against the state machine and each done by
    someone holding the transition's permission at the item's station of that moment."""
    assert events[0].kind == "instruction.issued", item.pk
    station = _first_station(item, events)
    state: str = ItemStatus.ISSUED
    for e in events[1:]:
        if e.kind == "instruction.merged":
            assert state in OPEN_STATUSES, (item.pk, state)  # merges only join open items
            continue
        if e.kind == "instruction.escalated":
            assert state in OWED_STATUSES and e.at > item.deadline and e.actor_id is None, (item.pk, state)
            continue
        name = TRANSITION_OF[e.kind]
        transition = TRANSITIONS[name]
        before = e.data["status"]
        assert before in transition.sources, (item.pk, e.kind, before)
        # a first photo moves a signed item to "in progress" without an event of its own
        assert before == state or (state == ItemStatus.SIGNED and before == ItemStatus.IN_PROGRESS), (item.pk, e.kind)
        actor = users[e.actor_id]  # type: ignore[index]
        assert actor.has_permission(transition.permission), (item.pk, e.kind)
        if name in STATION_STEPS:
            assert actor.unit_id == station, (item.pk, e.kind)
        elif name in OFFICER_STEPS:
            assert f"/{station}/" in actor.unit.path, (item.pk, e.kind)
        else:
            assert name in CENTRE_STEPS and actor.unit.kind == OrgKind.CENTRE, (item.pk, e.kind)
        if name == "reroute":
            station = e.data["station"]
        state = transition.target or before
    assert station == item.station_id
    return state


def _first_station(item: InstructionItem, events: list[DomainEvent]) -> int:
    """The station the item was first routed to: before any reroute, its target's."""
    rerouted = [e for e in events if e.kind == "instruction.rerouted"]
    if not rerouted:
        return item.station_id  # type: ignore[return-value]
    route = route_targets([TargetRef(item.target_kind, item.target_id, item.lon, item.lat, item.target_label)])[0]
    assert route is not None and route.station_id is not None
    return route.station_id


def test_every_item_is_in_a_state_the_state_machine_can_reach(year: YearPlan) -> None:
    counts = year.counts()
    assert counts["batches"] >= 15 and 300 <= counts["memberships"] <= 700, counts
    items = list(InstructionItem.objects.select_related("station", "district", "owner_unit"))
    assert len(items) == counts["items"]
    events = _events_by_item()
    photos = Counter(Attachment.objects.filter(submitted=True).values_list("item_id", flat=True))
    unsubmitted = Counter(Attachment.objects.filter(submitted=False).values_list("item_id", flat=True))
    users = {u.pk: u for u in User.objects.select_related("unit")}
    workers = {pk: u for pk, u in users.items() if u.has_permission(Perm.INSTRUCTION_WORK)}
    routes = dict(
        zip(
            [i.pk for i in items],
            route_targets([TargetRef(i.target_kind, i.target_id, i.lon, i.lat, i.target_label) for i in items]),
            strict=True,
        )
    )
    now_owed = 0
    for item in items:
        category = get_category(item.category)
        is_open = item.status in OPEN_STATUSES
        expected_key = f"{item.category}:{item.target_kind}:{item.target_id}"
        assert item.open_key == (expected_key if is_open and item.target_kind != TargetKind.LOCATION else None)
        assert item.deadline == due_at(category, item.issued_at)[0]
        # timestamps in order (an item fed back again after rework keeps the rework's review time)
        moments = [item.issued_at, item.signed_at, item.fed_back_at]
        if not (item.status == ItemStatus.FED_BACK and item.rework_count):
            moments.append(item.reviewed_at)
        moments.append(item.closed_at)
        given = [m for m in moments if m is not None]
        assert given == sorted(given) and given[-1] <= NOW, item.pk
        # the item's own station and district; a target's route unless it was returned and rerouted
        assert item.district is not None and item.district.parent_id == item.station_id
        assert item.owner_unit is not None and f"/{item.district_id}/" in item.owner_unit.path
        route = routes[item.pk]
        assert route is not None
        if item.returned_count == 0:
            assert (route.station_id, route.district_id, route.owner_unit_id) == (
                item.station_id,
                item.district_id,
                item.owner_unit_id,
            )
        else:
            assert item.status == ItemStatus.RETURNED or item.station_id != route.station_id
        # the officer working it belongs to its station; feedback valid for the category's form
        if item.status in (ItemStatus.ISSUED, ItemStatus.RETURNED, ItemStatus.CANCELLED):
            assert item.assignee_id is None or item.status == ItemStatus.CANCELLED
        else:
            officer = workers[item.assignee_id]  # type: ignore[index]
            assert f"/{item.station_id}/" in officer.unit.path
        if item.fed_back_at is not None:
            assert item.fed_back_by_id == item.assignee_id
            cleaned, errors = validate_feedback(category, item.feedback)
            assert not errors and cleaned == item.feedback, (item.pk, errors)
            assert photos[item.pk] >= category.photos
            if category.location:
                assert item.feedback_lon is not None and item.feedback_lat is not None
        else:
            assert item.feedback == {} and photos[item.pk] == 0
        # escalation as the job leaves it: an item still owed has reached level_at(now)
        if item.status in OWED_STATUSES:
            now_owed += item.deadline < NOW
            assert item.escalation_level == level_at(category, item.deadline, NOW), item.pk
        levels = [e.data["level"] for e in events[item.pk] if e.kind == "instruction.escalated"]
        assert item.escalation_level == max(levels, default=0)
        # the events replay to the stored status
        state = _replay(item, events[item.pk], users)
        if item.status == ItemStatus.IN_PROGRESS and state == ItemStatus.SIGNED:
            assert unsubmitted[item.pk], item.pk  # started by its first photo
        elif item.status == ItemStatus.CLOSED and state == ItemStatus.APPROVED:
            pass  # closed by the auto-close rule, which records no item events
        else:
            assert item.status == state, (item.pk, item.status, state)
    assert now_owed >= 1, "live work includes items overdue now"
    assert InstructionItem.objects.filter(status=ItemStatus.RETURNED).exists(), "and one back at the centre"
    for photo in Attachment.objects.select_related("item"):  # taken by the officer while working it
        item = photo.item
        assert photo.uploaded_by_id == item.assignee_id and item.signed_at is not None
        assert item.signed_at < photo.uploaded_at <= (item.fed_back_at if photo.submitted else NOW)  # type: ignore[operator]
        assert photo.submitted == (item.fed_back_at is not None)
    assert InstructionItem.objects.filter(status__in=OPEN_STATUSES).exists()


def test_batches_requested_merged_and_closed_as_the_services_do(year: YearPlan, demo: Demo) -> None:
    centre = demo.user("centre_operator")
    departments = set(OrgUnit.objects.filter(kind=OrgKind.DEPARTMENT).values_list("pk", flat=True))
    month_ago = NOW - dt.timedelta(days=30)
    memberships = list(BatchMembership.objects.select_related("batch", "item"))
    by_batch: dict[int, list[BatchMembership]] = defaultdict(list)
    for m in memberships:
        by_batch[m.batch_id].append(m)
    own = Counter(m.item_id for m in memberships if m.item_id and not m.merged)
    merges: Counter[tuple[int, int]] = Counter()
    assert set(own.values()) == {1} and len(own) == InstructionItem.objects.count()
    for batch in InstructionBatch.objects.all():
        rows = by_batch[batch.pk]
        assert rows and batch.owner_unit.kind == OrgKind.CENTRE
        if batch.requesting_unit_id is not None:
            assert batch.requesting_unit_id in departments
        if batch.status == BatchStatus.REQUESTED:  # waiting for the centre's review
            assert batch.requesting_unit_id and batch.issued_at is None and all(m.item_id is None for m in rows)
            continue
        assert batch.issued_by_id == centre.pk and batch.created_at < batch.issued_at  # type: ignore[operator]
        for m in rows:
            item = m.item
            assert item is not None and m.requested_deadline == due_at(get_category(batch.category), batch.issued_at)[0]
            if m.merged:  # joined an item another batch had opened and that was still open then
                assert item.issued_at < batch.issued_at  # type: ignore[operator]
                assert finished_at(item) is None or finished_at(item) > batch.issued_at  # type: ignore[operator]
                merges[(item.pk, batch.pk)] += 1
        if batch.issued_at < month_ago:  # type: ignore[operator]
            assert batch.status == BatchStatus.CLOSED, batch.pk
        if batch.status == BatchStatus.CLOSED:
            done = [m.item for m in rows]
            assert all(i.status in (ItemStatus.CLOSED, ItemStatus.CANCELLED) for i in done if i), batch.pk
            assert all(i.closed_at <= batch.closed_at for i in done if i and i.status == ItemStatus.CLOSED)
            assert all(i.reviewed_at <= batch.closed_at for i in done if i and i.reviewed_at)
    assert InstructionBatch.objects.filter(status=BatchStatus.ISSUED).exists()
    assert InstructionBatch.objects.filter(requesting_unit__isnull=False, status=BatchStatus.CLOSED).exists()
    merged = merged_counts(list(InstructionBatch.objects.values_list("pk", flat=True)))
    assert sum(merged.values()) == sum(merges.values()) >= 1
    merge_events = DomainEvent.objects.filter(kind="instruction.merged")
    assert Counter((int(e.object_id), e.data["batch"]) for e in merge_events) == merges
    # closing by the centre leaves an event per item it closed, by the centre operator
    closed_events = DomainEvent.objects.filter(kind="instruction.closed")
    assert closed_events.exists() and set(closed_events.values_list("actor_id", flat=True)) == {centre.pk}


def finished_at(item: InstructionItem) -> dt.datetime | None:
    """When the item stopped taking merges: approved (its open key cleared) or cancelled."""
    if item.status in (ItemStatus.APPROVED, ItemStatus.CLOSED):
        return item.reviewed_at
    return item.closed_at if item.status == ItemStatus.CANCELLED else None


def test_timing_is_an_office_year_on_the_working_day_calendar(year: YearPlan) -> None:
    calendar = current_calendar()
    issued = [b for b in InstructionBatch.objects.exclude(issued_at=None)]
    assert min(b.issued_at for b in issued) >= NOW - dt.timedelta(days=366)  # type: ignore[type-var]
    for batch in issued:
        local = timezone.localtime(batch.issued_at)
        assert calendar.is_working_day(local.date()) and dt.time(8, 30) <= local.time() <= dt.time(17, 30)
    delays = sorted(
        (i.signed_at - i.issued_at).total_seconds() / 3600  # type: ignore[operator]
        for i in InstructionItem.objects.filter(returned_count=0, signed_at__isnull=False)
    )
    assert delays[len(delays) // 2] < 2 and delays[int(len(delays) * 0.95)] < 36  # minutes to hours, a few late
    fed = InstructionItem.objects.filter(fed_back_at__isnull=False)
    late = sum(i.fed_back_at > i.deadline for i in fed)  # type: ignore[operator]
    assert 0.02 < late / fed.count() < 0.15
    for item in InstructionItem.objects.all():  # the reminder job ran between its start and the deadline
        start = remind_from(get_category(item.category), item.deadline)
        if item.reminded_at is not None:
            assert start is not None and start <= item.reminded_at <= item.deadline
        elif item.status in OWED_STATUSES and start is not None and start <= NOW <= item.deadline:
            raise AssertionError(f"item {item.pk} is owed, due soon and was never reminded")


def _hand_count(items: list[Any], now: dt.datetime) -> dict[str, Any]:
    owed = {"issued", "signed", "in_progress", "rework"}
    total = len(items)
    cancelled = sum(i.status == "cancelled" for i in items)
    live = [i for i in items if i.status != "cancelled"]  # a withdrawn item counts in no rate
    signed = [i for i in live if i.signed_at is not None]
    fed = [i for i in live if i.fed_back_at is not None]
    done = [i for i in live if i.status in ("approved", "closed")]

    def moment(seconds: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)

    def pct(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    def hours(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    on_time = sum(moment(i.fed_back_at) <= i.deadline for i in fed)
    returned = sum(i.returned_count > 0 for i in live)
    return {
        "total": total,
        "signed": len(signed),
        "fed_back": len(fed),
        "on_time": on_time,
        "returned": returned,
        "rework": sum(i.rework_count > 0 for i in live),
        "approved": len(done),
        "overdue": sum(i.status in owed and i.deadline < now for i in live),
        "cancelled": cancelled,
        "signed_pct": pct(len(signed), total - cancelled),
        "fed_back_pct": pct(len(fed), total - cancelled),
        "on_time_pct": pct(on_time, len(fed)),
        "returned_pct": pct(returned, total - cancelled),
        "avg_hours_to_sign": hours([(i.signed_at - i.issued) / 3600 for i in signed]),
        "avg_hours_to_finish": hours([(i.reviewed_at - i.issued) / 3600 for i in done if i.reviewed_at]),
    }


def test_statistics_equal_a_hand_count_over_the_generated_rows(year: YearPlan, demo: Demo) -> None:
    centre = demo.user("centre_operator")
    members: dict[int, list[Any]] = defaultdict(list)
    for m in year.memberships:
        if m.item is not None:
            members[year.batches[m.batch].pk].append(year.items[m.item])  # type: ignore[index]
    progress = batch_progress(centre, [b.pk for b in year.batches if b.pk], now=NOW)
    for batch_pk, items in members.items():
        figures = progress[batch_pk].as_dict()
        del figures["key"]
        assert figures == _hand_count(items, NOW), batch_pk
    by_station: dict[int, list[Any]] = defaultdict(list)
    for item in year.items:
        by_station[item.station].append(item)
    stations = station_progress(centre, now=NOW)
    assert set(stations) == set(by_station)
    for station, items in by_station.items():
        figures = stations[station].as_dict()
        del figures["key"]
        assert figures == _hand_count(items, NOW), station
    # the seed's headline: every batch closed a month ago was completely fed back
    closed = [b.pk for b in year.batches if b.pk and b.status == BatchStatus.CLOSED]
    assert closed and all(progress[pk].fed_back_pct == 100.0 for pk in closed)
    late = sum(p.fed_back - p.on_time for p in progress.values())
    assert 0 < late < sum(p.fed_back for p in progress.values()) * 0.25


def test_the_work_log_of_one_officer_for_one_day_lists_exactly_their_events(year: YearPlan) -> None:
    tz = timezone.get_current_timezone()

    def day_of(seconds: int) -> dt.date:
        return dt.datetime.fromtimestamp(seconds, tz).date()

    busiest: Counter[tuple[int, dt.date]] = Counter((e.actor, day_of(e.at)) for e in year.events if e.actor)
    for role in ("community_officer", "command_room"):
        people = set(User.objects.filter(roles__code=role).values_list("pk", flat=True))
        actor, day = max((key for key in busiest if key[0] in people), key=lambda key: busiest[key])
        expected = [
            (dt.datetime.fromtimestamp(e.at, tz), KIND_LABELS[e.kind], year.items[e.item].pk)
            for e in year.events
            if e.actor == actor and day_of(e.at) == day
        ]
        log = [(e.at, e.action, e.item_id) for e in work_log(User.objects.get(pk=actor), day)]
        assert log == expected and len(log) >= 2
        # others worked the same items that day (signed, approved …): none of that is in this log
        items = {str(pk) for _at, _action, pk in expected}
        start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
        others = DomainEvent.objects.filter(object_id__in=items, at__gte=start, at__lt=start + dt.timedelta(days=1))
        others = others.exclude(actor_id=actor)
        assert others.exists() and not {(e.at, KIND_LABELS.get(e.kind), int(e.object_id)) for e in others} & set(log)


def test_loading_again_adds_no_second_year(year: YearPlan) -> None:
    before = (
        InstructionBatch.objects.count(),
        InstructionItem.objects.count(),
        BatchMembership.objects.count(),
        DomainEvent.objects.count(),
        Attachment.objects.count(),
    )
    again: DemoInstructionsResult = load_demo_instructions("small", seed=7, now=NOW)
    assert not again.created and "reused" in again.summary()
    after = (
        InstructionBatch.objects.count(),
        InstructionItem.objects.count(),
        BatchMembership.objects.count(),
        DomainEvent.objects.count(),
        Attachment.objects.count(),
    )
    assert after == before and before[0] == len(year.batches)
