"""The job registry: a job is a plain function registered by name with ``@job``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

JobFunction = Callable[..., Any]
_JOBS: dict[str, JobFunction] = {}


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register ``func`` as the job ``name``. Jobs must be idempotent: a crashed run is retried."""

    def decorate(func: JobFunction) -> JobFunction:
        if name in _JOBS and _JOBS[name] is not func:
            raise ValueError(f"job {name!r} registered twice")
        _JOBS[name] = func
        return func

    return decorate


def get_job(name: str) -> JobFunction:
    try:
        return _JOBS[name]
    except KeyError:
        raise LookupError(f"no job named {name!r}; known: {', '.join(sorted(_JOBS))}") from None


def registered_jobs() -> dict[str, JobFunction]:
    return dict(_JOBS)
