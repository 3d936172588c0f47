"""Fixtures of the inspection tests: photos stored in a temporary MEDIA_ROOT, the demo officer's
grids and a community officer of another district."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhufang.accounts.models import User
from zhufang.conftest import Demo
from zhufang.org.models import OrgUnit

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * 200 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 60
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


@pytest.fixture(autouse=True)
def media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root  # type: ignore[attr-defined]
    return root


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def grids(demo: Demo) -> tuple[OrgUnit, OrgUnit, OrgUnit]:
    """(the demo grid worker's grid, another grid of the same district, a grid of another district)."""
    district = demo.user("community_officer").unit
    own = demo.user("grid_worker").unit
    sibling = district.children.exclude(pk=own.pk).order_by("code").first()
    elsewhere = next(g for g in demo.grids if not g.path.startswith(district.path))
    assert sibling is not None and own.parent_id == district.pk
    return own, sibling, elsewhere


@pytest.fixture
def other_officer(demo: Demo, grids: tuple[OrgUnit, OrgUnit, OrgUnit]) -> User:
    """The community officer of the district that holds the third grid."""
    return User.objects.select_related("unit").get(unit=grids[2].parent, roles__code="community_officer")
