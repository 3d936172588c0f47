"""Who works an item (承办人): the station assigns an officer or accepts the police district's default;
while an officer is on leave (请假), their items go to the named delegate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import Q

from zhufang.accounts.models import Role, User
from zhufang.accounts.permissions import Perm
from zhufang.instructions.models import DefaultAssignee, Delegation


def roles_with_permission(code: str) -> list[int]:
    """Role ids granting ``code`` (roles are few; their permission lists are JSON, read in Python so
    the same code runs on SQLite and PostgreSQL)."""
    return [pk for pk, perms in Role.objects.values_list("pk", "permissions") if code in (perms or [])]


def users_with_permission(code: str, *, unit_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(user id, unit id) of the active users placed exactly at ``unit_ids`` who hold ``code``."""
    roles = roles_with_permission(code)
    if not roles or not unit_ids:
        return []
    rows = User.objects.filter(unit_id__in=list(unit_ids), is_active=True, roles__in=roles)
    return sorted(set(rows.values_list("pk", "unit_id")))


def delegates_on(day: dt.date, officer_ids: Iterable[int]) -> dict[int, int]:
    """{officer: delegate} for the officers on leave on ``day`` (a delegate on leave passes the work on,
    at most three hops, never in a circle)."""
    leaves = dict(
        Delegation.objects.filter(starts_on__lte=day, ends_on__gte=day).values_list("officer_id", "delegate_id")
    )
    result: dict[int, int] = {}
    for officer in set(officer_ids):
        current, hops, seen = officer, 0, {officer}
        while current in leaves and hops < 3 and leaves[current] not in seen:
            current = leaves[current]
            seen.add(current)
            hops += 1
        if current != officer:
            result[officer] = current
    return result


def default_assignees(district_ids: Iterable[int], day: dt.date) -> dict[int, int]:
    """{district: officer} — the configured default, else the district's community officer with the
    lowest 警号 (an officer placed at the district who works instructions) — with leave applied."""
    wanted = sorted(set(district_ids))
    chosen = dict(DefaultAssignee.objects.filter(district_id__in=wanted).values_list("district_id", "officer_id"))
    missing = [d for d in wanted if d not in chosen]
    if missing:
        community = set(roles_with_permission(Perm.INSTRUCTION_WORK))
        rows = (
            User.objects.filter(unit_id__in=missing, is_active=True, roles__in=community)
            .filter(~Q(police_number=""))
            .order_by("unit_id", "police_number")
            .values_list("unit_id", "pk", "roles__code")
        )
        best: dict[int, tuple[int, int]] = {}
        for unit_id, user_id, role_code in rows:
            rank = 0 if role_code == "community_officer" else 1
            if unit_id not in best or rank < best[unit_id][0]:
                best[unit_id] = (rank, user_id)
        chosen.update({unit: user for unit, (_rank, user) in best.items()})
    found: dict[int, int] = {d: o for d, o in chosen.items() if o is not None}
    delegates = delegates_on(day, found.values())
    return {district: delegates.get(officer, officer) for district, officer in found.items()}
