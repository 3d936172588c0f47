"""Cached demo jurisdictions shared by the geometry tests (no conftest: these tests must also run with
``--noconftest -p no:django`` while the project's Django conftest is not importable)."""

from __future__ import annotations

from functools import cache

from zhufang.org.geometry.demo_polygons import Jurisdiction, generate_jurisdiction


@cache
def jurisdiction(size: str, seed: int = 2026) -> Jurisdiction:
    return generate_jurisdiction(size, seed)
