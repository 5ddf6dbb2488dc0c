"""The local as-run log: what aired, written before anything else and durable across a crash.

Append-only JSON lines, flushed and fsynced per row; each row gets its ``uid`` once, when written, so
an upload retried after a lost answer carries the same uid and the server drops the duplicate.
Acknowledged uids go to a second append-only file. A row torn by a crash mid-write is an unparseable
last line: it is ignored (the row was never complete, so it was never acknowledged either).

An item going on air is written first to ``asrun-onair.jsonl`` (a "started" line, fsynced, then a
progress line every few seconds). Its final row names that airing. A SIGKILL or power cut leaves a
started airing without a final row: the next start turns it into a "cut" row with the real start
and, as its approximate end, the last progress mark (``reconcile``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from broadcast.agent.cache import atomic_write

log = logging.getLogger(__name__)

#: Statuses after which an item is not aired again ("cut" items may be replayed).
FINAL_STATUSES = frozenset({"played", "skipped", "failed"})
#: The row fields of the POST /api/v1/asrun contract; local-only fields are not sent.
UPLOAD_FIELDS = (
    "uid", "date", "version", "kind", "title", "sha256", "bulletin_id", "planned_start", "planned_end",
    "actual_start", "actual_end", "status", "detail", "cause", "language",
)  # fmt: skip


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as fh:
        if fh.tell() > 0:
            with path.open("rb") as rd:
                rd.seek(-1, os.SEEK_END)
                if rd.read(1) != b"\n":  # a crash tore the previous line: start on a fresh one
                    fh.write(b"\n")
        fh.write(line.encode("utf-8") + b"\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return path.read_bytes().decode("utf-8", errors="replace").splitlines()


class AsRunLog:
    def __init__(self, folder: Path) -> None:
        self.rows_path = folder / "asrun.jsonl"
        self.acked_path = folder / "asrun-acked.txt"
        self.rejected_path = folder / "asrun-rejected.txt"
        self.onair_path = folder / "asrun-onair.jsonl"
        self._lock = threading.Lock()

    def append(self, row: dict[str, Any]) -> dict[str, Any]:
        row = {"uid": uuid.uuid4().hex, **row}
        with self._lock:
            _append_line(self.rows_path, json.dumps(row, ensure_ascii=False, sort_keys=True))
        return row

    def started(self, row: dict[str, Any]) -> str:
        """Record (fsynced) that ``row``'s item went on air; returns the airing id its final row names."""
        airing = uuid.uuid4().hex
        with self._lock:
            _append_line(self.onair_path, json.dumps({**row, "airing": airing}, ensure_ascii=False))
        return airing

    def progress(self, airing: str, at: datetime) -> None:
        """The airing is still on air at ``at`` (the approximate end if the machine dies now)."""
        with self._lock:
            _append_line(self.onair_path, json.dumps({"airing": airing, "at": at.isoformat()}))

    def reconcile(self, detail: str) -> list[dict[str, Any]]:
        """Turn every airing that started but never got a final row (a kill) into a "cut" row."""
        closed = {r.get("airing") for r in self.rows() if r.get("airing")}
        started: dict[str, dict[str, Any]] = {}
        last_seen: dict[str, str] = {}
        for line in _read_lines(self.onair_path):
            try:
                mark = json.loads(line)
            except ValueError:
                continue  # torn by the crash
            if not isinstance(mark, dict) or not isinstance(mark.get("airing"), str):
                continue
            if "at" in mark:
                last_seen[mark["airing"]] = str(mark["at"])
            else:
                started[mark["airing"]] = mark
        added = []
        for airing, mark in started.items():
            if airing in closed:
                continue
            added.append(self.append({**mark, "status": "cut", "detail": detail, "cause": "killed",
                                      "actual_end": _approximate_end(mark, last_seen.get(airing))}))  # fmt: skip
        with self._lock:
            if self.onair_path.exists():
                atomic_write(self.onair_path, b"")
        return added

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for line in _read_lines(self.rows_path):
            try:
                row = json.loads(line)
            except ValueError:
                log.warning("bỏ qua dòng as-run hỏng (ghi dở khi máy tắt): %.80s", line)
                continue
            if isinstance(row, dict) and row.get("uid"):
                out.append(row)
        return out

    def _uids(self, path: Path) -> set[str]:
        return {line.strip() for line in _read_lines(path) if line.strip()}

    def done_keys(self) -> set[str]:
        return {str(r["key"]) for r in self.rows() if r.get("status") in FINAL_STATUSES and r.get("key")}

    def pending(self) -> list[dict[str, Any]]:
        """Rows not yet acknowledged by the server (nor refused as invalid), in log order."""
        with self._lock:
            closed = self._uids(self.acked_path) | self._uids(self.rejected_path)
            return [r for r in self.rows() if r["uid"] not in closed]

    def mark_acked(self, uids: Iterable[str]) -> None:
        self._mark(self.acked_path, uids)

    def mark_rejected(self, uids: Iterable[str]) -> None:
        self._mark(self.rejected_path, uids)

    def _mark(self, path: Path, uids: Iterable[str]) -> None:
        with self._lock:
            for uid in uids:
                _append_line(path, uid)

    def compact(self, oldest_kept: date) -> int:
        """Drop acknowledged rows of days before ``oldest_kept``; unsent rows are always kept."""
        with self._lock:
            closed = self._uids(self.acked_path) | self._uids(self.rejected_path)
            rows = self.rows()
            keep = [
                r for r in rows if r["uid"] not in closed or str(r.get("date", "")) >= oldest_kept.isoformat()
            ]
            if len(keep) == len(rows):
                return 0
            kept_uids = {r["uid"] for r in keep}
            atomic_write(
                self.rows_path,
                "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in keep).encode(
                    "utf-8"
                ),
            )
            for path in (self.acked_path, self.rejected_path):
                if path.exists():
                    lines = sorted(self._uids(path) & kept_uids)
                    atomic_write(path, "".join(u + "\n" for u in lines).encode("utf-8"))
            return len(rows) - len(keep)


def _approximate_end(mark: dict[str, Any], last_seen: str | None) -> str | None:
    """The last progress mark, never before the start nor after the planned length."""
    try:
        start = datetime.fromisoformat(str(mark["actual_start"]))
        end = datetime.fromisoformat(last_seen) if last_seen else start
        planned = mark.get("planned_start"), mark.get("planned_end")
        if planned[0] and planned[1]:
            length = datetime.fromisoformat(planned[1]) - datetime.fromisoformat(planned[0])
            end = min(end, start + length)
        return max(end, start).isoformat()
    except (KeyError, TypeError, ValueError):
        return mark.get("actual_start")
