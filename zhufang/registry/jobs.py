"""Registry jobs, imported by the job runner's discovery (``autodiscover_modules("jobs")``)."""

from __future__ import annotations

from zhufang.registry.dedup import jobs as dedup_jobs

__all__ = ["dedup_jobs"]
