"""Cached demo registries shared by the generator and CSV tests (generated once per test session)."""

from __future__ import annotations

import datetime as dt
from functools import cache

from zhufang.registry.demo.generator import Registry, generate_registry

AS_OF = dt.date(2026, 6, 30)  # fixed, so every run gives the same data


@cache
def registry(size: str = "small", seed: int = 2026) -> Registry:
    return generate_registry(size, seed, as_of=AS_OF)
