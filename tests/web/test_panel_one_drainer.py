"""Issue 8: a panel change does not drain the outbox while a live scheduler holds its claim (it is
left to that drainer); with no holder, the panel's job takes the claim and drains."""

from __future__ import annotations

from panel_support import Panel, post
from sqlalchemy import func, select

from broadcast.db import session_scope
from broadcast.models import Playlist, RegenRequest
from broadcast.scheduler import DRAIN_LOCK, finish_claim, try_claim


def _pending(panel: Panel) -> int:
    with panel.session() as s:
        return int(s.scalar(select(func.count()).select_from(RegenRequest).where(RegenRequest.done_at.is_(None))) or 0)


def _playlists(panel: Panel, code: str) -> int:
    with panel.session() as s:
        from broadcast.models import Station

        return int(s.scalar(select(func.count()).select_from(Playlist).join(Station).where(Station.code == code)) or 0)


def test_a_view_leaves_the_drain_to_the_live_claim_holder(panel: Panel) -> None:
    factory = panel.app.extensions["loa_sessions"]
    with session_scope(factory) as s:
        s.execute(RegenRequest.__table__.delete())  # the seeded import's requests
    assert try_claim(factory, DRAIN_LOCK, "scheduler-elsewhere:1:x", lease_s=60)
    c = panel.client("operator")
    r = post(c, "/stations/new", {"code": "da-loan", "name": "Xã Đà Loan", "kind": "xa",
                                  "timezone": "Asia/Ho_Chi_Minh", "sessions": "T2-CN 05:30-06:00"})
    assert r.status_code == 302
    assert _pending(panel) == 1 and _playlists(panel, "da-loan") == 0  # waiting for the holder
    finish_claim(factory, DRAIN_LOCK, "scheduler-elsewhere:1:x", "released")
    r = post(c, "/stations/new", {"code": "xa-moi", "name": "Xã Mới", "kind": "xa",
                                  "timezone": "Asia/Ho_Chi_Minh", "sessions": "T2-CN 05:30-06:00"})
    assert r.status_code == 302
    assert _pending(panel) == 0  # no holder: the panel's job drained both requests
    assert _playlists(panel, "da-loan") > 0 and _playlists(panel, "xa-moi") > 0
