"""Reading a station's daily manifest (the JSON contract in notes/contracts.md) into plain data.

The agent trusts nothing it downloads: a manifest that does not parse, or that belongs to another
station or day, is refused with a clear message and the cached copy stays in use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
KINDS = ("bulletin", "relay", "jingle")
PRIORITIES = ("normal", "priority", "emergency")


class ManifestError(ValueError):
    """A manifest cannot be used (message in Vietnamese, shown to the operator)."""


@dataclass(frozen=True)
class Item:
    start: datetime
    duration_s: float
    kind: str
    title: str
    priority: str
    sha256: str | None
    size: int
    url: str
    stream_url: str | None = None
    bulletin_id: int | None = None
    session: str | None = None
    #: ISO 639-3 code of a bulletin's version in another language; "" for the main version.
    language: str = ""

    @property
    def is_emergency(self) -> bool:
        return self.priority == "emergency"


@dataclass(frozen=True)
class Manifest:
    station: str
    day: date
    version: int
    items: tuple[Item, ...]
    emergency: bool = False


def _aware(value: Any, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ManifestError(f"{where}: thời điểm không hợp lệ {value!r}.") from exc
    if moment.tzinfo is None:
        raise ManifestError(f"{where}: thời điểm {value!r} thiếu múi giờ.")
    return moment


def _item(raw: Any, index: int) -> Item:
    where = f"mục {index + 1}"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: không phải một đối tượng JSON.")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ManifestError(f"{where}: loại {kind!r} không hợp lệ.")
    priority = raw.get("priority", "normal")
    if priority not in PRIORITIES:
        raise ManifestError(f"{where}: mức ưu tiên {priority!r} không hợp lệ.")
    try:
        duration = float(raw["duration_s"])
        size = int(raw.get("size") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"{where}: thiếu hoặc sai thời lượng/kích thước.") from exc
    if not duration > 0:
        raise ManifestError(f"{where}: thời lượng phải lớn hơn 0.")
    sha = raw.get("sha256")
    url = str(raw.get("url") or "")
    stream_url = raw.get("stream_url")
    if kind == "relay":
        if not (stream_url or url):
            raise ManifestError(f"{where}: tiếp sóng thiếu địa chỉ luồng.")
        sha = None
    else:
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise ManifestError(f"{where}: mã sha256 không hợp lệ.")
        if not url:
            raise ManifestError(f"{where}: thiếu địa chỉ tệp.")
    bulletin_id = raw.get("bulletin_id")
    return Item(
        start=_aware(raw.get("start"), where),
        duration_s=duration,
        kind=kind,
        title=str(raw.get("title") or ""),
        priority=priority,
        sha256=sha,
        size=size,
        url=url,
        stream_url=str(stream_url) if stream_url else None,
        bulletin_id=int(bulletin_id) if isinstance(bulletin_id, int) else None,
        session=str(raw["session"]) if raw.get("session") else None,
        language=_language(raw.get("language")),
    )


def _language(value: Any) -> str:
    """A version's language code; anything that is not a short code is ignored, not fatal."""
    return value if isinstance(value, str) and value.isalpha() and len(value) == 3 else ""


def parse_manifest(doc: Any, *, station: str | None = None, day: date | None = None) -> Manifest:
    """Validate a decoded manifest; ``station``/``day`` guard against a server answering the wrong request."""
    if isinstance(doc, bytes | str):
        try:
            doc = json.loads(doc)
        except ValueError as exc:
            raise ManifestError("Lịch phát không phải JSON hợp lệ.") from exc
    if not isinstance(doc, dict):
        raise ManifestError("Lịch phát không phải một đối tượng JSON.")
    try:
        code = str(doc["station"])
        manifest_day = date.fromisoformat(str(doc["date"]))
        version = int(doc["version"])
        raw_items = doc["items"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError("Lịch phát thiếu trường station/date/version/items.") from exc
    if station is not None and code != station:
        raise ManifestError(f"Lịch phát của đài {code}, không phải của đài {station}.")
    if day is not None and manifest_day != day:
        raise ManifestError(f"Lịch phát ngày {manifest_day}, không phải ngày {day}.")
    if not isinstance(raw_items, list):
        raise ManifestError("Trường items phải là một danh sách.")
    items = tuple(_item(raw, i) for i, raw in enumerate(raw_items))
    return Manifest(code, manifest_day, version, items, emergency=bool(doc.get("emergency", False)))
