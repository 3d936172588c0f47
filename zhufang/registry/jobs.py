"""Registry jobs, imported by the job runner's discovery (``autodiscover_modules("jobs")``)."""

from __future__ import annotations

from zhufang.registry.dedup import jobs as dedup_jobs
from zhufang.registry.imports import background as import_jobs

__all__ = ["dedup_jobs", "import_jobs"]
