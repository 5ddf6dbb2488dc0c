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

from pipeline.params import ConfigError  # noqa: F401  (defined there, so that pipeline/ can raise it)


def _assets_dir() -> Path:
    try:
        from media import assets_dir
    except ImportError:  # an editable install made before media/ became a package: the source tree
        return Path(__file__).resolve().parent.parent / "media"
    return assets_dir()


#: Where shipped assets (jingles, sample scripts) live: the ``media`` package, installed with Loa.
PROJECT_MEDIA_DIR = _assets_dir()


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
    #: Path to a Piper voice (``vi_VN-vais1000-medium.onnx``, its ``.json`` beside it), or the name of
    #: one installed in ``<data_dir>/voices``. Empty: the first installed voice, if any.
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
    #: The panel warns that no scheduler is running when a regeneration request has waited this
    #: long (seconds), or when today's nightly run is missing an hour after ``nightly_time``.
    schedule_stale_after_s: float = 120.0

    # --- station agent -------------------------------------------------------------------
    agent_poll_s: float = 30.0
    agent_heartbeat_s: float = 60.0
    #: Largest JSON request body the API (/api/v1) reads, in bytes; bigger is a 413.
    #: A batch of 100 as-run rows is about 60 KB.
    api_max_body_bytes: int = 1024 * 1024

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
    #: Failed panel logins allowed per address and user name, and per address across all names
    #: (Flask-Limiter syntax; a successful login does not count).
    login_limit_per_name: str = "5/minute"
    login_limit_per_ip: str = "20/minute"
    #: Seconds a new relay's address is tried before it is saved with a warning; 0: do not try.
    relay_probe_timeout_s: float = 3.0
    #: Where ``loa voices install NAME`` downloads the catalog's Piper voices from.
    voices_base_url: str = "https://huggingface.co/rhasspy/piper-voices/resolve/main"
    #: Seconds without data before a voice download counts as interrupted.
    voices_timeout_s: float = 30.0
    #: FPT.AI cloud voices (engine ``fpt``, add it to engine_order): key (better from the environment,
    #: ``LOA_FPT_API_KEY``; never logged), endpoint, voice (banmai, thuminh, leminh, myan, giahuy,
    #: lannhi, linhsan), seconds per HTTP request, and how long to wait for the MP3 in all.
    fpt_api_key: str = field(default="", repr=False)
    fpt_endpoint: str = "https://api.fpt.ai/hmi/tts/v5"
    fpt_voice: str = "banmai"
    fpt_timeout_s: float = 10.0
    fpt_poll_timeout_s: float = 120.0

    # --- voices9 ---
    #: Viettel AI cloud voices (engine ``viettel``): token (better ``LOA_VIETTEL_TOKEN``; never
    #: logged), endpoint (the older form ``https://viettelgroup.ai/voice/api/tts/v1/rest/syn`` works
    #: too), voice (hn-quynhanh, hn-phuongtrang, hn-thanhtung, hue-maingoc, hue-baoquoc, hcm-diemmy,
    #: hcm-minhquan, …).
    viettel_token: str = field(default="", repr=False)
    viettel_endpoint: str = "https://viettelai.vn/tts/speech_synthesis"
    viettel_voice: str = "hn-quynhanh"
    #: Zalo AI cloud voices (engine ``zalo``): key (``LOA_ZALO_API_KEY``), endpoint, speaker 1–6
    #: (1 nữ Nam, 2 nữ Bắc, 3 nam Nam, 4 nam Bắc, 5 nữ Bắc 2, 6 nữ Nam 2).
    zalo_api_key: str = field(default="", repr=False)
    zalo_endpoint: str = "https://api.zalo.ai/v1/tts/synthesize"
    zalo_voice: str = "2"
    #: VNPT SmartVoice (engine ``vnpt``): access token, token id and token key (all three needed;
    #: ``LOA_VNPT_ACCESS_TOKEN`` …), endpoint, region (female_north, female_north_ngochoa,
    #: male_north, female_central, male_central, female_south, male_south).
    vnpt_access_token: str = field(default="", repr=False)
    vnpt_token_id: str = field(default="", repr=False)
    vnpt_token_key: str = field(default="", repr=False)
    vnpt_endpoint: str = "https://api.idg.vnpt.vn/tts-service/v2/standard"
    vnpt_voice: str = "female_north"
    #: Viettel, Zalo and VNPT: seconds per HTTP request, retries of a request that timed out or got
    #: a 429/5xx, and how long to wait for an asynchronous job's audio in all.
    cloud_timeout_s: float = 10.0
    cloud_retries: int = 2
    cloud_poll_timeout_s: float = 120.0
    #: Send drafts (previews of bulletins not yet approved) to cloud voices too. Off: a draft may
    #: be sensitive, so it is spoken by the offline voices only. Emergencies never wait for a cloud
    #: voice, whatever this says.
    cloud_voices_for_drafts: bool = False

    # --- clarity9 ---
    #: After each render an offline recognizer (``pip install 'loa[clarity]'``) transcribes the
    #: delivered MP3 and the score (1 − WER against the spoken form) is stored with the render. It
    #: runs as background work (the panel's own one-thread queue; the CLI after the playlists);
    #: false: no check.
    clarity_check: bool = True
    #: Below this clarity score (0–1) a reviewer must confirm "Tôi đã nghe bản đọc này" to approve
    #: (``loa bulletin approve --listened``). Natural speech scores about 0.9, espeak-ng about 0.2.
    clarity_threshold: float = 0.7

    # --- console12 -----------------------------------------------------------------------
    #: Seconds between the dashboard's own refreshes (a small JSON fetch).
    dashboard_refresh_s: float = 15.0
    #: A station silent this many minutes raises an "offline" alert (and its recovery says so).
    alert_offline_after_min: float = 10.0
    #: An alert still true is sent again at most this often (minutes); recoveries are sent at once.
    alert_cooldown_min: float = 60.0
    #: Seconds between the scheduler's alert checks.
    alert_check_s: float = 60.0
    #: Alert e-mail: SMTP server (empty: no e-mail), port, STARTTLS, login (the password better from
    #: the environment, ``LOA_ALERT_SMTP_PASSWORD``), sender and recipients (comma-separated).
    alert_smtp_host: str = ""
    alert_smtp_port: int = 25
    alert_smtp_starttls: bool = False
    alert_smtp_user: str = ""
    alert_smtp_password: str = field(default="", repr=False)
    alert_email_from: str = "loa@localhost"
    alert_email_to: tuple[str, ...] = ()
    #: Alert webhook (Zalo OA relay, chat bot, …): a JSON POST of {"event", "station", "text", …}
    #: to this address. Empty: none.
    alert_webhook_url: str = ""
    #: Telegram bot: token (from @BotFather; better ``LOA_ALERT_TELEGRAM_TOKEN``) and chat id.
    #: Empty token: no Telegram. The API address is a setting so tests can point it at a loopback.
    alert_telegram_token: str = field(default="", repr=False)
    alert_telegram_chat_id: str = ""
    alert_telegram_api: str = "https://api.telegram.org"
    #: Seconds an alert delivery may take per channel.
    alert_timeout_s: float = 10.0
    #: A remote command not yet picked up by its agent after this many seconds is dropped.
    remote_command_ttl_s: float = 900.0
    #: Local time (HH:MM) of the silent daily system test of every agent. Empty: none.
    system_test_time: str = "04:00"

    # --- report11 ---
    #: The periodic report (loa report period), laid out under Nghị định 30/2020/NĐ-CP. Issuing body
    #: (tên cơ quan ban hành); "" derives it from the unit: "ỦY BAN NHÂN DÂN XÃ HIỆP AN".
    report_issuer: str = ""
    #: The body above it (cơ quan chủ quản), printed on the line above; "" for none.
    report_issuer_parent: str = ""
    #: Number and symbol: "Số: <number>/BC-<symbol>"; the number is left blank for the clerk when "".
    report_number: str = ""
    report_symbol: str = "UBND"
    #: Place name of the date line: "Lâm Đồng, ngày 01 tháng 12 năm 2026".
    report_place: str = "Lâm Đồng"
    #: Signature block: authority line (quyền hạn), title (chức vụ) and the signer's name ("" blank).
    report_signer_authority: str = "TM. ỦY BAN NHÂN DÂN"
    report_signer_title: str = "CHỦ TỊCH"
    report_signer_name: str = ""
    #: Nơi nhận, one per entry ("Lưu: VT" is always added last).
    report_recipients: tuple[str, ...] = ("Thường trực Đảng ủy", "Thường trực HĐND", "Chủ tịch và các Phó Chủ tịch UBND")

    # --- queue10 ---
    #: Redis for several machines (``redis://host:6379/0``): the render queue (``loa worker``), login
    #: limits and the panel's shared secret key. Empty (the default): renders run in-process, in a
    #: thread of the process that asked for them, as on one PC.
    redis_url: str = field(default="", repr=False)
    #: Seconds a render job may run before its worker gives up on it (a 4-hour script at 10x realtime
    #: takes about 25 minutes).
    job_timeout_s: int = 2 * 3600
    #: Times a job is run again after its worker died mid-job (killed, power cut) before it counts as failed.
    job_retries: int = 3
    #: Seconds between a busy worker's heartbeats; a job whose worker has been silent for twice this
    #: is given to another worker (also how often idle workers look for such jobs).
    worker_heartbeat_s: int = 10
    #: Seconds a finished job's status (the panel's progress bar) stays readable.
    job_result_ttl_s: int = 24 * 3600

    # --- cap11 ---
    #: CAP alerts (``loa cap import``, ``POST /api/v1/cap``): the largest document read, in bytes;
    #: a bigger one is refused before it is parsed (real alerts are a few kilobytes).
    cap_max_bytes: int = 512 * 1024
    #: Approve at once (render and publish the emergency) an alert whose Vietnamese info is of
    #: severity Extreme and urgency Immediate and whose areas matched a unit. Off: every alert waits
    #: for a reviewer.
    cap_auto_approve: bool = False
    #: Optional CSV mapping other geocode schemes to units, columns ``scheme,value,unit`` (scheme is
    #: the geocode's valueName, e.g. ``SAME``). Empty: a geocode matches the unit whose code is its value.
    cap_geocode_map: str = ""
    #: How many times a day a bulletin made from an alert airs.
    cap_plays_per_day: int = 3
    # --- push10 ---
    #: Where media are kept for serving. Empty: the media folder (``<data_dir>/media``, one PC).
    #: ``s3://bucket/prefix``: an S3-compatible bucket (keys ``prefix/<sha[:2]>/<sha>.mp3``); the
    #: folder then stays the place renders and uploads are first written (a write-through cache).
    media_url: str = ""
    #: S3: endpoint (empty: AWS itself; MinIO/Ceph/Garage: their address), region, and credentials
    #: (better ``LOA_S3_ACCESS_KEY_ID`` / ``LOA_S3_SECRET_ACCESS_KEY``, or boto3's own
    #: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` when these are empty; never logged).
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = field(default="", repr=False)
    s3_secret_access_key: str = field(default="", repr=False)
    #: Seconds per S3 request before the store counts as down (agents get a 503 to retry).
    s3_timeout_s: float = 5.0
    #: S3: ``/api/v1/media/<sha>`` answers a redirect to a presigned URL valid this many seconds
    #: instead of streaming the object through ``loa serve``. 0: stream.
    media_presign_s: int = 0
    #: (``redis_url``, above, also carries emergencies to agents' event streams by pub/sub across
    #: every ``loa serve``; empty: PostgreSQL ``LISTEN/NOTIFY``, or a poll of the playlists on SQLite.)
    #: Seconds an agent's event stream (``/api/v1/stations/<code>/events``) stays open before the
    #: server ends it and the agent reconnects; seconds between keep-alive comments on it.
    events_stream_s: float = 300.0
    events_keepalive_s: float = 15.0
    #: Event streams one ``loa serve`` process holds at once (each keeps a server thread, made when
    #: a stream opens); past it a 503 tells the agent to keep polling and try again later. 256 is
    #: plenty for a commune's PC; a province's server sets about 2,500 (the README's deployment,
    #: which gives what that costs, as measured by scripts/bench_scale_push.py).
    events_max_streams: int = 256
    # --- pages12 ---
    #: Rows per page in the panel's long lists (bulletins, audit log, report airings, library);
    #: a user may ask for 10–500 with ``?per=N``.
    list_page_size: int = 50
    #: Largest jingle or station ID uploaded in the library, in seconds of audio.
    max_jingle_s: float = 120.0

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

    @property
    def voices_dir(self) -> Path:
        """Installed Piper voices (``loa voices install``); ``piper_voice`` may name one of them."""
        return self.data_dir / "voices"

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
        raise ConfigError(
            f"setting {name}: cannot read {value!r} as {getattr(typ, '__name__', typ)}"
        ) from exc


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
