"""Two `loa scheduler` started at the same moment on a fresh data folder: both start, one works,
the other stands by (issue 7.4: the second used to die with "table scheduler_jobs already exists")."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import Table, inspect
from sqlalchemy.exc import OperationalError

from broadcast.db import make_engine
from broadcast.scheduler import JOB_TABLE, ensure_job_table
from tests.scheduler.test_processes import FAST, ROOT, Daemon

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]


def test_two_schedulers_started_at_once_on_a_fresh_folder_both_run(tmp_path: Path) -> None:
    data = Path(os.environ["LOA_DATA_DIR"])
    assert not (data / "loa.db").exists()
    assert ROOT.is_dir()
    a = Daemon(tmp_path, FAST, None)
    b = Daemon(tmp_path, FAST, None)
    try:
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            for d in (a, b):
                assert d.proc.poll() is None, f"a scheduler died ({d.proc.returncode}):\n{d.output()}"
            if all("scheduler running" in d.output() for d in (a, b)):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"both schedulers did not start:\n{a.output()}\n{b.output()}")
        time.sleep(1.0)  # both keep running side by side (claims decide who works)
        assert a.proc.poll() is None and b.proc.poll() is None, a.output() + b.output()
    finally:
        assert a.stop() == 0, a.output()
        assert b.stop() == 0, b.output()


def test_job_table_created_by_someone_else_between_check_and_create(tmp_path: Path) -> None:
    """The race itself, made deterministic: the table appears after the existence check."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    theirs = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE).jobs_t
    ours: Table = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE).jobs_t
    real_create = Table.create
    calls = {"n": 0}

    def racing_create(self: Table, bind: object, checkfirst: bool = False) -> None:
        calls["n"] += 1
        if self is ours and calls["n"] == 1:
            real_create(theirs, engine)  # the other daemon wins the race
            real_create(self, engine, checkfirst=False)  # what checkfirst does after its check
            return
        real_create(self, bind, checkfirst=checkfirst)  # type: ignore[arg-type]

    mp = pytest.MonkeyPatch()
    mp.setattr(Table, "create", racing_create)
    try:
        with pytest.raises(OperationalError):
            racing_create(ours, engine)  # what APScheduler's own start would hit
        engine.dispose()
        (tmp_path / "x.db").unlink()
        calls["n"] = 0
        ensure_job_table(engine, ours)
    finally:
        mp.undo()
    assert inspect(engine).has_table(JOB_TABLE)
    engine.dispose()


def test_job_table_race_lost_as_a_unique_violation_is_fine(tmp_path: Path) -> None:
    """PostgreSQL reports two overlapping CREATE TABLEs as a duplicate key in pg_type, an
    IntegrityError (the CI run of 2026-12-02 lost a scheduler to it): that is a lost race too."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    theirs = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE).jobs_t
    ours: Table = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE).jobs_t
    real_create = Table.create

    def overlapping_create(self: Table, bind: object, checkfirst: bool = False) -> None:
        if self is ours:
            real_create(theirs, engine)  # the other daemon's CREATE commits first
            raise IntegrityError("CREATE TABLE scheduler_jobs", {}, Exception("pg_type_typname_nsp_index"))
        real_create(self, bind, checkfirst=checkfirst)  # type: ignore[arg-type]

    mp = pytest.MonkeyPatch()
    mp.setattr(Table, "create", overlapping_create)
    try:
        ensure_job_table(engine, ours)
    finally:
        mp.undo()
    assert inspect(engine).has_table(JOB_TABLE)
    engine.dispose()
