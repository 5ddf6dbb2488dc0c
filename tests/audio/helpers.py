"""Signal and file helpers shared by the audio tests."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

from pipeline.audio.ffmpeg import ffmpeg_exe


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    x = np.asarray(samples, dtype=np.float64)
    channels = 1 if x.ndim == 1 else x.shape[1]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        return x, w.getframerate()


def transcode(src: Path, dest: Path, *args: str) -> Path:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(src), *args, str(dest)], check=True)
    return dest
