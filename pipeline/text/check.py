"""What must never reach a speech engine: digits, known abbreviations left unexpanded, and symbols
that voices either spell out or skip."""

from __future__ import annotations

import re

from pipeline.text.tables import ABBREVIATIONS, DOC_TYPES, FOREIGN_ACRONYMS, ISSUERS, ORGAN_PARTS, UNITS

_KNOWN = sorted(
    {k for k in [*ABBREVIATIONS, *FOREIGN_ACRONYMS, *ISSUERS, *DOC_TYPES, *ORGAN_PARTS] if len(k) >= 2}
    | {u for u in UNITS if any(c.isdigit() for c in u) or u in {"km/h", "°C", "kVA", "kWh"}},
    key=len,
    reverse=True,
)
_UNSPEAKABLE_RE = re.compile(
    r"\S*\d\S*"
    r"|(?:https?://)?[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|gov|edu|info)\b\S*"
    rf"|(?<![\w&])(?:{'|'.join(re.escape(k) for k in _KNOWN)})(?![\w&])"
    r"|[%&/\\#@*_=<>^~|°²³§¤$€₫+\[\](){}\"“”«»]"
)


def find_unspeakable(text: str) -> list[str]:
    """Tokens of ``text`` that a voice cannot read as words, in order of first appearance."""
    return list(dict.fromkeys(m.group(0) for m in _UNSPEAKABLE_RE.finditer(text)))
