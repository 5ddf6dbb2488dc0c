"""The district portal's public page and podcast feed: approved, non-emergency bulletins,
with their text and audio, so citizens can listen online as well as on the loudspeakers."""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, time

from flask import Blueprint, Response, render_template, request, url_for
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


def _base_url() -> str:
    return db.settings().public_url.rstrip("/") or request.host_url.rstrip("/")


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
