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
before ``not_before`` / ``now`` stay exactly as they were and count towards plays per day, session
by session, so replanning unchanged inputs gives the same plan. With ``now`` (an emergency), every
emergency bulletin that still has plays left starts at ``now``, ahead of everything else still to
come (its plays count against the sessions after it); a relay it runs into joins late.

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


@lru_cache(maxsize=1024)
def _validity_reason(valid_from: date, valid_to: date) -> str:
    return f"Ngoài thời hạn hiệu lực (từ {valid_from:%d/%m/%Y} đến {valid_to:%d/%m/%Y})."


def _fit(cursor: int, dur: int, busy: Sequence[tuple[int, int]], limit: int) -> int | None:
    """The first start >= cursor where ``dur`` fits between busy intervals and ends by ``limit``."""
    for b_start, b_end in busy:
        if b_end <= cursor:
            continue
        if b_start >= cursor + dur:
            break
        cursor = b_end
    return cursor if cursor + dur <= limit else None


def _spread(group: list[int], counts: Sequence[int]) -> list[int]:
    """Repeat each index ``counts[i]`` times, never the same one twice running if avoidable.

    Greedy "most plays left first, then the given order", skipping the one just placed: the
    standard optimal strategy for avoiding adjacent repeats. With one play each it keeps ``group``.
    """
    if all(counts[i] == 1 for i in group):
        return group
    heap = [(-counts[i], i) for i in group]
    heapq.heapify(heap)
    out: list[int] = []
    last = -1
    while heap:
        c, i = heapq.heappop(heap)
        if i == last and heap:  # the one just played: take the next best, put this one back
            c, i = heapq.heapreplace(heap, (c, i))
        out.append(i)
        last = i
        if c < -1:
            heapq.heappush(heap, (c + 1, i))
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

    # 1. The past, kept as it was. Its plays are accounted session by session (step 5), so a
    # replan of unchanged inputs spreads the day exactly as the first plan did.
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

    # 2. Candidates, in play order. Per-candidate state lives in lists indexed like `cands`
    # (this runs for every station every night: it has to be lean).
    blist = bulletins if isinstance(bulletins, list | tuple) else list(bulletins)
    keyed = _candidates(blist, overrides, day, unplaced)
    cands = [k[4] for k in keyed]
    n = len(cands)
    ranks = [k[0] for k in keyed]
    ranks_t = tuple(ranks)
    wanted = [k[5] for k in keyed]
    durs = [round(b.media.duration_s * 1000) for b in cands if b.media is not None]
    index = {b.id: i for i, b in enumerate(cands)}
    aired = [done.get(b.id, 0) for b in cands] if done else [0] * n
    anchor = _day_anchor(day, tz_name)

    def to_dt(ms: int) -> datetime:
        if anchor is not None and anchor[0] <= ms < anchor[2]:
            return anchor[1] + timedelta(milliseconds=ms - anchor[0])
        return _to_dt(ms, day, tz_name)

    # 3. The emergency block at `now`: every emergency bulletin with plays left, once.
    if now is not None:
        cursor = floor
        for i, b in enumerate(cands):
            if ranks[i] == 0 and aired[i] < wanted[i]:
                d = durs[i]
                label = _session_at(windows, cursor)
                items.append((cursor, 1, _bulletin_item(b, to_dt(cursor), d, label)))
                busy.append((cursor, cursor + d))
                done_at.append((cursor, b.id))
                aired[i] += 1
                cursor += d
        block_end = cursor
    else:
        block_end = floor

    # 4. Relays at their fixed times (joining late after an emergency block).
    fixed = _fixed_relays(relays, day, tz_name, floor, block_end, unplaced)
    for s, e, r in fixed:
        item = PlannedItem(
            start=to_dt(s),
            duration_s=(e - s) / 1000,
            kind="relay",
            title=r.name,
            relay_id=r.id,
            stream_url=r.stream_url,
            session=_session_at(windows, s),
        )
        items.append((s, 2, item))
        busy.append((s, e))
    # Only fixed things are "busy": new items always start after everything placed before them.
    busy.sort()
    busy_end = max((e for _, e in busy), default=_NEVER)

    # 5. Sessions, in order, carrying what does not fit.
    jd = round(jingle.media.duration_s * 1000) if jingle is not None else 0
    if jd <= 0:
        jingle = None
    live = [w for w in windows if w[1] > block_end]
    # Plays already aired (kept, or in the emergency block), by session; those outside every
    # session come out of the shares of the sessions after them.
    done_in: list[dict[int, int]] = [{} for _ in windows]
    outside: list[tuple[int, int]] = []  # (start ms, candidate index)
    for s, bid in sorted(done_at):
        i = index.get(bid, -1)
        if i < 0:
            continue
        k = next((k for k, w in enumerate(windows) if w[0] <= s < w[1]), -1)
        if k >= 0:
            done_in[k][i] = done_in[k].get(i, 0) + 1
        else:
            outside.append((s, i))
    # Sessions already started (kept or emergency items in them): no second opening jingle, and
    # a closing one if what is there ends with a bulletin.
    started: dict[str, str] = {}
    for s, _, it in sorted(items, key=_first2):
        if it.kind != "relay":
            lab = _session_at(windows, s)
            if lab is not None:
                started[lab] = it.kind
    carry = [0] * n
    owed = [0] * n  # plays aired beyond a session's share, taken from the next shares
    n_owed = 0
    left = list(wanted)
    day_cursor = block_end
    n_win = len(windows)
    for k, (ws, we, label) in enumerate(windows):
        # This session's own share: what is left spread over the sessions left, earliest first.
        # Computed for past sessions too: what they did not air is carried like any overflow.
        counts = carry
        rem = n_win - k
        for i in range(n):
            lft = left[i]
            if lft > 0:
                share = -(-lft // rem)
                left[i] = lft - share
                counts[i] += share
        while outside and outside[0][0] < we:
            owed[outside.pop(0)[1]] += 1
            n_owed += 1
        if n_owed:
            for i in range(n):
                ow = owed[i]
                if ow and counts[i]:
                    use = ow if ow < counts[i] else counts[i]
                    counts[i] -= use
                    owed[i] = ow - use
                    n_owed -= use
        aired_here = done_in[k]
        for i, c in aired_here.items():
            if c > counts[i]:
                owed[i] += c - counts[i]
                n_owed += c - counts[i]
        carry = [0] * n
        if we <= block_end:  # over: what it did not air is carried on
            for i in range(n):
                c = counts[i] - aired_here.get(i, 0)
                if c > 0:
                    carry[i] = c
            continue
        order = _session_order(tuple(counts), ranks_t)
        if aired_here:  # under way: its play order, less what has aired
            skip = dict(aired_here)
            rest = []
            for i in order:
                if skip.get(i, 0) > 0:
                    skip[i] -= 1
                else:
                    rest.append(i)
            order = tuple(rest)
        unclosed = jingle is not None and started.get(label) == "bulletin"
        if not order and not unclosed:
            continue
        cursor = max(ws, day_cursor)
        open_at: int | None = None
        limit = we
        if jingle is not None:
            limit = we - jd
            if label not in started:
                open_at = _fit(cursor, jd, busy, limit) if busy_end > cursor else cursor
                if open_at is not None and open_at + jd > limit:
                    open_at = None
                if open_at is not None:
                    cursor = open_at + jd
        placed: list[tuple[int, int, PlannedItem]] = []
        failed: set[int] = set()
        for i in order:
            if i in failed:
                carry[i] += 1
                continue
            d = durs[i]
            st: int | None
            if cursor + d > limit:
                st = None
            elif busy_end <= cursor:
                st = cursor
                if jd and st + d + jd > we:
                    st = None
            else:
                st = _fit(cursor, d, busy, limit)
                if st is not None and jd and _fit(st + d, jd, busy, we) is None:
                    st = None
            if st is None:
                failed.add(i)
                carry[i] += 1
                continue
            placed.append((st, 3, _bulletin_item(cands[i], to_dt(st), d, label)))
            aired[i] += 1
            cursor = st + d
        if placed or unclosed:
            if jingle is not None:
                if open_at is not None:
                    items.append((open_at, 1, _jingle_item(jingle, to_dt(open_at), jd, label)))
                close_at = _fit(cursor, jd, busy, we)
                if close_at is not None:
                    placed.append((close_at, 4, _jingle_item(jingle, to_dt(close_at), jd, label)))
                    cursor = close_at + jd
            items.extend(placed)
            day_cursor = cursor

    # 6. Report what found no place.
    longest = max((w[1] - max(w[0], block_end) for w in live), default=0) - 2 * jd
    for i, b in enumerate(cands):
        if aired[i] < wanted[i]:
            reason = _no_place_reason(durs[i], aired[i], wanted[i], bool(windows), bool(live), longest)
            unplaced.append(Unplaced(b.title, reason, b.id, missing=wanted[i] - aired[i]))
    items.sort(key=_first2)
    if len(unplaced) > 1:
        rank = dict(zip(index, ranks, strict=True))
        rank.update((b.id, RANK.get(b.priority, 2)) for b in blist if b.id not in index)
        unplaced.sort(
            key=lambda u: (
                u.bulletin_id is None,
                rank.get(u.bulletin_id or 0, 2),
                u.bulletin_id or 0,
                u.relay_id or 0,
            )
        )
    return PlanResult(tuple([it for _, _, it in items]), tuple(unplaced))


def _candidates(
    bulletins: Sequence[BulletinInput], overrides: Iterable[Override], day: date, unplaced: list[Unplaced]
) -> list[tuple[int, int, date, int, BulletinInput, int]]:
    """Bulletins that may air on ``day`` as (rank, pin, valid_from, id, bulletin, plays wanted),
    sorted in play order; the others go to ``unplaced`` with the reason."""
    pins: set[int] = set()
    drops: set[int] = set()
    for o in overrides:
        if o.action == PIN:
            pins.add(o.bulletin_id)
        elif o.action == DROP:
            drops.add(o.bulletin_id)
    keyed: list[tuple[int, int, date, int, BulletinInput, int]] = []
    seen: set[int] = set()
    for b in bulletins:
        bid = b.id
        if bid in seen:
            continue
        seen.add(bid)
        if bid in drops:
            unplaced.append(Unplaced(b.title, "Người vận hành đã bỏ bản tin khỏi ngày này.", bid))
            continue
        if not (b.valid_from <= day <= b.valid_to):
            unplaced.append(Unplaced(b.title, _validity_reason(b.valid_from, b.valid_to), bid))
            continue
        pinned = bid in pins
        want = b.plays_per_day
        if pinned and want < 1:
            want = 1
        media = b.media
        if media is None:
            reason = b.not_ready or "Bản tin chưa có âm thanh: chưa dựng xong."
            unplaced.append(Unplaced(b.title, reason, bid, missing=want))
            continue
        if media.duration_s <= 0:
            unplaced.append(
                Unplaced(b.title, "Tệp âm thanh không có thời lượng (0 giây).", bid, missing=want)
            )
            continue
        if want <= 0:
            continue
        keyed.append((RANK.get(b.priority, 2), 0 if pinned else 1, b.valid_from, bid, b, want))
    keyed.sort(key=_first4)
    return keyed


def _fixed_relays(
    relays: Iterable[RelayInput],
    day: date,
    tz_name: str,
    floor: int,
    block_end: int,
    unplaced: list[Unplaced],
) -> list[tuple[int, int, RelayInput]]:
    """(start ms, end ms, relay) of the day's relays still to come, joining late after an
    emergency block; one that overlaps an earlier relay goes to ``unplaced``."""
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
    return fixed


def _first4(k: tuple[int, int, date, int, BulletinInput, int]) -> tuple[int, int, date, int]:
    return k[0], k[1], k[2], k[3]


def _first2(x: tuple[int, int, PlannedItem]) -> tuple[int, int]:
    return x[0], x[1]


def _session_at(windows: Sequence[tuple[int, int, str]], ms: int) -> str | None:
    return next((w[2] for w in windows if w[0] <= ms < w[1]), None)


@lru_cache(maxsize=4096)
def _session_order(counts: tuple[int, ...], ranks: tuple[int, ...]) -> tuple[int, ...]:
    """Candidate indexes in play order: by rank (candidates are sorted), repeats spread out.
    Cached: stations sharing the same candidates ask the same question all night."""
    order = [i for i, c in enumerate(counts) if c]
    if not order or all(counts[i] == 1 for i in order):
        return tuple(order)
    out: list[int] = []
    group: list[int] = []
    for i in order:
        if group and ranks[i] != ranks[group[0]]:
            out.extend(_spread(group, counts))
            group = []
        group.append(i)
    out.extend(_spread(group, counts))
    return tuple(out)


def _no_place_reason(dur: int, got: int, want: int, any_session: bool, any_left: bool, longest: int) -> str:
    if not any_session:
        return "Không có phiên phát nào trong ngày."
    if not any_left:
        return "Các phiên phát của ngày đã qua."
    if dur > longest:
        return f"Bản tin dài {_mmss(dur)}, vượt thời lượng phiên phát dài nhất trong ngày ({_mmss(max(longest, 0))})."
    return _no_room_reason(got, want)


@lru_cache(maxsize=256)
def _no_room_reason(got: int, want: int) -> str:
    return f"Không đủ thời lượng trong các phiên phát của ngày: phát được {got}/{want} lần."


def _bulletin_item(b: BulletinInput, start: datetime, dur: int, session: str | None) -> PlannedItem:
    return PlannedItem(
        start=start,
        duration_s=dur / 1000,
        kind="bulletin",
        title=b.title,
        priority=b.priority if b.priority in RANK else "normal",
        media=b.media,
        bulletin_id=b.id,
        session=session,
    )


def _jingle_item(j: JingleInput, start: datetime, dur: int, session: str) -> PlannedItem:
    return PlannedItem(
        start=start, duration_s=dur / 1000, kind="jingle", title=j.title, media=j.media, session=session
    )
