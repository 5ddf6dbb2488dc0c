"""Benchmark: the periodic report (loa report period) for a month of as-run rows from 2,000
clusters (issue 11, figure for the closing note).

Builds a province of 100 communes × 20 clusters in a scratch database (SQLite by default, or
--db URL), a month of playlists (2 sessions a day, 2 bulletins each) and their as-run rows (most
played, some cut, skipped or failed, a few never reported), then times building the report and
writing each file. Prints the figures and the ratio to the goal.

    .venv/bin/python scripts/bench_report.py                 # 2,000 clusters, 30 days
    .venv/bin/python scripts/bench_report.py --clusters 200 --days 7
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from broadcast import db  # noqa: E402
from broadcast.models import (  # noqa: E402
    AsRun,
    AsRunStatus,
    Bulletin,
    BulletinStatus,
    Playlist,
    PlaylistItem,
    Priority,
    Station,
    TargetKind,
    Unit,
    UnitKind,
)

#: Goal: the month's report for a province in under 30 s (a clerk waits for it at the desk).
GOAL_S = 30.0
FIRST = date(2026, 11, 1)
SLOTS = ((time(5, 30), 0), (time(5, 36), 1), (time(17, 0), 2), (time(17, 6), 3))  # (start, bulletin #)


def _seed_units(s: Session, clusters: int) -> list[int]:
    """Province 68 with one commune per 20 clusters; returns the station ids."""
    s.execute(insert(Unit.__table__), [{"code": "68", "name": "Tỉnh Lâm Đồng", "kind": UnitKind.TINH.value}])
    province = s.scalar(select(Unit.id).where(Unit.code == "68"))
    communes = max(1, clusters // 20)
    s.execute(insert(Unit.__table__), [
        {"code": f"x{c:03d}", "name": f"Xã số {c + 1}", "kind": UnitKind.XA.value, "parent_id": province}
        for c in range(communes)
    ])  # fmt: skip
    ids = {u.code: u.id for u in s.scalars(select(Unit).where(Unit.parent_id == province))}
    s.execute(insert(Station.__table__), [
        {"code": f"c{n:05d}", "name": f"Cụm loa {n + 1}", "kind": "xa", "district": "", "timezone": "Asia/Ho_Chi_Minh",
         "active": True, "unit_id": ids[f"x{n % communes:03d}"], "languages": ""}
        for n in range(clusters)
    ])  # fmt: skip
    return list(s.scalars(select(Station.id).order_by(Station.id)))


def _seed_bulletins(s: Session, days: int) -> list[int]:
    now = datetime.now(UTC)
    rows = [{"title": f"Nghị quyết số {n + 1}", "body": "x", "source_kind": "text", "category": "", "issuer": "",
             "priority": Priority.NORMAL.value, "valid_from": FIRST, "valid_to": FIRST + timedelta(days=days),
             "plays_per_day": 2, "target_kind": TargetKind.ALL.value, "status": BulletinStatus.APPROVED.value,
             "voice": "", "speech_rate": 1.0, "created_by": "bench", "created_at": now, "updated_at": now,
             "render_status": "done", "render_error": ""} for n in range(4)]  # fmt: skip
    s.execute(insert(Bulletin.__table__), rows)
    return list(s.scalars(select(Bulletin.id).order_by(Bulletin.id)))


def _asrun_row(sid: int, day: date, start: datetime, bid: int, title: str, n: int, rnd: random.Random) -> dict[str, Any] | None:
    roll = rnd.random()
    if roll < 0.02:
        return None  # never reported (the cluster was offline)
    status, cause, secs = AsRunStatus.PLAYED, "", 300.0
    if roll < 0.04:
        status, cause, secs = AsRunStatus.SKIPPED, "no_media", 0.0
    elif roll < 0.05:
        status, cause, secs = AsRunStatus.FAILED, "device", 0.0
    elif roll < 0.07:
        status, cause, secs = AsRunStatus.CUT, "emergency", 120.0
    aired = status in (AsRunStatus.PLAYED, AsRunStatus.CUT)
    return {"station_id": sid, "uid": f"{day:%m%d}-{n}", "playlist_date": day, "playlist_version": 1, "kind": "bulletin",
            "title": title, "bulletin_id": bid, "planned_start": start, "planned_end": start + timedelta(seconds=300),
            "actual_start": start if aired else None, "actual_end": start + timedelta(seconds=secs) if aired else None,
            "status": status.value, "detail": "", "cause": cause, "language": "",
            "received_at": start}  # fmt: skip


def _seed_month(s: Session, station_ids: list[int], bulletin_ids: list[int], days: int) -> int:
    """A playlist and its as-run rows per cluster and day; returns the number of as-run rows."""
    rnd = random.Random(11)
    tz = datetime(2026, 1, 1, tzinfo=UTC).astimezone().tzinfo  # only offsets matter here
    tz = UTC if tz is None else tz
    total = 0
    for d in range(days):
        day = FIRST + timedelta(days=d)
        s.execute(insert(Playlist.__table__), [
            {"station_id": sid, "date": day, "version": 1, "generated_at": datetime.now(UTC), "manifest": {},
             "etag": f"{sid}-{day}", "emergency": False} for sid in station_ids
        ])  # fmt: skip
        pl_ids = dict(s.execute(select(Playlist.station_id, Playlist.id).where(Playlist.date == day)).all())
        items, runs = [], []
        for sid in station_ids:
            for pos, (t, b) in enumerate(SLOTS):
                start = datetime.combine(day, t, tzinfo=UTC) - timedelta(hours=7)
                bid = bulletin_ids[b % len(bulletin_ids)]
                items.append({"playlist_id": pl_ids[sid], "position": pos, "start": start, "duration_s": 300.0,
                              "kind": "bulletin", "title": f"Nghị quyết số {b + 1}", "priority": "normal",
                              "bulletin_id": bid, "size": 0, "url": "", "language": ""})  # fmt: skip
                row = _asrun_row(sid, day, start, bid, f"Nghị quyết số {b + 1}", pos, rnd)
                if row is not None:
                    runs.append(row)
        s.execute(insert(PlaylistItem.__table__), items)
        s.execute(insert(AsRun.__table__), runs)
        total += len(runs)
        print(f"\r  dữ liệu: ngày {d + 1}/{days}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clusters", type=int, default=2000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--db", help="SQLAlchemy URL (default: a scratch SQLite file)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from broadcast import period_export
    from broadcast.period_report import period_report

    with tempfile.TemporaryDirectory(prefix="loa-bench-report-") as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'loa.db'}"
        factory = db.session_factory(db.init_db(url))
        t0 = clock.perf_counter()
        with db.session_scope(factory) as s:
            ids = _seed_units(s, args.clusters)
            rows = _seed_month(s, ids, _seed_bulletins(s, args.days), args.days)
        print(f"dữ liệu: {args.clusters} cụm loa, {args.days} ngày, {rows:,} dòng nhật ký phát "
              f"({clock.perf_counter() - t0:.1f} s để tạo)")  # fmt: skip
        last = FIRST + timedelta(days=args.days - 1)
        with factory() as s:
            t1 = clock.perf_counter()
            rep = period_report(s, FIRST, last, "68", now=datetime(2027, 1, 1, tzinfo=UTC))
            build = clock.perf_counter() - t1
        head = period_export.Letterhead(issuer="ỦY BAN NHÂN DÂN TỈNH LÂM ĐỒNG", signed_on=last)
        times = {}
        for fmt in period_export.FORMATS:
            t2 = clock.perf_counter()
            data = period_export.export(rep, fmt, head)
            times[fmt] = (clock.perf_counter() - t2, len(data))
    t = rep.totals
    print(f"báo cáo: {len(rep.communes)} xã, {len(rep.bulletins)} bản tin; {t.aired:,}/{t.planned:,} lượt đã phát, "
          f"{t.misses:,} không phát")  # fmt: skip
    print(f"  tổng hợp số liệu: {build:6.2f} s")
    for fmt, (secs, size) in times.items():
        print(f"  ghi {fmt:<4}:         {secs:6.2f} s  ({size / 1024:,.0f} KiB)")
    whole = build + max(s for s, _ in times.values())
    print(f"tổng (số liệu + tệp chậm nhất): {whole:.2f} s; mục tiêu {GOAL_S:.0f} s; tỉ lệ {whole / GOAL_S:.2f} "
          f"({'đạt' if whole <= GOAL_S else 'chưa đạt'})")  # fmt: skip


if __name__ == "__main__":
    main()
