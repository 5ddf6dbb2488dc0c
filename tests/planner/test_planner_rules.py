"""One example per planning rule; the invariants over random inputs are in test_planner_properties."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from broadcast.planner import Override, PlannedItem, StationPlanInput, plan_day
from tests.planner.builders import DAY, STATION, bulletin, jingle, relay, session

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(hh: int, mm: int, ss: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), tzinfo=VN)


def bulletins_of(items, session_label: str | None = None) -> list[int]:
    return [
        it.bulletin_id
        for it in items
        if it.kind == "bulletin" and (session_label is None or it.session == session_label)
    ]


def test_items_run_back_to_back_from_session_start_with_offset_times():
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 30)], [bulletin(1, 90), bulletin(2, 60.5)], [])
    assert [(it.start, it.duration_s) for it in plan.items] == [(at(6, 0), 90.0), (at(6, 1, 30), 60.5)]
    assert plan.items[0].start.isoformat() == "2026-12-01T06:00:00+07:00"
    assert plan.items[1].end == at(6, 2, 30) + timedelta(milliseconds=500)
    assert plan.unplaced == ()


def test_priority_order_emergency_then_priority_then_normal_with_stable_tie_break():
    bs = [
        bulletin(5, priority="normal", valid_from=date(2026, 11, 2)),
        bulletin(4, priority="normal", valid_from=date(2026, 11, 1)),
        bulletin(3, priority="priority"),
        bulletin(9, priority="emergency"),
        bulletin(2, priority="normal", valid_from=date(2026, 11, 2)),
    ]
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 30)], bs, [])
    # normal ties: valid_from first (4 is older), then id (2 before 5)
    assert bulletins_of(plan.items) == [9, 3, 4, 2, 5]
    assert [it.priority for it in plan.items] == ["emergency", "priority", "normal", "normal", "normal"]


def test_relay_keeps_its_time_and_bulletins_flow_around_it():
    # 6:00 session, relay 6:02-6:12; a 3-minute bulletin cannot fit before the relay.
    plan = plan_day(
        STATION,
        DAY,
        [session(1, 6, 0, 30)],
        [bulletin(1, 60), bulletin(2, 180), bulletin(3, 30)],
        [relay(1, 6, 2, 10)],
    )
    starts = {(it.kind, it.bulletin_id or it.relay_id): it.start for it in plan.items}
    assert starts[("relay", 1)] == at(6, 2)
    assert plan.items[1].kind == "relay" and plan.items[1].duration_s == 600
    assert plan.items[1].url == "http://stream.example/vov1" and plan.items[1].media is None
    assert starts[("bulletin", 1)] == at(6, 0)
    assert starts[("bulletin", 2)] == at(6, 12)  # after the relay
    assert starts[("bulletin", 3)] == at(6, 15)  # order kept: no back-filling before the relay
    assert plan.items[1].session == "06:00"


def test_relay_outside_sessions_is_kept_and_overlapping_relay_is_reported():
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 30)], [], [relay(1, 12, 0, 30), relay(2, 12, 15, 10)])
    assert [(it.kind, it.relay_id, it.session) for it in plan.items] == [("relay", 1, None)]
    assert plan.unplaced[0].relay_id == 2
    assert "Trùng giờ" in plan.unplaced[0].reason


def test_relay_only_on_its_weekdays():
    plan = plan_day(STATION, DAY, [], [], [relay(1, 6, 0, 10, weekdays="67")])
    assert plan.items == ()


def test_plays_spread_over_sessions_evening_included():
    # issue 7.2: the remainder goes to sessions evenly spaced over the day, not the earliest ones
    sessions = [session(1, 6, 0, 30), session(2, 11, 0, 30), session(3, 17, 0, 30)]
    plan = plan_day(
        STATION, DAY, sessions, [bulletin(1, plays=2), bulletin(2, plays=4), bulletin(3, plays=1)], []
    )
    per = {s: bulletins_of(plan.items, s) for s in ("06:00", "11:00", "17:00")}
    assert sorted(per["06:00"]) == [1, 2, 2, 3]
    assert sorted(per["11:00"]) == [2]
    assert sorted(per["17:00"]) == [1, 2]
    assert plan.unplaced == ()


def test_three_plays_two_sessions_is_two_plus_one_and_never_back_to_back():
    sessions = [session(1, 6, 0, 30), session(2, 17, 0, 30)]
    plan = plan_day(STATION, DAY, sessions, [bulletin(1, plays=3), bulletin(2, plays=1)], [])
    assert bulletins_of(plan.items, "06:00") == [1, 2, 1]
    assert bulletins_of(plan.items, "17:00") == [1]


def test_repeats_are_interleaved_even_when_the_first_in_order_has_fewer_plays():
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 30)], [bulletin(1, plays=1), bulletin(2, plays=2)], [])
    assert bulletins_of(plan.items) == [2, 1, 2]


def test_single_bulletin_with_two_plays_in_one_session_is_unavoidably_back_to_back():
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 30)], [bulletin(1, plays=2)], [])
    assert bulletins_of(plan.items) == [1, 1]


def test_outside_validity_is_not_planned_and_is_reported():
    plan = plan_day(
        STATION,
        DAY,
        [session(1, 6, 0, 30)],
        [bulletin(1, valid_from=date(2026, 12, 2)), bulletin(2, valid_to=date(2026, 11, 30)), bulletin(3)],
        [],
    )
    assert bulletins_of(plan.items) == [3]
    assert {u.bulletin_id for u in plan.unplaced} == {1, 2}
    assert all("hiệu lực" in u.reason for u in plan.unplaced)


def test_validity_edges_are_inclusive():
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 30)], [bulletin(1, valid_from=DAY, valid_to=DAY)], [])
    assert bulletins_of(plan.items) == [1]


def test_never_past_session_end_leftovers_carry_to_next_session():
    sessions = [session(1, 6, 0, 5), session(2, 17, 0, 5)]
    bs = [bulletin(1, 120), bulletin(2, 120), bulletin(3, 120)]
    plan = plan_day(STATION, DAY, sessions, bs, [])
    assert bulletins_of(plan.items, "06:00") == [1, 2]
    assert bulletins_of(plan.items, "17:00") == [3]
    for it in plan.items:
        window_start = at(6, 0) if it.session == "06:00" else at(17, 0)
        assert it.end <= window_start + timedelta(minutes=5)


def test_a_shorter_item_still_fills_the_rest_of_a_session_after_one_that_does_not_fit():
    plan = plan_day(
        STATION, DAY, [session(1, 6, 0, 5)], [bulletin(1, 200), bulletin(2, 200), bulletin(3, 60)], []
    )
    assert bulletins_of(plan.items) == [1, 3]
    assert [u.bulletin_id for u in plan.unplaced] == [2]


def test_last_session_leftovers_are_unplaced_with_reason_and_count():
    sessions = [session(1, 6, 0, 3), session(2, 17, 0, 3)]
    plan = plan_day(STATION, DAY, sessions, [bulletin(1, 120, plays=3), bulletin(2, 100)], [])
    got = bulletins_of(plan.items)
    assert got.count(1) == 2  # once per session, the third play finds no room
    (u1,) = [u for u in plan.unplaced if u.bulletin_id == 1]
    assert u1.missing == 1 and "2/3" in u1.reason
    (u2,) = [u for u in plan.unplaced if u.bulletin_id == 2]
    assert u2.missing == 1 and "Không đủ thời lượng" in u2.reason


def test_bulletin_longer_than_any_session_says_so():
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 10)], [bulletin(1, 11 * 60)], [])
    assert plan.items == ()
    assert "vượt thời lượng" in plan.unplaced[0].reason and "11:00" in plan.unplaced[0].reason


def test_no_sessions_today_is_reported():
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 30, weekdays="7")], [bulletin(1)], [])
    assert plan.items == ()
    assert plan.unplaced[0].reason == "Không có phiên phát nào trong ngày."


def test_one_off_session_only_on_its_date():
    s = session(1, 9, 0, 30, weekdays="", on_date=DAY)
    assert bulletins_of(plan_day(STATION, DAY, [s], [bulletin(1)], []).items) == [1]
    assert (
        plan_day(STATION, DAY + timedelta(days=7), [s], [bulletin(1, valid_to=date(2027, 1, 1))], []).items
        == ()
    )


def test_priority_carried_over_plays_first_in_next_session():
    sessions = [session(1, 6, 0, 4), session(2, 17, 0, 30)]
    bs = [bulletin(1, 150, priority="emergency"), bulletin(2, 150, priority="priority"), bulletin(3, 60)]
    plan = plan_day(STATION, DAY, sessions, bs, [])
    assert bulletins_of(plan.items, "06:00") == [1, 3]
    assert bulletins_of(plan.items, "17:00") == [2]
    assert plan.items[-1].start == at(17, 0)


def test_jingle_opens_and_closes_each_session_that_airs_a_bulletin():
    sessions = [session(1, 6, 0, 30), session(2, 11, 0, 30), session(3, 17, 0, 30)]
    plan = plan_day(STATION, DAY, sessions, [bulletin(1, 60, plays=2)], [], jingle=jingle(5))
    kinds = [(it.kind, it.session) for it in plan.items]
    assert kinds == [
        ("jingle", "06:00"),
        ("bulletin", "06:00"),
        ("jingle", "06:00"),
        ("jingle", "17:00"),
        ("bulletin", "17:00"),
        ("jingle", "17:00"),
    ]
    assert plan.items[0].start == at(6, 0) and plan.items[1].start == at(6, 0, 5)
    assert plan.items[2].start == at(6, 1, 5)


def test_jingle_room_is_kept_for_the_closing_jingle():
    # 2-minute session: jingle 10 s + 95 s + 5 s + jingle 10 s fills it exactly; 101 s leaves no room to close
    plan = plan_day(
        STATION, DAY, [session(1, 6, 0, 2)], [bulletin(1, 95), bulletin(2, 5)], [], jingle=jingle(10)
    )
    assert [it.kind for it in plan.items] == ["jingle", "bulletin", "bulletin", "jingle"]
    assert plan.items[-1].end == at(6, 2)
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 2)], [bulletin(1, 101)], [], jingle=jingle(10))
    assert plan.items == () and plan.unplaced[0].bulletin_id == 1


def test_not_rendered_bulletin_is_reported_with_its_reason():
    b = bulletin(1, rendered=False)
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 30)], [b], [])
    assert plan.items == ()
    assert plan.unplaced[0].reason == "Bản tin chưa có âm thanh: chưa dựng xong."


def test_drop_removes_a_bulletin_for_the_day_and_says_so():
    plan = plan_day(
        STATION, DAY, [session(1, 6, 0, 30)], [bulletin(1), bulletin(2)], [], overrides=[Override(1, "drop")]
    )
    assert bulletins_of(plan.items) == [2]
    assert plan.unplaced[0].bulletin_id == 1 and "bỏ" in plan.unplaced[0].reason


def test_pin_goes_first_within_its_priority_and_gets_a_play_even_with_zero_plays():
    bs = [bulletin(1, 120), bulletin(2, 120), bulletin(3, 120, plays=0)]
    plan = plan_day(STATION, DAY, [session(1, 6, 0, 4)], bs, [], overrides=[Override(3, "pin")])
    assert bulletins_of(plan.items) == [3, 1]
    assert [u.bulletin_id for u in plan.unplaced] == [2]


def test_pin_does_not_jump_ahead_of_emergency_and_respects_validity():
    bs = [bulletin(1, priority="emergency"), bulletin(2), bulletin(3, valid_to=date(2026, 11, 30))]
    plan = plan_day(
        STATION, DAY, [session(1, 6, 0, 30)], bs, [], overrides=[Override(2, "pin"), Override(3, "pin")]
    )
    assert bulletins_of(plan.items) == [1, 2]
    assert "hiệu lực" in plan.unplaced[0].reason


def test_emergency_now_starts_at_now_ahead_of_the_rest_keeping_the_past():
    sessions = [session(1, 6, 0, 30), session(2, 17, 0, 30)]
    bs = [bulletin(1, 60), bulletin(2, 60), bulletin(3, 60, plays=2)]
    regular = plan_day(STATION, DAY, sessions, bs, [])
    now = at(6, 1, 30)  # bulletin 2 is playing
    bs2 = [*bs, bulletin(7, 45, priority="emergency", plays=2)]
    plan = plan_day(STATION, DAY, sessions, bs2, [], now=now, kept=regular.items)
    # the past stays: 1 at 6:00, 2 at 6:01 (cut by the emergency)
    assert plan.items[:2] == regular.items[:2]
    assert plan.items[2].bulletin_id == 7 and plan.items[2].start == now
    after = [it for it in plan.items if it.start >= now]
    assert [it.bulletin_id for it in after] == [7, 3, 7, 3]
    assert after[1].start == now + timedelta(seconds=45)
    assert [it.session for it in after] == ["06:00", "06:00", "17:00", "17:00"]


def test_emergency_outside_sessions_still_airs_at_now_and_a_relay_joins_late():
    now = at(12, 0)
    plan = plan_day(
        STATION,
        DAY,
        [session(1, 6, 0, 30)],
        [bulletin(7, 120, priority="emergency")],
        [relay(1, 12, 1, 10)],
        now=now,
    )
    assert [(it.kind, it.start, it.duration_s) for it in plan.items] == [
        ("bulletin", now, 120.0),
        ("relay", at(12, 2), 540.0),
    ]
    assert plan.items[0].session is None


def test_emergency_without_plays_left_is_not_repeated():
    kept = plan_day(STATION, DAY, [session(1, 6, 0, 30)], [bulletin(7, priority="emergency")], []).items
    plan = plan_day(
        STATION, DAY, [session(1, 6, 0, 30)], [bulletin(7, priority="emergency")], [], now=at(9, 0), kept=kept
    )
    assert plan.items == kept and plan.unplaced == ()


def test_emergency_now_on_another_day_is_a_regular_plan():
    bs = [bulletin(1), bulletin(7, priority="emergency")]
    regular = plan_day(STATION, DAY, [session(1, 6, 0, 30)], bs, [])
    assert (
        plan_day(STATION, DAY, [session(1, 6, 0, 30)], bs, [], now=at(9, 0, day=DAY - timedelta(days=1)))
        == regular
    )


def test_not_before_keeps_the_past_and_plans_only_the_rest():
    sessions = [session(1, 6, 0, 30), session(2, 17, 0, 30)]
    old = plan_day(STATION, DAY, sessions, [bulletin(1, plays=2)], [])
    plan = plan_day(
        STATION, DAY, sessions, [bulletin(1, plays=2), bulletin(2)], [], not_before=at(10, 0), kept=old.items
    )
    assert plan.items[0] == old.items[0]
    assert bulletins_of(plan.items, "17:00") == [1, 2]
    assert all(it.start >= at(17, 0) for it in plan.items[1:])


def test_kept_item_still_playing_is_not_talked_over_by_a_regular_replan():
    old = plan_day(STATION, DAY, [session(1, 6, 0, 30)], [bulletin(1, 120)], [])
    plan = plan_day(
        STATION,
        DAY,
        [session(1, 6, 0, 30)],
        [bulletin(1, 120), bulletin(2)],
        [],
        not_before=at(6, 1),
        kept=old.items,
    )
    assert [(it.bulletin_id, it.start) for it in plan.items] == [(1, at(6, 0)), (2, at(6, 2))]


def test_station_timezone_is_used_across_a_dst_change():
    berlin = StationPlanInput(2, "DE-1", "Europe/Berlin")
    day = date(2026, 3, 29)  # clocks go forward at 02:00
    plan = plan_day(
        berlin, day, [session(1, 1, 58, 10)], [bulletin(1, 180, valid_from=day, valid_to=day)], []
    )
    (it,) = plan.items
    assert it.start.isoformat() == "2026-03-29T01:58:00+01:00"
    assert it.end.isoformat() == "2026-03-29T03:01:00+02:00"


def test_items_are_sorted_by_start_and_bulletin_duplicates_in_input_are_ignored():
    plan = plan_day(
        STATION, DAY, [session(2, 17, 0, 30), session(1, 6, 0, 30)], [bulletin(1, plays=2), bulletin(1)], []
    )
    assert [it.start for it in plan.items] == sorted(it.start for it in plan.items)
    assert bulletins_of(plan.items) == [1, 1]


def test_kept_items_are_plain_planned_items():
    kept = (PlannedItem(at(5, 0), 30.0, "bulletin", "cũ", bulletin_id=99),)
    plan = plan_day(STATION, DAY, [], [], [], not_before=at(8, 0), kept=kept)
    assert plan.items == kept


def test_session_under_way_keeps_its_jingles_and_closes_after_the_last_kept_bulletin():
    sess = [session(1, 6, 0, 30)]
    old = plan_day(STATION, DAY, sess, [bulletin(1, 120)], [], jingle=jingle(5))
    assert [it.kind for it in old.items] == ["jingle", "bulletin", "jingle"]
    # at 06:01 "1" is on air and the bulletin is withdrawn: it finishes, then the session closes
    plan = plan_day(STATION, DAY, sess, [], [], jingle=jingle(5), not_before=at(6, 1), kept=old.items)
    assert [(it.kind, it.start) for it in plan.items] == [
        ("jingle", at(6, 0)),
        ("bulletin", at(6, 0, 5)),
        ("jingle", at(6, 2, 5)),
    ]
    # a session under way that had nothing yet opens with the jingle when something comes
    empty = plan_day(STATION, DAY, sess, [bulletin(2, 60)], [], jingle=jingle(5), not_before=at(6, 10))
    assert [(it.kind, it.start) for it in empty.items] == [
        ("jingle", at(6, 10)),
        ("bulletin", at(6, 10, 5)),
        ("jingle", at(6, 11, 5)),
    ]
