"""As-run logs: what stations actually aired (the district's report built from them is
broadcast/reports.py).

Agents upload as-run rows with a unique ``uid`` each, and retry after a network failure, so
ingestion is idempotent by (station, uid).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broadcast.errors import BroadcastError
from broadcast.models import AsRun, AsRunStatus, Bulletin, Station, utcnow

KINDS = ("bulletin", "relay", "jingle")
_AIRED = (AsRunStatus.PLAYED, AsRunStatus.CUT)
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_TIME_FIELDS = ("planned_start", "planned_end", "actual_start", "actual_end")
#: Integer columns are 32-bit on PostgreSQL: a bigger number is a bad row, not a database error.
INT_MAX = 2**31 - 1
#: Longest ``detail`` kept (the agent writes a sentence; anything longer is not an as-run note).
DETAIL_MAX = 2000
#: An upload racing another with the same uids is retried this many times before giving up.
_INSERT_ATTEMPTS = 3
#: What cut a play short or kept it off air, as the agent reports it (field ``cause``), with the
#: words the panel, the CLI and the reports show. Rows of older agents carry none ("").
CAUSES: dict[str, str] = {
    "emergency": "tin khẩn cấp chen vào",
    "stop": "người vận hành dừng chương trình",
    "killed": "máy dừng đột ngột (mất điện, tắt máy)",
    "session_end": "hết giờ phiên phát",
    "late": "quá hạn phát",
    "stream": "luồng tiếp sóng bị ngắt",
    "no_media": "chưa tải được tệp",
    "bad_file": "tệp âm thanh hỏng",
    "device": "lỗi thiết bị phát",
}
_LANG_RE = re.compile(r"^[a-z]{3}$")
#: How older agents worded the cause in ``detail`` (broadcast/agent): their rows get a cause too.
_DETAIL_CAUSES = (
    ("ngắt để phát tin khẩn cấp", "emergency"),
    ("ngừng phát do tắt chương trình", "stop"),
    ("chương trình bị dừng đột ngột", "killed"),
    ("luồng tiếp sóng", "stream"),
    ("quá hạn phát tin khẩn cấp", "late"),
    ("quá giờ phát", "session_end"),
    ("hết giờ tiếp sóng", "session_end"),
    ("chưa tải được tệp", "no_media"),
    ("không đọc được tệp", "bad_file"),
    ("lỗi thiết bị phát", "device"),
)


def cause_from_detail(status: str, detail: str) -> str:
    """The cause an older agent's row implies by its wording; "" for a played row or unknown words."""
    if status == AsRunStatus.PLAYED:
        return ""
    for words, cause in _DETAIL_CAUSES:
        if detail.startswith(words):
            return cause
    return ""


# --- ingestion ------------------------------------------------------------------------------


def _aware(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BroadcastError("%(name)s phải là chuỗi thời gian ISO-8601", name=name)
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BroadcastError("%(name)s '%(value)s' không phải thời gian ISO-8601", name=name, value=value) from None
    if dt.tzinfo is None:
        raise BroadcastError("%(name)s '%(value)s' thiếu múi giờ (ví dụ +07:00)", name=name, value=value)
    try:  # 9999-12-31T23:59-23:59 parses, but is past year 9999 in UTC
        dt.astimezone(UTC)
    except OverflowError:
        raise BroadcastError("%(name)s '%(value)s' nằm ngoài khoảng thời gian hợp lệ", name=name, value=value) from None
    return dt


def _optional_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT_MAX:
        raise BroadcastError("%(name)s phải là số nguyên từ 0 đến %(max)s", name=name, max=INT_MAX)
    return value


def _parse_row(row: Any) -> dict[str, Any]:
    """One uploaded row as AsRun column values; BroadcastError (without a row number) if bad."""
    if not isinstance(row, dict):
        raise BroadcastError("không phải một đối tượng JSON")
    uid = row.get("uid")
    if not isinstance(uid, str) or not uid.strip() or len(uid) > 64:
        raise BroadcastError("uid phải là chuỗi 1–64 ký tự")
    try:
        day = date.fromisoformat(row["date"])
    except (KeyError, TypeError, ValueError):
        raise BroadcastError("date '%(value)s' không phải ngày YYYY-MM-DD", value=row.get("date")) from None
    kind = row.get("kind", "bulletin")
    if not isinstance(kind, str) or kind not in KINDS:
        raise BroadcastError("kind '%(value)s' không hợp lệ (bulletin, relay hoặc jingle)", value=kind)
    status = row.get("status")
    try:
        st = AsRunStatus(status if isinstance(status, str) else "")
    except ValueError:
        raise BroadcastError("status '%(value)s' không hợp lệ (played, cut, skipped hoặc failed)", value=status) from None
    sha = row.get("sha256")
    if sha is not None and (not isinstance(sha, str) or not _SHA_RE.match(sha)):
        raise BroadcastError("sha256 phải là 64 ký tự hex thường hoặc null")
    title, detail = row.get("title", ""), row.get("detail", "")
    if not isinstance(title, str) or len(title) > 300:
        raise BroadcastError("title phải là chuỗi tối đa 300 ký tự")
    if not isinstance(detail, str) or len(detail) > DETAIL_MAX:
        raise BroadcastError("detail phải là chuỗi tối đa %(max)s ký tự", max=DETAIL_MAX)
    cause, language = _cause_language(row)
    times = {name: _aware(row.get(name), name) for name in _TIME_FIELDS}
    if st in _AIRED and times["actual_start"] is None:
        raise BroadcastError("dòng '%(status)s' cần actual_start", status=st.value)
    for a, b in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        ta, tb = times[a], times[b]
        if ta is not None and tb is not None and tb < ta:
            raise BroadcastError("%(b)s trước %(a)s", b=b, a=a)
    return {
        "uid": uid,
        "playlist_date": day,
        "playlist_version": _optional_int(row.get("version"), "version"),
        "kind": kind,
        "title": title,
        "bulletin_id": _optional_int(row.get("bulletin_id"), "bulletin_id"),
        "media_sha256": sha,
        **times,
        "status": st,
        "detail": detail,
        "cause": cause,
        "language": language,
    }


def _cause_language(row: dict[str, Any]) -> tuple[str, str]:
    """The optional ``cause`` and ``language`` fields (agents before 0.2 send neither)."""
    cause = row.get("cause") or ""
    if not isinstance(cause, str) or (cause and cause not in CAUSES):
        raise BroadcastError(
            "cause '%(value)s' không hợp lệ (%(allowed)s)", value=cause, allowed=", ".join(CAUSES)
        )
    language = row.get("language") or ""
    if not isinstance(language, str) or (language and not _LANG_RE.match(language)):
        raise BroadcastError("language '%(value)s' phải là mã ISO 639-3 ba chữ cái thường", value=language)
    if not cause:
        cause = cause_from_detail(str(row.get("status")), str(row.get("detail") or ""))
    return cause, "" if language == "vie" else language


def record_asrun(session: Session, station: Station, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Store a batch of as-run rows for a station; returns (accepted, duplicates).

    Every row is checked first: one bad row stores nothing and the error lists every bad row.
    A row whose uid is already stored (a retried upload), or repeated in the batch, is a duplicate.
    Two uploads of the same rows at the same moment (a retry racing a request that is still being
    stored): the loser's insert hits the unique (station, uid) constraint; it is rolled back to a
    savepoint and retried, this time seeing the winner's rows, so it answers with duplicates.
    """
    if not isinstance(rows, list):
        raise BroadcastError("rows phải là một danh sách.")
    parsed, errors = [], []
    for i, row in enumerate(rows, start=1):
        try:
            parsed.append(_parse_row(row))
        except BroadcastError as exc:
            errors.append(f"dòng {i}: {exc}")
    if errors:
        raise BroadcastError("Nhật ký phát có dòng không hợp lệ, chưa lưu gì: " + "; ".join(errors) + ".")
    bulletin_ids = {p["bulletin_id"] for p in parsed if p["bulletin_id"] is not None}
    known = (
        set(session.scalars(select(Bulletin.id).where(Bulletin.id.in_(bulletin_ids))))
        if bulletin_ids
        else set()
    )
    for p in parsed:
        if p["bulletin_id"] not in known:
            p["bulletin_id"] = None  # a deleted bulletin must not make the agent's upload fail forever
    accepted = _insert_new(session, station, parsed)
    station.last_sync_at = utcnow()
    session.flush()
    return accepted, len(parsed) - accepted


def _stored_uids(session: Session, station: Station, uids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(uids), 500):  # stay under every backend's bound-parameter limit
        chunk = uids[i : i + 500]
        found.update(
            session.scalars(select(AsRun.uid).where(AsRun.station_id == station.id, AsRun.uid.in_(chunk)))
        )
    return found


def _insert_new(session: Session, station: Station, parsed: list[dict[str, Any]]) -> int:
    for attempt in range(1, _INSERT_ATTEMPTS + 1):
        seen = _stored_uids(session, station, [p["uid"] for p in parsed])
        new = []
        for p in parsed:
            if p["uid"] not in seen:
                seen.add(p["uid"])
                new.append(AsRun(station_id=station.id, **p))
        savepoint = session.begin_nested()
        try:
            session.add_all(new)
            session.flush()
        except IntegrityError:  # a concurrent upload stored some of these uids first
            savepoint.rollback()
            if attempt == _INSERT_ATTEMPTS:
                raise
            continue
        savepoint.commit()
        return len(new)
    raise AssertionError("unreachable")


# The district's report (counting rule, CSV/JSON/table) lives in broadcast/reports.py.
