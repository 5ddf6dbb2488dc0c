"""The public page and feed: a Content-Security-Policy, and links never taken from an untrusted Host
(issue 7, items 21 and 22)."""

from __future__ import annotations

from pathlib import Path

from tests.web.panel_support import make_panel


def test_public_page_and_feed_send_a_csp(tmp_path: Path) -> None:
    c = make_panel(tmp_path / "d").anonymous()
    page = c.get("/public/")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]
    feed = c.get("/public/feed.xml")
    assert feed.status_code == 200 and "frame-ancestors 'none'" in feed.headers["Content-Security-Policy"]


def test_a_forged_host_gets_400_without_public_url(tmp_path: Path) -> None:
    c = make_panel(tmp_path / "d").anonymous()
    assert c.get("/public/feed.xml", headers={"Host": "evil.example"}).status_code == 400
    assert c.get("/public/", headers={"Host": "evil.example"}).status_code == 400
    assert c.get("/public/feed.xml", headers={"Host": "127.0.0.1:8080"}).status_code == 200


def test_trusted_hosts_setting(tmp_path: Path) -> None:
    c = make_panel(tmp_path / "d", public_hosts=("loa.lamdong.gov.vn",)).anonymous()
    r = c.get("/public/feed.xml", headers={"Host": "loa.lamdong.gov.vn"})
    assert r.status_code == 200
    assert c.get("/public/feed.xml", headers={"Host": "localhost"}).status_code == 400


def test_public_url_wins_over_the_host(tmp_path: Path) -> None:
    c = make_panel(tmp_path / "d", public_url="https://loa.example.vn").anonymous()
    r = c.get("/public/feed.xml", headers={"Host": "evil.example"})
    assert r.status_code == 200 and b"evil.example" not in r.data and b"https://loa.example.vn" in r.data
