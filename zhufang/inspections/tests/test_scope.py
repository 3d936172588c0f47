"""Scope on every inspection endpoint: an officer of another district neither sees nor records for
an object outside their district (404 on the API, PermissionDenied in the service); a grid worker
records houses of their own grid only, and sees less personal data."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.conftest import Demo
from zhufang.inspections.cadence import due_list
from zhufang.inspections.models import Inspection
from zhufang.inspections.services import record_inspection
from zhufang.inspections.tests.conftest import JPEG
from zhufang.inspections.tests.factories import establishment, house
from zhufang.inspections.tests.test_recording import post
from zhufang.org.models import OrgUnit

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_officer_of_another_district_neither_sees_nor_records(
    demo: Demo, grids: tuple[OrgUnit, ...], other_officer: User
) -> None:
    mine = house(grids[0], "rental", owner_name="周建国", owner_phone="13912345678")
    theirs = house(grids[2], "rental")
    officer = demo.client_for("community_officer")
    first = post(officer, mine, key="k1", photo=("a.jpg", JPEG))
    assert first.status_code == 201
    inspection_id, photo_url = first.json()["id"], first.json()["photo_url"]
    other = Client()
    other.force_login(other_officer)
    assert other.get(f"/api/v1/inspections/targets/house/{mine.pk}").status_code == 404
    assert other.get(f"/api/v1/inspections/{inspection_id}").status_code == 404
    assert other.get(photo_url).status_code == 404
    assert other.get(f"/inspections/house/{mine.pk}/").status_code == 404
    assert post(other, mine).status_code == 404
    assert other.get("/api/v1/inspections", {"kind": "house", "target_id": str(mine.pk)}).json() == []
    listed = other.get("/api/v1/inspections/due", {"status": "todo"}).json()["items"]
    assert mine.pk not in {i["id"] for i in listed if i["kind"] == "house"}
    assert theirs.pk in {i["id"] for i in listed if i["kind"] == "house"}
    with pytest.raises(PermissionDenied):
        record_inspection(actor=other_officer, target=mine, inspected_on=timezone.localdate(), result="normal")
    assert Inspection.objects.count() == 1
    assert due_list(demo.user("community_officer"), kinds=("house",)) == []  # mine done; theirs out of scope
    assert post(officer, theirs).status_code == 404


def test_grid_worker_records_houses_of_the_grid_and_sees_less(demo: Demo, grids: tuple[OrgUnit, ...]) -> None:
    own = house(grids[0], "rental", owner_name="周建国", owner_phone="13912345678")
    sibling = house(grids[1], "rental")
    venue = establishment(grids[0], "旅馆", security_contact="吴敏", security_contact_phone="13800001111")
    worker = demo.client_for("grid_worker")
    detail = worker.get(f"/api/v1/inspections/targets/house/{own.pk}").json()
    assert detail["target"]["owner_name"] == "周**" and detail["target"]["owner_phone_masked"] is None
    officer_view = demo.client_for("community_officer").get(f"/api/v1/inspections/targets/house/{own.pk}").json()
    assert officer_view["target"]["owner_name"] == "周建国"
    assert officer_view["target"]["owner_phone_masked"] == "139****5678"
    assert post(worker, own, hazards=[], result="normal").status_code == 201
    assert post(worker, sibling, hazards=[], result="normal").status_code == 404  # another grid
    refused = worker.post(
        "/api/v1/inspections",
        {
            "target_kind": "establishment",
            "target_id": venue.pk,
            "inspected_on": timezone.localdate().isoformat(),
            "result": "normal",
        },
    )
    assert refused.status_code == 403  # venue inspections are police work
    listed = worker.get("/api/v1/inspections/due").json()
    assert {i["kind"] for i in listed["items"]} <= {"house", "establishment"}
    page = worker.get("/inspections/").content.decode()
    assert venue.name not in page  # the grid worker's list holds what they may record: houses
    assert Inspection.objects.count() == 1


def test_volunteer_and_missing_permission_are_refused(demo: Demo, grids: tuple[OrgUnit, ...]) -> None:
    target = house(grids[0], "rental")
    volunteer = demo.client_for("volunteer")
    assert volunteer.get("/api/v1/inspections/due").status_code == 403
    assert volunteer.get("/inspections/").status_code == 403
    assert post(volunteer, target).status_code == 404
    station_head = demo.user("station_head")
    assert station_head.has_permission("inspection.view")
    with pytest.raises(PermissionDenied):
        record_inspection(actor=demo.user("leader"), target=target, inspected_on=timezone.localdate(), result="normal")
