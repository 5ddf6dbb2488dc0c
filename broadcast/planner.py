"""Plan one station's day: which bulletins, relays and jingles air when.

A pure function over frozen dataclasses (no database, no clock): the same inputs always give the
same playlist, so a plan can be tested by its invariants and regenerated without surprises.

The rules, in the order they are applied:

* relays (tiếp sóng) sit at their fixed times; bulletins flow around them, never over them;
* a bulletin airs only on days inside its validity window and never past the end of its
  session (session start + ``max_minutes``);
* its plays per day are spread over the day's sessions, evening included: an even share each,
  and the remainder on sessions evenly spaced over the day (2 plays, 3 sessions: first and last;
  3 plays, 2 sessions: 2 + 1); a play that does not fit is carried to the next session, and
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
come (its plays count against the sessions after it); a relay it runs into joins late. In that
block the emergencies confirmed since they last aired go first, newest confirmed first.

Times are handled as integer milliseconds since the epoch, so arithmetic is exact and wall-clock
times are converted through the station's timezone once (correct across DST changes too).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
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
    #: Languages aired besides Vietnamese (ISO 639-3), in the order their versions air.
    languages: tuple[str, ...] = ()


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
    #: When a reviewer last approved it: the emergency confirmed last airs first.
    confirmed_at: datetime | None = None
    #: Place among bulletins of its level: a commune puts a higher unit's priority bulletin before
    #: (-1) or after (1) its own (0) (Circular 39; see broadcast/inbox.py).
    order: int = 0
    #: Its versions in other languages (Decree 49), aired right after it where the station airs them.
    versions: tuple[VersionInput, ...] = ()


@dataclass(frozen=True, slots=True)
class VersionInput:
    """A bulletin's version in another language, with its rendered audio."""

    language: str
    media: MediaRef
    title: str


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
    #: ISO 639-3 code of a version in another language; "" for the bulletin's main version.
    language: str = ""

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


@dataclass(slots=True)
class _Run:
    """The working state of one ``plan_day`` call (never shared between calls)."""

    day: date
    tz_name: str
    #: (start ms, end ms, "HH:MM") of the day's sessions, in time order.
    windows: list[tuple[int, int, str]]
    #: Nothing new starts before this (``now`` / ``not_before``), ``_NEVER`` for a whole day.
    floor: int
    items: list[tuple[int, int, PlannedItem]] = field(default_factory=list)  # (start ms, tie, item)
    unplaced: list[Unplaced] = field(default_factory=list)
    busy: list[tuple[int, int]] = field(default_factory=list)
    #: (start ms, bulletin id) of the plays already placed: kept, then the emergency block.
    done_at: list[tuple[int, int]] = field(default_factory=list)
    anchor: tuple[int, datetime, int] | None = None

    def to_dt(self, ms: int) -> datetime:
        anchor = self.anchor
        if anchor is not None and anchor[0] <= ms < anchor[2]:
            return anchor[1] + timedelta(milliseconds=ms - anchor[0])
        return _to_dt(ms, self.day, self.tz_name)


@dataclass(slots=True)
class _Cands:
    """The bulletins that may air, in play order; per-candidate state in lists indexed alike
    (this runs for every station every night: it has to be lean)."""

    items: list[BulletinInput]
    ranks: list[int]
    wanted: list[int]
    durs: list[int]
    aired: list[int]
    index: dict[int, int]


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
    floor = _ms(now) if now is not None else _ms(not_before) if not_before is not None else _NEVER
    if now is not None and now.astimezone(zone(tz_name)).date() != day:
        now = None  # an emergency only reshapes the day it happens on
    run = _Run(day, tz_name, _windows(sessions, day, tz_name), floor, anchor=_day_anchor(day, tz_name))
    done = _keep_past(run, kept, emergency=now is not None)  # 1.
    given = bulletins if isinstance(bulletins, list | tuple) else list(bulletins)
    blist = _station_versions(given, station.languages)
    cands = _make_cands(blist, overrides, day, done, run.unplaced)  # 2.
    block_end = _emergency_block(run, cands) if now is not None else floor  # 3.
    _place_relays(run, relays, block_end)  # 4.
    jd = round(jingle.media.duration_s * 1000) if jingle is not None else 0
    _plan_sessions(run, cands, jingle if jd > 0 else None, block_end)  # 5.
    _report_unplaced(run, cands, blist, block_end, max(jd, 0))  # 6.
    run.items.sort(key=_first2)
    return PlanResult(tuple([it for _, _, it in run.items]), tuple(run.unplaced))


def _windows(sessions: Iterable[SessionInput], day: date, tz_name: str) -> list[tuple[int, int, str]]:
    """(start ms, end ms, label) of the sessions that apply on ``day``, in time order."""
    out: list[tuple[int, int, str]] = []
    for x in sorted((x for x in sessions if x.applies(day)), key=lambda x: (x.start, x.id)):
        ws = _local_ms(day, x.start, tz_name)
        out.append((ws, ws + x.max_minutes * 60_000, f"{x.start:%H:%M}"))
    return out


def _keep_past(run: _Run, kept: Sequence[PlannedItem], *, emergency: bool) -> dict[int, int]:
    """1. The past, kept as it was; returns plays aired per bulletin id. The plays are accounted
    session by session later (step 5), so a replan of unchanged inputs spreads the day exactly as
    the first plan did."""
    done: dict[int, int] = {}
    floor = run.floor
    for it in kept:
        s = _ms(it.start)
        if s >= floor:
            continue
        e = s + round(it.duration_s * 1000)
        run.items.append((s, 0, it))
        run.busy.append((s, min(e, floor) if emergency else e))
        if it.kind == "bulletin" and it.bulletin_id is not None and not it.language:
            done[it.bulletin_id] = done.get(it.bulletin_id, 0) + 1
            run.done_at.append((s, it.bulletin_id))
    return done


def _make_cands(
    blist: Sequence[BulletinInput],
    overrides: Iterable[Override],
    day: date,
    done: dict[int, int],
    unplaced: list[Unplaced],
) -> _Cands:
    """2. The candidates, in play order, with their plays wanted and already aired."""
    keyed = _candidates(blist, overrides, day, unplaced)
    items = [k[1] for k in keyed]
    return _Cands(
        items=items,
        ranks=[k[0][0] for k in keyed],
        wanted=[k[2] for k in keyed],
        durs=[_block_ms(b) for b in items if b.media is not None],
        aired=[done.get(b.id, 0) for b in items] if done else [0] * len(items),
        index={b.id: i for i, b in enumerate(items)},
    )


def _emergency_block(run: _Run, cands: _Cands) -> int:
    """3. The emergency block at ``now``: every emergency bulletin with plays left, once; returns
    where it ends. The ones confirmed since they last aired go first, newest confirmed first, so
    an emergency just confirmed is never kept waiting behind one that already aired today."""
    cursor = run.floor
    pending = [i for i, r in enumerate(cands.ranks) if r == 0 and cands.aired[i] < cands.wanted[i]]
    for i in _block_order(pending, cands.items, run.done_at):
        b, d = cands.items[i], cands.durs[i]
        label = _session_at(run.windows, cursor)
        run.items.extend(_bulletin_items(b, run, cursor, 1, label))
        run.busy.append((cursor, cursor + d))
        run.done_at.append((cursor, b.id))
        cands.aired[i] += 1
        cursor += d
    return cursor


def _block_order(
    pending: list[int], items: Sequence[BulletinInput], done_at: Sequence[tuple[int, int]]
) -> list[int]:
    """``pending`` (in play order) with the fresh emergencies first, newest confirmed first.

    Fresh: confirmed (``confirmed_at``) and not aired since; one that aired after its confirmation
    (earlier today) keeps its place behind them."""
    fresh: list[tuple[int, int]] = []  # (-confirmed ms, candidate index)
    for i in pending:
        conf = items[i].confirmed_at
        if conf is None:
            continue
        c = _ms(conf)
        bid = items[i].id
        if not any(b == bid and s >= c for s, b in done_at):
            fresh.append((-c, i))
    if not fresh:
        return pending
    fresh.sort()
    first = [i for _, i in fresh]
    chosen = set(first)
    return first + [i for i in pending if i not in chosen]


def _place_relays(run: _Run, relays: Iterable[RelayInput], block_end: int) -> None:
    """4. Relays at their fixed times (joining late after an emergency block). Only fixed things
    are "busy": new items always start after everything placed before them."""
    kept_ids = frozenset(
        it.relay_id for _, _, it in run.items if it.kind == "relay" and it.relay_id is not None
    )
    for s, e, r in _fixed_relays(relays, run.day, run.tz_name, run.floor, block_end, run.unplaced, kept_ids):
        item = PlannedItem(
            start=run.to_dt(s),
            duration_s=(e - s) / 1000,
            kind="relay",
            title=r.name,
            relay_id=r.id,
            stream_url=r.stream_url,
            session=_session_at(run.windows, s),
        )
        run.items.append((s, 2, item))
        run.busy.append((s, e))
    run.busy.sort()


@dataclass(slots=True)
class _Ledger:
    """Plays carried from session to session: what did not fit (``carry``) and what aired beyond
    a session's share (``owed``, taken from the next shares)."""

    n: int
    carry: list[int]
    owed: list[int]
    n_owed: int = 0

    def take_owed(self, counts: list[int]) -> None:
        if not self.n_owed:
            return
        owed = self.owed
        for i in range(self.n):
            ow = owed[i]
            if ow and counts[i]:
                use = ow if ow < counts[i] else counts[i]
                counts[i] -= use
                owed[i] = ow - use
                self.n_owed -= use

    def owe(self, i: int, plays: int) -> None:
        self.owed[i] += plays
        self.n_owed += plays


def _plan_sessions(run: _Run, cands: _Cands, jingle: JingleInput | None, block_end: int) -> None:
    """5. Sessions, in order, each with its share of the plays plus what earlier ones could not take."""
    n = len(cands.items)
    windows = run.windows
    done_in, outside = _aired_by_session(run, cands.index)
    started = _started_sessions(run)
    shares = [_shares(w, len(windows)) for w in cands.wanted]
    ranks_t = tuple(cands.ranks)
    ledger = _Ledger(n, [0] * n, [0] * n)
    busy_end = max((e for _, e in run.busy), default=_NEVER)
    day_cursor = block_end
    for k, (ws, we, label) in enumerate(windows):
        # This session's own share; computed for past sessions too: what they did not air is
        # carried on like any overflow.
        counts = ledger.carry
        for i in range(n):
            counts[i] += shares[i][k]
        while outside and outside[0][0] < we:
            ledger.owe(outside.pop(0)[1], 1)
        ledger.take_owed(counts)
        aired_here = done_in[k]
        for i, c in aired_here.items():
            if c > counts[i]:
                ledger.owe(i, c - counts[i])
        ledger.carry = [0] * n
        if we <= block_end:  # over: what it did not air is carried on
            for i in range(n):
                c = counts[i] - aired_here.get(i, 0)
                if c > 0:
                    ledger.carry[i] = c
            continue
        order = _less_aired(_session_order(tuple(counts), ranks_t), aired_here)
        unclosed = jingle is not None and started.get(label) == "bulletin"
        if not order and not unclosed:
            continue
        fill = _Fill(run, cands, jingle, ledger.carry, busy_end)
        day_cursor = fill.session(
            max(ws, day_cursor), we, label, order, label not in started, unclosed, day_cursor
        )


def _aired_by_session(run: _Run, index: dict[int, int]) -> tuple[list[dict[int, int]], list[tuple[int, int]]]:
    """Plays already aired (kept, or in the emergency block) per session as {candidate: plays},
    and those outside every session as (start ms, candidate), which come out of the shares of the
    sessions after them."""
    windows = run.windows
    done_in: list[dict[int, int]] = [{} for _ in windows]
    outside: list[tuple[int, int]] = []
    for s, bid in sorted(run.done_at):
        i = index.get(bid, -1)
        if i < 0:
            continue
        k = next((k for k, w in enumerate(windows) if w[0] <= s < w[1]), -1)
        if k >= 0:
            done_in[k][i] = done_in[k].get(i, 0) + 1
        else:
            outside.append((s, i))
    return done_in, outside


def _started_sessions(run: _Run) -> dict[str, str]:
    """Sessions already started (kept or emergency items in them) -> kind of their last item:
    they get no second opening jingle, and a closing one if they end with a bulletin."""
    started: dict[str, str] = {}
    for s, _, it in sorted(run.items, key=_first2):
        if it.kind != "relay":
            lab = _session_at(run.windows, s)
            if lab is not None:
                started[lab] = it.kind
    return started


def _less_aired(order: tuple[int, ...], aired_here: dict[int, int]) -> tuple[int, ...]:
    """A session under way: its play order, less what has aired."""
    if not aired_here:
        return order
    skip = dict(aired_here)
    rest = []
    for i in order:
        if skip.get(i, 0) > 0:
            skip[i] -= 1
        else:
            rest.append(i)
    return tuple(rest)


class _Fill:
    """Places one session's bulletins between its jingles, around the fixed items."""

    __slots__ = ("run", "cands", "jingle", "jd", "carry", "busy_end")

    def __init__(self, run: _Run, cands: _Cands, jingle: JingleInput | None, carry: list[int], busy_end: int):
        self.run, self.cands, self.jingle, self.carry, self.busy_end = run, cands, jingle, carry, busy_end
        self.jd = round(jingle.media.duration_s * 1000) if jingle is not None else 0

    def session(
        self,
        cursor: int,
        we: int,
        label: str,
        order: tuple[int, ...],
        opens: bool,
        unclosed: bool,
        day_cursor: int,
    ) -> int:
        """Fill the session ending at ``we`` from ``cursor``; returns the new day cursor. What does
        not fit goes to ``carry``."""
        run, jingle, jd = self.run, self.jingle, self.jd
        open_at: int | None = None
        limit = we - jd
        if jingle is not None and opens:
            open_at = _fit(cursor, jd, run.busy, limit) if self.busy_end > cursor else cursor
            if open_at is not None and open_at + jd > limit:
                open_at = None
            if open_at is not None:
                cursor = open_at + jd
        placed, cursor = self._bulletins(cursor, we, limit, label, order)
        if not placed and not unclosed:
            return day_cursor
        if jingle is not None:
            if open_at is not None:
                run.items.append((open_at, 1, _jingle_item(jingle, run.to_dt(open_at), jd, label)))
            close_at = _fit(cursor, jd, run.busy, we)
            if close_at is not None:
                placed.append((close_at, 4, _jingle_item(jingle, run.to_dt(close_at), jd, label)))
                cursor = close_at + jd
        run.items.extend(placed)
        return cursor

    def _bulletins(
        self, cursor: int, we: int, limit: int, label: str, order: tuple[int, ...]
    ) -> tuple[list[tuple[int, int, PlannedItem]], int]:
        cands, run, carry = self.cands, self.run, self.carry
        placed: list[tuple[int, int, PlannedItem]] = []
        failed: set[int] = set()
        for i in order:
            st = None if i in failed else self._slot(cursor, cands.durs[i], limit, we)
            if st is None:
                failed.add(i)
                carry[i] += 1
                continue
            d = cands.durs[i]
            placed.extend(_bulletin_items(cands.items[i], run, st, 3, label))
            cands.aired[i] += 1
            cursor = st + d
        return placed, cursor

    def _slot(self, cursor: int, d: int, limit: int, we: int) -> int | None:
        """Where a bulletin of ``d`` ms starts at or after ``cursor``, leaving room for the closing
        jingle before ``we``; None when it does not fit."""
        jd = self.jd
        if cursor + d > limit:
            return None
        if self.busy_end <= cursor:
            return None if jd and cursor + d + jd > we else cursor
        st = _fit(cursor, d, self.run.busy, limit)
        if st is not None and jd and _fit(st + d, jd, self.run.busy, we) is None:
            return None
        return st


@lru_cache(maxsize=1024)
def _shares(plays: int, n_sessions: int) -> tuple[int, ...]:
    """Plays per session for ``plays`` over ``n_sessions``: an even base, and the remainder on
    sessions evenly spaced over the day (first and last when there are two or more), so a
    bulletin's plays reach the evening too instead of bunching into the earliest sessions."""
    if n_sessions <= 0:
        return ()
    base, extra = divmod(plays, n_sessions)
    out = [base] * n_sessions
    if extra == 1:
        out[0] += 1
    elif extra > 1:
        step = (n_sessions - 1) / (extra - 1)
        for k in range(extra):
            out[int(k * step + 0.5)] += 1
    return tuple(out)


def _report_unplaced(
    run: _Run, cands: _Cands, blist: Sequence[BulletinInput], block_end: int, jd: int
) -> None:
    """6. Report what found no place, with the reason, most urgent first."""
    windows = run.windows
    live = [w for w in windows if w[1] > block_end]
    longest = max((w[1] - max(w[0], block_end) for w in live), default=0) - 2 * jd
    unplaced = run.unplaced
    for i, b in enumerate(cands.items):
        got, want = cands.aired[i], cands.wanted[i]
        if got < want:
            reason = _no_place_reason(cands.durs[i], got, want, bool(windows), bool(live), longest)
            unplaced.append(Unplaced(b.title, reason, b.id, missing=want - got))
    if len(unplaced) > 1:
        rank = dict(zip(cands.index, cands.ranks, strict=True))
        rank.update((b.id, RANK.get(b.priority, 2)) for b in blist if b.id not in cands.index)
        unplaced.sort(
            key=lambda u: (
                u.bulletin_id is None,
                rank.get(u.bulletin_id or 0, 2),
                u.bulletin_id or 0,
                u.relay_id or 0,
            )
        )


_Key = tuple[int, int, int, int, date, int]


def _candidates(
    bulletins: Sequence[BulletinInput], overrides: Iterable[Override], day: date, unplaced: list[Unplaced]
) -> list[tuple[_Key, BulletinInput, int]]:
    """Bulletins that may air on ``day`` as (sort key, bulletin, plays wanted), sorted in play
    order; the others go to ``unplaced`` with the reason. The key is (rank, pin, newest confirmed
    emergency first, the commune's order, valid_from, id)."""
    pins: set[int] = set()
    drops: set[int] = set()
    for o in overrides:
        if o.action == PIN:
            pins.add(o.bulletin_id)
        elif o.action == DROP:
            drops.add(o.bulletin_id)
    keyed: list[tuple[_Key, BulletinInput, int]] = []
    seen: set[int] = set()
    for b in bulletins:
        if b.id in seen:
            continue
        seen.add(b.id)
        want = max(b.plays_per_day, 1) if b.id in pins else b.plays_per_day
        refused = _refusal(b, b.id in drops, day, want)
        if refused is not None:
            if refused[0]:
                unplaced.append(Unplaced(b.title, refused[0], b.id, missing=refused[1]))
            continue
        rank = RANK.get(b.priority, 2)
        conf = -_ms(b.confirmed_at) if rank == 0 and b.confirmed_at is not None else 0
        keyed.append(((rank, 0 if b.id in pins else 1, conf, b.order, b.valid_from, b.id), b, want))
    keyed.sort(key=_key_of)
    return keyed


def _refusal(b: BulletinInput, dropped: bool, day: date, want: int) -> tuple[str, int] | None:
    """Why ``b`` cannot air on ``day`` and the plays that go missing; ("", 0) to leave it out
    silently (no plays wanted); None when it is a candidate."""
    if dropped:
        return "Người vận hành đã bỏ bản tin khỏi ngày này.", 0
    if not (b.valid_from <= day <= b.valid_to):
        return _validity_reason(b.valid_from, b.valid_to), 0
    if b.media is None:
        return b.not_ready or "Bản tin chưa có âm thanh: chưa dựng xong.", want
    if b.media.duration_s <= 0:
        return "Tệp âm thanh không có thời lượng (0 giây).", want
    if want <= 0:
        return "", 0
    return None


def _fixed_relays(
    relays: Iterable[RelayInput],
    day: date,
    tz_name: str,
    floor: int,
    block_end: int,
    unplaced: list[Unplaced],
    kept_ids: frozenset[int] = frozenset(),
) -> list[tuple[int, int, RelayInput]]:
    """(start ms, end ms, relay) of the day's relays still to come, joining late after an
    emergency block; one that overlaps an earlier relay (``kept_ids``: those kept from the version
    on air) goes to ``unplaced``, as it did when the day was first planned."""
    fixed: list[tuple[int, int, RelayInput]] = []
    past: list[tuple[int, int, RelayInput]] = []
    for r in sorted(relays, key=lambda r: (r.start, r.id)):
        if not r.applies(day) or r.duration_min <= 0:
            continue
        s = _local_ms(day, r.start, tz_name)
        e = s + r.duration_min * 60_000
        if s < floor:  # already in the past; what aired is in `kept`
            if r.id in kept_ids:
                past.append((s, e, r))
            continue
        s = max(s, block_end)
        if s >= e:
            unplaced.append(Unplaced(r.name, "Tiếp sóng bị thay bởi bản tin khẩn cấp.", relay_id=r.id))
            continue
        clash = next((f for f in (*past, *fixed) if f[0] < e and s < f[1]), None)
        if clash is not None:
            unplaced.append(Unplaced(r.name, f"Trùng giờ với tiếp sóng «{clash[2].name}».", relay_id=r.id))
            continue
        fixed.append((s, e, r))
    return fixed


def _key_of(k: tuple[_Key, BulletinInput, int]) -> _Key:
    return k[0]


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


def _station_versions(blist: Sequence[BulletinInput], languages: tuple[str, ...]) -> Sequence[BulletinInput]:
    """The bulletins with only the versions this station airs, in the station's language order."""
    if not any(b.versions for b in blist):
        return blist
    order = {code: i for i, code in enumerate(languages)}
    out = []
    for b in blist:
        if b.versions:
            keep = sorted((v for v in b.versions if v.language in order), key=lambda v: order[v.language])
            b = replace(b, versions=tuple(keep))
        out.append(b)
    return out


def _version_ms(b: BulletinInput) -> list[int]:
    """Length of each part of a bulletin's block: the main version, then each other language."""
    assert b.media is not None
    return [round(b.media.duration_s * 1000), *(round(v.media.duration_s * 1000) for v in b.versions)]


def _block_ms(b: BulletinInput) -> int:
    return sum(_version_ms(b)) if b.versions else round(b.media.duration_s * 1000) if b.media else 0


def _bulletin_items(
    b: BulletinInput, run: _Run, start: int, tie: int, session: str | None
) -> list[tuple[int, int, PlannedItem]]:
    """One play of a bulletin: its main version, then its other versions one after the other."""
    if not b.versions:
        return [(start, tie, _bulletin_item(b, run.to_dt(start), _block_ms(b), session))]
    lengths = _version_ms(b)
    out = [(start, tie, _bulletin_item(b, run.to_dt(start), lengths[0], session))]
    cursor = start + lengths[0]
    for v, d in zip(b.versions, lengths[1:], strict=True):
        item = replace(
            _bulletin_item(b, run.to_dt(cursor), d, session), title=v.title, media=v.media, language=v.language
        )
        out.append((cursor, tie, item))
        cursor += d
    return out


def _jingle_item(j: JingleInput, start: datetime, dur: int, session: str) -> PlannedItem:
    return PlannedItem(
        start=start, duration_s=dur / 1000, kind="jingle", title=j.title, media=j.media, session=session
    )
