"""What the four Vietnamese cloud voices share: HTTP with a timeout, retries with backoff, polling
an asynchronous job, pieces within the service's limit, decoding and joining the audio, and a key
that never reaches a log line or an error message.

Each service (fpt.py, viettel.py, zalo.py, vnpt.py) only says how one piece of text becomes audio
bytes (``_speak``) and which answers mean a refused key or a used-up quota. The chain
(pipeline/tts/chain.py) puts an engine that fails on its cooldown, so an offline PC tries the
cloud once per cooldown, not once per render.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

import miniaudio
import numpy as np
import numpy.typing as npt
import requests

from pipeline.text.segment import split_spoken
from pipeline.tts.base import Availability, EngineError, VoiceInfo, check_rate
from pipeline.types import Speech

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Retryable(Exception):
    """A failure that may pass: timeout, connection error, 429 or 5xx."""


def split_for_service(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut between sentences (between clauses when one
    sentence is longer), so that each service gets whole sentences and reads them naturally.

    The cutting is the normalizer's own (``pipeline.text.segment.split_spoken``); this only packs
    its utterances back together, each with the punctuation that ended it.
    """
    pieces: list[str] = []
    current = ""
    for utt in split_spoken(" ".join(text.split()), "sentence"):
        mark = "" if utt.text[-1:] in ".!?…,;:" else ("," if utt.boundary == "comma" else ".")
        part = utt.text + mark
        while len(part) > limit:  # one word longer than the limit: cut it
            pieces.append(part[:limit])
            part = part[limit:]
        joined = f"{current} {part}" if current else part
        if len(joined) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = part
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def decode_audio(data: bytes, sample_rate: int, label: str) -> npt.NDArray[np.float32]:
    """MP3 or WAV bytes → mono float32 at ``sample_rate`` (miniaudio resamples)."""
    try:
        decoded = miniaudio.decode(
            data, output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1, sample_rate=sample_rate
        )
    except miniaudio.DecodeError as exc:
        raise EngineError(f"{label} trả về âm thanh hỏng, không giải mã được: {exc}") from exc
    samples = np.frombuffer(decoded.samples, dtype=np.float32)
    if not len(samples):
        raise EngineError(f"{label} trả về âm thanh rỗng.")
    return samples


@dataclass
class CloudEngine:
    """Base of the cloud engines. Subclasses set the class constants and implement ``_speak``."""

    #: The voice used when a render names none (one of ``voice_labels``).
    voice: str = ""
    timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 0.5
    #: Wait between looks at an asynchronous job, and how long to wait for its audio in all.
    poll_interval_s: float = 2.0
    poll_timeout_s: float = 120.0
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    #: Engine name in ``engine_order`` (each subclass sets its own default).
    name: str = ""

    #: The vendor as operators know it, the setting of its key.
    label: ClassVar[str] = ""
    key_setting: ClassVar[str] = ""
    #: Characters per request (the service's documented limit) and at least.
    max_chars: ClassVar[int] = 2000
    min_chars: ClassVar[int] = 1
    sample_rate_hz: ClassVar[int] = 22_050
    voice_labels: ClassVar[dict[str, str]] = {}

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    # --- what a subclass provides ---------------------------------------------------------
    def secrets(self) -> list[str]:
        """The credentials, to keep them out of every message."""
        raise NotImplementedError

    def _speak(self, piece: str, voice: str, rate: float) -> bytes | list[bytes]:
        """Audio (MP3 or WAV bytes, or several in order) for one piece within ``max_chars``.
        Raises EngineError."""
        raise NotImplementedError

    # --- Engine protocol ------------------------------------------------------------------
    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(id=v, name=n, language="vi", detail=self.label) for v, n in self.voice_labels.items()]

    def check(self) -> Availability:
        if not all(self.secrets()):
            return Availability(False, f"chưa có khóa {self.label} ({self.key_setting})")
        if self.voice not in self.voice_labels:
            return Availability(False, f"giọng {self.label} không có: {self.voice!r}")
        return Availability(True, f"dịch vụ trực tuyến {self.label}, cần internet (chưa thử kết nối)")

    def sample_rate(self, voice: str = "") -> int:
        return self.sample_rate_hz

    def synthesize(self, text: str, *, voice: str = "", rate: float = 1.0) -> Speech:
        voice = voice or self.voice
        if voice not in self.voice_labels:
            raise EngineError(f"Giọng {self.label} không có: {voice!r}.")
        if not all(self.secrets()):
            raise EngineError(f"Chưa có khóa {self.label} ({self.key_setting}).")
        check_rate(rate)
        pieces = split_for_service(text, self.max_chars) if text.strip() else []
        if pieces and len(text.strip()) < self.min_chars:
            raise EngineError(f"{self.label} chỉ đọc văn bản từ {self.min_chars} ký tự trở lên.")
        parts = []
        for piece in pieces:
            audio = self._speak(piece, voice, rate)
            for data in audio if isinstance(audio, list) else [audio]:
                parts.append(decode_audio(data, self.sample_rate_hz, self.label))
        samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        return Speech(samples=samples, sample_rate=self.sample_rate_hz, engine=self.name, voice=voice)

    # --- helpers for subclasses -----------------------------------------------------------
    def redact(self, message: str) -> str:
        """``message`` with every credential blanked (a server may echo the key back)."""
        for secret in self.secrets():
            if secret:
                message = message.replace(secret, "***")
        return message

    def error(self, message: str) -> EngineError:
        return EngineError(self.redact(message))

    def request(self, what: str, call: Callable[[], requests.Response]) -> requests.Response:
        """``call()`` with retries and backoff on timeouts, connection errors, 429 and 5xx."""
        attempts = self.retries + 1
        error: Exception = _Retryable("")
        for attempt in range(attempts):
            try:
                with self._lock:
                    resp = call()
            except (requests.Timeout, requests.ConnectionError) as exc:
                error = _Retryable(type(exc).__name__)  # the name only: the text may carry the URL
            else:
                if resp.status_code != 429 and resp.status_code < 500:
                    return resp
                error = _Retryable(f"HTTP {resp.status_code}")
            log.info("%s %s, attempt %d/%d failed: %s", self.label, what, attempt + 1, attempts, error)
            if attempt + 1 < attempts:
                self.sleep(self.backoff_s * 2**attempt)
        raise self.error(f"{self.label} không trả lời sau {attempts} lần thử: {error}")

    def poll(self, what: str, look: Callable[[], T | None]) -> T:
        """Call ``look`` until it returns something, every ``poll_interval_s`` up to ``poll_timeout_s``."""
        deadline = self.clock() + self.poll_timeout_s
        while True:
            found = look()
            if found is not None:
                return found
            if self.clock() + self.poll_interval_s > deadline:
                raise self.error(f"{self.label} chưa làm xong {what} sau {self.poll_timeout_s:g} s.")
            self.sleep(self.poll_interval_s)

    def download(self, url: str, *, pending: tuple[int, ...] = ()) -> bytes | None:
        """The bytes at ``url``; None while the service answers one of the ``pending`` codes."""
        resp = self.request("audio", lambda: self.session.get(url, timeout=self.timeout_s))
        if resp.status_code == 200 and resp.content:
            return resp.content
        if resp.status_code in pending:
            return None
        raise self.error(f"{self.label}: không lấy được âm thanh (HTTP {resp.status_code}).")

    def json_answer(self, resp: requests.Response) -> dict[str, object]:
        """The JSON object of an answer; a bad key (401/403) or a non-JSON answer is an EngineError."""
        if resp.status_code in (401, 403):
            raise self.error(f"{self.label} từ chối khóa ({self.key_setting} sai hoặc hết hạn).")
        try:
            doc = resp.json()
        except ValueError as exc:
            raise self.error(f"{self.label} trả lời không phải JSON (HTTP {resp.status_code}).") from exc
        if not isinstance(doc, dict):
            raise self.error(f"{self.label} trả lời sai dạng.")
        return doc

    def refused(self, resp: requests.Response, code: object, message: object) -> EngineError:
        return self.error(
            f"{self.label} từ chối yêu cầu (HTTP {resp.status_code}, mã {code}): {str(message)[:200]}"
        )
