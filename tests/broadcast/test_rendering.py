from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcast import bulletins as bl
from broadcast import rendering
from broadcast.errors import RenderFailed
from broadcast.models import Bulletin, MediaFile, RegenRequest
from loa import config
from loa.config import Settings
from pipeline.render import RenderRequest, RenderResult
from pipeline.types import PipelineError
from tests.conftest import SPEECH


def _bulletin(session: Session, approve: bool = True, **kw: Any) -> Bulletin:
    args: dict[str, Any] = {
        "title": "Tiêm chủng",
        "body": "Thông báo tiêm chủng ngày 3 tháng 12.",
        "valid_from": date(2026, 12, 1),
        "valid_to": date(2026, 12, 3),
        "actor": "e",
        "station_codes": ["hiep-an"],
    }
    args.update(kw)
    b = bl.create_bulletin(session, **args)
    if approve:
        bl.submit(session, b, "e")
        bl.approve(session, b, "r")
    return b


def _regen_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RegenRequest)) or 0


class FakeRender:
    """Stands in for pipeline.render: writes bytes derived from the request into the media dir."""

    def __init__(self) -> None:
        self.requests: list[RenderRequest] = []

    def __call__(
        self, req: RenderRequest, settings: Settings, on_progress: Callable[[float], None] | None = None
    ) -> RenderResult:
        self.requests.append(req)
        if on_progress:
            on_progress(0.5)
            on_progress(1.0)
        data = f"{req.text}|{req.recording}|{req.speech_rate}".encode()
        sha = hashlib.sha256(data).hexdigest()
        rel = f"{sha[:2]}/{sha}.mp3"
        path = settings.media_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        meta = {"title": req.title, "engine": "fake"}
        return RenderResult(
            sha256=sha,
            path=path,
            relpath=rel,
            size=len(data),
            duration_s=12.5,
            engine="fake",
            voice="v",
            loudness_lufs=-16.0,
            true_peak_dbtp=-1.6,
            cache_key="k" * 64,
            cached=len(self.requests) > 1,
            meta=meta,
        )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRender:
    f = FakeRender()
    monkeypatch.setattr(rendering, "render", f)
    return f


def test_render_links_media_and_requests_new_playlists(
    session: Session, stations: list[str], settings: Settings, fake: FakeRender
) -> None:
    b = _bulletin(session)
    regens = _regen_count(session)
    progress: list[float] = []
    mf = rendering.render_bulletin(session, b, settings, on_progress=progress.append)
    session.commit()
    req = fake.requests[0]
    assert (req.text, req.recording, req.title, req.date) == (b.body, None, "Tiêm chủng", "2026-12-01")
    assert progress == [0.5, 1.0]
    assert b.media_sha256 == mf.sha256 and b.render_status == "done" and b.render_error == ""
    assert (mf.size, mf.duration_s, mf.mime) == (
        (settings.media_dir / mf.path).stat().st_size,
        12.5,
        "audio/mpeg",
    )
    assert mf.meta is not None and mf.meta["engine"] == "fake" and mf.meta["loudness_lufs"] == -16.0
    assert _regen_count(session) == regens + 1  # new audio for an approved bulletin
    # the same audio again: one MediaFile row, no new playlist request
    again = rendering.render_bulletin(session, b, settings)
    assert again is mf and _regen_count(session) == regens + 1
    assert session.scalar(select(func.count()).select_from(MediaFile)) == 1


def test_render_of_a_draft_asks_for_no_playlist(
    session: Session, stations: list[str], settings: Settings, fake: FakeRender
) -> None:
    b = _bulletin(session, approve=False)
    rendering.render_bulletin(session, b, settings)
    assert b.render_status == "done" and _regen_count(session) == 0


def test_failed_render_is_recorded(
    session: Session, stations: list[str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: Any, **_k: Any) -> RenderResult:
        raise PipelineError("Không có bộ đọc nào dùng được: gtts: mất mạng")

    monkeypatch.setattr(rendering, "render", broken)
    b = _bulletin(session)
    session.commit()
    with pytest.raises(RenderFailed, match="mất mạng"):
        rendering.render_bulletin(session, b, settings)
    session.commit()  # the caller commits so the failure is kept
    session.expire_all()
    stored = session.get(Bulletin, b.id)
    assert stored is not None
    b = stored
    assert b.render_status == "failed" and b.media_sha256 is None
    assert b.render_error.startswith(f"Không tạo được âm thanh cho bản tin #{b.id}")


def test_recording_bulletin_renders_its_stored_upload(
    session: Session, stations: list[str], settings: Settings, fake: FakeRender
) -> None:
    b = _bulletin(session, body="", recording=SPEECH / "vi-speech-01.wav", media_dir=settings.media_dir)
    rendering.render_bulletin(session, b, settings)
    req = fake.requests[0]
    assert req.text is None and req.recording is not None and req.recording.is_absolute()
    assert req.recording.read_bytes() == (SPEECH / "vi-speech-01.wav").read_bytes()
    assert b.media_sha256 != b.upload_sha256


# --- the real pipeline, offline --------------------------------------------------------------------


@pytest.fixture
def espeak_settings(_isolated_data_dir: Path) -> Settings:
    return config.load(engine_order=("espeak",))


def test_real_espeak_render_and_cache(
    session: Session, stations: list[str], espeak_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    results: list[RenderResult] = []
    real = rendering.render

    def spy(*a: Any, **k: Any) -> RenderResult:
        results.append(real(*a, **k))
        return results[-1]

    monkeypatch.setattr(rendering, "render", spy)
    b = _bulletin(session, body="Thông báo: sáng mai cắt điện từ 7 giờ đến 11 giờ.")
    mf = rendering.render_bulletin(session, b, espeak_settings)
    session.commit()
    path = espeak_settings.media_dir / mf.path
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == mf.sha256 and len(data) == mf.size
    assert data[:3] == b"ID3" and mf.duration_s > 1.0
    assert results[0].engine == "espeak" and not results[0].cached
    # a second bulletin with the same words and voice is a cache hit on the same file
    b2 = _bulletin(session, body=b.body)
    mf2 = rendering.render_bulletin(session, b2, espeak_settings)
    assert results[1].cached and mf2.sha256 == mf.sha256
    assert session.scalar(select(func.count()).select_from(MediaFile)) == 1
