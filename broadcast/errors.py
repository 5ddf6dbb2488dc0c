"""Errors of the broadcast services. Messages are Vietnamese and shown to users as they are."""

from __future__ import annotations


class BroadcastError(ValueError):
    """Bad input or a forbidden change; nothing was stored."""


class NotFound(BroadcastError):
    """The station, group or bulletin named does not exist."""


class Forbidden(BroadcastError):
    """Missing or wrong credentials, or an action the caller may not take."""


class InvalidTransition(BroadcastError):
    """A bulletin cannot move from its current status to the one asked for."""


class RenderFailed(BroadcastError):
    """The pipeline could not render a bulletin; the failure is recorded on the bulletin."""


class CsvErrors(BroadcastError):
    """Every bad line of an imported CSV, so the user can fix them all in one pass."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        lines = "\n".join(f"  dòng {line}: {reason}" for line, reason in errors)
        super().__init__(f"Tệp CSV có {len(errors)} dòng lỗi, chưa nhập gì:\n{lines}")
