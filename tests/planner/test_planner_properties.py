"""Invariants of the planner over random days (hypothesis)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from broadcast.planner import (
    RANK,
    BulletinInput,
    JingleInput,
    Override,
    PlanResult,
    RelayInput,
    SessionInput,
    plan_day,
    zone,
)
from tests.planner.builders import DAY, STATION, media

TZ = zone(STATION.timezone)


@st.composite
def sessions_st(draw, overlapping: bool = True) -> list[SessionInput]:
    n = draw(st.integers(0, 4))
    out = []
    minute = draw(st.integers(0, 120)) + 4 * 60
    for i in range(n):
        length = draw(st.integers(1, 60))
        out.append(
            SessionInput(
                i + 1, time(minute // 60, minute % 60), length, draw(st.sampled_from(["1234567", "2", "67"]))
            )
        )
        gap = draw(st.integers(-30, 300)) if overlapping else draw(st.integers(0, 300))
        minute = min(minute + length + gap, 23 * 60)
    return out


@st.composite
def bulletins_st(draw) -> list[BulletinInput]:
    n = draw(st.integers(0, 14))
    out = []
    for i in range(n):
        vf = DAY + timedelta(days=draw(st.integers(-3, 1)))
        vt = vf + timedelta(days=draw(st.integers(0, 4)))
        dur = draw(st.floats(1, 900, allow_nan=False).map(lambda x: round(x, 3)))
        rendered = i % 7 != 0 or draw(st.booleans())
        out.append(
            BulletinInput(
                i + 1,
                f"Bản tin {i + 1}",
                draw(st.sampled_from(list(RANK))),
                vf,
                vt,
                draw(st.integers(0, 4)),
                media(i + 1, dur) if rendered else None,
            )
        )
    return out


@st.composite
def relays_st(draw) -> list[RelayInput]:
    out = []
    for i in range(draw(st.integers(0, 3))):
        minute = draw(st.integers(4 * 60, 20 * 60))
        out.append(
            RelayInput(
                i + 1, f"VOV {i}", f"http://s/{i}", time(minute // 60, minute % 60), draw(st.integers(1, 30))
            )
        )
    return out


@st.composite
def day_st(draw, overlapping: bool = True, with_relays: bool = True):
    sessions = draw(sessions_st(overlapping))
    bulletins = draw(bulletins_st())
    relays = draw(relays_st()) if with_relays else []
    jingle = JingleInput(media(9999, draw(st.integers(1, 20)))) if draw(st.booleans()) else None
    overrides = []
    for b in bulletins:
        action = draw(st.sampled_from([None, None, None, "pin", "drop"]))
        if action:
            overrides.append(Override(b.id, action))
    return sessions, bulletins, relays, jingle, overrides


def ms(dt: datetime) -> int:
    return round(dt.timestamp() * 1000)


def windows(sessions) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for s in sessions:
        if s.applies(DAY):
            start = ms(datetime.combine(DAY, s.start, tzinfo=TZ))
            out.setdefault(f"{s.start:%H:%M}", []).append((start, start + s.max_minutes * 60_000))
    return out


def wanted(b: BulletinInput, overrides) -> int:
    pinned = any(o.bulletin_id == b.id and o.action == "pin" for o in overrides)
    return max(b.plays_per_day, 1 if pinned else 0)


def check_no_overlap(items) -> None:
    spans = sorted((ms(it.start), ms(it.start) + round(it.duration_s * 1000)) for it in items)
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert e1 <= s2, "overlap"


@settings(max_examples=200, deadline=None)
@given(day_st())
def test_invariants(day) -> None:
    sessions, bulletins, relays, jingle, overrides = day
    plan = plan_day(STATION, DAY, sessions, bulletins, relays, jingle=jingle, overrides=overrides)
    by_id = {b.id: b for b in bulletins}
    dropped = {o.bulletin_id for o in overrides if o.action == "drop"}
    wins = windows(sessions)

    check_no_overlap(plan.items)
    assert [it.start for it in plan.items] == sorted(it.start for it in plan.items)
    for it in plan.items:
        assert it.start.utcoffset() == timedelta(hours=7)
        assert it.duration_s > 0
        if it.kind == "relay":
            continue
        # inside its own session, never past its end
        s, e = ms(it.start), ms(it.start) + round(it.duration_s * 1000)
        assert any(ws <= s and e <= we for ws, we in wins[it.session])
        if it.kind == "bulletin":
            b = by_id[it.bulletin_id]
            assert b.valid_from <= DAY <= b.valid_to
            assert b.id not in dropped and b.media is not None
            assert it.media == b.media and it.priority == b.priority

    # priority order within each session
    per_session: dict[str, list[int]] = {}
    for it in plan.items:
        if it.kind == "bulletin":
            per_session.setdefault(it.session, []).append(RANK[it.priority])
    for ranks in per_session.values():
        assert ranks == sorted(ranks)

    # plays per day never exceeded; every missing play is accounted for in "unplaced"
    aired = Counter(it.bulletin_id for it in plan.items if it.kind == "bulletin")
    missing = Counter()
    for u in plan.unplaced:
        if u.bulletin_id is not None:
            missing[u.bulletin_id] += u.missing
    for b in bulletins:
        w = wanted(b, overrides)
        assert aired[b.id] <= w
        eligible = b.id not in dropped and b.valid_from <= DAY <= b.valid_to and b.media is not None
        if eligible:
            assert aired[b.id] + missing[b.id] == w

    # jingles open and close every session that airs a bulletin (when nothing else is in the way)
    if jingle is not None and not relays:
        for label in per_session:
            seq = [it.kind for it in plan.items if it.session == label]
            assert seq[0] == seq[-1] == "jingle"


@settings(max_examples=150, deadline=None)
@given(day_st(overlapping=False, with_relays=False))
def test_all_plays_placed_when_there_is_room(day) -> None:
    sessions, bulletins, _, jingle, overrides = day
    todays = [s for s in sessions if s.applies(DAY)]
    dropped = {o.bulletin_id for o in overrides if o.action == "drop"}
    eligible = [
        b
        for b in bulletins
        if b.id not in dropped and b.valid_from <= DAY <= b.valid_to and b.media is not None
    ]
    need = sum(wanted(b, overrides) * b.media.duration_s for b in eligible if b.media)
    need += 2 * (jingle.media.duration_s if jingle else 0)
    if not todays or need + 1 > min(s.max_minutes for s in todays) * 60:
        return
    plan = plan_day(STATION, DAY, sessions, bulletins, [], jingle=jingle, overrides=overrides)
    aired = Counter(it.bulletin_id for it in plan.items if it.kind == "bulletin")
    for b in eligible:
        assert aired[b.id] == wanted(b, overrides)
    assert all(u.missing == 0 for u in plan.unplaced if u.bulletin_id in {b.id for b in eligible})


@settings(max_examples=100, deadline=None)
@given(day_st(), st.randoms(use_true_random=False))
def test_deterministic_whatever_the_input_order(day, rnd: random.Random) -> None:
    sessions, bulletins, relays, jingle, overrides = day
    first: PlanResult = plan_day(
        STATION, DAY, sessions, bulletins, relays, jingle=jingle, overrides=overrides
    )
    shuffled = [list(x) for x in (sessions, bulletins, relays, overrides)]
    for x in shuffled:
        rnd.shuffle(x)
    again = plan_day(
        STATION, DAY, shuffled[0], shuffled[1], shuffled[2], jingle=jingle, overrides=shuffled[3]
    )
    assert again == first


@settings(max_examples=150, deadline=None)
@given(day_st(), st.integers(3 * 60, 23 * 60), st.booleans())
def test_replanning_mid_day_keeps_the_past(day, minute: int, emergency: bool) -> None:
    sessions, bulletins, relays, jingle, overrides = day
    regular = plan_day(STATION, DAY, sessions, bulletins, relays, jingle=jingle, overrides=overrides)
    now = datetime.combine(DAY, time(minute // 60, minute % 60), tzinfo=TZ)
    kw = {"now": now} if emergency else {"not_before": now}
    plan = plan_day(
        STATION,
        DAY,
        sessions,
        bulletins,
        relays,
        jingle=jingle,
        overrides=overrides,
        kept=regular.items,
        **kw,
    )
    past = [it for it in regular.items if it.start < now]
    assert [it for it in plan.items if it.start < now] == past
    new = [it for it in plan.items if it.start >= now]
    check_no_overlap(new)
    if not emergency:
        check_no_overlap(plan.items)
    aired = Counter(it.bulletin_id for it in plan.items if it.kind == "bulletin")
    for b in bulletins:
        assert aired[b.id] <= wanted(b, overrides)
    if emergency:
        # every emergency bulletin with plays left is in the block at `now`, before anything else new
        done = Counter(it.bulletin_id for it in past if it.kind == "bulletin")
        block = [
            b.id
            for b in sorted(bulletins, key=lambda b: (b.valid_from, b.id))
            if b.priority == "emergency"
            and b.media is not None
            and b.valid_from <= DAY <= b.valid_to
            and b.id not in {o.bulletin_id for o in overrides if o.action == "drop"}
            and wanted(b, overrides) > done[b.id]
        ]
        pinned = {o.bulletin_id for o in overrides if o.action == "pin"}
        block.sort(key=lambda i: 0 if i in pinned else 1)
        assert [it.bulletin_id for it in new[: len(block)]] == block
        if block:
            assert new[0].start == now
    else:
        assert all(it.kind != "bulletin" or it.session is not None for it in new)


def test_invariants_hold_for_a_day_with_no_inputs() -> None:
    assert plan_day(STATION, date(2026, 12, 1), [], [], []) == PlanResult((), ())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=8))
def test_repeats_are_spread_with_the_fewest_back_to_back_plays(plays: list[int]) -> None:
    from broadcast.planner import _spread

    group = list(range(len(plays)))
    out = _spread(group, plays)
    assert Counter(out) == {i: c for i, c in enumerate(plays)}
    repeats = sum(1 for a, b in zip(out, out[1:], strict=False) if a == b)
    most, total = max(plays), sum(plays)
    assert repeats == max(0, most - (total - most) - 1)  # the least any order can do
    if all(c == 1 for c in plays):
        assert out == group  # the priority/tie-break order is kept


@settings(max_examples=300, deadline=None)
@given(day_st(overlapping=False), st.integers(3 * 60, 23 * 60))
def test_replanning_unchanged_inputs_changes_nothing(day, minute: int) -> None:
    sessions, bulletins, relays, jingle, overrides = day
    regular = plan_day(STATION, DAY, sessions, bulletins, relays, jingle=jingle, overrides=overrides)
    now = datetime.combine(DAY, time(minute // 60, minute % 60), tzinfo=TZ)
    again = plan_day(
        STATION,
        DAY,
        sessions,
        bulletins,
        relays,
        jingle=jingle,
        overrides=overrides,
        not_before=now,
        kept=regular.items,
    )
    assert again.items == regular.items


@settings(max_examples=300, deadline=None)
@given(day_st(overlapping=False), st.integers(3 * 60, 22 * 60), st.integers(0, 120))
def test_replanning_after_an_emergency_changes_nothing(day, minute: int, later_min: int) -> None:
    sessions, bulletins, relays, jingle, overrides = day
    kw = {"jingle": jingle, "overrides": overrides}
    regular = plan_day(STATION, DAY, sessions, bulletins, relays, **kw)
    now = datetime.combine(DAY, time(minute // 60, minute % 60), tzinfo=TZ)
    emergency = plan_day(STATION, DAY, sessions, bulletins, relays, **kw, now=now, kept=regular.items)
    block_end = now
    for it in emergency.items:
        if it.start == block_end and it.priority == "emergency":
            block_end = it.end
    later = block_end + timedelta(minutes=later_min)
    again = plan_day(STATION, DAY, sessions, bulletins, relays, **kw, not_before=later, kept=emergency.items)
    assert again.items == emergency.items
