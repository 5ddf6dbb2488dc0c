"""The local as-run log survives a crash mid-write and tracks what the server acknowledged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from broadcast.agent.asrun_log import AsRunLog


def row(key: str, status: str = "played", day: str = "2026-11-26") -> dict:
    return {"key": key, "date": day, "status": status, "title": key}


def test_uid_is_given_once_and_rows_are_durable(tmp_path: Path) -> None:
    log = AsRunLog(tmp_path)
    first = log.append(row("a"))
    assert len(first["uid"]) == 32
    again = AsRunLog(tmp_path).rows()  # a fresh process reads the same rows, same uids
    assert [r["uid"] for r in again] == [first["uid"]]


def test_a_line_torn_by_a_crash_is_ignored_and_the_next_row_starts_clean(tmp_path: Path) -> None:
    log = AsRunLog(tmp_path)
    log.append(row("a"))
    with log.rows_path.open("ab") as fh:
        fh.write(b'{"uid": "torn", "key": "b", "sta')  # power cut mid-write
    log.append(row("c"))
    assert [r["key"] for r in AsRunLog(tmp_path).rows()] == ["a", "c"]


def test_done_keys_count_final_statuses_only(tmp_path: Path) -> None:
    log = AsRunLog(tmp_path)
    for key, status in [("a", "played"), ("b", "cut"), ("c", "skipped"), ("d", "failed")]:
        log.append(row(key, status))
    assert log.done_keys() == {"a", "c", "d"}  # a cut item may air again


def test_pending_excludes_acknowledged_and_rejected_rows(tmp_path: Path) -> None:
    log = AsRunLog(tmp_path)
    a, b, c = (log.append(row(k)) for k in "abc")
    log.mark_acked([a["uid"]])
    log.mark_rejected([c["uid"]])
    assert [r["uid"] for r in AsRunLog(tmp_path).pending()] == [b["uid"]]


def test_compact_drops_old_acknowledged_rows_but_never_unsent_ones(tmp_path: Path) -> None:
    log = AsRunLog(tmp_path)
    old_sent = log.append(row("a", day="2026-11-01"))
    old_unsent = log.append(row("b", day="2026-11-01"))
    recent = log.append(row("c", day="2026-11-25"))
    log.mark_acked([old_sent["uid"], recent["uid"]])
    assert log.compact(date(2026, 11, 19)) == 1
    assert [r["uid"] for r in log.rows()] == [old_unsent["uid"], recent["uid"]]
    assert [r["uid"] for r in log.pending()] == [old_unsent["uid"]]
