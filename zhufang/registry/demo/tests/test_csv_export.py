"""Bureau-style CSV files: exact Chinese headers, UTF-8 (BOM) and GBK round trips, dirty addresses,
bad rows and the forbidden columns (only when asked)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from zhufang.privacy.validators import check_id_number
from zhufang.registry.demo.csv_export import (
    ADDRESS_COLUMNS,
    ESTABLISHMENT_COLUMNS,
    FORBIDDEN_COLUMNS,
    HOUSE_COLUMNS,
    PEOPLE_COLUMNS,
    PEOPLE_COLUMNS_WITH_FORBIDDEN,
    write_addresses_csv,
    write_all,
    write_establishments_csv,
    write_houses_csv,
    write_people_csv,
)
from zhufang.registry.demo.tables import date_strings

from .helpers import registry

pytestmark = pytest.mark.sqlite

ENCODINGS = ["utf-8-sig", "gbk"]


def read(path: Path, encoding: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_people_round_trip(tmp_path: Path, encoding: str) -> None:
    r = registry("small")
    path = tmp_path / "people.csv"
    assert write_people_csv(r, path, encoding=encoding) == len(r.people)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    header, rows = read(path, encoding)
    assert tuple(header) == PEOPLE_COLUMNS
    assert len(rows) == len(r.people)
    dirty = r.dirty.rows(0.2)
    births = date_strings(r.people.birth_date)
    for i, row in enumerate(rows):
        person = r.people[i]
        assert row["人员编号"] == person.key
        assert row["姓名"] == person.name
        assert row["证件号码"] == person.id_number
        assert row["人员类别"] == person.category
        assert row["出生日期"] == births[i]
        assert row["联系电话"] == person.phone
        expected = dirty.get(i, r.addresses.text[person.address_id - 1])
        assert row["居住地址"] == expected
        assert row["标签"] == "、".join(person.labels)
        if row["居住证有效期至"]:
            assert row["居住证有效期至"] == str(person.permit_expires)


def test_people_dirty_share_and_truth(tmp_path: Path) -> None:
    r = registry("small")
    clean = set(r.addresses.text)
    for share in (0.0, 0.2, 0.3):
        path = tmp_path / f"people-{share}.csv"
        write_people_csv(r, path, dirty_share=share)
        _, rows = read(path, "utf-8-sig")
        dirty = [row["居住地址"] for row in rows if row["居住地址"] not in clean]
        if share == 0:
            assert dirty == []
        else:
            assert abs(len(dirty) / len(rows) - share) < 0.5 * share
            for text, row in zip(dirty, [x for x in rows if x["居住地址"] not in clean], strict=True):
                person = r.people[int(row["人员编号"][1:]) - 1]
                assert r.truth.dirty_addresses[text] == person.address_id


def test_forbidden_columns_only_when_asked(tmp_path: Path) -> None:
    r = registry("small")
    plain = tmp_path / "plain.csv"
    write_people_csv(r, plain)
    header, rows = read(plain, "utf-8-sig")
    assert not set(FORBIDDEN_COLUMNS) & set(header)
    assert not any("汉族" in v or "佛教" in v for row in rows for v in row.values())

    with_forbidden = tmp_path / "forbidden.csv"
    write_people_csv(r, with_forbidden, include_forbidden_columns=True, include_bad_rows=True, encoding="gbk")
    header, rows = read(with_forbidden, "gbk")
    assert tuple(header) == PEOPLE_COLUMNS_WITH_FORBIDDEN
    assert header.index("民族") == header.index("性别") + 1
    assert {row["民族"] for row in rows} <= {"汉族", "回族", "满族", "蒙古族"}
    assert {row["宗教信仰"] for row in rows} <= {"无", "佛教", "基督教", "道教"}
    assert all(row["民族"] and row["宗教信仰"] for row in rows)
    # the other columns are exactly those of the plain file
    _, plain_rows = read(plain, "utf-8-sig")
    good = [row for row in rows if not row["人员编号"].startswith("X")]
    for a, b in zip(good, plain_rows, strict=True):
        assert {k: v for k, v in a.items() if k not in FORBIDDEN_COLUMNS} == b


def test_people_bad_rows_are_spread_through_the_file(tmp_path: Path) -> None:
    r = registry("small")
    path = tmp_path / "people.csv"
    bad = [b for b in r.truth.bad_rows if b.table == "people"]
    assert write_people_csv(r, path, include_bad_rows=True) == len(r.people) + len(bad)
    _, rows = read(path, "utf-8-sig")
    positions = {row["人员编号"]: i for i, row in enumerate(rows)}
    assert {b.key for b in bad} <= set(positions)
    assert min(positions[b.key] for b in bad) > 0 and max(positions[b.key] for b in bad) < len(rows) - 1
    by_key = {row["人员编号"]: row for row in rows}
    for b in bad:
        row = by_key[b.key]
        for header, value in b.overrides.items():
            assert row[header] == value
        if b.code == "birth_date_mismatch":
            assert check_id_number(row["证件号码"]).birth_date.isoformat() != row["出生日期"]
        if b.code == "sex_mismatch":
            assert ("男" if check_id_number(row["证件号码"]).sex == "male" else "女") != row["性别"]
    good_keys = [row["人员编号"] for row in rows if not row["人员编号"].startswith("X")]
    assert good_keys == r.people.keys()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_addresses_round_trip(tmp_path: Path, encoding: str) -> None:
    r = registry("small")
    path = tmp_path / "addresses.csv"
    assert write_addresses_csv(r, path, encoding=encoding) == len(r.addresses)
    header, rows = read(path, encoding)
    assert tuple(header) == ADDRESS_COLUMNS
    station_names = {s.code: s.name for s in r.jurisdiction.stations}
    for row, address in zip(rows, r.addresses, strict=True):
        p = address.parts
        assert row["标准地址编码"] == address.code
        assert row["地址级别"] == address.level
        assert row["行政区划代码"] == address.admin_code
        assert (row["乡镇街道"], row["社区/村"], row["街路巷/小区"]) == (p.township, p.community, p.street)
        assert (row["门楼牌号"], row["楼栋"], row["单元"], row["楼层"], row["户室"]) == (
            p.house_number,
            p.building,
            p.unit_no,
            p.floor,
            p.room,
        )
        assert row["地址全称"] == address.text
        assert float(row["经度"]) == address.lon and float(row["纬度"]) == address.lat
        assert row["责任派出所代码"] == address.recorded_station_code
        assert row["责任派出所"] == station_names[address.recorded_station_code]
        if address.parent_id:
            assert row["上级地址编码"] == r.addresses.code[address.parent_id - 1]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_houses_round_trip(tmp_path: Path, encoding: str) -> None:
    r = registry("small")
    path = tmp_path / "houses.csv"
    bad = [b for b in r.truth.bad_rows if b.table == "houses"]
    assert write_houses_csv(r, path, encoding=encoding, include_bad_rows=True) == len(r.houses) + len(bad)
    header, rows = read(path, encoding)
    assert tuple(header) == HOUSE_COLUMNS
    good = [row for row in rows if not row["房屋编号"].startswith("X")]
    for row, house in zip(good, r.houses, strict=True):
        assert row["房屋编号"] == house.key
        assert row["地址编码"] == r.addresses.code[house.address_id - 1]
        assert row["房屋地址"] == r.addresses.text[house.address_id - 1]
        assert row["房屋用途"] == house.use
        assert float(row["建筑面积"]) == house.area_m2
        assert int(row["间数"]) == house.rooms
        assert row["房主证件号码"] == house.owner_id_number
    by_key = {row["房屋编号"]: row for row in rows}
    for b in bad:
        assert all(by_key[b.key][k] == v for k, v in b.overrides.items())


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_establishments_round_trip(tmp_path: Path, encoding: str) -> None:
    r = registry("small")
    path = tmp_path / "establishments.csv"
    bad = [b for b in r.truth.bad_rows if b.table == "establishments"]
    n = write_establishments_csv(r, path, encoding=encoding, include_bad_rows=True)
    assert n == len(r.establishments) + len(bad)
    header, rows = read(path, encoding)
    assert tuple(header) == ESTABLISHMENT_COLUMNS
    good = [row for row in rows if not row["单位编号"].startswith("X")]
    for row, unit in zip(good, r.establishments, strict=True):
        assert row["单位编号"] == unit.key
        assert row["单位名称"] == unit.name
        assert row["统一社会信用代码"] == unit.uscc
        assert row["重点行业"] == unit.key_trade
        assert row["单位地址"] == r.addresses.text[unit.address_id - 1]
        assert row["法定代表人证件号码"] == unit.legal_rep_id_number
        assert int(row["从业人员数"]) == unit.staff
    by_key = {row["单位编号"]: row for row in rows}
    assert {b.key for b in bad} <= set(by_key)


def test_write_all(tmp_path: Path) -> None:
    r = registry("small")
    paths = write_all(r, tmp_path / "out", encoding="gbk", include_bad_rows=True)
    assert set(paths) == {"addresses", "houses", "people", "establishments"}
    for path in paths.values():
        assert path.exists() and path.stat().st_size > 0
        path.read_bytes().decode("gbk")


def test_demo_people_write_in_gbk(tmp_path: Path) -> None:
    """Every generated text (names, dirty addresses, units) is GBK-encodable at demo scale."""
    r = registry("demo")
    assert write_people_csv(r, tmp_path / "p.csv", encoding="gbk", dirty_share=0.3) == len(r.people)
    assert write_establishments_csv(r, tmp_path / "e.csv", encoding="gbk") == len(r.establishments)


def test_limit_writes_the_first_rows_with_the_bad_ones_among_them(tmp_path: Path) -> None:
    r = registry("small")
    bad = [b for b in r.truth.bad_rows if b.table == "people"]
    path = tmp_path / "people.csv"
    assert write_people_csv(r, path, limit=100, include_bad_rows=True) == 100 + len(bad)
    _, rows = read(path, "utf-8-sig")
    assert [row["人员编号"] for row in rows if not row["人员编号"].startswith("X")] == r.people.keys()[:100]
    assert write_addresses_csv(r, tmp_path / "a.csv", limit=10) == 10
    assert write_houses_csv(r, tmp_path / "h.csv", limit=0) == 0
    assert write_establishments_csv(r, tmp_path / "e.csv", limit=5_000) == len(r.establishments)
    with pytest.raises(ValueError, match="limit"):
        write_people_csv(r, path, limit=-1)
