"""Issue 7: a new emergency goes first at once; a day's plays reach every part of the day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from hypothesis import given, settings
from hypothesis import strategies as st

from broadcast.planner import SessionInput, plan_day
from tests.planner.builders import DAY, STATION, bulletin, session
from tests.planner.test_planner_rules import at, bulletins_of


def emergency(id: int, confirmed: datetime | None, plays: int = 3, seconds: float = 81):
    return replace(bulletin(id, seconds, priority="emergency", plays=plays), confirmed_at=confirmed)


def test_new_emergency_goes_first_not_behind_one_that_aired_today():
    # The storm warning was confirmed at 04:04 and aired at 04:05; the forest fire is confirmed at
    # 04:11:26. The new plan must start with the forest fire at 04:11:26, not replay the storm first.
    sessions = [session(1, 5, 30, 30), session(2, 17, 0, 30)]
    storm = emergency(1, at(4, 4))
    first = plan_day(STATION, DAY, sessions, [storm], [], now=at(4, 5))
    assert [(it.bulletin_id, it.start) for it in first.items[:1]] == [(1, at(4, 5))]
    fire = emergency(2, at(4, 11, 26))
    now = at(4, 11, 26)
    plan = plan_day(STATION, DAY, sessions, [storm, fire], [], now=now, kept=first.items)
    new = [it for it in plan.items if it.start >= now]
    assert (new[0].bulletin_id, new[0].start) == (2, now)
    assert new[1].bulletin_id == 1  # the storm's next play waits behind it


def test_newest_confirmed_first_and_one_aired_since_its_confirmation_goes_after():
    a = emergency(1, at(4, 0))  # aired at 04:05 after its confirmation
    b = emergency(2, at(3, 50))  # confirmed earlier but never aired yet
    c = emergency(3, at(4, 10))
    first = plan_day(STATION, DAY, [session(1, 5, 30, 30)], [a], [], now=at(4, 5))
    now = at(4, 12)
    plan = plan_day(STATION, DAY, [session(1, 5, 30, 30)], [a, b, c], [], now=now, kept=first.items)
    assert [it.bulletin_id for it in plan.items if it.start >= now][:3] == [3, 2, 1]


def test_reconfirmed_emergency_counts_as_new():
    a = emergency(1, at(4, 0))
    b = emergency(2, at(4, 1))
    first = plan_day(STATION, DAY, [session(1, 5, 30, 30)], [a, b], [], now=at(4, 5))
    assert bulletins_of(first.items)[:2] == [2, 1]
    now = at(4, 20)
    again = replace(a, confirmed_at=at(4, 19).astimezone(UTC))  # approved once more, any timezone
    plan = plan_day(STATION, DAY, [session(1, 5, 30, 30)], [again, b], [], now=now, kept=first.items)
    assert [it.bulletin_id for it in plan.items if it.start >= now][:2] == [1, 2]


def test_two_plays_with_a_one_off_early_session_reach_the_evening():
    # 04:11 one-off session added: 2 plays a day used to air at 04:11 and 05:30, 17:00 stayed empty.
    sessions = [
        session(1, 5, 30, 30),
        session(2, 11, 0, 30),
        session(3, 17, 0, 30),
        session(4, 4, 11, 30, weekdays="", on_date=DAY),
    ]
    plan = plan_day(STATION, DAY, sessions, [bulletin(1, plays=2), bulletin(2, plays=2)], [])
    assert {it.session for it in plan.items} == {"04:11", "17:00"}
    assert bulletins_of(plan.items, "17:00") == [1, 2]


@st.composite
def spread_day(draw):
    n_sessions = draw(st.integers(1, 8))
    starts = sorted(draw(st.sets(st.integers(0, 23), min_size=n_sessions, max_size=n_sessions)))
    sessions = [SessionInput(i + 1, time(h, 0), 30) for i, h in enumerate(starts)]
    draw(st.randoms(use_true_random=False)).shuffle(sessions)
    plays = draw(st.integers(1, n_sessions))
    others = draw(st.lists(st.integers(0, 3), max_size=3))
    return sessions, plays, others


@settings(max_examples=200, deadline=None)
@given(spread_day())
def test_n_plays_land_in_n_distinct_sessions_spanning_the_day(day) -> None:
    sessions, plays, others = day
    bs = [bulletin(1, 60, plays=plays)] + [bulletin(i + 2, 60, plays=p) for i, p in enumerate(others)]
    plan = plan_day(STATION, DAY, sessions, bs, [])
    labels = sorted(f"{s.start:%H:%M}" for s in sessions)
    used = [it.session for it in plan.items if it.bulletin_id == 1]
    assert len(used) == plays == len(set(used))
    if plays >= 2:
        assert labels[0] in used and labels[-1] in used
    else:
        assert used == [labels[0]]
    # evenly spaced: the gaps (in sessions) between consecutive plays differ by at most one
    idx = sorted(labels.index(u) for u in used)
    gaps = [b - a for a, b in zip(idx, idx[1:], strict=False)]
    assert not gaps or max(gaps) - min(gaps) <= 1


def test_generation_puts_the_emergency_confirmed_last_first(db, rows, settings) -> None:
    # issue 7.1 through the generator: the confirmation time comes from the "approved" transition
    from broadcast.generate import generate_playlists, latest_playlist
    from broadcast.models import BulletinTransition

    def approved(b, when: datetime) -> None:
        db.add(
            BulletinTransition(
                bulletin_id=b.id, from_status="pending", to_status="approved", actor="r", at=when
            )
        )

    rows.station("A", sessions=[(5, 30, 30), (17, 0, 30)])
    storm = rows.bulletin("BÃO", 81, priority="emergency", plays=3)
    approved(storm, at(4, 4).astimezone(UTC))
    db.commit()
    generate_playlists(db, settings, [DAY], emergency=True, now=at(4, 5))
    db.commit()
    fire = rows.bulletin("CHÁY RỪNG", 60, priority="emergency", plays=3)
    approved(fire, at(4, 11, 26).astimezone(UTC))
    db.commit()
    now = at(4, 11, 26)
    generate_playlists(db, settings, [DAY], emergency=True, now=now)
    db.commit()
    items = latest_playlist(db, "A", DAY).manifest["items"]
    new = [it for it in items if datetime.fromisoformat(it["start"]) >= now]
    assert [it["title"] for it in new[:2]] == ["CHÁY RỪNG", "BÃO"]
    assert datetime.fromisoformat(new[0]["start"]) == now


def test_replan_keeps_refusing_a_relay_that_clashes_with_one_already_on_air():
    # found by test_replanning_after_an_emergency_changes_nothing: VOV 1 (04:01) overlaps VOV 0
    # (04:00-04:02); once VOV 0 is in the past, a replan at 04:01 must not let VOV 1 in.
    from tests.planner.builders import relay

    relays = [relay(1, 4, 0, 2), relay(2, 4, 1, 1)]
    first = plan_day(STATION, DAY, [], [], relays)
    assert [it.relay_id for it in first.items] == [1] and first.unplaced[0].relay_id == 2
    again = plan_day(STATION, DAY, [], [], relays, not_before=at(4, 1), kept=first.items)
    assert again == first
