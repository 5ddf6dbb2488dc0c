"""Clarity check: how much of a render an offline Vietnamese recognizer understands.
See README.md in this folder."""

from pipeline.clarity.check import ClarityReport, check_clarity, decode_16k_mono, score_transcript
from pipeline.clarity.recognizer import RecognizerMissing
from pipeline.clarity.wer import Alignment, align, compare, words

__all__ = ["Alignment", "ClarityReport", "RecognizerMissing", "align", "check_clarity", "compare",
           "decode_16k_mono", "score_transcript", "words"]
