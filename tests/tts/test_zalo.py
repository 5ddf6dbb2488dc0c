"""Zalo AI engine against a loopback server that answers like ``/v1/tts/synthesize`` and serves
the audio at the address it hands back, after a while."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable

import pytest
from cloud_fakes import FAST, Answer, Fake, Request, serve

from pipeline.tts import EngineError
from pipeline.tts.cloud.zalo import MAX_CHARS, ZaloEngine

KEY = "zalo-key-91bd"


def zalo(mp3: bytes, mode: str = "ok", pending: int = 1) -> Callable[[Fake, Request], Answer]:
    def answer(fake: Fake, req: Request) -> Answer:
        if req.method == "GET":  # the audio link: not there for the first ``pending`` looks
            if mode == "never" or fake.count(req.path) <= pending:
                return Answer(404, b"Not Found", "text/plain")
            if mode == "badaudio":
                return Answer(200, b"<html>oops</html>" * 30, "audio/mpeg")
            return Answer(200, mp3, "audio/mpeg")
        if req.header("apikey") != KEY:
            return Answer.of_json({"error_code": 401, "error_message": "Wrong apikey", "data": []})
        if mode == "quota":
            return Answer.of_json({"error_code": 429, "error_message": "Request quota exceeded", "data": []})
        if mode == "slow":
            return Answer(200, b"{}", delay_s=1.0)
        form = urllib.parse.parse_qs(req.body.decode("utf-8"))
        if len(form["input"][0]) > MAX_CHARS:
            return Answer.of_json({"error_code": 155, "error_message": "Your input exceeds the allowed limit"})
        n = fake.count("/v1/tts/synthesize")
        return Answer.of_json({"error_code": 0, "error_message": "Successful.",
                               "data": {"url": f"{fake.base}/chunk/{n}"}})  # fmt: skip

    return answer


def engine(fake: Fake, **kw: object) -> ZaloEngine:
    args: dict[str, object] = {"api_key": KEY, "endpoint": f"{fake.base}/v1/tts/synthesize", **FAST}
    args.update(kw)
    return ZaloEngine(**args)  # type: ignore[arg-type]


def form_of(req: Request) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode("utf-8")).items()}


def test_speaks_and_downloads_the_url_once_ready(mp3_payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(zalo(mp3_payload, pending=2)) as fake:
        speech = engine(fake).synthesize("Xin chào bà con.", voice="4", rate=0.5)
    assert speech.engine == "zalo" and speech.voice == "4" and float(abs(speech.samples).max()) > 0.05
    form = form_of(fake.requests[0])
    assert form == {"input": "Xin chào bà con.", "speaker_id": "4", "speed": "0.80", "encode_type": "1"}
    assert fake.requests[0].header("apikey") == KEY and fake.count("/chunk/1") == 3
    assert KEY not in caplog.text


def test_bad_key(mp3_payload: bytes) -> None:
    with serve(zalo(mp3_payload)) as fake, pytest.raises(EngineError, match="từ chối khóa"):
        engine(fake, api_key="nope").synthesize("Xin chào bà con.")
    assert len(fake.requests) == 1


def test_quota_used_up(mp3_payload: bytes) -> None:
    with serve(zalo(mp3_payload, "quota")) as fake, pytest.raises(EngineError, match="quota exceeded"):
        engine(fake).synthesize("Xin chào bà con.")


def test_timeout_is_retried_then_fails(mp3_payload: bytes) -> None:
    with serve(zalo(mp3_payload, "slow")) as fake, pytest.raises(EngineError, match="sau 2 lần thử"):
        engine(fake, timeout_s=0.2).synthesize("Xin chào bà con.")
    assert len(fake.requests) == 2


def test_malformed_audio(mp3_payload: bytes) -> None:
    with serve(zalo(mp3_payload, "badaudio", pending=0)) as fake, pytest.raises(EngineError, match="âm thanh hỏng"):
        engine(fake).synthesize("Xin chào bà con.")


def test_an_audio_link_that_never_fills(mp3_payload: bytes) -> None:
    with serve(zalo(mp3_payload, "never")) as fake, pytest.raises(EngineError, match="chưa làm xong"):
        engine(fake, poll_timeout_s=0.2).synthesize("Xin chào bà con.")
    assert fake.count("/chunk/1") > 1


def test_long_text_stays_within_zalos_2000_characters(mp3_payload: bytes) -> None:
    sentence = "Đề nghị các hộ gia đình kiểm tra hệ thống điện trước mùa mưa bão năm nay. "
    text = sentence * (2 * MAX_CHARS // len(sentence) + 5)
    with serve(zalo(mp3_payload, pending=0)) as fake:
        engine(fake).synthesize(text)
    sent = [form_of(r)["input"] for r in fake.requests if r.method == "POST"]
    assert len(sent) == 3 and all(len(t) <= MAX_CHARS for t in sent) and " ".join(sent) == text.strip()
