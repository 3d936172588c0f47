"""Registry imports: dry run lists every bad row and field, a real run stores the valid rows, a
re-import changes nothing, an interrupted import resumes, GBK and Excel files are read, forbidden
columns are dropped, unknown columns are refused."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.validators import id_check_digit
from zhufang.registry.imports import people as people_module
from zhufang.registry.imports.runner import ImportRefused, import_addresses, import_people
from zhufang.registry.models import AddressReview, House, Person, StandardAddress

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
ADDRESS_HEADER = [
    "标准地址编码",
    "行政区划代码",
    "乡镇街道",
    "社区/村",
    "街路巷/小区",
    "门楼牌号",
    "楼栋",
    "单元",
    "户室",
    "经度",
    "纬度",
    "责任派出所",
]
PEOPLE_HEADER = [
    "序号",
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "出生日期",
    "联系电话",
    "人员类别",
    "居住地址",
    "居住起始日期",
]


def valid_id(birth: str, sequence: int) -> str:
    first17 = f"370724{birth}{sequence:03d}"
    return first17 + id_check_digit(first17)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def addresses(demo: Demo, tmp_path: Path) -> list[StandardAddress]:
    """Two streets × three doors in each of the first four grids, at the grid's own point."""
    rows = []
    streets = (("兴隆路", "阳光花园"), ("人民路", "锦绣家园"), ("文化街", "幸福小区"), ("民主巷", "和平苑"))
    communities = ("民主社区", "城南社区", "城北社区", "东关社区")
    for g, grid in enumerate(demo.grids[:4]):
        for s, street in enumerate(streets[g]):
            for door in range(1, 4):
                rows.append(
                    [
                        f"A{g}{s}{door}",
                        "370724001001",
                        "城关街道",
                        communities[g],
                        street,
                        f"{door}号",
                        "1栋" if s else "",
                        "2单元" if s else "",
                        f"{door}01室" if s else "",
                        str(grid.centroid_lon),
                        str(grid.centroid_lat),
                        "370724010000",
                    ]
                )
    path = write_csv(tmp_path / "addresses.csv", ADDRESS_HEADER, rows)
    report = import_addresses(path, actor=demo.user("centre_operator"), dry_run=False)
    assert report.run.created == len(rows) and report.run.rejected == 0
    return list(StandardAddress.objects.order_by("code"))


def people_rows(addresses: list[StandardAddress]) -> list[list[str]]:
    rows = []
    for i, address in enumerate(addresses[:20]):
        rows.append(
            [
                str(i + 1),
                f"张{i}",
                "居民身份证",
                valid_id("19900101", i * 2 + 1),
                "男",
                "1990-01-01",
                f"1381234{i:04d}",
                "流动人口",
                address.full_text,
                "2024-03-01",
            ]
        )
    return rows


def test_addresses_are_located_to_their_grid(demo: Demo, addresses: list[StandardAddress]) -> None:
    for address in addresses:
        grid_index = int(address.code[1])
        assert address.owner_unit_id == demo.grids[grid_index].pk
    assert addresses[0].full_text == "城关街道民主社区兴隆路1号"
    assert addresses[3].full_text == "城关街道民主社区阳光花园1号1栋2单元101室"


def test_dry_run_reports_every_bad_row_and_writes_nothing(
    demo: Demo, addresses: list[StandardAddress], tmp_path: Path
) -> None:
    rows = people_rows(addresses)
    bad_check_digit = valid_id("19850505", 11)[:-1] + ("0" if valid_id("19850505", 11)[-1] != "0" else "1")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d")
    future = f"370724{tomorrow}013"
    rows += [
        ["21", "李四", "居民身份证", bad_check_digit, "男", "", "", "流动人口", addresses[0].full_text, ""],
        ["22", "王五", "居民身份证", future + id_check_digit(future), "男", "", "", "户籍", addresses[0].full_text, ""],
        ["23", "", "居民身份证", valid_id("19700101", 21), "男", "", "", "户籍", addresses[0].full_text, ""],
        ["24", "赵六", "居民身份证", valid_id("19700101", 23), "男", "", "12345", "外星人", addresses[0].full_text, ""],
    ]
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, rows)
    report = import_people(path, actor=demo.user("centre_operator"), dry_run=True)
    assert Person.objects.count() == 0
    run = report.run
    assert (run.total_rows, run.created, run.rejected) == (24, 20, 4)
    by_row: dict[int, list[tuple[str, str]]] = {}
    for error in report.errors:
        by_row.setdefault(error.row, []).append((error.field, error.message))
    assert by_row[22][0][0] == "证件号码" and "校验码错误" in by_row[22][0][1]
    assert by_row[23][0][0] == "证件号码" and "出生日期" in by_row[23][0][1]
    assert by_row[24] == [("姓名", "姓名不能为空")]
    assert {f for f, _m in by_row[25]} == {"联系电话", "人员类别"}
    assert bad_check_digit not in str(report.errors)  # identifiers are masked in the report


def test_real_import_then_reimport_changes_nothing(
    demo: Demo, addresses: list[StandardAddress], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, people_rows(addresses))
    actor = demo.user("centre_operator")
    first = import_people(path, actor=actor, dry_run=False)
    assert (first.run.created, first.run.rejected) == (20, 0)
    person = Person.objects.get(id_index=blind_index(valid_id("19900101", 1), kind="id_number"))
    assert person.house is not None
    assert person.house.address_id == addresses[0].pk
    assert person.owner_unit_id == addresses[0].owner_unit_id and person.sex == "1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM registry_person WHERE id = %s", [person.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert valid_id("19900101", 1) not in stored_id and "13812340000" not in stored_phone
    audit_rows = AuditEntry.objects.count()
    second = import_people(path, actor=actor, dry_run=False)
    assert (second.run.created, second.run.updated, second.run.unchanged) == (0, 0, 20)
    assert Person.objects.count() == 20
    assert AuditEntry.objects.count() == audit_rows + 1  # only the run itself, no row rewritten or audited


def test_changed_row_is_updated_and_audited(demo: Demo, addresses: list[StandardAddress], tmp_path: Path) -> None:
    rows = people_rows(addresses)
    actor = demo.user("centre_operator")
    import_people(write_csv(tmp_path / "a.csv", PEOPLE_HEADER, rows), actor=actor, dry_run=False)
    rows[0][6] = "13999999999"
    rows[0][8] = addresses[1].full_text
    report = import_people(write_csv(tmp_path / "b.csv", PEOPLE_HEADER, rows), actor=actor, dry_run=False)
    assert (report.run.updated, report.run.unchanged) == (1, 19)
    person = Person.objects.get(id_index=blind_index(rows[0][3], kind="id_number"))
    assert person.phone == "13999999999" and person.house is not None
    assert person.house.address_id == addresses[1].pk
    entry = AuditEntry.objects.filter(action="update", object_type="registry.person").latest("id")
    assert set(entry.changes[str(person.pk)]) == {"phone_index", "house_id"}


def test_interrupted_import_resumes_without_damage(
    demo: Demo, addresses: list[StandardAddress], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, people_rows(addresses))
    actor = demo.user("centre_operator")
    real = people_module.upsert_people
    calls = {"n": 0}

    def flaky(rows, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real(rows, **kwargs)

    monkeypatch.setattr("zhufang.registry.imports.runner.upsert_people", flaky)
    with pytest.raises(RuntimeError, match="power cut"):
        import_people(path, actor=actor, dry_run=False, chunk_size=5)
    assert Person.objects.count() == 10  # two whole chunks committed, nothing half-written
    monkeypatch.setattr("zhufang.registry.imports.runner.upsert_people", real)
    report = import_people(path, actor=actor, dry_run=False, chunk_size=5)
    assert Person.objects.count() == 20 and report.run.created == 10


def test_gbk_file_forbidden_and_unknown_columns(demo: Demo, addresses: list[StandardAddress], tmp_path: Path) -> None:
    header = [*PEOPLE_HEADER, "民族", "宗教信仰"]
    rows = [[*row, "汉", "无"] for row in people_rows(addresses)[:3]]
    path = write_csv(tmp_path / "gbk.csv", header, rows, encoding="gbk")
    report = import_people(path, actor=demo.user("centre_operator"), dry_run=False)
    assert report.run.encoding == "gb18030" and report.run.created == 3
    assert report.run.dropped_columns == ["民族", "宗教信仰"]
    assert "已删除列：民族、宗教信仰" in report.summary()
    unknown = write_csv(tmp_path / "unknown.csv", [*PEOPLE_HEADER, "爱好"], people_rows(addresses)[:1])
    with pytest.raises(ImportRefused, match="爱好"):
        import_people(unknown, actor=demo.user("centre_operator"), dry_run=True)
    missing = write_csv(tmp_path / "missing.csv", ["姓名", "证件号码"], [["张三", valid_id("19900101", 1)]])
    with pytest.raises(ImportRefused, match="缺少必填列"):
        import_people(missing, actor=demo.user("centre_operator"), dry_run=True)


def test_excel_file_and_truncated_excel(demo: Demo, addresses: list[StandardAddress], tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(PEOPLE_HEADER)
    for row in people_rows(addresses)[:4]:
        sheet.append(row)
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    report = import_people(path, actor=demo.user("centre_operator"), dry_run=False)
    assert report.run.encoding == "xlsx" and report.run.created == 4
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(ImportRefused, match=r"truncated\.xlsx"):
        import_people(truncated, actor=demo.user("centre_operator"), dry_run=True)


def test_unmatched_address_goes_to_review_in_the_importers_unit(
    demo: Demo, addresses: list[StandardAddress], tmp_path: Path
) -> None:
    rows = people_rows(addresses)[:2]
    rows[1][8] = "火星市不存在区无名路999号"
    actor = demo.user("centre_operator")
    report = import_people(write_csv(tmp_path / "p.csv", PEOPLE_HEADER, rows), actor=actor, dry_run=False)
    assert report.run.review == 1
    review = AddressReview.objects.get()
    assert review.raw_text == "火星市不存在区无名路999号" and review.row_number == 3
    assert review.person_id is not None
    person = Person.objects.get(pk=review.person_id)
    assert person.house is None and person.owner_unit_id == actor.unit_id


def test_import_needs_permission(demo: Demo, addresses: list[StandardAddress], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, people_rows(addresses)[:1])
    with pytest.raises(PermissionDenied):
        import_people(path, actor=demo.user("community_officer"), dry_run=True)
    assert House.objects.count() == 0
