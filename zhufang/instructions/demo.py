"""A year of demo instructions (演示指令数据) in the database: what ``zhufang demo`` shows in the
instruction centre — seed 000's scale (495 batches, ≈73,000 verification instructions, 100 % fed back)
over the twelve months before today, with the most recent batches still live work.

``load_demo_instructions`` reads the world (org units, who may issue, sign, work and review, the
registry's targets), has ``demo_year`` plan the year and writes it set-based with ``bulk_insert`` (COPY
on PostgreSQL, one prepared ``INSERT`` run by ``executemany`` on SQLite), ids given up front — so the
demo size (≈70,000 items, ≈330,000 events) loads in seconds. It is skipped when
instruction batches exist already (a second ``zhufang demo`` adds no second year).

Left out on purpose: the inspections that approving an inspection-category item records (the
inspections demo owns that history and its due/overdue mix) and historical inbox notifications; the
periodic jobs carry on from the loaded state (reminded_at and escalation levels are set as they
would have left them).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import random
import struct
import time
import warnings
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Max
from django.utils import timezone

from zhufang.accounts.models import Role, User
from zhufang.accounts.permissions import Perm
from zhufang.audit.models import AuditAction
from zhufang.audit.services import AuditDraft, record_many
from zhufang.events.models import DomainEvent
from zhufang.instructions.assignment import default_assignees
from zhufang.instructions.bulk_insert import insert_rows
from zhufang.instructions.demo_year import PlannedItem, World, YearPlan, generate_year
from zhufang.instructions.models import (
    ITEM_TYPE,
    Attachment,
    BatchMembership,
    InstructionBatch,
    InstructionItem,
    TargetKind,
)
from zhufang.org.models import OrgKind, OrgUnit
from zhufang.registry.models import Establishment, House, Person, StandardAddress
from zhufang.sql_writes import bulk_write_session
from zhufang.workdays.deadlines import CalendarCoverageWarning

BATCH_TYPE = "instructions.instructionbatch"
AUDIT_REASON = "demo instruction year"
#: instruction demo size for each ``zhufang demo --size`` (the bigger registries keep the seed's year)
DEMO_SIZE = {"small": "small", "demo": "demo", "county": "demo", "city": "demo"}


# --------------------------------------------------------------------------------------- world


def _users() -> tuple[list[int], dict[int, set[str]], dict[int, set[str]], dict[int, int]]:
    """Active users with a role by 警号, and their permissions, role codes and units."""
    role_perms = {pk: set(perms or []) for pk, perms in Role.objects.values_list("pk", "permissions")}
    role_codes = dict(Role.objects.values_list("pk", "code"))
    perms: dict[int, set[str]] = defaultdict(set)
    codes: dict[int, set[str]] = defaultdict(set)
    units: dict[int, int] = {}
    numbers: dict[int, str] = {}
    rows = User.objects.filter(is_active=True, roles__isnull=False).values_list(
        "pk", "unit_id", "police_number", "roles"
    )
    for pk, unit_id, number, role in rows:
        perms[pk] |= role_perms.get(role, set())
        codes[pk].add(role_codes.get(role, ""))
        units[pk], numbers[pk] = unit_id, number
    return sorted(perms, key=lambda u: numbers[u]), perms, codes, units


def read_world(now: dt.datetime) -> World | None:
    """The world the year is played on, or ``None`` without a user who may issue instructions."""
    centroids: dict[int, tuple[float, float]] = {}
    station_of: dict[int, int] = {}
    rows = list(OrgUnit.objects.active().values_list("pk", "kind", "path", "centroid_lon", "centroid_lat"))
    kinds = {pk: kind for pk, kind, _path, _lon, _lat in rows}
    for pk, _kind, path, lon, lat in rows:
        if lon is not None and lat is not None:
            centroids[pk] = (lon, lat)
        stations = [int(p) for p in path.strip("/").split("/") if p and kinds.get(int(p)) == OrgKind.STATION]
        if stations:
            station_of[pk] = stations[0]
    users, perms, codes, units = _users()
    centres = sorted(pk for pk, kind in kinds.items() if kind == OrgKind.CENTRE)
    issuers = [u for u in users if Perm.INSTRUCTION_ISSUE in perms[u]]
    centre_user = next((u for u in issuers if units[u] in centres), issuers[0] if issuers else None)
    if centre_user is None:
        return None

    departments: dict[str, tuple[int, int | None]] = {}
    for unit, code in (
        OrgUnit.objects.active().filter(kind=OrgKind.DEPARTMENT).order_by("code").values_list("pk", "code")
    ):
        requester = next((u for u in users if units[u] == unit and Perm.INSTRUCTION_REQUEST in perms[u]), None)
        departments.setdefault(code[-2:], (unit, requester))

    signers: dict[int, list[int]] = defaultdict(list)
    heads: dict[int, list[int]] = defaultdict(list)
    officers: dict[int, list[int]] = defaultdict(list)
    district_officers: dict[int, list[int]] = defaultdict(list)
    for user in users:
        unit = units[user]
        if kinds.get(unit) == OrgKind.STATION and Perm.INSTRUCTION_SIGN in perms[user]:
            (heads if "station_head" in codes[user] else signers)[unit].append(user)
        if Perm.INSTRUCTION_WORK in perms[user] and unit in station_of:
            officers[station_of[unit]].append(user)
            if kinds.get(unit) == OrgKind.DISTRICT:
                district_officers[unit].append(user)
    for station, people in heads.items():  # a station whose only signer is its head
        if not signers.get(station) and Perm.INSTRUCTION_REVIEW in perms[people[0]]:
            signers[station] = list(people)
    working = {s for s, people in signers.items() if people and officers.get(s)}  # signed for and worked
    districts = {pk: station_of[pk] for pk, kind in kinds.items() if kind == OrgKind.DISTRICT and pk in station_of}
    districts = {d: s for d, s in districts.items() if s in working}
    grid_xy: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for pk, kind in kinds.items():
        if kind == OrgKind.GRID and pk in centroids and station_of.get(pk) in working:
            grid_xy[station_of[pk]].append(centroids[pk])
    return World(
        centre_unit=centres[0] if centres else units[centre_user],
        centre_user=centre_user,
        departments=departments,
        signers={s: signers[s] for s in working},
        heads={s: heads.get(s, []) for s in working},
        officers={s: officers[s] for s in working},
        district_officers=dict(district_officers),
        default_officer=default_assignees(list(districts), timezone.localdate(now)),
        district_station=districts,
        district_xy={d: centroids[d] for d in districts if d in centroids},
        grid_xy=dict(grid_xy),
        pools=_pools(station_of, working),
    )


def _pools(station_of: dict[int, int], working: set[int]) -> dict[str, dict[int, list[int]]]:
    """Routable registry targets (active, placed in a unit of a working station) by kind and station;
    people only with a house, so the officer has somewhere to go."""
    queries: dict[str, models.QuerySet[Any]] = {
        TargetKind.PERSON: Person.objects.filter(is_active=True, house__isnull=False),
        TargetKind.HOUSE: House.objects.all(),
        TargetKind.ESTABLISHMENT: Establishment.objects.filter(is_active=True),
        TargetKind.ADDRESS: StandardAddress.objects.all(),
    }
    pools: dict[str, dict[int, list[int]]] = {}
    for kind, query in queries.items():
        by_station: dict[int, list[int]] = defaultdict(list)
        for pk, unit in query.filter(owner_unit__isnull=False).order_by("pk").values_list("pk", "owner_unit_id"):
            station = station_of.get(unit)
            if station in working:
                by_station[station].append(pk)
        pools[kind] = dict(by_station)
    return pools


# --------------------------------------------------------------------------------------- writing


class _Moments:
    """Epoch seconds as aware datetimes, each distinct second made once (events share moments)."""

    def __init__(self) -> None:
        self.made: dict[int | None, dt.datetime | None] = {None: None}

    def __call__(self, seconds: int | None) -> dt.datetime | None:
        try:
            return self.made[seconds]
        except KeyError:
            moment = self.made[seconds] = dt.datetime.fromtimestamp(seconds, dt.UTC)  # type: ignore[arg-type]
            return moment


def _png(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    """A small gradient PNG: a stand-in for a site photo, made without an imaging library."""
    rows = []
    for y in range(height):
        share = y / max(1, height - 1)
        pixel = bytes(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + pixel * width)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


PHOTO_SIZE = (160, 120)
PHOTO_COLOURS = (
    ((96, 140, 200), (200, 210, 220)),
    ((120, 160, 90), (220, 215, 180)),
    ((150, 110, 90), (230, 220, 200)),
)


def demo_photos() -> list[tuple[str, int, str]]:
    """(file name, size, sha256) of the stand-in site photos, written once under MEDIA_ROOT."""
    folder = Path(settings.MEDIA_ROOT) / "instructions" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    photos = []
    for k, (top, bottom) in enumerate(PHOTO_COLOURS, 1):
        content = _png(PHOTO_SIZE[0], PHOTO_SIZE[1], top, bottom)
        path = folder / f"site-{k}.png"
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
        photos.append((f"instructions/demo/site-{k}.png", len(content), hashlib.sha256(content).hexdigest()))
    return photos


BATCH_COLUMNS = (
    "id", "title", "category", "requirements", "status", "deadline", "requesting_unit_id", "owner_unit_id",
    "created_by_id", "issued_by_id", "created_at", "issued_at", "closed_at",
)  # fmt: skip
ITEM_COLUMNS = (
    "id", "category", "target_kind", "target_id", "target_label", "lon", "lat", "station_id", "district_id",
    "owner_unit_id", "status", "assignee_id", "deadline", "open_key", "escalation_level", "reminded_at", "issued_at",
    "signed_at", "signed_by_id", "fed_back_at", "fed_back_by_id", "reviewed_at", "reviewed_by_id", "closed_at",
    "return_reason", "returned_count", "rework_count", "feedback", "feedback_lon", "feedback_lat",
    "feedback_accuracy_m",
)  # fmt: skip
MEMBERSHIP_COLUMNS = (
    "batch_id", "item_id", "target_kind", "target_id", "lon", "lat", "label", "note", "merged", "requested_deadline",
)  # fmt: skip
EVENT_COLUMNS = ("at", "kind", "actor_id", "owner_unit_id", "object_type", "object_id", "data")
ATTACHMENT_COLUMNS = (
    "item_id", "file", "content_type", "size", "sha256", "width", "height", "lon", "lat", "accuracy_m",
    "uploaded_by_id", "uploaded_at", "submitted",
)  # fmt: skip


def _next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1


def write_plan(plan: YearPlan, world: World) -> None:
    """Insert the plan (inside the caller's transaction) and give each planned batch and item its pk."""
    conn = connections[DEFAULT_DB_ALIAS]
    tables: list[type[models.Model]] = [InstructionBatch, InstructionItem]
    if conn.vendor == "postgresql":  # nobody may issue meanwhile and take the ids given here
        with conn.cursor() as cursor:
            names = ", ".join(conn.ops.quote_name(m._meta.db_table) for m in tables)
            cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
    first_batch, first_item = _next_id(InstructionBatch), _next_id(InstructionItem)
    for k, b in enumerate(plan.batches):
        b.pk = first_batch + k
    for k, i in enumerate(plan.items):
        i.pk = first_item + k
    centre, at = world.centre_user, _Moments()
    insert_rows(
        InstructionBatch,
        BATCH_COLUMNS,
        [
            (b.pk, b.title, b.category, b.requirements, b.status, None, b.requesting_unit, world.centre_unit,
             b.created_by, centre if b.issued_at else None, at(b.created_at), at(b.issued_at), at(b.closed_at))
            for b in plan.batches
        ],
    )  # fmt: skip
    insert_rows(
        InstructionItem,
        ITEM_COLUMNS,
        [
            (i.pk, i.category, i.kind, i.target_id, i.label, i.lon, i.lat, i.station, i.district, i.owner, i.status,
             i.assignee, i.deadline, i.open_key, i.escalation_level, at(i.reminded_at), at(i.issued), at(i.signed_at),
             i.signed_by, at(i.fed_back_at), i.fed_back_by, at(i.reviewed_at), i.reviewed_by, at(i.closed_at),
             i.return_reason,
             i.returned_count, i.rework_count, i.feedback, i.feedback_lon, i.feedback_lat, i.feedback_accuracy_m)
            for i in plan.items
        ],
    )  # fmt: skip
    batch_pk = [b.pk for b in plan.batches]
    item_pk = [i.pk for i in plan.items]
    batch_data = [{"batch": pk} for pk in batch_pk]  # issued/merged events name their batch
    insert_rows(
        BatchMembership,
        MEMBERSHIP_COLUMNS,
        [
            (batch_pk[m.batch], None if m.item is None else item_pk[m.item], m.kind, m.target_id, m.lon, m.lat,
             m.label, "", m.merged, m.requested_deadline)
            for m in plan.memberships
        ],
    )  # fmt: skip
    insert_rows(
        DomainEvent,
        EVENT_COLUMNS,
        [
            (at(e.at), e.kind, e.actor, e.owner, ITEM_TYPE, str(item_pk[e.item]),
             e.data if e.batch is None else batch_data[e.batch])
            for e in plan.events
        ],
    )  # fmt: skip
    photos = demo_photos()
    pick = random.Random(len(plan.items)).choice  # noqa: S311 - which stand-in photo, nothing more
    insert_rows(
        Attachment,
        ATTACHMENT_COLUMNS,
        [
            (i.pk, *_photo(pick(photos)), *_where(i), i.feedback_accuracy_m, by, at(uploaded), submitted)
            for i in plan.items
            for uploaded, by, submitted in i.photos
        ],
    )  # fmt: skip
    with conn.cursor() as cursor:  # PostgreSQL: the sequences continue after the ids given here
        for sql in conn.ops.sequence_reset_sql(no_style(), tables):
            cursor.execute(sql)
    record_many(
        (
            AuditDraft(
                action=AuditAction.CREATE,
                object_type=BATCH_TYPE,
                object_id=str(b.pk),
                object_label=b.title,
                changes={"category": b.category, "status": [None, b.status]},
                reason=AUDIT_REASON,
            )
            for b in plan.batches
        ),
        actor=User.objects.filter(pk=centre).first(),
    )


def _where(item: PlannedItem) -> tuple[float | None, float | None]:
    """Where a photo was taken: the feedback's location, else the target's."""
    if item.feedback_lon is not None:
        return item.feedback_lon, item.feedback_lat
    return item.lon, item.lat


def _photo(photo: tuple[str, int, str]) -> tuple[Any, ...]:
    name, size, sha = photo
    return (name, "image/png", size, sha, *PHOTO_SIZE)


# --------------------------------------------------------------------------------------- loading


@dataclass
class DemoInstructionsResult:
    created: bool
    message: str
    plan: YearPlan | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        if self.plan is None:
            return self.message
        parts = ", ".join(f"{v:,} {k}" for k, v in self.plan.counts().items())
        return f"demo instructions ({self.plan.size}): {parts} (loaded in {self.seconds:.1f} s)"


def load_demo_instructions(
    size: str = "demo", *, seed: int = 2026, now: dt.datetime | None = None
) -> DemoInstructionsResult:
    """Load the demo year ending ``now`` unless instruction batches exist already (idempotent)."""
    existing = InstructionBatch.objects.count()
    if existing:
        return DemoInstructionsResult(False, f"demo instructions already present: {existing} batches, reused")
    started = time.perf_counter()
    moment = now or timezone.now()
    world = read_world(moment)
    if world is None or not world.target_count():
        return DemoInstructionsResult(False, "demo instructions skipped: no centre operator or no registry targets")
    collecting = gc.isenabled()
    gc.disable()  # a million short-lived objects and no cycles: the collector would take half the time
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalendarCoverageWarning)  # the workdays log says it once a year
            plan = generate_year(world, size=DEMO_SIZE.get(size, size), seed=seed, now=moment)
        with transaction.atomic(), bulk_write_session():
            write_plan(plan, world)
    finally:
        if collecting:
            gc.enable()
    return DemoInstructionsResult(True, "loaded", plan, time.perf_counter() - started)
