"""Work that must follow a commit, never precede it: files exported from rows.

A playlist file that names a version the database never committed misleads every agent that reads
it (a killed `loa playlist generate` left thousands). So exports are queued on the session and run
only once its outermost transaction has committed; a rollback drops them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_KEY = "loa.after_commit"


#: Threads that run independent actions (a night's playlist files: three small files for each of
#: thousands of stations, mostly system calls, which release the GIL). Measured at 10,000 stations
#: on the project's 2-core machine: see scripts/bench_scale.py's nightly row.
WRITERS = 4


def after_commit(session: Session, action: Callable[[], object], *, independent: bool = False) -> None:
    """Run ``action`` after ``session`` commits (in queue order); drop it if it rolls back.
    ``independent``: it may run beside the other independent actions queued next to it (each
    station's files: no order between stations); an action that is not waits for them."""
    if not event.contains(session, "after_commit", _run):
        event.listen(session, "after_commit", _run)
        event.listen(session, "after_rollback", _drop)
    session.info.setdefault(_KEY, []).append((action, independent))


def _attempt(action: Callable[[], object]) -> None:
    try:
        action()
    except OSError:  # the rows are committed; the next generation rewrites what is missing
        log.exception("không ghi được tệp sau khi lưu / could not write a file after commit")


def _run(session: Session) -> None:
    queue: list[tuple[Callable[[], object], bool]] = session.info.pop(_KEY, [])
    i = 0
    while i < len(queue):
        j = i
        while j < len(queue) and queue[j][1]:
            j += 1
        if j - i > 1:  # a run of independent actions: side by side
            with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="loa-files") as pool:
                list(pool.map(_attempt, (a for a, _ in queue[i:j])))
            i = j
            continue
        _attempt(queue[i][0])
        i += 1


def _drop(session: Session) -> None:
    # Fired for the real (outermost) rollback only, not when a savepoint rolls back.
    session.info.pop(_KEY, None)
