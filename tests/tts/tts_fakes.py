"""Helpers for the speech engine tests: audio checks and a stand-in for Google's batchexecute."""

from __future__ import annotations

import base64
import json
import socket
import urllib.parse
from dataclasses import dataclass, field

import numpy as np

from pipeline.tts.base import Availability, EngineError, VoiceInfo
from pipeline.types import Speech


def speech_band_ratio(samples: np.ndarray, sample_rate: int) -> float:
    """Share of energy between 100 Hz and 4 kHz: high for speech, low for noise or clicks."""
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / sample_rate)
    band = (freqs >= 100) & (freqs <= 4000)
    return float(spectrum[band].sum() / spectrum.sum())


def assert_speech(samples: np.ndarray, sample_rate: int, min_s: float, max_s: float) -> None:
    """Plausible speech: float32 mono in range, a sensible duration, audible, mostly in the voice band."""
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert np.all(np.abs(samples) <= 1.0)
    assert min_s <= len(samples) / sample_rate <= max_s, len(samples) / sample_rate
    assert float(np.sqrt(np.mean(samples**2))) > 0.02  # not silence
    assert speech_band_ratio(samples, sample_rate) > 0.6


def batchexecute_answer(mp3: bytes) -> str:
    """An answer shaped like Google's: anti-XSSI prefix, length lines, the RPC result as escaped JSON."""
    inner = json.dumps([base64.b64encode(mp3).decode("ascii")])
    rpc = json.dumps([["wrb.fr", "jQ1olc", inner, None, None, None, "generic"]], separators=(",", ":"))
    tail = json.dumps([["e", 4, None, None, len(rpc)]], separators=(",", ":"))
    return f")]}}'\n\n{len(rpc)}\n{rpc}\n{len(tail)}\n{tail}\n"


NO_AUDIO_ANSWER = ')]}\'\n\n25\n[["e",4,null,null,25]]\n'


@dataclass
class FakeGoogle:
    """Plays back a script of behaviours, one per request: "ok", "slow" (answers after the client
    gave up), "500", "503", "403", "noaudio", "badmp3". After the script: "ok"."""

    mp3: bytes
    script: list[str] = field(default_factory=list)
    delay_s: float = 0.6
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def next_action(self) -> str:
        return self.script.pop(0) if self.script else "ok"


def rpc_params(body: str) -> list[object]:
    """[text, lang, speed, "null"] from a batchexecute request body."""
    form = urllib.parse.parse_qs(body)
    rpc = json.loads(form["f.req"][0])
    return list(json.loads(rpc[0][0][1]))


class FakeEngine:
    """An engine whose availability and failures the test controls; speaks a tone per character."""

    def __init__(self, name: str, *, ok: bool = True, rate: int = 8000, fail: bool = False) -> None:
        self.name = name
        self.availability = Availability(ok, "ok" if ok else "not here")
        self.rate = rate
        self.fail = fail
        self.calls: list[str] = []

    def voices(self) -> list[VoiceInfo]:
        return []

    def check(self) -> Availability:
        return self.availability

    def sample_rate(self, voice: str = "") -> int:
        return self.rate

    def synthesize(self, text: str, *, voice: str = "", rate: float = 1.0) -> Speech:
        self.calls.append(text)
        if self.fail:
            raise EngineError(f"{self.name} broke")
        n = round(len(text.strip()) * self.rate / 100 / rate)  # 10 ms per character
        samples = (0.5 * np.sin(np.arange(n) * 0.3)).astype(np.float32)
        return Speech(samples=samples, sample_rate=self.rate, engine=self.name, voice=voice)


def google_resolves() -> bool:
    """Whether this machine can even look up Google (the offline tests skip if it can)."""
    try:
        socket.getaddrinfo("translate.google.com", 443)
    except OSError:
        return False
    return True
