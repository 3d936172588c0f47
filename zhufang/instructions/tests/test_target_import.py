"""Importing a draft batch's targets from a spreadsheet: GBK and UTF-8 CSV and Excel with Chinese
headers, a dry run naming file, row and field of every bad row, people found by the blind index of the
document number only within the uploader's scope, and the valid rows added all at once."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.instructions.issuing import create_batch, issue_batch
from zhufang.instructions.models import BatchMembership, InstructionBatch
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.target_import import import_target_file, import_target_upload
from zhufang.instructions.tests.factories import establishment_in, house_in
from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.validators import id_check_digit
from zhufang.registry.models import House, Person

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
HEADER = ["对象类型", "对象编号", "地址", "证件号码", "经度", "纬度", "说明", "姓名"]


def an_id(sequence: int) -> str:
    first17 = f"37072419900101{sequence:03d}"
    return first17 + id_check_digit(first17)


def resident(house: House, sequence: int, name: str = "李四") -> Person:
    number = an_id(sequence)
    return Person.objects.create(
        name=name,
        id_number=number,
        id_index=blind_index(number, kind="id_number"),
        category="registered",
        house=house,
        owner_unit=house.owner_unit,
    )


def csv_bytes(rows: list[list[str]], encoding: str = "gbk", header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def draft(demo: Demo, role: str = "centre_operator", category: str = "dispute") -> InstructionBatch:
    return create_batch(actor=demo.user(role), title="目标导入", category=category)


def test_a_gbk_csv_is_checked_row_by_row_then_its_valid_rows_are_added(demo: Demo, tmp_path: Path) -> None:
    grid = demo.grids[0]
    house, other = house_in(grid), house_in(demo.grids[1])
    person = resident(house, 1)
    rows = [
        ["房屋", str(house.pk), "", "", "", "", "", ""],
        ["", "", other.address.full_text, "", "", "", "东侧院落", ""],
        ["人员", "", "", an_id(1), "", "", "", "李四"],
        ["位置", "", "", "", str(grid.centroid_lon), str(grid.centroid_lat), "河道东岸", ""],
        ["车辆", "7", "", "", "", "", "", ""],  # row 6: unknown type
        ["位置", "", "", "", "100.0", "30.0", "外县", ""],  # row 7: outside the county
        ["人员", "", "", an_id(2), "", "", "", ""],  # row 8: nobody has this number
        ["房屋", "99999999", "", "", "", "", "", ""],  # row 9: no such house
        ["位置", "", "", "", "东经", str(grid.centroid_lat), "", ""],  # row 10: not a number
    ]
    path = write(tmp_path, "核查目标.csv", csv_bytes(rows))
    batch = draft(demo)
    centre = demo.user("centre_operator")

    report = import_target_file(actor=centre, batch=batch, path=path, dry_run=True)
    assert report.encoding == "gb18030"
    assert (report.rows, report.valid, report.rejected, report.added) == (9, 4, 5, 0)
    assert [(e.file, e.row, e.field) for e in report.errors] == [
        ("核查目标.csv", 6, "对象类型"),
        ("核查目标.csv", 7, "经度"),
        ("核查目标.csv", 8, "证件号码"),
        ("核查目标.csv", 9, "对象编号"),
        ("核查目标.csv", 10, "经度"),
    ]
    assert report.errors[2].value == "3707**********" + an_id(2)[-4:]  # the number is never shown whole
    assert report.errors[1].message == "the point lies outside the county"
    assert str(report.errors[0]).startswith("核查目标.csv row 6, 对象类型: unknown target type")
    assert report.ignored_columns == ["姓名"]
    assert not BatchMembership.objects.filter(batch=batch).exists()

    report = import_target_file(actor=centre, batch=batch, path=path, dry_run=False)
    assert (report.valid, report.added) == (4, 4)
    added = set(BatchMembership.objects.filter(batch=batch).values_list("target_kind", "target_id", "label"))
    assert added == {
        ("house", house.pk, ""),
        ("address", other.address_id, "东侧院落"),
        ("person", person.pk, ""),
        ("location", None, "河道东岸"),
    }
    audits = AuditEntry.objects.filter(object_type="instructions.instructionbatch", object_id=str(batch.pk))
    imported = [a.changes for a in audits if "targets_imported" in a.changes]
    assert imported == [{"targets_imported": 4, "file": "核查目标.csv", "rows_rejected": 5}]
    # the batch then issues like any other: every imported target routed to its station
    assert issue_batch(actor=centre, batch=batch).created == 4


def test_a_person_outside_the_uploaders_scope_reads_as_not_found(demo: Demo, tmp_path: Path) -> None:
    house = house_in(demo.grids[0])
    resident(house, 3)
    data = csv_bytes([["人员", "", "", an_id(3), "", "", "", ""]], encoding="utf-8")
    path = write(tmp_path, "persons.csv", data)
    department = demo.user("department")  # requests instructions, sees no station's residents
    mine = draft(demo, role="department")
    report = import_target_file(actor=department, batch=mine, path=path, dry_run=False)
    assert (report.valid, report.added) == (0, 0)
    assert [(e.row, e.field, e.message) for e in report.errors] == [
        (2, "证件号码", "no person with this number in your data scope")
    ]
    assert not BatchMembership.objects.filter(batch=mine).exists()
    # the centre, whose scope is the bureau, finds the same number
    theirs = draft(demo)
    assert import_target_file(actor=demo.user("centre_operator"), batch=theirs, path=path).valid == 1


def test_a_wrong_check_digit_and_a_kind_the_category_does_not_take(demo: Demo, tmp_path: Path) -> None:
    venue = establishment_in(demo.grids[0])
    bad = an_id(4)[:-1] + ("1" if an_id(4)[-1] != "1" else "2")
    data = csv_bytes([["人员", "", "", bad, "", "", "", ""], ["单位", str(venue.pk), "", "", "", "", "", ""]])
    path = write(tmp_path, "t.csv", data)
    report = import_target_file(actor=demo.user("centre_operator"), batch=draft(demo, category="population"), path=path)
    assert [(e.row, e.field) for e in report.errors] == [(2, "证件号码"), (3, "对象类型")]
    assert "校验码" in report.errors[0].message
    assert report.errors[1].message == "the category 人口管理核查 does not take Establishment targets"


def test_an_excel_file_reads_like_a_csv(demo: Demo, tmp_path: Path) -> None:
    from openpyxl import Workbook

    venue = establishment_in(demo.grids[2])
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["对象类型", "对象编号", "说明"])
    sheet.append(["实有单位", venue.pk, "消防通道"])  # a number cell, as Excel stores it
    sheet.append(["establishment", None, ""])
    path = tmp_path / "venues.xlsx"
    workbook.save(path)
    batch = draft(demo, category="unit_supervision")
    report = import_target_file(actor=demo.user("centre_operator"), batch=batch, path=path, dry_run=False)
    assert (report.encoding, report.added) == ("xlsx", 1)
    assert [(e.row, e.field) for e in report.errors] == [(3, "对象编号")]
    assert list(BatchMembership.objects.filter(batch=batch).values_list("target_id", "label")) == [
        (venue.pk, "消防通道")
    ]


def test_a_file_that_cannot_be_read_or_names_no_target_is_refused_whole(demo: Demo, tmp_path: Path) -> None:
    centre, batch = demo.user("centre_operator"), draft(demo)
    with pytest.raises(ValidationError) as damaged:
        import_target_file(actor=centre, batch=batch, path=write(tmp_path, "坏.xlsx", b"not a zip"))
    assert "坏.xlsx" in damaged.value.message_dict["file"][0]
    names_only = write(tmp_path, "名单.csv", csv_bytes([["张三"]], header=["姓名"]))
    with pytest.raises(ValidationError) as nothing:
        import_target_file(actor=centre, batch=batch, path=names_only)
    assert "名单.csv has none of the target columns" in nothing.value.message_dict["file"][0]
    upload = SimpleUploadedFile("targets.pdf", b"%PDF-1.4")
    with pytest.raises(ValidationError):
        import_target_upload(actor=centre, batch=batch, upload=upload)


def test_only_an_editable_batch_in_scope_takes_an_import(demo: Demo, tmp_path: Path) -> None:
    house = house_in(demo.grids[0])
    path = write(tmp_path, "t.csv", csv_bytes([["房屋", str(house.pk), "", "", "", "", "", ""]]))
    centre = demo.user("centre_operator")
    theirs = draft(demo)
    with pytest.raises(PermissionDenied):  # a department cannot touch the centre's draft
        import_target_file(actor=demo.user("department"), batch=theirs, path=path, dry_run=False)
    with pytest.raises(PermissionDenied):  # a command room requests nothing
        import_target_file(actor=demo.user("command_room"), batch=theirs, path=path)
    issued = create_batch(actor=centre, title="已下发", category="dispute", targets=[TargetRef("house", house.pk)])
    issue_batch(actor=centre, batch=issued)
    with pytest.raises(ValidationError):
        import_target_file(actor=centre, batch=issued, path=path, dry_run=False)
    assert BatchMembership.objects.filter(batch=issued).count() == 1


def test_the_batch_page_uploads_checks_then_imports(demo: Demo) -> None:
    house = house_in(demo.grids[0])
    batch = draft(demo)
    client = demo.client_for("centre_operator")
    page = client.get(f"/instructions/batches/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="import-form"' in page and "data-target-map" in page
    data = csv_bytes([["房屋", str(house.pk), "", "", "", "", "", ""], ["飞机", "1", "", "", "", "", "", ""]])
    checked = client.post(
        f"/instructions/batches/{batch.pk}/import/",
        {"file": SimpleUploadedFile("目标.csv", data), "apply": "0"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    text = checked.content.decode()
    assert checked.status_code == 200
    assert "目标.csv检查完成：共2行，有效目标1条，问题行1行" in text
    assert "<td>目标.csv</td><td>3</td><td>对象类型</td>" in text
    assert not BatchMembership.objects.filter(batch=batch).exists()
    client.post(
        f"/instructions/batches/{batch.pk}/import/", {"file": SimpleUploadedFile("目标.csv", data), "apply": "1"}
    )
    assert BatchMembership.objects.filter(batch=batch).count() == 1


def test_the_api_checks_and_imports(demo: Demo) -> None:
    house = house_in(demo.grids[0])
    batch = draft(demo)
    client = demo.client_for("centre_operator")
    url = f"/api/v1/instructions/batches/{batch.pk}/target-imports"
    data = csv_bytes([["房屋", str(house.pk), "", "", "", "", "", ""], ["房屋", "x", "", "", "", "", "", ""]], "utf-8")
    checked = client.post(url, {"file": SimpleUploadedFile("t.csv", data)}).json()
    assert (checked["dry_run"], checked["valid"], checked["added"]) == (True, 1, 0)
    assert checked["errors"] == [
        {"file": "t.csv", "row": 3, "field": "对象编号", "value": "x", "message": "不是有效的对象编号"}
    ]
    imported = client.post(url, {"file": SimpleUploadedFile("t.csv", data), "dry_run": "false"}).json()
    assert imported["added"] == 1
    assert BatchMembership.objects.filter(batch=batch).count() == 1
    other = demo.client_for("department")
    assert other.post(url, {"file": SimpleUploadedFile("t.csv", data)}).status_code == 404
