"""Zalo AI's Vietnamese voices (``POST https://api.zalo.ai/v1/tts/synthesize``): engine ``zalo``.

Checked against Zalo AI's documentation ("Text to Audio Converter", zalo.ai/docs, a copy of which
code search found): header ``apikey``; form fields ``input`` (at most 2,000 characters: error 155),
``speed`` 0.8–1.2, ``encode_type`` (0 WAV, 1 MP3, 2 AAC), ``speaker_id`` (1 southern woman,
2 northern woman, 3 southern man, 4 northern man, 5 northern woman 2, 6 southern woman 2). The
answer is ``{"error_code": 0, "error_message": "Successful.", "data": {"url": …}}``, a streaming
address the engine then downloads (retrying while it answers 404, as a link not yet written);
error codes 150/400 are bad parameters, 401 a wrong key, 155 a text too long, 413/500 server
errors. Public client code (e.g. thrillim/newspaper, the Home Assistant zalo_tts component) sends
the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.tts.cloud.base import CloudEngine

DEFAULT_ENDPOINT = "https://api.zalo.ai/v1/tts/synthesize"
MAX_CHARS = 2000
ENCODE_MP3 = "1"
VOICES = {
    "1": "Nữ miền Nam 1",
    "2": "Nữ miền Bắc 1",
    "3": "Nam miền Nam",
    "4": "Nam miền Bắc",
    "5": "Nữ miền Bắc 2",
    "6": "Nữ miền Nam 2",
}
_BAD_KEY = 401


def zalo_speed(rate: float) -> str:
    """Zalo's documented speed range is 0.8–1.2."""
    return f"{max(0.8, min(1.2, rate)):.2f}"


@dataclass
class ZaloEngine(CloudEngine):
    api_key: str = field(default="", repr=False)
    endpoint: str = DEFAULT_ENDPOINT
    voice: str = "2"

    name: str = "zalo"

    label: ClassVar[str] = "Zalo AI"
    key_setting: ClassVar[str] = "zalo_api_key"
    max_chars: ClassVar[int] = MAX_CHARS
    voice_labels: ClassVar[dict[str, str]] = VOICES

    def secrets(self) -> list[str]:
        return [self.api_key]

    def _speak(self, piece: str, voice: str, rate: float) -> bytes:
        url = self._submit(piece, voice, rate)
        return self.poll("âm thanh", lambda: self.download(url, pending=(404,)))

    def _submit(self, piece: str, voice: str, rate: float) -> str:
        form = {"input": piece, "speaker_id": voice, "speed": zalo_speed(rate), "encode_type": ENCODE_MP3}
        resp = self.request(
            "request",
            lambda: self.session.post(
                self.endpoint, data=form, headers={"apikey": self.api_key}, timeout=self.timeout_s
            ),
        )
        doc = self.json_answer(resp)
        code = doc.get("error_code")
        if code == _BAD_KEY:
            raise self.error(f"{self.label} từ chối khóa ({self.key_setting} sai hoặc hết hạn).")
        data = doc.get("data")
        url = data.get("url") if isinstance(data, dict) else None
        if code != 0 or not isinstance(url, str) or not url:
            raise self.refused(resp, code, doc.get("error_message", ""))
        return url
