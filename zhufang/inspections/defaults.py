"""The default cadence rules (seed 003; DOMAIN §1.4), written by the data migration and restored by
``ensure_default_rules``. A bureau's control centre changes them on the rules page or the API."""

from __future__ import annotations

from typing import Any

#: (target kind, selector, value, period, note)
DEFAULT_RULES: tuple[tuple[str, str, str, str, str], ...] = (
    ("house", "use", "self_occupied", "half_year", "自住房屋每半年核查一次（seed 003）"),
    ("house", "use", "rental", "month", "出租房屋每月核查一次（seed 003）"),
    ("establishment", "trade", "在建工地", "week", "项目工地数据每周更新一次（seed 003）"),
    ("establishment", "trade", "旅馆", "month", "特种行业：旅馆业"),
    ("establishment", "trade", "网吧", "month", "互联网上网服务营业场所"),
    ("establishment", "trade", "娱乐场所", "month", "娱乐场所（歌厅、KTV、洗浴足浴）"),
    ("establishment", "trade", "废旧金属收购", "month", "生产性废旧金属收购业"),
    ("establishment", "trade", "寄递物流", "month", "寄递物流：实名收寄、收寄验视、过机安检"),
    ("establishment", "trade", "典当", "quarter", "典当业"),
    ("establishment", "trade", "开锁", "quarter", "开锁业"),
    ("establishment", "trade", "机动车维修", "quarter", "机动车维修业"),
    ("establishment", "trade", "公章刻制", "quarter", "特种行业：公章刻制业"),
)


def ensure_default_rules(rule_model: Any) -> int:
    """Create the default rules that are missing (an edited rule is left as the centre set it).
    Works with the historical model in a migration as well as the real one; returns how many it created."""
    created = 0
    for kind, selector, value, period, note in DEFAULT_RULES:
        _rule, made = rule_model.objects.get_or_create(
            target_kind=kind, selector=selector, value=value, defaults={"period": period, "note": note}
        )
        created += int(made)
    return created
