"""Language and local formats for the panel.

Message ids are written in Vietnamese (the users' language); ``translations/en`` holds the English
catalog. So a string someone forgot to translate still shows in Vietnamese, never as a blank.
Dates and times are shown the Vietnamese way (27/11/2026, 17:30), in the station's timezone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, session
from flask_babel import lazy_gettext as _l

from broadcast import clock
from broadcast.bulletins import PRIORITY_LABELS as PRIORITY_LABELS_VI
from broadcast.bulletins import STATUS_LABELS as STATUS_LABELS_VI

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"


def select_locale() -> str:
    """The user's choice from the session toggle; Vietnamese unless they picked English."""
    chosen = session.get("lang")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def _zone(tz: str | None) -> ZoneInfo:
    return clock.zone(tz or current_app.config["LOA_SETTINGS"].timezone)


def local(dt: datetime | None, tz: str | None = None) -> datetime | None:
    """An aware UTC datetime moved to the station's (or the system's) local time."""
    if dt is None:
        return None
    return dt.astimezone(_zone(tz))


def fmt_date(value: date | datetime | None, tz: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value, tz)
        assert value is not None
    return value.strftime("%d/%m/%Y")


def fmt_isodate(value: object) -> str:
    """A YYYY-MM-DD string (as agents report dates) shown like every other date; anything else as is."""
    try:
        return fmt_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


#: What a date field accepts: dd/mm/yyyy (d/m/yyyy too), or ISO yyyy-mm-dd (scripts, older forms).
DATE_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}"
DATE_PLACEHOLDER = "dd/mm/yyyy"


def parse_date(value: str) -> date:
    """The one parser of the panel's date fields: "27/11/2026" (or "27.11.2026", "1/2/2027")
    or "2026-11-27". A browser's native date input would show mm/dd/yyyy on an English system,
    so the panel uses text fields read here. ValueError for anything else."""
    text = value.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return date.fromisoformat(text)
    parts = text.replace(".", "/").split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        raise ValueError(f"not a dd/mm/yyyy date: {value!r}")
    day, month, year = (int(p) for p in parts)
    return date(year, month, day)


DATE_ERROR = _l("%(label)s không hợp lệ: hãy viết ngày/tháng/năm, ví dụ 27/11/2026.")


def date_error(label: object) -> str:
    """The Vietnamese (or English) sentence for a date field that could not be read."""
    return str(DATE_ERROR % {"label": label})


def fmt_date_field(value: object) -> str:
    """A date field's value: a date (or an ISO string) as dd/mm/yyyy; what the user typed, as is."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = "" if value is None else str(value)
    try:
        return parse_date(text).strftime("%d/%m/%Y")
    except ValueError:
        return text


def fmt_time(value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = local(value, tz)
        assert value is not None
    return value.strftime("%H:%M")


def fmt_datetime(value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return ""
    return f"{fmt_date(value, tz)}, {fmt_time(value, tz)}"


def fmt_duration(seconds: float | None) -> str:
    """3:05 for three minutes five seconds; 1:02:03 past an hour."""
    if seconds is None:
        return ""
    total = max(0, round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# Labels for stored enum values, translated at render time.
STATUS_LABELS = {value: _l(label) for value, label in STATUS_LABELS_VI.items()}
PRIORITY_LABELS = {value: _l(label) for value, label in PRIORITY_LABELS_VI.items()}
ROLE_LABELS = {
    "editor": _l("Biên tập viên"),
    "reviewer": _l("Người duyệt"),
    "operator": _l("Kỹ thuật viên"),
    "admin": _l("Quản trị"),
}
TARGET_LABELS = {
    "all": _l("Tất cả các đài"),
    "group": _l("Một nhóm đài"),
    "stations": _l("Các đài được chọn"),
}
RENDER_LABELS = {
    "none": _l("Chưa tạo âm thanh"),
    "queued": _l("Đang chờ tạo"),
    "running": _l("Đang tạo"),
    "done": _l("Đã có âm thanh"),
    "failed": _l("Lỗi tạo âm thanh"),
}
ASRUN_LABELS = {
    "played": _l("Đã phát"),
    "cut": _l("Phát dở"),
    "skipped": _l("Bỏ qua"),
    "failed": _l("Lỗi"),
}
WEEKDAY_LABELS = {
    "1": _l("T2"),
    "2": _l("T3"),
    "3": _l("T4"),
    "4": _l("T5"),
    "5": _l("T6"),
    "6": _l("T7"),
    "7": _l("CN"),
}


#: What each audit log action means (web/auth.audit, broadcast services); unknown ones show their code.
AUDIT_ACTIONS = {
    "bulletin.create": _l("Tạo bản tin"),
    "bulletin.update": _l("Sửa bản tin"),
    "bulletin.submit": _l("Gửi duyệt"),
    "bulletin.approve": _l("Duyệt bản tin"),
    "bulletin.reject": _l("Từ chối bản tin"),
    "bulletin.archive": _l("Thu hồi bản tin"),
    "emergency.approve": _l("Phát khẩn cấp"),
    "stations.import": _l("Nhập đài từ CSV"),
    "station.create": _l("Thêm đài"),
    "station.update": _l("Sửa thông tin đài"),
    "station.token": _l("Cấp mã truy cập cho đài"),
    "session.add": _l("Thêm phiên phát"),
    "session.delete": _l("Xoá phiên phát"),
    "group.create": _l("Tạo nhóm đài"),
    "group.delete": _l("Xoá nhóm đài"),
    "group.members": _l("Đổi thành viên nhóm đài"),
    "relay.create": _l("Thêm tiếp sóng"),
    "relay.delete": _l("Xoá tiếp sóng"),
    "schedule.pin": _l("Ghim bản tin vào lịch"),
    "schedule.drop": _l("Bỏ bản tin khỏi lịch ngày"),
    "schedule.clear": _l("Bỏ điều chỉnh lịch"),
    "schedule.generate": _l("Lập lại lịch phát"),
    "user.create": _l("Tạo người dùng"),
    "user.role": _l("Đổi vai trò"),
    "user.active": _l("Khoá / mở tài khoản"),
    "user.password": _l("Đặt lại mật khẩu"),
    "user.api_token": _l("Cấp mã API"),
    "clarity.check": _l("Kiểm tra độ rõ"),
    "settings.default_voice": _l("Đổi giọng mặc định"),
    "user.password.self": _l("Tự đổi mật khẩu"),
    "media.jingle": _l("Tải lên nhạc hiệu"),
    "schedule.order": _l("Đổi thứ tự phát trong phiên"),
    "session.update": _l("Sửa phiên phát"),
}
#: Names of the detail fields audit entries carry.
AUDIT_FIELDS = {
    "from": _l("từ"),
    "to": _l("sang"),
    "priority": _l("mức"),
    "comment": _l("ghi chú"),
    "title": _l("tiêu đề"),
    "fields": _l("trường"),
    "created": _l("mới"),
    "updated": _l("cập nhật"),
    "role": _l("vai trò"),
    "before": _l("trước"),
    "after": _l("sau"),
    "active": _l("hoạt động"),
    "first_run": _l("lần đầu"),
    "sessions": _l("phiên phát"),
    "spec": _l("phiên phát"),
    "name": _l("tên"),
    "added": _l("thêm"),
    "removed": _l("bớt"),
    "start": _l("bắt đầu"),
    "bulletin_id": _l("bản tin"),
    "listened": _l("đã nghe bản đọc"),
    "clarity": _l("độ rõ"),
    "score": _l("độ rõ"),
    "recognizer": _l("bộ nhận dạng"),
    "status": _l("trạng thái"),
    "order": _l("thứ tự"),
    "sha256": _l("tệp"),
}
YES, NO = _l("có"), _l("không")


def audit_action(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))


BULLETIN_NO = _l("Bản tin #%(id)s")


def audit_target(target: str) -> str:
    """"bulletin:12" (as the services record it) reads "Bản tin #12"; other targets are names already."""
    kind, _sep, ident = target.partition(":")
    return str(BULLETIN_NO % {"id": ident}) if kind == "bulletin" and ident else target


def audit_detail(action: str, detail: dict[str, Any] | None) -> str:
    """An audit entry's detail in words: enum values by their labels, lists joined, empty fields left out."""
    tables: dict[str, dict[str, Any]] = {"priority": PRIORITY_LABELS, "role": ROLE_LABELS}
    if action.startswith("bulletin."):
        tables |= {"from": STATUS_LABELS, "to": STATUS_LABELS}
    if action == "user.role":
        tables |= {"before": ROLE_LABELS, "after": ROLE_LABELS}
    parts = []
    for key, value in (detail or {}).items():
        if value in ("", None, [], {}):
            continue
        if isinstance(value, bool):
            text = str(YES if value else NO)
        elif isinstance(value, list | tuple):
            text = ", ".join(label(tables.get(key, {}), v) for v in value)
        else:
            text = label(tables.get(key, {}), value)
        parts.append(f"{AUDIT_FIELDS.get(key, key)}: {text}")
    return "; ".join(parts)


def label(table: dict[str, object], value: object) -> str:
    key = getattr(value, "value", value)
    return str(table.get(str(key), key))


EVERY_DAY = _l("Hằng ngày")


def weekdays_label(digits: str) -> str:
    """ISO weekday digits as people write them: "123456" → "T2–T7", "135" → "T2, T4, T6"."""
    from broadcast.weekdays_vi import weekdays_label as plain

    return plain(digits, {k: str(v) for k, v in WEEKDAY_LABELS.items()}, str(EVERY_DAY))


def sessions_label(sessions: list[Any]) -> str:
    """A station's sessions in one line: "T2–T7 05:30–06:00; 01/12/2026 19:00–19:30"."""
    out = []
    for s in sessions:
        end = (datetime.combine(date.min, s.start_time) + timedelta(minutes=s.max_minutes)).time()
        days = fmt_date(s.on_date) if s.on_date else weekdays_label(s.weekdays)
        out.append(f"{days} {s.start_time:%H:%M}–{end:%H:%M}")
    return "; ".join(out)


def today(tz: str | None = None) -> date:
    """Today's date where the stations are (``broadcast.clock``), not on the server's clock zone."""
    return clock.today(tz or current_app.config["LOA_SETTINGS"].timezone)
