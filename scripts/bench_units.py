"""Planning a province under Circular 39: 100 communes × 20 clusters, with inbox decisions.

    .venv/bin/python scripts/bench_units.py                    # 100 communes × 20 clusters
    .venv/bin/python scripts/bench_units.py --communes 20      # smaller

A SQLite file in a temporary folder holds one province, its communes and their clusters (two
sessions a day each), the province's bulletins (normal, priority and one emergency) and each
commune's own. Every commune answers the province's normal bulletins at random (accept, decline,
or nothing yet), some communes accept by default, some order the province's priority bulletin after
their own. It prints:

  * the time to record every commune's decisions through broadcast/inbox.py;
  * the day's generation for every cluster (plan, store, write files) with the units and inbox,
    and the share of it spent in the inbox filter (``inbox.restrict_day``, timed in place);
  * the time to open one commune's inbox and the province's status view of one bulletin.

Goal: the inbox filter takes at most 25 % of the day's generation.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from broadcast import db, inbox, units  # noqa: E402
from broadcast.generate import generate_playlists  # noqa: E402
from broadcast.models import (  # noqa: E402
    BroadcastSession,
    Bulletin,
    BulletinStatus,
    MediaFile,
    Priority,
    Station,
    TargetKind,
    Unit,
)
from loa import config  # noqa: E402

DAY = date(2026, 12, 1)
NIGHT = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)  # 00:05 local, the night before
SHARE_GOAL = 0.25
PROVINCE_BULLETINS = {"normal": 10, "priority": 3, "emergency": 1}
OWN_PER_COMMUNE = 3


def _media(s: Session, n: int, rng: random.Random) -> str:
    sha = f"{n:064x}"
    s.add(MediaFile(sha256=sha, path=f"{sha[:2]}/{sha}.mp3", size=100_000 + n, duration_s=rng.uniform(40, 180)))
    return sha


def _bulletin(s: Session, n: int, title: str, priority: str, unit_id: int, rng: random.Random) -> Bulletin:
    b = Bulletin(title=title, body="x", priority=Priority(priority), valid_from=DAY, valid_to=DAY,
                 plays_per_day=rng.choice([1, 1, 2]), status=BulletinStatus.APPROVED, target_kind=TargetKind.ALL,
                 media_sha256=_media(s, n, rng), render_status="done", unit_id=unit_id)
    s.add(b)
    return b


def seed(s: Session, communes: int, clusters: int, rng: random.Random) -> tuple[Unit, list[Unit], list[Bulletin]]:
    rows = ["code,name,kind,parent", "68,Tỉnh Lâm Đồng,tinh,"]
    rows += [f"{25000 + i},Xã {i},xa,68" for i in range(communes)]
    units.import_units(s, units.parse_units_csv("\n".join(rows) + "\n"), actor="bench")
    province = units.get(s, "68")
    comms = [units.get(s, str(25000 + i)) for i in range(communes)]
    for c in comms:
        for k in range(clusters):
            st = Station(code=f"{c.code}-{k:02d}", name=f"{c.name} cụm {k}", unit_id=c.id)
            st.sessions = [BroadcastSession(start_time=time(5, 30), max_minutes=30),
                           BroadcastSession(start_time=time(17, 0), max_minutes=45)]
            s.add(st)
    n = 0
    sent: list[Bulletin] = []
    for prio, count in PROVINCE_BULLETINS.items():
        for i in range(count):
            n += 1
            sent.append(_bulletin(s, n, f"Tỉnh {prio} {i}", prio, province.id, rng))
    for c in comms:
        for i in range(OWN_PER_COMMUNE):
            n += 1
            _bulletin(s, n, f"{c.name} tin {i}", rng.choice(["normal", "normal", "priority"]), c.id, rng)
    s.flush()
    return province, comms, sent


def decide_all(s: Session, comms: list[Unit], sent: list[Bulletin], rng: random.Random) -> int:
    count = 0
    for c in comms:
        if rng.random() < 0.2:
            inbox.set_auto_accept(s, c, True, actor="bench")
            count += 1
        for b in sent:
            roll = rng.random()
            if b.priority == Priority.NORMAL and roll < 0.5:
                inbox.accept(s, b, c, actor="bench")
            elif b.priority == Priority.NORMAL and roll < 0.7:
                inbox.decline(s, b, c, actor="bench", reason="Đã phát nội dung tương tự")
            elif b.priority == Priority.PRIORITY and roll < 0.3:
                inbox.order(s, b, c, "after", actor="bench")
            else:
                continue
            count += 1
    return count


def generate(s: Session, settings: config.Settings, out: Path) -> tuple[float, int]:
    t0 = clock.perf_counter()
    res = generate_playlists(s, settings, [DAY], None, out, now=NIGHT)
    s.commit()
    return clock.perf_counter() - t0, len(res)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--communes", type=int, default=100)
    ap.add_argument("--clusters", type=int, default=20)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-units-") as tmp:
        folder = Path(tmp)
        settings = config.load(env={"LOA_DATA_DIR": str(folder / "data")})
        engine = db.init_db(f"sqlite:///{folder / 'loa.db'}")
        s = db.session_factory(engine)()
        t0 = clock.perf_counter()
        province, comms, sent = seed(s, args.communes, args.clusters, rng)
        s.commit()
        stations = args.communes * args.clusters
        print(f"province: {args.communes} communes × {args.clusters} clusters = {stations} stations, "
              f"{len(sent)} province bulletins, {args.communes * OWN_PER_COMMUNE} commune bulletins "
              f"(seeded in {clock.perf_counter() - t0:.1f} s)")

        t0 = clock.perf_counter()
        decisions = decide_all(s, comms, sent, rng)
        s.commit()
        dt = clock.perf_counter() - t0
        print(f"inbox decisions: {decisions} in {dt:.2f} s ({dt / max(decisions, 1) * 1000:.1f} ms each)")

        spent = [0.0]
        real = inbox.restrict_day

        def timed(*a, **kw):  # type: ignore[no-untyped-def]
            t = clock.perf_counter()
            try:
                return real(*a, **kw)
            finally:
                spent[0] += clock.perf_counter() - t

        inbox.restrict_day = timed  # type: ignore[assignment]
        with_units, n = generate(s, settings, folder / "with")
        inbox.restrict_day = real  # type: ignore[assignment]
        print(f"generation with units and inbox: {n} playlists in {with_units:.2f} s "
              f"({with_units / max(n, 1) * 1000:.2f} ms per station)")

        t0 = clock.perf_counter()
        entries = inbox.inbox(s, comms[0], today=DAY)
        t_inbox = clock.perf_counter() - t0
        t0 = clock.perf_counter()
        status = inbox.status(s, sent[0])
        t_status = clock.perf_counter() - t0
        print(f"one commune's inbox: {len(entries)} entries in {t_inbox * 1000:.0f} ms; "
              f"status of one bulletin across {len(status)} communes in {t_status * 1000:.0f} ms")

        share = spent[0] / with_units if with_units else 0.0
        verdict = "ok" if share <= SHARE_GOAL else "OVER GOAL"
        print(f"of which the units/inbox filter (inbox.restrict_day): {spent[0]:.3f} s = {share:.1%} "
              f"(goal ≤ {SHARE_GOAL:.0%}) {verdict}")
        per_station = with_units / max(n, 1)
        print(f"projection: a nationwide night of 3,321 communes × 20 clusters ≈ {per_station * 3321 * 20:.0f} s "
              "at this rate")
        s.close()
        engine.dispose()


if __name__ == "__main__":
    main()
