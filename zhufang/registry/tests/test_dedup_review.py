"""The review page ``/registry/duplicates/`` and the API ``/api/v1/registry/duplicates``: pending pairs
in scope side by side with identifiers masked and agreement shown, merge and "not the same" from both,
refused without permission, 404 outside scope."""

from __future__ import annotations

import re
from typing import Any

import pytest

from zhufang.conftest import Demo
from zhufang.jobs.models import JobRun
from zhufang.privacy.blind_index import blind_index
from zhufang.registry.models import DuplicateCandidate, House, Person
from zhufang.registry.tests.test_api import an_id
from zhufang.registry.tests.test_dedup_merge import PHONE, pair_of, person
from zhufang.registry.tests.test_dedup_merge import grids as grids
from zhufang.registry.tests.test_dedup_merge import houses as houses

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def pairs(houses: tuple[House, House, House]) -> tuple[DuplicateCandidate, DuplicateCandidate]:  # noqa: F811
    """A pair inside the community officer's district (documents differ, phones agree) and one across
    its border (owned inside, second record outside)."""
    index = blind_index(PHONE, kind="phone")
    a = person(houses[0], "刘德华", seq=21, phone=PHONE, phone_index=index)
    b = person(houses[1], "刘德华", seq=22, phone=PHONE, phone_index=index)
    inside = pair_of(a, b, rule="name_birth_address", score=0.89)
    across = pair_of(person(houses[0], "陈小春", seq=23), person(houses[2], "陈小春", seq=23))
    return inside, across


def test_page_shows_pairs_side_by_side_masked(demo: Demo, pairs: tuple[DuplicateCandidate, ...]) -> None:
    inside, across = pairs
    html = demo.client_for("community_officer").get("/registry/duplicates/").content.decode()
    block = html[html.index(f'data-pair="{inside.pk}"') :]
    block = block[: block.index('data-testid="pair"') if 'data-testid="pair"' in block else len(block)]
    assert "刘德华" in block
    assert re.search(r'data-field="id_number" data-agrees="no"', block)
    assert re.search(r'data-field="phone" data-agrees="yes"', block) and "139****0123" in block
    assert PHONE not in html and an_id(21) not in html and an_id(22) not in html  # identifiers never in clear
    assert 'data-testid="watermark"' in html
    assert html.count('data-testid="out-of-scope"') == 1  # the cross-border pair: no second record shown
    assert "陈小春" not in html[html.index(f'data-pair="{across.pk}"') :]
    assert 'data-testid="pending-person">2<' in html


def test_page_merges_and_marks_distinct(demo: Demo, pairs: tuple[DuplicateCandidate, ...]) -> None:
    inside, across = pairs
    client = demo.client_for("community_officer")
    response = client.post(f"/registry/duplicates/{inside.pk}/", {"op": "merge", "keep": inside.second_id})
    assert response.status_code == 302
    assert Person.objects.get(pk=inside.first_id).merged_into_id == inside.second_id
    refused = client.post(f"/registry/duplicates/{across.pk}/", {"op": "distinct", "note": "不同人"})
    assert refused.status_code == 403  # the second record is outside the district
    centre = demo.client_for("centre_operator")
    empty = centre.post(f"/registry/duplicates/{across.pk}/", {"op": "distinct", "note": ""}, follow=True)
    assert DuplicateCandidate.objects.get(pk=across.pk).status == "pending"
    assert 'class="alert alert-error"' in empty.content.decode()
    centre.post(f"/registry/duplicates/{across.pk}/", {"op": "distinct", "note": "不同人"})
    assert DuplicateCandidate.objects.get(pk=across.pk).status == "distinct"
    assert 'data-testid="no-pairs"' in centre.get("/registry/duplicates/").content.decode()


@pytest.mark.parametrize("role", ["station_head", "grid_worker", "leader", "audit_admin"])
def test_page_and_api_refuse_without_edit_and_personal_data(
    demo: Demo, pairs: tuple[DuplicateCandidate, ...], role: str
) -> None:
    client = demo.client_for(role)
    assert client.get("/registry/duplicates/").status_code == 403
    assert client.get("/api/v1/registry/duplicates").status_code == 403
    merge = client.post(
        f"/api/v1/registry/duplicates/{pairs[0].pk}/merge",
        {"keep_id": pairs[0].first_id},
        content_type="application/json",
    )
    assert merge.status_code == 403 and DuplicateCandidate.objects.get(pk=pairs[0].pk).status == "pending"


def test_detect_now_queues_a_run_for_the_reviewers_scope(demo: Demo, django_capture_on_commit_callbacks: Any) -> None:
    client = demo.client_for("command_room")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/registry/duplicates/detect/").status_code == 302
    run = JobRun.objects.get(name="registry.find_duplicates")
    assert run.args == {"actor_id": demo.user("command_room").pk}


def test_api_lists_merges_and_marks_distinct_in_scope(demo: Demo, pairs: tuple[DuplicateCandidate, ...]) -> None:
    inside, across = pairs
    officer = demo.client_for("community_officer")
    listed = officer.get("/api/v1/registry/duplicates").json()
    by_id = {p["id"]: p for p in listed}
    assert set(by_id) == {inside.pk, across.pk}
    shown = by_id[inside.pk]
    assert shown["reviewable"] and shown["first"]["phone"] == "139****0123"
    assert shown["first"]["id_number"].startswith("3707") and "*" in shown["first"]["id_number"]
    fields = {f["key"]: f["agrees"] for f in shown["fields"]}
    assert fields["name"] is True and fields["id_number"] is False and fields["phone"] is True
    assert by_id[across.pk]["reviewable"] is False and by_id[across.pk]["second"] is None

    url = "/api/v1/registry/duplicates"
    assert (
        officer.post(f"{url}/{across.pk}/distinct", {"note": "不同人"}, content_type="application/json").status_code
        == 403
    )
    unknown = officer.post(f"{url}/{inside.pk}/merge", {"keep_id": across.first_id}, content_type="application/json")
    assert unknown.status_code == 422
    merged = officer.post(f"{url}/{inside.pk}/merge", {"keep_id": inside.first_id}, content_type="application/json")
    assert (
        merged.status_code == 200
        and merged.json()["status"] == "merged"
        and merged.json()["kept_id"] == inside.first_id
    )
    again = officer.post(f"{url}/{inside.pk}/merge", {"keep_id": inside.first_id}, content_type="application/json")
    assert again.status_code == 422

    grid_pair = pair_of(person(None, "周星驰", seq=31), person(None, "周星驰", seq=31))
    assert grid_pair.owner_unit_id is None  # owned by nobody in the officer's scope
    hidden = officer.post(f"{url}/{grid_pair.pk}/distinct", {"note": "不同人"}, content_type="application/json")
    assert hidden.status_code == 404
    centre = demo.client_for("centre_operator")
    done = centre.post(f"{url}/{across.pk}/distinct", {"note": "不同人"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "distinct"
    assert centre.get(f"{url}?status=distinct").json()[0]["id"] == across.pk
