"""Stale records (过期数据): exactly the generator's planted stale people, the rule at its boundaries
and from settings, the list masked and in scope."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from zhufang.conftest import Demo
from zhufang.privacy.blind_index import blind_index
from zhufang.registry.demo.generator import Registry
from zhufang.registry.models import House, Person
from zhufang.registry.stale import LAST_UPDATE, current_rule, stale_people, stale_reasons
from zhufang.registry.tests.test_api import an_id, make_house
from zhufang.registry.tests.test_quality import AS_OF, load_small_registry

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
TODAY = dt.date(2026, 3, 1)


def stored_keys() -> set[str]:
    return set(Person.objects.values_list("legacy_number", flat=True))


def test_stale_people_are_exactly_the_planted_ones(demo: Demo, tmp_path: Path) -> None:
    registry: Registry = load_small_registry(tmp_path)
    found = set(stale_people(Person.objects.all(), AS_OF).values_list("legacy_number", flat=True))
    truth = set(registry.truth.stale_people)
    stored = stored_keys()
    assert found == truth & stored and len(found) > 20
    # a planted stale row can only be missing because the import could not store it: no document
    # (when the import rejects such rows) or the same document already in the same file
    people = registry.people
    for key in truth - stored:
        row = people.row(int(key[1:]) - 1)
        same_document = sum(1 for number in people.id_number if number and number == row.id_number) > 1
        assert not row.id_number or same_document, key
    # the reasons agree with the set, row by row
    for person in stale_people(Person.objects.all(), AS_OF):
        last_update = getattr(person, LAST_UPDATE)
        assert stale_reasons(last_update=last_update, permit_expires=person.permit_expires, today=AS_OF)


def person(house: House, n: int, **fields: object) -> Person:
    return Person.objects.create(
        name=f"人员{n}",
        id_number=an_id(n),
        id_index=blind_index(an_id(n), kind="id_number"),
        category="floating",
        house=house,
        owner_unit=house.owner_unit,
        **fields,
    )


def test_the_rule_at_its_boundaries(demo: Demo) -> None:
    house = make_house(demo.grids[0], "S1", "兴隆路")
    day = dt.timedelta(days=1)
    year_ago = TODAY - dt.timedelta(days=365)
    just_in = person(house, 1, source_updated_at=year_ago)  # exactly 365 days: not yet
    just_out = person(house, 2, source_updated_at=year_ago - day)
    permit_old = person(house, 3, source_updated_at=TODAY, permit_expires=year_ago - day)
    permit_recent = person(house, 4, source_updated_at=TODAY, permit_expires=year_ago)
    moved_away = person(house, 5, source_updated_at=year_ago - 10 * day, is_active=False)
    written_here = person(house, 6, source_updated_at=None)
    written_at = dt.datetime.combine(TODAY - dt.timedelta(days=400), dt.time(12), tzinfo=dt.UTC)
    Person.objects.filter(pk=written_here.pk).update(updated_at=written_at)
    fresh_here = person(house, 7, source_updated_at=None)
    Person.objects.filter(pk=fresh_here.pk).update(updated_at=written_at + dt.timedelta(days=100))

    def stale() -> set[int]:
        return set(stale_people(Person.objects.all(), TODAY).values_list("pk", flat=True))

    assert stale() >= {just_out.pk, permit_old.pk}
    assert stale() == {just_out.pk, permit_old.pk, written_here.pk}, "no source date: counts from when written"
    assert not {just_in.pk, permit_recent.pk, moved_away.pk, fresh_here.pk} & stale()
    assert stale_reasons(last_update=year_ago - day, permit_expires=None, today=TODAY) == ["not updated for 366 days"]
    assert stale_reasons(last_update=TODAY, permit_expires=year_ago - day, today=TODAY) == [
        "residence permit expired 366 days ago"
    ]
    with override_settings(ZHUFANG_STALE_RECORDS={"days_since_update": 400, "days_since_permit_expired": None}):
        assert stale() == set()
    with override_settings(ZHUFANG_STALE_RECORDS={"days_since_update": 30}):
        assert stale() == {just_in.pk, just_out.pk, permit_old.pk, written_here.pk, fresh_here.pk}


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"days_since_update": None}, "days_since_update"),
        ({"days_since_update": 0}, "days_since_update"),
        ({"days_since_permit_expired": 1.5}, "days_since_permit_expired"),
        ({"days": 365}, "days"),
    ],
)
def test_a_bad_setting_fails_naming_the_key(setting: dict[str, object], named: str) -> None:
    with override_settings(ZHUFANG_STALE_RECORDS=setting), pytest.raises(ImproperlyConfigured, match=named):
        current_rule()


def test_the_list_is_masked_and_in_scope(demo: Demo) -> None:
    officer = demo.user("community_officer")
    mine = make_house(officer.unit.children.order_by("code").first(), "S2", "兴隆路")
    other_grid = next(g for g in demo.grids if not g.path.startswith(officer.unit.path))
    theirs = make_house(other_grid, "S3", "人民路")
    long_ago = timezone.localdate() - dt.timedelta(days=800)
    person(mine, 11, source_updated_at=long_ago)
    person(theirs, 12, source_updated_at=long_ago)
    page = demo.client_for("community_officer").get("/registry/quality/stale/").content.decode()
    assert "人员11" in page and "人员12" not in page
    assert an_id(11) not in page and an_id(11)[:4] + "*" * 10 + an_id(11)[-4:] in page
    assert 'data-testid="watermark"' in page and "未更新" in page
    grid_worker = demo.client_for("grid_worker").get("/registry/quality/stale/").content.decode()
    assert "人员11" not in grid_worker  # a grid worker sees names masked (and only their own grid)
    body = demo.client_for("community_officer").get("/api/v1/registry/quality/stale").json()
    assert body["count"] == 1 and body["people"][0]["name"] == "人员11"
    assert an_id(11) not in str(body) and body["people"][0]["reasons"]
    centre = demo.client_for("centre_operator").get("/api/v1/registry/quality/stale").json()
    assert centre["count"] == 2
    assert (
        demo.client_for("community_officer").get("/registry/quality/stale/", {"unit": other_grid.pk}).status_code == 404
    )
