"""Establishment import (实有单位): the planted bad rows are reported with field and Chinese message,
valid rows stored (planted duplicates included, for de-duplication to find), trade and key-industry
flag, address matched to its standard address, legal representative's ID encrypted with a blind index;
re-importing changes and audits nothing; natural keys: record number, else USCC, else name + address."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.privacy.blind_index import blind_index
from zhufang.registry.demo.csv_export import write_establishments_csv
from zhufang.registry.imports.establishments import normalise_trade
from zhufang.registry.imports.runner import import_establishments
from zhufang.registry.models import Establishment, StandardAddress
from zhufang.registry.tests.demo_files import bad_rows, import_demo_addresses, read_rows, small_registry, write_rows

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
EXPECTED_MESSAGE = {
    "check_code": "统一社会信用代码校验码错误",
    "invalid_chars": "统一社会信用代码含非法字符",
    "required": "单位名称不能为空",
}


@pytest.fixture
def establishments_csv(demo: Demo, tmp_path: Path) -> Path:
    import_demo_addresses(demo.user("centre_operator"), tmp_path)
    path = tmp_path / "实有单位.csv"
    write_establishments_csv(small_registry(), path, include_bad_rows=True)
    return path


def test_dry_run_lists_the_planted_bad_rows(demo: Demo, establishments_csv: Path) -> None:
    report = import_establishments(establishments_csv, actor=demo.user("centre_operator"), dry_run=True)
    planted = bad_rows("establishments")
    assert Establishment.objects.count() == 0
    assert (report.run.created, report.run.rejected) == (len(small_registry().establishments), len(planted))
    _header, rows = read_rows(establishments_csv)
    row_of_key = {row[0]: number for number, row in enumerate(rows, start=2)}
    errors = {e.row: e for e in report.errors}
    assert set(errors) == {row_of_key[b.key] for b in planted}
    for bad in planted:
        error = errors[row_of_key[bad.key]]
        assert error.field == bad.field and EXPECTED_MESSAGE[bad.code] in error.message, (bad, error)


def test_real_import_stores_units_and_reimport_changes_nothing(demo: Demo, establishments_csv: Path) -> None:
    actor = demo.user("centre_operator")
    first = import_establishments(establishments_csv, actor=actor, dry_run=False)
    table = small_registry().establishments
    assert first.run.created == len(table) == Establishment.objects.count()
    codes = dict(StandardAddress.objects.values_list("code", "pk"))
    units = {u.legacy_number: u for u in Establishment.objects.select_related("address")}
    for i in range(len(table)):
        unit = units[table.key(i)]
        assert unit.name == table.name[i] and unit.uscc == table.uscc[i]
        assert (unit.category, unit.industry, unit.trade) == (table.category[i], table.industry[i], table.key_trade[i])
        assert unit.is_key_industry == bool(table.key_trade[i])
        assert unit.address_id == codes[small_registry().addresses.code[int(table.address_id[i]) - 1]]
        assert unit.owner_unit_id == unit.address.owner_unit_id
        assert unit.legal_rep_id_index == blind_index(table.legal_rep_id_number[i], kind="id_number")
        assert unit.security_contact_phone == table.security_phone[i] and unit.staff_count == int(table.staff[i])
    duplicates = small_registry().truth.duplicate_establishments
    assert duplicates and all(p.original in units and p.duplicate in units for p in duplicates)
    assert any(u.is_key_industry for u in units.values())
    sample = units[table.key(0)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_rep_id_number FROM registry_establishment WHERE id = %s", [sample.pk])
        (stored,) = cursor.fetchone()
    assert table.legal_rep_id_number[0] not in stored
    audit_rows = AuditEntry.objects.count()
    second = import_establishments(establishments_csv, actor=actor, dry_run=False)
    assert (second.run.created, second.run.updated, second.run.unchanged) == (0, 0, len(table))
    assert AuditEntry.objects.count() == audit_rows + 1


def test_changed_unit_is_updated_and_audited_without_plaintext(
    demo: Demo, establishments_csv: Path, tmp_path: Path
) -> None:
    header, rows = read_rows(establishments_csv)
    rows = [r for r in rows if not r[0].startswith("X")][:5]
    actor = demo.user("centre_operator")
    import_establishments(write_rows(tmp_path / "a.csv", header, rows), actor=actor, dry_run=False)
    rows[0][header.index("治保负责人电话")] = "13999990000"
    rows[0][header.index("从业人员数")] = "77"
    report = import_establishments(write_rows(tmp_path / "b.csv", header, rows), actor=actor, dry_run=False)
    assert (report.run.updated, report.run.unchanged) == (1, 4)
    unit = Establishment.objects.get(legacy_number=rows[0][0])
    assert unit.security_contact_phone == "13999990000" and unit.staff_count == 77
    entry = AuditEntry.objects.filter(action="update", object_type="registry.establishment").latest("id")
    assert entry.changes[str(unit.pk)]["security_contact_phone"] == ["…", "…"]
    assert entry.changes[str(unit.pk)]["staff_count"][1] == 77 and "13999990000" not in str(entry.changes)


def test_natural_keys_without_a_record_number(demo: Demo, establishments_csv: Path, tmp_path: Path) -> None:
    header, rows = read_rows(establishments_csv)
    good = [r for r in rows if not r[0].startswith("X")]
    uscc = header.index("统一社会信用代码")
    with_code = [r for r in good if r[uscc]][:3]
    without_code = [r for r in good if not r[uscc]][:1]
    assert without_code, "the planted duplicates lack a USCC"
    unnumbered = [["", *r[1:]] for r in with_code + without_code]
    actor = demo.user("centre_operator")
    first = import_establishments(write_rows(tmp_path / "a.csv", header, unnumbered), actor=actor, dry_run=False)
    assert first.run.created == 4 and not Establishment.objects.exclude(legacy_number="").exists()
    again = import_establishments(write_rows(tmp_path / "b.csv", header, unnumbered), actor=actor, dry_run=False)
    assert again.run.unchanged == 4  # by USCC, and by name + address for the one without
    numbered = import_establishments(
        write_rows(tmp_path / "c.csv", header, with_code + without_code), actor=actor, dry_run=False
    )
    assert (numbered.run.created, numbered.run.updated) == (1, 3)  # the coded ones got their number
    assert set(Establishment.objects.exclude(legacy_number="").values_list("legacy_number", flat=True)) == {
        r[0] for r in with_code + without_code
    }


def test_gbk_file_unmatched_address_and_duplicate_number(demo: Demo, establishments_csv: Path, tmp_path: Path) -> None:
    header, rows = read_rows(establishments_csv)
    rows = [list(r) for r in rows if not r[0].startswith("X")][:3]
    rows[1][header.index("单位地址")] = "火星市不存在区无名路999号"
    rows[2][0] = rows[0][0]
    path = write_rows(tmp_path / "gbk.csv", header, rows, encoding="gbk")
    report = import_establishments(path, actor=demo.user("centre_operator"), dry_run=False)
    assert report.run.encoding == "gb18030" and (report.run.created, report.run.rejected) == (1, 2)
    errors = {e.row: e for e in report.errors}
    assert errors[3].field == "单位地址" and "未匹配到任何标准地址" in errors[3].message
    assert errors[4].field == "单位编号" and "与第2行是同一单位" in errors[4].message


def test_trades_are_normalised() -> None:
    assert normalise_trade("旅馆业") == "旅馆"
    assert normalise_trade("互联网上网服务营业场所") == "网吧"
    assert normalise_trade("生产性废旧金属收购业") == "废旧金属收购"
    assert normalise_trade("建筑工地") == "在建工地" and normalise_trade("在建项目") == "在建工地"
    assert normalise_trade("无") == "" and normalise_trade("") == ""
    assert normalise_trade("二手车交易") == "二手车交易"  # a bureau's own key trade is kept
