"""The panel in a real browser: Debian's Chromium driven by Playwright, against the app served on
a loopback port with real background jobs. Screenshots go to test-artifacts/screenshots/.

One scenario, in order, like a district's morning: an editor writes and previews a bulletin and
submits it; a reviewer approves it; an operator finds it in a station's schedule; a reviewer sends
an emergency; an operator exports the report.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from broadcast.asrun import record_asrun
from broadcast.models import Bulletin, BulletinStatus, Station
from tests.browser.conftest import SHOTS, Site, SiteSpec
from web.i18n import today

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-trinh-duyet"
TZ = "Asia/Ho_Chi_Minh"
TITLE = "Thông báo lịch tiêm chủng tháng 12"
STATION = "hiep-an"  # Xã Hiệp An, from the district's sample list
#: The served app of this scenario (and of test_browser_pages): one user of each role.
SITE = SiteSpec(password=PASSWORD, roles=("editor", "reviewer", "operator", "admin"))


def login(browser, site: Site, role: str):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="vi-VN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(site.url + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]
    page.js_errors = errors  # checked at the end of each test
    return page


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def schedule_day() -> datetime:
    """Tomorrow, or the day after if tomorrow is a Sunday (the sample stations rest on Sundays)."""
    day = today(TZ) + timedelta(days=1)
    return day if day.isoweekday() != 7 else day + timedelta(days=1)


def test_login_page_and_wrong_password(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(site.url + "/")
    assert page.url.endswith("/login") and page.locator("h1").inner_text() == "Đăng nhập"
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", "sai-mat-khau")
    page.click("button[type=submit]")
    assert "Sai tên đăng nhập hoặc mật khẩu." in page.locator(".errors").inner_text()
    shot(page, "01-login-error")
    ctx.close()


def test_editor_writes_previews_and_submits(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "editor")
    page.click("text=Viết bản tin mới")
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=body]",
              "Ngày 05/12/2026, lúc 7h30, Trạm Y tế xã tổ chức tiêm chủng cho trẻ dưới 5 tuổi.\n"
              "Đề nghị phụ huynh mang theo sổ tiêm chủng.")
    page.click("#normalize")
    expect(page.locator("#normalized")).to_contain_text("bảy giờ ba mươi", timeout=15_000)
    page.check("input[name=target_kind][value=stations]")
    page.check(f"input[name=stations][value={STATION}]")
    page.fill("input[name=plays_per_day]", "2")
    page.fill("input[name=valid_to]", (today(TZ) + timedelta(days=7)).isoformat())
    shot(page, "02-bulletin-form")
    page.click("button[name=action][value=save]")
    page.wait_for_url("**/bulletins/*")
    assert "Đã lưu bản nháp." in page.content()

    page.click("text=Tạo âm thanh nghe thử")
    page.wait_for_selector("#preview .player audio", timeout=60_000)
    page.wait_for_function(
        "() => { const a = document.querySelector('#preview audio'); return a && a.readyState >= 1 && a.duration > 0; }",
        timeout=30_000,
    )
    duration = page.evaluate("document.querySelector('#preview audio').duration")
    assert duration > 2.0
    assert page.locator(".preview-status").inner_text() == "Đã tạo xong âm thanh."
    shot(page, "03-bulletin-preview")

    page.click("form[action$='/submit'] button")
    page.wait_for_load_state()
    assert "Đã gửi bản tin đi duyệt." in page.content()
    with site.session() as s:
        b = s.scalar(select(Bulletin).where(Bulletin.title == TITLE))
        assert b is not None and b.status == BulletinStatus.SUBMITTED and b.media_sha256
    assert page.js_errors == []


def test_reviewer_approves_and_operator_sees_the_schedule(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "reviewer")
    assert page.url.endswith("/review/")
    page.click(f"text={TITLE}")
    assert page.locator("pre.normalized").inner_text().count("bảy giờ ba mươi") == 1
    shot(page, "04-review")
    page.fill("form[action$='/approve'] input[name=comment]", "Đồng ý phát")
    page.click("form[action$='/approve'] button")
    page.wait_for_load_state()
    assert "Đã duyệt bản tin" in page.content()
    # the bulletin page follows the render + playlist job, then shows the player
    page.wait_for_selector("#preview .preview-status:has-text('Đã tạo xong âm thanh.')", timeout=60_000)
    assert page.js_errors == []

    op = login(browser, site, "operator")
    day = schedule_day()
    op.goto(f"{site.url}/schedule/?station={STATION}&date={day.isoformat()}")
    op.wait_for_selector("svg.timeline")
    assert TITLE in op.locator("main").inner_text()
    assert op.locator("svg.timeline .item.bulletin").count() >= 2  # 2 plays a day
    shot(op, "05-schedule")
    assert op.js_errors == []


def test_reviewer_sends_an_emergency(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "reviewer")
    page.click("header >> text=Phát khẩn cấp")
    page.fill("input[name=title]", "Cảnh báo lũ quét")
    page.fill("textarea[name=body]", "Mưa lớn, nguy cơ lũ quét. Bà con vùng trũng di chuyển đến nơi an toàn ngay.")
    page.check("input[name=target_kind][value=stations]")
    page.check(f"input[name=stations][value={STATION}]")
    page.click("text=Tiếp tục: xác nhận")
    page.wait_for_url("**/emergency")
    assert page.locator("h1").inner_text() == "Xác nhận phát khẩn cấp"
    shot(page, "06-emergency-confirm")
    page.click("text=Xác nhận: phát khẩn cấp ngay")
    page.wait_for_load_state()
    assert "Đã phát lệnh khẩn cấp." in page.content()
    page.wait_for_selector("#preview .preview-status:has-text('Đã tạo xong âm thanh.')", timeout=60_000)

    op = login(browser, site, "operator")
    op.goto(f"{site.url}/schedule/?station={STATION}&date={today(TZ).isoformat()}")
    assert "Cảnh báo lũ quét" in op.locator("main").inner_text()
    assert op.locator(".badge.prio-emergency").count() >= 1
    shot(op, "07-schedule-emergency")
    assert page.js_errors == [] and op.js_errors == []


def test_operator_exports_the_report(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    start = datetime.now(UTC) - timedelta(days=1)
    with site.session() as s:
        for code, minutes in ((STATION, 14), ("lien-nghia", 6), ("ta-hine", 9)):
            st = s.scalar(select(Station).where(Station.code == code))
            assert st is not None, code
            record_asrun(s, st, [{
                "uid": f"{code}-r1", "date": start.astimezone().date().isoformat(), "kind": "bulletin",
                "title": TITLE, "actual_start": start.isoformat(),
                "actual_end": (start + timedelta(minutes=minutes)).isoformat(), "status": "played",
            }])
    page = login(browser, site, "operator")
    page.click("header >> text=Báo cáo")
    page.wait_for_selector("svg.chart")
    chart = page.locator("svg.chart").inner_html()
    assert "Xã Hiệp An" in chart and "14,0 phút" in chart
    shot(page, "08-report")
    with page.expect_download() as info:
        page.click("text=Tải CSV")
    path = info.value.path()
    rows = list(csv.reader(io.StringIO(Path(path).read_bytes().decode("utf-8-sig"))))
    assert rows[0][0] == "Mã đài" and {r[0] for r in rows[1:]} == {STATION, "lien-nghia", "ta-hine"}
    assert page.js_errors == []


def test_operator_manages_a_station(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "operator")
    assert page.url.endswith("/dashboard")  # an operator's home (issue 12)
    page.goto(site.url + "/stations/")
    assert page.locator("table tbody tr").count() == 15
    shot(page, "10-stations")
    page.click("text=hiep-an")
    page.fill("form[action$='/sessions'] input[name=spec]", "T2 05:45-06:15")
    page.click("form[action$='/sessions'] button")
    page.wait_for_load_state()
    assert "Phiên phát trùng giờ" in page.locator(".flash.error").inner_text()
    page.fill("form[action$='/sessions'] input[name=spec]", "T2-T6 11:00-11:20")
    page.fill("form[action$='/sessions'] input[name=name]", "Phiên trưa")
    page.click("form[action$='/sessions'] button")
    page.wait_for_load_state()
    assert "Phiên trưa" in page.locator("main").inner_text()
    page.click("text=Tạo mã truy cập mới")
    token = page.locator("#token").inner_text()
    assert len(token) >= 40
    shot(page, "11-station-token")
    assert page.js_errors == []


def test_english_toggle(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "admin")
    page.click("text=English")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Stations at a glance"  # an admin lands on the dashboard (issue 12)
    shot(page, "09-english")
