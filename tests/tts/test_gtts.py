"""gTTS engine against a local server that answers like Google's batchexecute endpoint."""

from __future__ import annotations

import numpy as np
import pytest
from tts_fakes import FakeGoogle, assert_speech, google_resolves, rpc_params

from loa.config import Settings
from loa.params import engine_params
from pipeline.tts import EngineError, GttsEngine, build_chain
from pipeline.tts.gtts_engine import SAMPLE_RATE, chunk_bodies, decode_mp3
from pipeline.types import PipelineError

LONG = (
    "Thực hiện kế hoạch của Ủy ban nhân dân huyện về việc tiêm chủng mở rộng năm nay, "
    "trạm y tế xã thông báo đến toàn thể bà con nhân dân trong xã được biết, "
    "từ ngày mười lăm đến ngày hai mươi tháng sáu trạm sẽ tổ chức tiêm vắc xin cho trẻ em dưới năm tuổi "
    "tại hội trường thôn một và thôn hai, đề nghị các gia đình đưa con em đi tiêm đầy đủ đúng lịch."
)


def engine(fake: FakeGoogle, **kw: object) -> tuple[GttsEngine, list[float]]:
    sleeps: list[float] = []
    opts: dict[str, object] = {"url": fake.url, "timeout_s": 0.25, "retries": 2, "backoff_s": 0.05}
    opts.update(kw)
    return GttsEngine(sleep=sleeps.append, **opts), sleeps  # type: ignore[arg-type]


def test_long_text_is_sent_in_chunks_of_at_most_100_chars_and_decoded(fake_google: FakeGoogle) -> None:
    eng, sleeps = engine(fake_google)
    speech = eng.synthesize(LONG)
    params = [rpc_params(r["body"]) for r in fake_google.requests]
    texts = [str(p[0]) for p in params]
    assert len(texts) >= 4 and all(len(t) <= 100 for t in texts)
    words = [w.strip(",.") for w in " ".join(texts).split()]
    assert words == [w.strip(",.") for w in LONG.split()]  # nothing lost or repeated
    assert {p[1] for p in params} == {"vi"}
    assert all(
        r["content_type"].startswith("application/x-www-form-urlencoded") for r in fake_google.requests
    )
    one = decode_mp3(fake_google.mp3)
    assert speech.sample_rate == SAMPLE_RATE and speech.engine == "gtts" and speech.voice == "vi"
    assert len(speech.samples) == len(texts) * len(one)
    np.testing.assert_array_equal(speech.samples[: len(one)], one)
    assert_speech(speech.samples, SAMPLE_RATE, 0.5 * len(texts), 3.0 * len(texts))
    assert sleeps == []


def test_timeout_then_success_is_retried(fake_google: FakeGoogle) -> None:
    fake_google.script = ["slow"]
    eng, sleeps = engine(fake_google)
    speech = eng.synthesize("Xin chào bà con.")
    assert len(fake_google.requests) == 2
    assert sleeps == [0.05]
    assert len(speech.samples) == len(decode_mp3(fake_google.mp3))


def test_server_errors_back_off_exponentially_then_succeed(fake_google: FakeGoogle) -> None:
    fake_google.script = ["503", "500"]
    eng, sleeps = engine(fake_google, retries=3)
    eng.synthesize("Xin chào.")
    assert len(fake_google.requests) == 3
    assert sleeps == [0.05, 0.1]


@pytest.mark.parametrize("failure", ["slow", "500"])
def test_persistent_failure_raises_engine_error_after_all_retries(
    fake_google: FakeGoogle, failure: str
) -> None:
    fake_google.script = [failure] * 10
    eng, sleeps = engine(fake_google, retries=2)
    with pytest.raises(EngineError, match="3 lần thử"):
        eng.synthesize("Xin chào.")
    assert len(fake_google.requests) == 3
    assert sleeps == [0.05, 0.1]


@pytest.mark.parametrize(
    ("failure", "message"),
    [("403", "HTTP 403"), ("noaudio", "không có âm thanh"), ("badb64", "base64"), ("badmp3", "giải mã")],
)
def test_permanent_failures_are_not_retried(fake_google: FakeGoogle, failure: str, message: str) -> None:
    fake_google.script = [failure]
    eng, sleeps = engine(fake_google)
    with pytest.raises(EngineError, match=message):
        eng.synthesize("Xin chào.")
    assert len(fake_google.requests) == 1 and sleeps == []


def test_slow_rate_asks_google_for_its_slow_speed(fake_google: FakeGoogle) -> None:
    eng, _ = engine(fake_google)
    eng.synthesize("Xin chào.", rate=0.6)
    eng.synthesize("Xin chào.", rate=1.0)
    speeds = [rpc_params(r["body"])[2] for r in fake_google.requests]
    assert speeds == [True, None]


def test_nothing_to_say_sends_no_request(fake_google: FakeGoogle) -> None:
    eng, _ = engine(fake_google)
    for text in ("", "   ", "..."):
        speech = eng.synthesize(text)
        assert len(speech.samples) == 0 and speech.sample_rate == SAMPLE_RATE
    assert fake_google.requests == []
    assert chunk_bodies("...") == []


def test_bad_rate_is_an_input_error_not_an_engine_failure(fake_google: FakeGoogle) -> None:
    eng, _ = engine(fake_google)
    with pytest.raises(PipelineError, match="Tốc độ") as info:
        eng.synthesize("Xin chào.", rate=10)
    assert not isinstance(info.value, EngineError)


@pytest.mark.skipif(google_resolves(), reason="this machine is online; the test is about offline PCs")
def test_offline_gtts_fails_and_chain_falls_back_to_espeak(tmp_path: object) -> None:
    """The real thing, no stub: on this offline machine Google is unreachable."""
    settings = Settings(data_dir=tmp_path, gtts_retries=1)  # type: ignore[arg-type]
    chain = build_chain(engine_params(settings))
    used, failures = None, []
    for eng in chain.candidates():
        try:
            speech = eng.synthesize("Xin chào bà con.", voice=chain.voice_for(eng))
        except EngineError as exc:
            chain.mark_failed(eng, exc)
            failures.append(eng.name)
            continue
        chain.mark_ok(eng)
        used = eng.name
        break
    assert failures == ["gtts"] and used == "espeak"
    assert_speech(speech.samples, speech.sample_rate, 0.4, 3.0)
    # The next process does not pay for Google again.
    assert [e.name for e in build_chain(engine_params(settings)).candidates()] == ["espeak"]


def test_an_unresolvable_host_fails_at_once_without_retries() -> None:
    # What an offline commune PC sees: DNS fails. Waiting and retrying cannot help, so no backoff.
    sleeps: list[float] = []
    eng = GttsEngine(url="http://translate.loa-test.invalid/batchexecute", retries=3, backoff_s=5.0,
                     sleep=sleeps.append)
    with pytest.raises(EngineError, match="không có mạng"):
        eng.synthesize("Xin chào bà con.")
    assert sleeps == []
