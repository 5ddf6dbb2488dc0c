"""The ffmpeg binary shipped by imageio-ffmpeg: probing, streaming decode to float32, MP3 encoding.

Only container I/O and codecs happen in ffmpeg; all signal processing is ours, on NumPy arrays.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from pipeline.types import PipelineError

log = logging.getLogger(__name__)

#: Frames per block read from the decoder (about 1.5 s at 44.1 kHz).
BLOCK_FRAMES = 1 << 16

_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2}
#: LAME's algorithm quality (0 best/slowest .. 9). 7 encodes twice as fast as the default 5; at
#: 64 kbit/s mono speech for horn loudspeakers the difference is not audible, the time is.
LAME_QUALITY = 7


class StreamTooLong(PipelineError):
    """The decoded stream ran past the frame limit given to ``decode_pcm``."""


@functools.cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@dataclass(frozen=True)
class Probe:
    """What ffmpeg says about a file before decoding it."""

    duration_s: float | None  # None: unknown (streamed formats)
    sample_rate: int
    channels: int  # as decoded: 1 or 2 (ffmpeg downmixes anything wider to stereo)
    codec: str
    duration_estimated: bool  # ffmpeg guessed the duration from the bitrate


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO = re.compile(r"Stream #\d+:\d+.*?: Audio: ([^,\s]+)[^,]*, (\d+) Hz, ([^,]+)")


def probe(path: Path) -> Probe:
    """Read the container header with ``ffmpeg -i`` (imageio-ffmpeg ships no ffprobe)."""
    proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)],
                          capture_output=True, text=True, errors="replace", check=False)
    err = proc.stderr
    audio = _AUDIO.search(err)
    if audio is None:
        if "Input #0" in err:
            raise PipelineError("Tệp không chứa âm thanh: không tìm thấy luồng âm thanh nào.")
        log.info("ffmpeg cannot read %s: %s", path, err.strip()[-300:])
        raise PipelineError("Không đọc được tệp âm thanh: định dạng không được hỗ trợ hoặc tệp bị hỏng.")
    match = _DURATION.search(err)
    duration = None
    if match:
        h, m, s = match.groups()
        duration = int(h) * 3600 + int(m) * 60 + float(s)
    layout = audio.group(3).strip()
    channels = _LAYOUT_CHANNELS.get(layout)
    if channels is None:
        count = re.match(r"(\d+) channels", layout)
        channels = 1 if count and count.group(1) == "1" else 2
    return Probe(duration, int(audio.group(2)), channels, audio.group(1),
                 "Estimating duration from bitrate" in err)


def decode_pcm(path: Path, info: Probe, max_frames: int | None = None) -> Iterator[npt.NDArray[np.float32]]:
    """Stream float32 blocks, (frames,) for mono or (frames, 2), at the file's own sample rate.

    Raises PipelineError when ffmpeg fails, or when the stream runs past ``max_frames``.
    """
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-i", str(path), "-map", "0:a:0",
           "-f", "f32le", "-c:a", "pcm_f32le", "-ac", str(info.channels), "pipe:1"]
    with tempfile.TemporaryFile() as errfile:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errfile, stdin=subprocess.DEVNULL)
        assert proc.stdout is not None
        frame_bytes = 4 * info.channels
        total = 0
        try:
            while True:
                data = _read_exact(proc.stdout, BLOCK_FRAMES * frame_bytes)
                usable = len(data) // frame_bytes * frame_bytes
                if usable:
                    block = np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
                    if info.channels > 1:
                        block = block.reshape(-1, info.channels)
                    total += len(block)
                    if max_frames is not None and total > max_frames:
                        raise StreamTooLong("Bản ghi quá dài so với giới hạn cho phép.")
                    yield block
                if len(data) < BLOCK_FRAMES * frame_bytes:
                    break
            rc = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if rc != 0:
            errfile.seek(0)
            message = errfile.read().decode("utf-8", "replace").strip()
            log.info("ffmpeg failed decoding %s: %s", path, message[-300:])
            raise PipelineError("Tệp âm thanh bị hỏng: không giải mã được đến hết tệp.")


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = stream.read(size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class Mp3Encoder:
    """An ffmpeg/libmp3lame process fed raw mono float32 on stdin, writing an untagged MP3."""

    def __init__(self, dest: Path, sample_rate: int, bitrate_kbps: int) -> None:
        # Lives as long as the encoder process; closed in close() or abort().
        self._errfile = tempfile.TemporaryFile()  # noqa: SIM115
        cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-f", "f32le", "-ar", str(sample_rate),
               "-ac", "1", "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k",
               "-compression_level", str(LAME_QUALITY),
               "-map_metadata", "-1", "-id3v2_version", "0", "-write_id3v1", "0", "-f", "mp3", "-y", str(dest)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._errfile)

    def write(self, samples: npt.NDArray[np.float32]) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(np.asarray(samples, dtype="<f4").tobytes())
        except BrokenPipeError:
            self._proc.wait()
            raise PipelineError(f"Không mã hoá được MP3: {self._error()}") from None

    def close(self) -> None:
        assert self._proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()
        if self._proc.wait() != 0:
            raise PipelineError(f"Không mã hoá được MP3: {self._error()}")
        self._errfile.close()

    def abort(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self._proc.stdin.close()
        self._errfile.close()

    def _error(self) -> str:
        self._errfile.seek(0)
        return self._errfile.read().decode("utf-8", "replace").strip()[-300:]
