"""FPT.AI engine against a loopback server that answers like ``/hmi/tts/v5``."""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from loa.config import Settings
from loa.params import engine_params
from pipeline.tts import EngineError, build_chain
from pipeline.tts.cloud.base import split_for_service
from pipeline.tts.cloud.fpt import MAX_CHARS, FptEngine, fpt_speed

KEY = "secret-key-123"


@dataclass
class FakeFpt:
    mp3: bytes
    base: str = ""
    #: ok | quota | slow | badaudio | never
    mode: str = "ok"
    #: Polls answered 404 before the MP3 is there.
    pending_polls: int = 1
    bodies: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    polls: int = 0


@pytest.fixture
def fake_fpt(mp3_payload: bytes) -> Iterator[FakeFpt]:
    fake = FakeFpt(mp3=mp3_payload)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
            fake.bodies.append(body)
            fake.headers.append(dict(self.headers))
            if fake.mode == "slow":
                time.sleep(1.0)
            if self.headers.get("api_key") != KEY:
                self._send(401, b'{"error": 401, "message": "Invalid API key"}')
                return
            if fake.mode == "quota":
                answer = {"error": 1, "message": "Your account has run out of characters", "async": ""}
            else:
                answer = {"async": f"{fake.base}/audio/{len(fake.bodies)}.mp3", "error": 0,
                          "message": "The content will be returned after a few seconds", "request_id": "r1"}  # fmt: skip
            self._send(200, json.dumps(answer).encode())

        def do_GET(self) -> None:  # noqa: N802
            fake.polls += 1
            if fake.mode == "never" or fake.polls <= fake.pending_polls:
                self._send(404, b"<Error>NoSuchKey</Error>", "application/xml")
            elif fake.mode == "badaudio":
                self._send(200, b"this is not an mp3 at all" * 50, "audio/mpeg")
            else:
                self._send(200, fake.mp3, "audio/mpeg")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield fake
    httpd.shutdown()
    httpd.server_close()


def engine(fake: FakeFpt, **kw: object) -> FptEngine:
    args: dict[str, object] = dict(
        api_key=KEY, endpoint=f"{fake.base}/hmi/tts/v5", timeout_s=0.5, retries=1, backoff_s=0.0,
        poll_interval_s=0.01, poll_timeout_s=0.5,
    )  # fmt: skip
    args.update(kw)
    return FptEngine(**args)  # type: ignore[arg-type]


def test_success_polls_until_the_mp3_is_there(fake_fpt: FakeFpt, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake_fpt.pending_polls = 2
    speech = engine(fake_fpt).synthesize("Xin chào bà con.", voice="leminh", rate=1.3)
    assert speech.engine == "fpt" and speech.voice == "leminh" and speech.sample_rate == 24000
    assert len(speech.samples) > 24000 // 4 and float(abs(speech.samples).max()) > 0.05
    assert fake_fpt.bodies == ["Xin chào bà con."] and fake_fpt.polls == 3
    sent = {k.lower(): v for k, v in fake_fpt.headers[0].items()}
    assert sent["api_key"] == KEY and sent["voice"] == "leminh" and sent["speed"] == "2"
    assert KEY not in caplog.text


def test_bad_key(fake_fpt: FakeFpt) -> None:
    with pytest.raises(EngineError, match="từ chối khóa"):
        engine(fake_fpt, api_key="wrong").synthesize("Xin chào bà con.")
    assert len(fake_fpt.bodies) == 1  # a refusal is not retried


def test_quota_used_up(fake_fpt: FakeFpt) -> None:
    fake_fpt.mode = "quota"
    with pytest.raises(EngineError, match="run out of characters"):
        engine(fake_fpt).synthesize("Xin chào bà con.")


def test_timeout_is_retried_then_fails(fake_fpt: FakeFpt) -> None:
    fake_fpt.mode = "slow"
    with pytest.raises(EngineError, match="không trả lời sau 2 lần thử"):
        engine(fake_fpt, timeout_s=0.2).synthesize("Xin chào bà con.")
    assert len(fake_fpt.bodies) == 2


def test_malformed_audio(fake_fpt: FakeFpt) -> None:
    fake_fpt.mode = "badaudio"
    with pytest.raises(EngineError, match="âm thanh hỏng"):
        engine(fake_fpt).synthesize("Xin chào bà con.")


def test_async_job_that_never_finishes(fake_fpt: FakeFpt) -> None:
    fake_fpt.mode = "never"
    with pytest.raises(EngineError, match="chưa làm xong"):
        engine(fake_fpt, poll_timeout_s=0.2).synthesize("Xin chào bà con.")
    assert fake_fpt.polls > 1


def test_long_text_is_split_at_sentences_within_the_limit(fake_fpt: FakeFpt) -> None:
    sentence = "Bà con chú ý lịch tiêm phòng cho đàn gia súc vào sáng thứ bảy tới. "
    text = sentence * (2 * MAX_CHARS // len(sentence) + 3)
    pieces = split_for_service(text, MAX_CHARS)
    assert len(pieces) == 3 and all(len(p) <= MAX_CHARS for p in pieces)
    assert all(p.endswith("tới.") for p in pieces)
    assert " ".join(pieces) == text.strip()
    fake_fpt.pending_polls = 0
    engine(fake_fpt).synthesize(text)
    assert fake_fpt.bodies == pieces


def test_speed_steps() -> None:
    assert [fpt_speed(r) for r in (0.5, 0.85, 1.0, 1.15, 2.0)] == [-3, -1, 0, 1, 3]


def test_in_the_chain_only_with_a_key() -> None:
    chain = build_chain(engine_params(Settings(engine_order=("fpt", "espeak"))))
    st = chain.status()[0]
    assert st.engine.name == "fpt" and not st.availability.ok and "fpt_api_key" in st.availability.reason
    chain = build_chain(engine_params(Settings(engine_order=("fpt",), fpt_api_key=KEY, fpt_voice="myan")))
    assert chain.status()[0].availability.ok and chain.status()[0].voice == "myan"
    assert KEY not in repr(Settings(fpt_api_key=KEY))
