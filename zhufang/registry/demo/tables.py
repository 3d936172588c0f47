"""Column tables of the registry demo data (one list / numpy array per column) and their row views.

A county registry has a million people: one Python object per row would cost seconds and gigabytes, so
each table stores columns (numpy arrays for numbers and dates, lists of shared ``str`` objects for text)
and builds a frozen row dataclass only when indexed (``table[i]``) or iterated.

Dates are ``numpy.datetime64[D]`` arrays; ``NaT`` means "empty".  Row views convert them to
``datetime.date`` / ``None``.  Keys (``人员编号`` / ``房屋编号`` / ``单位编号``) are derived from the
row position: ``P0000001`` is people row 0, ``H0000001`` house row 0, ``E000001`` establishment row 0;
the small sets of deliberately invalid rows use ``XP`` / ``XH`` / ``XE``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from zhufang.registry.addressing.structure import AddressParts

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]

NAT = np.datetime64("NaT", "D")

RowT = TypeVar("RowT")


def to_date(value: np.datetime64) -> dt.date | None:
    """``numpy.datetime64[D]`` → ``datetime.date`` (``None`` for NaT)."""
    if np.isnat(value):
        return None
    return dt.date.fromordinal(int(value.astype("datetime64[D]").astype(np.int64)) + _EPOCH_ORDINAL)


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


_DAY_TABLE_START = np.datetime64("1900-01-01", "D")
_DAY_TABLE_END = np.datetime64("2100-12-31", "D")


@cache
def _day_table() -> npt.NDArray[np.object_]:
    """ISO strings of every day 1900-2100, then "" (for NaT and days outside the table)."""
    days = np.arange(_DAY_TABLE_START, _DAY_TABLE_END + 1)
    table = np.empty(len(days) + 1, dtype=object)
    table[:-1] = np.datetime_as_string(days, unit="D")
    table[-1] = ""
    return table


def date_strings(values: DateArray) -> list[str]:
    """ISO ``YYYY-MM-DD`` strings of a date array, ``""`` for NaT (a table lookup: several times faster
    than formatting every value)."""
    days = values.astype("datetime64[D]")
    table = _day_table()
    offset = (days - _DAY_TABLE_START).astype(np.int64)
    inside = ~np.isnat(days) & (offset >= 0) & (offset < len(table) - 1)
    out: list[str] = table[np.where(inside, offset, len(table) - 1)].tolist()
    for i in np.flatnonzero(~np.isnat(days) & ~inside).tolist():
        out[i] = str(days[i])
    return out


def make_key(prefix: str, index: int, width: int) -> str:
    return f"{prefix}{index + 1:0{width}d}"


def key_index(key: str) -> int:
    """Row index of a row key: ``P0000001`` → 0, ``E000042`` → 41 (bad-row keys ``XP00001`` → 0 in
    their own set)."""
    return int(key.lstrip("XPHE")) - 1


class _Table(Generic[RowT]):
    """Shared behaviour of the column tables: length, row access, selection of rows."""

    KEY_PREFIX = ""
    KEY_WIDTH = 7

    def __len__(self) -> int:
        first = fields(self)[0]  # type: ignore[arg-type]
        return len(getattr(self, first.name))

    def row(self, i: int) -> RowT:  # pragma: no cover - overridden
        raise NotImplementedError

    def __getitem__(self, i: int) -> RowT:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.row(i)

    def __iter__(self) -> Iterator[RowT]:
        return (self.row(i) for i in range(len(self)))

    def key(self, i: int) -> str:
        return make_key(self.KEY_PREFIX, i, self.KEY_WIDTH)

    def keys(self) -> list[str]:
        p, w = self.KEY_PREFIX, self.KEY_WIDTH
        return [f"{p}{i + 1:0{w}d}" for i in range(len(self))]

    def take(self, index: IntArray | Sequence[int]) -> Any:
        """A new table of the same type with rows ``index`` (in that order)."""
        idx = np.asarray(index, dtype=np.int64)
        values: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            column = getattr(self, f.name)
            if isinstance(column, np.ndarray):
                values[f.name] = column[idx]
            else:
                values[f.name] = list(map(column.__getitem__, idx.tolist()))
        return type(self)(**values)

    @classmethod
    def concat(cls, tables: Sequence[Any]) -> Any:
        values: dict[str, Any] = {}
        for f in fields(cls):  # type: ignore[arg-type]
            columns = [getattr(t, f.name) for t in tables]
            if isinstance(columns[0], np.ndarray):
                values[f.name] = np.concatenate(columns)
            else:
                values[f.name] = [v for column in columns for v in column]
        return cls(**values)


# --------------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------------

#: address levels (地址级别)
DOOR = "门楼牌"
BUILDING = "楼栋"
ROOM = "户室"


@dataclass(frozen=True)
class Address:
    """One standard address (标准地址)."""

    id: int  # 1-based, dense
    code: str  # 标准地址编码: admin_code (12) + id (8 digits)
    level: str  # 门楼牌 / 楼栋 / 户室
    parent_id: int | None  # the 门楼牌 or 楼栋 address a 户室 belongs to
    parts: AddressParts
    text: str  # parts.display()
    lon: float
    lat: float
    grid_code: str  # the grid the point truly lies in
    station_code: str  # the station of that grid (the true responsible station)
    recorded_station_code: str  # the responsible station in the old data (≠ station_code: planted conflict)
    township_code: str  # 9-digit GB/T 10114 township code (the township polygon containing the point)
    admin_code: str  # 12-digit 行政区划代码: 370724 + township (3) + 社区/村 (3; 社区 001-199, 村 200+)
    area_type: str  # 城区 / 城中村 / 镇驻地 / 农村

    @property
    def is_conflict(self) -> bool:
        return self.station_code != self.recorded_station_code


@dataclass
class AddressTable(_Table[Address]):
    id: IntArray
    code: list[str]
    level: list[str]
    parent_id: IntArray  # 0 = none
    parts: list[AddressParts]
    text: list[str]
    lon: FloatArray
    lat: FloatArray
    grid_code: list[str]
    station_code: list[str]
    recorded_station_code: list[str]
    township_code: list[str]
    admin_code: list[str]
    area_type: list[str]

    def row(self, i: int) -> Address:
        parent = int(self.parent_id[i])
        return Address(
            id=int(self.id[i]),
            code=self.code[i],
            level=self.level[i],
            parent_id=parent or None,
            parts=self.parts[i],
            text=self.text[i],
            lon=float(self.lon[i]),
            lat=float(self.lat[i]),
            grid_code=self.grid_code[i],
            station_code=self.station_code[i],
            recorded_station_code=self.recorded_station_code[i],
            township_code=self.township_code[i],
            admin_code=self.admin_code[i],
            area_type=self.area_type[i],
        )

    def by_id(self, address_id: int) -> Address:
        """Address ids are dense and 1-based: id ``n`` is row ``n - 1``."""
        return self.row(address_id - 1)


# --------------------------------------------------------------------------------------------------
# Houses
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class House:
    """One house (实有房屋): one per leaf address (户室, or 门楼牌 without rooms)."""

    key: str
    address_id: int
    use: str  # 房屋用途: 自住 / 出租 / 空置 / 单位用房 / 经营
    house_type: str  # 房屋类型: 楼房 / 平房 / 自建房 / 商铺 / 办公用房 / 厂房
    area_m2: float  # 建筑面积
    rooms: int  # 间数
    owner_name: str
    owner_id_type: str  # 居民身份证 / 护照 / 统一社会信用代码
    owner_id_number: str
    owner_phone: str
    owner_person: int | None  # people row of the owner (None when a unit owns it)
    labels: tuple[str, ...]
    area_type: str


@dataclass
class HouseTable(_Table[House]):
    KEY_PREFIX = "H"

    address_id: IntArray
    use: list[str]
    house_type: list[str]
    area_m2: FloatArray
    rooms: IntArray
    owner_name: list[str]
    owner_id_type: list[str]
    owner_id_number: list[str]
    owner_phone: list[str]
    owner_person: IntArray  # -1 = owned by a unit
    labels: list[str]  # "、"-joined
    area_type: list[str]

    def row(self, i: int) -> House:
        owner = int(self.owner_person[i])
        return House(
            key=self.key(i),
            address_id=int(self.address_id[i]),
            use=self.use[i],
            house_type=self.house_type[i],
            area_m2=float(self.area_m2[i]),
            rooms=int(self.rooms[i]),
            owner_name=self.owner_name[i],
            owner_id_type=self.owner_id_type[i],
            owner_id_number=self.owner_id_number[i],
            owner_phone=self.owner_phone[i],
            owner_person=owner if owner >= 0 else None,
            labels=tuple(self.labels[i].split("、")) if self.labels[i] else (),
            area_type=self.area_type[i],
        )


# --------------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """One person (实有人口).  Nothing about ethnicity, religion or political status."""

    key: str
    name: str
    id_type: str  # 证件类型: 居民身份证 / 护照 / "" (no document recorded)
    id_number: str  # "" when no document is recorded
    sex: str  # 男 / 女
    birth_date: dt.date
    nationality: str  # 国籍: 中国 for ID-card holders
    phone: str  # 11-digit mobile or ""
    category: str  # 户籍人口 / 流动人口 / 境外人员 / 寄住人口 / 未落户人员
    house: int  # houses row of the residence
    address_id: int  # standard address of the residence
    residence_since: dt.date
    registered_on: dt.date | None  # 居住登记日期 (流动 / 境外 / 寄住)
    permit_expires: dt.date | None  # 居住证 (境外: 居留) 有效期至 (流动 / 境外)
    updated_on: dt.date  # last update of the record
    labels: tuple[str, ...]


@dataclass
class PeopleTable(_Table[Person]):
    KEY_PREFIX = "P"

    name: list[str]
    id_type: list[str]
    id_number: list[str]
    sex: list[str]
    birth_date: DateArray
    nationality: list[str]
    phone: IntArray  # 0 = none
    category: list[str]
    house: IntArray
    address_id: IntArray
    residence_since: DateArray
    registered_on: DateArray
    permit_expires: DateArray
    updated_on: DateArray
    labels: list[str]  # "、"-joined

    def row(self, i: int) -> Person:
        phone = int(self.phone[i])
        birth = to_date(self.birth_date[i])
        since = to_date(self.residence_since[i])
        updated = to_date(self.updated_on[i])
        assert birth is not None and since is not None and updated is not None
        return Person(
            key=self.key(i),
            name=self.name[i],
            id_type=self.id_type[i],
            id_number=self.id_number[i],
            sex=self.sex[i],
            birth_date=birth,
            nationality=self.nationality[i],
            phone=str(phone) if phone else "",
            category=self.category[i],
            house=int(self.house[i]),
            address_id=int(self.address_id[i]),
            residence_since=since,
            registered_on=to_date(self.registered_on[i]),
            permit_expires=to_date(self.permit_expires[i]),
            updated_on=updated,
            labels=tuple(self.labels[i].split("、")) if self.labels[i] else (),
        )


# --------------------------------------------------------------------------------------------------
# Establishments
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Establishment:
    """One establishment (实有单位)."""

    key: str
    name: str
    uscc: str  # 统一社会信用代码 ("" only on some planted duplicates)
    category: str  # 单位类别: 企业 / 个体工商户 / 农民专业合作社 / 机关 / 事业单位 / 社会组织
    industry: str  # 行业类别
    key_trade: (
        str  # 重点行业: 旅馆 / 网吧 / 娱乐场所 / 典当 / 开锁 / 废旧金属收购 / 寄递物流 / 机动车维修 / 公章刻制 / ""
    )
    address_id: int
    house: int
    legal_rep_name: str
    legal_rep_id_number: str
    legal_rep_person: int  # people row
    security_name: str  # 治保负责人
    security_phone: str
    staff: int  # 从业人员数


@dataclass
class EstablishmentTable(_Table[Establishment]):
    KEY_PREFIX = "E"
    KEY_WIDTH = 6

    name: list[str]
    uscc: list[str]
    category: list[str]
    industry: list[str]
    key_trade: list[str]
    address_id: IntArray
    house: IntArray
    legal_rep_name: list[str]
    legal_rep_id_number: list[str]
    legal_rep_person: IntArray
    security_name: list[str]
    security_phone: list[str]
    staff: IntArray

    def row(self, i: int) -> Establishment:
        return Establishment(
            key=self.key(i),
            name=self.name[i],
            uscc=self.uscc[i],
            category=self.category[i],
            industry=self.industry[i],
            key_trade=self.key_trade[i],
            address_id=int(self.address_id[i]),
            house=int(self.house[i]),
            legal_rep_name=self.legal_rep_name[i],
            legal_rep_id_number=self.legal_rep_id_number[i],
            legal_rep_person=int(self.legal_rep_person[i]),
            security_name=self.security_name[i],
            security_phone=self.security_phone[i],
            staff=int(self.staff[i]),
        )
