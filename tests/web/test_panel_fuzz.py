"""Whatever is typed into the forms, the answer is a page (200, 302 or a Vietnamese 400/404), never a 500."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from panel_support import Panel, post

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
junk = st.one_of(text, st.sampled_from(["", "0", "-1", "999999999999", "2026-02-30", "2026-11-27", "1e9", "nan",
                                        "all", "group", "stations", "emergency", "<script>", "../../etc/passwd"]))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(title=junk, body=junk, valid_from=junk, valid_to=junk, plays=junk, rate=junk, target=junk, station=junk,
       priority=junk, voice=junk)
def test_bulletin_form_never_breaks(shared_panel: Panel, title: str, body: str, valid_from: str, valid_to: str,
                                    plays: str, rate: str, target: str, station: str, priority: str,
                                    voice: str) -> None:
    r = post(shared_panel.client("admin"), "/bulletins/new", {
        "title": title, "body": body, "valid_from": valid_from, "valid_to": valid_to, "plays_per_day": plays,
        "speech_rate": rate, "target_kind": target, "stations": [station], "group": station,
        "priority": priority, "voice": voice, "action": "save",
    })
    assert r.status_code in (302, 400), r.get_data(as_text=True)[:300]
    if r.status_code == 400:
        assert "Chưa lưu được" in r.get_data(as_text=True)


@FAST
@given(code=junk, name=junk, kind=junk, tz=junk, sessions=junk)
def test_station_form_never_breaks(shared_panel: Panel, code: str, name: str, kind: str, tz: str,
                                   sessions: str) -> None:
    r = post(shared_panel.client("operator"), "/stations/new",
             {"code": code, "name": name, "kind": kind, "timezone": tz, "sessions": sessions})
    assert r.status_code in (302, 400)


@FAST
@given(start=junk, end=junk, station=junk, bulletin=junk)
def test_report_filters_never_break(shared_panel: Panel, start: str, end: str, station: str, bulletin: str) -> None:
    r = shared_panel.client("operator").get("/reports/", query_string={
        "from": start, "to": end, "station": station, "bulletin": bulletin})
    assert r.status_code in (200, 400, 404)


@FAST
@given(station=junk, day=junk, action=junk, bulletin=junk, spec=junk)
def test_schedule_and_sessions_never_break(shared_panel: Panel, station: str, day: str, action: str, bulletin: str,
                                           spec: str) -> None:
    c = shared_panel.client("operator")
    assert c.get("/schedule/", query_string={"station": station, "date": day}).status_code in (200, 400, 404)
    r = post(c, "/schedule/ta-nang/2026-11-27/override", {"bulletin_id": bulletin, "action": action})
    assert r.status_code in (302, 400, 404)
    r = post(c, "/stations/1/sessions", {"spec": spec, "name": station})
    assert r.status_code == 302


@FAST
@given(station=junk, day=junk, start=junk, end=junk, weekday=junk, only=junk, page=junk, text=junk, bulletin=junk)
def test_week_view_library_and_lists_never_break(shared_panel: Panel, station: str, day: str, start: str, end: str,
                                                 weekday: str, only: str, page: str, text: str, bulletin: str) -> None:
    c = shared_panel.client("operator")
    for view in ("week", "day"):
        r = c.get("/schedule/week/", query_string={"station": station, "date": day, "view": view, "page": page})
        assert r.status_code in (200, 400, 404)
    r = post(c, "/schedule/week/ta-nang/sessions", {"start": start, "end": end, "weekday": weekday, "only_date": only})
    assert r.status_code == 302
    r = post(c, "/schedule/week/ta-nang/sessions/1", {"start": start, "end": end, "weekday": weekday})
    assert r.status_code == 302
    r = post(c, "/schedule/week/ta-nang/order/2026-11-27", {"bulletin_id": bulletin})
    assert r.status_code in (302, 400)
    for url in ("/library/", "/bulletins/", "/reports/audit"):
        r = c.get(url, query_string={"q": text, "kind": station, "page": page, "per": bulletin, "action": day})
        assert r.status_code == 200
