"""Who is responsible for inspecting an object (责任民警).

The organisation tree has no explicit officer ↔ police district link (a unit's ``head_name`` is text,
not a user). So the responsible officers of a district are the active users whose unit IS that
district and who hold the built-in community-officer role (社区民警); an object's district is the
parent of the grid it lies in. A district may have several such officers (they share its list) or
none (the station head sees it as "no community officer").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from zhufang.accounts.models import User
from zhufang.accounts.scope import visible_to

COMMUNITY_OFFICER_ROLE = "community_officer"


def community_officers(principal: Any, district_ids: Iterable[int]) -> dict[int, list[User]]:
    """{district id: its community officers the principal may see}, one query."""
    ids = sorted({i for i in district_ids if i is not None})
    officers: dict[int, list[User]] = defaultdict(list)
    if not ids:
        return {}
    users = (
        visible_to(principal, User.objects.all())
        .filter(unit_id__in=ids, is_active=True, roles__code=COMMUNITY_OFFICER_ROLE)
        .distinct()
        .order_by("police_number")
    )
    for user in users:
        officers[user.unit_id].append(user)
    return dict(officers)
