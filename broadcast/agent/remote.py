"""The agent's side of remote control (see broadcast/remote.py): the orders that arrive in
heartbeat replies, as plain data and small audio helpers. The Agent does the I/O around them.

- ``stop``: cut what is on air and stay silent for ``minutes`` (items due meanwhile are skipped by
  the usual lateness rules once playout resumes, and logged as such);
- ``resume``: end a ``stop`` before its time (what fell due meanwhile stays skipped, as it would
  have been at the stop's end; the next item airs on time);
- ``skip``: cut what is on air and go on with the next item;
- ``volume``: scale every sample by ``level``/100 from now on (kept across restarts);
- ``tone``: a 1 kHz test tone of ``seconds`` at the current volume, as soon as nothing airs;
- ``play_now``: fetch an approved bulletin's file (checked by sha256) and air it as soon as nothing
  airs, with an as-run row;
- ``system_test``: silent: is today's playlist cached, is every file of it there, does the sound
  output open (a fraction of a second of silence), how much disk is left.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from broadcast.agent.cache import atomic_write

KINDS = frozenset({"stop", "resume", "skip", "volume", "tone", "play_now", "system_test"})
TONE_HZ = 1000.0
TONE_RATE = 44_100
#: Peak of the test tone before the volume: -6 dBFS.
TONE_PEAK = 0.5
CHUNK_S = 0.1


@dataclass(frozen=True)
class Order:
    id: int
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


def parse_orders(reply: dict[str, Any]) -> list[Order]:
    """The orders of a heartbeat reply; anything malformed or unknown is dropped (an old agent
    must keep running against a newer server)."""
    raw = reply.get("commands")
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            continue
        params = item.get("params") if isinstance(item.get("params"), dict) else {}
        out.append(Order(int(item["id"]), str(item.get("kind", "")), dict(params or {})))
    return out


def tone_chunks(seconds: float, rate: int = TONE_RATE, hz: float = TONE_HZ) -> Iterator[np.ndarray]:
    """A mono sine, int16, in chunks of CHUNK_S."""
    total = int(seconds * rate)
    step = int(rate * CHUNK_S)
    amplitude = TONE_PEAK * 32767
    for start in range(0, total, step):
        n = np.arange(start, min(total, start + step))
        yield (amplitude * np.sin(2 * np.pi * hz * n / rate)).astype(np.int16).reshape(-1, 1)


def silence_chunks(seconds: float, rate: int = TONE_RATE) -> Iterator[np.ndarray]:
    yield np.zeros((int(seconds * rate), 1), dtype=np.int16)


def scaled(chunks: Iterable[np.ndarray], volume: float) -> Iterator[np.ndarray]:
    """The chunks at ``volume`` (0–1); 1 passes them through untouched."""
    if volume >= 1.0:
        yield from chunks
        return
    for chunk in chunks:
        yield (chunk.astype(np.float32) * volume).astype(np.int16)


class VolumeFile:
    """The volume an operator set, kept in the cache folder so a restart does not undo it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "remote-volume.json"

    def load(self) -> float:
        try:
            level = json.loads(self.path.read_text("utf-8"))["level"]
            return max(0.0, min(1.0, float(level) / 100.0))
        except (OSError, ValueError, KeyError, TypeError):
            return 1.0

    def save(self, level: int) -> None:
        atomic_write(self.path, json.dumps({"level": level}).encode("utf-8"))


def disk_free_text(folder: Path) -> str:
    free = shutil.disk_usage(folder).free
    return f"còn trống {free / 1e9:.1f} GB"
