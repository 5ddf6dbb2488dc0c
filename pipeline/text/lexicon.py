"""Operator lexicon: words and codes the station wants read its own way, without touching code.

Entries WIN over every built-in rule: they are replaced first and protected from the other rules.
Matching is whole-word and case-sensitive unless an entry says otherwise. ``say`` is the spoken form
and must not contain digits (nothing with digits may reach the speech engine).

TOML (UTF-8)::

    # simple entries: whole-word, case-sensitive
    [words]
    "Đ/c" = "đồng chí"
    "HTX Phú Thạnh" = "hợp tác xã Phú Thạnh"

    # entries with options
    [[entry]]
    match = "k'ho"
    say = "Cơ Ho"
    ignore_case = true     # default false
    whole_word = true      # default true

CSV (UTF-8, comma-separated; lines starting with ``#`` are comments; the header row is optional)::

    match,say,ignore_case,whole_word
    Đ/c,đồng chí,,
    k'ho,Cơ Ho,true,

The settings field ``lexicon_path`` (``LOA_LEXICON_PATH``) names the file the CLI and renders use.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.types import PipelineError

#: Placeholders live in a private-use plane that no real text (and no rule) touches.
_PLACEHOLDER_BASE = 0xF0000
MAX_ENTRIES = 0xFFFD
PLACEHOLDER_RE = re.compile("[\U000f0000-\U000ffffd]")

_TRUE = {"1", "true", "yes", "có", "x"}
_FALSE = {"", "0", "false", "no", "không"}


@dataclass(frozen=True)
class LexiconEntry:
    match: str
    say: str
    ignore_case: bool = False
    whole_word: bool = True


@dataclass(frozen=True)
class Lexicon:
    """An immutable set of entries. Equal content gives equal ``fingerprint()`` (used in cache keys)."""

    entries: tuple[LexiconEntry, ...] = ()
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False, hash=False)
    _exact: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)
    _folded: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if len(self.entries) > MAX_ENTRIES:
            raise PipelineError(f"Từ điển phát âm quá lớn: tối đa {MAX_ENTRIES} mục.")
        exact: dict[str, int] = {}
        folded: dict[str, int] = {}
        parts: list[tuple[int, str]] = []
        for i, e in enumerate(self.entries):
            body = re.escape(e.match)
            if e.whole_word:
                body = rf"(?<!\w){body}(?!\w)"
            if e.ignore_case:
                body = f"(?i:{body})"
                folded[e.match.casefold()] = i
            else:
                exact[e.match] = i
            parts.append((len(e.match), body))
        parts.sort(key=lambda p: -p[0])
        pattern = re.compile("|".join(p[1] for p in parts)) if parts else None
        object.__setattr__(self, "_pattern", pattern)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_folded", folded)

    def __len__(self) -> int:
        return len(self.entries)

    def fingerprint(self) -> str:
        """SHA-256 of the entries in a canonical order; order of the file does not matter."""
        rows = sorted([e.match, e.say, e.ignore_case, e.whole_word] for e in self.entries)
        return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()

    def protect(self, text: str) -> str:
        """Replace every entry by a placeholder so that no later rule changes it."""
        if self._pattern is None:
            return text

        def sub(m: re.Match[str]) -> str:
            found = m.group(0)
            idx = self._exact.get(found)
            if idx is None:
                idx = self._folded[found.casefold()]
            return chr(_PLACEHOLDER_BASE + idx)

        return self._pattern.sub(sub, text)

    def restore(self, text: str) -> str:
        """Put the spoken form of each entry where ``protect`` left its placeholder."""
        if self._pattern is None:
            return text
        return PLACEHOLDER_RE.sub(lambda m: self.entries[ord(m.group(0)) - _PLACEHOLDER_BASE].say, text)


def _flag(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise PipelineError(f"{where}: giá trị {value!r} không phải đúng/sai (true/false).")


def _entry(match: Any, say: Any, ignore_case: Any, whole_word: Any, where: str) -> LexiconEntry:
    if not isinstance(match, str) or not match.strip():
        raise PipelineError(f"{where}: thiếu từ cần thay (match).")
    if not isinstance(say, str) or not say.strip():
        raise PipelineError(f"{where}: thiếu cách đọc (say) cho {match!r}.")
    if any(ch.isdigit() for ch in say):
        raise PipelineError(f"{where}: cách đọc của {match!r} có chữ số; hãy viết số bằng chữ.")
    return LexiconEntry(
        match=match.strip(),
        say=say.strip(),
        ignore_case=_flag(ignore_case, where),
        whole_word=_flag(whole_word, where),
    )


def _from_toml(text: str, name: str) -> list[LexiconEntry]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"Từ điển phát âm {name}: lỗi cú pháp TOML ({exc}).") from exc
    unknown = set(doc) - {"words", "entry"}
    if unknown:
        raise PipelineError(
            f"Từ điển phát âm {name}: mục không hỗ trợ {sorted(unknown)}; dùng [words] hoặc [[entry]]."
        )
    words = doc.get("words", {})
    if not isinstance(words, dict):
        raise PipelineError(f'Từ điển phát âm {name}: [words] phải là bảng "từ" = "cách đọc".')
    out = [_entry(k, v, False, True, f"{name} [words]") for k, v in words.items()]
    items = doc.get("entry", [])
    if not isinstance(items, list):
        raise PipelineError(f"Từ điển phát âm {name}: [[entry]] phải là danh sách.")
    for n, item in enumerate(items, 1):
        where = f"{name} [[entry]] thứ {n}"
        if not isinstance(item, dict):
            raise PipelineError(f"{where}: không hợp lệ.")
        extra = set(item) - {"match", "say", "ignore_case", "whole_word"}
        if extra:
            raise PipelineError(f"{where}: khóa không hỗ trợ {sorted(extra)}.")
        out.append(
            _entry(
                item.get("match"),
                item.get("say"),
                item.get("ignore_case", False),
                item.get("whole_word", True),
                where,
            )
        )
    return out


def _from_csv(text: str, name: str) -> list[LexiconEntry]:
    out = []
    first = True
    rows = csv.reader(io.StringIO(text))
    for lineno, row in enumerate(rows, 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        is_header = first and [c.casefold() for c in cells[:2]] == ["match", "say"]
        first = False
        if is_header:
            continue
        if len(cells) < 2 or len(cells) > 4:
            raise PipelineError(
                f"Từ điển phát âm {name}, dòng {lineno}: cần 2 đến 4 cột (match,say,ignore_case,whole_word)."
            )
        cells += [""] * (4 - len(cells))
        whole = cells[3] if cells[3] else True
        out.append(_entry(cells[0], cells[1], cells[2], whole, f"{name}, dòng {lineno}"))
    return out


def parse_lexicon(text: str, fmt: str, name: str = "từ điển") -> Lexicon:
    """Build a lexicon from file content; ``fmt`` is "toml" or "csv". Later entries replace earlier ones."""
    if fmt == "toml":
        entries = _from_toml(text, name)
    elif fmt == "csv":
        entries = _from_csv(text, name)
    else:
        raise PipelineError(f"Từ điển phát âm {name}: định dạng {fmt!r} không hỗ trợ (dùng .toml hoặc .csv).")
    unique: dict[tuple[str, bool], LexiconEntry] = {}
    for e in entries:
        key = (e.match.casefold() if e.ignore_case else e.match, e.ignore_case)
        unique.pop(key, None)
        unique[key] = e
    return Lexicon(tuple(unique.values()))


def load_lexicon(path: str | Path) -> Lexicon:
    """Read a ``.toml`` or ``.csv`` lexicon. Raises PipelineError with a message for the operator."""
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in {"toml", "csv"}:
        raise PipelineError(f"Từ điển phát âm {p.name}: phải là tệp .toml hoặc .csv.")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PipelineError(f"Không đọc được từ điển phát âm {p}: {exc.strerror or exc}.") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PipelineError(f"Từ điển phát âm {p.name}: không phải UTF-8.") from exc
    return parse_lexicon(text, fmt, p.name)


def optional_lexicon(path: str | Path | None) -> Lexicon | None:
    """The lexicon a setting names (``Settings.lexicon_path``), or None when the setting is empty."""
    if not path or not str(path).strip():
        return None
    return load_lexicon(path)
