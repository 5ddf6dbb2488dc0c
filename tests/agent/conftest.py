"""Fixtures for the agent tests: real MP3 tones (encoded once with the bundled ffmpeg) and a live server."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcast.agent.sources import decode_file, ffmpeg_exe
from tests.agent.helpers import StationServer, Tone

# name: (frequency Hz, seconds)
TONES = {"a": (440, 2.0), "b": (660, 1.0), "c": (880, 1.0), "e": (1320, 1.0), "long": (550, 6.0)}


@pytest.fixture(scope="session")
def tones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Tone]:
    folder = tmp_path_factory.mktemp("tones")
    out: dict[str, Tone] = {}
    for name, (freq, seconds) in TONES.items():
        path = folder / f"{name}.mp3"
        subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi",
             "-i", f"sine=frequency={freq}:duration={seconds}:sample_rate=44100",
             "-ac", "1", "-b:a", "64k", str(path)],
            check=True,
        )  # fmt: skip
        data = path.read_bytes()
        samples, rate = decode_file(path)
        out[name] = Tone(
            name, path, data, hashlib.sha256(data).hexdigest(), len(samples) / rate, samples, rate
        )
    return out


@pytest.fixture
def server() -> Iterator[StationServer]:
    srv = StationServer().start()
    yield srv
    srv.close()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "agent-cache"
