"""Google Translate's voice through gTTS: natural Vietnamese, but only with internet.

gTTS prepares the requests (its pre-processors and tokenizer split text into chunks of at most
100 characters and package each as a batchexecute RPC); this module sends them itself, so that every
request gets a timeout and retries with exponential backoff, and so that tests can point the engine
at a local server. The MP3 that comes back is decoded with miniaudio, which needs no ffmpeg.
"""

from __future__ import annotations

import base64
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import miniaudio
import numpy as np
import numpy.typing as npt
import requests
from gtts import gTTS
from urllib3.exceptions import NameResolutionError

from pipeline.tts.base import Availability, EngineError, VoiceInfo, check_rate
from pipeline.types import Speech

log = logging.getLogger(__name__)

#: gTTS answers in 24 kHz mono MP3; decoding to this rate keeps it untouched.
SAMPLE_RATE = 24_000
#: gTTS has only a normal and a slow speed; rates below this ask for the slow one.
SLOW_BELOW = 0.8
#: Same pattern gTTS uses to find the base64 MP3 in a batchexecute answer.
_AUDIO_RE = re.compile(r'jQ1olc","\[\\"(.*)\\"]')


def endpoint_url(tld: str = "com") -> str:
    return f"https://translate.google.{tld}/_/TranslateWebserverUi/data/batchexecute"


class _Retryable(Exception):
    """A failure that may pass: timeout, connection error, 429 or 5xx."""


def chunk_bodies(text: str, lang: str = "vi", slow: bool = False) -> list[str]:
    """The request bodies gTTS would send for ``text``, one per chunk of at most 100 characters."""
    try:
        return [str(b) for b in gTTS(text, lang=lang, slow=slow, lang_check=False).get_bodies()]
    except AssertionError:  # gTTS asserts when nothing but punctuation is left to say
        return []


def audio_from_response(body: str) -> bytes:
    """The MP3 bytes inside a batchexecute answer."""
    for line in body.splitlines():
        if "jQ1olc" in line:
            found = _AUDIO_RE.search(line)
            if found:
                try:
                    return base64.b64decode(found.group(1).encode("ascii"), validate=True)
                except ValueError as exc:  # binascii.Error, or non-ASCII in the match
                    raise EngineError("Google TTS trả lời âm thanh hỏng (base64 sai).") from exc
    raise EngineError("Google TTS trả lời nhưng không có âm thanh (có thể dịch vụ đã thay đổi).")


def decode_mp3(data: bytes, sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    try:
        decoded = miniaudio.decode(
            data, output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1, sample_rate=sample_rate
        )
    except miniaudio.DecodeError as exc:
        raise EngineError(f"Không giải mã được MP3 từ Google TTS: {exc}") from exc
    return np.frombuffer(decoded.samples, dtype=np.float32)


def _no_name_resolution(exc: BaseException) -> bool:
    """True when the host name could not be resolved (no network, no DNS), anywhere in the chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (socket.gaierror, NameResolutionError)):
            return True
        reason = getattr(seen, "reason", None) or (seen.args[0] if seen.args else None)
        if isinstance(reason, BaseException) and reason is not seen:
            if isinstance(reason, (socket.gaierror, NameResolutionError)):
                return True
            seen = reason
            continue
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass
class GttsEngine:
    lang: str = "vi"
    tld: str = "com"
    timeout_s: float = 5.0
    retries: int = 2
    #: First wait between attempts; doubles after each failed attempt.
    backoff_s: float = 0.5
    #: Where requests go; empty means Google's batchexecute endpoint for ``tld``.
    url: str = ""
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    name: str = "gtts"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()  # requests.Session is not safe to share between threads

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(id=self.lang, name="Google Translate", language=self.lang, detail=self._url())]

    def check(self) -> Availability:
        # Deliberately no network here: on an offline PC a probe per check would cost a timeout.
        # ``loa voices --probe`` and the chain's cooldown find out whether the service answers.
        return Availability(True, "dịch vụ trực tuyến, cần internet (chưa thử kết nối)")

    def sample_rate(self, voice: str = "") -> int:
        return SAMPLE_RATE

    def synthesize(self, text: str, *, voice: str = "", rate: float = 1.0) -> Speech:
        lang = voice or self.lang
        slow = check_rate(rate) < SLOW_BELOW
        if abs(rate - 1.0) > 1e-6 and not slow:
            log.debug("gTTS has no rate %.2f; using its normal speed", rate)
        bodies = chunk_bodies(text, lang, slow) if text.strip() else []
        parts = [decode_mp3(self._fetch(body, i, len(bodies))) for i, body in enumerate(bodies, 1)]
        samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        return Speech(samples=samples, sample_rate=SAMPLE_RATE, engine=self.name, voice=lang)

    def _url(self) -> str:
        return self.url or endpoint_url(self.tld)

    def _fetch(self, body: str, index: int, count: int) -> bytes:
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                return self._request(body)
            except _Retryable as exc:
                log.info(
                    "gTTS chunk %d/%d, attempt %d/%d failed: %s", index, count, attempt + 1, attempts, exc
                )
                if attempt + 1 == attempts:
                    raise EngineError(f"Google TTS không trả lời sau {attempts} lần thử: {exc}") from exc
                self.sleep(self.backoff_s * 2**attempt)
        raise AssertionError("unreachable")

    def _request(self, body: str) -> bytes:
        try:
            with self._lock:
                resp = self.session.post(
                    self._url(), data=body, headers=gTTS.GOOGLE_TTS_HEADERS, timeout=self.timeout_s
                )
        except (requests.Timeout, requests.ConnectionError) as exc:
            if _no_name_resolution(exc):  # offline: retrying in a second will not bring DNS back
                raise EngineError("Google TTS: không có mạng (không tra được địa chỉ máy chủ).") from exc
            raise _Retryable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise EngineError(f"Google TTS từ chối yêu cầu: HTTP {resp.status_code}.")
        return audio_from_response(resp.text)
