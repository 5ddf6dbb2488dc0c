"""Date fields read dd/mm/yyyy (text inputs parsed by web.i18n.parse_date), ISO still accepted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from panel_support import Panel, post
from sqlalchemy import select

from broadcast import clock
from broadcast.models import Bulletin
from web.i18n import fmt_date_field, parse_date

TODAY = clock.today("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(("text", "expected"), [
    ("27/11/2026", date(2026, 11, 27)), (" 1/2/2027 ", date(2027, 2, 1)), ("27.11.2026", date(2026, 11, 27)),
    ("2026-11-27", date(2026, 11, 27)),
])
def test_parse_date_reads_day_month_year_and_iso(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "27-11-2026", "11/27/2026", "31/02/2026", "27/11/26", "hôm nay", "2026-13-01"])
def test_parse_date_refuses_everything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_field_values_show_day_month_year() -> None:
    assert fmt_date_field(date(2026, 3, 4)) == "04/03/2026"
    assert fmt_date_field("2026-03-04") == "04/03/2026"
    assert fmt_date_field("4/3/20x6") == "4/3/20x6"  # what the user typed comes back as typed
    assert fmt_date_field(None) == ""


def _form(**over: str) -> dict[str, str]:
    return {"title": "Thông báo họp dân", "body": "Tối nay họp dân tại nhà văn hoá thôn 2.",
            "priority": "normal", "plays_per_day": "1", "voice": "", "speech_rate": "1.0",
            "target_kind": "all", "action": "save", **over}


def test_bulletin_form_takes_day_month_year_and_shows_it_back(panel: Panel) -> None:
    c = panel.client("editor")
    page = c.get("/bulletins/new").get_data(as_text=True)
    assert 'type="date"' not in page and 'placeholder="dd/mm/yyyy"' in page
    assert f'value="{TODAY:%d/%m/%Y}"' in page
    end = TODAY + timedelta(days=3)
    r = post(c, "/bulletins/new", _form(valid_from=f"{TODAY:%d/%m/%Y}", valid_to=f"{end:%d/%m/%Y}"))
    assert r.status_code == 302, r.get_data(as_text=True)
    with panel.session() as s:
        b = s.scalars(select(Bulletin)).one()
        assert (b.valid_from, b.valid_to) == (TODAY, end)
    edit = c.get(f"/bulletins/{b.id}/edit").get_data(as_text=True)
    assert f'value="{end:%d/%m/%Y}"' in edit


def test_a_month_first_date_is_a_clear_vietnamese_error(panel: Panel) -> None:
    c = panel.client("editor")
    r = post(c, "/bulletins/new", _form(valid_from="11/27/2026", valid_to="30/11/2026"))
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Ngày bắt đầu không hợp lệ: hãy viết ngày/tháng/năm, ví dụ 27/11/2026." in page
    assert 'value="11/27/2026"' in page


def test_reports_and_schedule_read_day_month_year(panel: Panel) -> None:
    c = panel.client("admin")
    start = TODAY - timedelta(days=3)
    r = c.get(f"/reports/?from={start:%d/%m/%Y}&to={TODAY:%d/%m/%Y}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and f'value="{start:%d/%m/%Y}"' in page
    r = c.get("/reports/?from=13/13/2026")
    assert r.status_code == 400 and "Từ ngày không hợp lệ" in r.get_data(as_text=True)
    r = c.get(f"/schedule/?station=ta-nang&date={TODAY:%d/%m/%Y}")
    assert r.status_code == 200 and f'value="{TODAY:%d/%m/%Y}"' in r.get_data(as_text=True)
    r = c.get("/schedule/?station=ta-nang&date=mai")
    assert r.status_code == 400 and "Ngày không hợp lệ" in r.get_data(as_text=True)
