from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from broadcast import clock
from broadcast.models import Bulletin, BulletinStatus, MediaFile, Priority

from .conftest import Env

TODAY = clock.today("Asia/Ho_Chi_Minh")  # the stations' day, as the panel sees it


def add_bulletin(env: Env, title: str, priority: Priority, status: BulletinStatus, sha: str | None,
                 starts: date | None = None) -> None:
    with env.session() as s:
        if sha:
            s.merge(MediaFile(sha256=sha, path=f"{sha[:2]}/{sha}.mp3", size=4321, duration_s=61.0))
        s.add(Bulletin(title=title, body="Nội dung <b>đậm</b> & \"trích dẫn\"", priority=priority, status=status,
                       valid_from=starts or TODAY, valid_to=(starts or TODAY) + timedelta(days=2), media_sha256=sha,
                       issuer="UBND xã Hiệp An", category="Thông báo"))


def seed(env: Env) -> None:
    add_bulletin(env, "Thông báo tiêm chủng <script>alert(1)</script>", Priority.NORMAL, BulletinStatus.APPROVED,
                 "a1" * 32)
    add_bulletin(env, "Cảnh báo bão khẩn cấp", Priority.EMERGENCY, BulletinStatus.APPROVED, "b2" * 32)
    add_bulletin(env, "Bản nháp chưa duyệt", Priority.NORMAL, BulletinStatus.SUBMITTED, "c3" * 32)
    add_bulletin(env, "Đã duyệt nhưng chưa dựng", Priority.PRIORITY, BulletinStatus.APPROVED, None)
    add_bulletin(env, "Bắt đầu phát từ ngày mai", Priority.NORMAL, BulletinStatus.APPROVED, "d4" * 32,
                 starts=TODAY + timedelta(days=1))


def test_public_page_lists_only_approved_non_emergency_bulletins_escaped(env: Env) -> None:
    seed(env)
    resp = env.client.get("/public/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Thông báo tiêm chủng &lt;script&gt;" in html and "<script>alert(1)" not in html
    assert "Cảnh báo bão" not in html and "Bản nháp" not in html and "chưa dựng" not in html
    assert "ngày mai" not in html  # not on the air yet
    assert f'src="/api/v1/media/{"a1" * 32}"' in html
    assert "&lt;b&gt;đậm&lt;/b&gt;" in html


def test_podcast_feed_is_rss2_with_enclosures(env: Env) -> None:
    seed(env)
    resp = env.client.get("/public/feed.xml")
    assert resp.status_code == 200 and resp.mimetype == "application/rss+xml"
    root = ET.fromstring(resp.data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    assert [i.findtext("title") for i in items] == ["Thông báo tiêm chủng <script>alert(1)</script>"]
    enclosure = items[0].find("enclosure")
    assert enclosure is not None
    assert enclosure.get("url") == f"http://localhost/api/v1/media/{'a1' * 32}"
    assert enclosure.get("length") == "4321" and enclosure.get("type") == "audio/mpeg"
    assert items[0].findtext("{http://www.itunes.com/dtds/podcast-1.0.dtd}duration") == "61"


def test_public_page_needs_no_login_and_shows_an_empty_state(env: Env) -> None:
    resp = env.client.get("/public/")
    assert resp.status_code == 200 and "Chưa có bản tin nào" in resp.get_data(as_text=True)
    assert env.client.get("/").status_code in (302, 303)
    assert "/login" in env.client.get("/").headers["Location"]
