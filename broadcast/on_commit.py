"""Work that must follow a commit, never precede it: files exported from rows.

A playlist file that names a version the database never committed misleads every agent that reads
it (a killed `loa playlist generate` left thousands). So exports are queued on the session and run
only once its outermost transaction has committed; a rollback (or a close without commit) drops
them. (A night's playlist files are written before the commit under temporary names and only
renamed here: ``broadcast.staged_files``.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_KEY = "loa.after_commit"


def after_commit(session: Session, action: Callable[[], object]) -> None:
    """Run ``action`` after ``session`` commits (in queue order); drop it if it rolls back."""
    if not event.contains(session, "after_commit", _run):
        event.listen(session, "after_commit", _run)
        event.listen(session, "after_transaction_end", _drop)
    session.info.setdefault(_KEY, []).append(action)


def _run(session: Session) -> None:
    for action in session.info.pop(_KEY, []):
        try:
            action()
        except OSError:  # the rows are committed; the next generation rewrites what is missing
            log.exception("không ghi được tệp sau khi lưu / could not write a file after commit")


def _drop(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended: after a commit ``_run`` has emptied the queue; after a
    # rollback, or a session closed without committing, what is left must never run.
    if transaction.parent is None:
        session.info.pop(_KEY, None)
