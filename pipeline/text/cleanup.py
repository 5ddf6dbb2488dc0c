"""Removal of what a reader would not say: OCR and word-processor leftovers, and characters of
scripts the Vietnamese voices cannot read (emoji, Chinese characters…), which are dropped with a
logged warning. Latin letters of every kind (English words, names) pass through.
"""

from __future__ import annotations

import logging
import re
import unicodedata

log = logging.getLogger(__name__)

# Everything a Vietnamese or Latin text needs; the lexicon placeholder plane is kept too.
_KEEP = (
    r"\t\n\r\x20-\x7e"
    r"\u00a0-\u024f"  # Latin-1, Latin Extended-A/B
    r"\u0300-\u036f"  # combining accents (decomposed Vietnamese)
    r"\u1e00-\u1eff"  # Latin Extended Additional: ạ ả ấ … ỹ
    r"\u2000-\u206f"  # general punctuation: – — ‘ ’ “ ” • …
    r"\u2070-\u20cf"  # super/subscripts, currency signs (₫ €)
    r"\u2100-\u214f"  # letterlike symbols (№ ℃)
    r"\u2190-\u21ff\u2212\u2264\u2265\u00d7"  # arrows, minus, ≤ ≥, ×
    "\U000f0000-\U000ffffd"  # lexicon placeholders
)
_FOREIGN_RE = re.compile(f"[^{_KEEP}]+")
#: Word and PDF list bullets (geometric shapes, dingbats, Symbol-font private use) at a line start
#: are bullets, not unknown characters: they become "-" before the script check.
_SYMBOL_BULLET_RE = re.compile(r"^([ \t]*)[\u25a0-\u25ff\u2700-\u27bf\uf000-\uf0ff]+", re.M)
_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufe00-\ufe0f]")

_BULLET_RE = re.compile(r"^\s*[-+•·∙◦‣⁃–—→]+(?:\s+|(?=[^\d\s])|$)")
_MD_HEADING_RE = re.compile(r"^\s*#{1,6}\s+")
_EMPHASIS_RE = re.compile(r"\*+|_{2,}|`+|~{2,}")
_BRACKET_NOTE_RE = re.compile(r"\s*\[[^\]\n]*\]|[\[\]{}]")
_ACRONYM_GLOSS_RE = re.compile(r"\s*\(\s*[A-ZĐ][A-ZĐ0-9&./\-]*[A-ZĐ0-9]\s*\)")
_ELLIPSIS_RE = re.compile(r"\s*(?:\.{3,}|…)+\s*(?=(\S?))")
_DOUBLE_QUOTES_RE = re.compile('["“”„‟«»]')
_SINGLE_QUOTES_RE = re.compile(r"(?<![^\W\d_])['‘’‚‛]|['‘’‚‛](?![^\W\d_])")
_PAREN_RE = re.compile(r"\s*[()]\s*")
_AMOUNT_WORD = (
    "(?i:không|một|mốt|hai|ba|bốn|tư|năm|lăm|sáu|bảy|tám|chín|mười|mươi|linh|lẻ|trăm|nghìn|ngàn|triệu|tỷ)"
)
#: "1.500.000 đ (Một triệu năm trăm nghìn đồng)", "(Bằng chữ: …)": the amount again in words, which
#: the reader does not say a second time.
_AMOUNT_IN_WORDS_RE = re.compile(
    rf"\s*\(\s*(?i:bằng chữ\s*:?\s*)?(?:{_AMOUNT_WORD}[\s,]+)+(?i:đồng(?:\s+chẵn)?)\s*\.?\s*\)"
)
#: "(0263) 3843 123": an area code in parentheses belongs to the number after it.
_AREA_CODE_RE = re.compile(r"\((0\d{2,3})\)\s*(?=\d)")
_CLOSING_PAREN_AT_END_RE = re.compile(r"\s*\)\s*$")


def drop_unknown_scripts(text: str) -> str:
    """NFC-compose the text and drop characters of scripts that cannot be spoken, with a warning."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = _SYMBOL_BULLET_RE.sub(r"\1- ", text)
    dropped = _FOREIGN_RE.findall(text)
    if dropped:
        chars = "".join(dict.fromkeys("".join(dropped)))
        log.warning(
            "Bỏ %d ký tự không đọc được (chữ viết lạ, biểu tượng cảm xúc): %s",
            sum(map(len, dropped)),
            chars[:40],
        )
        text = _FOREIGN_RE.sub(" ", text)
    return text


def _ellipsis(m: re.Match[str]) -> str:
    following = m.group(1)
    if not following:
        return "."
    return ", " if following.islower() else ". "


def clean_line(line: str) -> str:
    """Remove markup, bullets, notes, quotes and parentheses from one line of a script."""
    line = _MD_HEADING_RE.sub("", line)
    line = _EMPHASIS_RE.sub("", line)
    line = _BRACKET_NOTE_RE.sub("", line)
    line = _BULLET_RE.sub("", line)
    line = _ACRONYM_GLOSS_RE.sub("", line)
    line = _ELLIPSIS_RE.sub(_ellipsis, line)
    line = _DOUBLE_QUOTES_RE.sub("", line)
    line = _SINGLE_QUOTES_RE.sub("", line)
    line = _AREA_CODE_RE.sub(r"\1 ", line)
    line = _AMOUNT_IN_WORDS_RE.sub("", line)
    line = _CLOSING_PAREN_AT_END_RE.sub("", line)
    line = _PAREN_RE.sub(", ", line)
    return line.strip()
