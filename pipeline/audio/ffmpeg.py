"""The ffmpeg binary shipped by imageio-ffmpeg: probing, streaming decode to float32, MP3 encoding
(whose output miniaudio decodes back on the fly, for metering).

Only container I/O and codecs happen here; all signal processing is ours, on NumPy arrays.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import miniaudio
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
#: LAME's encoder delay (576) plus the MP3 decoder's (529), in samples at any sample rate
#: (dr_mp3 and ffmpeg's decoder agree; tests/audio/test_ffmpeg.py checks it).
LAME_DELAY_SAMPLES = 1105
#: Decoded samples held back until the encoder is done, to cut the padding after the last frame.
HOLD_BACK_SAMPLES = 8192


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


def _tee_escape(path: Path) -> str:
    """A path as one slave of ffmpeg's tee muxer: absolute (no "name:" read as a protocol), forward
    slashes (fine on Windows too), tee's own separators escaped."""
    return re.sub(r"([\\'|\[\]])", r"\\\1", Path(path).resolve().as_posix())


class _PipeSource(miniaudio.StreamableSource):
    """miniaudio reads the encoder's teed MP3 stream straight from its stdout pipe."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe

    def read(self, num_bytes: int) -> bytes:
        return self._pipe.read(num_bytes) or b""


class Mp3Encoder:
    """An ffmpeg/libmp3lame process fed raw mono float32 on stdin, writing an untagged MP3.

    With ``on_decoded``, the encoded stream is also teed to stdout, decoded back to float32 by
    miniaudio (dr_mp3, in-process and cheap) on a reader thread and handed block by block to
    ``on_decoded``: the delivered MP3 is measured while LAME is still encoding (LAME is the slowest
    stage, so this costs next to no wall time).
    """

    def __init__(self, dest: Path, sample_rate: int, bitrate_kbps: int,
                 on_decoded: Callable[[npt.NDArray[np.float32]], None] | None = None) -> None:
        # Lives as long as the process; closed in close() or abort().
        self._errfile = tempfile.TemporaryFile()  # noqa: SIM115
        output = ["-f", "mp3", "-y", str(dest)]
        if on_decoded is not None:
            # The tee muxer writes the same packets to the file and to stdout.
            output = ["-f", "tee", f"[f=mp3]{_tee_escape(dest)}|[f=mp3]pipe:1"]
        cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-f", "f32le", "-ar", str(sample_rate),
               "-ac", "1", "-i", "pipe:0", "-map", "0:a", "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k",
               "-compression_level", str(LAME_QUALITY),
               "-map_metadata", "-1", "-id3v2_version", "0", "-write_id3v1", "0", *output]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=self._errfile,
                                      stdout=subprocess.PIPE if on_decoded else subprocess.DEVNULL)
        self._sample_rate = sample_rate
        self._written = 0
        self._callback_error: BaseException | None = None
        self._reader: threading.Thread | None = None
        if on_decoded is not None:
            self._reader = threading.Thread(target=self._read_decoded, args=(on_decoded,),
                                            name="loa-mp3-meter", daemon=True)
            self._reader.start()

    def _read_decoded(self, on_decoded: Callable[[npt.NDArray[np.float32]], None]) -> None:
        """Decode the teed stream, then drain the pipe whatever happened, so ffmpeg never blocks.

        A file decoder drops LAME's delay and padding using the header that ffmpeg completes at the
        end of the file; the teed stream cannot have it, so the delay is cut here and the padding
        at the end by holding back the tail until the number of samples written is final.
        """
        pipe = self._proc.stdout
        assert pipe is not None
        skip, emitted = LAME_DELAY_SAMPLES, 0
        held = np.zeros(0, np.float32)

        def emit(block: npt.NDArray[np.float32]) -> None:
            if self._callback_error is None and len(block):
                try:
                    on_decoded(block)
                except BaseException as exc:  # reported by close()
                    self._callback_error = exc

        try:
            for chunk in miniaudio.stream_any(_PipeSource(pipe), source_format=miniaudio.FileFormat.MP3,
                                              output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1,
                                              sample_rate=self._sample_rate, frames_to_read=BLOCK_FRAMES):
                block = np.frombuffer(chunk, dtype=np.float32)
                drop = min(skip, len(block))
                skip -= drop
                held = np.concatenate([held, block[drop:]])
                if len(held) > HOLD_BACK_SAMPLES:
                    emit(held[:-HOLD_BACK_SAMPLES])
                    emitted += len(held) - HOLD_BACK_SAMPLES
                    held = held[-HOLD_BACK_SAMPLES:]
            emit(held[: max(0, self._written - emitted)])  # the encoder has exited: _written is final
        except BaseException as exc:  # a decoding failure: reported by close()
            if self._callback_error is None:
                self._callback_error = exc
        while pipe.read(1 << 16):
            pass

    def write(self, samples: npt.NDArray[np.float32]) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(np.asarray(samples, dtype="<f4").tobytes())
            self._written += len(samples)
        except BrokenPipeError:
            self._proc.wait()
            message = self._error(self._errfile)
            self.abort()
            raise PipelineError(f"Không mã hoá được MP3: {message}") from None

    def close(self) -> None:
        assert self._proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()
        failed = self._proc.wait() != 0
        if self._reader is not None:
            self._reader.join()
        message = self._error(self._errfile)
        self._close_files()
        if failed:
            raise PipelineError(f"Không mã hoá được MP3: {message}")
        if self._callback_error is not None:
            raise self._callback_error

    def abort(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self._proc.stdin.close()
        if self._reader is not None:
            self._reader.join()
        self._close_files()

    def _close_files(self) -> None:
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._errfile.close()

    @staticmethod
    def _error(errfile: IO[bytes]) -> str:
        if errfile.closed:
            return ""
        errfile.seek(0)
        return errfile.read().decode("utf-8", "replace").strip()[-300:]
