"""Station mergers with effective dates (seed 004: four city stations merged into one)."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo, load_demo
from zhufang.events.models import DomainEvent
from zhufang.org import services
from zhufang.org.geometry.coords import area_km2
from zhufang.org.locating import locate_point
from zhufang.org.models import OrgKind, OrgUnit, ParentLink, StationMerger
from zhufang.org.tests.helpers import audit_rows, geom, params, parent_of, tree_state, write_counts

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

SINCE = dt.date(2026, 1, 1)


@pytest.fixture
def county(demo: Demo) -> Demo:
    """The demo county as if it had existed since the start of the year (so past dates are possible)."""
    OrgUnit.objects.update(valid_from=SINCE)
    ParentLink.objects.update(valid_from=SINCE)
    return load_demo()


def _districts_of(station: OrgUnit) -> set[int]:
    return set(OrgUnit.objects.filter(parent=station, kind=OrgKind.DISTRICT).values_list("pk", flat=True))


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _staff(station: OrgUnit, role: str) -> User:
    return User.objects.filter(unit=station, roles__code=role).order_by("pk").first()  # type: ignore[return-value]


@pytest.mark.parametrize("effective", ["today", "past"])
def test_merger_due_now_is_applied_at_once(county: Demo, effective: str) -> None:
    target, sources = county.stations[1], [county.stations[0], county.stations[2]]
    date = timezone.localdate() if effective == "today" else dt.date(2026, 6, 30)
    admin = county.user("system_admin")
    moved = set().union(*(_districts_of(s) for s in sources))
    kept = _districts_of(target)
    grids_moved = set(OrgUnit.objects.filter(parent__in=moved).values_list("pk", flat=True))
    area_sum = sum(area_km2(geom(u)) for u in [target, *sources])
    audit_before, events_before = AuditEntry.objects.count(), DomainEvent.objects.count()

    merger = services.plan_station_merger(
        actor=admin, target=target, sources=sources, effective_date=date, note="城区派出所合并"
    )

    merger.refresh_from_db()
    assert merger.status == StationMerger.Status.APPLIED and merger.applied_at is not None
    assert merger.created_by_id == admin.pk
    target.refresh_from_db()
    # every district of the sources now sits under the target, with its grids
    assert _districts_of(target) == kept | moved
    subtree = set(OrgUnit.objects.subtree(target).values_list("pk", flat=True))
    assert moved | grids_moved <= subtree
    for district in OrgUnit.objects.filter(pk__in=moved):
        assert district.path == f"{target.path}{district.pk}/"
    for grid in OrgUnit.objects.filter(pk__in=grids_moved).select_related("parent"):
        assert grid.path == f"{parent_of(grid).path}{grid.pk}/"
    # the sources are closed, kept, and point at the target
    for source in sources:
        source.refresh_from_db()
        assert (source.valid_to, source.merged_into_id) == (date, target.pk)
        assert not source.is_active
        assert not OrgUnit.objects.subtree(source).exclude(pk=source.pk).exists()
    assert list(OrgUnit.objects.active().filter(kind=OrgKind.STATION)) == [target]
    # the target's territory is the union of the four
    union = geom(target)
    assert union.geom_type == "Polygon"  # adjacent stations share their edges exactly
    assert target.area_km2 == pytest.approx(area_sum, rel=1e-6)
    for source in sources:
        assert union.buffer(1e-9).covers(geom(source))
    # history: each moved district keeps its old link, closed on the effective date
    for district_id in moved:
        old, new = ParentLink.objects.filter(unit_id=district_id).order_by("valid_from", "id")
        assert old.parent_id in {s.pk for s in sources} and old.valid_to == date
        assert (new.parent_id, new.valid_from, new.valid_to) == (target.pk, date, None)
    # audit rows and domain events
    (created,) = audit_rows(merger, AuditAction.CREATE)
    assert created.changes["target"] == [None, target.code]
    assert sorted(created.changes["sources"][1]) == sorted(s.code for s in sources)
    for source in sources:
        (closed,) = audit_rows(source, AuditAction.UPDATE)
        assert closed.changes["merged_into"] == [None, target.pk] and closed.actor_id == admin.pk
    for district_id in moved:
        (row,) = AuditEntry.objects.filter(
            object_type="org.orgunit", object_id=str(district_id), action=AuditAction.UPDATE
        )
        assert row.changes["parent"][1] == target.pk
    assert [r.changes["polygon"] for r in audit_rows(target, AuditAction.UPDATE)] == [["…", "merged"]]
    assert AuditEntry.objects.count() == audit_before + 1 + len(sources) + len(moved) + 1
    events = DomainEvent.objects.filter(kind="org.station_merged")
    assert {e.object_id for e in events} == {str(s.pk) for s in sources}
    assert all(e.owner_unit_id == target.pk and e.data["into"] == target.code for e in events)
    assert DomainEvent.objects.count() == events_before + len(sources)


def test_future_merger_waits_for_its_date_and_applies_once(county: Demo) -> None:
    target, sources = county.stations[0], [county.stations[1]]
    date = timezone.localdate() + dt.timedelta(days=30)
    before = tree_state()

    merger = services.plan_station_merger(
        actor=county.user("system_admin"), target=target, sources=sources, effective_date=date
    )

    assert StationMerger.objects.get(pk=merger.pk).status == StationMerger.Status.PLANNED
    assert tree_state() == before
    assert services.apply_due_mergers() == 0
    assert services.apply_due_mergers(today=date - dt.timedelta(days=1)) == 0
    assert tree_state() == before

    assert services.apply_due_mergers(today=date) == 1
    merger.refresh_from_db()
    assert merger.status == StationMerger.Status.APPLIED
    assert _districts_of(sources[0]) == set()
    sources[0].refresh_from_db()
    assert sources[0].valid_to == date and sources[0].merged_into_id == target.pk

    after, counts = tree_state(), write_counts()
    assert services.apply_due_mergers(today=date + dt.timedelta(days=5)) == 0
    services.apply_merger(actor=None, merger=merger)
    assert tree_state() == after and write_counts() == counts


def test_the_periodic_job_applies_due_mergers(county: Demo) -> None:
    from zhufang.jobs.registry import get_job
    from zhufang.org.jobs import apply_mergers

    assert get_job("org.apply_due_mergers") is apply_mergers

    merger = services.plan_station_merger(
        actor=None,
        target=county.stations[0],
        sources=[county.stations[2]],
        effective_date=timezone.localdate() + dt.timedelta(days=1),
    )
    StationMerger.objects.filter(pk=merger.pk).update(effective_date=timezone.localdate())
    assert get_job("org.apply_due_mergers")() == {"applied": 1}
    assert get_job("org.apply_due_mergers")() == {"applied": 0}


def test_a_due_merger_that_cannot_apply_does_not_block_the_others(county: Demo) -> None:
    soon = timezone.localdate() + dt.timedelta(days=3)
    blocked = services.plan_station_merger(
        actor=None, target=county.stations[0], sources=[county.stations[1]], effective_date=soon
    )
    extra = services.create_unit(
        actor=None, kind=OrgKind.STATION, code="370724090000", name="临时派出所", parent=county.bureau, valid_from=SINCE
    )
    fine = services.plan_station_merger(actor=None, target=county.stations[2], sources=[extra], effective_date=soon)
    # the target is closed by other means before the date comes
    OrgUnit.objects.filter(pk=county.stations[0].pk).update(valid_to=timezone.localdate())
    assert services.apply_due_mergers(today=soon) == 1
    assert StationMerger.objects.get(pk=blocked.pk).status == StationMerger.Status.PLANNED
    assert StationMerger.objects.get(pk=fine.pk).status == StationMerger.Status.APPLIED
    assert _districts_of(county.stations[1])  # the blocked merger moved nothing


@pytest.mark.parametrize(
    "case",
    [
        "target-in-sources",
        "district-target",
        "district-source",
        "no-sources",
        "closed-target",
        "closed-source",
        "source-already-planned",
        "target-already-planned",
        "source-receives-planned",
        "before-records",
    ],
)
def test_invalid_merger_is_refused_and_changes_nothing(county: Demo, case: str) -> None:
    s0, s1, s2 = county.stations
    later = timezone.localdate() + dt.timedelta(days=10)
    if case in {"source-already-planned", "target-already-planned", "source-receives-planned"}:
        services.plan_station_merger(actor=None, target=s0, sources=[s1], effective_date=later)
    if case in {"closed-target", "closed-source"}:
        OrgUnit.objects.filter(pk=s2.pk).update(valid_to=SINCE + dt.timedelta(days=1))
        s2.refresh_from_db()
    target, sources, field = {
        "target-in-sources": (s0, [s0, s1], "sources"),
        "district-target": (county.districts[0], [s1], "target"),
        "district-source": (s0, [county.districts[5]], "sources"),
        "no-sources": (s0, [], "sources"),
        "closed-target": (s2, [s1], "target"),
        "closed-source": (s0, [s2], "sources"),
        "source-already-planned": (s2, [s1], "sources"),
        "target-already-planned": (s1, [s2], "target"),
        "source-receives-planned": (s2, [s0], "sources"),
        "before-records": (s0, [s1], "effective_date"),
    }[case]
    date = SINCE - dt.timedelta(days=1) if case == "before-records" else timezone.localdate()
    before, counts = tree_state(), write_counts()
    with pytest.raises(ValidationError) as excinfo:
        services.plan_station_merger(
            actor=county.user("system_admin"), target=target, sources=sources, effective_date=date
        )
    assert field in excinfo.value.message_dict, excinfo.value.message_dict
    assert tree_state() == before and write_counts() == counts


def test_merger_cannot_predate_a_district_joining_a_source(county: Demo) -> None:
    s0, s1, s2 = county.stations
    district = next(d for d in county.districts if d.parent_id == s2.pk)
    joined = dt.date(2026, 5, 1)
    services.move_unit(actor=None, unit=district, new_parent=s1, effective=joined)
    before, counts = tree_state(), write_counts()
    with pytest.raises(ValidationError) as excinfo:
        services.plan_station_merger(actor=None, target=s0, sources=[s1], effective_date=joined - dt.timedelta(days=1))
    assert "effective_date" in excinfo.value.message_dict
    assert tree_state() == before and write_counts() == counts
    services.plan_station_merger(actor=None, target=s0, sources=[s1], effective_date=joined)
    assert OrgUnit.objects.get(pk=district.pk).parent_id == s0.pk


def test_scope_follows_the_tree_after_a_merger(county: Demo) -> None:
    officer = county.user("community_officer")
    own_district = officer.unit
    own_grids = set(OrgUnit.objects.filter(parent=own_district).values_list("pk", flat=True))
    old_station = parent_of(own_district)
    target = next(s for s in county.stations if s.pk != old_station.pk)
    target_head = _staff(target, "station_head")
    old_head = county.user("station_head")
    assert old_head.unit_id == old_station.pk
    moved = _districts_of(old_station)
    assert own_district.pk in moved
    kept = _districts_of(target)

    def grids_seen(user: User) -> set[int]:
        rows = _client(user).get("/api/v1/org/units", params(kind="grid", limit=5000)).json()
        return {row["id"] for row in rows}

    def districts_seen(user: User) -> set[int]:
        rows = _client(user).get("/api/v1/org/units", params(kind="district", limit=5000)).json()
        return {row["id"] for row in rows}

    assert grids_seen(officer) == own_grids
    assert districts_seen(target_head) == kept

    services.plan_station_merger(
        actor=county.user("system_admin"), target=target, sources=[old_station], effective_date=timezone.localdate()
    )

    officer = User.objects.select_related("unit").get(pk=officer.pk)
    assert grids_seen(officer) == own_grids
    assert districts_seen(officer) == {own_district.pk}
    assert OrgUnit.objects.visible_to(officer).filter(pk=target.pk).exists()  # its new station, as an ancestor
    assert districts_seen(target_head) == kept | moved
    assert grids_seen(target_head) == set(OrgUnit.objects.filter(parent__in=kept | moved).values_list("pk", flat=True))
    assert districts_seen(old_head) == set()  # the closed station's head no longer sees the districts
    page = _client(target_head).get("/org/", {"unit": own_district.pk})
    assert page.status_code == 200
    # the officer's own grid still locates to them, now under the target station
    grid = OrgUnit.objects.filter(pk__in=own_grids).first()
    assert grid is not None
    point = geom(grid).representative_point()
    answer = _client(officer).get("/api/v1/org/locate", {"lon": point.x, "lat": point.y}).json()
    assert answer["grid"]["id"] == grid.pk and answer["district"]["id"] == own_district.pk
    assert answer["station"]["id"] == target.pk


def test_locator_follows_a_merger(county: Demo) -> None:
    grid = OrgUnit.objects.filter(parent__parent=county.stations[2]).first()
    assert grid is not None
    point = geom(grid).representative_point()
    assert locate_point(point.x, point.y).station == county.stations[2]  # builds the cache
    services.plan_station_merger(
        actor=None, target=county.stations[0], sources=[county.stations[2]], effective_date=timezone.localdate()
    )
    located = locate_point(point.x, point.y)
    assert located.grid == grid and located.district == grid.parent and located.station == county.stations[0]


def test_merger_page_and_api(county: Demo) -> None:
    admin = county.client_for("system_admin")
    s0, s1, s2 = county.stations
    page = admin.get("/org/mergers/")
    assert page.status_code == 200 and s1.name in page.content.decode()
    response = admin.post(
        "/org/mergers/", {"target": s0.pk, "sources": [s1.pk], "effective_date": "2026-07-01", "note": "合并"}
    )
    assert response.status_code == 302
    merger = StationMerger.objects.get()
    assert merger.status == StationMerger.Status.APPLIED and set(merger.sources.all()) == {s1}
    history = admin.get("/org/mergers/").content.decode()
    assert "2026-07-01" in history and s1.name in history

    # a refused merger shows the error on the form and writes nothing
    counts = write_counts()
    refused = admin.post(
        "/org/mergers/",
        {"target": s0.pk, "sources": [s0.pk], "effective_date": "2026-07-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 200
    assert "cannot be merged into itself" in refused.content.decode()
    assert write_counts() == counts

    later = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    api = admin.post(
        "/api/v1/org/mergers",
        {"target_id": s0.pk, "source_ids": [s2.pk], "effective_date": later},
        content_type="application/json",
    )
    assert api.status_code == 201 and api.json()["status"] == "planned"
    bad = admin.post(
        "/api/v1/org/mergers",
        {"target_id": county.districts[0].pk, "source_ids": [s2.pk], "effective_date": later},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "target" in bad.json()["errors"]
    officer = county.client_for("station_head")
    assert (
        officer.post(
            "/api/v1/org/mergers",
            {"target_id": s0.pk, "source_ids": [s2.pk], "effective_date": later},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert officer.get("/org/mergers/").status_code == 403


def test_merged_target_polygon_is_valid_and_locates_every_source_point(county: Demo) -> None:
    target, sources = county.stations[0], county.stations[1:]
    points = [geom(s).representative_point() for s in sources]
    services.plan_station_merger(actor=None, target=target, sources=sources, effective_date=SINCE)
    target.refresh_from_db()
    union = geom(target)
    assert union.is_valid
    assert all(union.covers(p) for p in points)
    assert (
        shapely.equals_exact(union.normalize(), geom(county.bureau).normalize(), tolerance=1e-9)
        or union.symmetric_difference(geom(county.bureau)).area < 1e-12
    )
