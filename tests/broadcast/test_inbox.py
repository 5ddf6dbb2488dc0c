"""The inbox service: a commune's decisions on bulletins from a higher unit (Circular 39)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import bulletins as bl
from broadcast import inbox, units, users
from broadcast.errors import BroadcastError, Forbidden
from broadcast.models import AuditLog, Bulletin, InboxDecision, RegenRequest, Station, Unit
from tests.broadcast.conftest import count_rows

TREE = "code,name,kind,parent\n68,Tỉnh Lâm Đồng,tinh,\n24823,Xã Hiệp An,xa,68\n24826,Xã Liên Hiệp,xa,68\n"
D1, D2 = date(2026, 12, 1), date(2026, 12, 31)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from broadcast import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def tree(session: Session) -> dict[str, Unit]:
    units.import_units(session, units.parse_units_csv(TREE), actor="admin")
    t = {u.code: u for u in units.all_units(session)}
    for code, unit in (("ha-1", "24823"), ("ha-2", "24823"), ("lh-1", "24826")):
        session.add(Station(code=code, name=f"Cụm {code}", unit_id=t[unit].id))
    for name, role, unit in (("tinh-bt", "editor", "68"), ("tinh-dv", "reviewer", "68"),
                             ("ha-vh", "operator", "24823"), ("lh-vh", "operator", "24826"),
                             ("ha-bt", "editor", "24823")):
        users.create_user(session, username=name, role=role, password="mat-khau-1", actor="admin", unit=unit)
    session.flush()
    return t


def _sent(session: Session, priority: str = "normal", actor: str = "tinh-bt") -> Bulletin:
    b = bl.create_bulletin(session, title=f"Tỉnh gửi ({priority})", body="Nội dung.", priority=priority,
                           valid_from=D1, valid_to=D2, actor=actor)
    bl.submit(session, b, actor)
    bl.approve(session, b, "tinh-dv")
    return b


def test_a_normal_bulletin_waits_then_each_commune_decides(session: Session, tree: dict[str, Unit]) -> None:
    b = _sent(session)
    assert b.unit_id == tree["68"].id  # the editor's unit issues it
    assert [(e.unit_code, e.state, e.stations) for e in inbox.status(session, b)] == [
        ("24823", inbox.WAITING, ("ha-1", "ha-2")), ("24826", inbox.WAITING, ("lh-1",))]
    assert [e.bulletin_id for e in inbox.inbox(session, tree["24823"])] == [b.id]
    session.query(RegenRequest).delete()
    inbox.accept(session, b, tree["24823"], actor="ha-vh")
    inbox.decline(session, b, tree["24826"], actor="lh-vh", reason="  Không phù hợp   địa bàn ")
    st = {e.unit_code: e for e in inbox.status(session, b)}
    assert (st["24823"].state, st["24823"].actor) == (inbox.ACCEPTED, "ha-vh")
    assert (st["24826"].state, st["24826"].reason) == (inbox.DECLINED, "Không phù hợp địa bàn")
    assert st["24826"].at is not None and st["24826"].state_vi == "đã từ chối"
    audits = session.execute(select(AuditLog.actor, AuditLog.action, AuditLog.target, AuditLog.detail)
                             .where(AuditLog.action.like("inbox.%")).order_by(AuditLog.id)).all()
    assert [(a, act, tgt, d["unit"]) for a, act, tgt, d in audits] == [
        ("ha-vh", "inbox.accepted", f"bulletin:{b.id}", "24823"),
        ("lh-vh", "inbox.declined", f"bulletin:{b.id}", "24826")]
    assert sorted(c for r in session.scalars(select(RegenRequest)) for c in r.station_codes or []) == [
        "ha-1", "ha-2", "lh-1"]
    # A commune may change its mind; the row keeps the latest, the audit log every decision.
    inbox.accept(session, b, tree["24826"], actor="lh-vh")
    assert session.scalar(select(InboxDecision.state).where(InboxDecision.unit_id == tree["24826"].id)) == "accepted"
    assert [s for s, _ in inbox.sent(session, units_scope(session, "tinh-bt"))] == [b]


def units_scope(session: Session, username: str):  # type: ignore[no-untyped-def]
    from broadcast import permissions
    return permissions.scope_of(session, permissions.actor_user(session, username))


def test_decline_needs_a_reason_and_only_the_communes_operator_decides(
    session: Session, tree: dict[str, Unit]
) -> None:
    b = _sent(session)
    before = count_rows(session)
    with pytest.raises(BroadcastError, match="Cần ghi lý do"):
        inbox.decline(session, b, tree["24823"], actor="ha-vh", reason="  ")
    with pytest.raises(Forbidden, match="không làm việc cho đơn vị này"):
        inbox.accept(session, b, tree["24823"], actor="lh-vh")  # another commune's operator
    with pytest.raises(Forbidden, match="không có quyền"):
        inbox.accept(session, b, tree["24823"], actor="ha-bt")  # an editor
    with pytest.raises(BroadcastError, match="không phải bản tin cấp trên gửi đến"):
        inbox.accept(session, b, tree["68"], actor="admin")  # the sender has no inbox for its own
    assert count_rows(session) == before


def test_emergency_and_priority_cannot_be_declined(session: Session, tree: dict[str, Unit]) -> None:
    em = _sent(session, "emergency")
    pr = _sent(session, "priority")
    with pytest.raises(BroadcastError, match="khẩn cấp phát ngay"):
        inbox.decline(session, em, tree["24823"], actor="ha-vh", reason="bận")
    with pytest.raises(BroadcastError, match="ưu tiên được xếp vào phiên phát kế tiếp"):
        inbox.decline(session, pr, tree["24823"], actor="ha-vh", reason="bận")
    assert {e.state for e in inbox.status(session, em)} == {inbox.FORCED}
    assert {(e.state, e.position) for e in inbox.status(session, pr)} == {(inbox.SCHEDULED, "before")}
    inbox.order(session, pr, tree["24823"], "after", actor="ha-vh", reason="Xã phát lịch tiêm trước")
    st = {e.unit_code: e for e in inbox.status(session, pr)}
    assert st["24823"].position == "after" and st["24826"].position == "before"
    with pytest.raises(BroadcastError, match="Chỉ bản tin ưu tiên"):
        inbox.order(session, em, tree["24823"], "after", actor="ha-vh")
    with pytest.raises(BroadcastError, match="'before'"):
        inbox.order(session, pr, tree["24823"], "sideways", actor="ha-vh")


def test_unapproved_bulletin_is_in_no_inbox(session: Session, tree: dict[str, Unit]) -> None:
    b = bl.create_bulletin(session, title="Nháp", body="x", valid_from=D1, valid_to=D2, actor="tinh-bt")
    assert inbox.inbox(session, tree["24823"]) == []
    with pytest.raises(BroadcastError, match="chưa được duyệt"):
        inbox.accept(session, b, tree["24823"], actor="ha-vh")


def test_auto_accept_is_the_communes_setting(session: Session, tree: dict[str, Unit]) -> None:
    b = _sent(session)
    with pytest.raises(Forbidden):
        inbox.set_auto_accept(session, tree["24823"], True, actor="lh-vh")
    inbox.set_auto_accept(session, tree["24823"], True, actor="ha-vh")
    assert [e.state for e in inbox.inbox(session, tree["24823"])] == [inbox.AUTO]
    assert inbox.inbox(session, tree["24823"], states=[inbox.WAITING]) == []
    assert session.scalar(select(AuditLog.detail).where(AuditLog.action == "inbox.auto_accept")) == {"on": True}
    assert [e.state for e in inbox.status(session, b)] == [inbox.AUTO, inbox.WAITING]


def test_a_commune_editor_targets_only_its_own_clusters(session: Session, tree: dict[str, Unit]) -> None:
    with pytest.raises(BroadcastError, match="Đài lh-1 không thuộc Xã Hiệp An"):
        bl.create_bulletin(session, title="Xã", body="x", valid_from=D1, valid_to=D2, actor="ha-bt",
                           station_codes=["ha-1", "lh-1"])
    own = bl.create_bulletin(session, title="Xã", body="x", valid_from=D1, valid_to=D2, actor="ha-bt")
    assert own.unit_id == tree["24823"].id
    assert bl.target_station_codes(session, own) == ["ha-1", "ha-2"]  # "all" is all of its own
    with pytest.raises(BroadcastError, match="không thuộc phạm vi"):
        bl.create_bulletin(session, title="Xã", body="x", valid_from=D1, valid_to=D2, actor="ha-bt", unit="68")
