"""Work after commit (broadcast/on_commit.py) and files staged before it (broadcast/staged_files.py):
queue order, a failed file write that does not stop the others, nothing at all after a rollback,
and staged bytes that reach their final names only once the rows commit."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from broadcast.on_commit import after_commit
from broadcast.playlist_export import sweep_temp_files
from broadcast.staged_files import stage_files


def test_actions_run_in_order_after_the_commit_and_a_failure_stops_none(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    done: list[str] = []

    def write(name: str) -> None:
        done.append(name)
        if name == "bad":
            raise OSError("disk full")

    with factory() as s:
        for name in ("first", "a", "bad", "b", "last"):
            after_commit(s, lambda n=name: write(n))
        assert done == []  # nothing before the commit
        s.commit()
    assert done == ["first", "a", "bad", "b", "last"]
    assert "could not write a file after commit" in caplog.text


def test_a_rollback_drops_what_was_queued(factory: sessionmaker[Session]) -> None:
    done: list[str] = []
    with factory() as s:
        s.execute(text("SELECT 1"))  # a transaction under way, as a generation's always is
        after_commit(s, lambda: done.append("x"))
        after_commit(s, lambda: done.append("y"))
        s.rollback()
        s.commit()
    assert done == []


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_staged_files_are_written_before_the_commit_and_named_after_it(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    rendered_on: list[str] = []

    def render(name: str, body: bytes) -> list[tuple[Path, bytes]]:
        rendered_on.append(threading.current_thread().name)
        return [(tmp_path / f"{name}.m3u8", body + b" m3u8"), (tmp_path / f"{name}.json", body)]

    with factory() as s:
        s.execute(text("SELECT 1"))
        stage_files(s, lambda: render("A", b"a1"))
        stage_files(s, lambda: render("B", b"b1"))
        stage_files(s, lambda: render("A", b"a2"))  # the same station again: the later one wins
        order: list[str] = []
        after_commit(s, lambda: order.append("after the files"))
        s.info["loa.staged_files"].pool.submit(lambda: None).result()  # the writer has caught up
        assert not (tmp_path / "A.json").exists()  # nothing under a final name before the commit
        temps = _temporaries(tmp_path)
        assert len(temps) == 6 and all(f".{os.getpid()}." in t for t in temps)
        assert sweep_temp_files(tmp_path.parent, [tmp_path.name]) == 0  # ours, awaiting the commit
        s.commit()
    assert (tmp_path / "A.json").read_bytes() == b"a2" and (tmp_path / "A.m3u8").read_bytes() == b"a2 m3u8"
    assert (tmp_path / "B.json").read_bytes() == b"b1"
    assert _temporaries(tmp_path) == [] and order == ["after the files"]
    assert rendered_on and all(name.startswith("loa-stage") for name in rendered_on)


def test_a_rollback_removes_the_staged_files(factory: sessionmaker[Session], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with factory() as s:
        s.execute(text("SELECT 1"))
        for i in range(20):
            stage_files(s, lambda i=i: [(out / f"S{i}.json", b"{}")])
        s.rollback()
        s.commit()
    assert list(out.iterdir()) == []


def test_a_staged_write_that_fails_leaves_nothing_and_stops_no_other(
    factory: sessionmaker[Session], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with factory() as s:
        s.execute(text("SELECT 1"))
        stage_files(s, lambda: [(out / "ok.m3u8", b"1"), (out / "no-such-folder" / "x.json", b"2")])
        stage_files(s, lambda: [(out / "next.json", b"3")])
        s.commit()
    assert sorted(p.name for p in out.iterdir()) == ["next.json"]  # the failed set: none of it
    assert "could not write a file after commit" in caplog.text


def test_a_session_closed_without_commit_runs_nothing_and_leaves_no_file(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    done: list[str] = []
    s = factory()
    s.execute(text("SELECT 1"))
    stage_files(s, lambda: [(out / "S1.json", b"{}")])
    after_commit(s, lambda: done.append("x"))
    s.close()
    assert list(out.iterdir()) == []  # no temporary file left to a live process's name
    s.execute(text("SELECT 1"))  # the session used again: a new transaction, its own queue
    stage_files(s, lambda: [(out / "S2.json", b"2")])
    s.commit()
    s.close()
    assert done == [] and sorted(p.name for p in out.iterdir()) == ["S2.json"]


def test_a_savepoint_rolled_back_keeps_what_the_transaction_staged(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with factory() as s:
        s.execute(text("SELECT 1"))
        stage_files(s, lambda: [(out / "kept.json", b"1")])
        with s.begin_nested() as sp:
            s.execute(text("SELECT 1"))
            sp.rollback()
        s.commit()
    assert sorted(p.name for p in out.iterdir()) == ["kept.json"]
