"""The panel's job interface; it lives in ``broadcast.jobs`` (the scheduler and ``loa worker`` use it too)."""

from __future__ import annotations

from broadcast.jobs import (
    InlineJobQueue,
    JobContext,
    JobQueue,
    JobStatus,
    ProgressFn,
    RedisJobQueue,
    State,
    ThreadJobQueue,
    UnknownJob,
)

__all__ = ["InlineJobQueue", "JobContext", "JobQueue", "JobStatus", "ProgressFn", "RedisJobQueue", "State",
           "ThreadJobQueue", "UnknownJob"]
