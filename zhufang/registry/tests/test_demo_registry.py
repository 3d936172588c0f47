"""The demo registry loaded through the real pipeline: every address in its true grid, residents
matched to their true address even when the CSV spelled it dirty (accuracy floor), scope holds."""

from __future__ import annotations

import pytest

from zhufang.conftest import Demo
from zhufang.org.models import OrgUnit
from zhufang.registry.demo.generator import generate_registry
from zhufang.registry.demo.loading import load_demo_registry
from zhufang.registry.models import ImportRun, Person, StandardAddress

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_small_demo_registry_matches_planted_dirty_addresses(demo: Demo) -> None:
    summary = load_demo_registry("small")
    assert "实有人口" in summary
    registry = generate_registry("small", seed=2026)  # same seed: the same data the loader imported
    grid_pk = dict(OrgUnit.objects.filter(kind="grid").values_list("code", "pk"))
    located = dict(StandardAddress.objects.values_list("code", "owner_unit_id"))
    table = registry.addresses
    assert all(located[table.code[i]] == grid_pk[table.grid_code[i]] for i in range(len(table)))

    dirty_rows = registry.dirty.rows(0.05)
    assert dirty_rows, "the small registry plants dirty addresses"
    people = registry.people
    address_pk = dict(StandardAddress.objects.values_list("code", "pk"))
    stored = dict(Person.objects.exclude(legacy_number="").values_list("legacy_number", "house__address_id"))
    correct = total = 0
    for row in dirty_rows:
        truth = people.row(row)
        if truth.key not in stored:
            continue
        total += 1
        expected = address_pk[table.code[truth.address_id - 1]]
        correct += stored[truth.key] == expected
    assert total >= 20 and correct / total >= 0.95, (correct, total)
    run = ImportRun.objects.get(kind="people")
    undocumented = {people.row(i).key for i in range(len(people)) if not people.row(i).id_number}
    assert undocumented, "the small registry has people without a document"
    assert run.rejected == 0  # people without a document are stored, keyed by their record number
    assert set(Person.objects.filter(id_index__isnull=True).values_list("legacy_number", flat=True)) == undocumented


def test_loading_twice_reuses(demo: Demo) -> None:
    load_demo_registry("small")
    count = Person.objects.count()
    assert "reused" in load_demo_registry("small") and Person.objects.count() == count


def test_jurisdiction_conflicts_equal_the_planted_ones(demo: Demo) -> None:
    from zhufang.registry.conflicts import jurisdiction_conflicts

    load_demo_registry("small")
    registry = generate_registry("small", seed=2026)
    table = registry.addresses
    planted = {i for i in range(len(table)) if table.recorded_station_code[i] != table.station_code[i]}
    assert planted, "the small registry plants conflicts"
    groups = jurisdiction_conflicts(demo.user("centre_operator"), limit=100000)
    assert sum(g.addresses for g in groups) == len(planted)
    page = demo.client_for("centre_operator").get("/registry/conflicts/").content.decode()
    assert f'data-testid="conflict-total">{len(planted)}<' in page
    officer = demo.user("community_officer")
    officer_grids = set(OrgUnit.objects.subtree(officer.unit).filter(kind="grid").values_list("code", flat=True))
    expected = sum(1 for i in planted if table.grid_code[i] in officer_grids)
    assert sum(g.addresses for g in jurisdiction_conflicts(officer, limit=100000)) == expected  # scoped
