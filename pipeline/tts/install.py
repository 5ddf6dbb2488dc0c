"""Installing Piper voices into the data folder's ``voices/``: from the catalog, a URL or a local
file/folder (a USB stick: commune PCs are often offline).

Every way goes through the same steps: fetch into ``voices/.partial/`` (HTTP downloads resume with
Range), check size, checksum when known, that the ``.onnx`` is an ONNX model and that the
``.onnx.json`` is a Piper config, then move both into ``voices/`` with ``os.replace``. A failure
leaves ``voices/`` as it was: no half voice is ever visible to the engine chain.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import logging
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.tts.catalog import CATALOG, DEFAULT_BASE_URL, CatalogVoice

log = logging.getLogger(__name__)

PARTIAL_DIR = ".partial"
CHUNK = 1 << 16
#: Room kept free on the disk beyond the voice itself.
SPACE_MARGIN = 16 << 20


class InstallError(Exception):
    """A voice could not be installed; the message is Vietnamese and nothing was installed."""


@dataclass(frozen=True)
class InstalledVoice:
    name: str
    model: Path
    sample_rate: int
    checksum_checked: bool


# --- the installed voices ------------------------------------------------------------------
def installed_voices(voices_dir: Path) -> list[Path]:
    """The ``.onnx`` files in ``voices_dir`` that have their ``.onnx.json``, sorted by name."""
    if not voices_dir.is_dir():
        return []
    return sorted(p for p in voices_dir.glob("*.onnx") if p.with_name(p.name + ".json").is_file())


def resolve_voice(piper_voice: str, voices_dir: Path) -> str:
    """The model path for the ``piper_voice`` setting: a path as given, a bare name looked up in
    ``voices_dir``; empty means the first installed voice (so an install is usable at once)."""
    if not piper_voice:
        found = installed_voices(voices_dir)
        return str(found[0]) if found else ""
    if "/" in piper_voice or os.sep in piper_voice or piper_voice.endswith(".onnx"):
        return piper_voice
    return str(voices_dir / f"{piper_voice}.onnx")


def remove_voice(name: str, voices_dir: Path) -> None:
    model = voices_dir / f"{_safe_name(name)}.onnx"
    if not model.exists():
        raise InstallError(f"Không có giọng {name!r} trong {voices_dir}.")
    model.unlink()  # the model first: without it the voice is gone for the chain
    model.with_name(model.name + ".json").unlink(missing_ok=True)


# --- checks -------------------------------------------------------------------------------
def _safe_name(name: str) -> str:
    name = name.removesuffix(".onnx")
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise InstallError(f"Tên giọng không hợp lệ: {name!r}.")
    return name


def check_config(path: Path) -> dict[str, Any]:
    """A Piper voice config: JSON with ``audio.sample_rate`` and a phoneme map."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InstallError(f"Tệp {path.name} không phải cấu hình giọng Piper (JSON hỏng: {exc}).") from exc
    audio = doc.get("audio") if isinstance(doc, dict) else None
    if not isinstance(audio, dict) or not isinstance(audio.get("sample_rate"), int):
        raise InstallError(f"Tệp {path.name} không phải cấu hình giọng Piper: thiếu audio.sample_rate.")
    if not isinstance(doc.get("phoneme_id_map"), dict) or not doc["phoneme_id_map"]:
        raise InstallError(f"Tệp {path.name} không phải cấu hình giọng Piper: thiếu phoneme_id_map.")
    return doc


def check_model(path: Path, label: str) -> None:
    """The file is an ONNX model onnxruntime can load (a protobuf starting with ir_version)."""
    with path.open("rb") as f:
        head = f.read(1)
    if head != b"\x08":
        raise InstallError(f"Tệp {label} không phải mô hình ONNX của giọng Piper.")
    try:
        import onnxruntime
    except ImportError:
        log.warning("onnxruntime missing: %s checked by its header only", label)
        return
    try:
        onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for a corrupt model
        raise InstallError(f"Tệp {label} không phải mô hình ONNX dùng được: {exc}") from exc


def _check_digest(path: Path, size: int, md5: str, label: str) -> bool:
    """Size (when known) and MD5 (when known); True when a checksum was checked."""
    actual = path.stat().st_size
    if size and actual != size:
        raise InstallError(f"Tệp {label} có {actual} byte, đúng ra phải {size} byte: tệp sai hoặc hỏng.")
    if not md5:
        if size:
            log.warning("no known checksum for %s: size checked only", label)
        return False
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    if h.hexdigest() != md5.lower():
        raise InstallError(f"Sai mã kiểm tra (checksum) của tệp {label}: tệp hỏng hoặc bị thay.")
    return True


def check_free_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed and free < needed + SPACE_MARGIN:
        raise InstallError(
            f"Không đủ chỗ trên đĩa: cần {(needed + SPACE_MARGIN) >> 20} MB, còn {free >> 20} MB."
        )


def _write_error(exc: OSError, part: Path) -> InstallError:
    part.unlink(missing_ok=True)
    if exc.errno == errno.ENOSPC:
        return InstallError("Đĩa đầy khi ghi tệp giọng: không cài gì. Hãy dọn chỗ rồi thử lại.")
    return InstallError(f"Không ghi được tệp giọng: {exc}")


# --- fetching -----------------------------------------------------------------------------
def _total_size(resp: Any, start: int) -> int:
    """The whole file's size from a 200 or 206 answer, 0 when the server does not say."""
    content_range = resp.headers.get("Content-Range", "")
    if resp.status == 206 and "/" in content_range and not content_range.endswith("*"):
        return int(content_range.rsplit("/", 1)[1])
    length = resp.headers.get("Content-Length")
    return int(length) + (start if resp.status == 206 else 0) if length else 0


def download(url: str, part: Path, *, size: int = 0, timeout_s: float = 30.0) -> None:
    """Fetch ``url`` into ``part``, resuming what an earlier, interrupted try left there.

    An interruption keeps ``part`` (the next try resumes) and raises InstallError."""
    start = part.stat().st_size if part.exists() else 0
    if size and start == size:
        return
    if size and start > size:
        part.unlink()
        start = 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        resp = urllib.request.urlopen(req, timeout=timeout_s)  # noqa: S310 - http(s) from config
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:
            return  # already complete; the size check decides
        raise InstallError(f"Máy chủ từ chối tải {url}: HTTP {exc.code}.") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise InstallError(
            f"Không tải được {url}: {getattr(exc, 'reason', exc)}. Kiểm tra mạng, hoặc cài từ tệp "
            "(USB): loa voices install ĐƯỜNG_DẪN"
        ) from exc
    with resp:
        if resp.status != 206:
            start = 0  # the server ignored Range: start over
        total = _total_size(resp, start)
        check_free_space(part.parent, (size or total) - start)
        got = _stream(resp, part, append=bool(start), got=start, url=url, total=total)
    if total and got < total:
        raise InstallError(_interrupted(url, got, total))


def _stream(resp: Any, part: Path, *, append: bool, got: int, url: str, total: int) -> int:
    """Copy the answer's body to ``part``; network errors keep it (resume), disk errors drop it."""
    with part.open("ab" if append else "wb") as out:
        while True:
            try:
                block = resp.read(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise InstallError(_interrupted(url, got, total)) from exc
            if not block:
                return got
            try:
                out.write(block)
            except OSError as exc:
                raise _write_error(exc, part) from exc
            got += len(block)


def _interrupted(url: str, got: int, total: int) -> str:
    of = f"/{total}" if total else ""
    return f"Tải {url} bị ngắt giữa chừng ({got}{of} byte): không cài gì. Chạy lại lệnh để tải tiếp."


def _copy(src: Path, part: Path) -> None:
    check_free_space(part.parent, src.stat().st_size)
    try:
        shutil.copyfile(src, part)
    except OSError as exc:
        raise _write_error(exc, part) from exc


# --- installing ---------------------------------------------------------------------------
def _finish(name: str, voices_dir: Path, sizes: tuple[int, int], md5s: tuple[str, str]) -> InstalledVoice:
    """Check the two staged files and move them into place (config first, then the model)."""
    staging = voices_dir / PARTIAL_DIR
    onnx_part, json_part = staging / f"{name}.onnx.part", staging / f"{name}.onnx.json.part"
    try:
        checked = _check_digest(onnx_part, sizes[0], md5s[0], f"{name}.onnx")
        checked = _check_digest(json_part, sizes[1], md5s[1], f"{name}.onnx.json") and checked
        doc = check_config(json_part)
        check_model(onnx_part, f"{name}.onnx")
    except InstallError:
        onnx_part.unlink(missing_ok=True)  # a wrong file is not worth resuming
        json_part.unlink(missing_ok=True)
        raise
    model = voices_dir / f"{name}.onnx"
    os.replace(json_part, model.with_name(model.name + ".json"))
    os.replace(onnx_part, model)
    log.info("installed Piper voice %s", model)
    return InstalledVoice(name, model, int(doc["audio"]["sample_rate"]), checked)


def _staging(voices_dir: Path) -> Path:
    staging = voices_dir / PARTIAL_DIR
    staging.mkdir(parents=True, exist_ok=True)
    return staging


def install_url(
    url: str, voices_dir: Path, *, name: str = "", sizes: tuple[int, int] = (0, 0),
    md5s: tuple[str, str] = ("", ""), json_url: str = "", timeout_s: float = 30.0,
) -> InstalledVoice:  # fmt: skip
    """Download a voice's ``.onnx`` and its ``.onnx.json`` (``json_url``, default: beside it)."""
    name = _safe_name(name or url.rsplit("/", 1)[-1].split("?", 1)[0])
    staging = _staging(voices_dir)
    check_free_space(voices_dir, sum(sizes))
    download(
        json_url or url + ".json", staging / f"{name}.onnx.json.part", size=sizes[1], timeout_s=timeout_s
    )
    download(url, staging / f"{name}.onnx.part", size=sizes[0], timeout_s=timeout_s)
    return _finish(name, voices_dir, sizes, md5s)


def install_catalog(
    voice: CatalogVoice, voices_dir: Path, *, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 30.0
) -> InstalledVoice:
    onnx_url, json_url = voice.urls(base_url)
    return install_url(
        onnx_url, voices_dir, name=voice.name, sizes=(voice.onnx_size, voice.json_size),
        md5s=(voice.onnx_md5, voice.json_md5), json_url=json_url, timeout_s=timeout_s,
    )  # fmt: skip


def install_path(source: Path, voices_dir: Path) -> list[InstalledVoice]:
    """Install a ``.onnx`` file (its ``.onnx.json`` beside it) or every voice in a folder."""
    if source.is_dir():
        models = sorted(source.glob("*.onnx"))
        if not models:
            raise InstallError(f"Thư mục {source} không có tệp giọng .onnx nào.")
    elif source.is_file():
        models = [source]
    else:
        raise InstallError(f"Không thấy tệp hay thư mục {source}.")
    for model in models:  # refuse before copying anything
        if model.suffix != ".onnx":
            raise InstallError(f"Tệp {model.name} không phải tệp giọng .onnx.")
        if not model.with_name(model.name + ".json").is_file():
            raise InstallError(f"Thiếu tệp {model.name}.json bên cạnh {model.name}: không cài gì.")
    done = []
    staging = _staging(voices_dir)
    for model in models:
        name = _safe_name(model.name)
        _copy(model.with_name(model.name + ".json"), staging / f"{name}.onnx.json.part")
        _copy(model, staging / f"{name}.onnx.part")
        done.append(_finish(name, voices_dir, (0, 0), ("", "")))
    return done


def install(
    source: str, voices_dir: Path, *, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 30.0
) -> list[InstalledVoice]:
    """A catalog name, an http(s) URL or a local path."""
    if source in CATALOG:
        return [install_catalog(CATALOG[source], voices_dir, base_url=base_url, timeout_s=timeout_s)]
    if source.startswith(("http://", "https://")):
        return [install_url(source, voices_dir, timeout_s=timeout_s)]
    path = Path(source).expanduser()
    if not path.exists():
        known = ", ".join(CATALOG)
        raise InstallError(f"{source!r} không phải giọng có sẵn ({known}), địa chỉ http(s) hay tệp/thư mục.")
    return install_path(path, voices_dir)
