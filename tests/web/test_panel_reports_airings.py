"""The report page: one vocabulary in both tables, each airing listed with its times, a formula-safe CSV
(issue 7, items 11, 28, 29)."""

from __future__ import annotations

import csv
import io

from tests.web.panel_support import Panel
from tests.web.test_panel_schedule_reports import asrun_rows


def test_both_tables_use_one_vocabulary_and_airings_are_listed(panel: Panel) -> None:
    bid = panel.bulletin("approved", title="Thông báo họp")
    asrun_rows(panel, bid)
    page = panel.client("operator").get("/reports/?from=2026-11-15&to=2026-11-25").get_data(as_text=True)
    heads = ["Kế hoạch", "Chưa đến giờ", "Đã phát", "Bị cắt", "Không phát", "Bỏ qua", "Lỗi", "Phút"]
    totals = page[page.index("Tổng theo đài") : page.index("Chi tiết")]
    detail = page[page.index("Chi tiết") : page.index("Từng lần phát")]
    for h in heads:
        assert f">{h}</th>" in totals and f">{h}</th>" in detail
    airings = page[page.index("Từng lần phát") :]
    assert "05:30:00" in airings and "05:42:00" in airings and "Đã phát" in airings  # station clock


def test_panel_csv_defuses_formulas(panel: Panel) -> None:
    bid = panel.bulletin("approved", title="=cmd|' /C calc'!A0")
    asrun_rows(panel, bid)
    r = panel.client("operator").get("/reports/asrun.csv?from=2026-11-15&to=2026-11-25")
    table = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert table[1][4] == "'=cmd|' /C calc'!A0"


def test_report_details_name_the_stations(panel: Panel) -> None:
    """Issue 7.25: an official reads names, not codes, in the details and the list of airings."""
    bid = panel.bulletin("approved", title="Thông báo họp")
    asrun_rows(panel, bid)
    page = panel.client("operator").get("/reports/?from=2026-11-15&to=2026-11-25").get_data(as_text=True)
    detail = page[page.index("Chi tiết") : page.index("Từng lần phát")]
    airings = page[page.index("Từng lần phát") :]
    assert "<td>Xã Tà Năng <span" in detail and "<td>Xã Tà Năng <span" in airings
