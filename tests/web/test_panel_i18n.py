"""The English catalog covers every message in the panel, and the committed .mo matches the .po."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from panel_support import Panel, post

from web.i18n import fmt_date, fmt_datetime, fmt_duration, fmt_time

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "web" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"


def test_every_message_in_the_code_has_an_english_translation(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pot = tmp_path / "messages.pot"
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(TRANSLATIONS / "babel.cfg"), "-k", "_l",
                                "-o", str(pot), "."])
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    assert len(wanted) > 300
    catalog = read_po(PO.open("rb"))
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    assert sorted(wanted - translated) == []


def test_compiled_catalog_matches_the_po() -> None:
    po = {m.id: m.string for m in read_po(PO.open("rb")) if m.id}
    mo = {m.id: m.string for m in read_mo(MO.open("rb")) if m.id}
    assert po == mo


def test_placeholders_survive_translation() -> None:
    import re

    for m in read_po(PO.open("rb")):
        if m.id:
            assert set(re.findall(r"%\(\w+\)\w", m.id)) == set(re.findall(r"%\(\w+\)\w", m.string)), m.id


def test_english_pages_and_messages(panel: Panel) -> None:
    c = panel.client("operator")
    post(c, "/lang", {"lang": "en"})
    page = c.get("/stations/").get_data(as_text=True)
    assert "Loudspeaker stations" in page and "Commune" in page and "Offline" in page
    r = post(c, "/stations/new", {"code": "X!", "name": "", "kind": "xa", "timezone": "Asia/Ho_Chi_Minh"})
    assert "A station code may only contain" in r.get_data(as_text=True)
    r = c.get("/khong-co")
    assert "Not found" in r.get_data(as_text=True)


def test_local_date_and_time_formats(panel: Panel) -> None:
    from datetime import UTC, date, datetime

    with panel.app.app_context():
        moment = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
        assert fmt_date(date(2026, 11, 27)) == "27/11/2026"
        assert fmt_time(moment) == "17:30"  # Asia/Ho_Chi_Minh
        assert fmt_datetime(moment) == "27/11/2026, 17:30"
        assert fmt_datetime(moment, "Asia/Bangkok") == "27/11/2026, 17:30"
        assert fmt_datetime(moment, "Europe/Paris") == "27/11/2026, 11:30"
        assert fmt_duration(65) == "1:05" and fmt_duration(3723) == "1:02:03"


def test_weekdays_and_sessions_read_the_vietnamese_way(panel: Panel) -> None:
    from datetime import date, time
    from types import SimpleNamespace

    from web.i18n import sessions_label, weekdays_label

    with panel.app.test_request_context():
        assert weekdays_label("123456") == "T2–T7"
        assert weekdays_label("1234567") == "Hằng ngày"
        assert weekdays_label("135") == "T2, T4, T6"
        assert weekdays_label("67") == "T7, CN"
        weekly = SimpleNamespace(weekdays="123456", start_time=time(5, 30), max_minutes=30, on_date=None)
        once = SimpleNamespace(weekdays="2", start_time=time(19, 0), max_minutes=45, on_date=date(2026, 12, 1))
        assert sessions_label([weekly, once]) == "T2–T7 05:30–06:00; 01/12/2026 19:00–19:45"
