"""Errors of the broadcast services.

Every error carries a message key and its parameters instead of a finished sentence, so each
adapter shows it in the user's language: the key is the Vietnamese text with ``%(name)s``
placeholders (the users' language, and the msgid of the panel's translation catalog), and
``str(error)`` is that Vietnamese text filled in, which is what the CLI prints. The panel and the
API call :func:`BroadcastError.translate` with Flask-Babel's ``gettext``.

    raise NotFound("Không có bản tin #%(id)s.", id=42)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class BroadcastError(ValueError):
    """Bad input or a forbidden change; nothing was stored."""

    def __init__(self, key: str, /, **params: Any):
        self.key = key
        self.params = params
        super().__init__(_fill(key, params))

    def translate(self, gettext: Callable[..., str]) -> str:
        """The message in the caller's language (``gettext`` looks the key up, then fills it)."""
        return _fill(gettext(self.key), self.params)


def _fill(template: str, params: dict[str, Any]) -> str:
    if not params:
        return template
    try:
        return template % params
    except (KeyError, ValueError, TypeError):
        return template


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
        super().__init__("Tệp CSV có %(count)s dòng lỗi, chưa nhập gì:\n%(lines)s",
                         count=len(errors), lines=lines)
