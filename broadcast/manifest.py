"""The manifest: one station's planned day, the JSON contract between the server and its agents
(notes/contracts.md). One typed model for its one writer (``broadcast.playlist_files``) and its
readers (the station agent, the panel's schedule, ``loa playlist show``, replanning a day under
way, the API's description).

No SQLAlchemy, no Flask, no planner here: the station agent imports this on a commune PC.

The model serializes to the very dict the files and the API carry (``Manifest.to_json``), key for
key and in the same order, so the bytes are what they were; ``parse_manifest`` is the one
validation, and it trusts nothing (a manifest that does not parse, or belongs to another station
or day, is refused with a Vietnamese message).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

SHA256_PATTERN = "^[0-9a-f]{64}$"
_SHA256 = re.compile(SHA256_PATTERN)
KINDS = ("bulletin", "relay", "jingle")
PRIORITIES = ("normal", "priority", "emergency")


class ManifestError(ValueError):
    """A manifest cannot be used (message in Vietnamese, shown to the operator)."""


class Item(NamedTuple):
    """One thing to air: a file (bulletin, jingle; ``sha256`` and ``url``) or a relay
    (``stream_url``). A named tuple, not a frozen dataclass: as immutable, and three times quicker
    to build (a night's generation builds hundreds of thousands)."""

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
    relay_id: int | None = None
    #: Short id, the same in every version where the item airs at the same time (the writer's).
    id: str | None = None
    #: ISO 639-3 code of a bulletin's version in another language; "" for the main version.
    language: str = ""

    @property
    def is_emergency(self) -> bool:
        return self.priority == "emergency"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": self.start.isoformat(),
            "duration_s": self.duration_s,
            "kind": self.kind,
            "title": self.title,
            "priority": self.priority,
            "sha256": self.sha256,
            "size": self.size,
            "url": self.url,
        }
        if self.bulletin_id is not None:
            out["bulletin_id"] = self.bulletin_id
        if self.relay_id is not None:
            out["relay_id"] = self.relay_id
        if self.stream_url is not None:
            out["stream_url"] = self.stream_url
        if self.session is not None:
            out["session"] = self.session
        if self.language:
            out["language"] = self.language
        if self.id is not None:
            out["id"] = self.id
        return out


class Unplaced(NamedTuple):
    """Something asked for that found no place, and why (shown to operators, not aired)."""

    title: str
    reason: str
    bulletin_id: int | None = None
    relay_id: int | None = None
    #: Plays asked for that found no place (0 when the whole item is refused, e.g. a relay).
    missing: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "reason": self.reason}
        if self.bulletin_id is not None:
            out["bulletin_id"] = self.bulletin_id
        if self.relay_id is not None:
            out["relay_id"] = self.relay_id
        if self.missing:
            out["missing"] = self.missing
        return out


@dataclass(frozen=True)
class Manifest:
    station: str
    day: date
    version: int
    items: tuple[Item, ...]
    emergency: bool = False
    generated_at: datetime | None = None
    timezone: str | None = None
    unplaced: tuple[Unplaced, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The contract's dict (plus the allowed extensions "emergency", "timezone", item ids)."""
        out: dict[str, Any] = {"station": self.station, "date": self.day.isoformat(), "version": self.version}
        if self.generated_at is not None:
            out["generated_at"] = self.generated_at.isoformat()
        if self.timezone is not None:
            out["timezone"] = self.timezone
        out["emergency"] = self.emergency
        out["items"] = [it.to_json() for it in self.items]
        out["unplaced"] = [u.to_json() for u in self.unplaced]
        return out


def _aware(value: Any, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ManifestError(f"{where}: thời điểm không hợp lệ {value!r}.") from exc
    if moment.tzinfo is None:
        raise ManifestError(f"{where}: thời điểm {value!r} thiếu múi giờ.")
    return moment


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _checked_kind_priority(raw: dict[str, Any], where: str) -> tuple[str, str]:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ManifestError(f"{where}: loại {kind!r} không hợp lệ.")
    priority = raw.get("priority", "normal")
    if priority not in PRIORITIES:
        raise ManifestError(f"{where}: mức ưu tiên {priority!r} không hợp lệ.")
    return str(kind), str(priority)


def _checked_source(raw: dict[str, Any], kind: str, where: str) -> tuple[str | None, str, str | None]:
    """(sha256, url, stream_url): a relay needs a stream and has no checksum, a file needs both."""
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
    return sha, url, str(stream_url) if stream_url else None


def parse_item(raw: Any, index: int) -> Item:
    where = f"mục {index + 1}"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: không phải một đối tượng JSON.")
    kind, priority = _checked_kind_priority(raw, where)
    try:
        duration = float(raw["duration_s"])
        size = int(raw.get("size") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"{where}: thiếu hoặc sai thời lượng/kích thước.") from exc
    if not duration > 0:
        raise ManifestError(f"{where}: thời lượng phải lớn hơn 0.")
    sha, url, stream_url = _checked_source(raw, kind, where)
    return Item(
        start=_aware(raw.get("start"), where),
        duration_s=duration,
        kind=kind,
        title=str(raw.get("title") or ""),
        priority=priority,
        sha256=sha,
        size=size,
        url=url,
        stream_url=stream_url,
        bulletin_id=_int_or_none(raw.get("bulletin_id")),
        session=str(raw["session"]) if raw.get("session") else None,
        relay_id=_int_or_none(raw.get("relay_id")),
        id=str(raw["id"]) if raw.get("id") else None,
        language=_language(raw.get("language")),
    )


def _language(value: Any) -> str:
    """A version's language code; anything that is not a short code is ignored, not fatal."""
    return value if isinstance(value, str) and value.isalpha() and len(value) == 3 else ""


def _unplaced(raw: Any) -> Unplaced | None:
    """An unplaced entry, or None for one that is not an object (it only informs operators)."""
    if not isinstance(raw, dict):
        return None
    missing = raw.get("missing")
    return Unplaced(
        str(raw.get("title") or ""),
        str(raw.get("reason") or ""),
        bulletin_id=_int_or_none(raw.get("bulletin_id")),
        relay_id=_int_or_none(raw.get("relay_id")),
        missing=missing if isinstance(missing, int) and not isinstance(missing, bool) else 0,
    )


def _generated_at(value: Any) -> datetime | None:
    """The time stamp, when there is a readable one (older manifests may lack it: not fatal)."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _decoded(doc: Any) -> dict[str, Any]:
    if isinstance(doc, bytes | str):
        try:
            doc = json.loads(doc)
        except ValueError as exc:
            raise ManifestError("Lịch phát không phải JSON hợp lệ.") from exc
    if not isinstance(doc, dict):
        raise ManifestError("Lịch phát không phải một đối tượng JSON.")
    return doc


def parse_manifest(doc: Any, *, station: str | None = None, day: date | None = None) -> Manifest:
    """Validate a manifest (bytes, text or decoded); ``station``/``day`` guard against a server
    answering the wrong request."""
    doc = _decoded(doc)
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
    items = tuple(parse_item(raw, i) for i, raw in enumerate(raw_items))
    raw_unplaced = doc.get("unplaced")
    unplaced = tuple(u for u in map(_unplaced, raw_unplaced if isinstance(raw_unplaced, list) else ()) if u)
    tz = doc.get("timezone")
    return Manifest(
        code, manifest_day, version, items, emergency=bool(doc.get("emergency", False)),
        generated_at=_generated_at(doc.get("generated_at")), timezone=tz if isinstance(tz, str) else None,
        unplaced=unplaced,
    )


# --- the same model as JSON Schema (the API's description, web/openapi.py) -------------------

ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["start", "duration_s", "kind", "title", "priority", "sha256", "size", "url"],
    "properties": {
        "start": {"type": "string", "format": "date-time"},
        "duration_s": {"type": "number", "exclusiveMinimum": 0},
        "kind": {"enum": list(KINDS)},
        "title": {"type": "string"},
        "priority": {"enum": list(PRIORITIES)},
        "sha256": {"type": ["string", "null"], "pattern": SHA256_PATTERN},
        "size": {"type": "integer"},
        "url": {"type": "string"},
        "bulletin_id": {"type": "integer"},
        "relay_id": {"type": "integer"},
        "stream_url": {"type": "string"},
        "session": {"type": "string", "description": "Start HH:MM of the session the item belongs to"},
        "language": {"type": "string", "description": "ISO 639-3 code of a version in another language"},
        "id": {"type": "string", "description": "The same in every version where the item airs at the same time"},
    },
}

MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["station", "date", "version", "generated_at", "items", "unplaced"],
    "properties": {
        "station": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "version": {"type": "integer"},
        "generated_at": {"type": "string", "format": "date-time"},
        "timezone": {"type": "string"},
        "emergency": {"type": "boolean"},
        "items": {"type": "array", "items": ITEM_SCHEMA},
        "unplaced": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title", "reason"],
                "properties": {
                    "title": {"type": "string"},
                    "reason": {"type": "string"},
                    "bulletin_id": {"type": "integer"},
                    "relay_id": {"type": "integer"},
                    "missing": {"type": "integer", "minimum": 1},
                },
            },
        },
    },
}
