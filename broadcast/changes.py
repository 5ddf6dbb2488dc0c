"""What every service command shares: its audit row, its regeneration request, and reporting
several problems with one request at once.

Both rows are written in the caller's transaction, so a change, its audit trail and its request
for new playlists land together or not at all (the outbox the scheduler drains).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from broadcast.errors import BroadcastError
from broadcast.models import AuditLog, RegenRequest


def audit(session: Session, actor: str, action: str, target: str = "", **detail: Any) -> None:
    """One audit row (who, what, on what, details) in the caller's transaction."""
    session.add(AuditLog(actor=actor or "system", action=action, target=target, detail=detail or None))


#: ``session.info`` key: the transaction wrote regeneration requests (the CLI then processes them).
REGEN_WRITTEN = "loa.regen_written"


def add_regen_request(session: Session, request: RegenRequest) -> None:
    """The one way a RegenRequest row is written: in the caller's transaction, flagged on it."""
    session.add(request)
    session.flush()
    session.info[REGEN_WRITTEN] = True


def request_regen(session: Session, reason: str, codes: Iterable[str] | None) -> None:
    """Ask for new playlists: for the stations named, or every active station (``None``).
    An empty list asks for nothing."""
    wanted = None if codes is None else sorted(set(codes))
    if wanted == []:
        return
    add_regen_request(session, RegenRequest(reason=reason, station_codes=wanted))


class Invalid(BroadcastError):
    """Several problems with one request, reported together so a form can show each of them."""

    def __init__(self, errors: list[BroadcastError]):
        self.errors = errors
        super().__init__("%(lines)s", lines="\n".join(str(e) for e in errors))

    def translate(self, gettext: Callable[..., str]) -> str:
        return "\n".join(e.translate(gettext) for e in self.errors)


class Problems:
    """Collects the problems of a request; ``check()`` raises them all (one alone as itself)."""

    def __init__(self) -> None:
        self.errors: list[BroadcastError] = []

    def add(self, key: str, /, **params: Any) -> None:
        self.errors.append(BroadcastError(key, **params))

    def keep(self, exc: BroadcastError) -> None:
        self.errors.extend(exc.errors if isinstance(exc, Invalid) else [exc])

    def check(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise Invalid(self.errors)


def messages(exc: BroadcastError, gettext: Callable[..., str]) -> list[str]:
    """Each problem of an error as its own line, in the caller's language (for forms)."""
    return [line for line in exc.translate(gettext).splitlines() if line.strip()]
