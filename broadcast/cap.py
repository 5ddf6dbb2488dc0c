"""Common Alerting Protocol 1.2 alerts → emergency bulletins (issue 11.5).

A warning from the disaster authorities arrives as a CAP 1.2 message (``loa cap import FILE.xml``,
``POST /api/v1/cap``). ``import_alert`` parses it safely (defusedxml: no entity expansion, no
external entities or DTDs, a size limit read before parsing) and, in the caller's transaction:

- ``Alert``: an emergency bulletin from the Vietnamese ``info`` (``vi``/``vi-VN``; else the first
  one, and the result says so): headline as title, description and instruction as the script. It
  targets the stations of the units its area geocodes name (a unit's code, or a scheme mapped by
  the ``cap_geocode_map`` CSV). No unit matched: the bulletin goes to every station and is marked
  for the reviewer to target. It is submitted for review, or approved at once when the deployment
  allows it (``cap_auto_approve``) for an Extreme, Immediate alert whose areas matched.
- ``Update``: changes the bulletin its ``references`` name; ``Cancel``: withdraws it. A reference
  to an alert never received is an error.
- A message already received (same sender and identifier) changes nothing and answers as before.

Nothing is written when a message is refused. The bulletins go through ``broadcast.bulletins``'s
commands, so their transitions, audit rows and regeneration requests are the usual ones.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
import defusedxml.ElementTree as SafeET
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import bulletins, unit_reach, units
from broadcast.changes import audit
from broadcast.errors import BroadcastError, InvalidTransition, NotFound
from broadcast.models import Bulletin, BulletinStatus, CapAlert, Unit
from loa.config import Settings

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_Q = "{" + CAP_NS + "}"
#: msgType values that make or change a bulletin (Ack and Error carry nothing to air).
MSG_TYPES = ("Alert", "Update", "Cancel")
#: CAP's default language when an info has none.
DEFAULT_LANGUAGE = "en-US"
CATEGORY = "Cảnh báo CAP"
#: An alert airs at most this many days (its ``expires`` is kept within today … today + 6).
MAX_DAYS = 7
_ID_MAX = 255
_S = BulletinStatus


class CapTooLarge(BroadcastError):
    """The document is over ``cap_max_bytes`` (the API answers 413)."""


# --- the message -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    sender: str
    identifier: str
    sent: datetime
    text: str


@dataclass(frozen=True)
class Area:
    desc: str
    #: (valueName, value) pairs.
    geocodes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Info:
    language: str
    event: str
    urgency: str
    severity: str
    headline: str
    description: str
    instruction: str
    sender_name: str
    expires: datetime | None
    areas: tuple[Area, ...]

    @property
    def is_vietnamese(self) -> bool:
        lang = self.language.strip().lower()
        return lang in ("vi", "vi-vn")


@dataclass(frozen=True)
class Alert:
    identifier: str
    sender: str
    sent_text: str
    sent_at: datetime
    status: str
    msg_type: str
    references: tuple[Reference, ...]
    infos: tuple[Info, ...]


def _xml(data: bytes, max_bytes: int) -> Element:
    """The document's root, parsed without entities, external references or an oversized read."""
    if len(data) > max_bytes:
        raise CapTooLarge("Tệp cảnh báo CAP quá lớn: %(n)s byte, tối đa %(max)s byte.",
                          n=len(data), max=max_bytes)
    if not data.strip():
        raise BroadcastError("Tệp cảnh báo CAP trống.")
    try:
        return _parse(data)
    except defusedxml.EntitiesForbidden as exc:
        if exc.sysid or exc.pubid:
            raise BroadcastError("Tệp cảnh báo CAP khai báo thực thể bên ngoài ('%(name)s'): bị từ chối.",
                                 name=exc.name) from None
        raise BroadcastError("Tệp cảnh báo CAP khai báo thực thể XML ('%(name)s'), có thể gây bùng nổ dữ "
                             "liệu (billion laughs): bị từ chối.", name=exc.name) from None
    except defusedxml.ExternalReferenceForbidden:
        raise BroadcastError("Tệp cảnh báo CAP tham chiếu tài nguyên bên ngoài: bị từ chối.") from None
    except defusedxml.DefusedXmlException:
        raise BroadcastError("Tệp cảnh báo CAP dùng cấu trúc XML không được phép (DTD): bị từ chối.") from None
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise BroadcastError("Tệp cảnh báo CAP không phải XML hợp lệ (dòng %(line)s, cột %(col)s).",
                             line=line, col=col) from None


def _no_external_dtd(name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
    """An internal DTD goes on to the entity checks (each with its own message); a DTD fetched from
    elsewhere is refused outright, though expat would not fetch it."""
    if sysid or pubid:
        raise defusedxml.ExternalReferenceForbidden(name, None, sysid, pubid)


def _parse(data: bytes) -> Element:
    """defusedxml's parser (no entity declarations, no external references), refusing an external DTD."""
    parser = SafeET.DefusedXMLParser(target=TreeBuilder())
    parser.parser.StartDoctypeDeclHandler = _no_external_dtd
    parser.feed(data)
    root: Element = parser.close()
    return root


def _text(el: Element, name: str) -> str:
    child = el.find(_Q + name)
    return (child.text or "").strip() if child is not None else ""


def _required(el: Element, name: str) -> str:
    value = _text(el, name)
    if not value:
        raise BroadcastError("Cảnh báo CAP thiếu phần tử <%(name)s>.", name=name)
    return value


def _moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BroadcastError(
            "Thời điểm <%(name)s> '%(value)s' không hợp lệ (cần dạng 2025-07-01T08:00:00+07:00).",
            name=name, value=value[:64],
        )
    return moment


def _ident(value: str, name: str) -> str:
    if len(value) > _ID_MAX or any(c.isspace() or c in ",<&" for c in value):
        raise BroadcastError(
            "<%(name)s> '%(value)s' không hợp lệ (tối đa 255 ký tự, không có khoảng trắng, dấu phẩy, < hoặc &).",
            name=name, value=value[:80],
        )
    return value


def _references(text: str) -> tuple[Reference, ...]:
    """``sender,identifier,sent`` triples separated by white space."""
    out = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3 or not all(parts):
            raise BroadcastError("Tham chiếu CAP '%(ref)s' không hợp lệ (cần người gửi,mã,thời điểm gửi).",
                                 ref=item[:120])
        out.append(Reference(parts[0], parts[1], _moment(parts[2], "references"), item))
    return tuple(out)


def _area(el: Element) -> Area:
    codes = tuple(
        (_text(g, "valueName"), _text(g, "value")) for g in el.findall(_Q + "geocode") if _text(g, "value")
    )
    return Area(" ".join(_text(el, "areaDesc").split()), codes)


def _info(el: Element) -> Info:
    expires = _text(el, "expires")
    return Info(
        language=_text(el, "language") or DEFAULT_LANGUAGE,
        event=_text(el, "event"),
        urgency=_text(el, "urgency"),
        severity=_text(el, "severity"),
        headline=_text(el, "headline"),
        description=_text(el, "description"),
        instruction=_text(el, "instruction"),
        sender_name=_text(el, "senderName"),
        expires=_moment(expires, "expires") if expires else None,
        areas=tuple(_area(a) for a in el.findall(_Q + "area")),
    )


def parse_alert(data: bytes, *, max_bytes: int) -> Alert:
    """A CAP 1.2 message as data; a BroadcastError (Vietnamese) for anything else."""
    root = _xml(data, max_bytes)
    if root.tag != _Q + "alert":
        ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
        raise BroadcastError(
            "Không phải cảnh báo CAP 1.2: cần phần tử <alert> trong không gian tên %(ns)s, tệp có <%(tag)s> "
            "trong '%(got)s'.", ns=CAP_NS, tag=local[:80], got=ns[:120] or "(không có)",
        )
    status, msg_type = _required(root, "status"), _required(root, "msgType")
    if status != "Actual":
        raise BroadcastError("Cảnh báo CAP có trạng thái '%(status)s': chỉ cảnh báo thật (Actual) mới thành bản tin.",
                             status=status[:40])
    if msg_type not in MSG_TYPES:
        raise BroadcastError("Loại thông điệp CAP '%(type)s' không tạo bản tin (chỉ nhận Alert, Update, Cancel).",
                             type=msg_type[:40])
    refs = _references(_text(root, "references"))
    if msg_type != "Alert" and not refs:
        raise BroadcastError("Thông điệp CAP %(type)s cần <references> chỉ tới cảnh báo được thay đổi.",
                             type=msg_type)
    sent_text = _required(root, "sent")
    return Alert(
        identifier=_ident(_required(root, "identifier"), "identifier"),
        sender=_ident(_required(root, "sender"), "sender"),
        sent_text=sent_text,
        sent_at=_moment(sent_text, "sent"),
        status=status,
        msg_type=msg_type,
        references=refs,
        infos=tuple(_info(i) for i in root.findall(_Q + "info")),
    )


def choose_info(alert: Alert) -> tuple[Info, bool]:
    """The Vietnamese info, else the first one (``True``: not Vietnamese)."""
    for info in alert.infos:
        if info.is_vietnamese:
            return info, False
    if not alert.infos:
        raise BroadcastError("Cảnh báo CAP không có phần <info>: không có nội dung để đọc.")
    return alert.infos[0], True


def _tidy(text: str) -> str:
    """Paragraphs kept, the XML's indentation and line wrapping removed."""
    paras = [" ".join(p.split()) for p in text.replace("\r", "").split("\n\n")]
    return "\n\n".join(p for p in paras if p)


def script_of(info: Info, identifier: str) -> tuple[str, str]:
    """The bulletin's title and script: headline (else event); description, then instruction."""
    title = " ".join((info.headline or info.event or f"Cảnh báo {identifier}").split())
    if len(title) > bulletins.TITLE_MAX:
        title = title[: bulletins.TITLE_MAX - 1].rstrip() + "…"
    body = "\n\n".join(p for p in (_tidy(info.description), _tidy(info.instruction)) if p)
    return title, body or title


# --- areas → units ---------------------------------------------------------------------------


def load_geocode_map(path: str) -> dict[tuple[str, str], str]:
    """``scheme,value,unit`` rows → {(scheme in lower case, value): unit code}; empty path: none."""
    if not path:
        return {}
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BroadcastError("Không đọc được bảng ánh xạ mã vùng CAP '%(path)s': %(reason)s.",
                             path=path, reason=getattr(exc, "strerror", None) or "không phải UTF-8") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if header != ["scheme", "value", "unit"]:
        raise BroadcastError("Bảng ánh xạ mã vùng CAP '%(path)s' cần dòng tiêu đề scheme,value,unit.", path=path)
    out: dict[tuple[str, str], str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != 3 or not all(c.strip() for c in row):
            raise BroadcastError("Bảng ánh xạ mã vùng CAP '%(path)s', dòng %(line)s: cần đủ scheme,value,unit.",
                                 path=path, line=line)
        out[(row[0].strip().lower(), row[1].strip())] = row[2].strip()
    return out


@dataclass(frozen=True)
class Targets:
    """Where an alert's areas lead: units matched, geocodes that matched none, station codes."""

    unit_codes: tuple[str, ...]
    unmatched: tuple[str, ...]
    stations: tuple[str, ...]
    area_names: tuple[str, ...]


def targets_of(session: Session, info: Info, mapping: dict[tuple[str, str], str], issuer: Unit) -> Targets:
    """The active stations of the units the areas name, within the issuing unit's reach; a unit
    beyond that reach counts as unmatched."""
    wanted: dict[str, str] = {}
    for area in info.areas:
        for name, value in area.geocodes:
            wanted[f"{name}={value}"] = mapping.get((name.lower(), value), value)
    found = units.by_codes(session, wanted.values())
    reach = units.subtree_ids(session, issuer.id)
    matched: list[Unit] = []
    unmatched = []
    for geocode, code in wanted.items():
        unit = found.get(code)
        if unit is None or unit.id not in reach:
            unmatched.append(geocode)
        elif unit not in matched:
            matched.append(unit)
    codes: set[str] = set()
    for unit in matched:
        codes.update(s.code for s in units.stations_under(session, unit) if s.active)
    names = tuple(a.desc for a in info.areas if a.desc)
    return Targets(tuple(u.code for u in matched), tuple(unmatched), tuple(sorted(codes)), names)


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a message did. ``publish``: an approved bulletin whose audio the adapter should now
    render and publish (the usual ``render_and_publish``)."""

    alert_id: int
    bulletin_id: int | None
    msg_type: str
    action: str  # created | updated | cancelled | duplicate
    status: str
    needs_targeting: bool
    auto_approved: bool
    language: str
    language_fallback: bool
    unit_codes: tuple[str, ...]
    unmatched: tuple[str, ...]
    stations: tuple[str, ...]
    publish: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "alert": self.alert_id, "bulletin": self.bulletin_id, "msg_type": self.msg_type,
            "action": self.action, "status": self.status, "needs_targeting": self.needs_targeting,
            "auto_approved": self.auto_approved, "language": self.language,
            "language_fallback": self.language_fallback, "units": list(self.unit_codes),
            "unmatched": list(self.unmatched), "stations": list(self.stations),
        }


def find_alert(session: Session, sender: str, identifier: str) -> CapAlert | None:
    return session.scalar(select(CapAlert).where(CapAlert.sender == sender, CapAlert.identifier == identifier))


def alert_for_bulletin(session: Session, bulletin_id: int) -> CapAlert | None:
    """The latest CAP message behind a bulletin (for the review page's flag)."""
    return session.scalar(
        select(CapAlert).where(CapAlert.bulletin_id == bulletin_id).order_by(CapAlert.id.desc()).limit(1)
    )


def _valid_to(info: Info, start: date, today: date, tz: str) -> date:
    """The last day on air: the day the alert expires, kept within [start, today + 6]."""
    from zoneinfo import ZoneInfo

    last = today + timedelta(days=MAX_DAYS - 1)
    if info.expires is None:
        return max(start, today)
    end = info.expires.astimezone(ZoneInfo(tz)).date()
    return min(max(end, start, today), max(last, start))


def _auto(settings: Settings, info: Info, targets: Targets) -> bool:
    return (settings.cap_auto_approve and info.severity == "Extreme" and info.urgency == "Immediate"
            and bool(targets.stations))


def _outcome(session: Session, row: CapAlert, action: str) -> Outcome:
    b = session.get(Bulletin, row.bulletin_id) if row.bulletin_id is not None else None
    stations = tuple(bulletins.target_station_codes(session, b)) if b is not None else ()
    publish = b is not None and b.status == _S.APPROVED and b.render_status != "done" and action != "duplicate"
    return Outcome(
        row.id, row.bulletin_id, row.msg_type, action, b.status.value if b is not None else "",
        row.needs_targeting, row.auto_approved, row.language, row.language_fallback,
        tuple(row.unit_codes or ()), tuple(row.unmatched or ()), stations, publish,
    )


def import_alert(session: Session, data: bytes, *, actor: str, settings: Settings, today: date) -> Outcome:
    """Turn one CAP 1.2 document into a bulletin change (see the module's docstring)."""
    alert = parse_alert(data, max_bytes=settings.cap_max_bytes)
    known = find_alert(session, alert.sender, alert.identifier)
    if known is not None:
        return _outcome(session, known, "duplicate")
    if not actor.strip():
        raise BroadcastError("Thiếu người thực hiện.")
    if alert.msg_type == "Alert":
        row = _create(session, alert, actor=actor, settings=settings, today=today)
        action = "created"
    else:
        row = _change(session, alert, actor=actor, settings=settings, today=today)
        action = row.action
    audit(session, actor, f"cap.{alert.msg_type.lower()}", f"bulletin:{row.bulletin_id}",
          sender=alert.sender, identifier=alert.identifier, sent=alert.sent_text,
          language=row.language, language_fallback=row.language_fallback,
          needs_targeting=row.needs_targeting, auto_approved=row.auto_approved)
    return _outcome(session, row, action)


def _row(alert: Alert, info: Info | None, fallback: bool, actor: str, **fields: Any) -> CapAlert:
    return CapAlert(
        sender=alert.sender, identifier=alert.identifier, sent_text=alert.sent_text[:64], sent_at=alert.sent_at,
        msg_type=alert.msg_type, references=[[r.sender, r.identifier, r.text.rsplit(",", 1)[1]]
                                             for r in alert.references] or None,
        event=(info.event if info else "")[:300], severity=info.severity[:16] if info else "",
        urgency=info.urgency[:16] if info else "", language=(info.language if info else "")[:35],
        language_fallback=fallback, expires_at=info.expires if info else None, actor=actor, **fields,
    )


def _create(session: Session, alert: Alert, *, actor: str, settings: Settings, today: date) -> CapAlert:
    info, fallback = choose_info(alert)
    title, body = script_of(info, alert.identifier)
    issuer = unit_reach.issuing_unit(session, actor)
    targets = targets_of(session, info, load_geocode_map(settings.cap_geocode_map), issuer)
    b = bulletins.create_bulletin(
        session, title=title, body=body, category=CATEGORY,
        issuer=(info.sender_name or alert.sender)[: bulletins.ISSUER_MAX], priority="emergency",
        valid_from=today, valid_to=_valid_to(info, today, today, settings.timezone),
        plays_per_day=settings.cap_plays_per_day, station_codes=list(targets.stations) or None,
        actor=actor, settings=settings, unit=issuer.code,
    )
    bulletins.submit(session, b, actor, f"Cảnh báo CAP {alert.identifier}", today=today)
    auto = _auto(settings, info, targets)
    if auto:
        bulletins.approve(session, b, actor, "Tự động duyệt: cảnh báo CAP Extreme/Immediate", today=today)
    row = _row(alert, info, fallback, actor, bulletin_id=b.id, action="created",
               needs_targeting=not targets.stations, unit_codes=list(targets.unit_codes) or None,
               unmatched=list(targets.unmatched) or None, areas=list(targets.area_names) or None,
               auto_approved=auto)
    session.add(row)
    session.flush()
    return row


def _referenced(session: Session, alert: Alert) -> list[Bulletin]:
    """The bulletins the references name (each known alert's); an unknown alert is an error."""
    found: list[Bulletin] = []
    for ref in alert.references:
        row = find_alert(session, ref.sender, ref.identifier)
        if row is None or row.sent_at != ref.sent:
            raise NotFound("Thông điệp CAP %(type)s tham chiếu cảnh báo chưa nhận: %(ref)s.",
                           type=alert.msg_type, ref=ref.text[:200])
        b = session.get(Bulletin, row.bulletin_id) if row.bulletin_id is not None else None
        if b is not None and b not in found:
            found.append(b)
    if not found:
        raise NotFound("Bản tin của cảnh báo được tham chiếu không còn: %(ref)s.", ref=alert.references[0].text[:200])
    return found


def _change(session: Session, alert: Alert, *, actor: str, settings: Settings, today: date) -> CapAlert:
    """Update: new words, dates and (when the areas match) stations; Cancel: withdraw."""
    targets_found = _referenced(session, alert)
    if alert.msg_type == "Cancel":
        for b in targets_found:
            if b.status != _S.ARCHIVED:
                bulletins.archive(session, b, actor, f"Huỷ theo cảnh báo CAP {alert.identifier}")
        info, fallback = (choose_info(alert) if alert.infos else (None, False))
        row = _row(alert, info, fallback, actor, bulletin_id=targets_found[0].id, action="cancelled")
        session.add(row)
        session.flush()
        return row
    info, fallback = choose_info(alert)
    title, body = script_of(info, alert.identifier)
    issuer = unit_reach.issuing_unit(session, actor)
    targets = targets_of(session, info, load_geocode_map(settings.cap_geocode_map), issuer)
    auto = False
    for b in targets_found:
        if b.status == _S.ARCHIVED:
            raise InvalidTransition("Bản tin #%(id)s của cảnh báo này đã được rút: không cập nhật được.", id=b.id)
        fields: dict[str, Any] = {"title": title, "body": body, "valid_to": _valid_to(info, b.valid_from, today,
                                                                                      settings.timezone)}
        if targets.stations:
            fields["station_codes"] = list(targets.stations)
        bulletins.update_bulletin(session, b, actor=actor, settings=settings, **fields)
        if b.status == _S.SUBMITTED and _auto(settings, info, targets):
            bulletins.approve(session, b, actor, "Tự động duyệt: cảnh báo CAP Extreme/Immediate", today=today)
            auto = True
    row = _row(alert, info, fallback, actor, bulletin_id=targets_found[0].id, action="updated",
               needs_targeting=not targets.stations, unit_codes=list(targets.unit_codes) or None,
               unmatched=list(targets.unmatched) or None, areas=list(targets.area_names) or None,
               auto_approved=auto)
    session.add(row)
    session.flush()
    return row


def target(session: Session, bulletin: Bulletin, station_codes: list[str], *, actor: str) -> None:
    """The reviewer's stations for a bulletin whose alert matched no unit; the mark is cleared."""
    row = alert_for_bulletin(session, bulletin.id)
    if row is None:
        raise NotFound("Bản tin #%(id)s không đến từ cảnh báo CAP.", id=bulletin.id)
    codes = [c for c in station_codes if c.strip()]
    if not codes:
        raise BroadcastError("Hãy chọn ít nhất một đài nhận cảnh báo.")
    bulletins.update_bulletin(session, bulletin, actor=actor, station_codes=codes)
    row.needs_targeting = False
    session.flush()
    audit(session, actor, "cap.target", f"bulletin:{bulletin.id}", stations=sorted(codes))


def needing_targets(session: Session, bulletin_ids: list[int]) -> set[int]:
    """Of these bulletins, those whose latest CAP message is marked for the reviewer to target."""
    latest: dict[int, bool] = {}
    rows = session.execute(select(CapAlert.bulletin_id, CapAlert.needs_targeting)
                           .where(CapAlert.bulletin_id.in_(bulletin_ids)).order_by(CapAlert.id))
    for bulletin_id, needs in rows:
        if bulletin_id is not None:
            latest[bulletin_id] = needs
    return {b for b, needs in latest.items() if needs}
