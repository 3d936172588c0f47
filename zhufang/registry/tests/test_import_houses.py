"""House import (实有房屋): the generator's planted bad rows are reported with field and Chinese
message, valid rows stored with owner identifiers encrypted, a re-import changes and audits nothing,
a house the people import created is updated in place, GBK files and text-only addresses work."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.privacy.blind_index import blind_index
from zhufang.registry.demo.csv_export import write_houses_csv
from zhufang.registry.imports.runner import import_houses, import_people
from zhufang.registry.models import House, HouseUse, StandardAddress
from zhufang.registry.tests.demo_files import bad_rows, import_demo_addresses, read_rows, small_registry, write_rows

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
EXPECTED_MESSAGE = {
    "required": "地址编码与房屋地址不能同时为空",
    "invalid_number": "建筑面积应为大于0的数字",
    "invalid_choice": "无法识别的房屋用途",
}
USES = {"自住": HouseUse.SELF_OCCUPIED, "出租": HouseUse.RENTAL, "空置": HouseUse.VACANT}


@pytest.fixture
def houses_csv(demo: Demo, tmp_path: Path) -> Path:
    import_demo_addresses(demo.user("centre_operator"), tmp_path)
    path = tmp_path / "实有房屋.csv"
    write_houses_csv(small_registry(), path, include_bad_rows=True)
    return path


def test_dry_run_lists_the_planted_bad_rows_and_writes_nothing(demo: Demo, houses_csv: Path) -> None:
    report = import_houses(houses_csv, actor=demo.user("centre_operator"), dry_run=True)
    planted = bad_rows("houses")
    assert House.objects.count() == 0
    assert (report.run.created, report.run.rejected) == (len(small_registry().houses), len(planted))
    _header, rows = read_rows(houses_csv)
    row_of_key = {row[0]: number for number, row in enumerate(rows, start=2)}
    errors = {e.row: e for e in report.errors}
    assert set(errors) == {row_of_key[b.key] for b in planted}
    for bad in planted:
        error = errors[row_of_key[bad.key]]
        assert error.field == bad.field, bad
        assert EXPECTED_MESSAGE[bad.code] in error.message, (bad, error)


def test_real_import_stores_houses_and_reimport_changes_nothing(demo: Demo, houses_csv: Path) -> None:
    actor = demo.user("centre_operator")
    first = import_houses(houses_csv, actor=actor, dry_run=False)
    registry = small_registry()
    assert first.run.created == len(registry.houses) == House.objects.count()
    codes = dict(StandardAddress.objects.values_list("pk", "code"))
    by_code = {codes[h.address_id]: h for h in House.objects.all()}
    for i in (0, 1, 7, len(registry.houses) - 1):
        code = registry.addresses.code[int(registry.houses.address_id[i]) - 1]
        house = by_code[code]
        assert house.legacy_number == f"H{i + 1:07d}"
        if registry.houses.use[i] in USES:
            assert house.use == USES[registry.houses.use[i]]
        assert house.owner_name == registry.houses.owner_name[i]
        assert house.owner_id_index == blind_index(registry.houses.owner_id_number[i], kind="id_number")
        assert house.owner_id_number == registry.houses.owner_id_number[i]
        assert house.owner_unit_id == StandardAddress.objects.get(code=code).owner_unit_id
    sample = by_code[registry.addresses.code[int(registry.houses.address_id[0]) - 1]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT owner_id_number, owner_phone FROM registry_house WHERE id = %s", [sample.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert registry.houses.owner_id_number[0] not in stored_id and registry.houses.owner_phone[0] not in stored_phone
    assert {h.use for h in House.objects.all()} >= {HouseUse.INSTITUTIONAL, HouseUse.BUSINESS, HouseUse.RENTAL}
    audit_rows = AuditEntry.objects.count()
    second = import_houses(houses_csv, actor=actor, dry_run=False)
    assert (second.run.created, second.run.updated, second.run.unchanged) == (0, 0, len(registry.houses))
    assert AuditEntry.objects.count() == audit_rows + 1  # the run itself; no house rewritten or audited


def test_unit_owned_houses_take_a_valid_uscc_and_reject_a_wrong_one(
    demo: Demo, houses_csv: Path, tmp_path: Path
) -> None:
    header, rows = read_rows(houses_csv)
    unit_owned = [r for r in rows if r[header.index("房主证件类型")] == "统一社会信用代码"]
    assert unit_owned, "the demo has 单位用房 owned by their unit"
    good, bad = list(unit_owned[0]), list(unit_owned[1])
    uscc = bad[header.index("房主证件号码")]
    bad[header.index("房主证件号码")] = uscc[:17] + ("0" if uscc[17] != "0" else "1")
    report = import_houses(
        write_rows(tmp_path / "u.csv", header, [good, bad]), actor=demo.user("centre_operator"), dry_run=False
    )
    assert report.run.created == 1 and report.run.rejected == 1
    (error,) = report.errors
    assert (error.row, error.field) == (3, "房主证件号码") and "统一社会信用代码校验码错误" in error.message
    house = House.objects.get()
    assert house.use == HouseUse.INSTITUTIONAL and house.owner_id_number == good[header.index("房主证件号码")]
    assert house.owner_id_type == "uscc"  # the document type is kept with the number


def test_the_owners_document_type_is_stored_and_a_reimport_changes_nothing(
    demo: Demo, houses_csv: Path, tmp_path: Path
) -> None:
    header, rows = read_rows(houses_csv)
    by_person = next(
        r for r in rows if r[header.index("房主证件类型")] in {"居民身份证", ""} and r[header.index("房主证件号码")]
    )
    without = list(next(r for r in rows if r is not by_person))
    without[header.index("房主证件类型")] = without[header.index("房主证件号码")] = ""  # no document given
    actor = demo.user("centre_operator")
    import_houses(write_rows(tmp_path / "a.csv", header, [by_person, without]), actor=actor, dry_run=False)
    types = dict(House.objects.values_list("address__code", "owner_id_type"))
    assert types == {by_person[header.index("地址编码")]: "resident_id", without[header.index("地址编码")]: ""}
    again = import_houses(write_rows(tmp_path / "b.csv", header, [by_person, without]), actor=actor, dry_run=False)
    assert (again.run.updated, again.run.unchanged) == (0, 2)


def test_house_created_by_the_people_import_is_updated_in_place(demo: Demo, houses_csv: Path, tmp_path: Path) -> None:
    header, rows = read_rows(houses_csv)
    row = next(r for r in rows if r[header.index("房屋用途")] == "出租")
    address = StandardAddress.objects.get(code=row[header.index("地址编码")])
    people = write_rows(
        tmp_path / "p.csv",
        ["姓名", "证件号码", "人员类别", "居住地址"],
        [["张三", row[header.index("房主证件号码")], "户籍人口", address.full_text]],
    )
    actor = demo.user("centre_operator")
    assert import_people(people, actor=actor, dry_run=False).run.created == 1
    implicit = House.objects.get(address=address)
    assert implicit.use == HouseUse.UNKNOWN and implicit.area_m2 is None
    report = import_houses(write_rows(tmp_path / "h.csv", header, [row]), actor=actor, dry_run=False)
    assert (report.run.created, report.run.updated) == (0, 1)
    house = House.objects.get(address=address)
    assert house.pk == implicit.pk and house.use == HouseUse.RENTAL
    assert house.area_m2 == float(row[header.index("建筑面积")]) and house.residents.count() == 1
    # encrypted columns rewritten by the re-import decrypt to what the file said
    assert house.owner_phone == row[header.index("房主电话")]
    assert house.owner_id_number == row[header.index("房主证件号码")]
    entry = AuditEntry.objects.filter(action="update", object_type="registry.house").latest("id")
    change = entry.changes[str(house.pk)]
    assert change["use"] == ["unknown", "rental"] and change["owner_phone"] == ["…", "…"]
    assert row[header.index("房主电话")] not in str(entry.changes)


def test_gbk_file_and_addresses_given_only_as_text(demo: Demo, houses_csv: Path, tmp_path: Path) -> None:
    header, rows = read_rows(houses_csv)
    code, text = header.index("地址编码"), header.index("房屋地址")
    sample = [list(r) for r in rows if r[code]][:4]
    expected = {sample[0][code], sample[1][code]}
    sample[0][code] = ""  # only the text: matched through the address index
    sample[1][code] = "99999999999999999999"  # an unknown code: the text decides
    sample[2][code], sample[2][text] = "", "火星市不存在区无名路999号"
    sample[3][code], sample[3][text] = "88888888888888888888", ""
    path = write_rows(tmp_path / "gbk.csv", header, sample, encoding="gbk")
    report = import_houses(path, actor=demo.user("centre_operator"), dry_run=False)
    assert report.run.encoding == "gb18030"
    assert (report.run.created, report.run.rejected) == (2, 2)
    errors = {e.row: e for e in report.errors}
    assert errors[4].field == "房屋地址" and "未匹配到任何标准地址" in errors[4].message
    assert errors[5].field == "地址编码" and "不是已知的标准地址" in errors[5].message
    assert set(House.objects.values_list("address__code", flat=True)) == expected


def test_a_low_confidence_text_is_rejected_with_the_closest_address(
    demo: Demo, houses_csv: Path, tmp_path: Path
) -> None:
    header, rows = read_rows(houses_csv)
    code, text = header.index("地址编码"), header.index("房屋地址")
    row = next(list(r) for r in rows if r[code])
    address = StandardAddress.objects.get(code=row[code])
    other_community = (
        StandardAddress.objects.exclude(community=address.community)
        .exclude(community="")
        .values_list("community", flat=True)
        .first()
    )
    assert other_community
    row[code] = ""
    row[text] = row[text].replace(address.community, other_community)  # names another community
    report = import_houses(
        write_rows(tmp_path / "low.csv", header, [row]), actor=demo.user("centre_operator"), dry_run=True
    )
    (error,) = report.errors
    assert error.field == "房屋地址" and (error.row, report.run.rejected) == (2, 1)
    assert "未能可靠匹配" in error.message and address.full_text in error.message


def test_house_import_through_the_page_and_the_api(demo: Demo, houses_csv: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = demo.client_for("centre_operator")
    page = client.get("/registry/import/").content.decode()
    assert 'value="houses"' in page and 'value="establishments"' in page
    upload = SimpleUploadedFile("实有房屋.csv", houses_csv.read_bytes(), content_type="text/csv")
    body = client.post("/api/v1/registry/imports", {"kind": "houses", "file": upload, "dry_run": "true"}).json()
    assert body["kind"] == "houses" and body["dry_run"] and body["rejected"] == len(bad_rows("houses"))
    assert {e["field"] for e in body["errors"]} == {b.field for b in bad_rows("houses")}
    upload = SimpleUploadedFile("实有房屋.csv", houses_csv.read_bytes(), content_type="text/csv")
    html = client.post("/registry/import/", {"kind": "houses", "file": upload, "apply": "1"}).content.decode()
    assert "无法识别的房屋用途" in html and House.objects.count() == len(small_registry().houses)
    assert '<option value="houses" selected>' in html  # the kind stays chosen for the next step
