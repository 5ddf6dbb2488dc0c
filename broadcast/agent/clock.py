"""Time as the agent sees it, injectable so tests can run a whole day's playout in milliseconds."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC now."""
        ...

    def wait(self, seconds: float, event: threading.Event | None = None) -> bool:
        """Let ``seconds`` pass; return True as soon as ``event`` is (or becomes) set."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float, event: threading.Event | None = None) -> bool:
        seconds = max(0.0, seconds)
        if event is None:
            time.sleep(seconds)
            return False
        return event.wait(seconds)
