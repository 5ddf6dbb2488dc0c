"""The operator's console in a real browser (issue 12): /dashboard at desktop and phone width, its
self-refresh, the remote-control buttons with an agent's acknowledgement coming back, and /status.
Debian's Chromium driven by Playwright; screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from broadcast import security, stations
from broadcast.db import session_scope
from broadcast.models import RemoteCommand, Role, Station, User
from loa import config
from web.app import create_app
from web.jobs import ThreadJobQueue

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "mat-khau-bang-dieu-khien"
#: Test positions around Đức Trọng (about 11.73 N, 108.37 E), one per sample station.
OFFSETS = [(0.00, 0.00), (0.05, -0.06), (0.07, -0.02), (0.03, 0.04), (-0.04, -0.05), (-0.06, 0.02),
           (-0.02, 0.08), (0.09, 0.05), (-0.08, -0.09), (0.01, -0.11), (-0.10, 0.07), (0.12, -0.08),
           (-0.12, -0.01), (0.04, 0.11), (-0.05, 0.12)]


@dataclass
class Site:
    url: str
    app: object
    tokens: dict[str, str]

    def session(self):  # type: ignore[no-untyped-def]
        return session_scope(self.app.extensions["loa_sessions"])  # type: ignore[attr-defined]


def _with_coordinates(text: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=[*rows[0].keys(), "lat", "lon"], lineterminator="\n")
    w.writeheader()
    for row, (dlat, dlon) in zip(rows, OFFSETS, strict=False):
        w.writerow({**row, "lat": f"{11.73 + dlat:.4f}", "lon": f"{108.37 + dlon:.4f}"})
    return out.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    mp = pytest.MonkeyPatch()
    mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    data = tmp_path_factory.mktemp("console") / "loa-data"
    settings = config.load(data_dir=data, engine_order=("espeak",), secret_key="console-test", dashboard_refresh_s=2.0,
                           clarity_check=False)  # module-scoped: before conftest turns it off per test
    jobs = ThreadJobQueue(workers=1)
    app = create_app(settings, jobs=jobs)
    with session_scope(app.extensions["loa_sessions"]) as s:
        text = _with_coordinates((ROOT / "media" / "samples" / "stations-duc-trong.csv").read_text("utf-8"))
        stations.import_stations(s, stations.parse_stations_csv(text), group="Huyện Đức Trọng")
        for role in ("operator", "admin"):
            s.add(User(username=role, full_name=f"Cán bộ {role}", role=Role(role),
                       password_hash=security.hash_password(PASSWORD)))
        s.flush()
        tokens = {st.code: stations.issue_agent_token(s, st, "admin") for st in s.scalars(select(Station))}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", app, tokens)
    finally:
        server.shutdown()
        jobs.shutdown()
        mp.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium).")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


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
