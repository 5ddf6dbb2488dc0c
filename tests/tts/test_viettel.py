"""Viettel AI engine against a loopback server that answers like ``/tts/speech_synthesis``."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from cloud_fakes import FAST, Answer, Fake, Request, serve

from pipeline.tts import EngineError
from pipeline.tts.cloud.base import decode_audio
from pipeline.tts.cloud.viettel import MAX_CHARS, ViettelEngine

TOKEN = "viettel-token-7f3a"


def viettel(mp3: bytes, mode: str = "ok") -> Callable[[Fake, Request], Answer]:
    def answer(fake: Fake, req: Request) -> Answer:
        body = req.json()
        if body.get("token") != TOKEN:
            return Answer.of_json({"code": 401, "message": "Invalid token"}, status=401)
        if mode == "quota":
            return Answer.of_json({"code": 429, "message": f"Token {TOKEN} đã dùng hết số ký tự"})
        if mode == "slow":
            return Answer(200, mp3, "audio/mpeg", delay_s=1.0)
        if mode == "badaudio":
            return Answer(200, b"\x00\x01 not audio at all" * 40, "audio/mpeg")
        return Answer(200, mp3, "audio/mpeg")

    return answer


def engine(fake: Fake, **kw: object) -> ViettelEngine:
    args: dict[str, object] = {"token": TOKEN, "endpoint": f"{fake.base}/tts/speech_synthesis", **FAST}
    args.update(kw)
    return ViettelEngine(**args)  # type: ignore[arg-type]


def test_speaks_with_the_documented_body(mp3_payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(viettel(mp3_payload)) as fake:
        speech = engine(fake).synthesize("Xin chào bà con.", voice="hue-maingoc", rate=1.5)
    assert speech.engine == "viettel" and speech.voice == "hue-maingoc" and speech.sample_rate == 22050
    assert len(speech.samples) > 22050 // 4 and float(abs(speech.samples).max()) > 0.05
    body = fake.requests[0].json()
    assert body["text"] == "Xin chào bà con." and body["voice"] == "hue-maingoc"
    assert body["speed"] == 1.3 and body["tts_return_option"] == 3 and body["without_filter"] is False
    assert fake.requests[0].header("token") == TOKEN
    assert TOKEN not in caplog.text


def test_bad_token_is_not_retried(mp3_payload: bytes) -> None:
    with serve(viettel(mp3_payload)) as fake, pytest.raises(EngineError, match="từ chối khóa") as err:
        engine(fake, token="wrong-token").synthesize("Xin chào bà con.")
    assert len(fake.requests) == 1 and "wrong-token" not in str(err.value)


def test_quota_used_up_and_the_echoed_token_is_hidden(mp3_payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(viettel(mp3_payload, "quota")) as fake, pytest.raises(EngineError, match="hết số ký tự") as err:
        engine(fake).synthesize("Xin chào bà con.")
    assert TOKEN not in str(err.value) and "***" in str(err.value) and TOKEN not in caplog.text


def test_timeout_is_retried_then_fails(mp3_payload: bytes) -> None:
    with serve(viettel(mp3_payload, "slow")) as fake, pytest.raises(EngineError, match="sau 2 lần thử"):
        engine(fake, timeout_s=0.2).synthesize("Xin chào bà con.")
    assert len(fake.requests) == 2


def test_malformed_audio(mp3_payload: bytes) -> None:
    with serve(viettel(mp3_payload, "badaudio")) as fake, pytest.raises(EngineError, match="âm thanh hỏng"):
        engine(fake).synthesize("Xin chào bà con.")


def test_long_text_goes_in_pieces_within_the_limit(mp3_payload: bytes) -> None:
    sentence = "Bà con chú ý lịch tiêm phòng cho đàn gia súc vào sáng thứ bảy tới. "
    text = sentence * (3 * MAX_CHARS // len(sentence))
    with serve(viettel(mp3_payload)) as fake:
        speech = engine(fake).synthesize(text)
    sent = [r.json()["text"] for r in fake.requests]
    assert len(sent) >= 3 and all(len(t) <= MAX_CHARS and t.endswith("tới.") for t in sent)
    assert " ".join(sent) == text.strip()
    one = len(decode_audio(mp3_payload, 22050, "mp3"))
    assert len(speech.samples) == len(sent) * one  # every piece's audio, joined in order


def test_unknown_voice_and_missing_token() -> None:
    with pytest.raises(EngineError, match="không có"):
        ViettelEngine(token=TOKEN).synthesize("Xin chào.", voice="nobody")
    assert not ViettelEngine().check().ok and "viettel_token" in ViettelEngine().check().reason
