"""Where the samples come from: a cached MP3 (decoded by miniaudio) or a relay's live stream (decoded
by the ffmpeg binary that imageio-ffmpeg ships, so no system package is needed on Windows either)."""

from __future__ import annotations

import logging
import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import miniaudio
import numpy as np

log = logging.getLogger(__name__)

CHUNK_S = 0.1
RELAY_RATE = 44_100
RELAY_CHANNELS = 1


class RelayError(RuntimeError):
    """The relay stream could not be opened (message in Vietnamese)."""


def decode_file(path: Path) -> tuple[np.ndarray, int]:
    """Decode an audio file at its own rate and channel count to int16 (frames, channels)."""
    info = miniaudio.get_file_info(str(path))
    decoded = miniaudio.decode_file(
        str(path), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=info.nchannels,
        sample_rate=info.sample_rate,
    )  # fmt: skip
    samples = np.frombuffer(decoded.samples, dtype=np.int16).reshape(-1, decoded.nchannels)
    return samples, decoded.sample_rate


def stream_file(path: Path, chunk_s: float = CHUNK_S) -> tuple[Iterator[np.ndarray], int]:
    """Decode while playing, chunk by chunk: a two-hour recording never sits whole in memory.
    Opening the decoder here makes an unreadable file fail before anything goes on air."""
    info = miniaudio.get_file_info(str(path))
    channels, rate = info.nchannels, info.sample_rate
    blocks = miniaudio.stream_file(
        str(path), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=channels, sample_rate=rate,
        frames_to_read=max(1, int(rate * chunk_s)),
    )  # fmt: skip

    def chunks() -> Iterator[np.ndarray]:
        for block in blocks:
            yield np.frombuffer(block, dtype=np.int16).reshape(-1, channels)

    return chunks(), rate


def file_chunks(samples: np.ndarray, sample_rate: int, chunk_s: float = CHUNK_S) -> Iterator[np.ndarray]:
    step = max(1, int(sample_rate * chunk_s))
    for start in range(0, len(samples), step):
        yield samples[start : start + step]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


class RelayStream:
    """A stream URL decoded to PCM for ``seconds``. ``open()`` waits for the first audio, so a stream
    that cannot be reached fails there (→ as-run "failed") rather than as silence on air."""

    def __init__(
        self, url: str, seconds: float, *, sample_rate: int = RELAY_RATE, channels: int = RELAY_CHANNELS,
        connect_timeout_s: float = 15.0, chunk_s: float = CHUNK_S,
    ) -> None:  # fmt: skip
        self.url = url
        self.seconds = seconds
        self.sample_rate = sample_rate
        self.channels = channels
        self.connect_timeout_s = connect_timeout_s
        self.chunk_bytes = max(1, int(sample_rate * chunk_s)) * channels * 2
        self._proc: subprocess.Popen[bytes] | None = None
        # ffmpeg's messages go to a file, not a pipe: nobody reads a pipe while the relay airs, and a
        # stream that keeps logging decode errors would fill it (4 KiB on Windows) and stall ffmpeg.
        self._err: IO[bytes] | None = None
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=64)
        self._first: bytes | None = None
        self._closed = threading.Event()
        self.broken: str = ""

    def _command(self) -> list[str]:
        return [
            ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
            "-rw_timeout", str(int(self.connect_timeout_s * 1_000_000)),
            "-i", self.url, "-t", f"{self.seconds:.3f}", "-vn",
            "-f", "s16le", "-acodec", "pcm_s16le", "-ac", str(self.channels), "-ar", str(self.sample_rate),
            "pipe:1",
        ]  # fmt: skip

    def _pump(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        stdout = self._proc.stdout
        pending = b""
        while True:
            block = stdout.read(self.chunk_bytes)
            if not block:
                break
            pending += block
            usable = len(pending) - len(pending) % (2 * self.channels)
            if usable:
                self._put(pending[:usable])
                pending = pending[usable:]
        self._put(None)

    def _put(self, item: bytes | None) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def open(self) -> RelayStream:
        self._err = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the stream; closed in close())
        self._proc = subprocess.Popen(
            self._command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err
        )
        threading.Thread(target=self._pump, name="loa-relay", daemon=True).start()
        try:
            first = self._queue.get(timeout=self.connect_timeout_s + 2.0)
        except queue.Empty:
            first = None
        if first is None:
            detail = self._stderr()
            self.close()
            raise RelayError(f"Không kết nối được luồng tiếp sóng {self.url}: {detail or 'không có dữ liệu'}")
        self._first = first
        return self

    def _stderr(self) -> str:
        proc, err = self._proc, self._err
        if proc is None or err is None or err.closed:
            return ""
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return ""
        err.seek(0)
        return err.read().decode("utf-8", errors="replace").strip()[-300:]

    def __iter__(self) -> Iterator[np.ndarray]:
        first, self._first = self._first, None
        block: bytes | None = first
        while block is not None and not self._closed.is_set():
            yield np.frombuffer(block, dtype=np.int16).reshape(-1, self.channels)
            block = self._next_block()
        if self._proc is not None and self._proc.wait() != 0 and not self._closed.is_set():
            self.broken = self._stderr() or f"ffmpeg thoát với mã {self._proc.returncode}"

    def _next_block(self) -> bytes | None:
        while not self._closed.is_set():
            try:
                return self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
        return None

    def close(self) -> None:
        self._closed.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._proc is not None and self._proc.stdout is not None:
            self._proc.stdout.close()
        if self._err is not None:
            self._err.close()
