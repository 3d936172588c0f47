"""Registry export (登记数据导出): only rows in the exporter's scope (or search), identifiers masked by
default, plaintext only with pii.reveal, data.export and a reason required, every export audited."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from zhufang.accounts.models import Role, RoleGrant
from zhufang.accounts.permissions import Perm
from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.org.models import OrgUnit
from zhufang.registry.demo.csv_export import write_establishments_csv, write_houses_csv, write_people_csv
from zhufang.registry.imports.runner import import_establishments, import_houses, import_people
from zhufang.registry.models import Establishment, House, Person
from zhufang.registry.tests.demo_files import import_demo_addresses, small_registry

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def loaded(demo: Demo, tmp_path: Path) -> None:
    actor = demo.user("centre_operator")
    import_demo_addresses(actor, tmp_path)
    registry = small_registry()
    for name, write, run in (
        ("h.csv", write_houses_csv, import_houses),
        ("p.csv", write_people_csv, import_people),
        ("e.csv", write_establishments_csv, import_establishments),
    ):
        write(registry, tmp_path / name)
        run(tmp_path / name, actor=actor, dry_run=False)


def csv_rows(content: bytes, encoding: str = "utf-8-sig") -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(content.decode(encoding))))
    return header, rows


def grids_of(demo: Demo, role: str) -> object:
    return OrgUnit.objects.subtree(demo.user(role).unit).values("pk")


def test_people_export_holds_only_the_scope_masked_and_is_audited(demo: Demo, loaded: None) -> None:
    client = demo.client_for("station_head")
    response = client.post("/registry/export/", {"kind": "people", "format": "csv", "reason": "季度人口核查"})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as Excel expects
    header, rows = csv_rows(content)
    assert header[3] == "证件号码（脱敏）" and header[6] == "联系电话（脱敏）"
    mine = Person.objects.filter(owner_unit__in=grids_of(demo, "station_head"), is_active=True)
    assert {r[0] for r in rows} == set(mine.values_list("legacy_number", flat=True)) and rows
    outside = Person.objects.exclude(owner_unit__in=grids_of(demo, "station_head")).exclude(legacy_number="")
    assert outside.exists() and not {r[0] for r in rows} & set(outside.values_list("legacy_number", flat=True))
    text = content.decode("utf-8-sig")
    for person in mine.filter(id_number__isnull=False)[:50]:
        assert person.id_number not in text
        assert person.id_number[:4] + "*" * 10 + person.id_number[-4:] in text
    for person in mine.filter(phone__isnull=False)[:50]:
        assert person.phone is not None and person.phone not in text
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.actor_id, entry.reason, entry.object_type) == (
        demo.users["station_head"].pk,
        "季度人口核查",
        "registry.person",
    )
    assert entry.changes["rows"] == len(rows) and entry.changes["filters"]["masked"] is True


def test_export_needs_the_permission_and_a_reason(demo: Demo, loaded: None) -> None:
    officer = demo.client_for("community_officer")  # no data.export
    assert officer.get("/registry/export/").status_code == 403
    assert (
        officer.post("/registry/export/", {"kind": "people", "format": "csv", "reason": "想导出看看"}).status_code
        == 403
    )
    api = officer.post(
        "/api/v1/registry/exports", {"kind": "people", "reason": "想导出看看"}, content_type="application/json"
    )
    assert api.status_code == 403
    head = demo.client_for("station_head")
    form = head.get("/registry/export/").content.decode()
    assert 'name="reason"' in form and 'name="unmasked"' in form and "导出登记数据" in form
    no_reason = head.post("/registry/export/", {"kind": "people", "format": "csv", "reason": "看"})
    html = no_reason.content.decode()
    assert no_reason.status_code == 200 and 'data-testid="error-reason"' in html and "请填写导出事由" in html
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_houses_as_excel_through_the_api_in_scope(demo: Demo, loaded: None) -> None:
    client = demo.client_for("station_head")
    response = client.post(
        "/api/v1/registry/exports",
        {"kind": "houses", "reason": "出租房屋排查", "format": "xlsx"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]  # type: ignore[attr-defined]
    header, *rows = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert header[8] == "房主证件号码（脱敏）"
    mine = House.objects.filter(owner_unit__in=grids_of(demo, "station_head"))
    assert {r[1] for r in rows} == set(mine.values_list("address__code", flat=True)) and rows
    sample = mine.filter(owner_id_number__isnull=False).first()
    assert sample is not None
    row = next(r for r in rows if r[1] == sample.address.code)
    assert row[8] == sample.owner_id_number[:4] + "*" * (len(sample.owner_id_number) - 8) + sample.owner_id_number[-4:]
    assert row[12] == sample.residents.filter(is_active=True).count()
    assert AuditEntry.objects.get(action=AuditAction.EXPORT).changes["filters"]["format"] == "xlsx"


def test_establishments_of_a_search_in_gbk_and_unmasked_with_reveal(demo: Demo, loaded: None) -> None:
    client = demo.client_for("centre_operator")
    unit = Establishment.objects.filter(legal_rep_id_number__isnull=False).first()
    assert unit is not None
    response = client.post(
        "/api/v1/registry/exports",
        {"kind": "establishments", "reason": "重点单位核查", "format": "csv_gbk", "q": unit.name, "unmasked": True},
        content_type="application/json",
    )
    header, rows = csv_rows(b"".join(response.streaming_content), encoding="gbk")  # type: ignore[attr-defined]
    assert header[8] == "法定代表人证件号码" and [r[1] for r in rows] == [unit.name]
    assert rows[0][8] == unit.legal_rep_id_number and rows[0][10] == unit.security_contact_phone
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.changes["filters"]["masked"] is False and entry.changes["filters"]["q"] == unit.name


def test_plaintext_export_needs_the_reveal_permission(demo: Demo, loaded: None) -> None:
    role = Role.objects.create(code="exporter", name="导出员", permissions=[Perm.DATA_EXPORT], data_scope="all")
    RoleGrant.objects.create(user=demo.users["department"], role=role)
    client = demo.client_for("department")  # pii.view and data.export, no pii.reveal
    payload = {"kind": "people", "reason": "部门数据核对", "unmasked": True}
    assert client.post("/api/v1/registry/exports", payload, content_type="application/json").status_code == 403
    payload["unmasked"] = False
    ok = client.post("/api/v1/registry/exports", payload, content_type="application/json")
    assert ok.status_code == 200
    _header, rows = csv_rows(b"".join(ok.streaming_content))  # type: ignore[attr-defined]
    assert len(rows) == Person.objects.filter(is_active=True).count()  # scope "all" through the new role
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1
