"""Word error rate by a word-level Levenshtein alignment.

A small edit distance over word lists keeps the check free of extra dependencies (the unit
tests compare it with jiwer where that is installed). Vietnamese words are syllables separated by
spaces, so the words are simply the lowercased, punctuation-free tokens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NON_WORD = re.compile(r"[^\w\s]+")


def words(text: str) -> list[str]:
    """Lowercase, NFC, punctuation stripped, split on whitespace."""
    text = unicodedata.normalize("NFC", text).lower()
    return _NON_WORD.sub(" ", text.replace("_", " ")).split()


@dataclass(frozen=True)
class Alignment:
    """Counts of the cheapest edit script turning the reference into the hypothesis."""

    hits: int
    substitutions: int
    deletions: int
    insertions: int
    missed: tuple[str, ...]  # reference words deleted or substituted, in reference order

    @property
    def reference_length(self) -> int:
        return self.hits + self.substitutions + self.deletions

    @property
    def wer(self) -> float:
        """Errors over reference words; an empty reference gives 0 (nothing heard) or 1."""
        errors = self.substitutions + self.deletions + self.insertions
        if self.reference_length == 0:
            return 0.0 if errors == 0 else 1.0
        return errors / self.reference_length

    @property
    def score(self) -> float:
        """Clarity: 1 − WER clamped to [0, 1] (WER exceeds 1 when the recognizer invents words)."""
        return min(1.0, max(0.0, 1.0 - self.wer))


def align(reference: list[str], hypothesis: list[str]) -> Alignment:
    """Levenshtein alignment with unit costs; ties prefer hits, then substitutions."""
    n, m = len(reference), len(hypothesis)
    # dist[i][j]: edits turning reference[:i] into hypothesis[:j]
    dist = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        dist[i][0] = i
    for j in range(m + 1):
        dist[0][j] = j
    for i in range(1, n + 1):
        row, prev = dist[i], dist[i - 1]
        for j in range(1, m + 1):
            diag = prev[j - 1] + (reference[i - 1] != hypothesis[j - 1])
            row[j] = min(diag, prev[j] + 1, row[j - 1] + 1)
    hits = subs = dels = ins = 0
    missed: list[str] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and dist[i][j] == dist[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            if reference[i - 1] == hypothesis[j - 1]:
                hits += 1
            else:
                subs += 1
                missed.append(reference[i - 1])
            i, j = i - 1, j - 1
        elif i > 0 and dist[i][j] == dist[i - 1][j] + 1:
            dels += 1
            missed.append(reference[i - 1])
            i -= 1
        else:
            ins += 1
            j -= 1
    return Alignment(hits, subs, dels, ins, tuple(reversed(missed)))


def compare(reference: str, hypothesis: str) -> Alignment:
    """Align two texts word by word after lowercasing and stripping punctuation."""
    return align(words(reference), words(hypothesis))
