"""Piper's Vietnamese voices, as published in the ``rhasspy/piper-voices`` collection.

Sizes and MD5 digests are those of the collection's ``voices.json`` (``size_bytes``,
``md5_digest``), as mirrored in ``rhasspy/wyoming-piper`` (``wyoming_piper/voices.json``, commit
1ba47976ab4b0a8f9299f5cf0e247a76192ee347); the installer checks both before a voice is used.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Where the collection is published; a setting (``voices_base_url``) can point elsewhere.
DEFAULT_BASE_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main"


@dataclass(frozen=True)
class CatalogVoice:
    name: str
    #: Path of the ``.onnx`` inside the collection; its ``.onnx.json`` sits beside it.
    path: str
    onnx_size: int
    json_size: int
    sample_rate: int
    licence: str
    commercial_ok: bool | None
    onnx_md5: str = ""
    json_md5: str = ""

    def urls(self, base_url: str = DEFAULT_BASE_URL) -> tuple[str, str]:
        onnx = f"{base_url.rstrip('/')}/{self.path}"
        return onnx, onnx + ".json"


CATALOG: dict[str, CatalogVoice] = {
    v.name: v
    for v in (
        CatalogVoice(
            "vi_VN-vais1000-medium",
            "vi/vi_VN/vais1000/medium/vi_VN-vais1000-medium.onnx",
            63201294, 4860, 22050,
            "CC BY 4.0 (bộ dữ liệu VAIS-1000)", True,
            "5e42428c4f6131f75557cf156c9c1526", "5ec9669253541d64ba97f60e422f1ad0",
        ),
        CatalogVoice(
            "vi_VN-25hours_single-low",
            "vi/vi_VN/25hours_single/low/vi_VN-25hours_single-low.onnx",
            63104526, 4176, 16000,
            "không rõ: xem MODEL_CARD của bộ dữ liệu 25hours_single trước khi dùng", None,
            "54ff8fb35b0084336377ddd10717e1fa", "d626bc458e9eb1a12650709bfc89d4a2",
        ),
        CatalogVoice(
            "vi_VN-vivos-x_low",
            "vi/vi_VN/vivos/x_low/vi_VN-vivos-x_low.onnx",
            27789413, 5592, 16000,
            "CC BY-NC-SA 4.0 (bộ dữ liệu VIVOS): KHÔNG dùng cho mục đích thương mại", False,
            "d5880d32e340f57489dcb9d4f1f7aa04", "708356072a75e33cff652f1b5d455795",
        ),
    )
}  # fmt: skip
