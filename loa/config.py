"""All of Loa's settings, in one place, with their defaults.

Precedence, lowest first: the defaults below, then a TOML file, then environment variables.
The TOML file is ``$LOA_CONFIG`` if set, else ``<data_dir>/loa.toml`` if it exists. Its keys are the
field names below (``loudness_target_lufs = -18``). Every field can also be set by an environment
variable named ``LOA_`` + the field name in upper case (``LOA_LOUDNESS_TARGET_LUFS=-18``); lists are
comma-separated (``LOA_ENGINE_ORDER=gtts,espeak``).

Stages take the values they need as plain arguments; only the CLI and the web app call ``load()``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where shipped assets (jingles, sample scripts) live in the source tree.
PROJECT_MEDIA_DIR = Path(__file__).resolve().parent.parent / "media"


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True)
class Settings:
    # --- storage -------------------------------------------------------------------------
    #: Root of everything Loa writes: database, media store, playlists, agent cache.
    data_dir: Path = Path("loa-data")
    #: Any SQLAlchemy URL. Empty means SQLite in the data folder.
    database_url: str = ""

    # --- text ----------------------------------------------------------------------------
    #: Operator lexicon (TOML or CSV) whose entries win over the built-in rules. Empty: none.
    lexicon_path: str = ""
    #: Longest script accepted, in characters (about 4 hours of speech).
    max_text_chars: int = 200_000

    # --- speech --------------------------------------------------------------------------
    #: Engines tried in order; an engine that is not configured or fails is skipped.
    engine_order: tuple[str, ...] = ("piper", "gtts", "espeak")
    #: Path to a Piper voice (``vi_VN-vais1000-medium.onnx``, its ``.json`` beside it). Empty: no Piper.
    piper_voice: str = ""
    #: espeak-ng voice: ``vi`` (northern), ``vi-vn-x-central`` or ``vi-vn-x-south``.
    espeak_voice: str = "vi"
    #: Speaking rate multiplier, 1.0 = the engine's normal rate.
    speech_rate: float = 1.0
    #: gTTS: seconds per HTTP request, retries per chunk.
    gtts_timeout_s: float = 5.0
    gtts_retries: int = 2
    #: An engine that failed is skipped for this many seconds.
    engine_cooldown_s: float = 300.0
    #: Pauses between utterances, in milliseconds.
    pause_comma_ms: int = 250
    pause_sentence_ms: int = 500
    pause_paragraph_ms: int = 900
    pause_heading_ms: int = 1200

    # --- audio ---------------------------------------------------------------------------
    sample_rate: int = 44_100
    highpass_hz: float = 180.0
    loudness_target_lufs: float = -16.0
    true_peak_ceiling_dbtp: float = -1.5
    mp3_bitrate_kbps: int = 64
    #: Longest uploaded recording accepted, in seconds.
    max_recording_s: float = 2 * 3600.0
    #: Optional jingles (paths, or names of files under ``media/jingles``). Empty: none.
    intro_jingle: str = ""
    outro_jingle: str = ""
    jingle_gap_ms: int = 700

    # --- broadcast -----------------------------------------------------------------------
    timezone: str = "Asia/Ho_Chi_Minh"
    #: Local time of the nightly playlist run, HH:MM.
    nightly_time: str = "00:05"
    #: How many days ahead the nightly run generates (1 = tomorrow only).
    days_ahead: int = 2
    #: Station-ID jingle that opens and closes each session. Empty: none.
    station_id_jingle: str = ""

    # --- station agent -------------------------------------------------------------------
    agent_poll_s: float = 30.0
    agent_heartbeat_s: float = 60.0

    # --- web -----------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8080
    #: Public base URL used in manifests and the podcast feed. Empty: derived from the request.
    public_url: str = ""
    #: Hosts the public page and feed answer to when ``public_url`` is empty (its links then come from
    #: the request's Host). Empty: the served ``host`` and loopback. Any other Host gets a 400.
    public_hosts: tuple[str, ...] = ()
    #: Flask secret key. Empty: generated once and kept in ``<data_dir>/secret_key``.
    secret_key: str = ""
    #: Largest accepted upload, in bytes.
    max_upload_bytes: int = 200 * 1024 * 1024

    # --- derived paths -------------------------------------------------------------------
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'loa.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def playlists_dir(self) -> Path:
        return self.data_dir / "playlists"

    def jingle_path(self, name: str) -> Path | None:
        """Resolve a jingle setting to a file, or None when unset."""
        if not name:
            return None
        p = Path(name)
        if not p.is_absolute() and not p.exists():
            p = PROJECT_MEDIA_DIR / "jingles" / name
        if not p.exists():
            raise ConfigError(f"jingle not found: {name}")
        return p


def _coerce(value: str, typ: Any, name: str) -> Any:
    try:
        if typ is bool:
            return value.strip().lower() in {"1", "true", "yes", "on"}
        if typ is int:
            return int(value)
        if typ is float:
            return float(value)
        if typ is Path:
            return Path(value)
        if typing.get_origin(typ) is tuple:
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value
    except ValueError as exc:
        raise ConfigError(f"setting {name}: cannot read {value!r} as {getattr(typ, '__name__', typ)}") from exc


def load(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, the TOML file, the environment, then explicit overrides."""
    env = dict(os.environ) if env is None else env
    hints = typing.get_type_hints(Settings)
    fields = {f.name for f in dataclasses.fields(Settings) if f.name != "extra"}
    values: dict[str, Any] = {}

    data_dir = Path(env.get("LOA_DATA_DIR", overrides.get("data_dir", Settings.data_dir)))
    toml_path = Path(env["LOA_CONFIG"]) if env.get("LOA_CONFIG") else data_dir / "loa.toml"
    if toml_path.is_file():
        with toml_path.open("rb") as fh:
            try:
                doc = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{toml_path}: {exc}") from exc
        for key, val in doc.items():
            if key not in fields:
                raise ConfigError(f"{toml_path}: unknown setting {key!r}")
            if isinstance(val, list):
                val = tuple(val)
            values[key] = _coerce(val, hints[key], key) if isinstance(val, str) else val
    for name in fields:
        key = "LOA_" + name.upper()
        if key in env:
            values[name] = _coerce(env[key], hints[name], name)
    values.update(overrides)
    # Absolute, so a server or job that changes folder still finds the same data.
    values["data_dir"] = Path(values.get("data_dir", data_dir)).expanduser().absolute()
    return Settings(**values)
