"""Search, filters and pages in the panel's lists (web/paging.py and the pager macro)."""

from __future__ import annotations

from panel_support import Panel
from sqlalchemy import delete

from broadcast.changes import audit
from broadcast.models import AuditLog


def test_bulletins_search_filter_and_pages(panel: Panel) -> None:
    for i in range(25):
        panel.bulletin(title=f"Thông báo số {i:02d}", issuer="UBND xã" if i % 2 else "Trạm y tế")
    panel.bulletin(title="Lịch tiêm chủng", priority="priority")
    c = panel.client("editor")
    page = c.get("/bulletins/?per=10").get_data(as_text=True)
    assert "1–10 trong 26" in page and "Trang 1/3" in page and "page=2" in page
    last = c.get("/bulletins/?per=10&page=3").get_data(as_text=True)
    assert "21–26 trong 26" in last and "Trang 3/3" in last
    assert "Thông báo số 00" in last  # oldest last
    beyond = c.get("/bulletins/?per=10&page=99").get_data(as_text=True)
    assert "Trang 3/3" in beyond
    found = c.get("/bulletins/?q=tiêm").get_data(as_text=True)
    assert "Lịch tiêm chủng" in found and "Thông báo số" not in found
    by_issuer = c.get("/bulletins/?q=y+t%E1%BA%BF&per=50").get_data(as_text=True)
    assert "trong 13" in by_issuer  # the even ones, by their issuer
    prio = c.get("/bulletins/?priority=priority").get_data(as_text=True)
    assert "Lịch tiêm chủng" in prio and "Thông báo số" not in prio
    none = c.get("/bulletins/?q=100%25_x").get_data(as_text=True)
    assert "Không có bản tin nào khớp." in none
    assert c.get("/bulletins/?page=abc&per=-3").status_code == 200


def test_audit_log_search_action_filter_and_pages(panel: Panel) -> None:
    with panel.session() as s:
        s.execute(delete(AuditLog))
        for i in range(30):
            audit(s, "vanhanh" if i % 3 else "quantri", "station.update" if i % 2 else "session.add", f"dai-{i}")
    c = panel.client("admin")
    page = c.get("/reports/audit?per=10").get_data(as_text=True)
    assert "1–10 trong 30" in page and "dai-29" in page and "dai-19" not in page
    page2 = c.get("/reports/audit?per=10&page=2").get_data(as_text=True)
    assert "dai-19" in page2 and "dai-29" not in page2
    found = c.get("/reports/audit?q=quantri").get_data(as_text=True)
    assert "trong 10" in found
    only = c.get("/reports/audit?action=session.add").get_data(as_text=True)
    assert "trong 15" in only and "dai-1<" not in only
    assert "Không có thao tác nào khớp." in c.get("/reports/audit?q=khong-ai").get_data(as_text=True)


def test_reports_take_a_search_and_a_status(panel: Panel) -> None:
    c = panel.client("admin")
    r = c.get("/reports/?q=cắt+điện&status=played&page=2&per=20")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'value="cắt điện"' in page
    assert 'value="played" selected' in page
    csv = c.get("/reports/asrun.csv?q=abc")
    assert csv.status_code == 200
