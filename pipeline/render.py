"""A render: a script (or a recording) in, a tagged, broadcast-ready MP3 in the media store out.

The steps, each owned by its own package, like a LibreTime analyzer pipeline:

    text ─ pipeline.text.prepare ─▶ utterances ─ pipeline.tts engine ─▶ PCM blocks
         ─ pipeline.audio.process_to_mp3 ─▶ MP3 ─ pipeline.audio.write_tags ─▶ media store

One engine speaks a whole render; if it fails part-way (gTTS losing the network), the render
starts again with the next engine of the chain. The cache key covers everything that decides the
output, so rendering unchanged input again is a lookup.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date as date_cls
from pathlib import Path
from typing import Any

from pipeline import PIPELINE_VERSION
from pipeline.audio import decode_file, process_to_mp3, write_tags
from pipeline.params import RenderParams
from pipeline.store import MediaStore, file_sha256
from pipeline.text import optional_lexicon, prepare
from pipeline.tts import EngineChain, EngineError, build_chain, synthesize_utterances
from pipeline.tts.voice_list import apply_choice, as_choice
from pipeline.types import AudioReport, PipelineError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]

#: The audio chain reports this fraction when its first pass, which consumes the speech as it is
#: synthesized, is done; until then progress is counted in utterances spoken.
_FIRST_PASS_SHARE = 0.4


def _monotonic(on_progress: ProgressFn | None) -> ProgressFn:
    """A progress callback that never goes backwards (a fallback restarts the work, not the bar)."""
    best = 0.0

    def report(fraction: float) -> None:
        nonlocal best
        if on_progress is not None and fraction > best:
            best = fraction
            on_progress(fraction)

    return report


@dataclass(frozen=True)
class RenderRequest:
    """What to render: ``text`` to speak, or a ``recording`` to process. The rest goes in the tags."""

    text: str | None = None
    recording: Path | None = None
    title: str = ""
    issuer: str = ""
    category: str = ""
    date: str = ""
    #: ``engine:voice`` from the voice list (that engine speaks first), or an espeak-ng code.
    voice: str = ""
    speech_rate: float = 1.0


@dataclass(frozen=True)
class RenderResult:
    sha256: str
    path: Path
    relpath: str
    size: int
    duration_s: float
    engine: str
    voice: str
    loudness_lufs: float
    true_peak_dbtp: float
    cache_key: str
    cached: bool
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


def _vi_int(n: int) -> str:
    """1.250.000, the way Vietnamese writes thousands."""
    return f"{n:,}".replace(",", ".")


def check_text(text: str | None, max_chars: int) -> str:
    """Refuse what cannot become a bulletin, with a message an operator understands."""
    if text is None or not text.strip():
        raise PipelineError("Văn bản trống: không có gì để đọc.")
    if len(text) > max_chars:
        raise PipelineError(f"Văn bản quá dài: {_vi_int(len(text))} ký tự, tối đa {_vi_int(max_chars)} ký tự.")
    return text


def normalize_preview(text: str, max_chars: int, lexicon_path: str | Path | None = None) -> str:
    """The "what will be read" text shown beside the original: one line per utterance group."""
    check_text(text, max_chars)
    out: list[str] = []
    line: list[str] = []
    for u in prepare(text, optional_lexicon(lexicon_path)):
        mark = "" if u.text[-1:] in ".!?…,;:" else ("," if u.boundary == "comma" else ".")
        line.append(u.text + mark)
        if u.boundary in ("paragraph", "heading"):
            out.append(" ".join(line))
            line = []
    if line:
        out.append(" ".join(line))
    return "\n".join(out)


def _audio_fingerprint(params: RenderParams) -> dict[str, Any]:
    """The parameters that change the processed audio, for the cache key."""
    jingles = {}
    for name in ("intro_jingle", "outro_jingle"):
        path = getattr(params, name)
        jingles[name] = file_sha256(path) if path else ""
    return {**asdict(params.audio), **jingles}


def cache_key(parts: dict[str, Any]) -> str:
    blob = json.dumps({"pipeline": PIPELINE_VERSION, **parts}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _finish(
    store: MediaStore,
    tmp: Path,
    report: AudioReport,
    req: RenderRequest,
    key: str,
    engine: str,
    voice: str,
    source_sha: str,
) -> RenderResult:
    day = req.date or date_cls.today().isoformat()
    meta = {
        "title": req.title,
        "issuer": req.issuer,
        "category": req.category,
        "date": day,
        "engine": engine,
        "voice": voice,
        "source_sha256": source_sha,
        "loudness_lufs": round(report.integrated_lufs, 2),
        "true_peak_dbtp": round(report.true_peak_dbtp, 2),
        "duration_s": round(report.duration_s, 3),
        "pipeline_version": PIPELINE_VERSION,
        "cache_key": key,
    }
    write_tags(tmp, _tags(meta))
    stored = store.put(tmp, meta, cache_key=key)
    return _result(stored.sha256, stored.path, stored.relpath, stored.size, meta, cached=False)


#: Render metadata that goes into the MP3 as TXXX frames (LOA_<NAME>), beside the standard frames.
_TXXX = ("source_sha256", "engine", "voice", "loudness_lufs", "true_peak_dbtp", "cache_key", "pipeline_version")


def _tags(meta: dict[str, Any]) -> dict[str, str]:
    tags = {name: str(meta[name]) for name in ("title", "issuer", "category", "date")}
    for name in _TXXX:
        value = meta[name]
        tags[f"LOA_{name.upper()}"] = f"{value:.2f}" if isinstance(value, float) else str(value)
    return tags


def _result(sha: str, path: Path, rel: str, size: int, meta: dict[str, Any], cached: bool) -> RenderResult:
    return RenderResult(
        sha256=sha,
        path=path,
        relpath=rel,
        size=size,
        duration_s=float(meta["duration_s"]),
        engine=meta["engine"],
        voice=meta["voice"],
        loudness_lufs=float(meta["loudness_lufs"]),
        true_peak_dbtp=float(meta["true_peak_dbtp"]),
        cache_key=meta["cache_key"],
        cached=cached,
        meta=meta,
    )


def _cached(store: MediaStore, key: str) -> RenderResult | None:
    hit = store.lookup(key)
    if hit is None:
        return None
    log.info("cache hit %s → %s", key[:12], hit.relpath)
    return _result(hit.sha256, hit.path, hit.relpath, hit.size, hit.meta, cached=True)


def _jingles(params: RenderParams) -> dict[str, Path | None]:
    return {"intro": params.intro_jingle, "outro": params.outro_jingle}


def render_text(req: RenderRequest, params: RenderParams, on_progress: ProgressFn | None = None) -> RenderResult:
    text = check_text(req.text, params.max_text_chars)
    progress = _monotonic(on_progress)
    utterances = prepare(text, optional_lexicon(params.lexicon_path))  # raises on text with nothing speakable
    spoken = "\n".join(f"{u.boundary}\t{u.text}" for u in utterances)
    source_sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    store = MediaStore(params.media_dir)
    fingerprint = {"text": spoken, "rate": req.speech_rate, "audio": _audio_fingerprint(params)}
    pauses = params.pauses

    # The request's voice (``engine:voice``, or an older bare espeak accent) speaks first when its
    # engine is in the chain; the others follow with their own voices.
    chain = build_chain(apply_choice(params.engines, as_choice(req.voice), within=True))
    failures: list[str] = []
    for engine, voice in chain.plan():
        key = cache_key({**fingerprint, "engine": engine.name, "voice": voice})
        hit = _cached(store, key)
        if hit:
            progress(1.0)
            return hit
        tmp = store.temp_path()
        try:
            blocks = synthesize_utterances(
                utterances, engine, voice, req.speech_rate, pauses,
                on_progress=lambda done, total: progress(_FIRST_PASS_SHARE * done / total),
            )
            report = process_to_mp3(
                blocks,
                engine.sample_rate(voice),
                tmp,
                params.audio,
                **_jingles(params),
                on_progress=progress,
            )
            chain.mark_ok(engine)
            result = _finish(store, tmp, report, req, key, engine.name, voice, source_sha)
        except EngineError as exc:
            log.info("engine %s failed, trying the next one: %s", engine.name, exc)
            chain.mark_failed(engine, exc)
            failures.append(f"{engine.name}: {exc}")
            continue
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        progress(1.0)
        return result
    why = failures or _unusable(chain) or ["chưa cấu hình bộ đọc"]
    raise PipelineError("Không có bộ đọc nào dùng được: " + "; ".join(why))


def _unusable(chain: EngineChain) -> list[str]:
    """Why each engine of the chain cannot speak (a chosen voice that is not installed shows here)."""
    return [f"{s.engine.name}: {s.availability.reason}" for s in chain.status() if not s.availability.ok]


def render_recording(req: RenderRequest, params: RenderParams, on_progress: ProgressFn | None = None) -> RenderResult:
    assert req.recording is not None
    progress = _monotonic(on_progress)
    source = Path(req.recording)
    if not source.is_file():
        raise PipelineError(f"Không tìm thấy tệp ghi âm: {source}")
    source_sha = file_sha256(source)
    store = MediaStore(params.media_dir)
    key = cache_key({"recording": source_sha, "audio": _audio_fingerprint(params)})
    hit = _cached(store, key)
    if hit:
        progress(1.0)
        return hit
    blocks, sr = decode_file(source, params.max_recording_s)
    tmp = store.temp_path()
    try:
        report = process_to_mp3(blocks, sr, tmp, params.audio, **_jingles(params), on_progress=progress)
        result = _finish(store, tmp, report, req, key, "recording", source.name, source_sha)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    progress(1.0)
    return result


def render(req: RenderRequest, params: RenderParams, on_progress: ProgressFn | None = None) -> RenderResult:
    """Render a request into the media store, or return the cached render of identical input.

    ``params``: ``loa.params.render_params(settings)`` builds them."""
    if req.recording is not None:
        return render_recording(req, params, on_progress)
    return render_text(req, params, on_progress)
