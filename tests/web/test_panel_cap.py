"""The review page of a bulletin made from a CAP alert: where it came from, and, when its areas
matched no unit, a visible mark and a form for the reviewer to choose the stations."""

from __future__ import annotations

from pathlib import Path

from panel_support import Panel, post

from broadcast import bulletins, cap, clock

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"


def _import(panel: Panel, name: str) -> cap.Outcome:
    with panel.session() as s:
        return cap.import_alert(s, (DATA / name).read_bytes(), actor="reviewer", settings=panel.settings,
                                today=clock.today(panel.settings.timezone))


def test_an_untargeted_alert_is_flagged_and_the_reviewer_targets_it(panel: Panel) -> None:
    done = _import(panel, "oasis-a2-severe-thunderstorm.xml")
    c = panel.client("reviewer")
    page = c.get(f"/review/{done.bulletin_id}").get_data(as_text=True)
    assert "Từ cảnh báo CAP KSTO1055887203 của KSTO@NWS.NOAA.GOV (Alert)." in page
    assert "cap-needs-targeting" in page and "Cần chọn đài nhận:" in page
    assert "TUOLUMNE COUNTY" in page and "SAME=006109" in page
    assert "Cảnh báo không có phần tiếng Việt: đã dùng phần đầu tiên (ngôn ngữ en-US)." in page
    queue = c.get("/review/").get_data(as_text=True)
    assert "SEVERE THUNDERSTORM WARNING" in queue and "Cần chọn đài nhận</span>" in queue
    r = post(c, f"/review/{done.bulletin_id}/cap-target", {"stations": ["ta-nang", "lien-nghia"]})
    assert r.status_code == 302
    page = c.get(r.location).get_data(as_text=True)
    assert "Đã chọn đài nhận cảnh báo." in page and "cap-needs-targeting" not in page
    assert "cap-needs-targeting" not in c.get("/review/").get_data(as_text=True)
    with panel.session() as s:
        assert bulletins.target_station_codes(s, bulletins.get_bulletin(s, done.bulletin_id or 0)) == [
            "lien-nghia", "ta-nang"]


def test_an_empty_choice_is_refused_in_the_users_language(panel: Panel) -> None:
    done = _import(panel, "oasis-a1-homeland-security.xml")
    c = panel.client("reviewer")
    page = c.get(post(c, f"/review/{done.bulletin_id}/cap-target", {}).location).get_data(as_text=True)
    assert "Hãy chọn ít nhất một đài nhận cảnh báo." in page and "cap-needs-targeting" in page
