"""Cadence rules are configuration: seeded by the migration, changed by the centre (API and page),
refused to everyone else, audited, and taking effect on the next computation."""

from __future__ import annotations

import datetime as dt

import pytest

from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.inspections.cadence import status_of
from zhufang.inspections.defaults import DEFAULT_RULES
from zhufang.inspections.models import Inspection, InspectionRule
from zhufang.inspections.tests.factories import house
from zhufang.org.models import OrgUnit

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_migration_seeded_the_defaults(demo: Demo) -> None:
    seeded = set(InspectionRule.objects.values_list("target_kind", "selector", "value", "period"))
    assert seeded == {(k, s, v, p) for k, s, v, p, _note in DEFAULT_RULES}
    assert ("house", "use", "self_occupied", "half_year") in seeded
    assert ("house", "use", "rental", "month") in seeded
    assert ("establishment", "trade", "在建工地", "week") in seeded


def test_centre_changes_a_cadence_and_the_due_set_follows(demo: Demo, grids: tuple[OrgUnit, ...]) -> None:
    target = house(grids[0], "rental")
    Inspection.objects.create(house=target, inspected_on=dt.date(2026, 4, 10), result="normal", owner_unit=grids[0])
    centre = demo.user("centre_operator")
    day = dt.date(2026, 5, 20)
    assert status_of(centre, "house", target.pk, as_of=day)["status"] == "due"  # type: ignore[index]
    rental = InspectionRule.objects.get(value="rental")
    client = demo.client_for("centre_operator")
    changed = client.patch(
        f"/api/v1/inspections/rules/{rental.pk}", {"period": "quarter"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["period"] == "quarter"
    assert status_of(centre, "house", target.pk, as_of=day)["status"] == "done"  # type: ignore[index]
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="inspections.inspectionrule")
    assert entry.changes == {"period": ["month", "quarter"]}
    off = client.patch(f"/api/v1/inspections/rules/{rental.pk}", {"is_active": False}, content_type="application/json")
    assert off.status_code == 200 and status_of(centre, "house", target.pk, as_of=day) is None


def test_others_may_not_change_rules_and_bad_rules_are_named(demo: Demo) -> None:
    rental = InspectionRule.objects.get(value="rental")
    officer = demo.client_for("community_officer")
    refused = officer.patch(
        f"/api/v1/inspections/rules/{rental.pk}", {"period": "year"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert InspectionRule.objects.get(pk=rental.pk).period == "month"
    centre = demo.client_for("centre_operator")
    rule = {"target_kind": "house", "selector": "trade", "value": "旅馆", "period": "month"}
    bad = centre.post("/api/v1/inspections/rules", rule, content_type="application/json")
    assert bad.status_code == 422 and "selector" in bad.json()["errors"]
    dup = centre.post(
        "/api/v1/inspections/rules", {**rule, "target_kind": "establishment"}, content_type="application/json"
    )
    assert dup.status_code == 422 and "已存在" in dup.json()["errors"]["value"][0]
    made = centre.post(
        "/api/v1/inspections/rules",
        {"target_kind": "establishment", "selector": "trade", "value": "洗浴", "period": "month"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["period_label"] == "每月"
    listed = officer.get("/api/v1/inspections/rules").json()
    assert {r["value"] for r in listed} >= {"洗浴", "rental", "在建工地"}


def test_rules_page_form_saves_a_cadence(demo: Demo) -> None:
    rule = InspectionRule.objects.get(value="典当")
    client = demo.client_for("centre_operator")
    response = client.post(
        "/inspections/rules/", {"op": "update", "rule": rule.pk, "period": "month", "is_active": "1"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.period == "month" and rule.is_active
    assert (
        demo.client_for("station_head").post("/inspections/rules/", {"op": "update", "rule": rule.pk}).status_code
        == 403
    )
