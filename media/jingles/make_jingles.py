"""Synthesize Loa's jingles: an intro chime, an outro chime and a station-ID motif.

Run from the repository root: ``.venv/bin/python media/jingles/make_jingles.py``. It rewrites
``intro-chime.ogg``, ``outro-chime.ogg`` and ``station-id.ogg`` beside this script. The sounds are
plain additive synthesis of bell-like tones (inharmonic partials, each decaying at its own rate),
so the files are ours to ship and can be regenerated at will. Output is mono Ogg Vorbis at 22.05 kHz:
a chime has nothing above 10 kHz worth keeping, and the files stay at a few KB.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

RATE = 22_050
HERE = Path(__file__).resolve().parent

#: Partials of a small bell (ratio to the fundamental, relative amplitude, decay time in seconds).
BELL = ((1.0, 1.0, 1.6), (2.0, 0.45, 0.9), (2.76, 0.3, 0.6), (5.4, 0.12, 0.35), (8.93, 0.05, 0.2))


def note_hz(name: str) -> float:
    """'C5' -> 523.25 Hz (equal temperament, A4 = 440 Hz)."""
    semitones = {"C": -9, "D": -7, "E": -5, "F": -4, "G": -2, "A": 0, "B": 2}[name[0]]
    return 440.0 * 2.0 ** ((semitones + 12 * (int(name[1:]) - 4)) / 12.0)


def bell(freq: float, seconds: float, rate: int = RATE) -> npt.NDArray[np.float64]:
    t = np.arange(int(seconds * rate)) / rate
    tone = np.zeros_like(t)
    for ratio, amp, decay in BELL:
        if freq * ratio < rate / 2 * 0.9:
            tone += amp * np.exp(-t / decay) * np.sin(2 * np.pi * freq * ratio * t)
    attack = np.minimum(1.0, t / 0.004)  # 4 ms: no click, still a strike
    return tone * attack


def chime(notes: list[tuple[str, float]], seconds: float, rate: int = RATE) -> npt.NDArray[np.float32]:
    """Notes (name, start in s) mixed into ``seconds`` of audio, peak -3 dBFS, faded at the end."""
    out = np.zeros(int(seconds * rate))
    for name, start in notes:
        tone = bell(note_hz(name), seconds - start, rate)
        a = int(start * rate)
        out[a : a + len(tone)] += tone
    fade = int(0.3 * rate)
    out[-fade:] *= np.linspace(1.0, 0.0, fade) ** 2
    out *= 10 ** (-3 / 20) / np.max(np.abs(out))
    return out.astype(np.float32)


JINGLES = {
    "intro-chime.ogg": ([("C5", 0.0), ("E5", 0.22), ("G5", 0.44), ("C6", 0.66)], 2.6),
    "outro-chime.ogg": ([("C6", 0.0), ("G5", 0.22), ("E5", 0.44), ("C5", 0.66)], 2.6),
    "station-id.ogg": ([("G4", 0.0), ("C5", 0.3), ("E5", 0.6), ("D5", 0.9), ("G5", 1.2), ("C5", 1.2)], 3.4),
}


def encode_ogg(samples: npt.NDArray[np.float32], dest: Path, rate: int = RATE) -> None:
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(rate),
           "-ac", "1", "-i", "pipe:0", "-c:a", "libvorbis", "-q:a", "0", "-map_metadata", "-1", "-y", str(dest)]
    subprocess.run(cmd, input=samples.astype("<f4").tobytes(), check=True)


def main(out_dir: Path = HERE) -> list[Path]:
    written = []
    for name, (notes, seconds) in JINGLES.items():
        dest = out_dir / name
        encode_ogg(chime(notes, seconds), dest)
        written.append(dest)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"{path.name}: {path.stat().st_size} bytes")
