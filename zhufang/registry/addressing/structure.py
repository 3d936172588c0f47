"""The structured levels of a standard address (GA/T 2000.32, GB/T 39609): 行政区划 → 乡镇街道 →
社区/村 → 街路巷/小区 → 门楼牌 → 楼栋 → 单元 → 楼层 → 户室."""

from __future__ import annotations

from dataclasses import dataclass, fields

LEVELS = ("county", "township", "community", "street", "house_number", "building", "unit_no", "floor", "room")


@dataclass(frozen=True)
class AddressParts:
    """地址要素. Numbers are kept canonical: Arabic digits without their suffix (号, 栋, 单元, 层, 室),
    e.g. house_number "18", building "3", unit_no "2", room "501". Empty string = level absent."""

    county: str = ""  # 区县, e.g. 临朐县
    township: str = ""  # 乡镇街道, e.g. 城关街道
    community: str = ""  # 社区/村, e.g. 民主社区
    street: str = ""  # 街路巷 or 小区, e.g. 兴隆路 / 阳光花园
    house_number: str = ""  # 门楼牌号, e.g. 18
    building: str = ""  # 楼栋, e.g. 3
    unit_no: str = ""  # 单元, e.g. 2
    floor: str = ""  # 楼层, e.g. 5 (usually implied by the room number)
    room: str = ""  # 户室, e.g. 501

    def canonical(self) -> str:
        """The normalised key used for exact matching: every level, '|'-separated."""
        return "|".join(getattr(self, name) for name in LEVELS)

    def display(self) -> str:
        """The form shown to people: 临朐县城关街道民主社区兴隆路18号3栋2单元501室."""
        text = f"{self.county}{self.township}{self.community}{self.street}"
        if self.house_number:
            text += f"{self.house_number}号"
        if self.building:
            text += f"{self.building}栋"
        if self.unit_no:
            text += f"{self.unit_no}单元"
        if self.floor and not self.room:
            text += f"{self.floor}层"
        if self.room:
            text += f"{self.room}室"
        return text

    @property
    def is_room_level(self) -> bool:
        return bool(self.room)

    def door_level(self) -> AddressParts:
        """The 门楼牌-level address this one belongs to (building and below dropped)."""
        return AddressParts(self.county, self.township, self.community, self.street, self.house_number)

    @classmethod
    def from_canonical(cls, key: str) -> AddressParts:
        values = key.split("|")
        if len(values) != len(LEVELS):
            raise ValueError(f"not a canonical address key: {key!r}")
        return cls(*values)


assert tuple(f.name for f in fields(AddressParts)) == LEVELS
