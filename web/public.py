"""The district portal's public page and podcast feed: approved, non-emergency bulletins,
with their text and audio, so citizens can listen online as well as on the loudspeakers."""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, time
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from sqlalchemy import select

from broadcast import clock
from broadcast.models import Bulletin, BulletinStatus, Priority
from web import db

bp = Blueprint("public", __name__, url_prefix="/public")

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
FEED_SIZE = 100


def public_bulletins() -> list[Bulletin]:
    """Approved, rendered, non-emergency bulletins that have started airing, newest first."""
    query = (
        select(Bulletin)
        .where(
            Bulletin.status == BulletinStatus.APPROVED,
            Bulletin.priority != Priority.EMERGENCY,
            Bulletin.media_sha256.is_not(None),
            Bulletin.valid_from <= clock.today(db.settings().timezone),  # not before it has been on the air
        )
        .order_by(Bulletin.valid_from.desc(), Bulletin.id.desc())
        .limit(FEED_SIZE)
    )
    return list(db.session().scalars(query))


#: The public page has inline styles only, no script; the feed is XML. Neither may be framed.
CSP_PAGE = (
    "default-src 'none'; style-src 'unsafe-inline'; media-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
CSP_FEED = "default-src 'none'; frame-ancestors 'none'"
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def trusted_hosts() -> set[str]:
    """Host names the request's Host may carry when ``public_url`` is empty."""
    s = db.settings()
    return {h.lower() for h in (s.public_hosts or (s.host, *_LOOPBACK))}


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _base_url() -> str:
    """public_url if set; else the request's own URL, but only for a trusted Host (links in the feed
    must not point wherever a forged Host header says)."""
    public = db.settings().public_url.rstrip("/")
    if public:
        return public
    if _host_name(request.host.lower()) not in trusted_hosts():
        abort(400)
    return request.host_url.rstrip("/")


@bp.before_request
def _check_host() -> None:
    _base_url()


@bp.after_request
def _csp(resp: Any) -> Any:
    resp.headers["Content-Security-Policy"] = CSP_FEED if request.endpoint == "public.feed" else CSP_PAGE
    return resp


@bp.get("/")
def index() -> str:
    return render_template("public/index.html", bulletins=public_bulletins())


@bp.get("/feed.xml")
def feed() -> Response:
    base = _base_url()
    ET.register_namespace("itunes", ITUNES)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    for tag, text in (
        ("title", "Đài truyền thanh cơ sở — bản tin"),
        ("link", base + url_for("public.index")),
        ("description", "Bản tin tuyên truyền đã được duyệt, phát trên loa truyền thanh cơ sở."),
        ("language", "vi"),
    ):
        ET.SubElement(channel, tag).text = text
    ET.SubElement(channel, f"{{{ITUNES}}}explicit").text = "false"
    for b in public_bulletins():
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = b.title
        ET.SubElement(item, "description").text = b.body or b.title
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = f"loa-bulletin-{b.id}-{b.media_sha256}"
        published = datetime.combine(b.valid_from, time(0, 0), tzinfo=UTC)
        ET.SubElement(item, "pubDate").text = email.utils.format_datetime(published)
        if b.category:
            ET.SubElement(item, "category").text = b.category
        if b.issuer:
            ET.SubElement(item, f"{{{ITUNES}}}author").text = b.issuer
        size = b.media.size if b.media else 0
        ET.SubElement(
            item,
            "enclosure",
            {"url": f"{base}/api/v1/media/{b.media_sha256}", "length": str(size), "type": "audio/mpeg"},
        )
        if b.media and b.media.duration_s:
            ET.SubElement(item, f"{{{ITUNES}}}duration").text = str(round(b.media.duration_s))
    body = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/rss+xml")
