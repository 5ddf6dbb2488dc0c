"""The clarity check of every render, kept with it, and the approval rule it feeds.

A render writes a ``pending`` ClarityCheck row for its MP3 in its own transaction (the durable
queue). :func:`run_check` is the small job that does the work: it reads what it needs in a short
transaction, has the offline recognizer listen *outside* any transaction (seconds to minutes),
then records the result in another one. So it never holds a render, a playlist or an emergency:
the panel runs it on its own one-thread queue after the render job, the CLI after the playlists,
and a queue worker may run it as well (it takes a session factory, an id and the settings).

Where the recognizer is not installed the row says so (``missing``) and nothing else fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from broadcast.changes import audit
from broadcast.db import session_scope
from broadcast.errors import BroadcastError
from broadcast.models import Bulletin, ClarityCheck, MediaFile, Priority
from loa.config import Settings

log = logging.getLogger(__name__)

#: What the panel and the CLI say when no recognizer is installed (the row's ``error``).
MISSING = "Không kiểm tra được độ rõ: không có bộ nhận dạng (cài bằng: pip install 'loa[clarity]')."
#: Statuses a new render of the same file tries again (the recognizer may have been installed since).
_RETRY = frozenset({"missing", "failed"})
#: A pending row's ``checked_at`` is when a process claimed its check; a claim older than this is
#: taken to be a process that died mid-check, and another may take the check over.
CLAIM_TIMEOUT = timedelta(minutes=30)


def recognizer_name() -> str:
    """Which recognizer listens: the viet-asr wheel and its version."""
    from importlib import metadata

    try:
        return f"viet-asr {metadata.version('viet-asr')}"
    except metadata.PackageNotFoundError:
        return "viet-asr"


def mark_pending(session: Session, sha256: str, source_kind: str) -> ClarityCheck:
    """Queue the check of a rendered MP3 (in the render's transaction). A file already checked
    keeps its result; one whose check could not run is queued again."""
    row = session.get(ClarityCheck, sha256)
    if row is None:
        row = ClarityCheck(sha256=sha256, status="pending", source_kind=source_kind, transcript="",
                           recognizer="", error="")
        session.add(row)
    elif row.status in _RETRY:
        row.status, row.error, row.checked_at = "pending", "", None
    session.flush()
    return row


def check_again(session: Session, bulletin: Bulletin) -> ClarityCheck:
    """Queue the check of a bulletin's current audio again, whatever it found before (e.g. the
    recognizer was installed since, or the lexicon changed the spoken form)."""
    if not bulletin.media_sha256:
        raise BroadcastError("Bản tin #%(id)s chưa có âm thanh để kiểm tra độ rõ.", id=bulletin.id)
    row = mark_pending(session, bulletin.media_sha256, bulletin.source_kind)
    row.status, row.error, row.checked_at = "pending", "", None
    session.flush()
    return row


def claim(session: Session, sha256: str, now: datetime | None = None) -> bool:
    """Take the pending check of ``sha256`` for this process (compare-and-set on the row: pending
    and not claimed, or claimed longer ago than :data:`CLAIM_TIMEOUT`). Of several ``loa serve`` or
    worker processes asked to check one file, one gets True; the others leave it to that one."""
    now = now or datetime.now(UTC)
    won = session.execute(
        update(ClarityCheck)
        .where(ClarityCheck.sha256 == sha256, ClarityCheck.status == "pending",
               or_(ClarityCheck.checked_at.is_(None), ClarityCheck.checked_at < now - CLAIM_TIMEOUT))
        .values(checked_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return bool(won.rowcount == 1)  # type: ignore[attr-defined]


def _release(factory: sessionmaker[Session], sha256: str) -> None:
    """Give a claimed check back (the recognizer broke off), so the next request runs it."""
    with session_scope(factory) as s:
        s.execute(update(ClarityCheck).where(ClarityCheck.sha256 == sha256, ClarityCheck.status == "pending")
                  .values(checked_at=None))


@dataclass(frozen=True)
class CheckInput:
    sha256: str
    path: Path
    script: str | None  # None: a recording (transcript alone)


def _input(session: Session, sha256: str, media_dir: Path) -> CheckInput | None:
    row = session.get(ClarityCheck, sha256)
    media = session.get(MediaFile, sha256)
    if row is None or media is None:
        return None
    script = None
    if row.source_kind == "text":
        body = session.scalar(select(Bulletin.body).where(Bulletin.media_sha256 == sha256,
                                                         Bulletin.source_kind == "text").limit(1))
        if body is None:
            return None  # no bulletin speaks this file any more
        script = body
    return CheckInput(sha256, media_dir / media.path, script)


def record_result(session: Session, sha256: str, *, status: str, recognizer: str = "",
                  report: Any = None, error: str = "") -> ClarityCheck:
    """Store what the recognizer heard (``report``: a pipeline ClarityReport), or why it could
    not listen, with an audit row."""
    if status not in ("done", "missing", "failed"):
        raise BroadcastError("Trạng thái kiểm tra độ rõ không hợp lệ: %(s)s.", s=status)
    row = session.get(ClarityCheck, sha256)
    if row is None:
        raise BroadcastError("Không có yêu cầu kiểm tra độ rõ cho tệp %(sha)s.", sha=sha256[:12])
    row.status, row.recognizer, row.error = status, recognizer, error
    row.checked_at = datetime.now(UTC)
    if report is not None:
        row.score, row.wer = report.score, report.wer
        row.missed, row.transcript = list(report.missed), report.transcript
    audit(session, "system", "clarity.check", f"media:{sha256[:12]}", status=status, score=row.score,
          recognizer=recognizer)
    session.flush()
    return row


def listen(check: CheckInput, settings: Settings) -> tuple[str, Any, str]:
    """Run the recognizer: (status, report or None, error). Never raises for a missing recognizer
    or unreadable audio: those are results."""
    from pipeline.clarity import RecognizerMissing, check_clarity
    from pipeline.text import optional_lexicon
    from pipeline.types import PipelineError

    try:
        report = check_clarity(check.path, check.script, optional_lexicon(settings.lexicon_path))
    except RecognizerMissing:
        return "missing", None, MISSING
    except (PipelineError, OSError, RuntimeError) as exc:  # RuntimeError: the ONNX runtime
        log.warning("clarity check of %s failed: %s", check.sha256[:12], exc)
        return "failed", None, str(exc)[:1000]
    return "done", report, ""


def run_check(factory: sessionmaker[Session], sha256: str, settings: Settings) -> dict[str, Any] | None:
    """The job: check one rendered MP3 and store the result. None when there is nothing to do
    (no pending row, another process has claimed it, or no bulletin speaks the file any more)."""
    with session_scope(factory) as s:
        if not claim(s, sha256):
            return None
        check = _input(s, sha256, settings.media_dir)
    if check is None:
        return None
    try:
        status, report, error = listen(check, settings)
    except BaseException:
        _release(factory, sha256)
        raise
    with session_scope(factory) as s:
        row = record_result(s, sha256, status=status, recognizer=recognizer_name() if status == "done" else "",
                            report=report, error=error)
        return summary(row)


def pending(session: Session, limit: int = 20) -> list[str]:
    """The oldest files waiting for their check."""
    q = select(ClarityCheck.sha256).where(ClarityCheck.status == "pending").order_by(ClarityCheck.created_at)
    return list(session.scalars(q.limit(limit)))


def run_pending(factory: sessionmaker[Session], settings: Settings, limit: int = 20,
                on_done: Callable[[dict[str, Any]], None] | None = None) -> int:
    """Check the files waiting for it, oldest first; how many were checked."""
    with session_scope(factory) as s:
        todo = pending(s, limit)
    done = 0
    for sha in todo:
        result = run_check(factory, sha, settings)
        if result is not None:
            done += 1
            if on_done is not None:
                on_done(result)
    return done


# --- reading ---------------------------------------------------------------------------------------


def summary(row: ClarityCheck) -> dict[str, Any]:
    return {"sha256": row.sha256, "status": row.status, "source_kind": row.source_kind, "score": row.score,
            "wer": row.wer, "missed": list(row.missed or []), "transcript": row.transcript,
            "recognizer": row.recognizer, "error": row.error}


def check_for(session: Session, bulletin: Bulletin) -> ClarityCheck | None:
    """The check of the bulletin's current audio, if any."""
    return session.get(ClarityCheck, bulletin.media_sha256) if bulletin.media_sha256 else None


def checks_for(session: Session, shas: Iterable[str | None]) -> dict[str, ClarityCheck]:
    wanted = sorted({s for s in shas if s})
    if not wanted:
        return {}
    return {c.sha256: c for c in session.scalars(select(ClarityCheck).where(ClarityCheck.sha256.in_(wanted)))}


def below(check: ClarityCheck | None, threshold: float) -> bool:
    """True when a finished check scored under the threshold (recordings have no score)."""
    return check is not None and check.status == "done" and check.score is not None and check.score < threshold


# --- the approval rule ------------------------------------------------------------------------------

LISTEN_FIRST = ("Độ rõ của bản đọc là %(score)s, dưới ngưỡng %(threshold)s: hãy nghe bản đọc, đánh dấu "
                "“Tôi đã nghe bản đọc này” rồi duyệt lại.")


def approval_check(session: Session, bulletin: Bulletin, listened: bool,
                   settings: Settings | None) -> dict[str, Any]:
    """Refuse to approve a render that scored below ``clarity_threshold`` unless the reviewer
    confirms they listened to it; what the approval's audit row records. An emergency is never
    held back (its own confirmation page is the check); its score is recorded all the same."""
    check = check_for(session, bulletin)
    detail: dict[str, Any] = {"listened": bool(listened)}
    if check is not None and check.status == "done":
        detail["clarity"] = check.score
    if check is None or check.score is None or bulletin.priority == Priority.EMERGENCY:
        return detail
    if settings is None:
        from loa import config

        settings = config.load()
    if below(check, settings.clarity_threshold) and not listened:
        raise BroadcastError(LISTEN_FIRST, score=f"{check.score:.2f}".replace(".", ","),
                             threshold=f"{settings.clarity_threshold:.2f}".replace(".", ","))
    return detail
