"""The rewriting rules, in the order they must run: most specific first (document codes, phone
numbers, dates, times) so that the general number rule only sees plain numbers.

Each rule is a precompiled regex and a function of its match; no rule loops over characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from pipeline.text import numbers as num
from pipeline.text.tables import (
    ABBREVIATIONS,
    CURRENCIES,
    DOC_TYPES,
    FOREIGN_ACRONYMS,
    ISSUERS,
    ORGAN_PARTS,
    ROMAN_CONTEXT_WORDS,
    UNITS,
)

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str], re.Pattern[str] | None]

#: A written number: 1.250.000 / 12,5 / 2025 (Vietnamese "." thousands, "," decimal mark).
NUMBER = r"(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"
_UPPER = "".join(ch for ch in map(chr, range(0x41, 0x1F00)) if ch.isupper() and ch.isalpha())
_UP = f"[{re.escape(_UPPER)}]"


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _first_letters(words: list[str]) -> str:
    """The first letters of ``words``, for a lookahead that lets a scan skip most positions."""
    return re.escape("".join(sorted({w[0] for w in words})))


def read_numeral(text: str) -> str:
    """A written number as matched by NUMBER."""
    if "," in text:
        whole, frac = text.split(",", 1)
        return num.read_decimal(whole, frac)
    if "." in text:
        return num.read_number(int(text.replace(".", "")))
    return num.read_integer_string(text)


def _preceding_word(m: re.Match[str]) -> str:
    """The word just before the match, lower-cased ("" at the start of the line)."""
    before = m.string[: m.start()].rstrip()
    i = len(before)
    while i > 0 and before[i - 1].isalpha():
        i -= 1
    return before[i:].casefold()


# --- document numbers: 24-KH/HU, 135/QĐ-TTg, 68/2014/QH13, 39/2020/TT-BTTTT -------------------

_CODE = r"[A-ZĐ][A-Za-zĐđ]*\d{0,2}"
_DOC_RE = re.compile(
    rf"(?<![\w.,/-])(?:(?P<so>[Ss]ố)\s*)?(?P<num>\d{{1,5}})(?:/(?P<year>(?:19|20)\d\d))?"
    rf"\s*[-/]\s*(?P<codes>{_CODE}(?:[-/]{_CODE})*)(?![\w/])"
)
_ISSUER_KHOA_RE = re.compile(r"([A-ZĐ][A-Za-zĐ]*?)(\d{1,2})")


def _known_issuer(code: str) -> str | None:
    if code in ISSUERS:
        return ISSUERS[code]
    m = _ISSUER_KHOA_RE.fullmatch(code)
    if m and m.group(1) in ISSUERS:  # QH13 → Quốc hội khóa mười ba
        return f"{ISSUERS[m.group(1)]} khóa {num.read_number(int(m.group(2)))}"
    return None


def _issuer(code: str) -> str | None:
    """A known issuer, or an unknown all-caps code spelled letter by letter."""
    known = _known_issuer(code)
    if known is None and code.isupper() and code.isalpha() and len(code) >= 2:
        return num.spell(code)
    return known


#: What follows a document number when the text names its issuer itself: an optional date, then
#: "của": "24-KH/HU ngày 15/3/2021 của Huyện ủy Đức Trọng".
_ISSUER_NAMED_AFTER_RE = re.compile(
    r"[\s,]*(?:(?i:ngày|ban hành ngày)\s+\d{1,2}(?:[/.-]\d{1,2}[/.-]\d{4}|\s+tháng\s+\d{1,2}\s+năm\s+\d{4})"
    "[\\s,]*)?(?i:của)\\s+(?=[A-ZĐ\U000f0000-\U000ffffd])"  # or a lexicon entry's placeholder
)


def _doc_code(m: re.Match[str]) -> str:
    """Number, then year, then type and issuer, with comma pauses so that "số một trăm" and "năm
    hai nghìn không trăm mười chín" are heard apart. The issuer is left out when the text names it
    right after ("… ngày 15/3/2021 của Huyện ủy Đức Trọng"), so that it is not said twice."""
    codes = re.split(r"[-/]", m.group("codes"))
    doc_type = DOC_TYPES.get(codes[0])
    issuer_codes = codes[1:] if doc_type else codes
    issuers = [_issuer(c) for c in issuer_codes]
    if any(i is None for i in issuers) or not (doc_type or any(map(_known_issuer, issuer_codes))):
        return m.group(0)  # "thứ 2 - CN", "tổ 5-Nam": not a document number
    so = m.group("so")
    text = f"{so or 'số'} {num.read_number(int(m.group('num')))}"
    if m.group("year"):
        text += f", năm {num.read_number(int(m.group('year')))},"
    named_after = _ISSUER_NAMED_AFTER_RE.match(m.string, m.end()) is not None
    # "Kế hoạch số 152/KH-UBND": the type is already said, do not say it twice.
    before = m.string[: m.start()].rstrip()
    if doc_type and not (before.casefold().endswith(doc_type) or before.endswith(codes[0])):
        text += f", {doc_type}"
    if issuers and not named_after:
        text += " của " + " ".join(filter(None, issuers))
    rest = m.string[m.end() :].lstrip()
    return text.rstrip(",") if not rest or rest[0] in ".,;:!?)" else text


# "BTG/TU", "TT/HĐND" in distribution lists: a body of a body.
_ORGAN_RE = re.compile(
    rf"(?<![\w/])(?P<part>{_alternation(list(ORGAN_PARTS) + list(ISSUERS))})/(?P<body>{_alternation(list(ISSUERS))})(?![\w/])"
)


def _organ(m: re.Match[str]) -> str:
    part = ORGAN_PARTS.get(m.group("part")) or ISSUERS[m.group("part")]
    return f"{part} {ISSUERS[m.group('body')]}"


#: "TT HĐND, UBND xã" in a list of attendees: the standing committee, not a circular.
_STANDING_RE = re.compile(r"(?<![\w/])TT\s+(?=(?:HĐND|HU|TU|ĐU|QU|UBND|MTTQ|UBMTTQ)(?!\w))")

# --- licence plates: BKS 49A-123.45 is read digit by digit, as the police read it ---------------

_PLATE_RE = re.compile(
    r"(?P<kw>(?i:BKS|biển kiểm soát|biển số)(?:\s*(?i:xe|số))?[\s:]*)"
    r"(?P<p>\d{2}[\s-]?[A-Z]{1,2}\d?)[\s.-]*(?P<n>\d{3}[.]?\d{1,2}|\d{4,5})(?![\w]|[.,]\d)"
)


def _plate(m: re.Match[str]) -> str:
    kw = m.group("kw")
    if kw.strip(" :").casefold() == "bks":
        kw = "biển kiểm soát "
    series = re.sub(r"\d+", lambda d: f" {num.read_digits(d.group(0))} ", re.sub(r"[\s-]", "", m.group("p")))
    series = re.sub(r"[A-Z]", lambda c: f" {num.spell(c.group(0))} ", series)
    return f"{kw}{' '.join(series.split())}, {num.read_digits(m.group('n'))}"


# --- roads: QL20, ĐT 725 (here ĐT is a provincial road, not a phone) ---------------------------

_ROADS = {"QL": "quốc lộ", "ĐT": "đường tỉnh", "TL": "tỉnh lộ", "HL": "hương lộ"}
_ROAD_RE = re.compile(r"(?<!\w)(QL|ĐT|TL|HL)\.?\s?([1-9]\d{0,3})([A-Z]?)(?![\w.,/-]?\d)")


def _road(m: re.Match[str]) -> str:
    suffix = f" {num.spell(m.group(3))}" if m.group(3) else ""
    return f"{_ROADS[m.group(1)]} {num.read_number(int(m.group(2)))}{suffix}"


# --- places: P.5, Q.3, KP 3, Km 210+500, and dates that name a street (đường 3/2) ----------------

_WARD_RE = re.compile(
    r"(?<![\w.])(P|Q|KP)\.\s?(\d{1,2}[A-Z]?)(?![\w/]|[.,]\d)|(?<![\w.])(KP)\s(\d{1,2})(?![\w/]|[.,]\d)"
)
_WARDS = {"P": "phường", "Q": "quận", "KP": "khu phố"}


def _ward(m: re.Match[str]) -> str:
    kind, value = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return f"{_WARDS[kind]} {value}"


#: "Km 210+500 QL20": a road marker (kilometre 210 plus 500 metres), not a distance after a number.
_KM_MARKER_RE = re.compile(r"(?<![\w.,/])(?<!\d\s)[Kk]m\s?(\d{1,4})(?:\s?\+\s?(\d{1,3}))?(?![\w/]|[.,]\d)")


def _km_marker(m: re.Match[str]) -> str:
    text = f"ki lô mét {num.read_number(int(m.group(1)))}"
    if m.group(2):
        text += f" cộng {num.read_integer_string(m.group(2))}"
    return text


#: "SN 1975" in a list of people is "sinh năm"; "SN 25" in an address is "số nhà".
_SN_RE = re.compile(r"(?<!\w)SN[.:]?\s*(\d{1,4}[A-Z]?)(?![\w/]|[.,]\d)")


def _sn(m: re.Match[str]) -> str:
    value = m.group(1)
    if re.fullmatch(r"(?:19|20)\d\d", value):
        return f"sinh năm {num.read_number(int(value))}"
    return f"số nhà {value}"


#: A date used as a name: "đường 3/2", "phố 19/5", "Quảng trường 27/7", "cầu 30-4".
#: (The place word is checked in the function: a regex that starts with a number scans faster.)
_NAMED_DATE_RE = re.compile(
    r"(?<![\w./,-])(?P<d>\d{1,2})[/-](?P<m>\d{1,2})(?![\w/-]|[.,]\d|\s*(?:km|m|ha)\b)"
)
_NAMED_DATE_PLACE_RE = re.compile(
    r"(?<!\w)(?i:đường|phố|quảng trường|công viên|cầu|ngã ba|ngã tư|ngã sáu|chợ|sân vận động"
    r"|khu đô thị|hồ|đập|nông trường|lâm trường|xí nghiệp|nhà máy|công ty)\s+$"
)


def _named_date(m: re.Match[str]) -> str:
    day, month = int(m.group("d")), int(m.group("m"))
    before = m.string[max(0, m.start() - 20) : m.start()]
    if not (1 <= day <= 31 and 1 <= month <= 12) or not _NAMED_DATE_PLACE_RE.search(before):
        return m.group(0)
    return f"{num.read_number(day)} tháng {num.read_month(month)}"


# --- abbreviations -----------------------------------------------------------------------------

_SPOKEN_ABBREVIATIONS = {**FOREIGN_ACRONYMS, **ABBREVIATIONS}
#: The lookahead on first letters lets the scan skip most positions before trying the alternation.
_ABBR_FIRST = re.escape("".join(sorted({k[0] for k in _SPOKEN_ABBREVIATIONS})))
_ABBR_RE = re.compile(
    rf"(?=[{_ABBR_FIRST}])(?<![\w&])(?:{_alternation(list(_SPOKEN_ABBREVIATIONS))})(?![\w&])"
)


def _abbr(m: re.Match[str]) -> str:
    found = m.group(0)
    # "v.v." closing a sentence also carries its full stop.
    if found.endswith(".") and not m.string[m.end() :].strip():
        return _SPOKEN_ABBREVIATIONS[found] + "."
    return _SPOKEN_ABBREVIATIONS[found]


# --- e-mail and web addresses ------------------------------------------------------------------

_ADDRESS_RE = re.compile(
    r"(?<![\w@.])(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|gov|edu|info)\b(?:/(?:[\w./-]*[\w/])?)?)"
)
_ADDRESS_PART_RE = re.compile(r"[^\W\d_]+|\d+|[@./:-]")
_ADDRESS_SYMBOLS = {"@": "a còng", ".": "chấm", "/": "gạch chéo", ":": "hai chấm", "-": "gạch ngang"}


def _address(m: re.Match[str]) -> str:
    """Read as an announcer does: "a còng", "chấm"; of a web address only the site is said (a
    listener cannot note a path from the loudspeaker)."""
    out = []
    site = re.sub(r"^https?://", "", m.group(0)).split("/", 1)[0]
    for part in _ADDRESS_PART_RE.findall(site):
        if part in _ADDRESS_SYMBOLS:
            out.append(_ADDRESS_SYMBOLS[part])
        elif part.isdigit():
            out.append(num.read_digits(part))
        elif not re.search("[aeiouyăâêôơư]", part, re.I):
            out.append(num.spell(part))
        else:
            out.append(part)
    return " ".join(out)


# --- phone numbers ------------------------------------------------------------------------------

_PHONE_RE = re.compile(r"(?<![\w.,/])(?:\+84[ .]?|0)\d{2,3}(?:[ .-]?\d{3,4}){2}(?![\w/]|[.,]\d)")
_HOTLINE_RE = re.compile(r"(?<![\w.,/])1[89]00[ .]?(?:\d{4}|\d{2}[ .]\d{2}|\d{3}[ .]?\d{3})(?![\w/]|[.,]\d)")
_PHONE_CONTEXT_RE = re.compile(
    r"(?=(?i:[glthđszf]))(?i:gọi|liên hệ|liên lạc|tổng đài|đường dây nóng|hotline|điện thoại|số máy|fax|zalo|tel)"
    r"(?P<gap>[\s:]*(?:(?i:số|theo số|qua số|ngay|ngay số|máy)[\s:]+)?)"
    r"(?P<nums>\d[\d .]*\d(?:(?:,\s*|\s+(?:hoặc|và)\s+)\d[\d .]*\d)*)(?![\w/:-]|[.,]\d)"
)
_EMERGENCY_RE = re.compile(
    r"(?=(?i:[cck]))(?P<kw>(?i:cấp cứu|cứu thương|cứu hỏa|cứu hoả|chữa cháy|cứu nạn|công an|khẩn cấp)\s*(?:[:\-]\s*)?(?i:số\s+)?)"
    r"(?P<n>11[1-7])(?![\w/:-]|[.,]\d)"
)
#: "113 (Công an), 114 (Cứu hỏa)": the service named after the number.
_EMERGENCY_AFTER_RE = re.compile(
    r"(?<![\w.,])(11[1-7])(?=\s*[,(]?\s*(?i:công an|cứu hỏa|cứu hoả|cấp cứu|chữa cháy|cứu nạn|cứu hộ|bảo vệ trẻ em)\b)"
)
_DIGIT_GROUP_RE = re.compile(r"\d+")


def _phone_groups(text: str) -> str:
    groups = _DIGIT_GROUP_RE.findall(re.sub(r"^\+84[ .]?", "0", text))
    if len(groups) == 1:
        digits = groups[0]
        if len(digits) >= 9:  # 0912345678 → 0912 345 678; 02633843123 → 0263 3843 123
            head = 4
            rest = digits[head:]
            mid = len(rest) - 3
            groups = [digits[:head], rest[:mid], rest[mid:]]
    return ", ".join(num.read_digits(g) for g in groups)


def _phone(m: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in m.group(0))
    if not 9 <= digits <= 12:
        return m.group(0)
    return _phone_groups(m.group(0))


def _phone_in_context(m: re.Match[str]) -> str:
    nums = m.group("nums")
    if sum(c.isdigit() for c in nums) < 3:
        return m.group(0)
    pieces = re.split(r"(,\s*|\s+(?:hoặc|và)\s+)", nums)
    spoken = "".join(p if i % 2 else _phone_groups(p) for i, p in enumerate(pieces))
    return m.string[m.start() : m.start("nums")] + spoken


def _emergency(m: re.Match[str]) -> str:
    return m.group("kw") + num.read_digits(m.group("n"))


# --- dates --------------------------------------------------------------------------------------

_DAY_WORDS = {"ngày", "hôm", "mùng", "mồng"}


def _date_words(day: int, month: int, year: str | None, m: re.Match[str]) -> str:
    prefix = "" if _preceding_word(m) in _DAY_WORDS else "ngày "
    text = f"{prefix}{num.read_number(day)} tháng {num.read_month(month)}"
    if year:
        text += f" năm {num.read_number(int(year))}"
    return text


_DATE_RANGE_DASH_RE = re.compile(
    r"(?<=\d/\d{4})\s*[-–]\s*(?=\d{1,2}/\d{1,2}/\d{4})|(?<=\d/\d\d\d\d)\s*[-–]\s*(?=\d)"
)
_DATE_RE = re.compile(r"(?<![\w./,-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\w/-]|[.,]\d)")


def _date(m: re.Match[str]) -> str:
    day, month = int(m.group(1)), int(m.group(3))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return m.group(0)
    return _date_words(day, month, m.group(4), m)


_DAY_RANGE_RE = re.compile(
    r"(?<![\w./,-])(\d{1,2})\s*[-–]\s*(\d{1,2})/(\d{1,2})(?:/(\d{4}))?(?![\w/-]|[.,]\d)"
)


def _day_range(m: re.Match[str]) -> str:
    d1, d2, month = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= d1 < d2 <= 31 and 1 <= month <= 12):
        return m.group(0)
    prefix = "" if _preceding_word(m) in _DAY_WORDS else "ngày "
    text = f"{prefix}{num.read_number(d1)} đến {num.read_number(d2)} tháng {num.read_month(month)}"
    if m.group(4):
        text += f" năm {num.read_number(int(m.group(4)))}"
    return text


_MONTH_YEAR_RE = re.compile(
    r"(?<![\w./,-])(?:(?P<kw>[Tt]háng|[Qq]uý)\s+)?(\d{1,2})[/-](\d{4})(?![\w/-]|[.,]\d)"
)


_COUNTED_WORDS = {"đợt", "lần", "kỳ", "khóa", "khoá", "phiên", "đề", "lớp"}


def _month_year(m: re.Match[str]) -> str:
    """tháng 12/2026, quý 3-2024, and a bare 12/2026."""
    kw, value, year = m.group("kw"), int(m.group(2)), num.read_number(int(m.group(3)))
    if kw and kw.casefold() == "quý":
        return f"{kw} {num.read_number(value)} năm {year}" if 1 <= value <= 4 else m.group(0)
    before = _preceding_word(m)
    if not kw and before in _COUNTED_WORDS:  # đợt 1/2025: the first round of 2025
        return f"{num.read_number(value)} năm {year}"
    if not 1 <= value <= 12 or (not kw and before == "số"):
        return m.group(0)
    return f"{kw or 'tháng'} {num.read_month(value)} năm {year}"


#: "1/5 km", "3/4 ha": a fraction of a unit, never a date.
_FRACTION_UNIT_RE = re.compile(
    rf"(?<![\w./,-])(\d{{1,2}})/(\d{{1,2}})\s*({_alternation([u for u in UNITS if u.isalpha()])})(?!\w|/)"
)


def _fraction_unit(m: re.Match[str]) -> str:
    a, b = int(m.group(1)), int(m.group(2))
    if not 0 < a < b:
        return m.group(0)
    return f"{num.read_number(a)} phần {num.read_number(b)} {UNITS[m.group(3)]}"


_DAY_MONTH_RE = re.compile(r"(?<![\w./,-])(\d{1,2})/(\d{1,2})(?![\w/-]|[.,]\d)")
_DASH_DAY_MONTH_RE = re.compile(r"(?<!\w)((?i:ngày|mùng|mồng)\s+)(\d{1,2})-(\d{1,2})(?![\w/-]|[.,]\d)")


_NUMBER_BEFORE_RE = re.compile(r"(?i:số|nhà|trụ|lô|hẻm|ngõ|ngách|kiệt|phòng|tổ|khu|km)\s*$")
_DATE_BEFORE_RE = re.compile(
    r"(?i:ngày|hôm|mùng|mồng|sáng|trưa|chiều|tối|đêm|từ|đến|tới|và|trước|sau|hạn|vào|nhật|thứ \w+"
    r"|quốc khánh|lễ|dịp|kỷ niệm|mừng|tết)[\s,:]*$"
)


def _day_month(m: re.Match[str]) -> str:
    """08/12 and "ngày 8/12" are dates; "số 45/12" is an address; a bare 1/3 is a fraction."""
    day, month = int(m.group(1)), int(m.group(2))
    before = m.string[max(0, m.start() - 12) : m.start()]
    if _NUMBER_BEFORE_RE.search(before):
        return m.group(0)
    dated = _DATE_BEFORE_RE.search(before) or m.group(1).startswith("0") or day > month
    if not (1 <= day <= 31 and 1 <= month <= 12) or not dated:
        if 0 < day < month and not m.group(1).startswith("0"):
            return f"{num.read_number(day)} phần {num.read_number(month)}"
        return m.group(0)
    return _date_words(day, month, None, m)


_DAY_MONTH_RANGE_RE = re.compile(
    r"(?<![\w./,-])(\d{1,2})/(\d{1,2})\s*[-–]\s*(\d{1,2})/(\d{1,2})(?![\w/-]|[.,]\d)"
)


def _day_month_range(m: re.Match[str]) -> str:
    """30/4 - 1/5: from one day to a later one (24/12-2/1 across the new year), not two fractions."""
    d1, m1, d2, m2 = (int(g) for g in m.groups())
    valid = all(1 <= d <= 31 for d in (d1, d2)) and all(1 <= mo <= 12 for mo in (m1, m2))
    later = (m2, d2) > (m1, d1) or (m1 == 12 and m2 == 1)
    before = m.string[max(0, m.start() - 12) : m.start()]
    dated = (
        _DATE_BEFORE_RE.search(before) or d1 > m1 or d2 > m2
        or m.group(1).startswith("0") or m.group(3).startswith("0")
    )  # fmt: skip
    if _NUMBER_BEFORE_RE.search(before):
        return m.group(0)
    if not dated and 0 < d1 < m1 and 0 < d2 < m2:  # 1/4-3/4 diện tích: a range of fractions
        return (
            f"{num.read_number(d1)} phần {num.read_number(m1)} đến "
            f"{num.read_number(d2)} phần {num.read_number(m2)}"
        )
    if not (valid and later and dated):
        return m.group(0)
    return f"{_date_words(d1, m1, None, m)} đến ngày {num.read_number(d2)} tháng {num.read_month(m2)}"


def _dash_day_month(m: re.Match[str]) -> str:
    day, month = int(m.group(2)), int(m.group(3))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return m.group(0)
    return f"{m.group(1)}{num.read_number(day)} tháng {num.read_month(month)}"


# --- times --------------------------------------------------------------------------------------

_TIME_RE = re.compile(
    r"(?<![\w:.,])(\d{1,2})\s?(?:h|g(?=\s?\d\d)|:(?=\d\d))\s?(\d{2})?(?:\s*(?:phút|ph|p|'|’)(?!\w))?(?![\w:]|[.,]\d)"
)
_TIME_RANGE_DASH_RE = re.compile(
    r"(?<![\w:.,])(\d{1,2}\s?[hg:]\s?(?:\d\d)?)\s*[-–]\s*(?=\d{1,2}\s?(?:h|g\s?\d|:\d)(?![^\W\d_]))"
)
_HOUR_WORD_RE = re.compile(r"(?<![\w.,])(\d{1,2})\s*giờ\s+(\d{1,2})(?:\s*phút)?(?![\w/:]|[.,]\d)")


def _time_words(hour: int, minute: int) -> str:
    text = f"{num.read_number(hour)} giờ"
    if minute:
        text += f" {num.read_number(minute)} phút"
    return text


def _time(m: re.Match[str]) -> str:
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 24 or minute > 59:
        return m.group(0)
    return _time_words(hour, minute)


def _hour_word(m: re.Match[str]) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 24 or minute > 59:
        return m.group(0)
    return _time_words(hour, minute)


# --- headings, Roman numerals, ordinals, months -------------------------------------------------

_ROMAN = r"(?!L\b)[IVXL]+"
# "II. NỘI DUNG", "IV - Kết luận"; not "V.I. Lênin" or "X-quang".
_ROMAN_HEADING_RE = re.compile(rf"^(?P<r>{_ROMAN})(?:\s*[.:)]\s+|\s*[.:)](?={_UP}{{2}})|\s*[-–]\s+)(?=\S)")
_NUMBER_HEADING_RE = re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,2})*)\s*[.)]\s+(?=\S)")
_LETTER_HEADING_RE = re.compile(r"^(?P<l>[a-zđ])\)\s*(?=\S)")


def _roman_heading(m: re.Match[str]) -> str:
    value = num.roman_to_int(m.group("r"))
    if value is None:
        return m.group(0)
    return f"Phần {num.read_number(value)}. "


def _number_heading(m: re.Match[str]) -> str:
    spoken = " chấm ".join(num.read_number(int(p)) for p in m.group("n").split("."))
    return spoken[0].upper() + spoken[1:] + ". "


def _letter_heading(m: re.Match[str]) -> str:
    return f"{num.spell(m.group('l'))}, "


_ROMAN_CONTEXT_RE = re.compile(
    rf"(?=(?i:[{_first_letters([*ROMAN_CONTEXT_WORDS, 'thứ'])}]))"
    rf"(?<!\w)(?P<kw>(?i:{_alternation(list(ROMAN_CONTEXT_WORDS))})|(?i:thứ))\s+(?P<r>{_ROMAN})(?!\w|-\w)"
)


def _roman_in_context(m: re.Match[str]) -> str:
    value = num.roman_to_int(m.group("r"))
    if value is None:
        return m.group(0)
    kw = m.group("kw")
    spoken = num.read_ordinal(value) if kw.casefold() == "thứ" else num.read_number(value)
    return f"{kw} {spoken}"


_ORDINAL_RANGE_RE = re.compile(
    r"(?<!\w)([Tt]hứ)\s+(\d{1,2})\s*[-–]\s*(?:[Tt]hứ\s*)?(\d{1,2})(?![\w/]|[.,]\d)"
)
_ORDINAL_RE = re.compile(r"(?<!\w)([Tt]hứ)\s+(\d{1,3})(?![\w/]|[.,]\d)")


def _ordinal_range(m: re.Match[str]) -> str:
    return f"{m.group(1)} {num.read_ordinal(int(m.group(2)))} đến thứ {num.read_ordinal(int(m.group(3)))}"


#: "CN" is Sunday only next to other weekdays ("thứ hai đến CN", "T7, CN").
_SUNDAY_RE = re.compile(r"((?i:thứ) \w{2,5})( đến | và | tới |\s?[-–]\s?|, )CN(?!\w)")


def _sunday(m: re.Match[str]) -> str:
    joint = " đến " if m.group(2).strip() in {"-", "–"} else m.group(2)
    return f"{m.group(1)}{joint}Chủ nhật"


_SUNDAY_GATE = re.compile(r"\bCN\b")


def _ordinal(m: re.Match[str]) -> str:
    return f"{m.group(1)} {num.read_ordinal(int(m.group(2)))}"


_MONTH_RE = re.compile(r"(?<!\w)([Tt]háng)\s+(\d{1,2})(?![\w/]|[.,]\d)")


def _month(m: re.Match[str]) -> str:
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return m.group(0)
    return f"{m.group(1)} {num.read_month(month)}"


# --- quantities: ranges, products, percent, money, units ----------------------------------------

_RANGE_RE = re.compile(rf"(?<![\w.,/-])({NUMBER})\s*[-–]\s*({NUMBER})(?!\d|[.,/-]\d)")


def _value(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def _range(m: re.Match[str]) -> str:
    a, b = m.group(1), m.group(2)
    if _value(a) >= _value(b):
        return m.group(0)
    return f"{a} đến {b}"


_MINUS_RE = re.compile(r"(?<![\w.,)])(?<![\d°C]\s)[-−–]\s?(?=\d+(?:,\d+)?\s?(?:°|độ))")
_PRODUCT_RE = re.compile(r"(?<=\d)\s*[x×]\s*(?=\d)")
_PERCENT_RE = re.compile(rf"({NUMBER})\s*%")
_CURRENCY_AFTER_RE = re.compile(rf"({NUMBER})\s*({_alternation(list(CURRENCIES))})(?!\w)")
#: What may be counted "per" something: money and spoken units on their own (đồng/hộ, ki lô gam/ha
#: once the unit rule ran), count words only right after a number (6,5 tấn/ha, 2 con/hộ).
_PER_UNITS = ["đồng", "phần trăm", *(v for k, v in UNITS.items() if "/" not in k and "trên" not in v)]
_PER_COUNTS = [
    "tấn nhân",
    "tấn",
    "tạ",
    "yến",
    "con",
    "cây",
    "quả",
    "lượt",
    "suất",
    "người",
    "hộ",
    "chiếc",
    "liều",
]
_PER_DENOMINATORS = _alternation([k for k in UNITS if "/" not in k and not k.startswith(("°", "º"))])
#: "đồng/hộ/tháng", "phần trăm/năm", "6,5 tấn/ha": so much per household, per month, per hectare.
_PER_RE = re.compile(
    rf"(?<![\w.,])(?P<n>{NUMBER}\s*)?(?P<w>{_alternation(_PER_UNITS + _PER_COUNTS)})"
    rf"(?P<per>(?:\s*/\s*(?:{_PER_DENOMINATORS}|[^\W\d_]+)(?![\w²³]))+)"
)


def _per(m: re.Match[str]) -> str:
    """đồng/người/tháng → "đồng một người một tháng"; đồng/kg → "đồng một ki lô gam"; tấn/ha →
    "tấn một héc ta". Announcers say "một" for a rate; only the speed units of UNITS (km/h: "ki
    lô mét trên giờ") keep "trên"."""
    n, word = m.group("n") or "", m.group("w")
    if word in _PER_COUNTS and not n:
        return m.group(0)  # "người/hộ" in a form's column header: not a rate
    units = re.split(r"\s*/\s*", m.group("per").strip())[1:]
    return n + word + "".join(f" một {UNITS.get(u, u)}" for u in units)


_NUMBER_WORD = (
    "(?:không|một|mốt|hai|ba|bốn|tư|năm|lăm|sáu|bảy|tám|chín|mười|mươi|linh|trăm|nghìn|triệu|tỷ|phẩy)"
)
_SPOKEN_UNITS = _alternation(sorted({"đồng", "đô la Mỹ", "phần trăm", *UNITS.values()}))
#: "2.000.000đ - 3.000.000đ": once both amounts are words, the dash between them is "đến".
_SPOKEN_RANGE_RE = re.compile(
    rf"(?<!\w)(?P<u>{_SPOKEN_UNITS})\s*[-–]\s*(?=(?:{_NUMBER_WORD} ){{1,12}}(?P=u)(?!\w))"
)
#: "12,5 tr.đ", "2 tỷ đ", "500 nghìn đ": amounts written short in tables and reports.
_SHORT_MONEY_RE = re.compile(rf"({NUMBER})\s*(?:(tr)\.?\s?|(triệu|tỷ|nghìn|ngàn)\s*)đ(?!\w)")


def _short_money(m: re.Match[str]) -> str:
    return f"{read_numeral(m.group(1))} {'triệu' if m.group(2) else m.group(3)} đồng"


#: "120 hộ/450 khẩu": two counts side by side, read with a pause.
_COUNT_SLASH_RE = re.compile(r"(?<=[^\W\d_])\s*/\s*(?=\d)")
_CURRENCY_BEFORE_RE = re.compile(rf"([$€])\s*({NUMBER})")
_UNIT_RE = re.compile(rf"({NUMBER})\s*({_alternation(list(UNITS))})(?![\w²³]|/\s*\d)")


def _unit(m: re.Match[str]) -> str:
    return f"{read_numeral(m.group(1))} {UNITS[m.group(2)]}"


_DOTTED_RE = re.compile(r"(?<![\w.,])\d+(?:\.\d+)+(?![\w]|[.,]\d)")


def _dotted(m: re.Match[str]) -> str:
    """1.250.000 is a number; 3.2 (a clause number or an English decimal) is "ba chấm hai"."""
    parts = m.group(0).split(".")
    if len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]):
        return num.read_number(int("".join(parts)))
    return " chấm ".join(num.read_integer_string(p) for p in parts)


_NUMBER_RE = re.compile(rf"(?<![\w.,]){NUMBER}(?![\w])")
_SLASH_NUMBERS_RE = re.compile(r"(?<=\d)\s*/\s*(?=\d)")
_DASH_NUMBERS_RE = re.compile(r"(?<=\d)\s*[-–]\s*(?=\d)")
_ANY_DIGITS_RE = re.compile(r"\d+")


# --- ALL-CAPS words ----------------------------------------------------------------------------

_CAPS_WORD = rf"(?<!\w){_UP}{{2,}}(?!\w)"
_CAPS_RUN_RE = re.compile(rf"{_CAPS_WORD}(?:[\s,:;.\-–]+{_CAPS_WORD})*")
_CAPS_WORD_RE = re.compile(_CAPS_WORD)
_SYLLABLE_RE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)


def _base_letters(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_syllable(word: str) -> bool:
    return bool(_SYLLABLE_RE.fullmatch(_base_letters(word)))


def _has_accent(word: str) -> bool:
    return _base_letters(word) != word.lower()


def _lower_caps(m: re.Match[str]) -> str:
    """Lower-case an ALL-CAPS heading so the voice reads words, not letters. Only runs with an
    accented word are Vietnamese for sure; acronyms (CD, MC, HIV) are not syllables and stay."""
    run = m.group(0)
    accented = any(_has_accent(w) for w in _CAPS_WORD_RE.findall(run))

    def lower(w: re.Match[str]) -> str:
        word = w.group(0)
        if accented and _is_syllable(word):
            return word.lower()
        return word

    out = _CAPS_WORD_RE.sub(lower, run)
    before = m.string[: m.start()].rstrip()
    if (not before or before[-1] in ".!?:") and out[:1].islower():
        out = out[0].upper() + out[1:]
    return out


# --- symbols and spacing -------------------------------------------------------------------------

_TITLES = (
    "(?:Phó |Tổng |Nguyên )?(?:Bí thư|Chủ tịch|Giám đốc|Trưởng|Chánh|Ủy viên|Thường trực|Đại biểu"
    "|Thủ tướng|Bộ trưởng|Chủ nhiệm|Chỉ huy trưởng|Hiệu trưởng|Cán bộ|Công chức|Thành viên|Phó)"
)

#: How a person is introduced: "thôn 3 - ông Nguyễn Văn C - cho biết".
_ADDRESSED = "(?:ông|bà|anh|chị|em|cháu|đồng chí|Ông|Bà|Anh|Chị|Đồng chí)"


_PAUSE_AFTER_DASH_RE = re.compile(rf"{_TITLES}(?!\w)|{_ADDRESSED}\s+{_UP}")
_NAME_BEFORE_DASH_RE = re.compile(rf"(?<!\w){_UP}[^\W\d_]*$")


_NUMBER_WORD_BEFORE_RE = re.compile(rf"(?<!\w){_NUMBER_WORD}$")


def _dash_pause(m: re.Match[str]) -> str:
    """A comma after a name, before a title or an introduced person, or between a number and a
    capitalised name ("ngày 20/11 - Ngày Nhà giáo"); else left for the compound rule."""
    before = m.string[max(0, m.start() - 30) : m.start()]
    if _PAUSE_AFTER_DASH_RE.match(m.string, m.end()) or _NAME_BEFORE_DASH_RE.search(before):
        return ", "
    if m.string[m.end()].isupper() and _NUMBER_WORD_BEFORE_RE.search(before):
        return ", "
    return m.group(0)


_SYMBOLS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\s*&\s*"), " và "),
    (re.compile(r"\s*[≥]\s*"), " lớn hơn hoặc bằng "),
    (re.compile(r"\s*[≤]\s*"), " nhỏ hơn hoặc bằng "),
    (re.compile(r"\s+>\s+"), " lớn hơn "),
    (re.compile(r"\s+<\s+"), " nhỏ hơn "),
    (re.compile(r"\s*=\s*"), " bằng "),
    (re.compile(r"\s*~\s*"), " khoảng "),
    (re.compile(r"\s*%"), " phần trăm"),
    (re.compile(r"[#№]\s*"), "số "),
    (re.compile(r"\s*[+]\s*"), " cộng "),
    (re.compile(r"°"), " độ "),
    (re.compile(r"\s+[–—]\s+|\s*[–—]+\s*$|^\s*[–—]+\s*"), ", "),
    # "Đ/c Nguyễn Văn A - Bí thư Huyện ủy", "Hà Nội - Hải Phòng": a name, then a title or another
    # name; the dash is a pause. "chính trị - xã hội", "Văn hóa - Thông tin" are one compound.
    (re.compile(r"(?<=\w)\s+-\s+(?=\w)"), _dash_pause),
    (re.compile(r"(?<=\w)\s*[-–/\\|]\s*(?=\w)|\s+-\s+"), " "),
    (re.compile(r"[-–—/\\|_^*@$€₫²³§¤→←↑↓⇒]"), " "),
]
_SPACE_RE = re.compile(r"[ \t\u00a0]+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+(?=[,.;:!?])")
_REPEATED_PUNCT_RE = re.compile(r"([,;:])(?:\s*[,;:])+|,\s*(?=[.!?])|(?<=[.!?])\s*[,;:]+")
_LEADING_PUNCT_RE = re.compile(r"^[\s,.;:]+")
_PUNCT_THEN_WORD_RE = re.compile(r"([,;:!?])(?=[^\W\d_])")


_SYMBOL_GATE = re.compile(r"[&≥≤<>=~%#№+°–—/\\|_^*@$€₫²³§¤→←↑↓⇒-]")


def tidy(text: str) -> str:
    if _SYMBOL_GATE.search(text):
        for pattern, repl in _SYMBOLS:
            text = pattern.sub(repl, text)
    text = _SPACE_RE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT_RE.sub("", text)
    text = _REPEATED_PUNCT_RE.sub(lambda m: m.group(1) or "", text)
    text = _PUNCT_THEN_WORD_RE.sub(r"\1 ", text)
    text = _LEADING_PUNCT_RE.sub("", text)
    return text.strip()


# Cheap searches that tell whether a rule can match at all: most lines of prose have no digit.
_DIGIT_GATE = re.compile(r"\d")
_SLASH_GATE = re.compile("/")
_SPACED_DASH_GATE = re.compile(r"\s[-–]\s")
_ABBR_GATE = re.compile(r"[A-ZĐ]|đ/c|v\.v|wifi")
_ADDRESS_GATE = re.compile(r"@|\.(?:vn|com|net|org|gov|edu|info)\b")
_ROMAN_GATE = re.compile("[IVX]")
_CAPS_GATE = re.compile(f"{_UP}{_UP}")

#: All rules in order, each with its gate. Headings only match at the start of a line (each line
#: is done alone).
RULES: list[Rule] = [
    (_DOC_RE, _doc_code, _DIGIT_GATE),
    (_ORGAN_RE, _organ, _SLASH_GATE),
    (_STANDING_RE, lambda m: "Thường trực ", re.compile("TT ")),
    (_PLATE_RE, _plate, re.compile("(?i:bks|biển)")),
    (_ROAD_RE, _road, _DIGIT_GATE),
    (_WARD_RE, _ward, re.compile(r"[PQ]\.|KP")),
    (_KM_MARKER_RE, _km_marker, re.compile("[Kk]m")),
    (_SN_RE, _sn, re.compile("SN")),
    (_NAMED_DATE_RE, _named_date, _DIGIT_GATE),
    (_ABBR_RE, _abbr, _ABBR_GATE),
    (_ADDRESS_RE, _address, _ADDRESS_GATE),
    (_HOTLINE_RE, lambda m: _hotline(m), _DIGIT_GATE),
    (_PHONE_RE, _phone, _DIGIT_GATE),
    (_PHONE_CONTEXT_RE, _phone_in_context, _DIGIT_GATE),
    (_EMERGENCY_RE, _emergency, _DIGIT_GATE),
    (_EMERGENCY_AFTER_RE, lambda m: num.read_digits(m.group(1)), _DIGIT_GATE),
    (_ROMAN_HEADING_RE, _roman_heading, _ROMAN_GATE),
    (_NUMBER_HEADING_RE, _number_heading, _DIGIT_GATE),
    (_LETTER_HEADING_RE, _letter_heading, None),
    (_DATE_RANGE_DASH_RE, lambda m: " đến ", _DIGIT_GATE),
    (_DATE_RE, _date, _DIGIT_GATE),
    (_DAY_RANGE_RE, _day_range, _DIGIT_GATE),
    (_MONTH_YEAR_RE, _month_year, _DIGIT_GATE),
    (_DASH_DAY_MONTH_RE, _dash_day_month, _DIGIT_GATE),
    (_DAY_MONTH_RANGE_RE, _day_month_range, _DIGIT_GATE),
    (_FRACTION_UNIT_RE, _fraction_unit, _DIGIT_GATE),
    (_DAY_MONTH_RE, _day_month, _DIGIT_GATE),
    (_TIME_RANGE_DASH_RE, lambda m: f"{m.group(1)} đến ", _DIGIT_GATE),
    (_TIME_RE, _time, _DIGIT_GATE),
    (_HOUR_WORD_RE, _hour_word, _DIGIT_GATE),
    (_ROMAN_CONTEXT_RE, _roman_in_context, _ROMAN_GATE),
    (_ORDINAL_RANGE_RE, _ordinal_range, _DIGIT_GATE),
    (_ORDINAL_RE, _ordinal, _DIGIT_GATE),
    (_SUNDAY_RE, _sunday, _SUNDAY_GATE),
    (_MONTH_RE, _month, _DIGIT_GATE),
    (_PRODUCT_RE, lambda m: " nhân ", _DIGIT_GATE),
    (_MINUS_RE, lambda m: "âm ", _DIGIT_GATE),
    (_RANGE_RE, _range, _DIGIT_GATE),
    (_PERCENT_RE, lambda m: f"{read_numeral(m.group(1))} phần trăm", _DIGIT_GATE),
    (_SHORT_MONEY_RE, _short_money, _DIGIT_GATE),
    (_CURRENCY_AFTER_RE, lambda m: f"{read_numeral(m.group(1))} {CURRENCIES[m.group(2)]}", _DIGIT_GATE),
    (_CURRENCY_BEFORE_RE, lambda m: f"{read_numeral(m.group(2))} {CURRENCIES[m.group(1)]}", _DIGIT_GATE),
    (_UNIT_RE, _unit, _DIGIT_GATE),
    (_PER_RE, _per, _SLASH_GATE),
    (_SLASH_NUMBERS_RE, lambda m: " trên ", _DIGIT_GATE),
    (_COUNT_SLASH_RE, lambda m: ", ", _DIGIT_GATE),
    (_DASH_NUMBERS_RE, lambda m: " gạch ", _DIGIT_GATE),
    (_DOTTED_RE, _dotted, _DIGIT_GATE),
    (_NUMBER_RE, lambda m: read_numeral(m.group(0)), _DIGIT_GATE),
    (_SPOKEN_RANGE_RE, lambda m: f"{m.group('u')} đến ", _SPACED_DASH_GATE),
    (_ANY_DIGITS_RE, lambda m: f" {num.read_integer_string(m.group(0))} ", _DIGIT_GATE),
    (_CAPS_RUN_RE, _lower_caps, _CAPS_GATE),
]


def _hotline(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return f"{num.read_digits(digits[:4])}, {num.read_digits(digits[4:])}"


def expand(line: str) -> str:
    """Apply every rule to one cleaned line."""
    for pattern, func, gate in RULES:
        if gate is None or gate.search(line):
            line = pattern.sub(func, line)
    return tidy(line)
