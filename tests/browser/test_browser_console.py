"""The operator's console in a real browser (issue 12): /dashboard at desktop and phone width, its
self-refresh, the remote-control buttons with an agent's acknowledgement coming back, and /status.
Debian's Chromium driven by Playwright; screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from broadcast.models import RemoteCommand
from tests.browser.conftest import SHOTS, Site, SiteSpec

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-bang-dieu-khien"
#: Test positions around Đức Trọng (about 11.73 N, 108.37 E), one per sample station.
OFFSETS = [(0.00, 0.00), (0.05, -0.06), (0.07, -0.02), (0.03, 0.04), (-0.04, -0.05), (-0.06, 0.02),
           (-0.02, 0.08), (0.09, 0.05), (-0.08, -0.09), (0.01, -0.11), (-0.10, 0.07), (0.12, -0.08),
           (-0.12, -0.01), (0.04, 0.11), (-0.05, 0.12)]


def _with_coordinates(text: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=[*rows[0].keys(), "lat", "lon"], lineterminator="\n")
    w.writeheader()
    for row, (dlat, dlon) in zip(rows, OFFSETS, strict=False):
        w.writerow({**row, "lat": f"{11.73 + dlat:.4f}", "lon": f"{108.37 + dlon:.4f}"})
    return out.getvalue()


#: An operator and an admin; the stations placed on the map, each with an agent token (heartbeats).
SITE = SiteSpec(password=PASSWORD, roles=("operator", "admin"), name="console", workers=1,
                settings={"dashboard_refresh_s": 2.0}, stations_csv=_with_coordinates, agent_tokens=True)


def login(browser, site: Site, role: str, width: int = 1280):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(site.url + "/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.js_errors = errors
    return page


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def beat(site: Site, code: str, **body: object) -> dict:
    r = requests.post(f"{site.url}/api/v1/heartbeat", json=body, timeout=10,
                      headers={"Authorization": f"Bearer {site.tokens[code]}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_dashboard_lands_draws_the_map_and_refreshes_itself(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "admin")
    assert page.url.endswith("/dashboard")
    expect(page.locator(".count-online")).to_have_text("0/15 trực tuyến")
    assert page.locator("svg g.pin").count() == 15
    assert page.locator("table.console tbody tr").count() == 15
    shot(page, "20-dashboard")
    beat(site, "hiep-an", playing="Thông báo lịch tiêm chủng")
    # no reload: the page fetches its live part by itself every dashboard_refresh_s (2 s here)
    expect(page.locator(".count-online")).to_have_text("1/15 trực tuyến", timeout=10_000)
    expect(page.locator("#st-hiep-an")).to_contain_text("Thông báo lịch tiêm chủng")
    assert page.locator("svg g.pin.online").count() == 1
    assert page.js_errors == []


def test_dashboard_fits_a_phone(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "operator", width=390)
    assert page.url.endswith("/dashboard")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("svg g.pin").first.is_visible()
    shot(page, "21-dashboard-390px")
    assert page.js_errors == []


def test_remote_control_buttons_and_the_agent_ack(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "operator")
    page.select_option("#remote-station", "ta-nang")
    page.fill("#remote-form input[name=level]", "35")
    page.click("#remote-form button[value=volume]")
    page.wait_for_load_state()
    expect(page.locator(".flash.ok")).to_contain_text("Đã gửi lệnh “Âm lượng” tới đài ta-nang")
    expect(page.locator("#st-ta-nang")).to_contain_text("chờ máy phát nhận")
    page.select_option("#remote-station", "hiep-an")
    page.click("#remote-form button[value=tone]")
    page.wait_for_load_state()
    with site.session() as s:
        cmds = [(c.id, c.kind, c.station.code) for c in s.scalars(select(RemoteCommand).order_by(RemoteCommand.id))]
    assert [c[1:] for c in cmds] == [("volume", "ta-nang"), ("tone", "hiep-an")]
    shot(page, "22-remote-sent")
    reply = beat(site, "ta-nang")
    [order] = reply["commands"]
    assert order == {"id": cmds[0][0], "kind": "volume", "params": {"level": 35}}
    beat(site, "ta-nang", acks=[{"id": order["id"], "ok": True, "result": "âm lượng 35%"}])
    expect(page.locator(f'#st-ta-nang [data-command="{order["id"]}"]')).to_have_attribute(
        "data-state", "done", timeout=10_000)
    expect(page.locator("#st-ta-nang")).to_contain_text("âm lượng 35%")
    expect(page.locator("#st-hiep-an")).to_contain_text("Tiếng thử")
    shot(page, "23-remote-done")
    assert page.js_errors == []


def test_status_page(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, site, "admin")
    page.click("text=Tình trạng hệ thống")
    page.wait_for_load_state()
    assert page.url.endswith("/status")
    expect(page.locator("#voices")).to_contain_text("espeak")
    expect(page.locator("#disk")).to_contain_text("GB")
    expect(page.locator("#versions")).to_contain_text("SQLAlchemy")
    shot(page, "24-status")
    page.set_viewport_size({"width": 390, "height": 844})
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
        .map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    shot(page, "25-status-390px")
    assert page.js_errors == []
