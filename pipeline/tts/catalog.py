"""Piper's Vietnamese voices, as published in the ``rhasspy/piper-voices`` collection.

Sizes come from the collection's published file list. No checksum we could confirm was at hand
when this catalog was written, so ``md5`` is empty and the installer verifies size only (it says
so). Fill a digest in from ``voices.json`` (``md5_digest``) to have it checked.
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
        ),
        CatalogVoice(
            "vi_VN-25hours_single-low",
            "vi/vi_VN/25hours_single/low/vi_VN-25hours_single-low.onnx",
            63104526, 4176, 16000,
            "không rõ: xem MODEL_CARD của bộ dữ liệu 25hours_single trước khi dùng", None,
        ),
        CatalogVoice(
            "vi_VN-vivos-x_low",
            "vi/vi_VN/vivos/x_low/vi_VN-vivos-x_low.onnx",
            27789413, 5592, 16000,
            "CC BY-NC-SA 4.0 (bộ dữ liệu VIVOS): KHÔNG dùng cho mục đích thương mại", False,
        ),
    )
}  # fmt: skip
