"""FPT.AI's Vietnamese voices (``POST https://api.fpt.ai/hmi/tts/v5``): engine ``fpt``.

Checked against FPT's documentation (docs.fpt.ai/docs/en/speech/api/text-to-speech): the body is
the raw text, 3 to 5,000 characters; the headers are ``api_key`` (the issue's table, from client
code, says ``api-key``: the documentation wins), ``voice`` (banmai,
lannhi, leminh, myan, thuminh, giahuy, linhsan: the documentation lists giahuy where the table
had minhquang), ``speed`` -3..+3 and ``format`` mp3|wav. The answer is
``{"async": URL, "error": 0, "message": …, "request_id": …}``; the MP3 appears at that URL "from
5 seconds to 2 minutes" later, so the engine polls it (404/403 until then). A non-zero ``error``
is a refusal (quota used up, bad text). Public client code (e.g. leduchuy225/Auto-Vid,
cyb3r-Kn1ght/Web_Project) shows the same answer shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.tts.base import check_rate
from pipeline.tts.cloud.base import CloudEngine

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


def fpt_speed(rate: float) -> int:
    """FPT's speed steps are -3..+3 around 0 (normal); one step for about 15 % of rate."""
    return max(-3, min(3, round((check_rate(rate) - 1.0) / 0.15)))


@dataclass
class FptEngine(CloudEngine):
    api_key: str = field(default="", repr=False)
    endpoint: str = DEFAULT_ENDPOINT
    voice: str = "banmai"

    name: str = "fpt"

    label: ClassVar[str] = "FPT.AI"
    key_setting: ClassVar[str] = "fpt_api_key"
    max_chars: ClassVar[int] = MAX_CHARS
    min_chars: ClassVar[int] = MIN_CHARS
    sample_rate_hz: ClassVar[int] = SAMPLE_RATE
    voice_labels: ClassVar[dict[str, str]] = VOICES

    def secrets(self) -> list[str]:
        return [self.api_key]

    def _speak(self, piece: str, voice: str, rate: float) -> bytes:
        url = self._submit(piece, voice, fpt_speed(rate))
        return self.poll("âm thanh", lambda: self.download(url, pending=(403, 404)))

    def _submit(self, piece: str, voice: str, speed: int) -> str:
        headers = {"api_key": self.api_key, "voice": voice, "speed": str(speed), "format": "mp3"}
        resp = self.request(
            "request",
            lambda: self.session.post(
                self.endpoint, data=piece.encode("utf-8"), headers=headers, timeout=self.timeout_s
            ),
        )
        doc = self.json_answer(resp)
        link = doc.get("async")
        if resp.status_code != 200 or doc.get("error") != 0 or not isinstance(link, str) or not link:
            raise self.refused(resp, doc.get("error"), doc.get("message", ""))
        return link
