"""VNPT SmartVoice engine against a loopback server that answers like ``/tts-service/v2/standard``
(audio links, or a pending job for long texts) and ``/tts-service/v1/check-status``."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from cloud_fakes import FAST, Answer, Fake, Request, serve

from pipeline.tts import EngineError
from pipeline.tts.cloud.base import decode_audio
from pipeline.tts.cloud.vnpt import VnptEngine, status_endpoint

ACCESS, TOKEN_ID, TOKEN_KEY = "eyJhbGciOi.access", "380badb6-token-id", "MFwwDQ-token-key"
SYNTH, STATUS = "/tts-service/v2/standard", "/tts-service/v1/check-status"
#: Texts longer than this come back pending, like SmartVoice's long texts.
ASYNC_FROM = 40


def error(message: str, status: int = 400) -> Answer:
    return Answer.of_json({"messageObjects": [], "messageFields": [], "statusCode": f"{status} BAD_REQUEST",
                           "message": message, "status": "BAD_REQUEST", "error": ""}, status=status)  # fmt: skip


def vnpt(mp3: bytes, mode: str = "ok", pending: int = 1) -> Callable[[Fake, Request], Answer]:
    def answer(fake: Fake, req: Request) -> Answer:
        if req.method == "GET":
            return Answer(200, b"garbage, not audio" * 30 if mode == "badaudio" else mp3, "audio/mpeg")
        auth = (req.header("authorization"), req.header("token-id"), req.header("token-key"))
        if auth != (f"Bearer {ACCESS}", TOKEN_ID, TOKEN_KEY):
            return Answer.of_json({"error": "invalid_token", "error_description": "ACCESS TOKEN IS INVALID"}, 401)
        if mode == "quota":
            return error("IDG-00000429: het han muc ky tu cua goi cuoc")
        if mode == "slow":
            return Answer(200, b"{}", delay_s=1.0)
        links = [{"idx": i, "text": "…", "audio_link": f"{fake.base}/audio/{i}.mp3"} for i in (1, 0)]
        done = {"message": "IDG-00000000", "object": {"code": "success", "playlist": links, "text_id": "t1"}}
        if req.path == STATUS:
            waiting = mode == "never" or fake.count(STATUS) <= pending
            return Answer.of_json({"message": "IDG-00000000", "object": {"code": "pending", "text_id": "t1"}}
                                  if waiting else done)  # fmt: skip
        if len(req.json()["text"]) > ASYNC_FROM:
            return Answer.of_json({"message": "IDG-00000000", "object": {"code": "pending", "text_id": "t1"}})
        return Answer.of_json(done)

    return answer


def engine(fake: Fake, **kw: object) -> VnptEngine:
    args: dict[str, object] = {"access_token": ACCESS, "token_id": TOKEN_ID, "token_key": TOKEN_KEY,
                               "endpoint": f"{fake.base}{SYNTH}", **FAST}  # fmt: skip
    args.update(kw)
    return VnptEngine(**args)  # type: ignore[arg-type]


def test_short_text_gets_its_audio_links_in_order(mp3_payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(vnpt(mp3_payload)) as fake:
        speech = engine(fake).synthesize("Xin chào bà con.", voice="male_south", rate=1.2)
    assert speech.engine == "vnpt" and speech.voice == "male_south"
    body = fake.requests[0].json()
    assert body["text"] == "Xin chào bà con." and body["region"] == "male_south" and body["model"] == "news"
    assert body["speed"] == "1.2" and body["audio_format"] == "mp3"
    assert [r.path for r in fake.requests[1:3]] == ["/audio/0.mp3", "/audio/1.mp3"]  # by idx
    assert len(speech.samples) == 2 * len(decode_audio(mp3_payload, 22050, "mp3"))  # both links, joined
    assert all(s not in caplog.text for s in (ACCESS, TOKEN_ID, TOKEN_KEY))


def test_long_text_is_asynchronous_and_polled(mp3_payload: bytes) -> None:
    with serve(vnpt(mp3_payload, pending=2)) as fake:
        speech = engine(fake).synthesize("Thông báo lịch tiêm phòng vắc xin cho trẻ em dưới năm tuổi.")
    assert fake.count(STATUS) == 3 and fake.requests[-3].json() == {"text_id": "t1"}
    assert float(abs(speech.samples).max()) > 0.05


def test_an_async_job_that_never_finishes(mp3_payload: bytes) -> None:
    with serve(vnpt(mp3_payload, "never")) as fake, pytest.raises(EngineError, match="chưa làm xong"):
        engine(fake, poll_timeout_s=0.2).synthesize("Thông báo lịch tiêm phòng vắc xin cho trẻ em dưới năm tuổi.")
    assert fake.count(STATUS) > 1


def test_bad_token(mp3_payload: bytes) -> None:
    with serve(vnpt(mp3_payload)) as fake, pytest.raises(EngineError, match="từ chối khóa") as err:
        engine(fake, token_key="stolen").synthesize("Xin chào bà con.")
    assert len(fake.requests) == 1 and "stolen" not in str(err.value)


def test_quota_used_up(mp3_payload: bytes) -> None:
    with serve(vnpt(mp3_payload, "quota")) as fake, pytest.raises(EngineError, match="IDG-00000429"):
        engine(fake).synthesize("Xin chào bà con.")


def test_timeout_is_retried_then_fails(mp3_payload: bytes) -> None:
    with serve(vnpt(mp3_payload, "slow")) as fake, pytest.raises(EngineError, match="sau 2 lần thử"):
        engine(fake, timeout_s=0.2).synthesize("Xin chào bà con.")
    assert len(fake.requests) == 2


def test_malformed_audio(mp3_payload: bytes) -> None:
    with serve(vnpt(mp3_payload, "badaudio")) as fake, pytest.raises(EngineError, match="âm thanh hỏng"):
        engine(fake).synthesize("Xin chào bà con.")


def test_status_address_and_missing_keys() -> None:
    assert status_endpoint("https://api.idg.vnpt.vn/tts-service/v2/standard") == (
        "https://api.idg.vnpt.vn/tts-service/v1/check-status"
    )
    check = VnptEngine(access_token=ACCESS, token_id=TOKEN_ID).check()
    assert not check.ok and "vnpt_token_key" in check.reason
