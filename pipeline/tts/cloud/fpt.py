"""FPT.AI's Vietnamese voices (``POST /hmi/tts/v5``): a cloud engine, tried only with a key.

The service answers at once with ``{"async": URL, "error": 0, ...}``; the MP3 appears at that URL
seconds to minutes later, so the engine polls it. Requests carry the key in the ``api_key`` header
(FPT's documentation); the key is never logged. Texts longer than FPT's 5,000-character limit are
split at sentence boundaries.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import miniaudio
import numpy as np
import numpy.typing as npt
import requests

from pipeline.tts.base import Availability, EngineError, VoiceInfo, check_rate
from pipeline.types import Speech

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api.fpt.ai/hmi/tts/v5"
#: FPT's limits per request (documentation): at most 5,000 characters, at least 3.
MAX_CHARS = 5000
MIN_CHARS = 3
SAMPLE_RATE = 24_000
VOICES = {
    "banmai": "Ban Mai (nữ, miền Bắc)",
    "thuminh": "Thu Minh (nữ, miền Bắc)",
    "leminh": "Lê Minh (nam, miền Bắc)",
    "myan": "Mỹ An (nữ, miền Trung)",
    "giahuy": "Gia Huy (nam, miền Trung)",
    "lannhi": "Lan Nhi (nữ, miền Nam)",
    "linhsan": "Linh San (nữ, miền Nam)",
}
_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+")


class _Retryable(Exception):
    """A failure that may pass: timeout, connection error, 429 or 5xx."""


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Pieces of at most ``limit`` characters, cut after sentences (words if a sentence is longer)."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text.strip()):
        words = [sentence] if len(sentence) <= limit else sentence.split()
        for part in words:
            while len(part) > limit:  # one "word" longer than the limit: cut it
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


def fpt_speed(rate: float) -> int:
    """FPT's speed steps are -3..+3 around 0 (normal); one step for about 15 % of rate."""
    return max(-3, min(3, round((check_rate(rate) - 1.0) / 0.15)))


def decode_mp3(data: bytes) -> npt.NDArray[np.float32]:
    try:
        decoded = miniaudio.decode(
            data, output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1, sample_rate=SAMPLE_RATE
        )
    except miniaudio.DecodeError as exc:
        raise EngineError(f"FPT.AI trả về âm thanh hỏng, không giải mã được: {exc}") from exc
    return np.frombuffer(decoded.samples, dtype=np.float32)


@dataclass
class FptEngine:
    api_key: str = ""
    endpoint: str = DEFAULT_ENDPOINT
    voice: str = "banmai"
    timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 0.5
    #: Wait between looks at the async link, and how long to wait for the MP3 in all.
    poll_interval_s: float = 2.0
    poll_timeout_s: float = 120.0
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    name: str = "fpt"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(id=v, name=label, language="vi", detail="FPT.AI") for v, label in VOICES.items()]

    def check(self) -> Availability:
        if not self.api_key:
            return Availability(False, "chưa có khóa FPT.AI (fpt_api_key)")
        if self.voice not in VOICES:
            return Availability(False, f"giọng FPT.AI không có: {self.voice!r}")
        return Availability(True, "dịch vụ trực tuyến FPT.AI, cần internet (chưa thử kết nối)")

    def sample_rate(self, voice: str = "") -> int:
        return SAMPLE_RATE

    def synthesize(self, text: str, *, voice: str = "", rate: float = 1.0) -> Speech:
        voice = voice or self.voice
        if voice not in VOICES:
            raise EngineError(f"Giọng FPT.AI không có: {voice!r}.")
        if not self.api_key:
            raise EngineError("Chưa có khóa FPT.AI (fpt_api_key).")
        speed = fpt_speed(rate)
        pieces = split_text(text) if text.strip() else []
        if pieces and len(text.strip()) < MIN_CHARS:
            raise EngineError(f"FPT.AI chỉ đọc văn bản từ {MIN_CHARS} ký tự trở lên.")
        parts = [decode_mp3(self._poll(self._submit(p, voice, speed))) for p in pieces]
        samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        return Speech(samples=samples, sample_rate=SAMPLE_RATE, engine=self.name, voice=voice)

    # --- HTTP ---------------------------------------------------------------------------
    def _with_retries(self, what: str, call: Callable[[], requests.Response]) -> requests.Response:
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                with self._lock:
                    resp = call()
            except (requests.Timeout, requests.ConnectionError) as exc:
                error: Exception = _Retryable(type(exc).__name__)
            else:
                if resp.status_code != 429 and resp.status_code < 500:
                    return resp
                error = _Retryable(f"HTTP {resp.status_code}")
            log.info("FPT.AI %s, attempt %d/%d failed: %s", what, attempt + 1, attempts, error)
            if attempt + 1 < attempts:
                self.sleep(self.backoff_s * 2**attempt)
        raise EngineError(f"FPT.AI không trả lời sau {attempts} lần thử: {error}")

    def _submit(self, piece: str, voice: str, speed: int) -> str:
        headers = {"api_key": self.api_key, "voice": voice, "speed": str(speed), "format": "mp3"}
        resp = self._with_retries(
            "request",
            lambda: self.session.post(
                self.endpoint, data=piece.encode("utf-8"), headers=headers, timeout=self.timeout_s
            ),
        )
        if resp.status_code in (401, 403):
            raise EngineError("FPT.AI từ chối khóa (fpt_api_key sai hoặc hết hạn).")
        try:
            doc = resp.json()
        except ValueError as exc:
            raise EngineError(f"FPT.AI trả lời không phải JSON (HTTP {resp.status_code}).") from exc
        if not isinstance(doc, dict):
            raise EngineError("FPT.AI trả lời sai dạng.")
        if resp.status_code != 200 or doc.get("error") != 0 or not isinstance(doc.get("async"), str):
            message = str(doc.get("message", ""))[:200]
            raise EngineError(
                f"FPT.AI từ chối yêu cầu (HTTP {resp.status_code}, mã {doc.get('error')}): {message}"
            )
        return str(doc["async"])

    def _poll(self, url: str) -> bytes:
        """The MP3 at the async link, once FPT has made it (404/403 until then)."""
        deadline = self.clock() + self.poll_timeout_s
        while True:
            resp = self._with_retries("audio", lambda: self.session.get(url, timeout=self.timeout_s))
            if resp.status_code == 200 and resp.content:
                return resp.content
            if resp.status_code not in (403, 404) and resp.status_code != 200:
                raise EngineError(f"FPT.AI: không lấy được âm thanh (HTTP {resp.status_code}).")
            if self.clock() + self.poll_interval_s > deadline:
                raise EngineError(f"FPT.AI chưa làm xong âm thanh sau {self.poll_timeout_s:g} s.")
            self.sleep(self.poll_interval_s)
