"""A planned day as files: the JSON manifest agents read, plus extended M3U8 and XSPF for players.

The manifest format is a contract (notes/contracts.md), modelled in ``broadcast.manifest``: this is
its one writer. Files are written atomically (temporary
file in the same folder, then ``os.replace``), the JSON last, so a reader that polls the JSON never
finds a manifest whose M3U8 is not there yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from broadcast.manifest import Item, Manifest, Unplaced, parse_manifest
from broadcast.planner import MediaRef, PlannedItem
from broadcast.planner import Unplaced as PlanUnplaced

#: Manifest keys left out of the ETag: they change on every write without changing what airs.
VOLATILE_KEYS = ("generated_at", "version")
XSPF_NS = "http://xspf.org/ns/0/"


@dataclass(frozen=True)
class PlaylistPaths:
    m3u8: Path
    json: Path
    xspf: Path


def item_id(item: PlannedItem, start: str) -> str:
    """A short id for an item, the same in every version where it airs at the same time:
    kind letter, what it plays (bulletin, relay or media), start time."""
    if item.bulletin_id is not None:
        ref = str(item.bulletin_id)
    elif item.relay_id is not None:
        ref = f"r{item.relay_id}"
    else:
        ref = item.media.sha256[:12] if item.media is not None else "x"
    return f"{item.kind[0]}{ref}@{start}"


def manifest_item(item: PlannedItem) -> Item:
    """A planned item as the manifest carries it."""
    media = item.media
    start = item.start.isoformat()
    return Item(
        start=item.start,
        duration_s=item.duration_s,
        kind=item.kind,
        title=item.title,
        priority=item.priority,
        sha256=media.sha256 if media is not None else None,
        size=media.size if media is not None else 0,
        url=item.url,
        stream_url=item.stream_url,
        bulletin_id=item.bulletin_id,
        session=item.session,
        relay_id=item.relay_id,
        id=item_id(item, start),
        language=item.language,
    )


def build_manifest(
    station: str,
    day: date,
    version: int,
    generated_at: datetime,
    items: Iterable[PlannedItem],
    unplaced: Iterable[PlanUnplaced],
    *,
    timezone: str,
    emergency: bool = False,
) -> dict[str, Any]:
    """The manifest of the contract, built as the model (``broadcast.manifest``), as the dict that
    is stored, served and written."""
    return Manifest(
        station,
        day,
        version,
        tuple(manifest_item(it) for it in items),
        emergency=emergency,
        generated_at=generated_at,
        timezone=timezone,
        unplaced=tuple(Unplaced(u.title, u.reason, u.bulletin_id, u.relay_id, u.missing) for u in unplaced),
    ).to_json()


def planned_item(it: Item) -> PlannedItem:
    """A manifest item back as a planner item."""
    media = MediaRef(it.sha256, it.size, it.duration_s, it.url) if it.sha256 else None
    return PlannedItem(
        start=it.start,
        duration_s=it.duration_s,
        kind=it.kind,
        title=it.title,
        priority=it.priority,
        media=media,
        bulletin_id=it.bulletin_id,
        relay_id=it.relay_id,
        stream_url=it.stream_url,
        session=it.session,
        language=it.language,
    )


def items_from_manifest(manifest: Mapping[str, Any] | Manifest) -> list[PlannedItem]:
    """The manifest's items back as planner items (to keep the past of a day being replanned).
    Raises ManifestError for a manifest that does not validate."""
    model = manifest if isinstance(manifest, Manifest) else parse_manifest(dict(manifest))
    return [planned_item(it) for it in model.items]


def folder_manifest(manifest: Mapping[str, Any], media_names: Mapping[str, str]) -> dict[str, Any]:
    """The manifest for a plain folder (agents' "folder" layout: <root>/CODE/DATE.json beside
    <root>/media/<file>): media urls relative to the manifest, ``../media/<name>``. Relays keep
    their stream urls; media missing from ``media_names`` keep theirs."""
    items = []
    for item in manifest["items"]:
        name = media_names.get(item.get("sha256") or "")
        items.append({**item, "url": f"../media/{name}"} if name else item)
    return {**manifest, "items": items}


def canonical_json(manifest: Mapping[str, Any], encoded: Mapping[str, bytes] | None = None) -> bytes:
    """The manifest without its volatile keys, keys sorted, compact, UTF-8 (what the ETag hashes
    and the file holds). ``encoded``: values already encoded so (``encode_canonical``), by key:
    spliced in as they are, so what many stations share is encoded once a night, not per station."""
    if not encoded:
        body = {k: v for k, v in manifest.items() if k not in VOLATILE_KEYS}
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    parts = [
        encode_canonical(k) + b":" + (encoded[k] if k in encoded else encode_canonical(v))
        for k, v in sorted(manifest.items())
        if k not in VOLATILE_KEYS
    ]
    return b"{" + b",".join(parts) + b"}"


def encode_canonical(value: Any) -> bytes:
    """A value as ``canonical_json`` encodes it inside the manifest."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def stored_json(manifest: Mapping[str, Any], encoded: Mapping[str, str]) -> str:
    """The manifest as the database's JSON column stores it (``json.dumps`` with its defaults, keys
    in order), with the values of ``encoded`` (``json.dumps`` of them) spliced in as they are."""
    return "{" + ", ".join(
        f"{json.dumps(k)}: {encoded[k] if k in encoded else json.dumps(v)}" for k, v in manifest.items()
    ) + "}"


def shared_manifest(
    station: str,
    day: date,
    version: int,
    generated_at: datetime,
    items: list[dict[str, Any]],
    unplaced: list[dict[str, Any]],
    *,
    timezone: str,
    emergency: bool,
) -> dict[str, Any]:
    """The dict ``build_manifest`` makes, key for key and in its order, around item and unplaced
    lists already built (``Manifest.to_json`` of them): stations that air the same share them."""
    return {
        "station": station,
        "date": day.isoformat(),
        "version": version,
        "generated_at": generated_at.isoformat(),
        "timezone": timezone,
        "emergency": emergency,
        "items": items,
        "unplaced": unplaced,
    }


def manifest_etag(manifest: Mapping[str, Any]) -> str:
    """sha256 of the manifest without its version and time stamp: equal etags, same broadcast."""
    return hashlib.sha256(canonical_json(manifest)).hexdigest()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def render_m3u8(manifest: Mapping[str, Any], tracks: str | None = None) -> str:
    """Extended M3U: ``#EXTINF:<seconds>,<title>`` then the url; start times as comments.
    ``tracks``: ``m3u8_tracks(manifest)`` if the caller has it (stations airing the same share it)."""
    lines = [
        "#EXTM3U",
        f"#PLAYLIST:{_one_line(manifest['station'])} {manifest['date']} (phiên bản {manifest['version']})",
        f"# station={manifest['station']} date={manifest['date']} version={manifest['version']}"
        f" generated_at={manifest['generated_at']}",
    ]
    if manifest.get("emergency"):
        lines.append("# emergency=true")
    if tracks is None:
        tracks = m3u8_tracks(manifest)
    return "\n".join(lines) + tracks + "\n"


def m3u8_tracks(manifest: Mapping[str, Any]) -> str:
    """The M3U8 lines of the items and the unplaced, each after a newline (``render_m3u8``)."""
    lines = []
    for item in manifest["items"]:
        session = f" session={item['session']}" if item.get("session") else ""
        lines.append(f"# start={item['start']} kind={item['kind']} priority={item['priority']}{session}")
        lines.append(f"#EXTINF:{round(item['duration_s'])},{_one_line(item['title'])}")
        lines.append(item["url"])
    for u in manifest.get("unplaced", []):
        lines.append(f"# unplaced: {_one_line(u['title'])} — {_one_line(u['reason'])}")
    return "".join("\n" + line for line in lines)


def render_xspf(manifest: Mapping[str, Any], tracks: str | None = None) -> bytes:
    """XSPF 1 (xspf.org), built as escaped text: ElementTree would cost more than planning.
    ``tracks``: ``xspf_tracks(manifest)`` if the caller has it."""
    title = escape(f"{manifest['station']} {manifest['date']} (phiên bản {manifest['version']})")
    head = (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        f'<playlist xmlns="{XSPF_NS}" version="1"><title>{title}</title>'
        f"<date>{escape(str(manifest['generated_at']))}</date><trackList>"
    )
    if tracks is None:
        tracks = xspf_tracks(manifest)
    return (head + tracks + "</trackList></playlist>\n").encode()


def xspf_tracks(manifest: Mapping[str, Any]) -> str:
    """The XSPF ``<track>`` elements of the items (``render_xspf``)."""
    parts = []
    for item in manifest["items"]:
        sha = item.get("sha256")
        ident = f"<identifier>sha256:{escape(sha)}</identifier>" if sha else ""
        parts.append(
            f"<track><location>{escape(item['url'])}</location>{ident}<title>{escape(item['title'])}</title>"
            f"<annotation>{escape(item['start'])} {escape(item['kind'])} {escape(item['priority'])}</annotation>"
            f"<duration>{round(item['duration_s'] * 1000)}</duration></track>"
        )
    return "".join(parts)


def paths_for(out_dir: Path, station: str, day: date) -> PlaylistPaths:
    if not station or station in (".", "..") or any(c in station for c in "/\\:\0"):
        raise ValueError(f"Mã đài không dùng được làm tên thư mục: {station!r}")
    base = Path(out_dir) / station / day.isoformat()
    return PlaylistPaths(base.with_suffix(".m3u8"), base.with_suffix(".json"), base.with_suffix(".xspf"))


#: Numbers the temporary files of this process (``write_temporary``).
_SEQ = itertools.count(1)
#: Files written under temporary names: (temporary path, final path).
Written = list[tuple[str, str]]


def write_temporary(files: Iterable[tuple[Path, bytes]]) -> Written:
    """Each file's bytes under a temporary name beside its final one, ``.NAME.PID.SEQ.tmp`` (the
    name ``playlist_export.sweep_temp_files`` knows; mkstemp's random names cost more than the write
    itself at tens of thousands of files a night). On failure nothing it wrote is left."""
    written: Written = []
    try:
        for path, data in files:
            folder, name = os.path.split(str(path))
            tmp = os.path.join(folder, f".{name}.{os.getpid()}.{next(_SEQ)}.tmp")
            written.append((tmp, str(path)))
            with open(tmp, "wb") as fh:
                fh.write(data)
    except BaseException:
        remove_temporary(written)
        raise
    return written


def put_in_place(written: Written) -> None:
    """Rename temporary files to their final names, in order: each ``os.replace`` is atomic, so a
    reader sees the old file or the new one, never part of one. On failure the rest are removed."""
    try:
        for tmp, final in written:
            os.replace(tmp, final)
    except BaseException:
        remove_temporary(written)
        raise


def remove_temporary(written: Written) -> None:
    """Remove the temporary files that are still there."""
    for tmp, _ in written:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def manifest_json(manifest: Mapping[str, Any], canonical: bytes | None = None) -> bytes:
    """The manifest file: version and time stamp, then the canonical body (reused from the ETag
    computation when given, so a night's manifests are encoded once, not twice)."""
    body = canonical if canonical is not None else canonical_json(manifest)
    head = json.dumps(
        {k: manifest[k] for k in ("version", "generated_at") if k in manifest},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    if body == b"{}" or head == b"{}":
        return head if body == b"{}" else body
    return head[:-1] + b"," + body[1:]


def playlist_file_bytes(
    manifest: Mapping[str, Any],
    paths: PlaylistPaths,
    canonical: bytes | None = None,
    tracks: tuple[str, str] | None = None,
) -> list[tuple[Path, bytes]]:
    """The day's three files as (path, bytes): the M3U8, the XSPF and, last (agents look for it),
    the manifest. ``canonical`` and ``tracks`` as for ``write_playlist_files``."""
    m3u8, xspf = tracks if tracks is not None else (None, None)
    return [
        (paths.m3u8, render_m3u8(manifest, m3u8).encode()),
        (paths.xspf, render_xspf(manifest, xspf)),
        (paths.json, manifest_json(manifest, canonical)),
    ]


def write_playlist_files(
    out_dir: Path,
    manifest: Mapping[str, Any],
    canonical: bytes | None = None,
    tracks: tuple[str, str] | None = None,
    paths: PlaylistPaths | None = None,
) -> PlaylistPaths:
    """Write DIR/CODE/YYYY-MM-DD.m3u8, .xspf and (last) .json, each atomically.
    ``canonical``: ``canonical_json(manifest)`` if the caller already has it; ``tracks``: the
    M3U8 and XSPF track sections (``m3u8_tracks``, ``xspf_tracks``), likewise; ``paths``: the
    manifest's ``paths_for``, likewise."""
    if paths is None:
        paths = paths_for(out_dir, manifest["station"], date.fromisoformat(manifest["date"]))
    paths.json.parent.mkdir(parents=True, exist_ok=True)
    put_in_place(write_temporary(playlist_file_bytes(manifest, paths, canonical, tracks)))
    return paths


def check_writable(out_dir: Path) -> None:
    """Raise OSError now if playlists cannot be written under ``out_dir``: files are written only
    after the rows commit, and a folder that refuses them must refuse the whole generation first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".loa-write-check-", suffix=".tmp")
    os.close(fd)
    os.unlink(probe)
