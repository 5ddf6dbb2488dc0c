"""Each cloud voice in the engine chain: a whole render through loopback servers records which
engine spoke; a failing service is cooled down and the offline voice speaks; keys stay secret."""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cloud_fakes import Answer, Fake, Request, serve
from mutagen.id3 import ID3

from loa.config import Settings, load
from loa.params import engine_params, render_params
from pipeline.render import RenderRequest, render
from pipeline.tts.chain import build_chain
from pipeline.tts.cli import usable_voices
from pipeline.tts.voice_list import list_voices as voice_choices

SECRET = "s3cr3t-key-for-every-service"
TEXT = "Thông báo của Ủy ban nhân dân xã. Lịch tiêm phòng vào sáng thứ bảy."


def service(mp3: bytes, fail: bool = False) -> Callable[[Fake, Request], Answer]:
    """One server answering like all four services (each by its own path)."""

    def answer(fake: Fake, req: Request) -> Answer:
        if fail:
            return Answer(503, b"Service Unavailable", "text/plain")
        if req.method == "GET":
            return Answer(200, mp3, "audio/mpeg")
        n = len(fake.requests)
        if req.path == "/hmi/tts/v5":
            return Answer.of_json({"async": f"{fake.base}/a/{n}.mp3", "error": 0, "message": "ok"})
        if req.path == "/tts/speech_synthesis":
            return Answer(200, mp3, "audio/mpeg")
        if req.path == "/v1/tts/synthesize":
            return Answer.of_json({"error_code": 0, "error_message": "Successful.", "data": {"url": f"{fake.base}/z/{n}"}})
        return Answer.of_json({"message": "IDG-00000000", "object": {
            "code": "success", "playlist": [{"idx": 0, "audio_link": f"{fake.base}/v/{n}.mp3"}]}})  # fmt: skip

    return answer


def cloud_settings(tmp_path: Path, base: str, first: str, **kw: Any) -> Settings:
    return Settings(
        data_dir=tmp_path, engine_order=(first, "espeak"), engine_cooldown_s=300.0,
        fpt_api_key=SECRET, fpt_endpoint=f"{base}/hmi/tts/v5", fpt_timeout_s=1.0, fpt_poll_timeout_s=2.0,
        viettel_token=SECRET, viettel_endpoint=f"{base}/tts/speech_synthesis",
        zalo_api_key=SECRET, zalo_endpoint=f"{base}/v1/tts/synthesize",
        vnpt_access_token=SECRET, vnpt_token_id="id-" + SECRET, vnpt_token_key="key-" + SECRET,
        vnpt_endpoint=f"{base}/tts-service/v2/standard",
        cloud_timeout_s=1.0, cloud_retries=0, cloud_poll_timeout_s=2.0, **kw,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["fpt", "viettel", "zalo", "vnpt"])
def test_a_render_through_the_chain_records_the_cloud_voice(
    name: str, mp3_payload: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(service(mp3_payload)) as fake:
        settings = cloud_settings(tmp_path, fake.base, name)
        res = render(RenderRequest(text=TEXT, title="Tiêm phòng"), render_params(settings))
    assert res.engine == name and res.meta["engine"] == name and res.duration_s > 1.0
    assert ID3(res.path).getall("TXXX:LOA_ENGINE")[0].text == [name]
    assert fake.requests and SECRET not in caplog.text


@pytest.mark.parametrize("name", ["fpt", "viettel", "zalo", "vnpt"])
def test_a_failing_service_cools_down_and_espeak_speaks(
    name: str, mp3_payload: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(service(mp3_payload, fail=True)) as fake:
        settings = cloud_settings(tmp_path, fake.base, name)
        res = render(RenderRequest(text=TEXT), render_params(settings))
        asked = len(fake.requests)
        again = render(RenderRequest(text=TEXT + " Xin cảm ơn."), render_params(settings))
    assert res.engine == "espeak" and again.engine == "espeak"
    assert asked >= 1 and len(fake.requests) == asked  # cooling down: not asked again
    state = json.loads((tmp_path / "tts-engine-state.json").read_text(encoding="utf-8"))
    assert name in state["cooldown"] and "503" in state["cooldown"][name]["error"]
    assert SECRET not in caplog.text and SECRET not in json.dumps(state)


def test_keys_come_from_the_environment_and_never_show(tmp_path: Path) -> None:
    env = {"LOA_DATA_DIR": str(tmp_path), "LOA_ZALO_API_KEY": SECRET, "LOA_VIETTEL_TOKEN": SECRET,
           "LOA_VNPT_ACCESS_TOKEN": SECRET, "LOA_VNPT_TOKEN_ID": "i", "LOA_VNPT_TOKEN_KEY": "k",
           "LOA_ENGINE_ORDER": "zalo,viettel,vnpt,espeak", "LOA_CLOUD_VOICES_FOR_DRAFTS": "yes"}  # fmt: skip
    settings = load(env)
    assert settings.zalo_api_key == SECRET and settings.cloud_voices_for_drafts is True
    params = engine_params(settings)
    assert SECRET not in repr(settings) and SECRET not in repr(params)
    chain = build_chain(params)
    assert [s.availability.ok for s in chain.status()] == [True, True, True, True]
    assert all(SECRET not in repr(e) for e in chain.engines)


def test_voice_lists_say_which_cloud_voices_are_usable_and_why(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, engine_order=("zalo", "espeak"), zalo_api_key=SECRET,
                        viettel_token=SECRET)  # fmt: skip
    choices = {c.id: c for c in voice_choices(engine_params(settings))}
    assert choices["zalo:2"].usable and choices["zalo:2"].tier == "cloud"
    assert choices["viettel:hn-quynhanh"].usable  # not in engine_order: choosing it puts it first
    assert not any(c.startswith(("fpt:", "vnpt:")) for c in choices)  # no key: not offered
    assert choices["espeak:vi"].tier == "fallback"
    usable = {c.id for c in usable_voices(settings)}
    assert "zalo:2" in usable and "espeak:vi-vn-x-south" in usable and "viettel:hn-quynhanh" in usable
    chain = build_chain(engine_params(settings))
    chain.mark_failed(chain.engines[0], OSError("down"))  # zalo failed a moment ago
    assert "zalo:2" not in {c.id for c in usable_voices(settings)}
    reason = {c.id: c.reason for c in voice_choices(engine_params(settings))}["zalo:2"]
    assert "tạm bỏ qua" in reason and "down" in reason


def test_loa_voices_lists_the_configured_cloud_voices(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.tts.cli import voices_command

    settings = Settings(data_dir=tmp_path, engine_order=("espeak",), vnpt_access_token=SECRET,
                        vnpt_token_id="i", vnpt_token_key="k")  # fmt: skip
    result = CliRunner().invoke(voices_command, ["--json"], obj=settings)
    doc = json.loads(result.output)
    cloud = {c["id"]: c for c in doc["cloud"]}
    assert "vnpt:female_north" in cloud and cloud["vnpt:female_north"]["usable"]  # a choice puts it first
    text = CliRunner().invoke(voices_command, [], obj=settings).output
    assert "Giọng đám mây đã cấu hình: 7" in text and "vnpt:male_south" in text and SECRET not in text
    assert urllib.parse.quote(SECRET) not in text


def test_a_bulletins_chosen_voice_speaks_first(mp3_payload: bytes, tmp_path: Path) -> None:
    with serve(service(mp3_payload)) as fake:
        settings = replace(cloud_settings(tmp_path, fake.base, "espeak"), engine_order=("espeak", "zalo"))
        res = render(RenderRequest(text=TEXT, voice="zalo:4"), render_params(settings))
        assert res.engine == "zalo" and res.voice == "4"
        assert urllib.parse.parse_qs(fake.requests[0].body.decode())["speaker_id"] == ["4"]
        south = render(RenderRequest(text=TEXT, voice="espeak:vi-vn-x-south"), render_params(
            replace(settings, engine_order=("zalo", "espeak"))))  # fmt: skip
        legacy = render(RenderRequest(text=TEXT, voice="vi-vn-x-central"), render_params(settings))
        unknown = render(RenderRequest(text=TEXT, voice="vnpt:female_north"), render_params(settings))
    assert (south.engine, south.voice) == ("espeak", "vi-vn-x-south")
    assert (legacy.engine, legacy.voice) == ("espeak", "vi-vn-x-central")
    assert (unknown.engine, unknown.voice) == ("espeak", "vi")  # not in this chain: the usual order
