"""Uploaded recordings: validate first, then decode in bounded memory.

Everything that can be checked before decoding is (empty file, not audio, too long, WAV whose data
chunk is cut short); what can only be seen while decoding (ffmpeg errors, a stream that stops well
before the duration its header promises) raises at the end of the iterator, before the chain has
written anything to its destination.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pipeline.audio.ffmpeg import Probe, StreamTooLong, decode_pcm, probe
from pipeline.types import PipelineError

log = logging.getLogger(__name__)

#: Decoded audio may fall this much short of the header's duration before we call it truncated.
TRUNCATION_TOLERANCE_S = 0.25
TRUNCATION_TOLERANCE_RATIO = 0.02


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}".replace(".", ",")


def wav_is_truncated(path: Path) -> bool:
    """True when a RIFF/WAVE file's ``data`` chunk claims more bytes than the file holds.

    ffmpeg derives a WAV's duration from the file size, so a WAV cut in half plays "fine" there;
    the chunk header is the only witness.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return False
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
            if chunk_id == b"data":
                # 0 and 0xFFFFFFFF mean "unknown length" (streamed WAV): nothing to compare.
                return chunk_size not in (0, 0xFFFFFFFF) and pos + 8 + chunk_size > size
            pos += 8 + chunk_size + (chunk_size & 1)
        return True  # header promises chunks the file does not contain


def validate_recording(path: Path, max_seconds: float) -> Probe:
    """Cheap checks before decoding. Raises PipelineError with an operator-facing message.

    Returns the probe, which ``decode_file(..., info=)`` accepts so one probe serves both."""
    if not path.is_file():
        raise PipelineError(f"Không tìm thấy tệp âm thanh: {path.name}")
    if path.stat().st_size == 0:
        raise PipelineError("Tệp rỗng (0 byte): không có dữ liệu âm thanh.")
    if wav_is_truncated(path):
        raise PipelineError("Tệp WAV bị cắt cụt: phần dữ liệu ngắn hơn khai báo trong phần đầu tệp.")
    info = probe(path)
    if info.duration_s is not None and info.duration_s > max_seconds:
        raise PipelineError(f"Bản ghi quá dài: {_minutes(info.duration_s)} phút, "
                            f"tối đa {_minutes(max_seconds)} phút.")
    if info.duration_s is not None and info.duration_s <= 0:
        raise PipelineError("Tệp âm thanh không có nội dung (độ dài 0 giây).")
    return info


def decode_file(path: Path, max_seconds: float, info: Probe | None = None,
                ) -> tuple[Iterator[npt.NDArray[np.float32]], int]:
    """Validate ``path`` and return (float32 blocks at the file's own rate, that rate).

    ``info``: what ``validate_recording`` returned for this file just before, so it is not probed
    a second time (ffprobe is a process start, the slowest of the cheap checks).
    """
    path = Path(path)
    if info is None:
        info = validate_recording(path, max_seconds)
    return _checked_blocks(path, info, max_seconds), info.sample_rate


def _checked_blocks(path: Path, info: Probe, max_seconds: float) -> Iterator[npt.NDArray[np.float32]]:
    max_frames = int(max_seconds * info.sample_rate) + info.sample_rate
    frames = 0
    try:
        for block in decode_pcm(path, info, max_frames):
            frames += len(block)
            yield block
    except StreamTooLong:
        raise PipelineError(f"Bản ghi quá dài: tối đa {_minutes(max_seconds)} phút.") from None
    decoded_s = frames / info.sample_rate
    if frames == 0:
        raise PipelineError("Tệp âm thanh không có nội dung: không giải mã được mẫu nào.")
    if info.duration_s is not None and not info.duration_estimated:
        missing = info.duration_s - decoded_s
        if missing > max(TRUNCATION_TOLERANCE_S, TRUNCATION_TOLERANCE_RATIO * info.duration_s):
            log.info("%s: header says %.2f s, decoded %.2f s", path, info.duration_s, decoded_s)
            raise PipelineError(f"Tệp âm thanh bị cắt cụt hoặc hỏng: chỉ giải mã được {decoded_s:.1f} giây "
                                f"trên {info.duration_s:.1f} giây khai báo.")
