"""VNPT SmartVoice (``POST https://api.idg.vnpt.vn/tts-service/v2/standard``): engine ``vnpt``.

VNPT's API pages (smartvoice.vnpt.vn/documents/api, vnptai.io/smartvoice/en/documents/api) are
summarised in the integration notes public repositories keep (found by code search: "VNPT
Speech/Eval API Notes", the SmartVoice sections of several VNPT integration guides). Headers
``Authorization: Bearer <access token>``, ``Token-id``, ``Token-key``; JSON body ``{text (1–5,000
characters), text_split, model ("news"|"books"), region (female_north, female_north_ngochoa,
female_central, female_south, male_north, male_central, male_south), speed (0.5–2), audio_format
("wav"|"mp3")}``. The answer is ``{"message", "object": {"code": "success"|"pending"|"error",
"playlist": [{"idx", "audio_link", …}], "text_id", …}}``: audio links, kept 24 h. A long text
comes back ``pending``; its audio is then asked for with ``POST /tts-service/v1/check-status``
``{"text_id"}`` until the code is ``success``. Errors use ``{"statusCode": "400 BAD_REQUEST",
"message": "IDG-…", …}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests

from pipeline.tts.cloud.base import CloudEngine

DEFAULT_ENDPOINT = "https://api.idg.vnpt.vn/tts-service/v2/standard"
MAX_CHARS = 5000
VOICES = {
    "female_north": "Nữ miền Bắc",
    "female_north_ngochoa": "Ngọc Hoa (nữ, miền Bắc)",
    "male_north": "Nam miền Bắc",
    "female_central": "Nữ miền Trung",
    "male_central": "Nam miền Trung",
    "female_south": "Nữ miền Nam",
    "male_south": "Nam miền Nam",
}


def vnpt_speed(rate: float) -> str:
    """SmartVoice's documented speed range is 0.5–2."""
    return f"{max(0.5, min(2.0, rate)):g}"


def status_endpoint(endpoint: str) -> str:
    """``…/tts-service/v1/check-status`` beside the synthesis address."""
    base = endpoint.split("/tts-service/", 1)[0]
    return f"{base}/tts-service/v1/check-status"


@dataclass
class VnptEngine(CloudEngine):
    access_token: str = field(default="", repr=False)
    token_id: str = field(default="", repr=False)
    token_key: str = field(default="", repr=False)
    endpoint: str = DEFAULT_ENDPOINT
    voice: str = "female_north"

    name: str = "vnpt"

    label: ClassVar[str] = "VNPT SmartVoice"
    key_setting: ClassVar[str] = "vnpt_access_token, vnpt_token_id, vnpt_token_key"
    max_chars: ClassVar[int] = MAX_CHARS
    voice_labels: ClassVar[dict[str, str]] = VOICES

    def secrets(self) -> list[str]:
        return [self.access_token, self.token_id, self.token_key]

    def _headers(self) -> dict[str, str]:
        bearer = self.access_token if self.access_token.lower().startswith("bearer ") else f"Bearer {self.access_token}"
        return {"Authorization": bearer, "Token-id": self.token_id, "Token-key": self.token_key}

    def _post(self, url: str, body: dict[str, Any]) -> requests.Response:
        return self.request(
            "request", lambda: self.session.post(url, json=body, headers=self._headers(), timeout=self.timeout_s)
        )

    def _speak(self, piece: str, voice: str, rate: float) -> list[bytes]:
        body = {"text": piece, "text_split": False, "model": "news", "region": voice,
                "speed": vnpt_speed(rate), "audio_format": "mp3"}  # fmt: skip
        job = self._job(self._post(self.endpoint, body))
        if job["code"] == "pending":
            text_id = job["text_id"]
            job = self.poll("âm thanh", lambda: self._still_pending(text_id))
        return [self._fetch_link(link) for link in job["links"]]

    def _still_pending(self, text_id: str) -> dict[str, Any] | None:
        job = self._job(self._post(status_endpoint(self.endpoint), {"text_id": text_id}))
        return None if job["code"] == "pending" else job

    def _fetch_link(self, link: str) -> bytes:
        data = self.download(link)
        if data is None:  # cannot happen: no pending codes were given
            raise self.error(f"{self.label}: không lấy được âm thanh.")
        return data

    def _job(self, resp: requests.Response) -> dict[str, Any]:
        """``{"code": "success", "links": [...]}`` or ``{"code": "pending", "text_id": ...}``."""
        doc = self.json_answer(resp)
        obj = doc.get("object")
        if resp.status_code != 200 or not isinstance(obj, dict):
            raise self.refused(resp, doc.get("statusCode", resp.status_code), doc.get("message", ""))
        code, text_id = obj.get("code"), obj.get("text_id")
        if code == "pending" and isinstance(text_id, str) and text_id:
            return {"code": "pending", "text_id": text_id}
        playlist = obj.get("playlist")
        items = sorted(
            (p for p in playlist if isinstance(p, dict)) if isinstance(playlist, list) else [],
            key=lambda p: int(p.get("idx", 0) or 0),
        )
        links = [p["audio_link"] for p in items if isinstance(p.get("audio_link"), str) and p["audio_link"]]
        if code != "success" or not links:
            raise self.refused(resp, code, doc.get("message", ""))
        return {"code": "success", "links": links}
