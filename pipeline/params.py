"""The plain values each pipeline stage needs, as small frozen dataclasses.

Stages take these (or single values) instead of the project's ``Settings``, as pydub's effects and
LibreTime's analyzer steps take their own arguments: ``pipeline/`` then runs, and is tested,
without ``loa.config``. ``loa.params`` builds them from the settings, in one place at the edge;
the defaults stay documented in one place too (loa/config.py), so none are repeated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A setting (or the parameter built from it) has a value that cannot be used.

    Defined here so that ``pipeline/`` can raise it without importing ``loa.config``, which
    re-exports it as its own."""


@dataclass(frozen=True)
class AudioParams:
    """The horn chain: what decides the processed audio (so also part of a render's cache key)."""

    sample_rate: int
    highpass_hz: float
    loudness_target_lufs: float
    true_peak_ceiling_dbtp: float
    mp3_bitrate_kbps: int
    jingle_gap_ms: int


@dataclass(frozen=True)
class EngineParams:
    """The speech engines, in the order renders try them, and how each is set up."""

    engine_order: tuple[str, ...]
    piper_voice: str
    espeak_voice: str
    gtts_timeout_s: float
    gtts_retries: int
    cooldown_s: float
    #: File keeping the engines' cooldowns across processes (None: in memory only).
    state_path: Path | None = None
    #: Folder of installed voices, where a bare ``piper_voice`` name is looked up (None: a path only).
    voices_dir: Path | None = None
    #: FPT.AI cloud voice (engine "fpt"); the key is never logged.
    fpt_api_key: str = field(default="", repr=False)
    fpt_endpoint: str = ""
    fpt_voice: str = ""
    fpt_timeout_s: float = 0.0
    fpt_poll_timeout_s: float = 0.0
    #: Viettel AI, Zalo AI and VNPT SmartVoice (engines "viettel", "zalo", "vnpt"); keys never logged.
    viettel_token: str = field(default="", repr=False)
    viettel_endpoint: str = ""
    viettel_voice: str = ""
    zalo_api_key: str = field(default="", repr=False)
    zalo_endpoint: str = ""
    zalo_voice: str = ""
    vnpt_access_token: str = field(default="", repr=False)
    vnpt_token_id: str = field(default="", repr=False)
    vnpt_token_key: str = field(default="", repr=False)
    vnpt_endpoint: str = ""
    vnpt_voice: str = ""
    cloud_timeout_s: float = 10.0
    cloud_retries: int = 2
    cloud_poll_timeout_s: float = 120.0


@dataclass(frozen=True)
class RenderParams:
    """Everything a whole render needs: the stages' parameters and where things live."""

    media_dir: Path
    audio: AudioParams
    engines: EngineParams
    #: Milliseconds of silence after each kind of utterance boundary.
    pauses: Mapping[str, int]
    lexicon_path: str | Path | None
    max_text_chars: int
    max_recording_s: float
    intro_jingle: Path | None = None
    outro_jingle: Path | None = None
