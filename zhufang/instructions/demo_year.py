"""The demo instruction year (演示指令年) as a plan: batches, items, memberships and events, generated
without writing anything (``demo`` reads the world and writes the plan).

Deterministic for a seed, a world (org units, users, registry targets) and a moment ``now``. Batches
are planned in time order over the working days of the twelve months before ``now``, at office hours;
each item is simulated through the state machine of ``transitions``: signed per station within minutes
to hours (a few late), sometimes reassigned, sometimes returned to the centre as misrouted and
rerouted to the station it belongs to, fed back mostly within its category's deadline
(``deadlines.due_at`` on the working-day calendar; ≈6 % late), sometimes returned for rework and fed
back again, approved by the station, closed with its batch — by the centre (an event per item) or by
the auto-close rule (no item events, as ``closing`` does). Steps after ``now`` are cut off, so the
latest batches are live work, some of it overdue with the level ``deadlines.level_at`` gives now.
A department's request aimed at targets whose item is still open joins that item (``merged``), as
``issuing.issue_batch`` does; a merged item keeps its earlier (hence earliest) deadline.

Times are whole epoch seconds until written; deadlines stay the calendar's aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from zhufang.instructions.categories import Category, categories, validate_feedback
from zhufang.instructions.deadlines import due_at, escalation_starts, remind_from
from zhufang.instructions.issuing import open_key
from zhufang.instructions.models import OPEN_STATUSES, OWED_STATUSES, BatchStatus, ItemStatus, TargetKind
from zhufang.instructions.routing import Route, TargetRef, route_targets
from zhufang.workdays.services import current_calendar

HOUR = 3600
DAY = 24 * HOUR
NEVER = math.inf
#: the periodic jobs of ``zhufang.schedules``: reminders every 5 minutes, escalation 1 minute later,
#: auto-close daily at 02:00 once a batch has been complete for 3 days
JOB_EVERY, REMIND_OFFSET, ESCALATE_OFFSET = 300, 0, 60
AUTO_CLOSE_HOUR, AUTO_CLOSE_DAYS = 2, 3
OLD_DAYS = 30  # batches issued longer ago than this are closed
FORM_VARIANTS = 48  # validated feedbacks per category, shared by its items


# --------------------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class SizeSpec:
    """How many batches and requested targets a year has, for a registry of ``reference_targets``
    (people + houses + establishments); a smaller registry scales the item counts down."""

    batches: int
    items: int
    reference_targets: int
    #: working days back (0 = the last working day) of batches placed so the dashboards show live work
    live_days: tuple[int, ...]
    requested: int  # department requests waiting for the centre's review now


SIZES = {
    "small": SizeSpec(20, 500, 2_640, (0, 2, 7), 1),
    "demo": SizeSpec(495, 73_133, 132_000, (0, 0, 1, 2, 4, 6, 9), 2),
}
LIVE_STUCK = 0.04  # share of live batches' items not done yet (overdue once past their deadline)


@dataclass(frozen=True)
class CategoryPlan:
    """How a category appears in the year: share of batches, relative batch size, target kinds
    ("kind share, …"), requesters ("centre" or a department's code suffix, with shares), the share of
    batches aimed at one station, titles (separated by 、) and requirements."""

    code: str
    batch_share: float
    size_factor: float
    kinds_text: str
    requesters_text: str
    station_scoped: float
    titles_text: str
    requirements: str
    fixed_size: tuple[int, int] | None = None

    @staticmethod
    def _shares(text: str) -> tuple[tuple[str, float], ...]:
        pairs = (part.split() for part in text.split(","))
        return tuple((name, float(share)) for name, share in pairs)

    @property
    def kinds(self) -> tuple[tuple[str, float], ...]:
        return self._shares(self.kinds_text)

    @property
    def requesters(self) -> tuple[tuple[str, float], ...]:
        return tuple(("" if name == "centre" else name, share) for name, share in self._shares(self.requesters_text))

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(self.titles_text.split("、"))


PLANS: tuple[CategoryPlan, ...] = (
    CategoryPlan(
        "population", 0.28, 1.6, "person 0.75, house 0.2, address 0.05", "centre 0.55, ZA 0.35, XZ 0.1", 0.25,
        "出租房屋流动人口核查、新增实有人口信息核查、人户分离人员核查、户籍信息比对差异核查、重点地区人口底数核查",
        "逐户上门核实居住人员，信息有误的当场更正，人员搬离的注明去向。",
    ),
    CategoryPlan(
        "venue", 0.17, 1.3, "establishment 0.9, address 0.1", "centre 0.5, ZA 0.4, WA 0.1", 0.25,
        "旅馆业治安检查、网吧未成年人进入专项检查、娱乐场所治安检查、寄递物流业实名制检查、废旧金属收购业检查",
        "检查登记制度落实、消防设施和未成年人保护情况，发现隐患的拍照并注明类型。",
    ),
    CategoryPlan(
        "dispute", 0.14, 0.9, "person 0.5, house 0.3, location 0.2", "centre 0.8, ZA 0.2", 0.6,
        "邻里纠纷排查核实、婚恋家庭矛盾排查、土地承包纠纷核查、劳资纠纷风险排查、重复来电纠纷回访核查",
        "见面核实纠纷现状，评估风险等级，需镇街处置的注明移交情况。",
    ),
    CategoryPlan(
        "publicity", 0.11, 1.0, "house 0.55, establishment 0.2, address 0.15, location 0.1", "centre 0.4, FZ 0.6", 0.3,
        "反诈宣传进社区、国家反诈中心APP推广、反诈宣传进商户、养老诈骗防范宣传",
        "上门发放宣传材料，指导安装国家反诈中心APP，拍摄宣传现场照片。",
    ),
    CategoryPlan(
        "unit_supervision", 0.08, 0.9, "establishment 1", "centre 0.7, ZA 0.3", 0.3,
        "单位内部安全检查、重点单位消防安全检查、学校及周边安全检查、危爆物品单位检查",
        "检查单位内部安全防范制度和设施，发现问题的限期整改。",
    ),
    CategoryPlan(
        "visit", 0.05, 0.5, "person 0.5, house 0.3, establishment 0.2", "centre 0.7, ZA 0.3", 0.6,
        "社区走访、重点人员走访、空巢独居老人走访",
        "见面走访，了解近况和诉求，记录走访情况。",
    ),
    CategoryPlan(
        "hazard", 0.04, 0.4, "house 0.5, establishment 0.4, location 0.1", "centre 0.6, ZA 0.3, TJ 0.1", 0.6,
        "电动自行车充电隐患整改复查、消防通道堵塞整改复查、群租房安全隐患整改",
        "复查隐患整改情况，拍摄整改后照片，无法整改的上报。",
    ),
    CategoryPlan(
        "model_check", 0.06, 0.4, "person 0.7, house 0.3", "centre 1", 0.2,
        "疑似新增入住模型核查、疑似群租房模型核查、疑似搬离模型核查",
        "核实模型推送线索是否属实，写明核查过程。",
    ),
    CategoryPlan(
        "anti_fraud", 0.04, 0.0, "person 0.8, house 0.2", "FZ 0.9, centre 0.1", 1.0,
        "预警劝阻：疑似刷单返利诈骗、预警劝阻：疑似冒充客服诈骗、预警劝阻：疑似投资理财诈骗",
        "1小时内见面或电话劝阻，已转账的立即止付并报告。",
        fixed_size=(1, 4),
    ),
)  # fmt: skip

REMARKS = {
    "population": "经上门核实，居住人员与登记一致、承租人已搬离，已注销居住登记、新增居住人员已补录",
    "venue": "登记制度落实到位、消防器材过期，已要求更换、现场检查未发现问题",
    "dispute": "双方已达成调解协议、已联合社区调解，持续关注、已移交镇街矛盾调解中心、经核实不属实",
    "anti_fraud": "已见面劝阻，当事人表示不再转账、电话劝阻成功、已协调银行止付",
    "unit_supervision": "内部安全制度健全、监控设备故障，已限期整改",
    "visit": "见面走访，情况稳定，无诉求、老人身体状况良好，已留联系方式、家属在家，了解近况",
    "hazard": "已整改到位，复查合格、正在整改，约定三日后复查、需房东配合，已上报社区",
    "model_check": "实地核查属实，已登记新增人员、经核查不属实，房屋空置、部分属实，已更新信息",
}
GENERIC_REMARKS = "已按要求核查完毕、情况属实，已处理"
NUMBER_RANGES = {"residents_now": (1, 8), "people_reached": (3, 80)}
PLACES = ("集贸市场门口", "村委会广场", "河道东岸", "公交站台", "小区南门", "学校门口", "工地临时板房")
RETURN_REASONS = ("不属于本所辖区", "地址定位有误，实属相邻派出所辖区", "目标已迁至外所辖区")
REWORK_REASONS = ("反馈内容不完整，请补充情况说明", "现场照片不清晰，请重新拍摄", "核查结果与系统信息不符，请再次核实")
CANCEL_REASONS = ("目标已注销", "重复下发，撤销")
EVENT_KINDS = {
    "sign": "instruction.signed",
    "assign": "instruction.assigned",
    "return": "instruction.returned",
    "reroute": "instruction.rerouted",
    "start": "instruction.started",
    "feed_back": "instruction.fed_back",
    "rework": "instruction.rework",
    "approve": "instruction.approved",
    "cancel": "instruction.cancelled",
    "close": "instruction.closed",
}
S = ItemStatus
STATUS_AFTER = {
    "sign": S.SIGNED,
    "return": S.RETURNED,
    "reroute": S.ISSUED,
    "start": S.IN_PROGRESS,
    "feed_back": S.FED_BACK,
    "rework": S.REWORK,
    "approve": S.APPROVED,
    "cancel": S.CANCELLED,
    "close": S.CLOSED,
}


# --------------------------------------------------------------------------------------- world


@dataclass
class World:
    """What the year is played on: the centre, departments, each station's command room, heads and
    officers, each district's default officer, and the registry's targets by kind and station."""

    centre_unit: int
    centre_user: int
    departments: dict[str, tuple[int, int | None]]  # code suffix → (unit, a user who may request)
    signers: dict[int, list[int]]  # station → command-room users (sign for, assign, return, review)
    heads: dict[int, list[int]]  # station → station heads (also review)
    officers: dict[int, list[int]]  # station → users who work instructions inside it
    district_officers: dict[int, list[int]]
    default_officer: dict[int, int]  # district → officer sign-for assigns to
    district_station: dict[int, int]
    district_xy: dict[int, tuple[float, float]]
    grid_xy: dict[int, list[tuple[float, float]]]  # station → grid centroids (free locations)
    pools: dict[str, dict[int, list[int]]]  # kind → station → target ids

    @property
    def stations(self) -> list[int]:
        return sorted(self.signers)

    def target_count(self) -> int:
        kinds = (TargetKind.PERSON, TargetKind.HOUSE, TargetKind.ESTABLISHMENT)
        return sum(len(ids) for kind in kinds for ids in self.pools.get(kind, {}).values())


# --------------------------------------------------------------------------------------- clock


class Clock:
    """Local days, working days and office hours as whole epoch seconds (the calendar's days)."""

    def __init__(self, first: dt.date, last: dt.date, tz: dt.tzinfo) -> None:
        calendar = current_calendar()
        count = (last - first).days + 1
        dates = [first + dt.timedelta(days=k) for k in range(count)]
        self.midnights = [int(dt.datetime.combine(d, dt.time(), tzinfo=tz).timestamp()) for d in dates]
        self.working = [k for k, d in enumerate(dates) if calendar.is_working_day(d)]
        #: for every day, the position in ``working`` of the first working day on or after it
        self.next_working: list[int] = []
        position = 0
        for k in range(count):
            while position < len(self.working) and self.working[position] < k:
                position += 1
            self.next_working.append(position)

    def day(self, moment: float) -> int:
        return bisect_right(self.midnights, moment) - 1

    def at(self, day: int, hours: float) -> int:
        return self.midnights[day] + int(hours * HOUR)

    def working_at(self, position: int, hours: float) -> int:
        return self.at(self.working[position], hours)

    def within(self, moment: int, start: float, end: float, rng: random.Random) -> int:
        """``moment`` if its local hour is in [start, end), else the next such day's ``start`` and a bit."""
        day = self.day(moment)
        hour = (moment - self.midnights[day]) / HOUR
        if start <= hour < end:
            return moment
        return self.at(day + (1 if hour >= end else 0), start + rng.random() * 1.5)


def _slot_after(moment: float, offset: int) -> int:
    """The first run of a 5-minute job strictly after ``moment``."""
    return (math.floor((moment - offset) / JOB_EVERY) + 1) * JOB_EVERY + offset


def _slot_from(moment: float, offset: int) -> int:
    """The first run of a 5-minute job at or after ``moment``."""
    return math.ceil((moment - offset) / JOB_EVERY) * JOB_EVERY + offset


# --------------------------------------------------------------------------------------- plan

Step = tuple[int, str, int | None, dict[str, Any]]  # (at, transition, actor, details)


@dataclass
class PlannedBatch:
    index: int
    category: str
    title: str
    requirements: str
    status: str
    requesting_unit: int | None
    created_by: int | None
    created_at: int
    issued_at: int | None
    deadline: dt.datetime | None = None  # the category rule's deadline of its items (not stored)
    closed_at: int | None = None
    pk: int | None = None


@dataclass
class PlannedItem:
    index: int
    batch: int
    category: str
    kind: str
    target_id: int | None
    label: str
    lon: float | None
    lat: float | None
    station: int
    district: int | None
    owner: int
    deadline: dt.datetime
    issued: int
    steps: list[Step] = field(default_factory=list)
    end: float = NEVER  # approved or cancelled by ``now``: from then on it takes no merges
    # the state at ``now`` (filled by ``_settle``)
    status: str = ItemStatus.ISSUED
    assignee: int | None = None
    signed_at: int | None = None
    signed_by: int | None = None
    fed_back_at: int | None = None
    fed_back_by: int | None = None
    reviewed_at: int | None = None
    reviewed_by: int | None = None
    closed_at: int | None = None
    return_reason: str = ""
    returned_count: int = 0
    rework_count: int = 0
    feedback: dict[str, Any] = field(default_factory=dict)
    feedback_lon: float | None = None
    feedback_lat: float | None = None
    feedback_accuracy_m: float | None = None
    escalation_level: int = 0
    reminded_at: int | None = None
    photos: list[tuple[int, int | None, bool]] = field(default_factory=list)  # (uploaded, by, submitted)
    pk: int | None = None

    @property
    def open_key(self) -> str | None:
        return open_key(self.category, self.kind, self.target_id) if self.status in OPEN_STATUSES else None


@dataclass
class PlannedMembership:
    batch: int
    item: int | None
    kind: str
    target_id: int | None
    lon: float | None
    lat: float | None
    label: str
    merged: bool
    requested_deadline: dt.datetime | None


@dataclass
class PlannedEvent:
    at: int
    seq: int
    kind: str
    actor: int | None
    owner: int | None
    item: int
    data: dict[str, Any]
    batch: int | None = None  # issued/merged: the batch index, written into data as its id


@dataclass
class YearPlan:
    """The generated year: rows to write, by list index (ids are given when written)."""

    now: dt.datetime
    size: str
    batches: list[PlannedBatch]
    items: list[PlannedItem]
    memberships: list[PlannedMembership]
    events: list[PlannedEvent]

    def counts(self) -> dict[str, int]:
        statuses = Counter(i.status for i in self.items)
        return {
            "batches": len(self.batches),
            "closed batches": sum(b.status == BatchStatus.CLOSED for b in self.batches),
            "items": len(self.items),
            "memberships": len(self.memberships),
            "merged": sum(m.merged for m in self.memberships),
            "open items": sum(statuses[s] for s in OPEN_STATUSES),
            "overdue now": sum(i.status in OWED_STATUSES and i.deadline < self.now for i in self.items),
            "events": len(self.events),
        }


@dataclass(frozen=True)
class Target:
    """A requested target: a registry object, or a free location with a label."""

    kind: str
    target_id: int | None
    lon: float | None = None
    lat: float | None = None
    label: str = ""


@dataclass
class _Skeleton:
    batch: PlannedBatch
    plan: CategoryPlan
    station: int | None  # a batch for one station, or county-wide
    targets: list[Target]
    weight: float
    merge_share: float  # share of a department's request aimed at items already open


class YearGenerator:
    """Plans the year: batches, their targets, and every item's steps up to ``now``."""

    def __init__(self, world: World, *, size: str, seed: int, now: dt.datetime) -> None:
        if size not in SIZES:
            raise ValueError(f"unknown instruction demo size {size!r}; choose one of {', '.join(SIZES)}")
        self.world, self.size, self.spec = world, size, SIZES[size]
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.now_dt = now.replace(microsecond=0)
        self.now = int(self.now_dt.timestamp())
        today = timezone.localdate(self.now_dt)
        tz = timezone.get_current_timezone()
        self.clock = Clock(today - dt.timedelta(days=400), today + dt.timedelta(days=200), tz)
        configured = categories()
        self.categories = {p.code: configured[p.code] for p in PLANS if p.code in configured}
        self.plans = [p for p in PLANS if p.code in self.categories]
        self.items: list[PlannedItem] = []
        self.memberships: list[PlannedMembership] = []
        self.events: list[PlannedEvent] = []
        self.live_from = self.now
        self.pending_return: int | None = None
        self._clocks: dict[tuple[str, dt.datetime], tuple[list[float], float | None]] = {}
        self._forms: dict[str, list[dict[str, Any]]] = {}
        self._payloads: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._seq = 0
        self._county = {
            kind: [pk for station in world.stations for pk in by_station.get(station, [])]
            for kind, by_station in world.pools.items()
        }

    def _int(self, low: int, high: int) -> int:
        """A whole number in [low, high] (``randint`` is several times slower on this hot path)."""
        return low + int(self.rng.random() * (high - low + 1))

    # ---- batches ------------------------------------------------------------------------------

    def _issue_moments(self) -> list[int]:
        """Office hours of working days in the year before now; the last few on fixed recent days."""
        clock, rng = self.clock, self.rng
        first = clock.next_working[clock.day(self.now - 365 * DAY)]
        last = clock.next_working[clock.day(self.now) + 1] - 1  # the last working day up to today
        live = [last - back for back in self.spec.live_days if last - back >= first]
        self.live_from = clock.working_at(min(live, default=last), 0)
        days = [self._int(first, max(first, last - 1)) for _ in range(self.spec.batches - len(live))] + live
        moments = []
        for position in days:
            moment = self.now
            for _attempt in range(20):
                hours = rng.uniform(8.5, 11.75) if rng.random() < 0.55 else rng.uniform(14.0, 17.5)
                moment = clock.working_at(position, hours)
                if moment < self.now - 1800:
                    break
            if moment >= self.now - 1800:  # today before office hours: the day before, in the afternoon
                moment = clock.working_at(position - 1, rng.uniform(14.0, 17.5))
            moments.append(moment)
        return sorted(moments)

    def _allocate(self, count: int) -> list[CategoryPlan]:
        """Categories by share (largest remainder), shuffled over the year."""
        total = sum(p.batch_share for p in self.plans)
        exact = [count * p.batch_share / total for p in self.plans]
        chosen = [int(x) for x in exact]
        order = sorted(range(len(exact)), key=lambda k: exact[k] - chosen[k], reverse=True)
        for k in order[: count - sum(chosen)]:
            chosen[k] += 1
        result = [p for p, n in zip(self.plans, chosen, strict=True) for _ in range(n)]
        self.rng.shuffle(result)
        return result

    def _skeletons(self) -> list[_Skeleton]:
        rng, world = self.rng, self.world
        moments = self._issue_moments()
        plans = self._allocate(len(moments))
        scale = min(1.0, world.target_count() / self.spec.reference_targets)
        fixed = [self._int(*p.fixed_size) if p.fixed_size else 0 for p in plans]
        weights = [p.size_factor * rng.lognormvariate(0, 0.8) if not p.fixed_size else 0.0 for p in plans]
        wanted = round(self.spec.items * scale)
        budget = max(0, wanted - sum(fixed))
        total_weight = sum(weights) or 1.0
        skeletons = []
        for index, (moment, plan) in enumerate(zip(moments, plans, strict=True)):
            size = fixed[index] or max(1, round(budget * weights[index] / total_weight))
            requester = rng.choices([r for r, _w in plan.requesters], [w for _r, w in plan.requesters])[0]
            department = world.departments.get(requester) if requester else None
            station = rng.choice(world.stations) if rng.random() < plan.station_scoped else None
            lead = rng.uniform(0.5, 20) * HOUR if department else rng.uniform(5, 90) * 60
            month = timezone.localtime(dt.datetime.fromtimestamp(moment, dt.UTC)).month
            batch = PlannedBatch(
                index=index,
                category=plan.code,
                title=f"{rng.choice(plan.titles)}（{month}月）",
                requirements=plan.requirements,
                status=BatchStatus.ISSUED,
                requesting_unit=department[0] if department else None,
                created_by=department[1] if department else world.centre_user,
                created_at=int(moment - lead),
                issued_at=moment,
            )
            share = rng.uniform(0.1, 0.35) if department else 0.0
            targets = self._pick_targets(plan, station, size)
            skeletons.append(_Skeleton(batch, plan, station, targets, weights[index], share))
        self._top_up(skeletons, wanted)
        self._follow_up(skeletons)
        return skeletons

    def _top_up(self, skeletons: list[_Skeleton], wanted: int) -> None:
        """Batches for one station are capped by its registry: the county-wide ones take the rest."""
        missing = wanted - sum(len(s.targets) for s in skeletons)
        wide = [s for s in skeletons if s.station is None and s.weight]
        total = sum(s.weight for s in wide)
        for skeleton in wide if missing > 0 else ():
            have = {(t.kind, t.target_id) for t in skeleton.targets}
            extra = self._pick_targets(skeleton.plan, None, round(missing * skeleton.weight / total))
            skeleton.targets.extend(t for t in extra if t.target_id is None or (t.kind, t.target_id) not in have)

    def _follow_up(self, skeletons: list[_Skeleton]) -> None:
        """The latest batch: a department's request following up a recent batch of the same category,
        so the live work shows a merge (both requesters see the result) at every size."""
        if len(skeletons) < 2:
            return
        last = skeletons[-1]
        for earlier in reversed(skeletons[-6:-1]):
            plan = earlier.plan
            requesters = [r for r, _w in plan.requesters if r and r in self.world.departments]
            if plan.fixed_size or not requesters:
                continue
            unit, user = self.world.departments[requesters[0]]
            batch = last.batch
            batch.category, batch.title, batch.requirements = (
                plan.code,
                f"{earlier.batch.title}（补充）",
                plan.requirements,
            )
            batch.requesting_unit, batch.created_by = unit, user
            last.plan, last.station, last.merge_share = plan, earlier.station, 0.5
            last.targets = self._pick_targets(plan, earlier.station, max(3, len(earlier.targets) // 3))
            return

    def _pick_targets(self, plan: CategoryPlan, station: int | None, size: int) -> list[Target]:
        rng, world = self.rng, self.world
        allowed = [(k, w) for k, w in plan.kinds if k in self.categories[plan.code].targets]
        counts = Counter(rng.choices([k for k, _w in allowed], [w for _k, w in allowed], k=size))
        picked: list[Target] = []
        for kind in sorted(counts):
            if kind == TargetKind.LOCATION:
                stations = [station] if station is not None else world.stations
                spots = [xy for s in stations for xy in world.grid_xy.get(s, [])]
                for _ in range(counts[kind] if spots else 0):
                    lon, lat = rng.choice(spots)
                    jitter_lon, jitter_lat = rng.gauss(0, 0.0006), rng.gauss(0, 0.0006)
                    picked.append(Target(kind, None, lon + jitter_lon, lat + jitter_lat, rng.choice(PLACES)))
                continue
            pool = self._county.get(kind, []) if station is None else world.pools.get(kind, {}).get(station, [])
            picked.extend(Target(kind, pk) for pk in rng.sample(pool, min(counts[kind], len(pool))))
        rng.shuffle(picked)
        return picked

    # ---- one item -----------------------------------------------------------------------------

    def _clocks_of(self, category: Category, deadline: dt.datetime) -> tuple[list[float], float | None]:
        """(escalation level starts, reminder start) of a deadline as epoch seconds (cached)."""
        key = (category.code, deadline)
        if key not in self._clocks:
            starts = [m.timestamp() for m in escalation_starts(category, deadline)]
            remind = remind_from(category, deadline)
            self._clocks[key] = (starts, remind.timestamp() if remind else None)
        return self._clocks[key]

    def _sign_delay(self, category: Category) -> int:
        rng = self.rng
        if category.deadline_unit == "hours":
            return self._int(60, 480)
        if rng.random() < 0.04:  # a few late
            return int(rng.uniform(8, 30) * HOUR)
        return int(min(6 * HOUR, max(60, rng.lognormvariate(math.log(30 * 60), 1.0))))

    def _review(self, moment: int) -> int:
        delay = min(30 * HOUR, max(600, self.rng.lognormvariate(math.log(2.5 * HOUR), 1.0)))
        return self.clock.within(int(moment + delay), 8.0, 22.0, self.rng)

    def _feedback_time(self, category: Category, item: PlannedItem, start: int, on_time: bool) -> int:
        rng, clock = self.rng, self.clock
        due = item.deadline.timestamp()
        if category.deadline_unit == "hours":
            if on_time and due - start > 600:
                return start + self._int(300, int(min(2700, due - start - 60)))
            return int(due) + self._int(300, 9000)
        first = clock.next_working[clock.day(start)]
        last = clock.next_working[clock.day(due) + 1] - 1
        if on_time:
            if last >= first:
                position = first + min(last - first, int((last - first + 1) * rng.betavariate(1.3, 2.2)))
                moment = clock.working_at(position, rng.uniform(8.0, 20.5))
                if moment <= start + 900:
                    moment = start + self._int(900, 4 * HOUR)
                if moment < due:
                    return moment
            if due - start > 1200:
                return start + int((due - start) * rng.uniform(0.3, 0.95))
        lateness = rng.choices((1, 2, 3, 4), (0.6, 0.25, 0.1, 0.05))[0]
        moment = clock.working_at(max(last, first - 1) + lateness, rng.uniform(8.0, 20.0))
        moment = min(moment, max(int(due) + HOUR, item.issued + 24 * DAY))  # old batches close within a month
        return max(moment, int(due) + 300, start + 900)

    def _form(self, category: Category) -> dict[str, Any]:
        """A valid feedback for the category's form: one of a few variants made and checked by
        ``validate_feedback`` once (items share them)."""
        variants = self._forms.get(category.code)
        if variants is None:
            variants = self._forms[category.code] = [self._new_form(category) for _ in range(FORM_VARIANTS)]
        return variants[int(self.rng.random() * len(variants))]

    def _new_form(self, category: Category) -> dict[str, Any]:
        rng = self.rng
        data: dict[str, Any] = {}
        finding = False
        for f in category.form:
            if not f.required and rng.random() < 0.5 and not (f.type == "multichoice" and finding):
                continue
            if f.type == "choice":
                value = f.options[0] if rng.random() < 0.75 or len(f.options) == 1 else rng.choice(f.options[1:])
                finding = finding or value != f.options[0]
                data[f.name] = value
            elif f.type == "multichoice":
                data[f.name] = rng.sample(list(f.options), min(len(f.options), rng.choice((1, 1, 2))))
            elif f.type == "number":
                data[f.name] = self._int(*NUMBER_RANGES.get(f.name, (1, 20)))
            elif f.type == "bool":
                data[f.name] = rng.random() < 0.8
            elif f.type == "date":
                data[f.name] = timezone.localdate(self.now_dt).isoformat()
            else:
                data[f.name] = rng.choice(REMARKS.get(category.code, GENERIC_REMARKS).split("、"))
        cleaned, errors = validate_feedback(category, data)
        if errors:
            raise ValueError(f"demo feedback for {category.code} is not valid: {errors}")
        return cleaned

    def _point(self, item: PlannedItem, district: int | None) -> tuple[float, float] | None:
        """Where the officer stands: the target's point, else the district's centre."""
        if item.lon is not None and item.lat is not None:
            return item.lon, item.lat
        return self.world.district_xy.get(district or 0)

    def _feedback_details(self, category: Category, item: PlannedItem, district: int | None) -> dict[str, Any]:
        rng = self.rng
        point = self._point(item, district)
        located = point is not None and (category.location or rng.random() < 0.5)
        return {
            "feedback": self._form(category),
            "lon": round(point[0] + rng.gauss(0, 0.0002), 6) if point and located else None,
            "lat": round(point[1] + rng.gauss(0, 0.0002), 6) if point and located else None,
            "accuracy": float(self._int(5, 35)) if located else None,
        }

    def _nearest_other_district(self, item: PlannedItem) -> int | None:
        """Where a misrouted item really belongs: the nearest district of another station."""
        here = self._point(item, item.district)
        if here is None:
            return None
        best, best_distance = None, NEVER
        for district, (lon, lat) in self.world.district_xy.items():
            if self.world.district_station[district] == item.station:
                continue
            distance = (lon - here[0]) ** 2 + (lat - here[1]) ** 2
            if distance < best_distance:
                best, best_distance = district, distance
        return best

    def _other_officer(self, station: int, district: int | None, current: int | None) -> int | None:
        same = [o for o in self.world.district_officers.get(district or 0, []) if o != current]
        others = [o for o in self.world.officers.get(station, []) if o != current]
        choices = same or others
        return self.rng.choice(choices) if choices else None

    def _reviewer(self, station: int) -> int:
        heads = self.world.heads.get(station, [])
        if heads and self.rng.random() < 0.2:
            return self.rng.choice(heads)
        return self.rng.choice(self.world.signers[station])

    def _plan_item(self, item: PlannedItem, signed: tuple[int, int], *, stuck: bool, misrouted: bool) -> None:
        """The item's steps from sign-for to approval (steps after now are cut off later). ``stuck``:
        live work not done yet; ``misrouted``: returned to the centre, which has not rerouted it yet."""
        rng, world, category = self.rng, self.world, self.categories[item.category]
        centre, steps = world.centre_user, item.steps
        station, district = item.station, item.district
        sign_at, signer = signed
        officer = world.default_officer.get(district or 0)
        steps.append((sign_at, "sign", signer, {"assignee": officer}))
        if rng.random() < 0.003 and not misrouted:  # withdrawn by the centre before the work was done
            cancelled = item.issued + self._int(2 * HOUR, 3 * DAY)
            if sign_at >= cancelled:
                steps.clear()
            steps.append((cancelled, "cancel", centre, {"reason": rng.choice(CANCEL_REASONS)}))
            self._finish_steps(item)
            return
        if category.deadline_unit != "hours" and (misrouted or rng.random() < 0.012):  # back to the centre
            target = self._nearest_other_district(item)
            if target is not None:
                returned = sign_at + self._int(600, 5 * HOUR)
                if misrouted and sign_at < self.now - 1200:
                    returned = min(returned, self.now - 600)
                steps.append((returned, "return", signer, {"reason": rng.choice(RETURN_REASONS)}))
                rerouted = self.clock.within(returned + self._int(1200, 6 * HOUR), 8.0, 20.0, rng)
                if misrouted:
                    rerouted = max(rerouted, self.now + self._int(HOUR, 3 * HOUR))
                station, district = world.district_station[target], target
                steps.append((rerouted, "reroute", centre, {"station": station, "district": district}))
                signer = rng.choice(world.signers[station])
                sign_at = rerouted + self._sign_delay(category)
                officer = world.default_officer.get(district)
                steps.append((sign_at, "sign", signer, {"assignee": officer}))
        worker, work_from = officer, sign_at
        if officer is None or rng.random() < 0.06:  # the command room gives it to another officer
            other = self._other_officer(station, district, officer)
            if other is not None:
                work_from = sign_at + self._int(180, 5400)
                steps.append((work_from, "assign", signer, {"assignee": other}))
                worker = other
        if worker is None:
            self._finish_steps(item)
            return  # nobody can work it: it stays signed
        on_time = rng.random() < (0.94 if category.deadline_unit != "hours" else 0.9)
        fed_back = self._feedback_time(category, item, work_from, on_time)
        if stuck:  # live work not done yet
            fed_back = max(fed_back, self.now + self._int(HOUR, 3 * DAY))
        count = category.photos + rng.choice((0, 0, 1)) if category.photos else 0
        photos = sorted(max(fed_back - self._int(120, 2400), work_from + 120 + k) for k in range(count))
        if rng.random() < 0.4:
            latest = min([fed_back, *photos]) - 60
            earliest = max(work_from + 60, latest - 26 * HOUR)
            if earliest < latest:
                steps.append((self._int(earliest, latest), "start", worker, {}))
        steps.extend((p, "photo", worker, {}) for p in photos)
        details = self._feedback_details(category, item, district)
        steps.append((fed_back, "feed_back", worker, {**details, "photos": len(photos)}))
        if rng.random() < 0.03:  # returned for rework, fed back again
            rework = self._review(fed_back)
            steps.append((rework, "rework", self._reviewer(station), {"reason": rng.choice(REWORK_REASONS)}))
            fed_back = self.clock.within(rework + self._int(HOUR, 20 * HOUR), 8.0, 21.0, rng)
            details = self._feedback_details(category, item, district)
            steps.append((fed_back, "feed_back", worker, {**details, "photos": len(photos)}))
        steps.append((self._review(fed_back), "approve", self._reviewer(station), {}))
        self._finish_steps(item)

    def _finish_steps(self, item: PlannedItem) -> None:
        """Steps in time order, strictly increasing (so the events have one order), and the moment the
        item stopped taking merges (approved or cancelled by now)."""
        steps = sorted(item.steps, key=lambda s: s[0])
        last = item.issued
        for k, (at, name, actor, info) in enumerate(steps):
            if at <= last:
                steps[k] = (last + 1, name, actor, info)
            last = steps[k][0]
        item.steps = steps
        ends = [at for at, name, _a, _i in steps if name in ("approve", "cancel") and at <= self.now]
        item.end = ends[-1] if ends else NEVER

    def _event(
        self,
        at: int,
        kind: str,
        actor: int | None,
        owner: int | None,
        item: int,
        data: dict[str, Any],
        batch: int | None = None,
    ) -> None:
        self._seq += 1
        self.events.append(PlannedEvent(at, self._seq, kind, actor, owner, item, data, batch))

    # ---- the year -----------------------------------------------------------------------------

    def generate(self) -> YearPlan:
        skeletons = self._skeletons()
        wanted = {(t.kind, t.target_id, t.lon, t.lat, t.label) for s in skeletons for t in s.targets}
        refs = sorted(wanted, key=lambda r: (r[0], r[1] or 0, r[2] or 0.0, r[3] or 0.0, r[4]))
        routes = dict(zip(refs, route_targets([TargetRef(*r) for r in refs]), strict=True))
        open_items: dict[str, PlannedItem] = {}
        recent: dict[str, list[PlannedItem]] = defaultdict(list)
        # the latest batch issued more than 8 hours ago has an item back at the centre, not yet rerouted
        earlier = [s.batch.issued_at or 0 for s in skeletons if (s.batch.issued_at or 0) < self.now - 8 * HOUR]
        self.pending_return = max(earlier, default=None)
        batches: list[PlannedBatch] = []
        for skeleton in skeletons:
            batch = skeleton.batch
            assert batch.issued_at is not None
            batch.deadline, _approximate = due_at(self.categories[batch.category], self._aware(batch.issued_at))
            targets = [
                t for t in skeleton.targets if _routable(routes.get((t.kind, t.target_id, t.lon, t.lat, t.label)))
            ]
            joined = self._merge_picks(skeleton, recent[batch.category], batch.issued_at, len(targets))
            targets = joined + targets[: max(0, len(targets) - len(joined))]
            if not targets:
                continue
            batch.index = len(batches)  # items, memberships and events point at this position
            batches.append(batch)
            self._issue(batch, targets, routes, open_items, recent[batch.category])
        batches.extend(self._requests(len(batches)))
        self._close(batches)
        for item in self.items:
            self._settle(item)
        self.events.sort(key=lambda e: (e.at, e.seq))
        return YearPlan(self.now_dt, self.size, batches, self.items, self.memberships, self.events)

    @staticmethod
    def _aware(moment: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(moment, dt.UTC)

    def _merge_picks(self, skeleton: _Skeleton, recent: list[PlannedItem], moment: int, size: int) -> list[Target]:
        """A department's request aimed partly at items still open (so it merges into them)."""
        if not skeleton.merge_share:
            return []
        candidates = [
            i
            for i in recent[-3000:]
            if i.issued <= moment < i.end
            and i.kind != TargetKind.LOCATION
            and (skeleton.station is None or i.station == skeleton.station)
        ]
        count = min(len(candidates), round(size * skeleton.merge_share))
        return [Target(i.kind, i.target_id) for i in self.rng.sample(candidates, count)]

    def _issue(
        self,
        batch: PlannedBatch,
        targets: list[Target],
        routes: dict[tuple[Any, ...], Route | None],
        open_items: dict[str, PlannedItem],
        recent: list[PlannedItem],
    ) -> None:
        """``issue_batch`` in the plan: route, merge into open items, one membership per item."""
        moment, deadline = batch.issued_at, batch.deadline
        assert moment is not None and deadline is not None
        category = self.categories[batch.category]
        live = moment >= self.live_from
        signed: dict[int, tuple[int, int]] = {}
        used: set[int] = set()
        for target in targets:
            route = routes.get((target.kind, target.target_id, target.lon, target.lat, target.label))
            if route is None or route.station_id is None:
                continue
            merge_key = open_key(batch.category, target.kind, target.target_id)
            existing = open_items.get(merge_key) if merge_key else None
            merged = existing is not None and existing.end > moment
            if existing is not None and merged:
                if existing.index in used:  # two targets of this batch on one open item
                    continue
                item = existing
            else:
                item = self._new_item(batch, target, route)
                if merge_key:
                    open_items[merge_key] = item
                recent.append(item)
            used.add(item.index)
            self.memberships.append(
                PlannedMembership(
                    batch.index, item.index, target.kind, target.target_id, target.lon, target.lat, target.label,
                    merged, deadline,
                )
            )  # fmt: skip
            kind = "instruction.merged" if merged else "instruction.issued"
            self._event(moment, kind, self.world.centre_user, route.owner_unit_id, item.index, {}, batch.index)
            if merged:
                continue
            if item.station not in signed:  # the command room signs for its station's share at once
                signer = self.rng.choice(self.world.signers[item.station])
                signed[item.station] = (moment + self._sign_delay(category), signer)
            stuck = live and (self.rng.random() < LIVE_STUCK or len(used) == 1)
            misrouted = moment == self.pending_return and len(used) == 2
            self._plan_item(item, signed[item.station], stuck=stuck and not misrouted, misrouted=misrouted)

    def _new_item(self, batch: PlannedBatch, target: Target, route: Route) -> PlannedItem:
        assert batch.deadline is not None and batch.issued_at is not None and route.station_id is not None
        item = PlannedItem(
            index=len(self.items),
            batch=batch.index,
            category=batch.category,
            kind=target.kind,
            target_id=target.target_id,
            label=(route.label or target.label)[:255],
            lon=route.lon,
            lat=route.lat,
            station=route.station_id,
            district=route.district_id,
            owner=route.owner_unit_id or route.district_id or route.station_id,
            deadline=batch.deadline,
            issued=batch.issued_at,
        )
        self.items.append(item)
        return item

    def _requests(self, first_index: int) -> list[PlannedBatch]:
        """Department requests waiting for the centre's review now (memberships without items)."""
        requesters = [d for _code, d in sorted(self.world.departments.items()) if d[1] is not None]
        plans = {p.code: p for p in self.plans}
        result = []
        for k in range(self.spec.requested if requesters else 0):
            unit, user = requesters[k % len(requesters)]
            plan = plans.get(("population", "venue")[k % 2]) or self.plans[0]
            batch = PlannedBatch(
                index=first_index + k,
                category=plan.code,
                title=f"{self.rng.choice(plan.titles)}（请求）",
                requirements=plan.requirements,
                status=BatchStatus.REQUESTED,
                requesting_unit=unit,
                created_by=user,
                created_at=self.now - self._int(20 * 60, 5 * HOUR),
                issued_at=None,
            )
            for t in self._pick_targets(plan, None, self._int(5, 30)):
                self.memberships.append(
                    PlannedMembership(batch.index, None, t.kind, t.target_id, t.lon, t.lat, t.label, False, None)
                )
            result.append(batch)
        return result

    def _close(self, batches: list[PlannedBatch]) -> None:
        """Close the batches whose every item was approved or cancelled: by the centre (an event per
        item it closes) or by the daily auto-close rule (no item events, as ``closing`` does). An item
        of several batches is closed with the first of them."""
        members: dict[int, list[int]] = defaultdict(list)
        for m in self.memberships:
            if m.item is not None:
                members[m.batch].append(m.item)
        closers: dict[int, tuple[int, bool]] = {}
        for batch in batches:
            if batch.status != BatchStatus.ISSUED or batch.issued_at is None:
                continue
            ends = [self.items[i].end for i in members[batch.index]]
            if not ends or max(ends) == NEVER:
                continue
            complete = int(max(ends))
            auto = self._auto_close_after(max(complete, batch.issued_at) + AUTO_CLOSE_DAYS * DAY)
            old = batch.issued_at < self.now - OLD_DAYS * DAY
            manual = self.clock.within(complete + self._int(1200, 6 * HOUR), 8.0, 20.0, self.rng)
            by_centre = manual < auto and (self.rng.random() < 0.4 or (old and auto > batch.issued_at + 29 * DAY))
            closed = manual if by_centre else auto
            if closed > self.now:
                continue
            batch.status, batch.closed_at = BatchStatus.CLOSED, closed
            for i in members[batch.index]:
                if i not in closers or closed < closers[i][0]:
                    closers[i] = (closed, by_centre)
        for i, (closed, by_centre) in closers.items():
            item = self.items[i]
            if any(s[1] == "approve" for s in item.steps):  # a cancelled item stays cancelled
                actor = self.world.centre_user if by_centre else None
                item.steps.append((closed, "close", actor, {"event": by_centre}))

    def _auto_close_after(self, moment: int) -> int:
        day = self.clock.day(moment)
        run = self.clock.at(day, AUTO_CLOSE_HOUR)
        return run if run > moment else self.clock.at(day + 1, AUTO_CLOSE_HOUR)

    # ---- the state at now ---------------------------------------------------------------------

    def _settle(self, item: PlannedItem) -> None:
        """Apply the item's steps up to now; record its events, escalation and reminder."""
        owed_since: float | None = item.issued
        owed: list[tuple[float, float, int]] = []  # (from, until, owner unit meanwhile)
        uploads: list[tuple[int, int | None]] = []
        for at, name, actor, info in item.steps:  # in time order (a close step comes after approval)
            if at > self.now:
                break
            before = item.status
            if name == "photo":
                uploads.append((at, actor))
                if before == S.SIGNED:
                    item.status = S.IN_PROGRESS  # the first photo starts the work (no event)
                continue
            owner = item.owner
            self._apply(item, at, name, actor, info)
            if name != "close" or info["event"]:
                self._event(at, EVENT_KINDS[name], actor, owner, item.index, self._data(name, before, info))
            owed_now = item.status in OWED_STATUSES
            if owed_since is not None and not owed_now:
                owed.append((owed_since, at, owner))
                owed_since = None
            elif owed_since is None and owed_now:
                owed_since = at
        item.photos = [(at, by, item.fed_back_at is not None) for at, by in uploads]
        if owed_since is not None:
            owed.append((owed_since, self.now, item.owner))
        self._escalate(item, owed, still_owed=owed_since is not None)

    def _data(self, name: str, before: str, info: dict[str, Any]) -> dict[str, Any]:
        """The event's payload as the transition writes it."""
        if name == "assign":
            return self._payload(status=before, assignee=info["assignee"], previous=None)
        if name == "reroute":
            return self._payload(status=before, station=info["station"], district=info["district"])
        if name == "feed_back":
            return self._payload(status=before, photos=info["photos"])
        if "reason" in info:
            return self._payload(status=before, reason=info["reason"])
        return self._payload(status=before)

    def _payload(self, **values: Any) -> dict[str, Any]:
        """One shared dict per distinct payload (the writer encodes each once)."""
        key = tuple(values.items())
        shared = self._payloads.get(key)
        if shared is None:
            shared = self._payloads[key] = values
        return shared

    def _apply(self, item: PlannedItem, at: int, name: str, actor: int | None, info: dict[str, Any]) -> None:
        if name in STATUS_AFTER:
            item.status = STATUS_AFTER[name]
        if name == "sign":
            item.signed_at, item.signed_by, item.assignee = at, actor, info["assignee"]
        elif name == "assign":
            item.assignee = info["assignee"]
        elif name == "return":
            item.assignee, item.return_reason = None, info["reason"]
            item.returned_count += 1
        elif name == "reroute":
            item.station, item.district, item.owner = info["station"], info["district"], info["district"]
            item.signed_at = None
        elif name == "feed_back":
            item.fed_back_at, item.fed_back_by, item.feedback = at, actor, info["feedback"]
            item.feedback_lon, item.feedback_lat, item.feedback_accuracy_m = info["lon"], info["lat"], info["accuracy"]
        elif name == "rework":
            item.reviewed_at, item.return_reason = at, info["reason"]
            item.rework_count += 1
        elif name == "approve":
            item.reviewed_at, item.reviewed_by = at, actor
        elif name in ("cancel", "close"):
            item.closed_at = at

    def _escalate(self, item: PlannedItem, owed: list[tuple[float, float, int]], *, still_owed: bool) -> None:
        """What the 5-minute jobs did while the item was owed: raise the escalation level once a level's
        clock had run (an event each time) and remind once before the deadline. An item still owed now
        has the level ``level_at`` gives now, as if the job had just run."""
        starts, remind = self._clocks_of(self.categories[item.category], item.deadline)
        due = item.deadline.timestamp()
        level = 0
        for k, (begin, end, owner) in enumerate(owed):
            final = still_owed and k == len(owed) - 1
            if starts and end > starts[0]:
                runs = {_slot_after(max(s, begin), ESCALATE_OFFSET) for s in starts if s < end}
                for run in sorted(runs | ({end} if final else set())):
                    if run > self.now or (run >= end and not final):
                        continue
                    reached = sum(1 for s in starts if run > s)
                    if reached > level:
                        level = reached
                        data = self._payload(level=level)
                        self._event(int(run), "instruction.escalated", None, owner, item.index, data)
            if remind is not None and item.reminded_at is None:
                run = min(_slot_from(max(remind, begin), REMIND_OFFSET), self.now if final else NEVER)
                if run <= due and (run < end or final) and run >= max(remind, begin):
                    item.reminded_at = int(run)
        item.escalation_level = level


def _routable(route: Route | None) -> bool:
    return route is not None and route.station_id is not None


def generate_year(world: World, *, size: str, seed: int, now: dt.datetime) -> YearPlan:
    """The demo year for ``world``: no database writes (it reads the calendar and routes targets)."""
    return YearGenerator(world, size=size, seed=seed, now=now).generate()
