"""Broadcast languages (Decree 49/2024/NĐ-CP: commune broadcasts in Vietnamese and in the local
minority languages). Codes are ISO 639-3 where one exists, labels Vietnamese.

Vietnamese (``vie``) is every bulletin's main version and every station's first language; a
station lists the other languages it airs (``Station.languages``, "kpm cje"), a bulletin carries
versions in them (``BulletinVersion``), and the planner airs each version right after the
Vietnamese one where the station airs that language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from broadcast.errors import BroadcastError

MAIN = "vie"
#: The languages the panel offers, with their Vietnamese names. Any other ISO 639-3 code is
#: accepted too (shown by its code), so a province need not wait for a release to add one.
LANGUAGES: dict[str, str] = {
    "vie": "Tiếng Việt",
    "kpm": "Tiếng K'Ho",
    "cje": "Tiếng Chu Ru",
    "mng": "Tiếng M'Nông",
    "rad": "Tiếng Ê Đê",
    "jra": "Tiếng Gia Rai",
    "bdq": "Tiếng Ba Na",
    "cjm": "Tiếng Chăm",
    "khm": "Tiếng Khmer",
    "hmn": "Tiếng H'Mông",
    "tyz": "Tiếng Tày",
    "nut": "Tiếng Nùng",
    "blt": "Tiếng Thái",
}
_CODE_RE = re.compile(r"^[a-z]{3}$")


def label(code: str) -> str:
    """The Vietnamese name of a language ("" is the main version, Vietnamese)."""
    code = code or MAIN
    return LANGUAGES.get(code, code)


def check_code(code: str) -> str:
    """A language code as stored: lower case ISO 639-3 (three letters)."""
    c = (code or "").strip().lower()
    if not _CODE_RE.match(c):
        raise BroadcastError(
            "Mã ngôn ngữ '%(code)s' không hợp lệ: dùng mã ISO 639-3 ba chữ cái (ví dụ kpm, cje).", code=code
        )
    return c


def parse_languages(text: str | Iterable[str]) -> tuple[str, ...]:
    """The languages a station airs besides Vietnamese, from "kpm cje", "kpm;cje" or a list:
    checked, de-duplicated, in the order given; Vietnamese itself is implied and dropped."""
    parts = re.split(r"[\s,;|]+", text) if isinstance(text, str) else list(text)
    out: list[str] = []
    for p in parts:
        if not p.strip():
            continue
        c = check_code(p)
        if c != MAIN and c not in out:
            out.append(c)
    return tuple(out)


def station_languages(stored: str) -> tuple[str, ...]:
    """``Station.languages`` as a tuple (no validation: it was checked when stored)."""
    return tuple(c for c in (stored or "").split() if c)
