"""Files that must appear only once the rows they describe commit, written while those rows are.

A night writes three small files for each of tens of thousands of stations. Creating a file costs
the project's machine 0.2–0.4 ms of kernel time, and the kernel does it one at a time, however many
threads ask: written after the commit, 150,000 files took 30 s in which the database sat idle. So
the bytes go to temporary names on one background thread while the transaction is still working
(the database, Python and the file system then share the cores), and after the commit only renames
are left (about 10 µs each), in the order they were staged. A rollback removes the temporary files;
a process killed before its commit leaves them to ``playlist_export.sweep_temp_files``, which knows
their names (``playlist_files.write_temporary``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from broadcast.on_commit import after_commit
from broadcast.playlist_files import Written, put_in_place, remove_temporary, write_temporary

log = logging.getLogger(__name__)

_KEY = "loa.staged_files"


@dataclass
class _Stage:
    """A transaction's staged files: the thread writing them, and what each staging wrote."""

    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="loa-stage")
    )
    futures: list[Future[Written]] = field(default_factory=list)


def stage_files(session: Session, render: Callable[[], Iterable[tuple[Path, bytes]]]) -> None:
    """Run ``render()`` and write its files (path, bytes) under temporary names now, beside the
    caller's transaction; rename them into place, in order, after ``session`` commits, or remove
    them if it rolls back or is closed without a commit. ``render`` runs on another thread: it must
    only read what it was given."""
    stage: _Stage | None = session.info.get(_KEY)
    if stage is None:
        stage = session.info[_KEY] = _Stage()
        if not event.contains(session, "after_transaction_end", _discard):
            event.listen(session, "after_commit", _close)
            event.listen(session, "after_transaction_end", _discard)
    future = stage.pool.submit(lambda: write_temporary(render()))
    stage.futures.append(future)
    after_commit(session, partial(_put_in_place, future))


def _put_in_place(future: Future[Written]) -> None:
    """After the commit: the staged files under their final names (an OSError raised here, or by
    the staging, is logged by ``on_commit``; the next generation writes what is missing)."""
    put_in_place(future.result())


def _close(session: Session) -> None:
    stage: _Stage | None = session.info.pop(_KEY, None)
    if stage is not None:
        stage.pool.shutdown(wait=True)


def _discard(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit (rolled back, or the session closed):
    nothing staged may reach its final name. After a commit ``_close`` has already taken all."""
    if transaction.parent is not None:
        return  # a savepoint or inner transaction: the outermost one decides
    stage: _Stage | None = session.info.pop(_KEY, None)
    if stage is None:
        return
    stage.pool.shutdown(wait=True, cancel_futures=True)
    for future in stage.futures:
        if future.cancelled() or future.exception() is not None:
            continue  # never ran, or removed its own files when it failed
        remove_temporary(future.result())
    log.debug("no commit: %d staged file sets removed", len(stage.futures))
