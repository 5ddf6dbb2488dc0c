"""The fallback chain: order, availability, cooldown kept across processes, clock injected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tts_fakes import FakeEngine

from loa.config import ConfigError, Settings
from loa.params import engine_params, render_params
from pipeline.tts import EngineChain, EngineError, build_chain


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def names(engines: list) -> list[str]:  # type: ignore[type-arg]
    return [e.name for e in engines]


def chain_of(
    *engines: FakeEngine, state: Path | None = None, clock: Clock | None = None, cooldown: float = 300
):
    return EngineChain(
        [(e, f"{e.name}-voice") for e in engines],
        cooldown_s=cooldown,
        state_path=state,
        clock=clock or Clock(),
    )


def test_default_order_skips_piper_without_a_voice(tmp_path: Path) -> None:
    chain = build_chain(engine_params(Settings(data_dir=tmp_path)))
    assert names(chain.engines) == ["piper", "gtts", "espeak"]
    assert names(chain.candidates()) == ["gtts", "espeak"]
    assert [s.availability.ok for s in chain.status()] == [False, True, True]


def test_piper_first_when_a_voice_is_configured(tmp_path: Path, joe_model: Path) -> None:
    chain = build_chain(engine_params(Settings(data_dir=tmp_path, piper_voice=str(joe_model), espeak_voice="vi-vn-x-south")))
    assert names(chain.candidates()) == ["piper", "gtts", "espeak"]
    piper, gtts, espeak = chain.engines
    assert chain.voice_for(piper) == "en_US-joe-medium"
    assert chain.voice_for(gtts) == "vi"
    assert chain.voice_for(espeak) == "vi-vn-x-south"


def test_order_and_settings_come_from_settings(tmp_path: Path) -> None:
    chain = build_chain(
        engine_params(Settings(data_dir=tmp_path, engine_order=("espeak", "gtts"), gtts_timeout_s=1.5, gtts_retries=4))
    )
    assert names(chain.candidates()) == ["espeak", "gtts"]
    gtts = chain.engines[1]
    assert (gtts.timeout_s, gtts.retries) == (1.5, 4)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (("espeak", "festival"), "unknown engine 'festival'"),
        (("gtts", "gtts"), "listed twice"),
        ((), "no speech"),
    ],
)
def test_bad_engine_order(tmp_path: Path, order: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_chain(engine_params(Settings(data_dir=tmp_path, engine_order=order)))


def test_unavailable_engine_is_skipped() -> None:
    chain = chain_of(FakeEngine("a", ok=False), FakeEngine("b"))
    assert names(chain.candidates()) == ["b"]


def test_failed_engine_cools_down_then_returns(tmp_path: Path) -> None:
    clock = Clock()
    a, b = FakeEngine("a"), FakeEngine("b")
    chain = chain_of(a, b, state=tmp_path / "state.json", clock=clock, cooldown=300)
    chain.mark_failed(a, EngineError("no network"))
    assert names(chain.candidates()) == ["b"]
    [status] = [s for s in chain.status() if s.engine is a]
    assert status.cooling_until == clock.now + 300 and status.last_error == "no network"
    clock.now += 299
    assert names(chain.candidates()) == ["b"]
    clock.now += 2
    assert names(chain.candidates()) == ["a", "b"]


def test_cooldown_is_seen_by_the_next_process(tmp_path: Path) -> None:
    state, clock = tmp_path / "data" / "state.json", Clock()
    first = chain_of(FakeEngine("a"), FakeEngine("b"), state=state, clock=clock)
    first.mark_failed(first.engines[0], EngineError("timeout"))
    assert list(state.parent.iterdir()) == [state]  # written in place, no temp file left behind
    doc = json.loads(state.read_text(encoding="utf-8"))
    assert doc["cooldown"]["a"]["error"] == "timeout"
    second = chain_of(FakeEngine("a"), FakeEngine("b"), state=state, clock=clock)
    assert names(second.candidates()) == ["b"]
    second.mark_ok(second.engines[0])
    assert names(chain_of(FakeEngine("a"), FakeEngine("b"), state=state, clock=clock).candidates()) == [
        "a",
        "b",
    ]


def test_build_chain_keeps_state_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "loa-data", engine_cooldown_s=60)
    clock = Clock()
    chain = build_chain(engine_params(settings), clock=clock)
    chain.mark_failed(chain.engines[1], EngineError("offline"))
    assert (tmp_path / "loa-data" / "tts-engine-state.json").is_file()
    assert names(build_chain(engine_params(settings), clock=clock).candidates()) == ["espeak"]
    clock.now += 61
    assert names(build_chain(engine_params(settings), clock=clock).candidates()) == ["gtts", "espeak"]


def test_when_everything_is_cooling_down_all_usable_engines_are_offered() -> None:
    a, b, c = FakeEngine("a"), FakeEngine("b"), FakeEngine("c", ok=False)
    chain = chain_of(a, b, c)
    chain.mark_failed(a, EngineError("x"))
    chain.mark_failed(b, EngineError("y"))
    assert names(chain.candidates()) == ["a", "b"]


def test_zero_cooldown_never_skips() -> None:
    a = FakeEngine("a")
    chain = chain_of(a, FakeEngine("b"), cooldown=0)
    chain.mark_failed(a, EngineError("x"))
    assert names(chain.candidates()) == ["a", "b"]


def test_clock_set_back_does_not_block_an_engine_for_ever(tmp_path: Path) -> None:
    clock = Clock(now=5_000_000.0)
    a = FakeEngine("a")
    chain = chain_of(a, FakeEngine("b"), state=tmp_path / "s.json", clock=clock)
    chain.mark_failed(a, EngineError("x"))
    clock.now -= 86_400  # the PC's clock was corrected by a day
    assert names(chain.candidates()) == ["a", "b"]


@pytest.mark.parametrize(
    "content", ["{broken", "[]", '{"cooldown": 5}', '{"cooldown": {"a": {"until": "x"}}}']
)
def test_unreadable_state_is_ignored_and_replaced(tmp_path: Path, content: str) -> None:
    state = tmp_path / "s.json"
    state.write_text(content, encoding="utf-8")
    a = FakeEngine("a")
    chain = chain_of(a, FakeEngine("b"), state=state)
    assert names(chain.candidates()) == ["a", "b"]
    chain.mark_failed(a, EngineError("x"))
    assert names(chain.candidates()) == ["b"]


def test_the_plan_is_the_candidates_in_order_each_with_its_voice() -> None:
    a, b, c = FakeEngine("a"), FakeEngine("b"), FakeEngine("c")
    chain = chain_of(a, b, c)
    chain.mark_failed(b, EngineError("x"))
    assert [(e.name, v) for e, v in chain.plan()] == [("a", "a-voice"), ("c", "c-voice")]


def test_without_a_state_file_the_cooldown_lives_in_memory() -> None:
    a = FakeEngine("a")
    chain = chain_of(a, FakeEngine("b"), state=None)
    chain.mark_failed(a, EngineError("x"))
    assert names(chain.candidates()) == ["b"]
    chain.mark_ok(a)
    assert names(chain.candidates()) == ["a", "b"]


def test_a_mistyped_voice_in_a_render_does_not_cool_the_engine_down(tmp_path: Path) -> None:
    """One user's typo (``loa render --voice xx``) must not make every later render skip espeak;
    the error says the voice is not there."""
    from loa import config
    from pipeline.render import RenderRequest, render
    from pipeline.types import PipelineError

    settings = config.load(data_dir=tmp_path, engine_order=("espeak",))
    with pytest.raises(PipelineError, match="espeak: espeak-ng không có giọng 'xx'"):
        render(RenderRequest(text="Xin chào bà con.", voice="xx"), render_params(settings))
    assert [s.cooling_until for s in build_chain(engine_params(settings)).status()] == [None]
