"""What /status shows, as data: the scheduler's last runs and claims, renders waiting, the voices
and whether each is usable now, disk space in the data folder, versions, the last error of each part.

Every reading is read-only and cheap (no voice is made to speak: that is ``loa voices --probe``).
"""

from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcast.models import (
    AsRun,
    AsRunStatus,
    Bulletin,
    RegenRequest,
    RemoteCommand,
    SchedulerClaim,
    SchedulerRun,
    Station,
)


@dataclass(frozen=True)
class PartError:
    part: str
    at: datetime | None
    text: str


def scheduler_runs(session: Session, limit: int = 15) -> list[SchedulerRun]:
    return list(session.scalars(select(SchedulerRun).order_by(SchedulerRun.id.desc()).limit(limit)))


def scheduler_claims(session: Session, limit: int = 15) -> list[SchedulerClaim]:
    return list(session.scalars(select(SchedulerClaim).order_by(SchedulerClaim.updated_at.desc()).limit(limit)))


def render_counts(session: Session) -> dict[str, int]:
    """Bulletins by render state (queued, running, failed, done): the durable view of renders."""
    rows = session.execute(select(Bulletin.render_status, func.count()).group_by(Bulletin.render_status)).all()
    return {str(state): int(n) for state, n in rows}


def outbox_waiting(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(RegenRequest).where(RegenRequest.done_at.is_(None))) or 0)


def voices(settings: Any) -> list[dict[str, Any]]:
    """Each engine in ``engine_order``: its voice, tier, whether renders would use it now and why
    not (the same reading as ``loa voices`` without --probe)."""
    from loa.params import engine_params
    from pipeline.tts.chain import build_chain
    from pipeline.tts.cli import TIERS

    chain = build_chain(engine_params(settings))
    offered = [e.name for e in chain.candidates()]
    out = []
    for st in chain.status():
        out.append({
            "name": st.engine.name, "voice": st.voice, "tier": TIERS.get(st.engine.name, ""),
            "usable": st.engine.name in offered, "reason": st.availability.reason,
            "in_use": bool(offered) and st.engine.name == offered[0],
            "cooling_until": datetime.fromtimestamp(st.cooling_until).astimezone() if st.cooling_until else None,
            "last_error": st.last_error,
        })  # fmt: skip
    return out


def current_voice(settings: Any) -> dict[str, Any] | None:
    """The voice renders speak with now: the first usable engine of the chain."""
    try:
        return next((v for v in voices(settings) if v["in_use"]), None)
    except Exception:  # a broken voice setting must not take the dashboard down
        return None


def disk(folder: Path) -> dict[str, float]:
    """Space on the data folder's disk, in GB, and the share used."""
    usage = shutil.disk_usage(folder if folder.exists() else folder.parent)
    return {"total_gb": usage.total / 1e9, "free_gb": usage.free / 1e9, "used_pct": 100.0 * usage.used / usage.total}


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "—"


def versions(session: Session, revision: str | None) -> list[tuple[str, str]]:
    """Versions of Loa, its main parts, the database, and the agents heard from."""
    from loa import __version__

    bind = session.get_bind()
    server = getattr(bind.dialect, "server_version_info", None)
    db_text = bind.dialect.name + (" " + ".".join(str(x) for x in server) if server else "")
    agents: dict[str, int] = {}
    for (info,) in session.execute(select(Station.agent_info).where(Station.agent_info.is_not(None))):
        v = (info or {}).get("agent_version") or "(không rõ / unknown)"
        agents[v] = agents.get(v, 0) + 1
    rows = [("Loa", __version__), ("Python", platform.python_version()), ("Flask", _version("flask")),
            ("SQLAlchemy", _version("sqlalchemy")), ("APScheduler", _version("apscheduler")),
            ("CSDL / database", db_text), ("Lược đồ / schema", revision or "—")]
    rows += [(f"loa agent {v}", f"{n} đài") for v, n in sorted(agents.items())]
    return rows


def last_errors(session: Session, voice_rows: list[dict[str, Any]]) -> list[PartError]:
    """The most recent error of each part, or nothing for a part that has none."""
    out: list[PartError] = []
    run = session.scalar(select(SchedulerRun).where(SchedulerRun.status == "error").order_by(SchedulerRun.id.desc()).limit(1))
    if run is not None:
        out.append(PartError(f"scheduler:{run.job}", run.finished_at or run.started_at,
                             "; ".join(f"{k}: {v}" for k, v in (run.errors or {}).items())))
    regen = session.scalar(select(RegenRequest).where(RegenRequest.error != "").order_by(RegenRequest.id.desc()).limit(1))
    if regen is not None:
        out.append(PartError("regen", regen.done_at or regen.created_at, regen.error))
    bulletin = session.scalar(select(Bulletin).where(Bulletin.render_status == "failed")
                              .order_by(Bulletin.updated_at.desc()).limit(1))
    if bulletin is not None:
        out.append(PartError("render", bulletin.updated_at, f"{bulletin.title}: {bulletin.render_error}"))
    for v in voice_rows:
        if v["last_error"]:
            out.append(PartError(f"voice:{v['name']}", None, v["last_error"]))
    from broadcast.alerts import last_delivery_error

    alert = last_delivery_error(session)
    if alert is not None:
        out.append(PartError("alerts", alert.last_sent_at, alert.last_error))
    cmd = session.scalar(select(RemoteCommand).where(RemoteCommand.ok.is_(False)).order_by(RemoteCommand.id.desc()).limit(1))
    if cmd is not None:
        out.append(PartError(f"agent:{cmd.kind}", cmd.acked_at, cmd.result))
    failed = session.scalar(select(AsRun).where(AsRun.status == AsRunStatus.FAILED).order_by(AsRun.id.desc()).limit(1))
    if failed is not None:
        out.append(PartError("playout", failed.received_at, f"{failed.title}: {failed.detail}"))
    return out
