"""One line or paragraph of a script → the words an announcer would say."""

from __future__ import annotations

from pipeline.text.cleanup import clean_line, drop_unknown_scripts
from pipeline.text.lexicon import Lexicon
from pipeline.text.rules import expand


def normalize_clean_line(line: str, lexicon: Lexicon | None = None) -> str:
    """A single line whose unknown scripts were already dropped."""
    if lexicon is not None:
        line = lexicon.protect(line)
    line = expand(clean_line(line))
    if lexicon is not None:
        line = lexicon.restore(line)
    return line


def normalize(text: str, lexicon: Lexicon | None = None) -> str:
    """Spoken form of ``text``, line by line (line breaks are kept; empty lines stay empty).

    Lexicon entries win over every built-in rule.
    """
    text = drop_unknown_scripts(text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(normalize_clean_line(line, lexicon) for line in text.split("\n"))
