"""Houses and establishments placed in known grids, with known registration times, for the
inspection tests."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from zhufang.org.models import OrgUnit
from zhufang.registry.models import Establishment, House, StandardAddress

_serial = itertools.count(1)


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def address(grid: OrgUnit, street: str = "兴隆路") -> StandardAddress:
    n = next(_serial)
    return StandardAddress.objects.create(
        code=f"T{n:06d}",
        township="城关街道",
        community="民主社区",
        street=street,
        house_number=str(n),
        canonical=f"|城关街道|民主社区|{street}|{n}||||",
        full_text=f"城关街道民主社区{street}{n}号",
        owner_unit=grid,
    )


def house(grid: OrgUnit, use: str, *, registered: dt.date = dt.date(2025, 1, 1), **extra: object) -> House:
    return House.objects.create(address=address(grid), use=use, owner_unit=grid, created_at=at(registered), **extra)


def establishment(
    grid: OrgUnit,
    trade: str = "",
    *,
    category: str = "个体工商户",
    registered: dt.date = dt.date(2025, 1, 1),
    **extra: object,
) -> Establishment:
    n = next(_serial)
    return Establishment.objects.create(
        name=f"测试{trade or category}{n}号",
        trade=trade,
        category=category,
        is_key_industry=bool(trade),
        address=address(grid, "商业街"),
        owner_unit=grid,
        created_at=at(registered),
        **extra,
    )
