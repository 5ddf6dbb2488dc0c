"""The panel says when no scheduler keeps the playlists (issue 7.3): a change left waiting in the
outbox, or a day with no nightly run. Rules in broadcast/health.py; the banner is in base.html."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from panel_support import Panel, post
from sqlalchemy.orm import Session

from broadcast import health
from broadcast.models import RegenRequest, SchedulerRun

# 2026-12-01 18:30 UTC is 02/12 01:30 in Vietnam: past the 00:05 nightly run and its hour of grace.
NOW = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
VN_DAY = date(2026, 12, 2)


def _warnings(s: Session, now: datetime = NOW) -> list[str]:
    found = health.schedule_warnings(s, tz="Asia/Ho_Chi_Minh", nightly_time=time(0, 5), stale_after_s=120,
                                     now=now)
    return [str(w) for w in found]


def _nightly_ok(s: Session, day: date) -> None:
    s.add(SchedulerRun(job="nightly", trigger="cron", owner="t", slot=day, status="ok"))
    s.flush()


def test_a_request_left_waiting_is_stale_and_a_fresh_one_is_not(panel: Panel) -> None:
    with panel.session() as s:
        _nightly_ok(s, VN_DAY)
        s.add(RegenRequest(reason="test", created_at=NOW - timedelta(seconds=30)))
        s.flush()
        assert _warnings(s) == []
        s.add(RegenRequest(reason="test", created_at=NOW - timedelta(minutes=5)))
        s.flush()
        (warning,) = _warnings(s)
        assert "5 phút" in warning and "loa serve" in warning


def test_a_day_without_its_nightly_run_is_stale_only_after_the_grace_hour(panel: Panel) -> None:
    with panel.session() as s:
        from broadcast import stations as st

        st.import_stations(s, st.parse_stations_csv("code,name,kind,sessions\nta-nang,Xã Tà Năng,xa,\"T2-CN 05:30-06:00\"\n"))
        s.query(RegenRequest).delete()
        s.flush()
        (warning,) = _warnings(s)
        assert "02/12/2026" in warning
        assert _warnings(s, now=datetime(2026, 12, 1, 17, 30, tzinfo=UTC)) == []  # 00:30 local: not yet
        _nightly_ok(s, VN_DAY)
        assert _warnings(s) == []


def test_the_panel_shows_the_banner_in_both_languages(panel: Panel) -> None:
    with panel.session() as s:
        s.add(RegenRequest(reason="test", created_at=datetime.now(UTC) - timedelta(minutes=10)))
        s.commit()
    c = panel.client("operator")
    page = c.get("/stations/").get_data(as_text=True)
    assert "bộ lập lịch không chạy" in page
    post(c, "/lang", {"lang": "en"})
    page = c.get("/stations/").get_data(as_text=True)
    assert "no scheduler is running" in page
    assert "bộ lập lịch" not in page
