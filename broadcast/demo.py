"""Demo data for a newcomer: the district's stations, the sample bulletins, tomorrow's playlists
and one account per role. Idempotent: a second run adds nothing and changes no password."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from broadcast import bulletins, clock, generate, outbox, stations, users
from broadcast.db import init_db, session_factory, session_scope
from broadcast.models import Bulletin, Role, Station, User
from broadcast.publish import render_and_publish
from loa.config import PROJECT_MEDIA_DIR, Settings

SAMPLES = PROJECT_MEDIA_DIR / "samples"
DISTRICT = "Huyện Đức Trọng"


@dataclass(frozen=True)
class SampleBulletin:
    file: str
    title: str
    issuer: str
    category: str
    priority: str
    plays_per_day: int


SAMPLE_BULLETINS = (
    SampleBulletin("ke-hoach-24-KH-HU.txt", "Kế hoạch 24-KH/HU về đổi mới học tập, tuyên truyền nghị quyết",
                   "Huyện ủy Đức Trọng", "Tuyên truyền nghị quyết", "normal", 1),
    SampleBulletin("thong-bao-tiem-chung.txt", "Thông báo tiêm chủng", "Trạm Y tế xã", "Y tế", "priority", 2),
    SampleBulletin("lich-cat-dien.txt", "Lịch cắt điện", "Điện lực Đức Trọng", "Thông báo", "normal", 2),
    SampleBulletin("canh-bao-bao-khan-cap.txt", "Cảnh báo bão khẩn cấp", "Ban Chỉ huy PCTT&TKCN huyện",
                   "Phòng chống thiên tai", "emergency", 2),
)

ROLES = (Role.ADMIN, Role.REVIEWER, Role.EDITOR, Role.OPERATOR)


def _accounts(session, accounts_file: Path) -> list[str]:  # type: ignore[no-untyped-def]
    created: list[str] = []
    for role in ROLES:
        username = role.value
        if session.scalar(select(User).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(9)
        users.create_user(session, username=username, role=role, password=password,
                          full_name=f"Tài khoản mẫu ({role.value})", actor="demo")
        created.append(f"{username} / {password}")
    if created:
        accounts_file.parent.mkdir(parents=True, exist_ok=True)
        with accounts_file.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(created) + "\n")
        os.chmod(accounts_file, 0o600)
    return created


def setup_demo(settings: Settings, progress: Callable[[str], None] = lambda _m: None,
               today: date | None = None) -> list[str]:
    """Build the demo; returns lines to show the newcomer (accounts, where things are)."""
    today = today or clock.today(settings.timezone)
    factory = session_factory(init_db(settings.db_url))
    accounts_file = settings.data_dir / "demo-accounts.txt"
    lines: list[str] = []

    with session_scope(factory) as s:
        if not s.scalar(select(func.count()).select_from(Station)):
            progress("Nhập danh sách đài của huyện…")
            rows = stations.parse_stations_csv((SAMPLES / "stations-duc-trong.csv").read_text("utf-8"))
            stations.import_stations(s, rows, group=DISTRICT, district=DISTRICT)
        created = _accounts(s, accounts_file)

    to_render: list[int] = []
    with session_scope(factory) as s:
        for sample in SAMPLE_BULLETINS:
            existing = s.scalar(select(Bulletin).where(Bulletin.title == sample.title))
            if existing is not None:
                if existing.media_sha256 is None:
                    to_render.append(existing.id)
                continue
            b = bulletins.create_bulletin(
                s, title=sample.title, body=(SAMPLES / sample.file).read_text("utf-8"),
                category=sample.category, issuer=sample.issuer, priority=sample.priority,
                valid_from=today, valid_to=today + timedelta(days=6), plays_per_day=sample.plays_per_day,
                actor="demo",
            )
            bulletins.submit(s, b, "demo")
            bulletins.approve(s, b, "demo", "Dữ liệu mẫu")
            s.flush()
            to_render.append(b.id)

    for bulletin_id in to_render:
        progress(f"Dựng âm thanh: bản tin #{bulletin_id}…")
        done = render_and_publish(factory, bulletin_id, settings, publish=False)
        if done.failure is not None:
            raise done.failure
        lines.append(f"  {done.title}: {settings.media_dir / (done.path or '')}")

    with session_scope(factory) as s:
        progress("Lập danh sách phát ngày mai…")
        made = generate.generate_playlists(s, settings, [today + timedelta(days=1)])
    outbox.process_requests(factory, settings)
    lines.insert(0, f"Dữ liệu: {settings.data_dir.resolve()} ({len(made)} danh sách phát cho ngày mai)")
    if created:
        lines.append("Tài khoản (chỉ in lần đầu, lưu trong " + str(accounts_file) + "):")
        lines.extend("  " + c for c in created)
    else:
        lines.append(f"Tài khoản mẫu đã có; mật khẩu trong {accounts_file}")
    return lines
