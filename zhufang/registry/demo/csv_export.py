"""Bureau-style CSV files of the demo registry (what the import pipeline reads).

Chinese column headers as the bureaus' old systems export them; UTF-8 with BOM (``utf-8-sig``, what
Excel writes and opens) by default, ``encoding="gbk"`` for the older systems.  Rows are streamed with the
``csv`` module in chunks, so a million people write in seconds.  Dates are ``YYYY-MM-DD``; an empty cell
means "unknown / not applicable".  Multi-valued cells (标签) are joined with "、".

Every writer returns the number of data rows written (bad rows included).  ``write_all`` writes the four
files into a directory.

标准地址 — ``write_addresses_csv`` (ADDRESS_COLUMNS), one row per standard address
--------------------------------------------------------------------------------
================  ==============================================================================
标准地址编码      20 digits: 行政区划代码 (12) + serial (8); unique, the address's natural key
地址级别          门楼牌 / 楼栋 / 户室
上级地址编码      the 门楼牌 or 楼栋 a 户室 belongs to ("" for 门楼牌 and 楼栋)
行政区划代码      12 digits: 370724 + 乡镇街道 (3) + 社区/村 (3; 社区 001-199, 村 200+)
乡镇街道          e.g. 城关街道, 冶源镇
社区/村           e.g. 民主社区, 王家庄村 (names are unique in the county)
街路巷/小区       road / lane / 小区 name (e.g. 兴隆路, 东关村一巷, 阳光花园); "" for village doors
门楼牌号          digits, e.g. 18 ("" for 小区 楼栋 / rooms)
楼栋              digits ("" unless in a 小区)
单元              digits
楼层              digits (户室 only)
户室              digits, e.g. 501
地址全称          the display form, e.g. 临朐县城关街道民主社区阳光花园3栋2单元501室
经度, 纬度        WGS-84, 6 decimals; the point lies inside the grid the address truly belongs to
责任派出所        name of the responsible station IN THE OLD DATA (≈ 2 % differ from the station whose
                  area contains the point: the planted jurisdiction conflicts)
责任派出所代码    its 12-digit org code
================  ==============================================================================

实有房屋 — ``write_houses_csv`` (HOUSE_COLUMNS), one row per house
-----------------------------------------------------------------
================  ==============================================================================
房屋编号          H0000001 … (the old system's record number)
地址编码          标准地址编码 of the house's address
房屋地址          地址全称 of the same address (clean text)
房屋用途          自住 / 出租 / 空置 / 单位用房 / 经营
房屋类型          楼房 / 平房 / 自建房 / 商铺 / 办公用房 / 厂房
建筑面积          m², one decimal
间数              rooms, integer
房主姓名          owner (a person, or the unit for 单位用房)
房主证件类型      居民身份证 / 统一社会信用代码
房主证件号码      valid GB 11643 number or USCC
房主电话          11-digit mobile
标签              出租屋门禁 / 智感安防小区 / 三户联防, "、"-joined
================  ==============================================================================

实有人口 — ``write_people_csv`` (PEOPLE_COLUMNS), one row per person record (duplicates included)
-----------------------------------------------------------------------------------------------
================  ==============================================================================
人员编号          P0000001 … (the old system's record number, NOT a natural key)
姓名              Chinese name; Latin capitals (passport spelling) for 境外人员
证件类型          居民身份证 / 护照 / "" (no document recorded: 未落户人员 and some duplicate entries)
证件号码          GB 11643 number with a valid check digit (passport number for 护照; "" with no
                  document).  Only the bad rows break this.
性别              男 / 女 (agrees with the ID number's 顺序码)
出生日期          agrees with the ID number
国籍              中国 / 韩国 / 日本 / 越南 / 俄罗斯 / 美国
联系电话          11-digit mobile; "" for children and some others
人员类别          户籍人口 / 流动人口 / 境外人员 / 寄住人口 / 未落户人员
居住地址          the residence address as text: 地址全称, or for a share ``dirty_share`` of rows a
                  dirty spelling (truth: ``registry.truth.dirty_addresses``)
居住起始日期      since when the person lives there
居住登记日期      流动 / 境外 / 寄住 only
居住证有效期至    流动 (居住证) / 境外 (居留) only
更新日期          last update of the record (stale: more than 365 days before ``registry.as_of``)
标签              独居老人 / 留守儿童 / 义警 / 快递外卖从业人员, "、"-joined
================  ==============================================================================

With ``include_forbidden_columns=True`` two more columns — 民族 (after 性别) and 宗教信仰 (after 国籍) —
carry plausible values; they exist only to test that the import DROPS them (PIPL; DOMAIN §7).  The
registry itself has no such data; the values are drawn at write time.

实有单位 — ``write_establishments_csv`` (ESTABLISHMENT_COLUMNS), one row per unit record
------------------------------------------------------------------------------------------
================  ==============================================================================
单位编号          E000001 … (the old system's record number)
单位名称          e.g. 临朐县鑫源宾馆
统一社会信用代码  valid GB 32100 code ("" on some planted duplicates)
单位类别          企业 / 个体工商户 / 农民专业合作社 / 机关 / 事业单位 / 社会组织
行业类别          e.g. 住宿业, 零售, 制造业
重点行业          旅馆 / 网吧 / 娱乐场所 / 典当 / 开锁 / 废旧金属收购 / 寄递物流 / 机动车维修 /
                  公章刻制 / 在建工地, "" for ordinary units (≈ 15 % are key venues)
单位地址          地址全称 of the unit's address (clean text)
法定代表人        name
法定代表人证件号码  GB 11643 number
治保负责人        security contact's name
治保负责人电话    11-digit mobile
从业人员数        staff, integer
================  ==============================================================================

Bad rows (``include_bad_rows=True``): the rows of ``registry.truth.bad_rows`` for that file, spread evenly
through it; each has a key starting with ``X`` and names in ``BadRow.field`` / ``BadRow.code`` the
field and error the import must report.
"""

from __future__ import annotations

import csv
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from . import names as N
from .generator import BadRow, Registry
from .tables import EstablishmentTable, PeopleTable, date_strings

ADDRESS_COLUMNS = (
    "标准地址编码",
    "地址级别",
    "上级地址编码",
    "行政区划代码",
    "乡镇街道",
    "社区/村",
    "街路巷/小区",
    "门楼牌号",
    "楼栋",
    "单元",
    "楼层",
    "户室",
    "地址全称",
    "经度",
    "纬度",
    "责任派出所",
    "责任派出所代码",
)
HOUSE_COLUMNS = (
    "房屋编号",
    "地址编码",
    "房屋地址",
    "房屋用途",
    "房屋类型",
    "建筑面积",
    "间数",
    "房主姓名",
    "房主证件类型",
    "房主证件号码",
    "房主电话",
    "标签",
)
PEOPLE_COLUMNS = (
    "人员编号",
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "出生日期",
    "国籍",
    "联系电话",
    "人员类别",
    "居住地址",
    "居住起始日期",
    "居住登记日期",
    "居住证有效期至",
    "更新日期",
    "标签",
)
FORBIDDEN_COLUMNS = ("民族", "宗教信仰")
PEOPLE_COLUMNS_WITH_FORBIDDEN = (*PEOPLE_COLUMNS[:5], "民族", *PEOPLE_COLUMNS[5:7], "宗教信仰", *PEOPLE_COLUMNS[7:])
ESTABLISHMENT_COLUMNS = (
    "单位编号",
    "单位名称",
    "统一社会信用代码",
    "单位类别",
    "行业类别",
    "重点行业",
    "单位地址",
    "法定代表人",
    "法定代表人证件号码",
    "治保负责人",
    "治保负责人电话",
    "从业人员数",
)

FILE_NAMES = {
    "addresses": "addresses.csv",
    "houses": "houses.csv",
    "people": "people.csv",
    "establishments": "establishments.csv",
}

CHUNK = 50_000

Row = Sequence[str]


def _write(
    path: str | Path,
    encoding: str,
    header: Sequence[str],
    chunks: Iterable[list[Row]],
    n_good: int,
    bad: Sequence[Row] = (),
) -> int:
    """Write the header, then the chunks of good rows with the ``bad`` rows spread evenly through them
    (bad row ``j`` after ``(j + 1) * n_good // (len(bad) + 1)`` good rows)."""
    positions = [(j + 1) * n_good // (len(bad) + 1) for j in range(len(bad))]
    j = 0
    good = 0
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for chunk in chunks:
            start = 0
            while j < len(bad) and positions[j] <= good + len(chunk):
                cut = positions[j] - good
                writer.writerows(chunk[start:cut])
                writer.writerow(bad[j])
                start = cut
                j += 1
            writer.writerows(chunk[start:])
            good += len(chunk)
        writer.writerows(bad[j:])
    return good + len(bad)


def _apply(header: Sequence[str], row: Row, bad: BadRow) -> Row:
    values = dict(zip(header, row, strict=True))
    values[header[0]] = bad.key
    values.update({k: v for k, v in bad.overrides.items() if k in values})
    return [values[h] for h in header]


def _bad_rows(registry: Registry, table: str) -> list[BadRow]:
    return [b for b in registry.truth.bad_rows if b.table == table]


def _limited(n: int, limit: int | None) -> int:
    if limit is not None and limit < 0:
        raise ValueError("limit must be >= 0")
    return n if limit is None else min(n, limit)


def _pick(column: Sequence[str], rows: list[int]) -> list[str]:
    return list(map(column.__getitem__, rows))


def _phone_text(values: Iterable[int]) -> list[str]:
    return [str(p) if p else "" for p in values]


# --------------------------------------------------------------------------------------------------
# 标准地址
# --------------------------------------------------------------------------------------------------


def _address_chunks(registry: Registry, n: int) -> Iterator[list[Row]]:
    a = registry.addresses
    station_names = {s.code: s.name for s in registry.jurisdiction.stations}
    codes = a.code
    for start in range(0, n, CHUNK):
        end = min(n, start + CHUNK)
        parts = a.parts[start:end]
        recorded = a.recorded_station_code[start:end]
        columns: list[Sequence[str]] = [
            codes[start:end],
            a.level[start:end],
            [codes[p - 1] if p else "" for p in a.parent_id[start:end].tolist()],
            a.admin_code[start:end],
            [p.township for p in parts],
            [p.community for p in parts],
            [p.street for p in parts],
            [p.house_number for p in parts],
            [p.building for p in parts],
            [p.unit_no for p in parts],
            [p.floor for p in parts],
            [p.room for p in parts],
            a.text[start:end],
            [f"{x:.6f}" for x in a.lon[start:end].tolist()],
            [f"{y:.6f}" for y in a.lat[start:end].tolist()],
            [station_names[c] for c in recorded],
            recorded,
        ]
        yield list(zip(*columns, strict=True))


def write_addresses_csv(
    registry: Registry, path: str | Path, *, encoding: str = "utf-8-sig", limit: int | None = None
) -> int:
    """标准地址 file; see the module docstring for the columns (``limit``: only the first rows)."""
    n = _limited(len(registry.addresses), limit)
    return _write(path, encoding, ADDRESS_COLUMNS, _address_chunks(registry, n), n)


# --------------------------------------------------------------------------------------------------
# 实有房屋
# --------------------------------------------------------------------------------------------------


def _house_chunks(registry: Registry, index: Sequence[int] | npt.NDArray[np.int64]) -> Iterator[list[Row]]:
    h = registry.houses
    a = registry.addresses
    idx = np.asarray(index, dtype=np.int64)
    for start in range(0, len(idx), CHUNK):
        rows = idx[start : start + CHUNK]
        r = rows.tolist()
        address = (h.address_id[rows] - 1).tolist()
        columns: list[Sequence[str]] = [
            [f"H{i + 1:07d}" for i in r],
            _pick(a.code, address),
            _pick(a.text, address),
            _pick(h.use, r),
            _pick(h.house_type, r),
            [f"{x:.1f}" for x in h.area_m2[rows].tolist()],
            [str(x) for x in h.rooms[rows].tolist()],
            _pick(h.owner_name, r),
            _pick(h.owner_id_type, r),
            _pick(h.owner_id_number, r),
            _pick(h.owner_phone, r),
            _pick(h.labels, r),
        ]
        yield list(zip(*columns, strict=True))


def write_houses_csv(
    registry: Registry,
    path: str | Path,
    *,
    encoding: str = "utf-8-sig",
    include_bad_rows: bool = False,
    limit: int | None = None,
) -> int:
    """实有房屋 file; see the module docstring for the columns (``limit``: only the first rows)."""
    bad: list[Row] = []
    if include_bad_rows:
        rows = _bad_rows(registry, "houses")
        (source,) = _house_chunks(registry, [b.source for b in rows]) if rows else ([],)
        bad = [_apply(HOUSE_COLUMNS, source[k], b) for k, b in enumerate(rows)]
    n = _limited(len(registry.houses), limit)
    return _write(path, encoding, HOUSE_COLUMNS, _house_chunks(registry, np.arange(n)), n, bad)


# --------------------------------------------------------------------------------------------------
# 实有人口
# --------------------------------------------------------------------------------------------------


def _people_chunks(
    registry: Registry,
    people: PeopleTable,
    dirty: dict[int, str],
    forbidden: np.random.Generator | None,
    n: int,
) -> Iterator[list[Row]]:
    """Chunks of the first ``n`` rows: each column of a chunk is built at once and the rows zipped."""
    texts = registry.addresses.text
    dirty_rows = sorted(dirty)
    for start in range(0, n, CHUNK):
        end = min(n, start + CHUNK)
        address = _pick(texts, (people.address_id[start:end] - 1).tolist())
        for i in dirty_rows[bisect_left(dirty_rows, start) : bisect_left(dirty_rows, end)]:
            address[i - start] = dirty[i]
        columns: list[Sequence[str]] = [
            [f"P{i:07d}" for i in range(start + 1, end + 1)],
            people.name[start:end],
            people.id_type[start:end],
            people.id_number[start:end],
            people.sex[start:end],
            date_strings(people.birth_date[start:end]),
            people.nationality[start:end],
            _phone_text(people.phone[start:end].tolist()),
            people.category[start:end],
            address,
            date_strings(people.residence_since[start:end]),
            date_strings(people.registered_on[start:end]),
            date_strings(people.permit_expires[start:end]),
            date_strings(people.updated_on[start:end]),
            people.labels[start:end],
        ]
        if forbidden is not None:
            columns.insert(5, _draw(forbidden, N.FORBIDDEN_ETHNIC, end - start))
            columns.insert(8, _draw(forbidden, N.FORBIDDEN_RELIGION, end - start))
        yield list(zip(*columns, strict=True))


def _draw(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> list[str]:
    values = np.array([v for v, _ in options], dtype=object)
    p = np.array([w for _, w in options])
    return values[rng.choice(len(values), size=n, p=p / p.sum())].tolist()  # type: ignore[no-any-return]


def write_people_csv(
    registry: Registry,
    path: str | Path,
    *,
    encoding: str = "utf-8-sig",
    dirty_share: float = 0.2,
    include_bad_rows: bool = False,
    include_forbidden_columns: bool = False,
    limit: int | None = None,
) -> int:
    """实有人口 file; see the module docstring for the columns.

    ``dirty_share`` (≤ ``registry.dirty.max_share``): the share of rows whose 居住地址 is a dirty spelling
    (rows with ``registry.dirty.u < dirty_share``); ``include_forbidden_columns`` adds 民族 and 宗教信仰;
    ``limit``: only the first ``limit`` people rows (the bad rows are spread through those)."""
    header = PEOPLE_COLUMNS_WITH_FORBIDDEN if include_forbidden_columns else PEOPLE_COLUMNS
    dirty = registry.dirty.rows(dirty_share) if dirty_share > 0 else {}
    forbidden = np.random.default_rng([registry.seed, 72]) if include_forbidden_columns else None
    bad: list[Row] = []
    if include_bad_rows:
        rows = _bad_rows(registry, "people")
        bad_people = registry.bad_people
        source = [
            row for chunk in _people_chunks(registry, bad_people, {}, forbidden, len(bad_people)) for row in chunk
        ]
        bad = [_apply(header, source[b.source], b) for b in rows]
    n = _limited(len(registry.people), limit)
    chunks = _people_chunks(registry, registry.people, dirty, forbidden, n)
    return _write(path, encoding, header, chunks, n, bad)


# --------------------------------------------------------------------------------------------------
# 实有单位
# --------------------------------------------------------------------------------------------------


def _establishment_chunks(registry: Registry, e: EstablishmentTable, n: int) -> Iterator[list[Row]]:
    texts = registry.addresses.text
    for start in range(0, n, CHUNK):
        end = min(n, start + CHUNK)
        columns: list[Sequence[str]] = [
            [e.key(i) for i in range(start, end)],
            e.name[start:end],
            e.uscc[start:end],
            e.category[start:end],
            e.industry[start:end],
            e.key_trade[start:end],
            _pick(texts, (e.address_id[start:end] - 1).tolist()),
            e.legal_rep_name[start:end],
            e.legal_rep_id_number[start:end],
            e.security_name[start:end],
            e.security_phone[start:end],
            [str(x) for x in e.staff[start:end].tolist()],
        ]
        yield list(zip(*columns, strict=True))


def write_establishments_csv(
    registry: Registry,
    path: str | Path,
    *,
    encoding: str = "utf-8-sig",
    include_bad_rows: bool = False,
    limit: int | None = None,
) -> int:
    """实有单位 file; see the module docstring for the columns (``limit``: only the first rows)."""
    bad: list[Row] = []
    if include_bad_rows:
        rows = _bad_rows(registry, "establishments")
        bad_units = registry.bad_establishments
        source = [row for chunk in _establishment_chunks(registry, bad_units, len(bad_units)) for row in chunk]
        bad = [_apply(ESTABLISHMENT_COLUMNS, source[b.source], b) for b in rows]
    n = _limited(len(registry.establishments), limit)
    chunks = _establishment_chunks(registry, registry.establishments, n)
    return _write(path, encoding, ESTABLISHMENT_COLUMNS, chunks, n, bad)


# --------------------------------------------------------------------------------------------------
# All four
# --------------------------------------------------------------------------------------------------


def write_all(
    registry: Registry,
    directory: str | Path,
    *,
    encoding: str = "utf-8-sig",
    dirty_share: float = 0.2,
    include_bad_rows: bool = False,
    include_forbidden_columns: bool = False,
) -> dict[str, Path]:
    """Write addresses.csv, houses.csv, people.csv and establishments.csv into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {kind: out / name for kind, name in FILE_NAMES.items()}
    write_addresses_csv(registry, paths["addresses"], encoding=encoding)
    write_houses_csv(registry, paths["houses"], encoding=encoding, include_bad_rows=include_bad_rows)
    write_people_csv(
        registry,
        paths["people"],
        encoding=encoding,
        dirty_share=dirty_share,
        include_bad_rows=include_bad_rows,
        include_forbidden_columns=include_forbidden_columns,
    )
    write_establishments_csv(registry, paths["establishments"], encoding=encoding, include_bad_rows=include_bad_rows)
    return paths
