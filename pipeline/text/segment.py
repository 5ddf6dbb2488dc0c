"""A whole script → utterances, each ended by the pause it deserves.

Paragraphs are separated by blank lines; a heading is a line without closing punctuation (titles,
"I. MỤC ĐÍCH", a signature) or in capitals. Lines that OCR or a PDF copy broke in the middle of a
sentence (next part starting in lower case) are joined again first.
"""

from __future__ import annotations

import re
import textwrap

from pipeline.text.cleanup import clean_line, drop_unknown_scripts
from pipeline.text.lexicon import Lexicon
from pipeline.text.normalize import normalize_clean_line
from pipeline.types import Boundary, PipelineError, Utterance

#: Clauses shorter than this are read together with the next one (the voice still pauses at the
#: comma, but a two-word utterance sounds chopped).
MIN_CLAUSE_CHARS = 24
#: Longest utterance handed to a voice; longer clauses are cut on word boundaries.
MAX_UTTERANCE_CHARS = 300

_END_PUNCT = ".!?…:;,"
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+")
_CLAUSE_SPLIT_RE = re.compile(r"(?<=[,;:]) +")
_DIGIT_WORD = "(?:không|một|hai|ba|bốn|năm|sáu|bảy|tám|chín)"
#: The comma between digit groups of a phone number: a pause, but never an utterance break.
_PHONE_COMMA_RE = re.compile(
    rf"(?<!\w)({_DIGIT_WORD}(?: {_DIGIT_WORD}){{2,}}), (?={_DIGIT_WORD}(?: {_DIGIT_WORD}){{2}}(?!\w))"
)
_BULLET_START_RE = re.compile(r"^\s*[-+•·∙◦‣⁃–—→*]+\s")
_ROMAN_HEADING_RE = re.compile(r"^[IVXL]+(?:\s*[.:)]\s*|\s*[-–]\s+)[^\W\d_]{2}")
_LETTER_RE = re.compile(r"[^\W\d_]")
_UPPER_RE = re.compile(f"[{re.escape(''.join(ch for ch in map(chr, range(0x41, 0x1F00)) if ch.isupper()))}]")
_TRAILING_RE = re.compile(r"[\s,;:]+$")


def _is_heading(raw: str, cleaned: str, next_raw: str | None) -> bool:
    if _ROMAN_HEADING_RE.match(cleaned):
        return True
    if _BULLET_START_RE.match(raw):
        return False
    letters = len(_LETTER_RE.findall(cleaned))
    if letters >= 3 and len(_UPPER_RE.findall(cleaned)) >= 0.8 * letters:
        return True
    lead_in = next_raw is not None and _BULLET_START_RE.match(next_raw)  # "Đề nghị mang theo" + list
    return cleaned[-1] not in _END_PUNCT and len(cleaned) <= 400 and not lead_in


def _continues(prev: str, nxt: str, nxt_raw: str) -> bool:
    """A sentence broken across lines: no closing mark, next part starts in lower case (and is
    not a list item of its own)."""
    return prev[-1] not in _END_PUNCT and nxt[:1].islower() and not _BULLET_START_RE.match(nxt_raw)


def _blocks(text: str) -> list[list[tuple[str, str]]]:
    """Paragraph blocks of (raw line, cleaned line); empty and note-only lines separate blocks."""
    blocks: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for raw in text.split("\n"):
        cleaned = clean_line(raw)
        if not cleaned:
            if current:
                blocks.append(current)
                current = []
            continue
        if current and _continues(current[-1][1], cleaned, raw):
            prev_raw, prev_clean = current[-1]
            current[-1] = (f"{prev_raw} {raw.strip()}", f"{prev_clean} {cleaned}")
        elif not current and blocks and _continues(blocks[-1][-1][1], cleaned, raw):
            current = blocks.pop()
            prev_raw, prev_clean = current[-1]
            current[-1] = (f"{prev_raw} {raw.strip()}", f"{prev_clean} {cleaned}")
        else:
            current.append((raw, cleaned))
    if current:
        blocks.append(current)
    return blocks


def _sentence_pieces(sentence: str) -> list[str]:
    pieces: list[str] = []
    buf = ""
    for clause in _CLAUSE_SPLIT_RE.split(sentence):
        buf = f"{buf} {clause}" if buf else clause
        if len(buf) >= MIN_CLAUSE_CHARS:
            pieces.append(buf)
            buf = ""
    if buf:
        if pieces and len(buf) < MIN_CLAUSE_CHARS:
            pieces[-1] = f"{pieces[-1]} {buf}"
        else:
            pieces.append(buf)
    return pieces


def split_spoken(spoken: str, end: Boundary) -> list[Utterance]:
    """Cut one spoken line into sentences and clauses; the last one gets ``end``."""
    out: list[Utterance] = []
    spoken = _PHONE_COMMA_RE.sub("\\1,\u00a0", spoken)
    for sentence in _SENTENCE_SPLIT_RE.split(spoken):
        for piece in _sentence_pieces(sentence):
            parts = [piece]
            if len(piece) > MAX_UTTERANCE_CHARS:
                parts = textwrap.wrap(
                    piece, MAX_UTTERANCE_CHARS, break_long_words=False, break_on_hyphens=False
                )
            for part in parts:
                text = _TRAILING_RE.sub("", part).replace("\u00a0", " ")
                if _LETTER_RE.search(text):
                    out.append(Utterance(text, "comma"))
        if out and out[-1].boundary == "comma":
            out[-1] = Utterance(out[-1].text, "sentence")
    if out:
        out[-1] = Utterance(out[-1].text, end)
    return out


def prepare(text: str, lexicon: Lexicon | None = None) -> list[Utterance]:
    """The whole script as utterances for the voice. Raises PipelineError when nothing is left to read."""
    text = drop_unknown_scripts(text.replace("\r\n", "\n").replace("\r", "\n"))
    utterances: list[Utterance] = []
    for block in _blocks(text):
        for i, (raw, cleaned) in enumerate(block):
            end: Boundary
            next_raw = block[i + 1][0] if i + 1 < len(block) else None
            if _is_heading(raw, cleaned, next_raw):
                end = "heading"
            elif i == len(block) - 1:
                end = "paragraph"
            else:
                end = "comma" if cleaned[-1] in ",;" else "sentence"
            utterances += split_spoken(normalize_clean_line(raw, lexicon), end)
    if not utterances:
        raise PipelineError("Văn bản trống: không có gì để đọc.")
    return utterances
