"""The demo county (演示县): org tree with real nested polygons, outside units and demo users.

Deterministic by seed; idempotent (a second run reuses what exists). Sizes: ``small`` (tests,
seconds), ``county`` (seed scale: 12 stations, 104 districts, 1,636 grids), ``city`` (10×);
``demo`` is what ``make demo`` builds (the county tree; later issues size its registry data).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhufang.accounts.builtin_roles import ensure_builtin_roles
from zhufang.accounts.models import Role, RoleGrant, User
from zhufang.audit.models import AuditAction
from zhufang.audit.services import AuditDraft, record_many
from zhufang.org.geometry.demo_polygons import UnitShape, generate_jurisdiction
from zhufang.org.models import OrgKind, OrgUnit, ParentLink
from zhufang.org.services import set_geometry

DEMO_PASSWORD = "Zhufang@2026"  # noqa: S105 - printed for the demo logins; never used outside demo data
GEOMETRY_SIZE = {"small": "small", "demo": "county", "county": "county", "city": "city"}
DEPARTMENTS = (
    ("ZA", "治安管理大队"),
    ("XZ", "刑事侦查大队"),
    ("FZ", "反电信网络诈骗中心"),
    ("JJ", "交通警察大队"),
    ("WA", "网络安全保卫大队"),
    ("JD", "禁毒大队"),
    ("TJ", "巡特警大队"),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海波宁鹏飞斌浩凯鑫晨旭东"

#: (role, police number, name, where the user sits)
DEMO_LOGINS: tuple[tuple[str, str, str, str], ...] = (
    ("centre_operator", "100001", "基础管控中心 操作员", "centre"),
    ("department", "100002", "治安大队 民警", "department"),
    ("command_room", "100003", "综合指挥室 值班员", "station"),
    ("station_head", "100004", "派出所 所长", "station"),
    ("community_officer", "100005", "社区民警", "district"),
    ("auxiliary_officer", "100006", "辅警", "district"),
    ("grid_worker", "100007", "网格员", "grid"),
    ("volunteer", "100008", "义警", "grid"),
    ("leader", "100009", "局领导", "bureau"),
    ("system_admin", "100010", "系统管理员", "bureau"),
    ("security_admin", "100011", "安全管理员", "bureau"),
    ("audit_admin", "100012", "审计管理员", "bureau"),
)


@dataclass
class DemoResult:
    size: str
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        verb = "built" if self.created else "already present, reused"
        parts = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        return f"demo county ({self.size}) {verb}: {parts}"

    def logins_table(self) -> str:
        lines = [f"  {'role':<20} {'警号 login':<12} {'password':<14} unit"]
        for role, number, password, unit in self.logins:
            lines.append(f"  {role:<20} {number:<12} {password:<14} {unit}")
        return "\n".join(lines)


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _create_level(
    shapes: list[UnitShape], kind: str, parents: dict[str, OrgUnit], rng: random.Random, today: dt.date
) -> dict[str, OrgUnit]:
    units = []
    for shape in shapes:
        parent = parents.get(shape.parent_code or "") if shape.parent_code else None
        unit = OrgUnit(
            kind=kind,
            code=shape.code,
            name=shape.name,
            parent=parent,
            valid_from=today,
            head_name=_person_name(rng) if kind != OrgKind.BUREAU else "局长 " + _person_name(rng),
            phone=f"0536-{rng.randrange(10**7):07d}",
        )
        set_geometry(unit, shape.polygon)
        units.append(unit)
    return _save_level(units)


def _save_level(units: list[OrgUnit]) -> dict[str, OrgUnit]:
    OrgUnit.objects.bulk_create(units, batch_size=1000)
    if any(u.pk is None for u in units):  # backends without RETURNING: read the keys back
        keys = dict(OrgUnit.objects.filter(code__in=[u.code for u in units]).values_list("code", "pk"))
        for unit in units:
            unit.pk = keys[unit.code]
    for unit in units:
        parent = unit.parent
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.depth = parent.depth + 1 if parent else 0
    OrgUnit.objects.bulk_update(units, ["path", "depth"], batch_size=1000)
    ParentLink.objects.bulk_create(
        [ParentLink(unit=u, parent=u.parent, valid_from=u.valid_from) for u in units if u.parent], batch_size=1000
    )
    return {u.code: u for u in units}


@transaction.atomic
def build_demo(*, size: str = "small", seed: int = 2026) -> DemoResult:
    if size not in GEOMETRY_SIZE:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(GEOMETRY_SIZE)}")
    roles = ensure_builtin_roles(Role)
    jurisdiction = generate_jurisdiction(GEOMETRY_SIZE[size], seed=seed)
    result = DemoResult(size=size, created=False)
    bureau_code = jurisdiction.bureau.code
    if not OrgUnit.objects.filter(code=bureau_code).exists():
        _build_tree(jurisdiction, seed)
        result.created = True
    bureau = OrgUnit.objects.get(code=bureau_code)
    _ensure_demo_users(bureau, roles, seed)
    roots = OrgUnit.objects.filter(code__in=[b.code for b in jurisdiction.bureaus])
    in_any_root = Q()
    for root in roots:
        in_any_root |= Q(path__startswith=root.path)
    tree = OrgUnit.objects.active().filter(in_any_root)  # city size: ten county bureaus
    kinds = (OrgKind.STATION, OrgKind.DISTRICT, OrgKind.GRID, OrgKind.TOWNSHIP, OrgKind.DEPARTMENT)
    result.counts = {kind: tree.filter(kind=kind).count() for kind in kinds}
    result.counts["users"] = User.objects.filter(unit__in=tree.values("pk")).count()
    units = {u.pk: u for u in OrgUnit.objects.filter(users__police_number__in=[n for _, n, _, _ in DEMO_LOGINS])}
    by_number = {u.police_number: u for u in User.objects.filter(police_number__in=[n for _, n, _, _ in DEMO_LOGINS])}
    result.logins = [
        (role, number, DEMO_PASSWORD, units[by_number[number].unit_id].name)
        for role, number, _name, _where in DEMO_LOGINS
    ]
    return result


def _build_tree(jurisdiction: object, seed: int) -> None:
    from zhufang.org.geometry.demo_polygons import Jurisdiction

    assert isinstance(jurisdiction, Jurisdiction)
    rng = random.Random(seed)
    today = timezone.localdate()
    bureaus = _create_level(jurisdiction.bureaus, OrgKind.BUREAU, {}, rng, today)
    stations = _create_level(jurisdiction.stations, OrgKind.STATION, bureaus, rng, today)
    districts = _create_level(jurisdiction.districts, OrgKind.DISTRICT, stations, rng, today)
    grids = _create_level(jurisdiction.grids, OrgKind.GRID, districts, rng, today)
    townships = _create_level(jurisdiction.townships, OrgKind.TOWNSHIP, bureaus, rng, today)
    internal = []
    for bureau in bureaus.values():
        prefix = bureau.code[:6]
        internal.append(
            OrgUnit(
                kind=OrgKind.CENTRE,
                code=f"{prefix}JC",
                name="基础管控中心",
                parent=bureau,
                valid_from=today,
                head_name=_person_name(rng),
            )
        )
        internal.extend(
            OrgUnit(
                kind=OrgKind.DEPARTMENT,
                code=f"{prefix}{suffix}",
                name=name,
                parent=bureau,
                valid_from=today,
                head_name=_person_name(rng),
            )
            for suffix, name in DEPARTMENTS
        )
    created = _save_level(internal)
    everything = [
        *bureaus.values(),
        *stations.values(),
        *districts.values(),
        *grids.values(),
        *townships.values(),
        *created.values(),
    ]
    record_many(
        AuditDraft(
            action=AuditAction.CREATE,
            object_type="org.orgunit",
            object_id=str(u.pk),
            object_label=str(u),
            changes={"code": [None, u.code], "kind": [None, u.kind]},
            reason="demo county generator",
        )
        for u in everything
    )


def _ensure_demo_users(bureau: OrgUnit, roles: dict[str, Role], seed: int) -> None:
    """One login per role (printed), plus a head and command room for every station, an officer and
    an auxiliary for every district and a worker for every grid, so the tree has realistic counts."""
    if User.objects.filter(police_number=DEMO_LOGINS[0][1]).exists():
        return
    rng = random.Random(seed + 1)
    tree = OrgUnit.objects.subtree(bureau).active()
    first_station = tree.filter(kind=OrgKind.STATION).order_by("code").first()
    first_district = tree.filter(kind=OrgKind.DISTRICT, parent=first_station).order_by("code").first()
    first_grid = tree.filter(kind=OrgKind.GRID, parent=first_district).order_by("code").first()
    places = {
        "bureau": bureau,
        "station": first_station,
        "district": first_district,
        "grid": first_grid,
        "centre": tree.filter(kind=OrgKind.CENTRE).first(),
        "department": tree.filter(kind=OrgKind.DEPARTMENT, code__endswith="ZA").first(),  # 治安管理大队
    }
    password = make_password(DEMO_PASSWORD)  # one hash for all demo accounts: Argon2 per user is slow
    users: list[User] = []
    grants: list[tuple[int, str]] = []
    for role, number, name, where in DEMO_LOGINS:
        users.append(
            User(
                police_number=number,
                name=name,
                unit=places[where],
                password=password,
                must_change_password=False,
                title=str(getattr(roles[role], "name", role)),
            )
        )
        grants.append((len(users) - 1, role))
    serial = 200000
    staff = [
        (OrgKind.STATION, (("station_head", "所长"), ("command_room", "指挥室民警"))),
        (OrgKind.DISTRICT, (("community_officer", "社区民警"), ("auxiliary_officer", "辅警"))),
        (OrgKind.GRID, (("grid_worker", "网格员"),)),
    ]
    for kind, posts in staff:
        for unit in tree.filter(kind=kind).order_by("code"):
            for role, title in posts:
                serial += 1
                users.append(
                    User(
                        police_number=str(serial),
                        name=_person_name(rng),
                        unit=unit,
                        title=title,
                        password=password,
                        must_change_password=False,
                    )
                )
                grants.append((len(users) - 1, role))
    User.objects.bulk_create(users, batch_size=1000)
    if any(u.pk is None for u in users):
        keys = dict(
            User.objects.filter(police_number__in=[u.police_number for u in users]).values_list("police_number", "pk")
        )
        for user in users:
            user.pk = keys[user.police_number]
    RoleGrant.objects.bulk_create(
        [RoleGrant(user_id=users[i].pk, role=roles[code]) for i, code in grants],
        batch_size=1000,
    )
    record_many(
        AuditDraft(
            action=AuditAction.CREATE,
            object_type="accounts.user",
            object_id=str(u.pk),
            object_label=str(u),
            reason="demo county generator",
        )
        for u in users
    )
