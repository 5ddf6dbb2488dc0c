"""The data model: stations, sessions, bulletins, relays, playlists and as-run rows.

Portable SQLAlchemy 2.0 only: nothing here may rely on SQLite. Times are stored as UTC and read
back timezone-aware (see ``UTCDateTime``); wall-clock times of day (session starts) are plain
``Time`` in the station's own timezone.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Priority(enum.StrEnum):
    """Circular 39/2020/TT-BTTTT levels. Order matters: emergency plays first."""

    NORMAL = "normal"  # thông thường
    PRIORITY = "priority"  # ưu tiên
    EMERGENCY = "emergency"  # khẩn cấp

    @property
    def rank(self) -> int:
        return {"emergency": 0, "priority": 1, "normal": 2}[self.value]


class BulletinStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ARCHIVED = "archived"


class TargetKind(enum.StrEnum):
    ALL = "all"
    GROUP = "group"
    STATIONS = "stations"


class AsRunStatus(enum.StrEnum):
    PLAYED = "played"
    CUT = "cut"  # cut short
    SKIPPED = "skipped"
    FAILED = "failed"


class Role(enum.StrEnum):
    EDITOR = "editor"
    REVIEWER = "reviewer"
    OPERATOR = "operator"
    ADMIN = "admin"


def _enum(e: type[enum.Enum]) -> Enum:
    # Stored as short strings (no native ENUM type), so adding a value needs no ALTER TYPE.
    return Enum(e, native_enum=False, length=16, values_callable=lambda x: [m.value for m in x])


station_group_members = Table(
    "station_group_members",
    Base.metadata,
    Column("station_id", ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("station_groups.id", ondelete="CASCADE"), primary_key=True),
)

bulletin_targets = Table(
    "bulletin_targets",
    Base.metadata,
    Column("bulletin_id", ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True),
    Column("station_id", ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
)


class StationGroup(Base):
    __tablename__ = "station_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    stations: Mapped[list[Station]] = relationship(secondary=station_group_members, back_populates="groups")


class Station(Base):
    __tablename__ = "stations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="xa")  # xa, phuong, thi_tran
    district: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: scrypt/argon2 hash of the agent token; the token itself is shown once and never stored.
    token_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    agent_info: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    #: Languages aired besides Vietnamese (Decree 49), ISO 639-3 codes separated by spaces ("kpm cje").
    languages: Mapped[str] = mapped_column(String(120), default="", server_default="")
    #: The administrative unit (commune) the station (cluster) belongs to (issue 11.1).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None, index=True)
    #: Where the station is (WGS84 degrees), for the dashboard's map; None: not given.
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)

    groups: Mapped[list[StationGroup]] = relationship(secondary=station_group_members, back_populates="stations")
    sessions: Mapped[list[BroadcastSession]] = relationship(
        back_populates="station", cascade="all, delete-orphan", order_by="BroadcastSession.start_time"
    )


class BroadcastSession(Base):
    """A broadcast window (phiên phát): weekly on some weekdays, or one-off on ``on_date``."""

    __tablename__ = "broadcast_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    #: ISO weekdays as digits, Monday=1 … Sunday=7: "123456" is Mon–Sat. Ignored when on_date is set.
    weekdays: Mapped[str] = mapped_column(String(7), default="1234567")
    start_time: Mapped[time] = mapped_column(Time)
    max_minutes: Mapped[int] = mapped_column(Integer)
    on_date: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    station: Mapped[Station] = relationship(back_populates="sessions")


class MediaFile(Base):
    """A file in the content-addressed media store (rendered bulletins, uploads, jingles)."""

    __tablename__ = "media_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Path relative to the media folder.
    path: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    mime: Mapped[str] = mapped_column(String(64), default="audio/mpeg")
    meta: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Bulletin(Base):
    """A bản tin: text to render or an uploaded recording, with priority, validity and targets."""

    __tablename__ = "bulletins"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    #: "text" (render body) or "audio" (process the uploaded recording in upload_sha256).
    source_kind: Mapped[str] = mapped_column(String(8), default="text")
    upload_sha256: Mapped[str | None] = mapped_column(ForeignKey("media_files.sha256"), default=None)
    category: Mapped[str] = mapped_column(String(120), default="")
    issuer: Mapped[str] = mapped_column(String(200), default="")
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.NORMAL)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    plays_per_day: Mapped[int] = mapped_column(Integer, default=1)
    target_kind: Mapped[TargetKind] = mapped_column(_enum(TargetKind), default=TargetKind.ALL)
    target_group_id: Mapped[int | None] = mapped_column(ForeignKey("station_groups.id"), default=None)
    status: Mapped[BulletinStatus] = mapped_column(_enum(BulletinStatus), default=BulletinStatus.DRAFT)
    voice: Mapped[str] = mapped_column(String(200), default="")
    speech_rate: Mapped[float] = mapped_column(Float, default=1.0)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    #: The rendered, broadcast-ready MP3, once rendering has finished.
    media_sha256: Mapped[str | None] = mapped_column(ForeignKey("media_files.sha256"), default=None)
    render_status: Mapped[str] = mapped_column(String(16), default="none")  # none|queued|running|done|failed
    render_error: Mapped[str] = mapped_column(Text, default="")
    #: The unit that issues the bulletin; a higher unit's reach communes through their inbox.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None, index=True)

    media: Mapped[MediaFile | None] = relationship(foreign_keys=[media_sha256])
    target_group: Mapped[StationGroup | None] = relationship()
    target_stations: Mapped[list[Station]] = relationship(secondary=bulletin_targets)
    transitions: Mapped[list[BulletinTransition]] = relationship(
        back_populates="bulletin", cascade="all, delete-orphan", order_by="BulletinTransition.id"
    )


class BulletinTransition(Base):
    """Who moved a bulletin from one status to another, and when."""

    __tablename__ = "bulletin_transitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")

    bulletin: Mapped[Bulletin] = relationship(back_populates="transitions")


class Relay(Base):
    """A scheduled external stream, e.g. VOV1 news at 06:00 for 15 minutes."""

    __tablename__ = "relays"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    stream_url: Mapped[str] = mapped_column(String(500))
    start_time: Mapped[time] = mapped_column(Time)
    duration_min: Mapped[int] = mapped_column(Integer)
    weekdays: Mapped[str] = mapped_column(String(7), default="1234567")
    #: None: every station. Otherwise only this station.
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PlaylistOverride(Base):
    """An operator's pin or drop of one bulletin, for one station and day."""

    __tablename__ = "playlist_overrides"
    __table_args__ = (UniqueConstraint("station_id", "date", "bulletin_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(8))  # pin | drop
    actor: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Playlist(Base):
    """One station's playlist for one date. A new version is written on every regeneration."""

    __tablename__ = "playlists"
    __table_args__ = (UniqueConstraint("station_id", "date", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    version: Mapped[int] = mapped_column(Integer)
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The manifest exactly as served to agents (see broadcast issue for its format).
    manifest: Mapped[dict[str, Any]] = mapped_column()
    #: sha256 of the canonical manifest JSON; used as the HTTP ETag.
    etag: Mapped[str] = mapped_column(String(64))
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)

    station: Mapped[Station] = relationship()
    items: Mapped[list[PlaylistItem]] = relationship(
        back_populates="playlist", cascade="all, delete-orphan", order_by="PlaylistItem.position"
    )


class PlaylistItem(Base):
    __tablename__ = "playlist_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    playlist_id: Mapped[int] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column()
    duration_s: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))  # bulletin | relay | jingle
    title: Mapped[str] = mapped_column(String(300))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    #: What the item plays. References without a database foreign key (``info["references"]``, which
    #: ``loa db copy --merge`` follows): a night writes a row per item of every station, two million
    #: for a country, and PostgreSQL's check of each key cost more than storing the row (10,000
    #: stations: 19.9 s of generation with the checks, 14.7 s without). Every id written comes from
    #: rows the planner read in the same transaction; bulletins are archived, never deleted, and
    #: deleting a relay clears its ids here (``broadcast.relays.delete_relay``).
    bulletin_id: Mapped[int | None] = mapped_column(Integer, default=None, info={"references": "bulletins.id"})
    relay_id: Mapped[int | None] = mapped_column(Integer, default=None, info={"references": "relays.id"})
    media_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    size: Mapped[int] = mapped_column(Integer, default=0)
    url: Mapped[str] = mapped_column(String(500), default="")
    #: ISO 639-3 code of a bulletin's version in another language; "" for the main (Vietnamese) one.
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")

    playlist: Mapped[Playlist] = relationship(back_populates="items")


class AsRun(Base):
    """What actually aired at a station. ``uid`` is the agent's idempotency key for uploads."""

    __tablename__ = "asrun"
    __table_args__ = (UniqueConstraint("station_id", "uid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(64))
    playlist_date: Mapped[date | None] = mapped_column(Date, default=None)
    playlist_version: Mapped[int | None] = mapped_column(Integer, default=None)
    kind: Mapped[str] = mapped_column(String(16), default="bulletin")
    title: Mapped[str] = mapped_column(String(300), default="")
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletins.id", ondelete="SET NULL"), default=None)
    media_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    planned_start: Mapped[datetime | None] = mapped_column(default=None)
    planned_end: Mapped[datetime | None] = mapped_column(default=None)
    actual_start: Mapped[datetime | None] = mapped_column(default=None)
    actual_end: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[AsRunStatus] = mapped_column(_enum(AsRunStatus))
    detail: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: What cut or stopped the play (broadcast/asrun.py CAUSES); "" when an old agent did not say.
    cause: Mapped[str] = mapped_column(String(32), default="", server_default="")
    #: The version that aired (ISO 639-3); "" for the bulletin's main (Vietnamese) version.
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Hash of the user's API token for POST /api/v1/bulletins; None: no token issued.
    api_token_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Panel logins carry the epoch they were made in; logout or a new password bumps it, which
    #: ends every session of the user at once, on every server process (cookies alone cannot).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The unit the user works for: the role applies there and in the units below it.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None, index=True)


class AuditLog(Base):
    """Every approval, emergency and schedule change, for the district's records."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class RegenRequest(Base):
    """A durable request to (re)generate playlists, written in the same transaction as the change
    that caused it (approval, edit, withdrawal, emergency). The scheduler daemon drains these;
    a command may also drain them inline. An outbox, so no change is lost if no daemon runs."""

    __tablename__ = "regen_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletins.id", ondelete="SET NULL"), default=None)
    #: Station codes affected; None means every active station.
    station_codes: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str] = mapped_column(Text, default="")


# --- G: scheduler ---------------------------------------------------------------------------
# (APScheduler's own job table, "scheduler_jobs", is created by its SQLAlchemyJobStore and is not
# part of this metadata: keep it out of Alembic autogenerate.)


class SchedulerClaim(Base):
    """A claim on one unit of scheduled work, so that daemons sharing a database never do it twice.

    ``name`` is e.g. ``nightly:2026-11-26`` (one nightly run per local day) or ``regen-drain`` (a
    reusable lock). Taken by INSERT (the unique name decides the race) or, once released, failed or
    stale, by a compare-and-set UPDATE: plain SQL, no SELECT … FOR UPDATE, so it works everywhere.
    A holder renews ``lease_until`` while it works; a killed holder's claim goes stale and is retaken.
    """

    __tablename__ = "scheduler_claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    owner: Mapped[str] = mapped_column(String(120))
    #: running | done | failed | released
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    lease_until: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SchedulerRun(Base):
    """One run of a scheduler job, kept for the operators' records (and to prove a night ran once)."""

    __tablename__ = "scheduler_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: nightly | regen
    job: Mapped[str] = mapped_column(String(32), index=True)
    #: What started it: cron | catch-up | watch | once | interval
    trigger: Mapped[str] = mapped_column(String(16))
    #: The local day whose nightly run this is; None for outbox drains.
    slot: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    owner: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    #: running | ok | error | interrupted | abandoned (its daemon died; a later run redid it)
    status: Mapped[str] = mapped_column(String(16), default="running")
    dates: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    stations: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    #: Playlist versions written (unchanged playlists are not rewritten, so a repeat run writes 0).
    playlists: Mapped[int] = mapped_column(Integer, default=0)
    #: Outbox requests processed (regen runs).
    requests: Mapped[int] = mapped_column(Integer, default=0)
    #: Errors by station code, or the exception of a failed run.
    errors: Mapped[dict[str, Any] | None] = mapped_column(default=None)


# --- clarity9: clarity checks and deployment settings -------------------------------------------


class ClarityCheck(Base):
    """What an offline recognizer heard in one rendered MP3 (keyed by its sha256, so bulletins
    sharing audio share the check). ``status``: pending | done | missing (no recognizer here) |
    failed. ``score`` is 1 − WER against the spoken form; None for a recording (transcript only)."""

    __tablename__ = "clarity_checks"
    sha256: Mapped[str] = mapped_column(ForeignKey("media_files.sha256", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    #: "text" (scored against the script) or "audio" (a recording: transcript alone).
    source_kind: Mapped[str] = mapped_column(String(8), default="text")
    score: Mapped[float | None] = mapped_column(Float, default=None)
    wer: Mapped[float | None] = mapped_column(Float, default=None)
    missed: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    transcript: Mapped[str] = mapped_column(Text, default="")
    #: Which recognizer listened, e.g. "viet-asr 0.1.0.dev11".
    recognizer: Mapped[str] = mapped_column(String(120), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)


class DeploymentSetting(Base):
    """A setting an administrator changes in the panel (the default voice); the config file's
    value is the fallback when no row exists."""

    __tablename__ = "deployment_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
# --- units11: administrative units (issue 11.1) and Circular 39's inbox (issue 11.2) ---------


class UnitKind(enum.StrEnum):
    """Levels of the administrative tree since 1 July 2025 (a district kept where one exists)."""

    TINH = "tinh"  # tỉnh / thành phố trực thuộc trung ương
    HUYEN = "huyen"  # huyện (where one still exists)
    XA = "xa"  # xã
    PHUONG = "phuong"  # phường
    DAC_KHU = "dac-khu"  # đặc khu

    @property
    def is_commune(self) -> bool:
        return self in (UnitKind.XA, UnitKind.PHUONG, UnitKind.DAC_KHU)


class Unit(Base):
    """An administrative unit: province → (district) → commune; stations (clusters) hang below.

    ``code`` is the official code (mã đơn vị hành chính), which also serves as the CAP geocode.
    A merged unit keeps its row, its name and its stations: ``merged_into_id`` names the unit it
    is now part of, whose staff then see it as one of theirs, and past reports still name it.
    """

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None, index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    merged_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Normal bulletins from a higher unit are accepted without waiting for the operator.
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    merged_into: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[merged_into_id])


class UnitName(Base):
    """A name a unit carried until ``until`` (the moment it was renamed), so reports of the past
    name it as it was then."""

    __tablename__ = "unit_names"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    until: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120), default="")


class InboxDecision(Base):
    """A commune's decision on a bulletin from a higher unit (Circular 39/2020/TT-BTTTT).

    ``state`` is ``accepted`` or ``declined`` (normal bulletins), or ``ordered`` (a priority one
    whose place against the commune's own priority items the commune chose). No row: waiting.
    ``order`` places a priority bulletin before (-1) or after (1) the commune's own ones.
    """

    __tablename__ = "inbox_decisions"
    __table_args__ = (UniqueConstraint("bulletin_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)

# --- console12: remote control and alerts ------------------------------------------------------


class RemoteCommand(Base):
    """An operator's order to one station's agent (stop, skip, volume, test tone, play now, system
    test). Delivered in the replies to the agent's heartbeats until the agent acknowledges it."""

    __tablename__ = "remote_commands"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    #: stop | skip | volume | tone | play_now | system_test
    kind: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    issued_by: Mapped[str] = mapped_column(String(120), default="")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: Not delivered after this moment (an order to skip means nothing an hour later).
    expires_at: Mapped[datetime] = mapped_column()
    #: First delivered in a heartbeat reply.
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    acked_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The agent's verdict: True done, False failed, None not acknowledged yet.
    ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    result: Mapped[str] = mapped_column(Text, default="")

    station: Mapped[Station] = relationship()


class AlertState(Base):
    """One condition an alert is about (``offline:CODE``, ``missed:CODE:DATE:HH:MM``): whether it
    holds, and when it was last notified, so a cool-down and a recovery are decided from the
    database and several processes never send the same alert twice."""

    __tablename__ = "alert_states"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # offline | missed
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    message: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The last delivery's problem per channel ("" when every channel took it).
    last_error: Mapped[str] = mapped_column(Text, default="")


# --- report11: proof of play (cause of a cut), minority languages (Decree 49/2024/NĐ-CP) ---------

class BulletinVersion(Base):
    """A bulletin in another language: a recording, or a text for a voice that speaks it.

    Its rendered audio (``media_sha256``) airs right after the bulletin's Vietnamese version at the
    stations that list the language (broadcast/languages.py)."""

    __tablename__ = "bulletin_versions"
    __table_args__ = (UniqueConstraint("bulletin_id", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    #: "text" (body, spoken by ``voice``) or "audio" (a recording, upload_sha256).
    source_kind: Mapped[str] = mapped_column(String(8), default="audio")
    body: Mapped[str] = mapped_column(Text, default="")
    voice: Mapped[str] = mapped_column(String(200), default="")
    upload_sha256: Mapped[str | None] = mapped_column(ForeignKey("media_files.sha256"), default=None)
    media_sha256: Mapped[str | None] = mapped_column(ForeignKey("media_files.sha256"), default=None)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    media: Mapped[MediaFile | None] = relationship(foreign_keys=[media_sha256])


# --- cap11: CAP alerts (issue 11.5) -------------------------------------------------------------


class CapAlert(Base):
    """A Common Alerting Protocol 1.2 message received (``loa cap import``, ``POST /api/v1/cap``).

    ``sender`` + ``identifier`` name the message (CAP's own key, so a repeat is recognised);
    ``bulletin_id`` is the emergency bulletin it made, changed or withdrew. ``needs_targeting``
    marks an alert whose areas matched no unit: its bulletin went to every station, and the
    reviewer must choose the stations.
    """

    __tablename__ = "cap_alerts"
    __table_args__ = (UniqueConstraint("sender", "identifier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(255))
    identifier: Mapped[str] = mapped_column(String(255))
    #: ``sent`` as written in the message (references quote it) and as a moment.
    sent_text: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column()
    msg_type: Mapped[str] = mapped_column(String(16))  # Alert | Update | Cancel
    #: References as [sender, identifier, sent] triples (Update, Cancel).
    references: Mapped[list[list[str]] | None] = mapped_column(JSON, default=None)
    event: Mapped[str] = mapped_column(String(300), default="")
    severity: Mapped[str] = mapped_column(String(16), default="")
    urgency: Mapped[str] = mapped_column(String(16), default="")
    #: The language of the info used, and whether it was not Vietnamese (no vi/vi-VN info).
    language: Mapped[str] = mapped_column(String(35), default="")
    language_fallback: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    bulletin_id: Mapped[int | None] = mapped_column(
        ForeignKey("bulletins.id", ondelete="SET NULL"), default=None, index=True
    )
    #: created | updated | cancelled: what the message did to its bulletin.
    action: Mapped[str] = mapped_column(String(16))
    needs_targeting: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: Unit codes the areas matched, and the geocodes ("valueName=value") that matched none.
    unit_codes: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    unmatched: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    #: The areas' descriptions (areaDesc), for the reviewer who must target an unmatched alert.
    areas: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    auto_approved: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    actor: Mapped[str] = mapped_column(String(120), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- pages12: jingles per station or group, the order of a day's items -------------------------


class StationJingle(Base):
    """A station-ID jingle uploaded for one station or for one group (exactly one of the two).
    A station's own wins over its groups', which win over the configured ``station_id_jingle``."""

    __tablename__ = "station_jingles"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), unique=True,
                                                   default=None)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("station_groups.id", ondelete="CASCADE"), unique=True,
                                                 default=None)
    media_sha256: Mapped[str] = mapped_column(ForeignKey("media_files.sha256"))
    actor: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    media: Mapped[MediaFile] = relationship()


class DayOrder(Base):
    """An operator's order of the bulletins in one station's day (dragged in the week view):
    bulletin ids, first to air first, applied within each session after planning."""

    __tablename__ = "day_orders"
    __table_args__ = (UniqueConstraint("station_id", "date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    bulletin_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    actor: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
