"""Reading houses and establishments (API and pages): only in scope, identifiers masked, names
masked for grid workers; the establishments list is linked from the search page."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhufang.conftest import Demo
from zhufang.org.models import OrgUnit
from zhufang.registry.demo.csv_export import write_establishments_csv, write_houses_csv
from zhufang.registry.imports.runner import import_establishments, import_houses
from zhufang.registry.models import Establishment, House
from zhufang.registry.tests.demo_files import import_demo_addresses, small_registry

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def loaded(demo: Demo, tmp_path: Path) -> None:
    actor = demo.user("centre_operator")
    import_demo_addresses(actor, tmp_path)
    write_houses_csv(small_registry(), tmp_path / "h.csv")
    write_establishments_csv(small_registry(), tmp_path / "e.csv")
    import_houses(tmp_path / "h.csv", actor=actor, dry_run=False)
    import_establishments(tmp_path / "e.csv", actor=actor, dry_run=False)


def in_scope_of(demo: Demo, role: str) -> set[int]:
    unit = demo.user(role).unit
    grids = OrgUnit.objects.subtree(unit).values("pk")
    return set(Establishment.objects.filter(owner_unit__in=grids).values_list("pk", flat=True))


def test_api_lists_establishments_in_scope_masked(demo: Demo, loaded: None) -> None:
    mine = in_scope_of(demo, "station_head")
    others = set(Establishment.objects.values_list("pk", flat=True)) - mine
    assert mine and others, "the small demo spreads units over several stations"
    client = demo.client_for("station_head")
    listed = client.get("/api/v1/registry/establishments", {"limit": 200}).json()
    assert {u["id"] for u in listed} == mine
    unit = Establishment.objects.get(pk=min(mine))
    body = client.get(f"/api/v1/registry/establishments/{unit.pk}").json()
    assert body["name"] == unit.name and body["legal_rep_name"] == unit.legal_rep_name
    assert body["legal_rep_id_number_masked"] == unit.legal_rep_id_number[:4] + "*" * 10 + unit.legal_rep_id_number[-4:]
    assert (
        body["security_contact_phone_masked"]
        == unit.security_contact_phone[:3] + "****" + unit.security_contact_phone[-4:]
    )
    raw = client.get(f"/api/v1/registry/establishments/{unit.pk}").content.decode()
    assert unit.legal_rep_id_number not in raw and unit.security_contact_phone not in raw
    assert client.get(f"/api/v1/registry/establishments/{min(others)}").status_code == 404
    by_name = client.get("/api/v1/registry/establishments", {"q": unit.name[3:7]}).json()
    assert unit.pk in {u["id"] for u in by_name} and {u["id"] for u in by_name} <= mine
    if unit.uscc:
        assert [u["id"] for u in client.get("/api/v1/registry/establishments", {"q": unit.uscc}).json()] == [unit.pk]


def test_grid_worker_sees_names_masked(demo: Demo, loaded: None) -> None:
    worker = demo.user("grid_worker")
    unit = Establishment.objects.exclude(legal_rep_name="").filter(owner_unit=worker.unit).first()
    if unit is None:  # the first grid holds no unit in the small demo: give it one
        unit = Establishment.objects.exclude(legal_rep_name="").first()
        assert unit is not None
        Establishment.objects.filter(pk=unit.pk).update(owner_unit=worker.unit)
    body = demo.client_for("grid_worker").get(f"/api/v1/registry/establishments/{unit.pk}").json()
    assert body["legal_rep_name"] == unit.legal_rep_name[0] + "*" * (len(unit.legal_rep_name) - 1)
    assert body["security_contact"] != unit.security_contact


def test_house_api_shows_owner_and_residents_masked_in_scope(demo: Demo, loaded: None) -> None:
    officer = demo.user("community_officer")
    grids = OrgUnit.objects.subtree(officer.unit).values("pk")
    house = (
        House.objects.filter(owner_unit__in=grids).filter(owner_phone__isnull=False).select_related("address").first()
    )
    outside = House.objects.exclude(owner_unit__in=grids).first()
    assert house is not None and outside is not None
    client = demo.client_for("community_officer")
    body = client.get(f"/api/v1/registry/houses/{house.pk}").json()
    assert body["address_code"] == house.address.code and body["use"] == house.use
    assert body["owner_id_number_masked"] == house.owner_id_number[:4] + "*" * 10 + house.owner_id_number[-4:]
    assert body["owner_phone_masked"] == house.owner_phone[:3] + "****" + house.owner_phone[-4:]
    assert body["residents"] == [] and body["legacy_number"] == house.legacy_number
    assert house.owner_id_number not in str(body)
    assert client.get(f"/api/v1/registry/houses/{outside.pk}").status_code == 404
    found = client.get("/api/v1/registry/houses", {"q": house.address.street or house.address.community}).json()
    assert house.pk in {h["id"] for h in found} and outside.pk not in {h["id"] for h in found}


def test_establishment_pages_in_scope_masked_and_linked(demo: Demo, loaded: None) -> None:
    client = demo.client_for("station_head")
    search = client.get("/registry/").content.decode()
    assert 'href="/registry/establishments/"' in search and 'href="/registry/export/"' in search
    mine = in_scope_of(demo, "station_head")
    page = client.get("/registry/establishments/").content.decode()
    assert f'data-testid="establishment-count">{len(mine)}<' in page and 'data-testid="watermark"' in page
    outside = Establishment.objects.exclude(pk__in=mine).first()
    assert outside is not None and outside.name not in page
    unit = Establishment.objects.filter(pk__in=mine).filter(legal_rep_id_number__isnull=False).first()
    assert unit is not None
    detail = client.get(f"/registry/establishments/{unit.pk}/").content.decode()
    assert unit.name in detail and unit.legal_rep_id_number[:4] + "*" * 10 in detail
    assert unit.legal_rep_id_number not in detail and unit.security_contact_phone not in detail
    assert client.get(f"/registry/establishments/{outside.pk}/").status_code == 404
    key = client.get("/registry/establishments/", {"key": "1"}).content.decode()
    expected_key = Establishment.objects.filter(pk__in=mine, is_key_industry=True).count()
    assert f'data-testid="establishment-count">{expected_key}<' in key
