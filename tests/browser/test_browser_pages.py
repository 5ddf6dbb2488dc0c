"""The pages of issue 12 in Debian's Chromium (Playwright): changing one's password, dd/mm/yyyy
dates on an English browser, lists with search and pages, the library, the week view's grid and
its drag-and-drop, and the stations list and emergency form at 390 px. Screenshots go to
test-artifacts/screenshots/ (names starting with p12-)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from broadcast import bulletins, security
from broadcast.generate import generate_playlists, latest_playlist
from broadcast.models import Bulletin, DayOrder, MediaFile, Role, StationJingle, User
from tests.browser import test_browser_panel as panel
from tests.browser.conftest import SHOTS, Site
from tests.browser.test_browser_panel import PASSWORD, TZ, login
from web.i18n import today

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
STATION = "hiep-an"
#: The panel scenario's site (tests/browser/conftest.py serves one per module).
SITE = panel.SITE


def shot(page, name: str, full: bool = True) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"p12-{name}.png"), full_page=full)


def phone(browser, site: Site, role: str):  # type: ignore[no-untyped-def]
    """A logged-in page 390 px wide (an iPhone 12/13/14's CSS width)."""
    page = login(browser, site, role)
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"


def test_english_browser_shows_dates_as_day_month_year(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = ctx.new_page()
    assert page.evaluate("navigator.language") == "en-US"
    page.goto(site.url + "/login")
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(site.url + "/bulletins/new")
    field = page.locator("input[name=valid_from]")
    assert field.get_attribute("type") == "text" and field.get_attribute("placeholder") == "dd/mm/yyyy"
    start = today(TZ)
    assert field.input_value() == f"{start:%d/%m/%Y}"
    shot(page, "01-date-field-en-US")
    end = start + timedelta(days=4)
    page.fill("input[name=title]", "Thông báo ngày tháng")
    page.fill("textarea[name=body]", "Ngày mai họp tổ dân phố lúc 19 giờ.")
    page.fill("input[name=valid_to]", f"{end:%d/%m/%Y}")
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    with site.session() as s:
        b = s.scalars(select(Bulletin).where(Bulletin.title == "Thông báo ngày tháng")).one()
        assert (b.valid_from, b.valid_to) == (start, end)
    page.goto(site.url + "/bulletins/new")
    page.fill("input[name=title]", "Sai ngày")
    page.fill("textarea[name=body]", "Nội dung.")
    page.fill("input[name=valid_from]", "12/31/2026")  # month first, as an English browser would write
    page.evaluate("document.querySelector('form').noValidate = true")
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    assert "hãy viết ngày/tháng/năm, ví dụ 27/11/2026" in page.locator(".errors").inner_text()
    shot(page, "02-date-error")
    ctx.close()


def test_user_changes_their_own_password(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    with site.session() as s:  # an account of its own: the other tests keep their passwords
        s.add(User(username="nguoi-duyet-2", full_name="Người duyệt 2", role=Role.REVIEWER,
                   password_hash=security.hash_password(PASSWORD)))
    other = login(browser, site, "nguoi-duyet-2")
    page = login(browser, site, "nguoi-duyet-2")
    page.click("header >> text=Đổi mật khẩu")
    page.fill("input[name=current]", "sai")
    page.fill("input[name=password]", "mat-khau-moi-123")
    page.fill("input[name=password2]", "mat-khau-moi-123")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Mật khẩu hiện tại không đúng." in page.locator(".errors").inner_text()
    shot(page, "03-password-error")
    page.js_errors.clear()  # the refused form answers 400, which the console reports
    page.fill("input[name=current]", PASSWORD)
    page.fill("input[name=password]", "mat-khau-moi-123")
    page.fill("input[name=password2]", "mat-khau-moi-123")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Đã đổi mật khẩu." in page.locator(".flash.ok").inner_text()
    shot(page, "04-password-changed")
    other.reload()
    assert "/login" in other.url  # the other login has ended
    assert page.js_errors == []


def test_lists_search_and_pages(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    with site.session() as s:
        day = today(TZ)
        for i in range(30):
            bulletins.create_bulletin(s, title=f"Tin thử số {i:02d}", body="Nội dung thử.", valid_from=day,
                                      valid_to=day, actor="editor", media_dir=site.settings.media_dir)
    page = login(browser, site, "editor")
    page.goto(site.url + "/bulletins/?per=20")
    assert page.locator("table tbody tr").count() == 20
    assert "Trang 1/" in page.locator(".pager").inner_text()
    page.click(".pager >> text=Trang sau")
    page.wait_for_load_state()
    assert "page=2" in page.url and "Trang 2/" in page.locator(".pager").inner_text()
    page.fill("input[name=q]", "số 07")
    page.click("form.list-search button")
    page.wait_for_load_state()
    assert page.locator("table tbody tr").count() == 1
    shot(page, "05-bulletins-search")
    admin = login(browser, site, "admin")
    admin.goto(site.url + "/reports/audit?per=10")
    assert admin.locator("table tbody tr").count() == 10
    admin.select_option("select[name=action]", "bulletin.create")
    admin.click("form.list-search button")
    admin.wait_for_load_state()
    assert "action=bulletin.create" in admin.url
    shot(admin, "06-audit-filtered")
    admin.goto(site.url + f"/reports/?from={today(TZ) - timedelta(days=2):%d/%m/%Y}&q=Tin")
    assert admin.locator("input[name=from]").input_value() == f"{today(TZ) - timedelta(days=2):%d/%m/%Y}"
    shot(admin, "07-reports-filters")
    assert page.js_errors == [] and admin.js_errors == []


def test_library_lists_plays_and_uploads_a_jingle(browser, site: Site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "operator")
    page.click("header >> text=Thư viện")
    page.wait_for_load_state()
    if page.locator("#upload-jingle").get_attribute("open") is None:
        page.locator("#upload-jingle summary").click()
    bad = tmp_path / "khong-phai-am-thanh.mp3"
    bad.write_bytes(b"not audio at all " * 100)
    page.set_input_files("input[name=file]", str(bad))
    page.select_option("select[name=target]", f"station:{STATION}")
    page.click("#upload-jingle button[type=submit]")
    page.wait_for_load_state()
    assert "không phải âm thanh dùng được" in page.locator(".flash.error").inner_text()
    with site.session() as s:
        assert s.scalars(select(StationJingle)).all() == []
    shot(page, "08-library-refused")
    if page.locator("#upload-jingle").get_attribute("open") is None:
        page.locator("#upload-jingle summary").click()
    page.set_input_files("input[name=file]", str(ROOT / "media" / "jingles" / "station-id.ogg"))
    page.select_option("select[name=target]", "group:Huyện Đức Trọng")
    page.click("#upload-jingle button[type=submit]")
    page.wait_for_load_state()
    assert "Đã tải lên nhạc hiệu" in page.locator(".flash.ok").inner_text()
    row = page.locator("table.library tbody tr").first
    assert "station-id.ogg" in row.inner_text() and "Huyện Đức Trọng" in row.inner_text()
    audio = row.locator("audio")
    duration = audio.evaluate("""a => new Promise((done, fail) => {
        a.addEventListener("loadedmetadata", () => done(a.duration));
        a.addEventListener("error", () => fail(new Error("audio error " + (a.error && a.error.code))));
        a.load();
    })""")
    assert duration > 0.5  # the browser reads the stored file
    shot(page, "09-library")
    assert page.js_errors == []


def _rendered(site: Site, title: str, day) -> int:  # type: ignore[no-untyped-def]
    with site.session() as s:
        b = bulletins.create_bulletin(s, title=title, body="Nội dung.", valid_from=day, valid_to=day,
                                      actor="editor", media_dir=site.settings.media_dir, station_codes=[STATION])
        sha = (title.encode().hex() * 64)[:64]
        s.add(MediaFile(sha256=sha, path=f"{sha[:2]}/{sha}.mp3", size=100, duration_s=45.0, mime="audio/mpeg"))
        s.flush()
        bulletins.submit(s, b, "editor")
        bulletins.approve(s, b, "reviewer")
        b.media_sha256, b.render_status = sha, "done"
        s.flush()
        return b.id


def _order(site: Site, day) -> list[int]:  # type: ignore[no-untyped-def]
    with site.session() as s:
        pl = latest_playlist(s, STATION, day)
        assert pl is not None
        return [i["bulletin_id"] for i in pl.manifest["items"] if i["kind"] == "bulletin"]


def test_week_view_grid_editing_and_reordering(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    day = today(TZ) + timedelta(days=2)
    ids = [_rendered(site, f"Tin tuần {n}", day) for n in ("A", "B", "C")]
    with site.session() as s:
        generate_playlists(s, site.settings, [day], [STATION])
    page = login(browser, site, "operator")
    page.goto(f"{site.url}/schedule/week/?station={STATION}&date={day:%d/%m/%Y}")
    assert page.locator(".week-col").count() == 7
    col = page.locator(f".week-col[data-day='{day.isoformat()}']")
    block = col.locator(".session-block").first
    box = block.bounding_box()
    assert box is not None and box["height"] >= 25  # placed by its length on the grid
    shot(page, "10-week")

    # a new session, drawn by clicking an empty spot of the day at about 11:00
    body = col.locator(".week-body")
    first_hour = int(page.locator("#week-grid").get_attribute("data-first-hour") or "5")
    body.click(position={"x": 30, "y": (11 - first_hour) * 60 + 2})
    dialog = page.locator("#session-editor")
    assert dialog.is_visible()
    assert page.locator("#editor-start").input_value() == "11:00"
    page.fill("#editor-end", "11:20")
    page.fill("#editor-name", "Phiên trưa")
    shot(page, "11-week-new-session", full=False)
    page.click("#editor-save")
    page.wait_for_load_state()
    assert "Đã thêm phiên phát 11:00–11:20" in page.locator(".flash.ok").inner_text()
    assert page.locator(f".week-col[data-day='{day.isoformat()}'] .session-block:has-text('Phiên trưa')").count() == 1

    # drag the new session one hour down: the editor opens at 12:00–12:20, saved on "Lưu phiên phát"
    noon = page.locator(f".week-col[data-day='{day.isoformat()}'] .session-block:has-text('Phiên trưa')")
    nb = noon.bounding_box()
    assert nb is not None
    page.mouse.move(nb["x"] + 20, nb["y"] + 5)
    page.mouse.down()
    page.mouse.move(nb["x"] + 20, nb["y"] + 35, steps=4)
    page.mouse.move(nb["x"] + 20, nb["y"] + 65, steps=4)
    page.mouse.up()
    assert dialog.is_visible()
    assert (page.locator("#editor-start").input_value(), page.locator("#editor-end").input_value()) == ("12:00", "12:20")
    page.click("#editor-save")
    page.wait_for_load_state()
    assert "Đã lưu phiên phát." in page.locator(".flash.ok").inner_text()
    assert page.locator(f".week-col[data-day='{day.isoformat()}'] .session-block[data-start='12:00']").count() == 1

    # reorder the first session's bulletins: drag the last one to the top, then one down by keyboard
    before = _order(site, day)
    assert sorted(before[:3]) == sorted(ids)
    page.locator(f".week-col[data-day='{day.isoformat()}'] .session-block").first.click()
    items = page.locator("#order-list li.movable")
    assert items.count() >= 3
    items.nth(2).drag_to(items.nth(0), target_position={"x": 10, "y": 2})
    dragged = [int(x) for x in page.eval_on_selector_all("#order-list li.movable", "ls => ls.map(l => l.dataset.bulletinId)")]
    assert dragged[0] == before[2]
    items.nth(0).focus()
    page.keyboard.press("Alt+ArrowDown")
    moved = [int(x) for x in page.eval_on_selector_all("#order-list li.movable", "ls => ls.map(l => l.dataset.bulletinId)")]
    assert moved[:2] == [dragged[1], dragged[0]]
    page.locator("#order-list li.movable").nth(2).locator("button.up").click()  # the button alternative
    final = [int(x) for x in page.eval_on_selector_all("#order-list li.movable", "ls => ls.map(l => l.dataset.bulletinId)")]
    shot(page, "12-week-reorder", full=False)
    page.click("#order-save")
    page.wait_for_load_state()
    assert "Đã lưu thứ tự phát" in page.locator(".flash.ok").inner_text()
    assert _order(site, day)[:3] == final
    with site.session() as s:
        assert s.scalar(select(DayOrder.bulletin_ids)) == final

    many = login(browser, site, "operator")
    many.goto(f"{site.url}/schedule/week/?view=day&date={day.isoformat()}")
    assert many.locator(".week-col").count() == 12  # a page of stations
    assert many.locator(".pager").count() == 1
    shot(many, "13-day-many-stations")
    assert page.js_errors == [] and many.js_errors == []


def test_stations_list_and_emergency_form_at_390px(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = phone(browser, site, "operator")
    page.goto(site.url + "/stations/")
    assert page.locator("table.stations tbody tr").count() == 15
    no_sideways_scroll(page)
    first = page.locator("table.stations tbody tr").first.bounding_box()
    assert first is not None and first["width"] <= 390
    shot(page, "14-stations-390px")
    shot(page, "14b-stations-390px-screen", full=False)
    rev = phone(browser, site, "reviewer")
    rev.goto(site.url + "/review/emergency")
    no_sideways_scroll(rev)
    for name in ("title", "valid_from", "valid_to"):
        box = rev.locator(f"input[name={name}]").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    assert rev.locator("input[name=valid_from]").get_attribute("placeholder") == "dd/mm/yyyy"
    shot(rev, "15-emergency-390px")
    button = rev.locator("text=Tiếp tục: xác nhận").bounding_box()
    assert button is not None and button["height"] >= 40 and button["x"] + button["width"] <= 390
    rev.fill("input[name=title]", "Cảnh báo sạt lở")
    rev.fill("textarea[name=body]", "Nguy cơ sạt lở đất, bà con tránh xa sườn đồi.")
    rev.check("input[name=target_kind][value=stations]")
    rev.check(f"input[name=stations][value={STATION}]")
    rev.click("text=Tiếp tục: xác nhận")
    rev.wait_for_load_state()
    no_sideways_scroll(rev)
    shot(rev, "16-emergency-confirm-390px")
    assert page.js_errors == [] and rev.js_errors == []
