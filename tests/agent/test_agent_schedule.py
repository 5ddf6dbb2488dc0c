"""The pure playout policy: what airs when, what is skipped, what an emergency does."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcast.agent.manifest import Item, Manifest
from broadcast.agent.schedule import (
    SKIP_EMERGENCY_LATE,
    SKIP_LATE,
    SKIP_NO_MEDIA,
    SKIP_RELAY_OVER,
    Entry,
    Rules,
    build_entries,
    interrupting_emergency,
    next_actions,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 11, 26)
T0 = datetime(2026, 11, 26, 5, 30, tzinfo=TZ)


def item(offset_s: float, duration: float, sha: str, **kw: object) -> Item:
    fields: dict = {
        "start": T0 + timedelta(seconds=offset_s),
        "duration_s": duration,
        "kind": "bulletin",
        "title": sha,
        "priority": "normal",
        "sha256": sha * 64 if len(sha) == 1 else sha,
        "size": 1,
        "url": "/x",
    }
    fields.update(kw)
    return Item(**fields)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def session(*items: Item, version: int = 1) -> list[Entry]:
    return build_entries([Manifest("XA", DAY, version, tuple(items))])


ALL = {c * 64 for c in "abcdef"}


def test_waits_until_the_first_item_then_airs_it_whole() -> None:
    entries = session(item(0, 60, "a"), item(61, 60, "b"))
    d = next_actions(entries, at(-100), set(), ALL)
    assert d.play is None and d.wake_at == T0
    d = next_actions(entries, at(0), set(), ALL)
    assert d.play is entries[0] and d.play_seconds == 60
    first_key = entries[0].key
    d = next_actions(entries, at(60.5), {first_key}, ALL)
    assert d.play is None and d.wake_at == at(61)


def test_late_item_airs_if_it_fits_in_the_session_plus_tolerance_else_is_skipped() -> None:
    entries = session(item(0, 60, "a"), item(60, 30, "b"))
    rules = Rules(max_late_s=300)
    # session ends at +90 s; "a" may start as late as +90+300-60 = +330 s, "b" until +360 s
    assert next_actions(entries, at(330), set(), ALL, rules).play is entries[0]
    d = next_actions(entries, at(331), set(), ALL, rules)
    assert d.skips == ((entries[0], SKIP_LATE),)
    assert d.play is entries[1]
    d = next_actions(entries, at(1000), set(), ALL, rules)
    assert [reason for _, reason in d.skips] == [SKIP_LATE, SKIP_LATE] and d.play is None


def test_cut_item_is_replayed_when_it_still_fits() -> None:
    # "cut" is not a final status, so the key is not in done: the item is simply due again
    entries = session(item(0, 120, "a"), item(120, 30, "b"))
    # session end +150 s, tolerance 60 s: "a" (120 s) may start again up to +90 s, from its beginning
    d = next_actions(entries, at(90), set(), ALL, Rules(max_late_s=60))
    assert d.play is entries[0] and d.play_seconds == 120


def test_cut_item_is_skipped_when_it_no_longer_fits() -> None:
    entries = session(item(0, 120, "a"), item(120, 30, "b"))
    # session end +150 s, tolerance 60 s: "a" (120 s) must start by +90 s
    d = next_actions(entries, at(91), set(), ALL, Rules(max_late_s=60))
    assert d.skips == ((entries[0], SKIP_LATE),)
    assert d.play is None and d.wake_at == at(120)  # "b" keeps its planned start


def test_missing_media_waits_while_it_fits_then_is_skipped_as_missing() -> None:
    entries = session(item(0, 60, "a"), item(60, 60, "b"))
    b_key = entries[1].key
    only_b = {"b" * 64}
    d = next_actions(entries, at(0), set(), set(), Rules(max_late_s=0))
    assert d.play is None and d.wake_at == at(60)  # latest start of "a"
    d = next_actions(entries, at(60), set(), only_b, Rules(max_late_s=0))
    assert d.play is entries[1]  # "b" does not wait behind the missing "a"
    d = next_actions(entries, at(61), {b_key}, only_b, Rules(max_late_s=0))
    assert d.skips == ((entries[0], SKIP_NO_MEDIA),)


def test_relay_joined_late_airs_the_rest_of_its_window_and_never_past_it() -> None:
    entries = session(item(0, 600, "r", kind="relay", sha256=None, stream_url="http://s/live"))
    d = next_actions(entries, at(100), set(), set())
    assert d.play is entries[0] and d.play_seconds == pytest.approx(500)
    d = next_actions(entries, at(599.5), set(), set())
    assert d.skips == ((entries[0], SKIP_RELAY_OVER),) and d.play is None


def test_emergency_goes_first_and_interrupts_a_normal_item() -> None:
    a, e = item(0, 300, "a"), item(100, 30, "e", priority="emergency")
    entries = session(a, e)
    current = next(x for x in entries if x.item is a)
    emergency = next(x for x in entries if x.item is e)
    emergency_key = emergency.key
    assert interrupting_emergency(current, entries, at(39), set(), ALL) is None  # not due yet (early 60 s)
    assert (
        interrupting_emergency(current, entries, at(41), set(), ALL) is emergency
    )  # within clock-drift margin
    assert interrupting_emergency(current, entries, at(100), set(), ALL - {e.sha256}) is None  # no media yet
    assert interrupting_emergency(emergency, entries, at(100), set(), ALL) is None  # never cuts itself
    d = next_actions(entries, at(100), set(), ALL)
    assert d.play is emergency
    d = next_actions(entries, at(130), {emergency_key}, ALL)
    assert d.play is current  # the session resumes with the cut item, which still fits


def test_an_emergency_too_old_is_dropped() -> None:
    entries = session(item(0, 30, "e", priority="emergency"))
    d = next_actions(entries, at(3601), set(), ALL, Rules(emergency_window_s=3600))
    assert d.skips == ((entries[0], SKIP_EMERGENCY_LATE),)


def test_keys_survive_a_new_version_that_inserts_an_emergency() -> None:
    v1 = session(item(0, 60, "a"), item(60, 60, "b"), version=1)
    v2 = session(item(0, 60, "a"), item(30, 10, "e", priority="emergency"), item(60, 60, "b"), version=2)
    assert {e.key for e in v1} < {e.key for e in v2}
    done = {v1[0].key}
    d = next_actions(v2, at(61), done, ALL)
    assert d.play is not None and d.play.item.sha256 == "e" * 64  # "a" is not aired twice


def test_session_end_comes_from_the_session_field_or_from_contiguity() -> None:
    labelled = session(item(0, 60, "a", session="05:30"), item(3600, 60, "b", session="05:30"))
    assert labelled[0].session_end == at(3660)
    contiguous = session(item(0, 60, "a"), item(61, 60, "b"), item(3600, 60, "c"))
    assert [e.session_end for e in contiguous] == [at(121), at(121), at(3660)]


@st.composite
def days(draw: st.DrawFn) -> tuple[list, set[str]]:
    n = draw(st.integers(1, 8))
    items, available = [], set()
    for i in range(n):
        sha = f"{i:064x}"
        kind = draw(st.sampled_from(["bulletin", "bulletin", "jingle", "relay"]))
        priority = draw(st.sampled_from(["normal", "normal", "priority", "emergency"]))
        offset = draw(st.floats(0, 900, allow_nan=False))
        duration = draw(st.floats(1, 240, allow_nan=False))
        if kind == "relay":
            items.append(item(offset, duration, sha, kind="relay", sha256=None, stream_url=f"http://s/{i}",
                              priority=priority, title=str(i)))  # fmt: skip
        else:
            items.append(item(offset, duration, sha, kind=kind, priority=priority, title=str(i)))
            if draw(st.booleans()) or draw(st.booleans()):
                available.add(sha)
    return session(*items), available


@settings(max_examples=200, deadline=None)
@given(days(), st.floats(-120, 1200, allow_nan=False))
def test_simulated_day_airs_each_item_at_most_once_on_time_and_decides_everything(
    day: tuple[list, set[str]], start_s: float
) -> None:
    entries, available = day
    rules = Rules()
    now, done, aired = at(start_s), set[str](), []
    for _ in range(200):
        d = next_actions(entries, now, done, available, rules)
        for e, _reason in d.skips:
            assert e.key not in done
            done.add(e.key)
        if d.play is not None:
            e = d.play
            assert e.key not in done and (e.item.kind == "relay" or e.item.sha256 in available)
            aired.append((e, now, d.play_seconds))
            now += timedelta(seconds=d.play_seconds)
            done.add(e.key)
        elif d.wake_at is None:
            break
        else:
            now = max(d.wake_at, now + timedelta(milliseconds=1))
    else:
        raise AssertionError("the schedule never settles")
    assert done == {e.key for e in entries}  # every item was either aired or logged skipped
    for e, t, seconds in aired:
        end = t + timedelta(seconds=seconds)
        if e.item.is_emergency:
            assert t <= e.planned_start + timedelta(seconds=rules.emergency_window_s)
        elif e.item.kind == "relay":
            assert e.planned_start <= t and end <= e.planned_end + timedelta(microseconds=1)
        else:
            assert e.planned_start <= t and seconds == e.item.duration_s  # whole, never early
            assert end <= max(e.planned_end, e.session_end) + timedelta(
                seconds=rules.max_late_s, microseconds=1
            )
