"""People without a document (未落户人员, or an old record where nobody entered one): stored, keyed by
the old system's record number (人员编号) or by name + birth date + address, re-imported without
change; a document arriving later completes the same record (落户)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from zhufang.accounts.models import User
from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.validators import id_check_digit
from zhufang.registry.imports.runner import import_addresses, import_people
from zhufang.registry.models import AddressReview, Person, StandardAddress

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

HEADER = ["人员编号", "姓名", "证件类型", "证件号码", "性别", "出生日期", "联系电话", "人员类别", "居住地址"]
UNMATCHED = "火星市不存在区无名路999号"


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def valid_id(birth: str, sequence: int) -> str:
    first17 = f"370724{birth}{sequence:03d}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def actor(demo: Demo, tmp_path: Path) -> User:
    operator = demo.user("centre_operator")
    header = ["标准地址编码", "乡镇街道", "社区/村", "街路巷/小区", "门楼牌号", "经度", "纬度"]
    grid = demo.grids[0]
    rows = [
        [f"U{door}", "城关街道", "民主社区", "兴隆路", f"{door}号", str(grid.centroid_lon), str(grid.centroid_lat)]
        for door in range(1, 5)
    ]
    assert import_addresses(write_csv(tmp_path / "a.csv", header, rows), actor=operator, dry_run=False).run.created == 4
    return operator


def address(door: int) -> str:
    return StandardAddress.objects.get(code=f"U{door}").full_text


def rows() -> list[list[str]]:
    return [
        ["P001", "张未落", "", "", "男", "2019-03-04", "", "未落户人员", address(1)],
        ["P002", "李老档", "", "", "女", "1950-01-01", "13812340002", "户籍人口", address(2)],
        ["", "王无号", "", "", "男", "1988-08-08", "13812340003", "流动人口", address(3)],
        ["", "赵不明", "", "", "男", "", "", "流动人口", address(3)],
        ["P005", "钱缺号", "居民身份证", "", "女", "1990-01-01", "", "户籍人口", address(4)],
        ["", "孙无址", "", "", "女", "1977-07-07", "", "寄住人口", UNMATCHED],
    ]


def test_people_without_a_document_are_stored_and_reimport_changes_nothing(actor: User, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", HEADER, rows())
    first = import_people(path, actor=actor, dry_run=False)
    assert (first.run.created, first.run.rejected, first.run.review) == (4, 2, 1)
    errors = {(e.row, e.field): e.message for e in first.errors}
    assert errors == {
        (5, "证件号码"): "证件号码为空时须填写人员编号或出生日期（否则再次导入时无法识别此人）",
        (6, "证件号码"): "证件号码不能为空",  # a document type without its number is a mistake
    }
    child = Person.objects.get(legacy_number="P001")
    assert (child.id_type, child.id_number, child.id_index, child.sex) == ("", None, None, "1")
    assert child.house is not None and child.house.address.code == "U1" and child.category == "unregistered"
    assert Person.objects.get(legacy_number="P002").category == "registered"
    homeless = Person.objects.get(name="孙无址")
    assert homeless.house is None
    assert AddressReview.objects.get(person=homeless).raw_text == UNMATCHED

    audit_rows = AuditEntry.objects.count()
    again = import_people(path, actor=actor, dry_run=False)
    assert (again.run.created, again.run.updated, again.run.unchanged, again.run.rejected) == (0, 0, 4, 2)
    assert Person.objects.count() == 4 and AddressReview.objects.count() == 1
    assert AuditEntry.objects.count() == audit_rows + 1  # the run itself only


def test_a_changed_row_without_a_document_updates_its_person(actor: User, tmp_path: Path) -> None:
    import_people(write_csv(tmp_path / "a.csv", HEADER, rows()), actor=actor, dry_run=False)
    changed = rows()
    changed[0][6] = "13900000001"  # P001: found by its record number
    changed[2][6] = "13900000003"  # 王无号: found by name, birth date and address
    report = import_people(write_csv(tmp_path / "b.csv", HEADER, changed), actor=actor, dry_run=False)
    assert (report.run.created, report.run.updated, report.run.unchanged) == (0, 2, 2)
    assert Person.objects.get(legacy_number="P001").phone == "13900000001"
    assert Person.objects.get(name="王无号").phone == "13900000003"
    moved = rows()
    moved[2][8] = address(4)  # the same name and birth date at another address: another person
    assert import_people(write_csv(tmp_path / "c.csv", HEADER, moved), actor=actor, dry_run=False).run.created == 1
    assert Person.objects.filter(name="王无号").count() == 2


def test_a_document_arriving_later_completes_the_same_record(actor: User, tmp_path: Path) -> None:
    import_people(write_csv(tmp_path / "a.csv", HEADER, rows()), actor=actor, dry_run=False)
    pk = Person.objects.get(legacy_number="P001").pk
    number = valid_id("20190304", 11)
    registered = rows()
    registered[0][2:4] = ["居民身份证", number]
    registered[0][7] = "户籍人口"
    path = write_csv(tmp_path / "b.csv", HEADER, registered)
    report = import_people(path, actor=actor, dry_run=False)
    assert (report.run.created, report.run.updated) == (0, 1)
    person = Person.objects.get(pk=pk)
    assert (person.id_number, person.id_index) == (number, blind_index(number, kind="id_number"))
    assert (person.id_type, person.category) == ("resident_id", "registered")
    entry = AuditEntry.objects.filter(action="update", object_type="registry.person").latest("id")
    assert entry.changes[str(pk)]["id_index"] == ["…", "…"]  # never the blind index itself
    assert import_people(path, actor=actor, dry_run=False).run.updated == 0

    other = rows()
    other[1][1] = "李另人"  # P002 with another name and a document: not the same person
    other[1][2:4] = ["居民身份证", valid_id("19500101", 12)]
    report = import_people(write_csv(tmp_path / "c.csv", HEADER, other), actor=actor, dry_run=False)
    assert report.run.created == 1
    assert Person.objects.filter(legacy_number="P002").count() == 2
    # the old record of P001 again (no document): the same person, and the document stays
    assert Person.objects.filter(legacy_number="P001").count() == 1
    kept = Person.objects.get(pk=pk)
    assert (kept.id_number, kept.id_type, kept.sex) == (number, "resident_id", "1")
    assert kept.category == "unregistered"  # what the file says is taken, the document is not erased
