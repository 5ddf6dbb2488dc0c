"""Viettel AI's Vietnamese voices (``POST https://viettelai.vn/tts/speech_synthesis``): engine
``viettel``.

Viettel's published documentation (viettelgroup.ai/document/tts) describes the older form,
``POST https://viettelgroup.ai/voice/api/tts/v1/rest/syn`` with a ``token`` header and a JSON body
``{text, voice, id, without_filter, speed (0.7–1.3), tts_return_option (1 streaming, 2 wav,
3 mp3)}``, answering 200 with the audio itself; its voice list is the one below (hn-quynhanh,
hue-maingoc, hue-baoquoc, hcm-minhquan, …). Public client code for the current address
(e.g. the TTSViettelAI clients found by code search) sends the same body with the token inside it
(``"token"``) and ``tts_return_option: 3``, and adds the newer voices hcm-diemmy, hn-thanhtung
and hn-phuongtrang. So the engine sends the token both ways: the endpoint setting can name
either form. No limit per request is documented; pieces are kept to 1,000 characters. An answer
that is JSON instead of audio is a refusal (used-up quota, a bad voice); 401/403 a refused token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.tts.cloud.base import CloudEngine

DEFAULT_ENDPOINT = "https://viettelai.vn/tts/speech_synthesis"
MAX_CHARS = 1000
#: ``tts_return_option`` 3: MP3.
RETURN_MP3 = 3
VOICES = {
    "hn-quynhanh": "Quỳnh Anh (nữ, miền Bắc)",
    "hn-phuongtrang": "Phương Trang (nữ, miền Bắc)",
    "hn-thanhtung": "Thanh Tùng (nam, miền Bắc)",
    "doanngocle": "Ngọc Lê (nữ, miền Bắc)",
    "trinhthiviettrinh": "Việt Trinh (nữ, miền Bắc)",
    "phamtienquan": "Tiến Quân (nam, miền Bắc)",
    "hue-maingoc": "Mai Ngọc (nữ, miền Trung)",
    "hue-baoquoc": "Bảo Quốc (nam, miền Trung)",
    "hcm-diemmy": "Diễm My (nữ, miền Nam)",
    "lethiyen": "Lê Yến (nữ, miền Nam)",
    "nguyenthithuyduyen": "Thùy Duyên (nữ, miền Nam)",
    "hcm-minhquan": "Minh Quân (nam, miền Nam)",
}


def viettel_speed(rate: float) -> float:
    """Viettel's documented speed range is 0.7–1.3."""
    return round(max(0.7, min(1.3, rate)), 2)


@dataclass
class ViettelEngine(CloudEngine):
    token: str = field(default="", repr=False)
    endpoint: str = DEFAULT_ENDPOINT
    voice: str = "hn-quynhanh"

    name: str = "viettel"

    label: ClassVar[str] = "Viettel AI"
    key_setting: ClassVar[str] = "viettel_token"
    max_chars: ClassVar[int] = MAX_CHARS
    voice_labels: ClassVar[dict[str, str]] = VOICES

    def secrets(self) -> list[str]:
        return [self.token]

    def _speak(self, piece: str, voice: str, rate: float) -> bytes:
        body = {
            "text": piece, "voice": voice, "speed": viettel_speed(rate),
            "tts_return_option": RETURN_MP3, "without_filter": False, "token": self.token,
        }  # fmt: skip
        headers = {"token": self.token, "Accept": "audio/*, application/json"}
        resp = self.request(
            "request",
            lambda: self.session.post(self.endpoint, json=body, headers=headers, timeout=self.timeout_s),
        )
        ctype = resp.headers.get("Content-Type", "")
        if resp.status_code == 200 and resp.content and "json" not in ctype and not resp.content.startswith(b"{"):
            return resp.content
        doc = self.json_answer(resp)
        code = doc.get("code", doc.get("status", resp.status_code))
        raise self.refused(resp, code, doc.get("message", doc.get("msg", "")))
