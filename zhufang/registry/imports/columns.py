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
    "houses": frozenset({"所属网格", "居住人数"}),
    "establishments": frozenset({"所属网格", "是否重点行业"}),
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
HOUSES = {
    "legacy_number": ("房屋编号", "原系统编号"),
    "address_code": ("地址编码", "标准地址编码"),
    "address_text": ("房屋地址", "地址", "详细地址"),
    "use": ("房屋用途", "用途", "使用情况"),
    "house_type": ("房屋类型", "房屋类别"),
    "area_m2": ("建筑面积", "面积", "建筑面积（平方米）"),
    "rooms": ("间数", "房间数"),
    "owner_name": ("房主姓名", "房主", "产权人", "产权人姓名"),
    "owner_id_type": ("房主证件类型", "产权人证件类型"),
    "owner_id_number": ("房主证件号码", "房主身份证号", "产权人证件号码"),
    "owner_phone": ("房主电话", "房主联系电话", "产权人电话"),
    "labels": ("标签", "房屋标签"),
}
ESTABLISHMENTS = {
    "legacy_number": ("单位编号", "原系统编号"),
    "name": ("单位名称", "名称"),
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "category": ("单位类别", "单位类型"),
    "industry": ("行业类别", "所属行业", "行业"),
    "trade": ("重点行业", "重点行业类别", "特种行业"),
    "address": ("单位地址", "地址", "经营地址", "住所"),
    "legal_rep_name": ("法定代表人", "法人代表", "负责人"),
    "legal_rep_id_type": ("法定代表人证件类型", "负责人证件类型"),
    "legal_rep_id_number": ("法定代表人证件号码", "法定代表人身份证号", "法人身份证号", "负责人身份证号"),
    "security_contact": ("治保负责人", "内保负责人", "安全负责人"),
    "security_contact_phone": ("治保负责人电话", "内保负责人电话", "安全负责人电话"),
    "staff_count": ("从业人员数", "从业人数", "员工人数"),
}
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "people": PEOPLE,
    "addresses": ADDRESSES,
    "houses": HOUSES,
    "establishments": ESTABLISHMENTS,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "people": ("name", "id_number", "category", "address"),
    "addresses": ("code", "lon", "lat"),
    "houses": ("address_text",),  # 地址编码 may be missing: the text is matched then
    "establishments": ("name", "address"),
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
