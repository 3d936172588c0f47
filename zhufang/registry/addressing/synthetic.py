"""A deterministic synthetic county of standard addresses, for tests, benchmarks and demo data.

``synthetic_addresses(300_000)`` gives a county of 10 townships (3 街道, 7 镇), ~200 communities (城区
社区, 镇驻地社区 and villages such as 王家庄村), ~1,500 streets and 小区 (兴隆路, 锦绣花园 …) and
300,000 addresses: 门楼牌 addresses on roads and village lanes (兴隆路18号), room-level addresses in
小区 (锦绣花园3栋2单元501室, floor 5). Smaller sizes scale the county down (about 200 addresses per
street). Village lanes reuse a handful of generic names (中心街, 前进街 …) across villages, as real
villages do, so a street name alone is not always unique.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .structure import AddressParts

COUNTY = "临朐县"

URBAN_TOWNSHIPS = ("城关街道", "东城街道", "龙泉街道")
RURAL_TOWNSHIPS = ("冶源镇", "辛寨镇", "五井镇", "寺头镇", "九山镇", "柳山镇", "蒋峪镇", "沂山镇", "嵩山镇")

COMMUNITY_CORES = (
    "民主", "和平", "幸福", "光明", "朝阳", "建设", "团结", "胜利", "文化", "新华", "振兴", "育才", "锦绣",
    "福安", "永安", "安康", "祥和", "长青", "金山", "银河", "清泉", "向阳", "红旗", "东风", "前进", "解放",
    "人民", "友谊", "太平", "兴华", "康乐", "阳光", "丰收", "富民", "兴旺", "新城", "古城", "北关", "南关",
    "东关", "西关", "城北", "城南", "河东", "河西", "山前", "山后", "龙泉", "凤鸣", "沂河", "弥河", "汶河",
    "花园", "滨河", "桥东", "桥西", "站前", "府前", "学府", "书院", "文昌", "明德", "崇德", "尚德", "仁和",
)  # fmt: skip
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯董程曹袁邓许傅沈彭吕苏卢蒋蔡"
    "贾丁魏薛叶余潘杜戴夏钟汪田姜范方石姚谭邹熊金陆郝孔崔康毛邱秦史顾侯邵孟段钱汤尹常武乔贺龚"
)
VILLAGE_PATTERNS = (
    "家庄", "家河", "家沟", "家峪", "家营", "家店", "家屯", "家洼", "家岭", "家台", "家湖", "家埠", "官庄", "家窑",
    "家坡", "家集", "家寨", "家崖",
)  # fmt: skip
NAME_CHARS = (
    "兴隆福安和平华明光新民建胜利文昌盛泰康宁丰源清泉金银玉龙凤鹏祥瑞云海山河湖林松柏桂兰梅竹春秋阳晨曦锦绣"
    "嘉德仁义礼智信忠孝友善美乐朝景升荣富贵吉永长宏伟振育才旺顺通达泽润恒鑫鸿辉星月虹天雪岳峰溪桥滨港津"
)
GENERIC_LANES = ("中心街", "前进街", "东风街", "幸福街", "团结街", "建设街", "新华街", "胜利街")
ROAD_SUFFIXES = (("路", 60), ("街", 25), ("巷", 10), ("大道", 5))
ESTATE_SUFFIXES = (
    ("花园", 20), ("小区", 20), ("家园", 12), ("苑", 10), ("公寓", 6), ("新村", 8), ("名苑", 6), ("华府", 5),
    ("广场", 4), ("大厦", 3), ("山庄", 3), ("嘉园", 3),
)  # fmt: skip


@dataclass(frozen=True)
class SyntheticStreet:
    township: str
    community: str
    name: str
    kind: str  # road | estate | lane
    weight: float


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def synthetic_county(n: int, *, seed: int = 2026) -> list[SyntheticStreet]:
    """The streets of a county sized for ``n`` addresses (~200 addresses per street)."""
    rng = random.Random(seed)  # noqa: S311 — reproducible test data, not security
    n_streets = max(30, round(n / 200))
    n_communities = max(6, round(n_streets / 7.5))
    n_townships = max(3, min(len(URBAN_TOWNSHIPS) + len(RURAL_TOWNSHIPS), round(n_communities / 20)))
    townships = [*URBAN_TOWNSHIPS, *RURAL_TOWNSHIPS][:n_townships]

    # communities: 街道 get 社区; 镇 get a seat 社区 or two and villages
    cores = list(COMMUNITY_CORES)
    rng.shuffle(cores)
    villages = sorted({s + p for s in SURNAMES for p in VILLAGE_PATTERNS})
    rng.shuffle(villages)
    communities: list[tuple[str, str, bool]] = []  # (township, name, is_village)
    for i in range(n_communities):
        township = townships[i % n_townships]
        urban = township in URBAN_TOWNSHIPS or rng.random() < 0.25
        if urban and cores:
            communities.append((township, cores.pop() + "社区", False))
        else:
            communities.append((township, villages.pop() + "村", True))

    used: set[str] = set(GENERIC_LANES)

    def unique_name(suffixes: tuple[tuple[str, int], ...]) -> str:
        while True:
            a, b = rng.sample(NAME_CHARS, 2)
            name = a + b + _pick(rng, suffixes)
            if name not in used:
                used.add(name)
                return name

    streets: list[SyntheticStreet] = []
    for i in range(n_streets):
        township, community, is_village = communities[i % n_communities]
        if is_village:
            lanes = {s.name for s in streets if s.community == community}
            free = [lane for lane in GENERIC_LANES if lane not in lanes]
            if free and rng.random() < 0.2:
                streets.append(SyntheticStreet(township, community, rng.choice(free), "lane", rng.uniform(20, 80)))
            else:
                streets.append(
                    SyntheticStreet(township, community, unique_name(ROAD_SUFFIXES), "road", rng.uniform(40, 150))
                )
        elif rng.random() < 0.55:
            streets.append(
                SyntheticStreet(township, community, unique_name(ESTATE_SUFFIXES), "estate", rng.uniform(150, 450))
            )
        else:
            streets.append(
                SyntheticStreet(township, community, unique_name(ROAD_SUFFIXES), "road", rng.uniform(60, 250))
            )
    return streets


def synthetic_addresses(n: int, *, seed: int = 2026, county: str = COUNTY) -> list[tuple[int, AddressParts]]:
    """``n`` standard addresses with ids 1..n (deterministic for a given ``n`` and ``seed``)."""
    streets = synthetic_county(n, seed=seed)
    rng = random.Random(seed + 1)  # noqa: S311 — reproducible test data, not security
    total_weight = sum(s.weight for s in streets)
    quotas = [max(1, int(n * s.weight / total_weight)) for s in streets]
    i = 0
    while sum(quotas) < n:  # hand out the rounding remainder
        quotas[i % len(quotas)] += 1
        i += 1
    while sum(quotas) > n:
        j = max(range(len(quotas)), key=quotas.__getitem__)
        quotas[j] -= 1
    out: list[tuple[int, AddressParts]] = []
    for street, quota in zip(streets, quotas, strict=True):
        base = AddressParts(county, street.township, street.community, street.name)
        if street.kind == "estate":
            units = rng.choice((1, 2, 2, 3, 3, 4))
            floors = rng.choice((5, 6, 6, 11, 18))
            rooms = 2
            made = 0
            building = 0
            while made < quota:
                building += 1
                for unit in range(1, units + 1):
                    for floor in range(1, floors + 1):
                        for r in range(1, rooms + 1):
                            if made >= quota:
                                break
                            out.append(
                                (
                                    len(out) + 1,
                                    AddressParts(
                                        county,
                                        street.township,
                                        street.community,
                                        street.name,
                                        building=str(building),
                                        unit_no=str(unit),
                                        floor=str(floor),
                                        room=f"{floor}{r:02d}",
                                    ),
                                )
                            )
                            made += 1
        else:
            for h in range(1, quota + 1):
                out.append(
                    (
                        len(out) + 1,
                        AddressParts(base.county, base.township, base.community, base.street, house_number=str(h)),
                    )
                )
    return out
