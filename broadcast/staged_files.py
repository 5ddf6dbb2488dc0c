"""Files that must appear only once the rows they describe commit, written while those rows are.

A night writes three small files for each of tens of thousands of stations. Creating a file costs
the project's machine 0.2–0.4 ms of kernel time, and the kernel does it one at a time, however many
threads ask: written after the commit, 150,000 files took 30 s in which the database sat idle. So
the bytes go to temporary names on one background thread while the transaction is still working
(the database, Python and the file system then share the cores), and after the commit only renames
are left (about 10 µs each), in the order they were staged. A rollback removes the temporary files;
a process killed before its commit leaves them to ``playlist_export.sweep_temp_files``, which knows
their names (``.NAME.PID.SEQ.tmp``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from broadcast.on_commit import after_commit

log = logging.getLogger(__name__)

_KEY = "loa.staged_files"
_SEQ = itertools.count(1)

#: What a staged action writes: (final path, bytes), put in place in this order.
Files = Sequence[tuple[Path, bytes]]
#: The temporary files written for it: (temporary path, final path).
Written = list[tuple[str, str]]


def stage_files(session: Session, render: Callable[[], Files]) -> None:
    """Run ``render()`` and write its files under temporary names now, beside the caller's
    transaction; rename them into place after ``session`` commits, or remove them if it rolls back.
    ``render`` runs on another thread: it must only read what it was given. The session closed
    without a commit counts as a rollback."""
    pool: ThreadPoolExecutor | None = session.info.get(_KEY)
    if pool is None:
        pool = session.info[_KEY] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loa-stage")
        staged: list[Future[Written]] = []
        session.info[_KEY + ".futures"] = staged
        if not event.contains(session, "after_transaction_end", _discard):
            event.listen(session, "after_commit", _close)
            event.listen(session, "after_transaction_end", _discard)
    future = pool.submit(_write_temporary, render)
    session.info[_KEY + ".futures"].append(future)
    after_commit(session, partial(_put_in_place, future))


def _write_temporary(render: Callable[[], Files]) -> Written:
    written: Written = []
    try:
        for path, data in render():
            final = str(path)
            folder, name = os.path.split(final)
            tmp = os.path.join(folder, f".{name}.{os.getpid()}.{next(_SEQ)}.tmp")
            written.append((tmp, final))
            with open(tmp, "wb") as fh:
                fh.write(data)
    except BaseException:
        _remove(written)
        raise
    return written


def _put_in_place(future: Future[Written]) -> None:
    """After the commit: the staged files under their final names (an OSError raised here, or by
    the staging, is logged by ``on_commit``; the next generation writes what is missing)."""
    written = future.result()
    try:
        for tmp, final in written:
            os.replace(tmp, final)
    except BaseException:
        _remove(written)
        raise


def _remove(written: Written) -> None:
    for tmp, _ in written:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _close(session: Session) -> None:
    pool: ThreadPoolExecutor | None = session.info.pop(_KEY, None)
    session.info.pop(_KEY + ".futures", None)
    if pool is not None:
        pool.shutdown(wait=True)


def _discard(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit (rolled back, or the session closed):
    nothing staged may reach its final name. After a commit ``_close`` has already taken all."""
    if transaction.parent is not None:
        return  # a savepoint or inner transaction: the outermost one decides
    pool: ThreadPoolExecutor | None = session.info.pop(_KEY, None)
    futures: list[Future[Written]] = session.info.pop(_KEY + ".futures", [])
    if pool is None:
        return
    pool.shutdown(wait=True, cancel_futures=True)
    for future in futures:
        if future.cancelled() or future.exception() is not None:
            continue  # never ran, or removed its own files when it failed
        _remove(future.result())
    log.debug("no commit: %d staged file sets removed", len(futures))
