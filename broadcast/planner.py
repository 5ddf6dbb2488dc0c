"""Plan one station's day: which bulletins, relays and jingles air when.

A pure function over frozen dataclasses (no database, no clock): the same inputs always give the
same playlist, so a plan can be tested by its invariants and regenerated without surprises.

The rules, in the order they are applied:

* relays (tiếp sóng) sit at their fixed times; bulletins flow around them, never over them;
* a bulletin airs only on days inside its validity window and never past the end of its
  session (session start + ``max_minutes``);
* its plays per day are spread over the day's sessions, earliest sessions taking the remainder
  (3 plays, 2 sessions: 2 + 1); a play that does not fit is carried to the next session, and
  what the last session cannot take is reported with the reason;
* within a session: emergency (khẩn cấp), then priority (ưu tiên), then normal; ties by
  operator pin, then ``valid_from``, then id; the same bulletin is not played twice in a row
  when another order avoids it;
* the station-ID jingle opens and closes every session that airs a bulletin;
* an operator ``pin`` guarantees a bulletin a play that day (first within its priority, first
  session it fits in); ``drop`` removes it for the day.

Mid-day replanning keeps the past: ``kept`` items (from the version already on air) that start
before ``not_before`` / ``now`` stay exactly as they were and count towards plays per day. With
``now`` (an emergency), every emergency bulletin that still has plays left starts at ``now``,
ahead of everything else still to come; a relay it runs into joins late.

Times are handled as integer milliseconds since the epoch, so arithmetic is exact and wall-clock
times are converted through the station's timezone once (correct across DST changes too).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

#: Play order within a session: lower first.
RANK = {"emergency": 0, "priority": 1, "normal": 2}
PRIORITIES = tuple(RANK)
KINDS = ("bulletin", "relay", "jingle")
PIN, DROP = "pin", "drop"

_NEVER = -(1 << 62)


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A playable file: where to fetch it and how long it lasts."""

    sha256: str
    size: int
    duration_s: float
    url: str


@dataclass(frozen=True, slots=True)
class StationPlanInput:
    id: int
    code: str
    timezone: str = "Asia/Ho_Chi_Minh"
    name: str = ""


@dataclass(frozen=True, slots=True)
class SessionInput:
    """A broadcast window: weekly on ISO weekdays (``"123456"`` = Mon–Sat) or one-off on ``on_date``."""

    id: int
    start: time
    max_minutes: int
    weekdays: str = "1234567"
    on_date: date | None = None
    name: str = ""

    def applies(self, day: date) -> bool:
        if self.on_date is not None:
            return self.on_date == day
        return str(day.isoweekday()) in self.weekdays


@dataclass(frozen=True, slots=True)
class BulletinInput:
    id: int
    title: str
    priority: str
    valid_from: date
    valid_to: date
    plays_per_day: int
    #: None while the bulletin has no rendered audio; ``not_ready`` then says why (Vietnamese).
    media: MediaRef | None
    not_ready: str = ""


@dataclass(frozen=True, slots=True)
class RelayInput:
    id: int
    name: str
    stream_url: str
    start: time
    duration_min: int
    weekdays: str = "1234567"

    def applies(self, day: date) -> bool:
        return str(day.isoweekday()) in self.weekdays


@dataclass(frozen=True, slots=True)
class JingleInput:
    media: MediaRef
    title: str = "Nhạc hiệu đài"


@dataclass(frozen=True, slots=True)
class Override:
    bulletin_id: int
    action: str  # "pin" | "drop"


@dataclass(frozen=True, slots=True)
class PlannedItem:
    start: datetime  # aware, in the station's timezone
    duration_s: float
    kind: str  # bulletin | relay | jingle
    title: str
    priority: str = "normal"
    media: MediaRef | None = None  # None for relays
    bulletin_id: int | None = None
    relay_id: int | None = None
    stream_url: str | None = None
    #: Start "HH:MM" of the session the item belongs to; None outside sessions.
    session: str | None = None

    @property
    def end(self) -> datetime:
        # Through UTC: aware arithmetic in one zone is wall-clock and would be wrong across DST.
        end = self.start.astimezone(UTC) + timedelta(seconds=self.duration_s)
        return end.astimezone(self.start.tzinfo)

    @property
    def url(self) -> str:
        if self.media is not None:
            return self.media.url
        return self.stream_url or ""


@dataclass(frozen=True, slots=True)
class Unplaced:
    title: str
    reason: str
    bulletin_id: int | None = None
    relay_id: int | None = None
    #: Plays asked for that found no place (0 when the whole item is refused, e.g. a relay).
    missing: int = 0


@dataclass(frozen=True, slots=True)
class PlanResult:
    items: tuple[PlannedItem, ...]
    unplaced: tuple[Unplaced, ...]


# --- time helpers ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def _local_ms(day: date, t: time, tz_name: str) -> int:
    return round(datetime.combine(day, t, tzinfo=zone(tz_name)).timestamp() * 1000)


@lru_cache(maxsize=1024)
def _day_anchor(day: date, tz_name: str) -> tuple[int, datetime, int] | None:
    """(ms, aware local midnight, ms of next midnight) when the day has one UTC offset, else None."""
    tz = zone(tz_name)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    if start.utcoffset() != end.utcoffset():
        return None
    return round(start.timestamp() * 1000), start, round(end.timestamp() * 1000)


def _to_dt(ms: int, day: date, tz_name: str) -> datetime:
    anchor = _day_anchor(day, tz_name)
    if anchor is not None and anchor[0] <= ms < anchor[2]:
        # Fast path: no offset change today, so wall-clock addition is exact.
        return anchor[1] + timedelta(milliseconds=ms - anchor[0])
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone(tz_name))


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the planner")
    return round(moment.timestamp() * 1000)


def _mmss(ms: int) -> str:
    s = round(ms / 1000)
    return f"{s // 60}:{s % 60:02d}"


def _fit(cursor: int, dur: int, busy: Sequence[tuple[int, int]], limit: int) -> int | None:
    """The first start >= cursor where ``dur`` fits between busy intervals and ends by ``limit``."""
    for b_start, b_end in busy:
        if b_end <= cursor:
            continue
        if b_start >= cursor + dur:
            break
        cursor = b_end
    return cursor if cursor + dur <= limit else None


def sort_key(b: BulletinInput, pinned: bool = False) -> tuple[int, int, date, int]:
    return (RANK.get(b.priority, 2), 0 if pinned else 1, b.valid_from, b.id)


def _spread(order: list[BulletinInput], counts: dict[int, int]) -> list[BulletinInput]:
    """Repeat each bulletin ``counts[id]`` times, never the same one twice running if avoidable.

    Greedy "most plays left first, then the given order", skipping the one just placed: the
    standard optimal strategy for avoiding adjacent repeats. With one play each it keeps ``order``.
    """
    if all(counts[b.id] == 1 for b in order):
        return order
    heap = [(-counts[b.id], i) for i, b in enumerate(order)]
    heapq.heapify(heap)
    out: list[BulletinInput] = []
    last = -1
    while heap:
        n, i = heapq.heappop(heap)
        if i == last and heap:  # the one just played: take the next best, put this one back
            n, i = heapq.heapreplace(heap, (n, i))
        out.append(order[i])
        last = i
        if n < -1:
            heapq.heappush(heap, (n + 1, i))
    return out


# --- the planner -----------------------------------------------------------------------------


def plan_day(
    station: StationPlanInput,
    day: date,
    sessions: Iterable[SessionInput],
    bulletins: Iterable[BulletinInput],
    relays: Iterable[RelayInput],
    *,
    jingle: JingleInput | None = None,
    overrides: Iterable[Override] = (),
    now: datetime | None = None,
    not_before: datetime | None = None,
    kept: Sequence[PlannedItem] = (),
) -> PlanResult:
    """Plan ``day`` for ``station``.

    ``now``: an emergency is being aired; emergency bulletins with plays left start at ``now``.
    ``not_before``: replan a day in progress without an emergency; nothing new starts earlier.
    ``kept``: the items already on air for this day; those starting before ``now``/``not_before``
    are kept unchanged and count towards plays per day.
    """
    tz_name = station.timezone
    floor = _NEVER
    if now is not None:
        floor = _ms(now)
    elif not_before is not None:
        floor = _ms(not_before)
    if now is not None and now.astimezone(zone(tz_name)).date() != day:
        now = None  # an emergency only reshapes the day it happens on
    items: list[tuple[int, int, PlannedItem]] = []  # (start ms, tie, item)
    unplaced: list[Unplaced] = []
    busy: list[tuple[int, int]] = []

    session_list = sorted((x for x in sessions if x.applies(day)), key=lambda x: (x.start, x.id))
    windows: list[tuple[int, int, str]] = []
    for x in session_list:
        ws = _local_ms(day, x.start, tz_name)
        windows.append((ws, ws + x.max_minutes * 60_000, f"{x.start:%H:%M}"))

    # 1. The past, kept as it was. Plays kept inside a session still under way count against that
    # session's share (in `taken`), so a replan spreads the day the same way the first plan did.
    done: dict[int, int] = {}
    done_at: list[tuple[int, int]] = []  # (start ms, bulletin id)
    for it in kept:
        s = _ms(it.start)
        if s >= floor:
            continue
        e = s + round(it.duration_s * 1000)
        items.append((s, 0, it))
        busy.append((s, e if now is None else min(e, floor)))
        if it.kind == "bulletin" and it.bulletin_id is not None:
            done[it.bulletin_id] = done.get(it.bulletin_id, 0) + 1
            done_at.append((s, it.bulletin_id))

    # 2. Candidates: drops, validity, media, plays left.
    pins: set[int] = set()
    drops: set[int] = set()
    for o in overrides:
        if o.action == PIN:
            pins.add(o.bulletin_id)
        elif o.action == DROP:
            drops.add(o.bulletin_id)
    cands: list[BulletinInput] = []
    wanted: dict[int, int] = {}
    seen: set[int] = set()
    blist = sorted(bulletins, key=lambda b: b.id)
    for b in blist:
        if b.id in seen:
            continue
        seen.add(b.id)
        if b.id in drops:
            unplaced.append(Unplaced(b.title, "Người vận hành đã bỏ bản tin khỏi ngày này.", b.id))
            continue
        if not (b.valid_from <= day <= b.valid_to):
            unplaced.append(
                Unplaced(
                    b.title,
                    f"Ngoài thời hạn hiệu lực (từ {b.valid_from:%d/%m/%Y} đến {b.valid_to:%d/%m/%Y}).",
                    b.id,
                )
            )
            continue
        want = max(b.plays_per_day, 1 if b.id in pins else 0)
        if b.media is None:
            reason = b.not_ready or "Bản tin chưa có âm thanh: chưa dựng xong."
            unplaced.append(Unplaced(b.title, reason, b.id, missing=want))
            continue
        if b.media.duration_s <= 0:
            unplaced.append(
                Unplaced(b.title, "Tệp âm thanh không có thời lượng (0 giây).", b.id, missing=want)
            )
            continue
        if want <= 0:
            continue
        wanted[b.id] = want
        cands.append(b)
    cands.sort(key=lambda b: sort_key(b, b.id in pins))
    left = {b.id: wanted[b.id] - done.get(b.id, 0) for b in cands}
    dur = {b.id: round(b.media.duration_s * 1000) for b in cands if b.media is not None}

    # 3. The emergency block at `now`. Its plays come out of the next sessions' shares.
    taken: dict[int, int] = {}
    if now is not None:
        cursor = floor
        for b in cands:
            if b.priority == "emergency" and left[b.id] > 0:
                d = dur[b.id]
                label = _session_at(windows, cursor)
                items.append((cursor, 1, _bulletin_item(b, cursor, d, day, tz_name, label)))
                busy.append((cursor, cursor + d))
                taken[b.id] = 1
                cursor += d
        block_end = cursor
    else:
        block_end = floor

    # 4. Relays at their fixed times (joining late after an emergency block).
    fixed: list[tuple[int, int, RelayInput]] = []
    for r in sorted(relays, key=lambda r: (r.start, r.id)):
        if not r.applies(day) or r.duration_min <= 0:
            continue
        s = _local_ms(day, r.start, tz_name)
        e = s + r.duration_min * 60_000
        if s < floor:
            continue  # already in the past; what aired is in `kept`
        s = max(s, block_end)
        if s >= e:
            unplaced.append(Unplaced(r.name, "Tiếp sóng bị thay bởi bản tin khẩn cấp.", relay_id=r.id))
            continue
        clash = next((f for f in fixed if f[0] < e and s < f[1]), None)
        if clash is not None:
            unplaced.append(Unplaced(r.name, f"Trùng giờ với tiếp sóng «{clash[2].name}».", relay_id=r.id))
            continue
        fixed.append((s, e, r))
    for s, e, r in fixed:
        item = PlannedItem(
            start=_to_dt(s, day, tz_name),
            duration_s=(e - s) / 1000,
            kind="relay",
            title=r.name,
            relay_id=r.id,
            stream_url=r.stream_url,
            session=_session_at(windows, s),
        )
        items.append((s, 2, item))
        busy.append((s, e))
    busy.sort()

    # 5. Sessions, in order, carrying what does not fit.
    jd = round(jingle.media.duration_s * 1000) if jingle is not None else 0
    if jd <= 0:
        jingle = None
    live = [w for w in windows if w[1] > block_end]
    for s, bid in done_at:
        if bid in left and any(w[0] <= s < w[1] for w in live):
            left[bid] += 1
            taken[bid] = taken.get(bid, 0) + 1
    carry: dict[int, int] = {}
    day_cursor = block_end
    n_live = len(live)
    for k, (ws, we, label) in enumerate(live):
        # This session's own share: what is left spread over the sessions left, earliest first.
        counts = dict(carry)
        for b in cands:
            n = left[b.id]
            if n > 0:
                share = -(-n // (n_live - k))
                left[b.id] = n - share
                if b.id in taken:
                    use = min(taken[b.id], share)
                    share -= use
                    taken[b.id] -= use
                if share:
                    counts[b.id] = counts.get(b.id, 0) + share
        carry = {}
        if not counts:
            continue
        cursor = max(ws, day_cursor)
        open_at: int | None = None
        limit = we
        if jingle is not None:
            limit = we - jd
            if ws >= floor:
                open_at = _fit(cursor, jd, busy, limit)
                if open_at is not None:
                    cursor = open_at + jd
        order = _session_order(cands, counts)
        placed: list[tuple[int, int, PlannedItem]] = []
        failed: set[int] = set()
        new_carry: dict[int, int] = {}
        for b in order:
            bid = b.id
            if bid in failed:
                new_carry[bid] = new_carry.get(bid, 0) + 1
                continue
            d = dur[bid]
            st = None if cursor + d > limit else _fit(cursor, d, busy, limit)
            if st is not None and jingle is not None and _fit(st + d, jd, busy, we) is None:
                st = None
            if st is None:
                failed.add(bid)
                new_carry[bid] = new_carry.get(bid, 0) + 1
                continue
            placed.append((st, 3, _bulletin_item(b, st, d, day, tz_name, label)))
            cursor = st + d
        carry = new_carry
        if placed:
            if jingle is not None:
                if open_at is not None:
                    items.append((open_at, 1, _jingle_item(jingle, open_at, jd, day, tz_name, label)))
                close_at = _fit(cursor, jd, busy, we)
                if close_at is not None:
                    placed.append((close_at, 4, _jingle_item(jingle, close_at, jd, day, tz_name, label)))
                    cursor = close_at + jd
            items.extend(placed)
            busy.extend((s, s + round(it.duration_s * 1000)) for s, _, it in placed)
            busy.sort()
            day_cursor = cursor

    # 6. Report what found no place.
    aired: dict[int, int] = dict(done)
    for _, _, it in items:
        if it.kind == "bulletin" and it.bulletin_id is not None and _ms(it.start) >= floor:
            aired[it.bulletin_id] = aired.get(it.bulletin_id, 0) + 1
    longest = max((w[1] - max(w[0], block_end) for w in live), default=0) - 2 * jd
    for b in cands:
        want = wanted[b.id]
        got = aired.get(b.id, 0)
        if got >= want:
            continue
        if not windows:
            reason = "Không có phiên phát nào trong ngày."
        elif not live:
            reason = "Các phiên phát của ngày đã qua."
        elif dur[b.id] > longest:
            reason = (
                f"Bản tin dài {_mmss(dur[b.id])}, vượt thời lượng phiên phát dài nhất trong ngày"
                f" ({_mmss(max(longest, 0))})."
            )
        else:
            reason = f"Không đủ thời lượng trong các phiên phát của ngày: phát được {got}/{want} lần."
        unplaced.append(Unplaced(b.title, reason, b.id, missing=want - got))

    items.sort(key=lambda x: (x[0], x[1]))
    if len(unplaced) > 1:
        rank = {b.id: RANK.get(b.priority, 2) for b in blist}
        unplaced.sort(
            key=lambda u: (
                u.bulletin_id is None,
                rank.get(u.bulletin_id or 0, 2),
                u.bulletin_id or 0,
                u.relay_id or 0,
            )
        )
    return PlanResult(tuple(it for _, _, it in items), tuple(unplaced))


def _session_at(windows: Sequence[tuple[int, int, str]], ms: int) -> str | None:
    return next((w[2] for w in windows if w[0] <= ms < w[1]), None)


def _session_order(cands: list[BulletinInput], counts: dict[int, int]) -> list[BulletinInput]:
    order: list[BulletinInput] = []
    group: list[BulletinInput] = []
    rank = -1
    for b in cands:
        if b.id not in counts:
            continue
        r = RANK.get(b.priority, 2)
        if r != rank and group:
            order.extend(_spread(group, counts))
            group = []
        rank = r
        group.append(b)
    if group:
        order.extend(_spread(group, counts))
    return order


def _bulletin_item(
    b: BulletinInput, start: int, dur: int, day: date, tz_name: str, session: str | None
) -> PlannedItem:
    return PlannedItem(
        start=_to_dt(start, day, tz_name),
        duration_s=dur / 1000,
        kind="bulletin",
        title=b.title,
        priority=b.priority if b.priority in RANK else "normal",
        media=b.media,
        bulletin_id=b.id,
        session=session,
    )


def _jingle_item(j: JingleInput, start: int, dur: int, day: date, tz_name: str, session: str) -> PlannedItem:
    return PlannedItem(
        start=_to_dt(start, day, tz_name),
        duration_s=dur / 1000,
        kind="jingle",
        title=j.title,
        media=j.media,
        session=session,
    )
