"""Every periodic job, declared in one place (later issues add escalations, model runs, index
computation). The worker enqueues each run under a unique (job, time slot) row, so a slot fires
once across any number of workers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    job: str
    every: dt.timedelta
    #: offset of the slot inside the period (e.g. 03:00 for a daily job), in the bureau's time zone
    offset: dt.timedelta = dt.timedelta(0)


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("audit.seal", every=dt.timedelta(seconds=5)),
    Schedule("audit.purge", every=dt.timedelta(days=1), offset=dt.timedelta(hours=3)),
    Schedule("org.apply_due_mergers", every=dt.timedelta(days=1), offset=dt.timedelta(minutes=5)),
    Schedule("jobs.prune_history", every=dt.timedelta(days=1), offset=dt.timedelta(hours=4)),
    Schedule("accounts.clear_sessions", every=dt.timedelta(days=1), offset=dt.timedelta(hours=4, minutes=10)),
    Schedule("instructions.remind", every=dt.timedelta(minutes=5)),
    Schedule("instructions.escalate", every=dt.timedelta(minutes=5), offset=dt.timedelta(minutes=1)),
    Schedule("instructions.auto_close", every=dt.timedelta(days=1), offset=dt.timedelta(hours=2)),
    Schedule("instructions.apply_leaves", every=dt.timedelta(days=1), offset=dt.timedelta(minutes=10)),
    Schedule("registry.find_duplicates", every=dt.timedelta(days=1), offset=dt.timedelta(hours=2, minutes=30)),
)
