"""The scheduler's console jobs (issue 12): the daily silent system test is ordered once per
local day whichever daemon fires it, and the jobs are scheduled in memory (nothing to catch up)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from broadcast.db import session_factory, session_scope
from broadcast.models import AuditLog, RemoteCommand, SchedulerRun, Station
from broadcast.scheduler import ALERTS_JOB_ID, SYSTEM_TEST_JOB_ID, SchedulerDaemon
from loa.config import Settings


def test_the_daily_system_test_is_ordered_once_for_every_agent(settings: Settings, engine: Engine) -> None:
    with session_scope(session_factory(engine)) as s:
        s.add_all([Station(code="a", name="A", token_hash="h1"), Station(code="b", name="B", token_hash="h2"),
                   Station(code="c", name="C"),  # no agent installed
                   Station(code="d", name="D", token_hash="h4", active=False)])
    one, two = SchedulerDaemon(settings, engine), SchedulerDaemon(settings, engine)
    assert one.system_tests() == ["a", "b"]
    assert two.system_tests() == [] and one.system_tests("watch") == []  # once per day
    with session_scope(session_factory(engine)) as s:
        rows = list(s.scalars(select(RemoteCommand)))
        assert {(r.kind, r.issued_by) for r in rows} == {("system_test", "system")} and len(rows) == 2
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "remote.system_test")) == 2
        [run] = s.scalars(select(SchedulerRun).where(SchedulerRun.job == "system-test"))
        assert run.status == "ok" and run.requests == 2


def test_console_jobs_are_memory_jobs(settings: Settings, engine: Engine) -> None:
    d = SchedulerDaemon(settings, engine)
    sched = d.build_scheduler()
    sched.start(paused=True)
    try:
        d.add_console_jobs(sched)
        alerts, test = sched.get_job(ALERTS_JOB_ID, "memory"), sched.get_job(SYSTEM_TEST_JOB_ID, "memory")
        assert alerts is not None and alerts.trigger.interval.total_seconds() == settings.alert_check_s
        assert test is not None and "hour='4', minute='0'" in str(test.trigger)
    finally:
        sched.shutdown(wait=False)
