"""ID3v2.4 tags for delivered MP3s (mutagen).

Well-known keys map to standard frames; every other key becomes a TXXX frame, upper-cased
(``loa_source_sha256`` -> ``TXXX:LOA_SOURCE_SHA256``), so render metadata survives next to the audio.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mutagen.id3 import ID3, TALB, TCON, TDRC, TIT2, TLAN, TPE1, TPUB, TXXX, ID3NoHeaderError

from pipeline.types import PipelineError

#: Our key -> frame classes it fills (issuer goes to both artist and publisher: players show the first).
STANDARD_FRAMES = {
    "title": (TIT2,),
    "issuer": (TPE1, TPUB),
    "category": (TALB, TCON),
    "date": (TDRC,),
    "language": (TLAN,),
}
DEFAULT_LANGUAGE = "vie"


def write_tags(path: Path, tags: Mapping[str, str]) -> None:
    """Replace the file's ID3 tag with ``tags`` (language defaults to ``vie``), saved as ID3v2.4."""
    values = {"language": DEFAULT_LANGUAGE, **{k: str(v) for k, v in tags.items() if v is not None}}
    try:
        id3 = ID3(path)
        id3.clear()
    except ID3NoHeaderError:
        id3 = ID3()
    except OSError as exc:
        raise PipelineError(f"Không ghi được thẻ ID3 vào {Path(path).name}: {exc}") from exc
    for key, value in values.items():
        if not value:
            continue
        frames = STANDARD_FRAMES.get(key.lower())
        if frames:
            for frame in frames:
                id3.add(frame(encoding=3, text=[value]))
        else:
            id3.add(TXXX(encoding=3, desc=key.upper(), text=[value]))
    id3.save(path, v2_version=4)


def read_tags(path: Path) -> dict[str, str]:
    """The inverse of ``write_tags`` (TXXX keys come back upper-case)."""
    id3 = ID3(path)
    out: dict[str, str] = {}
    for key, frames in STANDARD_FRAMES.items():
        frame = id3.get(frames[0].__name__)
        if frame is not None:
            out[key] = str(frame.text[0])
    for frame in id3.getall("TXXX"):
        out[frame.desc] = str(frame.text[0])
    return out
