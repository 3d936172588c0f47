"""Registry targets placed in known grids, for instruction tests."""

from __future__ import annotations

from itertools import count

from zhufang.org.models import OrgUnit
from zhufang.registry.models import Establishment, House, StandardAddress

_serial = count(1)


def house_in(grid: OrgUnit, street: str = "兴隆路") -> House:
    n = next(_serial)
    address = StandardAddress.objects.create(
        code=f"T{n:08d}",
        township="城关街道",
        community="民主社区",
        street=street,
        house_number=str(n),
        canonical=f"|城关街道|民主社区|{street}|{n}||||",
        full_text=f"城关街道民主社区{street}{n}号",
        lon=grid.centroid_lon,
        lat=grid.centroid_lat,
        owner_unit=grid,
    )
    return House.objects.create(address=address, owner_unit=grid)


def establishment_in(grid: OrgUnit, name: str = "鑫源宾馆", trade: str = "旅馆") -> Establishment:
    house = house_in(grid, street="人民路")
    return Establishment.objects.create(
        name=name, trade=trade, is_key_industry=True, address=house.address, owner_unit=grid
    )
