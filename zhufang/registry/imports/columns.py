"""Column presets: the Chinese headers bureaus export, mapped to our fields (列映射预设).

A header not in the preset is an error in the report (name it in a custom mapping or remove it);
columns about ethnicity, religion or political status are DROPPED before anything is read, and the
report says so (PIPL; DOMAIN §7). Presets are data: a bureau can add aliases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: never read, never stored: sensitive personal information the registry has no purpose for
FORBIDDEN_COLUMNS = frozenset({"民族", "宗教", "宗教信仰", "政治面貌", "党派", "政治身份"})
#: bookkeeping columns that carry nothing to store
IGNORED_COLUMNS = frozenset({"序号", "编号", "备注", "操作"})
#: columns a kind's files carry that we derive ourselves instead of reading
DERIVED_COLUMNS = {
    "people": frozenset(),
    "addresses": frozenset({"地址级别", "上级地址编码", "地址全称", "责任派出所"}),
}

PEOPLE = {
    "name": ("姓名", "名字"),
    "id_type": ("证件类型", "证件种类"),
    "id_number": ("证件号码", "身份证号", "身份证号码", "公民身份号码", "证件号"),
    "sex": ("性别",),
    "birth_date": ("出生日期", "出生年月日"),
    "phone": ("联系电话", "手机号", "手机号码", "电话"),
    "category": ("人员类别", "人口类别", "人员类型"),
    "address": ("居住地址", "现住址", "实际居住地址", "居住地详址"),
    "residence_since": ("居住起始日期", "入住日期", "来本地日期"),
    "registered_at": ("居住登记日期", "登记日期"),
    "permit_expires": ("居住证有效期至", "居住证到期日期", "证件到期日期"),
    "labels": ("标签", "人员标签"),
    "nationality": ("国籍",),
    "source_updated_at": ("更新日期", "最后更新日期"),
    "legacy_number": ("人员编号", "原系统编号"),
}
ADDRESSES = {
    "code": ("标准地址编码", "地址编码"),
    "admin_code": ("行政区划代码",),
    "county": ("区县", "县区"),
    "township": ("乡镇街道", "乡镇（街道）", "街道"),
    "community": ("社区/村", "社区（村）", "居（村）委会", "社区"),
    "street": ("街路巷/小区", "街路巷", "小区"),
    "house_number": ("门楼牌号", "门牌号"),
    "building": ("楼栋", "楼栋号"),
    "unit_no": ("单元", "单元号"),
    "floor": ("楼层", "楼层号"),
    "room": ("户室", "房间号", "户室号"),
    "lon": ("经度",),
    "lat": ("纬度",),
    "recorded_station": ("责任派出所代码", "所属派出所代码", "管辖派出所代码"),
}
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {"people": PEOPLE, "addresses": ADDRESSES}
REQUIRED: dict[str, tuple[str, ...]] = {
    "people": ("name", "id_number", "category", "address"),
    "addresses": ("code", "lon", "lat"),
}


@dataclass
class ColumnMap:
    """Which cell index feeds which field; what was dropped, ignored or unknown."""

    index: dict[str, int] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def cell(self, cells: list[str], name: str) -> str:
        """The value of field ``name`` in a row ("" when the column is absent or the row short)."""
        position = self.index.get(name)
        return cells[position] if position is not None and position < len(cells) else ""


def map_columns(kind: str, header: list[str], custom: dict[str, str] | None = None) -> ColumnMap:
    """Match headers to fields by the preset's aliases (and an optional custom {header: field})."""
    preset = PRESETS[kind]
    alias_to_field = {alias: name for name, aliases in preset.items() for alias in aliases}
    alias_to_field.update(custom or {})
    result = ColumnMap()
    for position, raw in enumerate(header):
        title = raw.strip().replace(" ", "")
        if title in FORBIDDEN_COLUMNS:
            result.dropped.append(title)
        elif title in IGNORED_COLUMNS or title in DERIVED_COLUMNS[kind] or not title:
            result.ignored.append(title)
        elif title in alias_to_field and alias_to_field[title] not in result.index:
            result.index[alias_to_field[title]] = position
        else:
            result.unknown.append(title)
    result.missing = [name for name in REQUIRED[kind] if name not in result.index]
    return result


def header_of(kind: str, field_name: str) -> str:
    """The first (canonical) Chinese header of a field, for error messages."""
    return PRESETS[kind][field_name][0]
